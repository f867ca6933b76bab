"""Turn times from the speech itself: whisper's word times snapped to voice-activity regions."""
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from winloss.audio import AudioSettings, decode
from winloss.audio.diarize import pieces_from_words, words_of
from winloss.audio.metrics import diarization_error, read_rttm
from winloss.audio.recording import transcribe_audio
from winloss.audio.speakers import build_turns
from winloss.audio.timing import snap_words, vad_regions
from winloss.audio.transcribe import Word, load_model, transcribe

CALL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pyannote_sample_conversation" / "sample.wav"
needs_call = pytest.mark.skipif(not CALL.is_file(), reason=f"needs the shared pyannote sample ({CALL} absent)")


def test_a_regions_words_cover_it_and_hand_over_in_the_middle_of_the_gap():
    words = [Word(1.10, 1.40, " So"), Word(1.50, 1.90, " why?"), Word(2.30, 2.60, " Price."), Word(5.0, 5.2, " Um")]
    snapped = snap_words(words, [(1.0, 2.8)])
    assert [(w.start, w.end) for w in snapped[:3]] == [(1.0, 1.45), (1.45, 2.1), (2.1, 2.8)]
    assert snapped[3] == words[3]  # in no region: whisper's own times
    assert [w.text for w in snapped] == [w.text for w in words]  # times only: never the words


def test_a_word_spanning_two_regions_belongs_to_the_one_it_overlaps_most():
    words = [Word(0.2, 0.5, " Yes"), Word(0.9, 2.0, " well"), Word(2.4, 2.8, " no")]
    snapped = snap_words(words, [(0.1, 1.1), (1.4, 3.0)])
    assert (snapped[0].start, snapped[0].end) == (0.1, 1.1)  # alone in the first region
    assert (snapped[1].start, snapped[1].end) == pytest.approx((1.4, 2.2))
    assert (snapped[2].start, snapped[2].end) == pytest.approx((2.2, 3.0))


def test_snapped_pieces_end_at_silences_so_cues_time_the_speech():
    words = snap_words([Word(0.0, 0.4, " Fine"), Word(0.5, 0.9, " thanks"), Word(1.6, 2.0, " and")],
                       [(0.0, 1.0), (1.5, 2.1)])
    voices = np.zeros(3, dtype=int)
    pieces = pieces_from_words(words, voices, np.ones(3), pause=0.01)
    assert [(p.start, p.end, p.text) for p in pieces] == [(0.0, 1.0, "Fine thanks"), (1.5, 2.1, "and")]
    assert len(build_turns(pieces, {0: "Customer 1"})) == 2  # the 0.5 s pause is not counted as speech


@needs_call
def test_snapping_brings_the_real_calls_turn_times_closer_to_the_reference():
    settings = AudioSettings(threads=2)
    audio = decode.load(CALL, decode.probe(CALL))
    reference = read_rttm(CALL.with_suffix(".rttm").read_text())
    dia = transcribe_audio(load_model(settings), audio, settings)
    names = {v: str(v) for v in range(9)}
    snapped = diarization_error(reference, [(t.start, t.end, t.speaker) for t in build_turns(dia.pieces, names)])
    # The same words and voices with whisper's own times, cut at its pauses of 0.5 s.
    with threadpool_limits(limits=1, user_api="blas"):  # as the stage transcribes: the same word times
        words = words_of(transcribe(load_model(settings), audio.channels[0], settings))
    voices = {(round(s, 3), round(e, 3)): v for s, e, v in dia.words}
    whisper = pieces_from_words(words, np.array([voices[(round(w.start, 3), round(w.end, 3))] for w in words]),
                                np.ones(len(words)))
    before = diarization_error(reference, [(t.start, t.end, t.speaker) for t in build_turns(whisper, names)])
    assert snapped.false_alarm + snapped.missed < before.false_alarm + before.missed
    assert snapped.der < before.der
    assert vad_regions(audio.channels[0])  # the call has speech regions at all
