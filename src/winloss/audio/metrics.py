"""Diarization error rate, the NIST md-eval way: frame-based, optimal one-to-one speaker mapping, optional collar.

DER = (missed speech + false alarm + speaker confusion) / reference speech, all in seconds, with
overlapping reference speech counted once per speaker. Pure functions, used by the benchmark and tested.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

Segments = list[tuple[float, float, str]]  # (start, end, speaker)
STEP = 0.01  # seconds per frame


@dataclass(frozen=True)
class DER:
    der: float
    missed: float
    false_alarm: float
    confusion: float
    reference_s: float
    mapping: dict[str, str]


def _activity(segments: Segments, n_frames: int) -> tuple[np.ndarray, list[str]]:
    speakers = sorted({s for _, _, s in segments})
    act = np.zeros((len(speakers), n_frames), dtype=bool)
    for start, end, speaker in segments:
        act[speakers.index(speaker), int(round(start / STEP)) : int(round(end / STEP))] = True
    return act, speakers


def diarization_error(reference: Segments, hypothesis: Segments, collar: float = 0.0) -> DER:
    end = max([e for _, e, _ in reference + hypothesis] or [0.0])
    n = int(round(end / STEP)) + 1
    ref, ref_names = _activity(reference, n)
    hyp, hyp_names = _activity(hypothesis, n)
    scored = np.ones(n, dtype=bool)
    if collar > 0:  # frames within `collar` of a reference boundary are not scored
        c = int(round(collar / STEP))
        for start, stop, _ in reference:
            for t in (int(round(start / STEP)), int(round(stop / STEP))):
                scored[max(0, t - c) : t + c] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    overlap = ref.astype(float) @ hyp.T.astype(float)  # frames each (ref, hyp) pair speaks together
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    mapping = {ref_names[r]: hyp_names[c] for r, c in zip(rows, cols) if overlap[r, c] > 0}
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    correct = sum(ref[r] & hyp[c] for r, c in zip(rows, cols)) if len(rows) else np.zeros(ref.shape[1])
    missed = np.maximum(n_ref - n_hyp, 0).sum() * STEP
    false_alarm = np.maximum(n_hyp - n_ref, 0).sum() * STEP
    confusion = (np.minimum(n_ref, n_hyp) - correct).sum() * STEP
    total = n_ref.sum() * STEP
    der = (missed + false_alarm + confusion) / total if total else 0.0
    return DER(round(float(der), 4), round(float(missed), 2), round(float(false_alarm), 2),
               round(float(confusion), 2), round(float(total), 2), mapping)


def read_rttm(text: str) -> Segments:
    out = []
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == "SPEAKER":
            start, dur = float(parts[3]), float(parts[4])
            out.append((start, start + dur, parts[7]))
    return out
