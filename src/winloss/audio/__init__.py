"""Audio: recordings in, WebVTT transcripts with Interviewer / Customer voice tags out (see docs/audio.md).

Importing this package is cheap; faster-whisper, PyAV and the speaker encoder load only when a study has recordings.
"""
from winloss.audio.formats import RECORDING_EXTENSIONS, is_recording
from winloss.audio.settings import AudioSettings

_LAZY = {"ensure_transcripts", "transcribed_interviews", "TranscriptionBatch"}

__all__ = ["AudioSettings", "RECORDING_EXTENSIONS", "is_recording", *sorted(_LAZY)]


def __getattr__(name: str):
    if name in _LAZY:
        from winloss.audio import batch

        return getattr(batch, name)
    raise AttributeError(f"module 'winloss.audio' has no attribute {name!r}")
