"""Speaker evidence on short windows: whisper's words grouped into speech regions, cut into overlapping windows,
one Resemblyzer d-vector per window.

Short windows (1.5 s, 0.75 s hop) see one voice at a time, so a change of speaker inside a whisper segment shows
up as a change of voice between windows. A region shorter than a window (a backchannel between pauses) is one
window of its own, so its voice print is not drowned by the neighbour's speech.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from winloss.audio.decode import RATE
from winloss.audio.transcribe import Word

REGION_GAP_S = 0.2  # a silence this long between words ends a speech region
WINDOW_S = 1.5
HOP_S = 0.75
MIN_WINDOW_S = 0.5  # a region shorter than this is embedded over this much audio around its centre
BATCH = 64  # windows per encoder call


@dataclass(frozen=True)
class Window:
    start: float
    end: float


def speech_regions(words: list[Word]) -> list[tuple[float, float]]:
    regions: list[list[float]] = []
    for word in words:
        if regions and word.start - regions[-1][1] < REGION_GAP_S:
            regions[-1][1] = max(regions[-1][1], word.end)
        else:
            regions.append([word.start, word.end])
    return [(a, b) for a, b in regions]


def cut_windows(regions: list[tuple[float, float]]) -> list[Window]:
    """Each region cut into WINDOW_S windows every HOP_S, the last one flush with the region's end."""
    out: list[Window] = []
    for start, end in regions:
        if end - start <= WINDOW_S:
            centre, half = (start + end) / 2, max(end - start, MIN_WINDOW_S) / 2
            out.append(Window(max(0.0, centre - half), centre + half))
            continue
        n = int(np.ceil((end - start - WINDOW_S) / HOP_S)) + 1
        starts = np.linspace(start, end - WINDOW_S, n)
        out += [Window(float(s), float(s) + WINDOW_S) for s in starts]
    return out


@lru_cache(maxsize=1)
def voice_encoder():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # resemblyzer imports pkg_resources through webrtcvad
        from resemblyzer import VoiceEncoder

    return VoiceEncoder(device="cpu", verbose=False)


def embed_windows(audio: np.ndarray, windows: list[Window]) -> np.ndarray:
    """One L2-normalised d-vector per window: the encoder's LSTM over the window's whole mel spectrogram.

    Windows of one length share a batch; the order of the result is the order of `windows`.
    """
    import torch

    encoder = voice_encoder()
    from resemblyzer.audio import (
        wav_to_mel_spectrogram,  # after voice_encoder(), which silences its import
    )

    mels = []
    for w in windows:
        lo, hi = max(0, int(w.start * RATE)), min(audio.size, int(w.end * RATE))
        wav = audio[lo:hi].astype(np.float32)
        mels.append(wav_to_mel_spectrogram(np.pad(wav, (0, max(0, int(MIN_WINDOW_S * RATE) - wav.size)))))
    out = np.zeros((len(windows), 256), dtype=np.float32)
    by_length: dict[int, list[int]] = {}
    for i, mel in enumerate(mels):
        by_length.setdefault(len(mel), []).append(i)
    with torch.no_grad():
        for length in sorted(by_length):
            idx = by_length[length]
            for b in range(0, len(idx), BATCH):
                chunk = idx[b : b + BATCH]
                stacked = torch.from_numpy(np.stack([mels[i] for i in chunk]).astype(np.float32))
                out[chunk] = encoder(stacked).numpy()
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def embed_clip(audio: np.ndarray) -> np.ndarray:
    """One voice print for a whole clip (an enrolment recording): the mean of its windows, normalised."""
    windows = cut_windows([(0.0, audio.size / RATE)])
    mean = embed_windows(audio, windows).mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-9)
