"""Audio stage on real recordings with the bundled tiny.en model and Resemblyzer (short files only)."""
import json
import shutil
import struct
from pathlib import Path

import av
import jiwer
import numpy as np
import pytest
import soundfile as sf

from winloss.audio import AudioSettings, ensure_transcripts
from winloss.audio.metrics import diarization_error, read_rttm
from winloss.interviews.transcripts import parse_transcript
from winloss.models import Interview

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
pytestmark = pytest.mark.shared_data  # real speech from ../shared/data
FIXTURES = ROOT / "fixtures" / "audio"
JFK = SHARED / "faster_whisper_audio" / "jfk.flac"
STEREO = SHARED / "faster_whisper_audio" / "stereo_diarization.wav"
SETTINGS = AudioSettings(threads=2)


def interview(iid: str, path: Path, interviewers: tuple[str, ...] = ()) -> Interview:
    return Interview(iid, "won", Path(path).resolve(), 2, interviewers=interviewers)


def wer(reference: str, hypothesis: str) -> float:
    clean = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(),
                           jiwer.Strip(), jiwer.ReduceToListOfListOfWords()])
    return jiwer.wer(reference, hypothesis, reference_transform=clean, hypothesis_transform=clean)


@pytest.fixture(scope="module")
def two_voice_run(tmp_path_factory):
    study = tmp_path_factory.mktemp("two_voices")
    batch = ensure_transcripts(study, [interview("int-1", FIXTURES / "two_voices.ogg")], SETTINGS, progress=False)
    return study, batch


def test_transcribes_real_speech_with_the_bundled_model(tmp_path):
    batch = ensure_transcripts(tmp_path, [interview("jfk", JFK)], SETTINGS, progress=False)
    assert batch.problems == []
    vtt = batch.paths["jfk"]
    assert vtt == tmp_path / "transcripts" / "jfk.vtt"
    assert vtt.read_text().startswith("WEBVTT\n\n")
    text = " ".join(t.text for t in parse_transcript(vtt).turns)
    reference = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
    assert wer(reference, text) <= 0.05
    assert batch.summary["run"]["transcribed"] == 1 and batch.summary["audio_seconds"] == pytest.approx(11.0, abs=0.1)


def test_stereo_call_is_split_by_channel(tmp_path):
    batch = ensure_transcripts(tmp_path, [interview("call", STEREO)], SETTINGS, progress=False)
    info = batch.summary["files"]["call"]
    assert info["layout"] == "stereo-split" and info["speakers"] == 2
    turns = parse_transcript(batch.paths["call"]).turns
    by_speaker = {}
    for turn in turns:
        by_speaker.setdefault(turn.speaker, []).append(turn.text)
    assert len(by_speaker) == 2
    left = next(s for s, texts in by_speaker.items() if "wizard" in " ".join(texts).lower())
    right = next(s for s, texts in by_speaker.items() if "horizon" in " ".join(texts).lower())
    assert left != right
    assert "horizon" not in " ".join(by_speaker[left]).lower()
    assert wer("he began a confused complaint against the wizard who had vanished behind the curtain on the left",
               " ".join(by_speaker[left])) <= 0.1


def test_interviewer_channel_setting_names_the_interviewer(tmp_path):
    settings = AudioSettings(threads=2, interviewer_channel="right")
    batch = ensure_transcripts(tmp_path, [interview("call", STEREO)], settings, progress=False)
    turns = parse_transcript(batch.paths["call"]).turns
    assert {t.speaker for t in turns if "horizon" in t.text.lower()} == {"Interviewer"}
    assert batch.summary["files"]["call"]["interviewer_method"] == "channel"


def test_two_voice_fixture_is_diarized_and_the_interviewer_found(two_voice_run):
    _, batch = two_voice_run
    truth = json.loads((FIXTURES / "two_voices.json").read_text())["turns"]
    turns = parse_transcript(batch.paths["int-1"]).turns
    assert {t.speaker for t in turns} == {"Interviewer", "Customer 1"}
    hypothesis = [(t.start, t.end, t.speaker) for t in turns]
    reference = [(t["start"], t["end"], t["speaker"]) for t in truth]
    result = diarization_error(reference, hypothesis, collar=0.25)
    assert result.mapping == {"Interviewer": "Interviewer", "Customer 1": "Customer 1"}
    assert result.confusion == 0.0 and result.der < 0.15
    customer_text = " ".join(t.text for t in turns if t.speaker == "Customer 1").lower()
    assert "onboarding" in customer_text and "vendor" not in customer_text


def test_phone_call_is_split_in_two_and_flagged_unsure(tmp_path):
    folder = SHARED / "pyannote_sample_conversation"
    batch = ensure_transcripts(tmp_path, [interview("call", folder / "sample.wav")], SETTINGS, progress=False)
    turns = parse_transcript(batch.paths["call"]).turns
    hypothesis = [(t.start, t.end, t.speaker) for t in turns]
    result = diarization_error(read_rttm((folder / "sample.rttm").read_text()), hypothesis, collar=0.25)
    assert batch.summary["files"]["call"]["speakers"] == 2 and result.der < 0.25
    assert any("sound alike" in w for w in batch.summary["warnings"])  # Resemblyzer on telephone speech


def test_manifest_name_labels_the_interviewer(tmp_path):
    batch = ensure_transcripts(tmp_path, [interview("int-1", FIXTURES / "two_voices_stereo.ogg", ("Dana Ruiz",))],
                               SETTINGS, progress=False)
    turns = parse_transcript(batch.paths["int-1"]).turns
    asks = [t for t in turns if "vendor" in t.text]
    assert asks and {t.speaker for t in asks} == {"Dana Ruiz"}
    assert {t.speaker for t in turns} == {"Dana Ruiz", "Customer 1"}


def test_cache_rerun_transcribes_nothing_and_keeps_hand_edits(two_voice_run, tmp_path):
    study, first = two_voice_run
    vtt = first.paths["int-1"]
    written = vtt.read_bytes()
    mtime = vtt.stat().st_mtime_ns

    again = ensure_transcripts(study, [interview("int-1", FIXTURES / "two_voices.ogg")], SETTINGS, progress=False)
    assert again.summary["run"]["transcribed"] == 0 and again.summary["run"]["cache_hits"] == 1
    assert vtt.read_bytes() == written and vtt.stat().st_mtime_ns == mtime

    # The same audio under another name is the same recording; a new recording is the only work.
    copy = tmp_path / "renamed.ogg"
    shutil.copy(FIXTURES / "two_voices.ogg", copy)
    more = ensure_transcripts(study, [interview("int-1", FIXTURES / "two_voices.ogg"), interview("int-2", copy),
                                      interview("int-3", JFK)], SETTINGS, progress=False)
    assert more.summary["run"]["transcribed"] == 1 and more.summary["run"]["cache_hits"] == 2
    assert more.summary["run"]["status"]["int-3"] == "transcribed"

    # A hand correction is never overwritten; a deleted transcript comes back from the cache.
    edited = written.replace(b"Our road tool", b"Our old tool")
    vtt.write_bytes(edited)
    (study / "transcripts" / "renamed.vtt").unlink()
    last = ensure_transcripts(study, [interview("int-1", FIXTURES / "two_voices.ogg"), interview("int-2", copy)],
                              SETTINGS, progress=False)
    assert vtt.read_bytes() == edited
    assert last.summary["run"]["status"]["int-1"] == "kept hand-edited transcript"
    assert last.summary["run"]["transcribed"] == 0 and (study / "transcripts" / "renamed.vtt").exists()


def test_a_transcript_another_interview_uses_is_never_taken_over(tmp_path):
    theirs = tmp_path / "transcripts" / "jfk.vtt"
    theirs.parent.mkdir()
    theirs.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Dana>Hello there?\n", encoding="utf-8")
    batch = ensure_transcripts(tmp_path, [interview("typed", theirs), interview("rec", JFK)], SETTINGS, progress=False)
    assert batch.paths["rec"] == tmp_path / "transcripts" / "jfk.rec.vtt"
    assert "Hello there?" in theirs.read_text() and "country" in batch.paths["rec"].read_text()
    assert "typed" not in batch.paths  # transcripts are the importer's business


def _wav_with_unknown_codec(path: Path) -> None:
    data = b"\x01\x02" * 16000
    fmt = struct.pack("<HHIIHH", 0x7777, 1, 16000, 32000, 2, 16)
    path.write_bytes(b"RIFF" + struct.pack("<I", 20 + len(fmt) + len(data)) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt))
                     + fmt + b"data" + struct.pack("<I", len(data)) + data)


def _video_without_sound(path: Path) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 20, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_bad_audio_gets_one_clear_problem_each_and_the_batch_continues(tmp_path):
    rec = tmp_path / "recordings"
    rec.mkdir()
    (rec / "empty.wav").write_bytes(b"")
    (rec / "corrupt.mp3").write_bytes(b"ID3" + bytes(range(256)) * 20)
    sf.write(rec / "silent.wav", np.zeros(32000, dtype=np.float32), 16000)
    noise = np.random.default_rng(0).normal(0, 0.02, 48000).astype(np.float32)
    sf.write(rec / "hiss.flac", noise, 16000)
    _wav_with_unknown_codec(rec / "codec.wav")
    _video_without_sound(rec / "screen.mp4")
    bad = {"empty.wav": "empty file", "corrupt.mp3": "not a readable audio file", "silent.wav": "silent recording",
           "hiss.flac": "no speech found", "codec.wav": "unsupported audio codec",
           "screen.mp4": "video without an audio track", "missing.m4a": "recording not found"}
    interviews = [interview(name, rec / name) for name in bad] + [interview("jfk", JFK)]
    batch = ensure_transcripts(tmp_path, interviews, SETTINGS, progress=False)
    assert set(batch.paths) == {"jfk"}
    messages = {p.interview_id: (p.where, p.message) for p in batch.problems}
    assert set(messages) == set(bad)
    for name, expected in bad.items():
        where, message = messages[name]
        assert where.endswith(name) and expected in message and "\n" not in message, (name, message)
        assert str(rec) not in message  # the path is said once, in `where`
    assert batch.summary["failed"] == len(bad) and batch.summary["run"]["transcribed"] == 1


def test_unavailable_model_is_a_problem_per_file_not_a_crash(tmp_path):
    settings = AudioSettings(model=str(tmp_path / "no-such-model"), threads=2)
    batch = ensure_transcripts(tmp_path, [interview("jfk", JFK)], settings, progress=False)
    assert batch.paths == {} and "cannot load whisper model" in batch.problems[0].message


def test_der_matches_hand_computed_values():
    reference = read_rttm((SHARED / "pyannote_sample_conversation" / "sample.rttm").read_text())
    assert diarization_error(reference, reference).der == 0.0
    swapped = [(s, e, {"speaker90": "B", "speaker91": "A"}[k]) for s, e, k in reference]
    assert diarization_error(reference, swapped).der == 0.0  # labels are mapped, not compared
    one = [(0.0, 10.0, "a")]
    assert diarization_error(one, [(0.0, 5.0, "x"), (5.0, 10.0, "y")]).der == pytest.approx(0.5)
    assert diarization_error(one, [(0.0, 8.0, "x")]).missed == pytest.approx(2.0)
    assert diarization_error(one, [(0.0, 12.0, "x")]).false_alarm == pytest.approx(2.0)
