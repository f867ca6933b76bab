"""Audio: recordings in, WebVTT transcripts with Interviewer / Customer voice tags out (see docs/audio.md)."""
from winloss.audio.batch import TranscriptionBatch, ensure_transcripts
from winloss.audio.decode import RECORDING_EXTENSIONS, AudioError, is_recording
from winloss.audio.settings import AudioSettings

__all__ = ["AudioError", "AudioSettings", "RECORDING_EXTENSIONS", "TranscriptionBatch", "ensure_transcripts",
           "is_recording"]
