"""JSON transcripts, by shape:

- winloss's documented list `[{speaker, start, end, text}]` (also under `turns`)
- whisper / faster-whisper / whisperX `{segments: [...]}`, with or without `speaker`, with or without `words`
- Rev `{monologues: [{speaker, speaker_name, elements|spans: [{type, value, ts, end_ts}]}]}`
- Amberscript `{speakers: [{spkid, name}], segments: [{speaker, words: [{text, start, end}]}]}`
- Gong `{callTranscripts: [{transcript: [{speakerId, sentences: [{start, end, text}]}]}]}` (milliseconds)
- Teams / Stream `{entries: [{speakerDisplayName, startOffset, endOffset, text}]}`
- AssemblyAI `{utterances: [{speaker: "A", start, end, text}]}` (milliseconds), Deepgram
  `{results: {utterances: [{speaker: 0, start, end, transcript}]}}` (seconds)
"""
from __future__ import annotations

import json
import re
from typing import Any

from winloss.interviews.readers.common import (
    UNKNOWN_SPEAKER,
    Cue,
    ReaderError,
    clean,
    join,
    number_seconds,
)
from winloss.models import Turn

_CLOSING_PUNCT = re.compile(r"^[.,!?;:%…)\]}”’'\"]+$")  # attaches to the word before; a dash does not


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReaderError(f"invalid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                          "is the file complete?") from exc


def _words(words: list, key: str = "text") -> str:
    """Word lists as ASR tools write them: punctuation tokens attach to the word before."""
    out = ""
    for w in words:
        if not isinstance(w, dict):
            continue
        token = str(w.get(key) if w.get(key) is not None else w.get("word") or w.get("value") or "").strip()
        if not token:
            continue
        out += token if (_CLOSING_PUNCT.match(token) and out) or not out else f" {token}"
    return out


def _name(value: Any, names: dict[str, str], prefix: str = "Speaker ") -> str:
    if value is None or value == "":
        return UNKNOWN_SPEAKER
    key = str(value).strip()
    if key in names:
        return names[key]
    # Diarizers number speakers (0, 1) or letter them (A, B): say "Speaker 0", not a bare "0".
    return f"{prefix}{key}" if isinstance(value, int) or re.fullmatch(r"\d+|[A-Z]", key) else key


def _segment_cues(items: list, names: dict[str, str], scale: float = 1.0) -> list[Cue]:
    cues = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ReaderError(f"item {i} is not an object")
        text = item.get("text", item.get("transcript"))
        if text is None and isinstance(item.get("words"), list):
            text = _words(item["words"])
        if text is None:
            raise ReaderError(f"item {i} has no 'text'")
        speaker = item.get("speaker", item.get("speaker_name", item.get("speakerDisplayName")))
        start = item.get("start", item.get("start_time", item.get("startOffset")))
        end = item.get("end", item.get("end_time", item.get("endOffset")))
        cues.append(Cue(_name(speaker, names), clean(str(text)), number_seconds(start, scale),
                        number_seconds(end, scale)))
    return cues


def _speaker_names(data: dict, list_key: str) -> dict[str, str]:
    names = {}
    for s in data.get(list_key) or []:
        if isinstance(s, dict):
            key = s.get("spkid", s.get("id", s.get("speakerId", s.get("spk"))))
            name = s.get("name", s.get("display_name", s.get("label")))
            if key is not None and name:
                names[str(key)] = str(name)
    return names


def _rev(data: dict) -> list[Cue]:
    cues = []
    for mono in data["monologues"]:
        elements = mono.get("elements") or mono.get("spans") or []
        timed = [e for e in elements if isinstance(e, dict) and e.get("ts") is not None]
        text = "".join(str(e.get("value", "")) for e in elements if isinstance(e, dict))
        speaker = mono.get("speaker_name") or (mono.get("speaker_info") or {}).get("display_name")
        cues.append(Cue(str(speaker) if speaker else _name(mono.get("speaker"), {}), clean(text),
                        number_seconds(timed[0]["ts"]) if timed else None,
                        number_seconds(timed[-1].get("end_ts")) if timed else None))
    return cues


def _gong(data: dict) -> list[Cue]:
    names = _speaker_names(data, "parties")
    cues = []
    for call in data["callTranscripts"]:
        for mono in call.get("transcript") or []:
            speaker = _name(mono.get("speakerId"), names)
            for sentence in mono.get("sentences") or []:
                cues.append(Cue(speaker, clean(str(sentence.get("text", ""))),
                                number_seconds(sentence.get("start"), 0.001), number_seconds(sentence.get("end"), 0.001)))
    return cues


def _amberscript(data: dict) -> list[Cue]:
    names = _speaker_names(data, "speakers")
    cues = []
    for seg in data["segments"]:
        words = seg.get("words") or []
        start = seg.get("start", words[0].get("start") if words else None)
        end = seg.get("end", words[-1].get("end") if words else None)
        cues.append(Cue(_name(seg.get("speaker"), names), clean(_words(words)), number_seconds(start),
                        number_seconds(end)))
    return cues


def _cues(data: Any) -> list[Cue]:
    if isinstance(data, list):
        return _segment_cues(data, {})
    if not isinstance(data, dict):
        raise ReaderError("expected a list of {speaker, start, end, text} objects")
    if isinstance(data.get("monologues"), list):
        return _rev(data)
    if isinstance(data.get("callTranscripts"), list):
        return _gong(data)
    segments = data.get("segments")
    if isinstance(segments, list) and data.get("speakers") and segments and isinstance(segments[0], dict) \
            and "text" not in segments[0]:
        return _amberscript(data)
    if isinstance(data.get("entries"), list):
        return _segment_cues(data["entries"], {})
    results = data.get("results")
    if isinstance(results, dict) and isinstance(results.get("utterances"), list):
        return _segment_cues(results["utterances"], {})  # Deepgram: seconds
    if isinstance(data.get("utterances"), list):
        items = data["utterances"]
        return _segment_cues(items, {}, 0.001 if _assemblyai(data) else 1.0)
    for key in ("segments", "turns"):
        if isinstance(data.get(key), list):
            return _segment_cues(data[key], _speaker_names(data, "speakers"))
    raise ReaderError("JSON transcript: expected a list of {speaker, start, end, text} objects, or segments, "
                      "utterances, monologues, entries or callTranscripts")


def _assemblyai(data: dict) -> bool:
    """AssemblyAI writes milliseconds; its transcripts carry its job fields, or integer times past any interview."""
    if any(k in data for k in ("audio_url", "audio_duration", "acoustic_model", "language_model")):
        return True
    ends = [u.get("end") for u in data["utterances"] if isinstance(u, dict)]
    return bool(ends) and all(isinstance(e, int) for e in ends) and max(ends) > 5 * 3600


def read_json(text: str) -> list[Turn]:
    return join(_cues(_load(text)))


def sniff_json(text: str) -> float:
    """What opens like JSON is read as JSON, so a truncated file says 'invalid JSON', not 'no speakers'; a text
    line such as `[00:00:07] Dana: ...` opens with a bracket too, but not with `[{` or `["`."""
    head = "".join(text.lstrip("\ufeff").split())[:2]
    if head[:1] == "{" or head in ("[{", '["', "[]"):
        return 0.9
    return 0.0
