"""Which study files are recordings. Kept free of heavy imports: the pipeline asks this for every study."""
from __future__ import annotations

from pathlib import Path

RECORDING_EXTENSIONS = frozenset(
    {".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".webm", ".mp4", ".mov", ".mkv", ".wma"}
)


def is_recording(path: Path) -> bool:
    return Path(path).suffix.lower() in RECORDING_EXTENSIONS
