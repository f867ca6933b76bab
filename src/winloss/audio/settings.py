"""What shapes a transcript ([audio] in winloss.toml): one frozen, validated record, hashed into the cache key."""
from __future__ import annotations

import os
from dataclasses import asdict
from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

SECTION = ConfigDict(extra="forbid", strict=True)


@dataclass(frozen=True, config=SECTION)
class AudioSettings:
    model: str = ""  # faster-whisper model name ("small.en") or local CTranslate2 folder; "" = bundled tiny.en
    language: str = "en"  # "" lets whisper detect it (multilingual models only)
    compute_type: str = "int8"
    device: str = "cpu"
    beam_size: int = Field(5, ge=1)
    vad: bool = True
    batch_size: int = Field(0, ge=0)  # >1: faster-whisper's batched pipeline over VAD chunks (needs vad); 0 = sequential
    word_timestamps: bool = True  # lets a speaker change inside a whisper segment split it
    threads: int = Field(0, ge=0)  # 0 = every core of this machine
    diarize: bool = True  # off: one speaker per channel, no voice clustering
    max_speakers: int = Field(3, ge=1)
    interviewer_channel: Literal["", "left", "right"] = ""  # the interviewer's side of every call recording
    interviewer_voice: str = ""  # a clip of the interviewer speaking (path, relative to the study): pins who it is

    def cpu_threads(self) -> int:
        return self.threads if self.threads > 0 else (os.cpu_count() or 1)

    def output_key(self) -> dict:
        """The settings that can change what is transcribed and diarized (threads and device only change speed;
        interviewer_voice only changes labels, which are never cached)."""
        return {k: v for k, v in asdict(self).items() if k not in ("threads", "device", "model", "interviewer_voice")}
