"""The numpy speaker encoder is Resemblyzer's network, on real speech, and the audio stage no longer loads torch."""
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from winloss.audio import decode
from winloss.audio.diarize import cosine_silhouette
from winloss.audio.encoders import mel_power, speaker_encoder

ROOT = Path(__file__).resolve().parents[1]
CALL = ROOT.parent / "shared" / "data" / "pyannote_sample_conversation" / "sample.wav"
needs_call = pytest.mark.skipif(not CALL.is_file(), reason=f"needs the shared pyannote sample ({CALL} absent)")


def _clips():
    audio = decode.load(CALL, decode.probe(CALL)).channels[0]
    starts = np.arange(0.0, 24.0, 3.0)
    # Full 1.5 s windows, a 0.3 s backchannel-sized clip (padded to 0.5 s) and a 1 s one.
    return [audio[int(s * 16000):int((s + 1.5) * 16000)] for s in starts] + [audio[16000:20800], audio[80000:96000]]


@needs_call
def test_numpy_encoder_matches_resemblyzer_on_real_speech():
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # resemblyzer imports pkg_resources through webrtcvad
        from resemblyzer import VoiceEncoder
        from resemblyzer.audio import wav_to_mel_spectrogram
    clips = _clips()
    reference = VoiceEncoder(device="cpu", verbose=False)
    expected = []
    for clip in clips:
        padded = np.pad(clip, (0, max(0, 8000 - clip.size)))
        mel = wav_to_mel_spectrogram(padded)
        np.testing.assert_allclose(mel_power(padded), mel, rtol=1e-4, atol=1e-9)
        with torch.no_grad():
            expected.append(reference(torch.from_numpy(mel[None])).numpy()[0])
    got = speaker_encoder().embed(clips)
    assert got.shape == (len(clips), 256)
    np.testing.assert_allclose(got, np.array(expected), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


@needs_call
def test_voice_prints_tell_the_two_callers_apart():
    # Windows inside the reference turns (sample.rttm) of 1.5 s or more, labelled by who speaks there.
    audio = decode.load(CALL, decode.probe(CALL)).channels[0]
    turns = [line.split() for line in CALL.with_suffix(".rttm").read_text().splitlines() if line.strip()]
    spans = [(float(t[3]), float(t[3]) + float(t[4]), t[7]) for t in turns if float(t[4]) >= 1.5]
    clips, who = [], []
    for start, end, speaker in spans:
        for s in np.arange(start, end - 1.5, 0.75):
            clips.append(audio[int(s * 16000):int((s + 1.5) * 16000)])
            who.append(speaker)
    labels = np.array([sorted(set(who)).index(w) for w in who])
    prints = speaker_encoder().embed(clips)
    same = [float(prints[i] @ prints[j]) for i in range(len(who)) for j in range(i) if who[i] == who[j]]
    other = [float(prints[i] @ prints[j]) for i in range(len(who)) for j in range(i) if who[i] != who[j]]
    assert np.mean(same) > np.mean(other) + 0.05
    assert cosine_silhouette(prints, labels) > 0.05


def test_cosine_silhouette_matches_its_definition_on_a_hand_checked_case():
    # Two tight pairs at right angles: a = 0 within a pair, b = 1 to the other, so every point scores 1.
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    assert cosine_silhouette(vectors, np.array([0, 0, 1, 1])) == pytest.approx(1.0)
    # A point alone in its cluster scores 0 (sklearn's convention); the pair still scores 1 each.
    assert cosine_silhouette(vectors[:3], np.array([0, 0, 1])) == pytest.approx(2 / 3)


def test_diarizing_loads_no_torch_librosa_or_sklearn():
    # Each of them cost seconds of CPU on every cold `winloss transcribe`; the encoder needs only numpy.
    code = ("import sys, numpy as np; import winloss.audio.batch; from winloss.audio.windows import embed_windows, Window; "
            "embed_windows(np.random.default_rng(0).normal(0, 0.1, 32000).astype('float32'), [Window(0.0, 1.5)]); "
            "print(sorted(m for m in ('torch', 'librosa', 'sklearn', 'numba', 'resemblyzer') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "[]"
