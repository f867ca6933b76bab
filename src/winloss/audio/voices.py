"""Which voice is the interviewer's, decided study-wide from every recording's voice prints.

In a win/loss study one to three people run every interview, while each customer is heard once: the voice that
recurs across recordings is the interviewer's. An enrolment clip of the interviewer (`interviewer_voice` in
[audio]) pins it outright. Pure functions over the per-recording voice prints (centroid d-vectors), so the
driver can decide after the recordings were transcribed, in any order, by any worker.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MATCH = 0.80  # one person's voice prints in two recordings (Resemblyzer window centroids: 0.83-0.95; others <= 0.8)
MARGIN = 0.05  # the recurring voice must match this much better than the recording's next voice
ENROLLED = 0.75  # a voice this like the enrolment clip is the interviewer's...
ENROLLED_MARGIN = 0.05  # ...when no other voice of the recording comes this close


@dataclass(frozen=True)
class VoiceChoice:
    voice: int | None  # voice number within the recording, None when the rule cannot tell
    method: str  # "enrolment" or "recurring voice"
    evidence: str  # what decided, for run.json and the confidence notes


def _unit(rows) -> np.ndarray:
    arr = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
    return arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)


def recurring_voices(prints: dict[str, list[list[float]]]) -> dict[str, VoiceChoice]:
    """Per recording with two or more voices, the voice that recurs in the other recordings.

    A voice's recurrence is the mean of its best matches in the third of the other recordings where it matches
    best (with up to three interviewers sharing a study, each is heard in at least a third of the recordings).
    """
    ids = sorted(k for k, v in prints.items() if v)
    unit = {k: _unit(prints[k]) for k in ids}
    out: dict[str, VoiceChoice] = {}
    for rid in ids:
        others = [o for o in ids if o != rid]
        if len(unit[rid]) < 2 or not others:
            continue
        best = np.stack([np.max(unit[rid] @ unit[o].T, axis=1) for o in others], axis=1)  # voices x others
        q = max(1, math.ceil(len(others) / 3))
        score = np.sort(best, axis=1)[:, ::-1][:, :q].mean(axis=1)
        order = np.argsort(-score, kind="stable")
        top, runner = int(order[0]), float(score[order[1]])
        matched = int(np.sum(best[top] >= MATCH))
        evidence = (f"voice {top + 1} recurs in {matched} of {len(others)} other recordings "
                    f"(similarity {score[top]:.2f}; next voice {runner:.2f})")
        sure = score[top] >= MATCH and score[top] - runner >= MARGIN
        out[rid] = VoiceChoice(top if sure else None, "recurring voice", evidence)
    return out


def enrolled_voice(prints: list[list[float]], enrolment: np.ndarray) -> VoiceChoice:
    """The recording's voice that matches the interviewer's enrolment clip, if one clearly does."""
    if not prints:
        return VoiceChoice(None, "enrolment", "no voices")
    sims = _unit(prints) @ _unit([enrolment])[0]
    order = np.argsort(-sims, kind="stable")
    top = int(order[0])
    runner = float(sims[order[1]]) if len(order) > 1 else -1.0
    evidence = f"voice {top + 1} matches the enrolment clip (similarity {sims[top]:.2f}; next voice {runner:.2f})"
    sure = sims[top] >= ENROLLED and sims[top] - runner >= ENROLLED_MARGIN
    return VoiceChoice(top if sure else None, "enrolment", evidence)


def choose_interviewers(prints: dict[str, list[list[float]]], enrolment: np.ndarray | None = None
                        ) -> dict[str, VoiceChoice]:
    """Per recording: the enrolled voice where the clip clearly matches one, else the recurring voice."""
    out = recurring_voices(prints)
    if enrolment is not None:
        for rid, voices in prints.items():
            choice = enrolled_voice(voices, enrolment)
            if choice.voice is not None or rid not in out:
                out[rid] = choice
    return out


def enrolment_print(path) -> np.ndarray:
    """The voice print of the interviewer's enrolment clip; AudioError when it cannot be read."""
    from winloss.audio import decode
    from winloss.audio.windows import embed_clip

    if not path.is_file():
        raise decode.AudioError("recording not found")
    audio = decode.load(path, decode.probe(path))
    return embed_clip(sum(audio.channels) / len(audio.channels))
