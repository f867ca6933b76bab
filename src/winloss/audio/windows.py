"""Speaker evidence on short windows: whisper's words grouped into speech regions, cut into overlapping windows,
one voice print per window (winloss.audio.encoders).

Short windows (1.5 s, 0.75 s hop) see one voice at a time, so a change of speaker inside a whisper segment shows
up as a change of voice between windows. A region shorter than a window (a backchannel between pauses) is one
window of its own, so its voice print is not drowned by the neighbour's speech.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from winloss.audio.decode import RATE
from winloss.audio.encoders import speaker_encoder
from winloss.audio.transcribe import Word

REGION_GAP_S = 0.2  # a silence this long between words ends a speech region
WINDOW_S = 1.5
HOP_S = 0.75
MIN_WINDOW_S = 0.5  # a region shorter than this is embedded over this much audio around its centre


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


def embed_windows(audio: np.ndarray, windows: list[Window]) -> np.ndarray:
    """One unit voice print per window (winloss.audio.encoders), in the order of `windows`.

    One BLAS thread: the encoder's matrices are small, and on a busy 2-core machine OpenBLAS's second thread
    spun for six times the CPU of the work itself.
    """
    clips = [audio[max(0, int(w.start * RATE)):min(audio.size, int(w.end * RATE))] for w in windows]
    with threadpool_limits(limits=1, user_api="blas"):
        return speaker_encoder().embed(clips)


def embed_clip(audio: np.ndarray) -> np.ndarray:
    """One voice print for a whole clip (an enrolment recording): the mean of its windows, normalised."""
    windows = cut_windows([(0.0, audio.size / RATE)])
    mean = embed_windows(audio, windows).mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-9)
