"""What shapes a transcript: one frozen data class, so it can be hashed into the cache key."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class AudioSettings:
    model: str = ""  # faster-whisper model name ("small.en") or local CTranslate2 folder; "" = bundled tiny.en
    language: str = "en"  # "" lets whisper detect it (multilingual models only)
    compute_type: str = "int8"
    device: str = "cpu"
    beam_size: int = 5
    vad: bool = True
    word_timestamps: bool = True  # lets a speaker change inside a whisper segment split it
    threads: int = 0  # 0 = every core of this machine
    diarize: bool = True  # off: one speaker per channel, no voice clustering
    max_speakers: int = 3
    interviewer_channel: str = ""  # "left" or "right": the interviewer's side of every call recording

    @classmethod
    def from_mapping(cls, values: dict | None) -> "AudioSettings":
        """The [audio] table of winloss.toml; unknown keys and bad values are errors naming the key."""
        values = dict(values or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"[audio]: unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
        for name, value in values.items():
            want = type(getattr(cls(), name))
            if not isinstance(value, want) or (want is int and isinstance(value, bool)):
                raise ValueError(f"[audio] {name}: expected {want.__name__}, got {value!r}")
        settings = cls(**values)
        if settings.interviewer_channel not in ("", "left", "right"):
            raise ValueError(f"[audio] interviewer_channel: expected 'left' or 'right', got {settings.interviewer_channel!r}")
        if settings.max_speakers < 1 or settings.beam_size < 1:
            raise ValueError("[audio] max_speakers and beam_size must be at least 1")
        return settings

    def cpu_threads(self) -> int:
        return self.threads if self.threads > 0 else (os.cpu_count() or 1)

    def output_key(self) -> dict:
        """The settings that can change a transcript (threads and device only change speed)."""
        return {k: v for k, v in asdict(self).items() if k not in ("threads", "device", "model")}
