"""Open a recording, refuse bad audio with one clear line, and decode it to 16 kHz float32.

Decoding goes through PyAV (the FFmpeg bindings faster-whisper itself uses), so every container
and codec faster-whisper accepts is accepted here, with no system FFmpeg needed.
"""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

# faster-whisper (CTranslate2) brings its own OpenMP runtime. Between whisper calls its idle threads spin, taking
# the cores from the speaker encoder (numpy) and, in `winloss run`, from torch's embeddings: on 2 cores that made
# the stage 3x slower than bare faster-whisper when the encoder ran on torch. Passive waiting removes it. Set
# before the runtime loads (this is the first heavy import of the audio stage); a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import av  # noqa: E402
import numpy as np  # noqa: E402
from faster_whisper.audio import decode_audio  # noqa: E402

RATE = 16000
SILENCE_DBFS = -50.0  # a recording whose loudest sample stays below this has nothing to transcribe
SEPARATE_DB = 10.0  # a frame belongs to one channel when it is this much louder than the other
SEPARATE_SHARE = 0.6  # ...and a stereo file is "one party per channel" when most speech frames are like that


class AudioError(Exception):
    """A recording that cannot be transcribed; the message is one line for the user."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Probe:
    duration: float  # seconds, from the container; 0.0 when it does not say
    channels: int
    codec: str


def probe(path: Path) -> Probe:
    """Check the container and its audio track without decoding the samples."""
    if path.stat().st_size == 0:
        raise AudioError("empty file (0 bytes)")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise AudioError(f"not a readable audio file ({_short(exc)})") from None
    with container:
        if not container.streams.audio:
            if container.streams.video:
                raise AudioError("video without an audio track: nothing to transcribe")
            raise AudioError("no audio track in the file")
        stream = container.streams.audio[0]
        context = stream.codec_context  # None when FFmpeg has no decoder for the track
        if context is None or not context.codec.is_decoder:
            tag = getattr(stream, "codec_tag", "") or "unknown"
            raise AudioError(f"unsupported audio codec ({tag}): convert it to wav, flac or mp3")
        if container.duration:
            duration = container.duration / av.time_base
        elif stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = 0.0
        return Probe(duration=max(duration, 0.0), channels=context.channels or 1, codec=context.name)


@dataclass
class Audio:
    """Decoded speech: one array when the parties share a channel, two when each has their own."""

    channels: list[np.ndarray]
    duration: float
    layout: str  # "mono", "stereo-mixed" (diarize the downmix), "stereo-split" (one party per channel)


def load(path: Path | str | bytes, info: Probe) -> Audio:
    """Decode a recording from its path, or from its bytes (as shipped to a Ray worker, see winloss.scale)."""
    source = io.BytesIO(path) if isinstance(path, bytes) else str(path)
    try:
        if info.channels >= 2:
            left, right = decode_audio(source, sampling_rate=RATE, split_stereo=True)
            arrays = [left, right]
        else:
            arrays = [decode_audio(source, sampling_rate=RATE)]
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
        raise AudioError(f"cannot decode the audio ({_short(exc)})") from None
    if arrays[0].size == 0:
        raise AudioError("no audio could be decoded (corrupt or truncated file)")
    peak = max(float(np.abs(a).max()) for a in arrays)
    if peak <= 10 ** (SILENCE_DBFS / 20):
        level = "digital silence" if peak == 0 else f"peak {20 * np.log10(peak):.0f} dBFS"
        raise AudioError(f"silent recording ({level}): nothing to transcribe")
    duration = arrays[0].size / RATE
    if len(arrays) == 1:
        return Audio(arrays, duration, "mono")
    layout = stereo_layout(arrays[0], arrays[1])
    if layout == "stereo-split":
        return Audio(arrays, duration, layout)
    if layout.startswith("one-channel-"):
        # A mono recording in one side of a stereo file: the other side is only noise.
        return Audio([arrays[int(layout[-1])]], duration, "mono")
    return Audio([(arrays[0] + arrays[1]) / 2], duration, "stereo-mixed")


def frame_db(audio: np.ndarray, frame: int = RATE // 20) -> np.ndarray:
    usable = audio[: audio.size // frame * frame].reshape(-1, frame)
    return 10 * np.log10(np.mean(usable**2, axis=1) + 1e-12)


def stereo_layout(left: np.ndarray, right: np.ndarray) -> str:
    """Tell a call recording (each party on their own channel) from a stereo mix of one room.

    In a call recording almost every speech frame is much louder on one channel than the other;
    in a room mix both microphones hear every voice, so the level difference stays small.
    """
    db_l, db_r = frame_db(left), frame_db(right)
    loudest = max(db_l.max(), db_r.max())
    active = np.maximum(db_l, db_r) > loudest - 40  # speech frames: within 40 dB of the loudest
    diff = (db_l - db_r)[active]
    left_only, right_only = np.sum(diff > SEPARATE_DB), np.sum(diff < -SEPARATE_DB)
    if right_only < 0.05 * diff.size:
        return "one-channel-0" if left_only >= 0.5 * diff.size else "stereo-mixed"
    if left_only < 0.05 * diff.size:
        return "one-channel-1" if right_only >= 0.5 * diff.size else "stereo-mixed"
    return "stereo-split" if (left_only + right_only) >= SEPARATE_SHARE * diff.size else "stereo-mixed"


def _short(exc: Exception) -> str:
    # FFmpeg errors carry the file name, which the Problem already gives: keep only the reason.
    text = getattr(exc, "strerror", None) or str(exc).strip()
    text = text.splitlines()[0] if text else type(exc).__name__
    return text[:160]
