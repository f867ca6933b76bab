"""When each voice speaks: whisper's word times snapped to the speech regions a voice activity detector finds.

Whisper's word timestamps come from cross-attention and are often a tenth of a second or more off the speech, and
a cue that runs from one word to the next bridges every pause in between. Silero VAD (bundled with faster-whisper)
marks the speech itself: a region's words are made to cover it end to end, so a voice's turn starts and stops
with its speech, and at a change of voice inside a region the boundary falls in the middle of the gap between the
two words. A region with no word in it (speech whisper did not transcribe) is left out: there is nothing to
attribute. Measured (docs/audio.md): DER without a collar 22 % -> 14 % pooled, the words unchanged.
"""
from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np

from winloss.audio.decode import RATE
from winloss.audio.transcribe import Word

MIN_SILENCE_MS = 200  # a pause this long ends a speech region (whisper's own VAD pass waits 2 s)
SPEECH_PAD_MS = 30


def vad_regions(audio: np.ndarray) -> list[tuple[float, float]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=MIN_SILENCE_MS, speech_pad_ms=SPEECH_PAD_MS)
    return [(t["start"] / RATE, t["end"] / RATE) for t in get_speech_timestamps(audio, options)]


def snap_words(words: list[Word], regions: list[tuple[float, float]]) -> list[Word]:
    """The words with times tiled over the speech regions: each word belongs to the region it overlaps most; a
    region's words cover it end to end, one word handing over to the next in the middle of the gap between them
    (at a change of voice that is where the turn changes). Words in no region keep whisper's times."""
    out = list(words)
    if not regions or not words:
        return out
    starts, ends = np.array([w.start for w in words]), np.array([w.end for w in words])
    a, z = np.array([r[0] for r in regions]), np.array([r[1] for r in regions])
    overlap = np.minimum(ends[:, None], z[None, :]) - np.maximum(starts[:, None], a[None, :])  # words x regions
    home = np.where(overlap.max(axis=1) > 0, np.argmax(overlap, axis=1), -1)
    for r in np.unique(home[home >= 0]):
        idx = np.flatnonzero(home == r)
        edges = [float(a[r])]
        for i, j in pairwise(idx):
            edges.append(min(max((ends[i] + starts[j]) / 2, edges[-1]), float(z[r])))
        edges.append(float(z[r]))
        for k, i in enumerate(idx):
            out[i] = replace(out[i], start=round(edges[k], 3), end=round(max(edges[k + 1], edges[k]), 3))
    return out
