"""Property: whatever people say and whatever they are called, every reader gives back exactly the speech, so every
statement is a verbatim substring of what was said (the guarantee quotes rest on)."""
import csv
import io
import json

import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from winloss.interviews.statements import extract_statements
from winloss.interviews.transcripts import parse_transcript
from winloss.models import RoleResult

NAMES = ["Dana Ruiz", "latha sriram", "José Álvarez", "Maria de la Cruz", "Dana Ruiz (Acme)", "Ana (she/her)",
         "John's iPhone", "Speaker 1", "SPEAKER_00", "田中 美咲", "+1 415 555 0134", "Ng"]
WORDS = ["we", "chose", "Clarion", "because", "the", "price", "was", "20%", "cheaper,", "honestly.", "Salesforce",
         "sync", "broke", "every", "week!", "did", "it?", "café", "naïve", "O'Brien's", "self-serve", "3", "seats;",
         "“quoted”", "—", "R&D", "costs", "x<y", "données", "日本語", "it's", "$40k", "(roughly)"]

utterance = st.lists(st.sampled_from(WORDS), min_size=1, max_size=14).map(" ".join)


@st.composite
def dialogues(draw):
    a, b = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=2, unique=True))
    n = draw(st.integers(min_value=4, max_value=8))
    return [((a, b)[i % 2], draw(utterance), float(i * 5), float(i * 5 + 4)) for i in range(n)]


def _ts(seconds: float, sep: str = ".") -> str:
    m, s = divmod(int(seconds), 60)
    return f"00:{m:02d}:{s:02d}{sep}000"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _csv(rows, delimiter=","):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()


RENDER = {
    "voice.vtt": lambda d: "WEBVTT\n\n" + "".join(f"{_ts(s)} --> {_ts(e)}\n<v {n}>{_esc(t)}</v>\n\n" for n, t, s, e in d),
    "zoom.vtt": lambda d: "WEBVTT\n\n" + "".join(f"{i}\n{_ts(s)} --> {_ts(e)}\n{n}: {_esc(t)}\n\n"
                                                 for i, (n, t, s, e) in enumerate(d, 1)),
    "a.srt": lambda d: "".join(f"{i}\n{_ts(s, ',')} --> {_ts(e, ',')}\n{n}: {_esc(t)}\n\n"
                               for i, (n, t, s, e) in enumerate(d, 1)),
    "plain.txt": lambda d: "".join(f"{n}: {t}\n" for n, t, *_ in d),
    "stamped.txt": lambda d: "".join(f"[{_ts(s)[:8]}] {n}: {t}\n" for n, t, s, _ in d),
    "otter.txt": lambda d: "".join(f"{n}  {int(s) // 60}:{int(s) % 60:02d}\n{t}\n\n" for n, t, s, _ in d),
    "rev.txt": lambda d: "".join(f"{n} ({_ts(s)[3:8]}):\n{t}\n\n" for n, t, s, _ in d),
    "meet.txt": lambda d: "Interview - Transcript\n00:00:00\n\n" + "".join(f"{n}: {t}\n" for n, t, *_ in d)
    + "Transcription ended after 00:01:00\n",
    "bold.md": lambda d: "".join(f"**{n}** [{int(s) // 60}:{int(s) % 60:02d}] {t}\n\n" for n, t, s, _ in d),
    "fathom.md": lambda d: "".join(f"[@{int(s) // 60}:{int(s) % 60:02d}](https://fathom.video/x?t={s}) \\- **{n}**\n"
                                   f"{t}\n\n" for n, t, s, _ in d),
    "list.json": lambda d: json.dumps([{"speaker": n, "start": s, "end": e, "text": t} for n, t, s, e in d]),
    "whisperx.json": lambda d: json.dumps({"segments": [{"speaker": n, "start": s, "end": e, "text": f" {t}"}
                                                        for n, t, s, e in d]}),
    "teams.json": lambda d: json.dumps({"entries": [{"speakerDisplayName": n, "startOffset": _ts(s) + "0000",
                                                     "endOffset": _ts(e) + "0000", "text": t} for n, t, s, e in d]}),
    "amberscript.json": lambda d: json.dumps({"speakers": [{"spkid": n, "name": n} for n in {x[0] for x in d}],
                                              "segments": [{"speaker": n, "start": s, "end": e, "words": [
                                                  {"text": w, "start": s, "end": e} for w in t.split(" ")]}
                                                  for n, t, s, e in d]}),
    "gong.json": lambda d: json.dumps({"callTranscripts": [{"transcript": [
        {"speakerId": n, "sentences": [{"start": int(s * 1000), "end": int(e * 1000), "text": t}]}
        for n, t, s, e in d]}]}),
    "table.csv": lambda d: _csv([["Speaker", "Start Time", "End Time", "Text"]] + [[n, s, e, t] for n, t, s, e in d]),
    "coraal.txt": lambda d: _csv([["Line", "Spkr", "StTime", "Content", "EnTime"]]
                                 + [[i, n, s, t, e] for i, (n, t, s, e) in enumerate(d, 1)], "\t"),
}


def _docx(dialogue, path):
    document = docx.Document()
    for n, t, s, _ in dialogue:
        document.add_paragraph(f"{n}   {int(s) // 60}:{int(s) % 60:02d}")
        document.add_paragraph(t)
    document.save(path)


def _check(path, dialogue):
    transcript = parse_transcript(path)
    said = [t for _, t, *_ in dialogue]
    assert [turn.text for turn in transcript.turns] == said, path.name
    roles = RoleResult(set(), {turn.speaker for turn in transcript.turns}, "test")
    for statement in extract_statements("P-1", "won", transcript, roles):
        assert any(statement.text in t for t in said), (path.name, statement.text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dialogue=dialogues())
def test_every_reader_returns_exactly_the_speech(tmp_path, dialogue):
    for name, render in RENDER.items():
        path = tmp_path / name
        path.write_text(render(dialogue), encoding="utf-8")
        _check(path, dialogue)
    _docx(dialogue, tmp_path / "teams.docx")
    _check(tmp_path / "teams.docx", dialogue)
