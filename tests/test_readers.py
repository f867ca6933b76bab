"""Each reader on the export fixtures in fixtures/imports (modelled on real exports; sources in docs/imports.md)."""
import json
import re
from pathlib import Path

import pytest

from winloss.interviews.readers import READERS, choose
from winloss.interviews.readers.common import learn_labels
from winloss.interviews.transcripts import TranscriptError, parse_transcript

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "transcripts"

# file -> (reader, speakers, timed: every turn has a start)
EXPECTED = {
    "amberscript.json": ("json", {"Dana Ruiz", "Steve Nakamura"}, True),
    "assemblyai.json": ("json", {"Speaker A", "Speaker B"}, True),
    "coraal.txt": ("table", {"int_dana", "DCB_cust_01"}, True),
    "deepgram.json": ("json", {"Speaker 0", "Speaker 1"}, True),
    "descript.csv": ("table", {"Sam Okafor", "Gloria Stein"}, True),
    "descript.srt": ("srt", {"Andre Morris", "Dana Ruiz"}, True),
    "descript.txt": ("txt", {"Priya Nair", "Dana Ruiz"}, True),
    "excel.csv": ("table", {"Dana Ruiz", "Julia Novak"}, True),
    "fathom.md": ("markdown", {"Dana Ruiz (Northwind)", "Elliot Shaw"}, True),
    "gemini.docx": ("docx/txt", {"Dana Ruiz", "Nina Alvarez"}, True),
    "gemini.md": ("markdown", {"Dana Ruiz", "Rachel Kim"}, True),
    "gong.json": ("json", {"Dana Ruiz", "Carla Jimenez"}, True),
    "intl.txt": ("txt", {"Dana Ruiz", "田中 美咲", "+1 415 555 0134"}, False),
    "legacy.txt": ("txt", {"Dana Ruiz", "Luis Ortega"}, False),
    "meet.txt": ("txt", {"Dana Ruiz", "Ben Kowalski"}, True),
    "notepad.txt": ("txt", {"Dana Ruiz", "José Álvarez"}, False),
    "notes.md": ("markdown", {"Dana Ruiz", "Jen Alvarez", "Marcus Bell"}, True),
    "otter.srt": ("srt", {"Sam Okafor", "Tom Haskell"}, True),
    "otter.txt": ("txt", {"Maria de la Cruz", "Dana Ruiz", "Pete"}, True),  # Pete speaks once
    "rev.json": ("json", {"Dana Ruiz", "Nina Alvarez"}, True),
    "rev.srt": ("srt", {"Speaker 1", "Speaker 2"}, True),
    "rev.txt": ("txt", {"Speaker 1", "Speaker 2"}, True),
    "rev_inline.txt": ("txt", {"Dana Ruiz", "Kelly Brennan"}, True),
    "teams.docx": ("docx/txt", {"Sam Okafor", "Hannah Ritter"}, True),
    "teams.json": ("json", {"Dana Ruiz", "Samira Haddad"}, True),
    "teams.vtt": ("vtt", {"Dana Ruiz (Northwind)", "Ana Sofia Ribeiro (she/her)"}, True),
    "tldv.txt": ("txt", {"Dana Ruiz", "Megan Cho"}, True),
    "whisper.json": ("json", {"Speaker"}, True),
    "whisper.srt": ("srt", {"Speaker"}, True),
    "whisper.tsv": ("table", {"Speaker"}, True),
    "whisper.txt": ("txt", {"Speaker"}, False),
    "whisperx.json": ("json", {"SPEAKER_00", "SPEAKER_01"}, True),
    "whisperx.vtt": ("vtt", {"SPEAKER_00", "SPEAKER_01"}, True),
    "zoom.vtt": ("vtt", {"Dana Ruiz", "latha sriram", "John's iPhone"}, True),
}
# What must never be left in speech: timestamps, cue arrows, tags, markdown, links, entities, annotations.
_NOT_SPEECH = re.compile(r"\d{1,2}:\d{2}|-->|<[a-z/]|\*\*|\]\(|https?://|&[a-z]+;|&#\d+;|\[inaudible|\[crosstalk|"
                         r"\(pause|\(laughs|/unintelligible/|^\W|\\-", re.IGNORECASE)


def test_every_fixture_is_expected():
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_imports_with_its_speakers_timestamps_and_clean_speech(name):
    reader, speakers, timed = EXPECTED[name]
    t = parse_transcript(FIXTURES / name)
    assert t.format == reader
    assert {turn.speaker for turn in t.turns} == speakers
    assert all((turn.start is not None) == timed for turn in t.turns)
    for turn in t.turns:
        assert not _NOT_SPEECH.search(turn.text), (name, turn.text)
        assert not any(turn.text.startswith(f"{s}:") for s in speakers), (name, turn.text)


def turns(name):
    return [(t.speaker, t.text) for t in parse_transcript(FIXTURES / name).turns]


def test_content_line_with_a_colon_is_speech_not_a_speaker():
    jose = [text for speaker, text in turns("notepad.txt") if speaker == "José Álvarez"]
    assert any("Helio came in with a bundle, forecasting plus conversation intelligence, for less than we paid you. "
               "Price: they were 20% cheaper for the same seats" in text for text in jose)
    assert jose[-1].startswith("Note: the renewal notice")


def test_annotations_are_dropped_and_the_rest_kept_verbatim():
    rev = dict(turns("rev.txt")[3:4])
    assert rev["Speaker 2"] == ("Security review, mostly. Our infosec team asked for a SOC 2 Type II report and "
                                "you only had the Type I at the time.")
    coraal = turns("coraal.txt")[1][1]
    assert coraal.startswith("It went well, better than we expected. The reps actually opened the app")


def test_markdown_links_keep_their_words_and_entities_are_decoded():
    elliot = [text for speaker, text in turns("fathom.md") if speaker == "Elliot Shaw"][-1]
    assert "Also your reference call with Lumen Ledger was convincing." in elliot
    assert elliot.endswith("the mobile app is read-only & my reps want to update deals from the car.")
    jen = "We forecast in a shared workbook. It took my managers most of Friday."
    assert turns("notes.md")[1] == ("Jen Alvarez", jen)


def test_a_one_off_speaker_in_a_file_that_names_every_cue(tmp_path):
    cues = [("Dana Ruiz", "Why did you pick Clarion?"), ("Lee Park", "Price, mostly."), ("Dana Ruiz", "Anything else?"),
            ("Raj", "Their sync was live at a sister company."), ("Lee Park", "Right, IT trusted it.")]
    path = tmp_path / "zoom.vtt"
    path.write_text("WEBVTT\n\n" + "".join(f"{i}\n00:00:0{i}.000 --> 00:00:0{i}.900\n{n}: {t}\n\n"
                                            for i, (n, t) in enumerate(cues, 1)), encoding="utf-8")
    assert turns_of(path) == cues


def turns_of(path):
    return [(t.speaker, t.text) for t in parse_transcript(path).turns]


def test_otter_headings_and_footer():
    t = turns("otter.txt")
    assert t[-1] == ("Pete", "Just to add, finance signs off on the forecast now, which never happened before.")
    assert "otter.ai" not in t[-2][1]


def test_meet_header_sections_and_footer():
    t = parse_transcript(FIXTURES / "meet.txt")
    assert t.turns[0].text.startswith("Thanks Ben.")
    assert [turn.start for turn in t.turns] == [0.0] * 4 + [60.0] * 2
    assert "editable transcript" not in t.turns[-1].text and "Transcription ended" not in t.turns[-1].text
    gemini = parse_transcript(FIXTURES / "gemini.md")  # Gemini's markdown: `### 00:01:10` sections, `**Name:**`
    assert [turn.start for turn in gemini.turns] == [4.0] * 4 + [70.0] * 2
    assert gemini.turns[-1].text == "Pricing by lab rather than by seat. My finance lead asks every quarter."


def test_teams_vtt_guid_ids_multiline_cues_and_entities():
    t = parse_transcript(FIXTURES / "teams.vtt")
    assert t.turns[1].text == "Happy to. We have about twenty minutes before my next call."
    assert t.turns[3].text.endswith("That's the kind of thing you remember at renewal time.")
    assert t.turns[3].time_at(t.turns[3].text.index("That's")) == (26.87, 33.4)


def test_millisecond_formats_are_scaled_to_seconds():
    for name, first in (("assemblyai.json", (0.25, 2.48)), ("gong.json", (0.46, 6.9)), ("whisper.tsv", (0.0, 35.2))):
        turn = parse_transcript(FIXTURES / name).turns[0]
        assert (turn.start, turn.end) == first, name


def test_word_lists_are_joined_with_punctuation_attached():
    assert turns("amberscript.json")[1][1] == ("Field technicians log their visits offline, and your app was the "
                                              "only one that synced when they got signal back.")
    assert turns("rev.json")[1][1] == "The payments data never synced with our billing system. We reconciled by " \
                                      "hand every month."


def test_encodings_utf16_and_cp1252():
    assert turns("tldv.txt")[0] == ("Megan Cho", "Can you hear me? My headset is being weird.")
    legacy = parse_transcript(FIXTURES / "legacy.txt")
    assert "“property roll-up”" in legacy.turns[3].text
    assert any("cp1252" in w for w in legacy.warnings)
    assert parse_transcript(FIXTURES / "excel.csv").warnings == []  # UTF-8 with a BOM is Unicode


def test_format_is_detected_from_content_not_extension(tmp_path):
    vtt_as_txt = tmp_path / "zoom_export.txt"
    vtt_as_txt.write_bytes((FIXTURES / "zoom.vtt").read_bytes())
    assert parse_transcript(vtt_as_txt).format == "vtt"
    json_as_txt = tmp_path / "gong.txt"
    json_as_txt.write_bytes((FIXTURES / "gong.json").read_bytes())
    assert parse_transcript(json_as_txt).format == "json"
    assert choose("Line\tSpkr\tStTime\tContent\tEnTime\n1\ta\t0.1\thi\t0.5\n", ".txt").name == "table"


def test_learned_labels_need_repeats_unless_nothing_repeats():
    assert learn_labels(["Dana", "Lee", "Dana", "Price", "Lee"], 9) == {"Dana", "Lee"}
    assert learn_labels(["Dana", "Lee", "Dana", "Owen Pryce", "Speaker 3"], 5) == {"Dana", "Owen Pryce", "Speaker 3"}
    assert learn_labels(["Dana", "Ana"], 2) == {"Dana", "Ana"}
    assert learn_labels(["Dana", "Dana", "this sentence is far too long to be anybody's name really"], 3) == {"Dana"}
    assert learn_labels(["So here is the thing"], 12) == set()  # one colon in a page of prose: no speakers


def test_a_colon_in_speakerless_prose_loses_no_speech(tmp_path):
    path = tmp_path / "lecture.txt"
    path.write_text("Welcome back everyone.\nToday we cover pricing.\nSo here is the thing: buyers compare.\n"
                    "Then they negotiate.\n", encoding="utf-8")
    t = parse_transcript(path)
    said = "Welcome back everyone. Today we cover pricing. So here is the thing: buyers compare. Then they negotiate."
    assert [(x.speaker, x.text) for x in t.turns] == [("Speaker", said)]


@pytest.mark.parametrize("name,data,message", [
    ("cut.json", b'{"segments": [{"start": 0.0, "end": 2.5, "text": "We chose', "invalid JSON"),
    ("report.docx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF document"),
    ("empty.csv", b"", "empty transcript"),
    ("header.csv", b"Speaker,Start Time,End Time,Text\r\n", "header only"),
    ("scan.txt", bytes(range(256)) * 8, "unsupported format"),
])
def test_bad_files_raise_one_clear_error(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(TranscriptError, match=message) as exc:
        parse_transcript(path)
    if "unsupported" in str(exc.value) or "PDF" in str(exc.value):
        assert ".vtt" in str(exc.value) and ".docx" in str(exc.value)  # says what is supported


def test_every_reader_is_documented():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "imports.md").read_text(encoding="utf-8")
    for reader in READERS:
        assert f"`{reader.name}`" in doc


EXPORTS = Path(__file__).resolve().parent / "data" / "exports"
# More real export layouts (sources in docs/imports.md): file -> (reader, turns as (speaker, start, end, text))
EXPORT_TURNS = {
    "aws_transcribe.json": ("json", [
        ("Speaker 0", 0.04, 2.9, "Thanks for joining. Why did you pick us?"),
        ("Speaker 1", 3.2, 5.6, "Honestly the onboarding was fast.")]),
    "azure_batch.json": ("json", [
        ("Speaker 1", 0.08, 1.68, "What made you switch?"),
        ("Speaker 2", 2.2, 6.1, "We needed SSO, and your team turned it on in a day."),
        ("Speaker 1", 6.5, 8.0, "And what about pricing?"),
        ("Speaker 2", 8.4, 11.4, "Pricing was fine, a bit above the others.")]),
    "google_stt.json": ("json", [
        ("Speaker 1", 0.1, 1.2, "what made you switch?"), ("Speaker 2", 1.8, 2.9, "We needed SSO.")]),
    "whisper_cpp.json": ("json", [
        ("Speaker", 0.0, 9.0, ("We picked you because the reporting worked out of the box. The other tool needed a "
                              "consultant for every dashboard."))]),
    "meeting_saved_closed_caption.txt": ("txt", [
        ("Dana Ruiz", 2.0, 8.0, "Thanks for taking the time today. What made you look for a new tool?"),
        ("Priya Shah", 8.0, 21.0, ("Our old vendor kept breaking the Salesforce sync. We lost a week of pipeline data "
                                  "in June.")),
        ("Dana Ruiz", 21.0, 25.0, "And why did you pick us in the end?"),
        ("Priya Shah", 25.0, None, "Your sync never dropped a record in the trial.")]),
    "stream_notes.vtt": ("vtt", [
        ("Dana Ruiz", 1.0, 4.0, "So tell me about the rollout, how did it go?"),
        ("Priya Shah", 4.5, 12.0, "It went well. Our admins had it live in two weeks. The SSO setup was the slow part."),
        ("Dana Ruiz", 12.5, 14.0, "Why was that?"),
        ("Priya Shah", 14.2, 18.0, "Our IT team had a freeze in March.")]),
    "bom_crlf.srt": ("srt", [
        ("Dana Ruiz", 1.0, 3.5, "What made you leave?"),
        ("Priya Shah", 4.0, 8.0, "The price went up forty percent at renewal."),
        ("Dana Ruiz", 8.5, 10.0, "Did anyone reach out?"),
        ("Priya Shah", 10.5, 14.0, "Nobody from your side ever called us.")]),
    "youtube.sbv": ("srt", [
        ("DANA", 0.599, 4.16, "What made you cancel?"),
        ("PRIYA", 4.16, 11.0, "The reporting was too slow for our board. It took an hour to load a dashboard.")]),
}
# Teams' old transcripts: `0:0:5.320` times (Microsoft Graph's callTranscript VTT, the old .docx), the name alone on
# the cue's first line, and no blank lines between cues once copied out of Word.
_TEAMS_OLD = [("Dana Ruiz", 0.0, 3.68, "Thanks for joining. Why did you pick us?"),
              ("Priya Shah", 4.12, 9.99, "The Salesforce sync worked on day one."),
              ("Dana Ruiz", 10.5, 12.0, "Anything else?"),
              ("Priya Shah", 12.3, 16.8, "Your support team answered within the hour.")]
_FIREFLIES = [("Dana Ruiz", 0.5, 2.1, "What made you choose us?"),
              ("Priya Shah", 2.6, 5.5, "Mostly the Salesforce sync. It just worked on day one."),
              ("Dana Ruiz", 6.0, 6.9, "And support?"),
              ("Priya Shah", 7.2, 9.8, "Support answered within the hour every time.")]
EXPORT_TURNS |= {"fireflies_api.json": ("json", _FIREFLIES), "fireflies_sentences.json": ("json", _FIREFLIES),
                 "hf_pipeline.json": ("json", [("Speaker", 0.0, 7.2, "We chose you for the API. The docs were clear.")]),
                 "insanely_fast_whisper.json": ("json", [
                     ("SPEAKER_00", 0.0, 2.4, "Why did you leave us?"),
                     ("SPEAKER_01", 2.9, 7.5, "The renewal price doubled and nobody called.")]),
                 "speaker_range.txt": ("txt", EXPORT_TURNS["bom_crlf.srt"][1]),  # the same talk, as text lines
                 "meet_captions.vtt": ("vtt", [
                     ("Danyel Fisher", 8.0, 16.0, ("I wanted to start with a little background on how you picked a "
                                                  "vendor. What did the shortlist look like?")),
                     ("Dana Bettinger", 12.0, 16.0, "Three tools, and yours was the only one with SSO."),
                     ("Danyel Fisher", 16.0, 20.0, "And the price?"),
                     ("Dana Bettinger", 16.0, 20.0, "A bit higher, but the rollout was faster.")]),
                 "teams_graph.vtt": ("vtt", _TEAMS_OLD), "teams_word.txt": ("srt", _TEAMS_OLD)}


def test_every_export_sample_is_expected():
    assert sorted(p.name for p in EXPORTS.iterdir() if p.is_file()) == sorted(EXPORT_TURNS)


@pytest.mark.parametrize("name", sorted(EXPORT_TURNS))
def test_export_sample_reads_its_speakers_times_and_speech(name):
    """Amazon Transcribe and Google word lists, Azure ticks, whisper.cpp milliseconds, Fireflies' API response,
    Zoom's saved captions (`[Name] 00:00:02` headings), WebVTT with STYLE/NOTE blocks, cue settings and CRLF, an
    SRT with a BOM and <font>/<b> tags, YouTube's SBV with `>>` speaker marks, Hugging Face's `chunks` and
    insanely-fast-whisper's diarized `speakers`, `[Name] [start --> end]: text` lines, Google Meet's caption VTT
    (`(Name)` lines, two speakers in one cue, a `(laughs)` line that is no speaker)."""
    reader, expected = EXPORT_TURNS[name]
    t = parse_transcript(EXPORTS / name)
    assert t.format == reader
    assert [(x.speaker, x.start, x.end, x.text) for x in t.turns] == expected


def test_teams_old_docx_layout(tmp_path):
    """The .docx Teams wrote before 2022: one paragraph per line of timing, name and speech."""
    import docx

    document = docx.Document()
    for line in (EXPORTS / "teams_word.txt").read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    document.save(tmp_path / "teams_old.docx")
    t = parse_transcript(tmp_path / "teams_old.docx")
    assert t.format == "docx/srt"
    assert [(x.speaker, x.start, x.end, x.text) for x in t.turns] == _TEAMS_OLD


def test_time_of_day_stamps_become_times_from_the_first_line(tmp_path):
    """Zoom's saved captions stamp the time of day: an interview does not start 14 hours in, so times count from
    the first line, and a call that runs past midnight keeps counting up."""
    path = tmp_path / "meeting_saved_closed_caption.txt"
    path.write_text("[Dana Ruiz] 23:58:02\nWhat made you look for a new tool?\n\n"
                    "[Priya Shah] 23:58:10\nOur old vendor kept breaking the Salesforce sync.\n\n"
                    "[Dana Ruiz] 00:01:05\nAnd in the end?\n\n"
                    "[Priya Shah] 00:01:09\nYour sync never dropped a record.\n", encoding="utf-8")
    turns = parse_transcript(path).turns
    assert [(t.speaker, t.start, t.end) for t in turns] == [
        ("Dana Ruiz", 0.0, 8.0), ("Priya Shah", 8.0, 183.0), ("Dana Ruiz", 183.0, 187.0), ("Priya Shah", 187.0, None)]
    assert turns[1].text == "Our old vendor kept breaking the Salesforce sync."


# Layouts of real exports that public repositories hold (docs/imports.md names them); each case is written here in
# the export's own shape, cut to the lines that matter.

def test_zoom_saved_captions_with_last_first_display_names(tmp_path):
    """Corporate and university Zoom accounts show "Last, First": the comma must not turn every label into speech."""
    path = tmp_path / "meeting_saved_closed_caption.txt"
    path.write_text("[Birje, Shreya Rajendra] 13:00:52\nCan you hear me?\n\n"
                    "[Rembhotkar, Simantini] 13:01:02\nYes. So what made you pick the tool?\n\n"
                    "[Birje, Shreya Rajendra] 13:01:06\nThe Salesforce sync, mostly.\n", encoding="utf-8")
    turns = parse_transcript(path).turns
    assert [(t.speaker, t.start, t.text) for t in turns] == [
        ("Birje, Shreya Rajendra", 0.0, "Can you hear me?"),
        ("Rembhotkar, Simantini", 10.0, "Yes. So what made you pick the tool?"),
        ("Birje, Shreya Rajendra", 14.0, "The Salesforce sync, mostly.")]


def test_a_one_off_comma_label_in_prose_stays_speech():
    assert learn_labels(["Dana Ruiz", "Dana Ruiz", "Okay, Great"], 3) == {"Dana Ruiz"}


def test_gemini_notes_and_transcript_reads_only_the_transcript(tmp_path):
    """Gemini's "Notes + Transcript" document: the AI's notes come first (bold topic heads, checkboxes), the
    speech after `# 📖 Transcript`, with section times as heading attributes (`### 00:01:34 {#00:01:34}`)."""
    path = tmp_path / "gemini_notes.md"
    path.write_text(
        "# 📝 Notes\n\nFeb 19, 2026\n\n### Details\n\n"
        "* **Page Design Timeline**: Abdirahim Arrale mentioned postponing the design ([00:00:00](#00:00:00)).\n\n"
        "### Suggested next steps\n\n- [ ] Dawid Snyders will create a ticket.\n\n"
        "# 📖 Transcript\n\nFeb 19, 2026\n\n## Meeting Feb 19, 2026 at 16:19 SAST \\- Transcript\n\n"
        "### 00:00:00 {#00:00:00}\n\n**Abdirahim Arrale:** Why did you renew?\n\n"
        "**Dawid Snyders:** The reporting, honestly.\n\n"
        "### 00:01:34 {#00:01:34}\n\n**Abdirahim Arrale:** Anything else?\n\n"
        "**Dawid Snyders:** Support answered the same day.\n", encoding="utf-8")
    turns = parse_transcript(path).turns
    assert [(t.speaker, t.start, t.text) for t in turns] == [
        ("Abdirahim Arrale", 0.0, "Why did you renew?"), ("Dawid Snyders", 0.0, "The reporting, honestly."),
        ("Abdirahim Arrale", 94.0, "Anything else?"), ("Dawid Snyders", 94.0, "Support answered the same day.")]


def test_youtube_captions_sound_cues_and_change_dashes_are_not_speech(tmp_path):
    path = tmp_path / "captions.en.vtt"
    path.write_text("WEBVTT\nKind: captions\nLanguage: en\n\n00:00:00.014 --> 00:00:02.597\n(upbeat music)\n\n"
                    "00:00:07.726 --> 00:00:11.510\n- Hi, everyone. Danny here\nfrom the show.\n\n"
                    "00:00:11.510 --> 00:00:13.950\n[audience laughing] And today\n", encoding="utf-8")
    turns = parse_transcript(path).turns
    assert [(t.speaker, t.text) for t in turns] == [("Speaker", "Hi, everyone. Danny here from the show. And today")]


def test_teams_vtt_voice_names_with_entities_are_decoded(tmp_path):
    """Teams writes accents in a voice tag as entities; the interviewer column names "Carlos Farías"."""
    path = tmp_path / "teams.vtt"
    path.write_text("WEBVTT\n\n00:00:05.485 --> 00:00:06.325\n<v Carlos Far&#237;as>Why did you leave?</v>\n\n"
                    "00:00:07.000 --> 00:00:09.000\n<v Mauricio Cruzat>The price went up.</v>\n", encoding="utf-8")
    assert [t.speaker for t in parse_transcript(path).turns] == ["Carlos Farías", "Mauricio Cruzat"]


def test_srt_cue_of_several_paragraphs_and_time_of_day_stamps(tmp_path):
    path = tmp_path / "interview.srt"
    path.write_text("1\n18:16:56,181 --> 18:17:03,435\nHost: What slowed you down?\n\n"
                    "2\n18:17:03,435 --> 18:17:10,689\nGuest: Two things. The setup took months.\n\n"
                    "And the sync broke every release.\n\n"
                    "3\n18:17:10,689 --> 18:17:38,761\nHost: Thanks.\n\n"
                    "4\n18:17:38,761 --> 18:17:40,000\nGuest: Bye.\n", encoding="utf-8")
    turns = parse_transcript(path).turns
    assert [(t.speaker, t.start, t.end, t.text) for t in turns] == [
        ("Host", 0.0, 7.254, "What slowed you down?"),
        ("Guest", 7.254, 14.508, "Two things. The setup took months. And the sync broke every release."),
        ("Host", 14.508, 42.58, "Thanks."), ("Guest", 42.58, 43.819, "Bye.")]
    bad = tmp_path / "bad.srt"
    bad.write_text("Some notes first\n\n1\n00:00:01,000 --> 00:00:02,000\nHost: Hi\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match="block without a timing line"):
        parse_transcript(bad)


def test_whisperx_segment_without_a_speaker_continues_the_one_before(tmp_path):
    import json
    path = tmp_path / "audio.json"
    path.write_text(json.dumps({"segments": [
        {"start": 0.0, "end": 2.0, "text": "Why did you buy?", "speaker": "SPEAKER_00"},
        {"start": 2.5, "end": 5.0, "text": "The forecast.", "speaker": "SPEAKER_01"},
        {"start": 5.0, "end": 6.0, "text": "And the support."},
        {"start": 6.5, "end": 7.0, "text": "Thanks.", "speaker": "SPEAKER_00"}]}), encoding="utf-8")
    turns = parse_transcript(path).turns
    assert [(t.speaker, t.text) for t in turns] == [
        ("SPEAKER_00", "Why did you buy?"), ("SPEAKER_01", "The forecast. And the support."),
        ("SPEAKER_00", "Thanks.")]


def test_a_renamed_speech_column_is_found_by_its_last_word(tmp_path):
    path = tmp_path / "transcript.tsv"
    path.write_text("start\tend\tRaw transcription\tCorrected transcription\n"
                    "0\t9360\tthe sink broke\tthe sync broke\n9360\t17440\tevery week\tevery week\n",
                    encoding="utf-8")
    assert [t.text for t in parse_transcript(path).turns] == ["the sync broke every week"]


def test_a_write_ups_notes_and_next_steps_below_the_conversation_are_never_speech(tmp_path):
    # shaped like public sales-call write-ups: a rule then `**Call Notes:**` bullets, or a `## Next Steps` heading
    path = tmp_path / "call.md"
    path.write_text("# Discovery Call\n\n**Date:** 2024-01-15\n\n## Transcript\n\n"
                    "**Jane:** Can you tell me about your current challenges?\n\n"
                    "**John:** Proposals take too long and we lose deals because of it.\n\n"
                    "**Jane:** How many a month?\n\n**John:** Around 50. Each takes two days.\n\n"
                    "## Next Steps\n\n- Schedule follow-up demo\n- Send pricing information\n\n---\n\n"
                    "**Call Notes - What Went Wrong:**\n- Led with jargon\n- Pushy when prospect showed disinterest\n",
                    encoding="utf-8")
    t = parse_transcript(path)
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("Jane", "Can you tell me about your current challenges?"),
        ("John", "Proposals take too long and we lose deals because of it."),
        ("Jane", "How many a month?"), ("John", "Around 50. Each takes two days.")]
    # a rule between parts of one conversation: a speaker already heard reopens it
    path.write_text("**Jane:** Why did you leave?\n\n**John:** The sync broke.\n\n---\n\n"
                    "**Jane:** And support?\n\n**John:** Slow, days per ticket.\n", encoding="utf-8")
    assert [x.speaker for x in parse_transcript(path).turns] == ["Jane", "John", "Jane", "John"]
    # an export that rules off every turn: each speaker's first turn, after a rule, is still speech
    path.write_text("**Jane:** Why did you leave?\n\n---\n\n**John:** The sync broke.\n\n---\n\n"
                    "**Jane:** And support?\n\n---\n\n**John:** Slow, days per ticket.\n", encoding="utf-8")
    assert [x.speaker for x in parse_transcript(path).turns] == ["Jane", "John", "Jane", "John"]


def test_markdown_heading_speakers_in_a_txt_file(tmp_path):
    # a write-up saved as .txt with `### Name (00:03)` headings, the speech on the lines below
    path = tmp_path / "acme.txt"
    path.write_text("# Interview with Acme Corp\n\n### Interviewer (00:03)\nWhy did you leave?\n\n"
                    "### Dana Whitfield (00:15)\nThe reporting never worked.\n\nAnd support took days.\n\n"
                    "### Interviewer (01:02)\nWhat would have kept you?\n\n"
                    "### Dana Whitfield (01:10)\nA working sync.\n")
    t = parse_transcript(path)
    assert t.format == "markdown"
    assert [(x.speaker, x.start, x.text) for x in t.turns] == [
        ("Interviewer", 3.0, "Why did you leave?"),
        ("Dana Whitfield", 15.0, "The reporting never worked. And support took days."),
        ("Interviewer", 62.0, "What would have kept you?"),
        ("Dana Whitfield", 70.0, "A working sync.")]


def test_a_write_up_loses_its_header_block_section_titles_and_page_furniture(tmp_path):
    path = tmp_path / "northwind.txt"
    path.write_text(
        "Win/Loss Interview — Northwind Logistics\nDate: 12 March 2024\nInterviewer: Jordan Lee (PMM)\n"
        "Respondent: Sarah Chen, VP Operations\nOutcome: Lost\n\n"
        "Interviewer: How did the evaluation start?\nRespondent: We had outgrown spreadsheets.\n"
        "Section 2: Pricing and Packaging\n"
        "Interviewer: How did pricing compare?\nRespondent: You were 30% more expensive than Cartwell.\n"
        "Northwind Logistics | Confidential | Page 2 of 4\n"
        "Interviewer: Anything else?\nRespondent: Honestly, the demo was great.\n"
        "[00:08:12] But the Salesforce sync worried our admin. (00:09:30): Twice it broke.\n"
        "Interviewer: Thank you.\n")
    turns = parse_transcript(path).turns
    assert [(t.speaker, t.text) for t in turns] == [
        ("Interviewer", "How did the evaluation start?"),
        ("Respondent", "We had outgrown spreadsheets."),
        ("Interviewer", "How did pricing compare?"),
        ("Respondent", "You were 30% more expensive than Cartwell."),
        ("Interviewer", "Anything else?"),
        ("Respondent", "Honestly, the demo was great. But the Salesforce sync worried our admin. Twice it broke."),
        ("Interviewer", "Thank you.")]
    # each stamped paragraph is a cue of its own, so a quote from it carries its time
    last = turns[5]
    assert [(last.text[offset:offset + 10], start) for offset, start, _ in last.cues] == [
        ("Honestly, ", None), ("But the Sa", 492.0), ("Twice it b", 570.0)]


def test_a_file_that_opens_with_turns_keeps_them(tmp_path):
    # no key names the interview (Date, Company ...): the opening lines are speech, short as they are
    path = tmp_path / "short.txt"
    path.write_text("Jordan: Hi\nSarah: Hello there\nJordan: Why did you choose us?\nSarah: The onboarding.\n")
    assert [t.text for t in parse_transcript(path).turns] == [
        "Hi", "Hello there", "Why did you choose us?", "The onboarding."]


def test_markdown_name_headings_and_section_headings(tmp_path):
    path = tmp_path / "fieldway.md"
    path.write_text("# Churn interview — Fieldway\n\n**Date:** 2024-05-02\n**Company:** Fieldway\n"
                    "**Respondent:** Omar Haddad\n\n## Interviewer\nWhy did you cancel?\n\n## Omar Haddad\n"
                    "The reporting kept breaking. \\[00:04:10.50\\] We raised it four times.\n\n## Background\n\n"
                    "## Interviewer\nWould anything bring you back?\n\n## Omar Haddad\nA working API.\n")
    turns = parse_transcript(path).turns
    assert [(t.speaker, t.text) for t in turns] == [
        ("Interviewer", "Why did you cancel?"),
        ("Omar Haddad", "The reporting kept breaking. We raised it four times."),
        ("Interviewer", "Would anything bring you back?"),
        ("Omar Haddad", "A working API.")]
    assert turns[1].cues[1][1] == 250.5


def test_a_contact_centre_export_reads_its_channels_as_speakers(tmp_path):
    call = {"contactId": "58213", "agentName": "Jordan", "interwovenTranscript": {"transcriptBlock": [
        {"channelName": "Agent", "text": "Why did you move away?", "startTime": "00:00:03"},
        {"channelName": "Customer", "text": "The <unk> reporting never loaded.", "startTime": "00:00:09"},
        {"channelName": "Agent", "text": "What did you need?", "startTime": "00:00:20"},
        {"channelName": "Customer", "text": "A sync that did not break.", "startTime": "00:00:25"}]}}
    path = tmp_path / "cxone.json"
    path.write_text(json.dumps([call]))
    assert [(t.speaker, t.start, t.end, t.text) for t in parse_transcript(path).turns] == [
        ("Agent", 3.0, 9.0, "Why did you move away?"),
        ("Customer", 9.0, 20.0, "The reporting never loaded."),
        ("Agent", 20.0, 25.0, "What did you need?"),
        ("Customer", 25.0, None, "A sync that did not break.")]
    path.write_text(json.dumps([call, call]))
    with pytest.raises(TranscriptError, match="holds 2 calls.*one interview a file"):
        parse_transcript(path)


def test_json_speakers_as_objects_times_in_ms_or_stamps_and_json_lines(tmp_path):
    # shapes of public exports: Fathom's speaker object with a "timestamp" stamp, Zoom's participant and start_ms,
    # and JSON Lines (one object a line)
    fathom = {"transcript": [
        {"speaker": {"display_name": "Alex", "matched_calendar_invitee_email": "a@example.com"},
         "text": "Our demos keep getting no-shows.", "timestamp": "00:00:05"},
        {"speaker": {"display_name": "Maya", "matched_calendar_invitee_email": "m@example.com"},
         "text": "How often does that happen?", "timestamp": "00:00:12"}]}
    zoom = {"meeting_uuid": "x", "utterances": [
        {"participant": "Adi Tiwari", "start_ms": 14640, "end_ms": 15980, "text": "Why did you cancel?"},
        {"participant": "UnknownChannel2", "start_ms": 16800, "end_ms": 18260, "text": "The sync kept failing."}]}
    lines = [{"speaker_id": "c-91", "text": "I cannot reset my password.", "timestamp": "00:00:05"},
             {"speaker_id": "agent-2", "text": "Can you tell me what you see?", "timestamp": "00:00:10"}]
    (tmp_path / "fathom.json").write_text(json.dumps(fathom), encoding="utf-8")
    (tmp_path / "zoom.json").write_text(json.dumps(zoom), encoding="utf-8")
    (tmp_path / "calls.json").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    turns = lambda name: [(t.speaker, t.start, t.end, t.text) for t in parse_transcript(tmp_path / name).turns]  # noqa: E731
    assert turns("fathom.json") == [("Alex", 5.0, 12.0, "Our demos keep getting no-shows."),
                                    ("Maya", 12.0, None, "How often does that happen?")]
    assert turns("zoom.json") == [("Adi Tiwari", 14.64, 15.98, "Why did you cancel?"),
                                  ("UnknownChannel2", 16.8, 18.26, "The sync kept failing.")]
    assert turns("calls.json") == [("c-91", 5.0, 10.0, "I cannot reset my password."),
                                   ("agent-2", 10.0, None, "Can you tell me what you see?")]
    # a file cut off mid-object is still an incomplete file, not JSON Lines
    (tmp_path / "cut.json").write_text('{"text": "a"}\n{"text": "b', encoding="utf-8")
    with pytest.raises(TranscriptError, match="is the file complete"):
        parse_transcript(tmp_path / "cut.json")
