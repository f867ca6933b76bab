import json

import pytest

from winloss.interviews.transcripts import TranscriptError, parse_transcript, write_vtt

VTT = """WEBVTT

NOTE exported from the meeting tool

1
00:00:01.000 --> 00:00:04.000
<v Dana Ruiz>How was the Salesforce integration?</v>

00:00:04.500 --> 00:00:08.000
<v Lee Park>Honestly, it was rough. The sync broke

00:00:08.000 --> 00:01:10.250
<v Lee Park>every other week &amp; we lost data.
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_vtt_voice_tags_join_cues_of_one_speaker_and_keep_cue_times(tmp_path):
    t = parse_transcript(write(tmp_path, "a.vtt", VTT))
    assert [turn.speaker for turn in t.turns] == ["Dana Ruiz", "Lee Park"]
    lee = t.turns[1]
    assert lee.text == "Honestly, it was rough. The sync broke every other week & we lost data."
    assert (lee.start, lee.end) == (4.5, 70.25)
    assert lee.time_at(lee.text.index("we lost")) == (8.0, 70.25)
    assert t.turns[0].text == "How was the Salesforce integration?"


def test_srt_name_prefix_and_unnamed_cue_continues_speaker(tmp_path):
    srt = ("1\n00:00:01,000 --> 00:00:02,500\nDana: How did the trial go?\n\n"
           "2\n00:00:02,500 --> 00:00:05,000\nCustomer 1: Pretty well overall.\n\n"
           "3\n00:00:05,000 --> 00:00:07,000\nThe dashboards were the best part.\n")
    t = parse_transcript(write(tmp_path, "a.srt", srt))
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("Dana", "How did the trial go?"),
        ("Customer 1", "Pretty well overall. The dashboards were the best part."),
    ]
    assert t.turns[1].start == 2.5 and t.turns[1].end == 7.0


def test_plain_text_with_and_without_timestamps(tmp_path):
    stamped = "[00:00:05] Dana: What made you look?\n[00:01:02] Ana Silva: Our forecasts were a guess.\ncontinued here.\n"
    t = parse_transcript(write(tmp_path, "a.txt", stamped))
    assert t.turns[1].text == "Our forecasts were a guess. continued here."
    assert t.turns[0].start == 5.0 and t.turns[0].end == 62.0 and t.turns[1].start == 62.0
    bare = parse_transcript(write(tmp_path, "b.txt", "Dana: Why?\nAna: Because it was slow.\n"))
    assert bare.turns[1].speaker == "Ana" and bare.turns[1].start is None


def test_json_list_with_string_times(tmp_path):
    data = [{"speaker": "Dana", "start": "00:00:01.5", "end": 3, "text": "Why did you churn?"},
            {"speaker": "Bo", "start": 3, "end": 9.25, "text": "Support  never\nanswered."}]
    t = parse_transcript(write(tmp_path, "a.json", json.dumps(data)))
    assert t.turns[0].start == 1.5
    assert t.turns[1].text == "Support never answered." and t.turns[1].end == 9.25


@pytest.mark.parametrize("name,content,message", [
    ("empty.vtt", "", "empty transcript"),
    ("blank.txt", "  \n\n", "empty transcript"),
    ("bad.vtt", "hello there\n", "WEBVTT"),
    ("bad.json", "{not json", "invalid JSON"),
    ("shape.json", '{"a": 1}', "expected a list"),
])
def test_bad_transcripts_raise_clear_errors(tmp_path, name, content, message):
    with pytest.raises(TranscriptError, match=message):
        parse_transcript(write(tmp_path, name, content))


def test_cp1252_transcript_is_decoded_with_a_warning_naming_the_encoding(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Dana: Qué tal?\nAna: Très bien.\n".encode("cp1252"))
    t = parse_transcript(path)
    assert [(x.speaker, x.text) for x in t.turns] == [("Dana", "Qué tal?"), ("Ana", "Très bien.")]
    assert any("cp1252" in w for w in t.warnings)


def test_prose_without_speakers_imports_speakerless(tmp_path):
    t = parse_transcript(write(tmp_path, "prose.txt", "just some prose with no speakers\nand a second line\n"))
    assert [(x.speaker, x.text) for x in t.turns] == [("Speaker", "just some prose with no speakers and a second line")]


def test_write_vtt_round_trips(tmp_path):
    original = parse_transcript(write(tmp_path, "a.vtt", VTT))
    write_vtt(original.turns, tmp_path / "b.vtt")
    again = parse_transcript(tmp_path / "b.vtt")
    assert [(t.speaker, t.text, t.start, t.end) for t in again.turns] == \
           [(t.speaker, t.text, t.start, t.end) for t in original.turns]
