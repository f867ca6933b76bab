"""What has been transcribed already, and what this tool wrote, so nothing is transcribed twice and
no hand correction is ever overwritten.

One JSON file per study (STUDY/.winloss/transcripts.json):
- entries: cache key (audio content hash + model + settings + algorithm version) -> the diarized
  pieces and their metadata. Labels are not cached: they depend on the manifest and are cheap.
- written: transcript path (relative to the study) -> sha256 of the bytes this tool last wrote there.
  A transcript whose bytes differ from that was edited (or supplied) by a person and is left alone.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from winloss.audio.diarize import Piece

ALGORITHM_VERSION = 4  # bump when transcription, diarization or cue building changes what is written


def cache_key(audio_sha256: str, model: str, settings_key: dict) -> str:
    blob = json.dumps({"audio": audio_sha256, "model": model, "settings": settings_key,
                       "algorithm": ALGORITHM_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class TranscriptCache:
    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict] = {}
        self.written: dict[str, str] = {}
        self.warning = ""
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.entries, self.written = dict(data["entries"]), dict(data["written"])
            except (ValueError, KeyError, TypeError):
                self.warning = f"{path}: unreadable transcription cache, starting a new one"

    def pieces(self, key: str) -> list[Piece]:
        return [Piece(*row) for row in self.entries[key]["pieces"]]

    def put(self, key: str, pieces: list[Piece], meta: dict) -> None:
        rows = [[round(p.start, 3), round(p.end, 3), p.text, p.speaker, round(p.margin, 4)] for p in pieces]
        self.entries[key] = {"pieces": rows, "meta": meta}

    def save(self) -> None:
        """Written after every file, atomically, so an interrupted batch keeps what it finished."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"entries": self.entries, "written": self.written}, indent=1, sort_keys=True),
                       encoding="utf-8")
        os.replace(tmp, self.path)
