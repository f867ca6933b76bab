"""From numbered voices to labelled turns: find the interviewer, name everyone, build the cues.

The interviewer is, in this order: the voice on `interviewer_channel` of a call recording; the voice that
matches the `interviewer_voice` enrolment clip, or else the voice that recurs across the study's recordings
(both decided study-wide, winloss.audio.voices); the voice that introduces itself with the manifest's
interviewer name ("Hi, this is Dana"); the voice that leads the conversation by its turn structure (opens,
prompts short and gets long answers, asks: winloss.interviews.roles.turn_structure).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from winloss.audio.diarize import Piece
from winloss.audio.voices import VoiceChoice
from winloss.interviews.roles import turn_structure
from winloss.models import Transcript, Turn

INTERVIEWER = "Interviewer"
CUE_MAX_S = 20.0  # a cue longer than this is cut at the next sentence end, so quotes keep precise times
CUE_GAP_S = 0.1  # a pause ends a cue even within one speaker's turn, so cues time the speech (readers rejoin them)

_INTRO = re.compile(r"\b(?:i'm|i am|this is|my name is|my name's|it's)\s+([A-Za-z][a-z'-]+)", re.I)


@dataclass
class Labelling:
    names: dict[int, str]  # voice number -> label written to the transcript
    interviewer: int | None
    method: str  # "channel", "enrolment", "recurring voice", "introduction", "turn structure", "single-voice"
    warning: str = ""
    evidence: str = ""  # what decided, in words


def _voice_turns(pieces: list[Piece]) -> list[Turn]:
    """Consecutive pieces of one voice joined, under neutral names, for the question heuristic."""
    turns: list[Turn] = []
    for piece in pieces:
        name = f"voice{piece.speaker}"
        if turns and turns[-1].speaker == name:
            last = turns[-1]
            turns[-1] = Turn(name, f"{last.text} {piece.text}", last.start, piece.end)
        else:
            turns.append(Turn(name, piece.text, piece.start, piece.end))
    return turns


def _introduced(pieces: list[Piece], names: tuple[str, ...]) -> int | None:
    first_names = {n.split()[0].casefold() for n in names if n.split()}
    voices = {p.speaker for p in pieces for m in _INTRO.finditer(p.text) if m.group(1).casefold() in first_names}
    return voices.pop() if len(voices) == 1 else None


def label_voices(pieces: list[Piece], manifest_names: tuple[str, ...] = (), channel_voice: int | None = None,
                 choice: VoiceChoice | None = None) -> Labelling:
    voices = list(dict.fromkeys(p.speaker for p in pieces))  # in order of first speech
    interviewer_label = manifest_names[0] if manifest_names else INTERVIEWER
    if len(voices) <= 1:
        names = {v: "Customer 1" for v in voices}
        return Labelling(names, None, "single-voice",
                         "only one voice found; interviewer and customer could not be told apart")
    warning, evidence = "", ""
    if channel_voice is not None and channel_voice in voices:
        interviewer, method, evidence = channel_voice, "channel", "interviewer_channel setting"
    elif choice is not None and choice.voice in voices:
        interviewer, method, evidence = choice.voice, choice.method, choice.evidence
    elif (found := _introduced(pieces, manifest_names)) is not None:
        interviewer, method = found, "introduction"
        evidence = f"voice {found + 1} introduces itself as {manifest_names[0].split()[0]}"
    else:
        speaker, points, warning = turn_structure(Transcript(_voice_turns(pieces)))
        interviewer = int(speaker[len("voice"):]) if speaker else voices[0]
        method = "turn structure"
        evidence = "points " + ", ".join(f"voice {int(k[5:]) + 1}: {v:g}" for k, v in points.items())
        if speaker is None:
            warning += f"; guessed voice {interviewer + 1} (speaks first) as interviewer"
        if choice is not None:  # the study-wide rule was tried and could not tell
            evidence = f"{choice.evidence}, not clear enough; {evidence}"
        warning = re.sub(r"voice(\d+)", lambda m: f"voice {int(m.group(1)) + 1}", warning)
    names, n = {}, 0
    for voice in voices:
        if voice == interviewer:
            names[voice] = interviewer_label
        else:
            n += 1
            names[voice] = f"Customer {n}"
    return Labelling(names, interviewer, method, warning, evidence)


def build_turns(pieces: list[Piece], names: dict[int, str]) -> list[Turn]:
    """Cues for the WebVTT file: one voice's consecutive pieces up to a sentence end, a pause or CUE_MAX_S."""
    turns: list[Turn] = []
    for piece in pieces:
        label = names[piece.speaker]
        if turns:
            last = turns[-1]
            same = last.speaker == label and piece.start - last.end < CUE_GAP_S
            open_cue = not last.text.endswith((".", "?", "!")) or last.end - last.start < CUE_MAX_S
            if same and open_cue and piece.end - last.start < 2 * CUE_MAX_S:
                turns[-1] = Turn(label, f"{last.text} {piece.text}", last.start, piece.end)
                continue
        turns.append(Turn(label, piece.text, piece.start, piece.end))
    return turns
