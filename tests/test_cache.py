"""The transcription cache: one SQLite file per study, written by the driver, safe for readers, migrated from the old
JSON file. Real SQLite files and real processes (a killed writer, a concurrent reader)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from winloss.audio.cache import FILE_NAME, LEGACY_NAME, TranscriptCache
from winloss.audio.diarize import Piece

ROOT = Path(__file__).resolve().parents[1]
PIECES = [Piece(0.0, 2.5, "We signed because the forecast was right.", 0, 0.31),
          Piece(2.6, 4.0, "Mm-hmm.", 1, 1.0)]
META = {"duration_s": 4.0, "layout": "mono", "speakers": 2, "confidence": 0.93, "voices": [[0.1, 0.2]]}


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def test_entries_and_written_marks_survive_reopening(tmp_path):
    cache = TranscriptCache(tmp_path)
    cache.put("k1", PIECES, META)
    cache.written["transcripts/a.vtt"] = "ab" * 32
    cache.save()
    cache.close()
    again = TranscriptCache(tmp_path)
    assert "k1" in again.entries and "k2" not in again.entries
    assert again.pieces("k1") == [Piece(0.0, 2.5, PIECES[0].text, 0, 0.31), Piece(2.6, 4.0, "Mm-hmm.", 1, 1.0)]
    assert again.entries["k1"]["meta"] == META
    assert again.written.get("transcripts/a.vtt") == "ab" * 32 and again.written.get("other.vtt") is None
    assert again.warning == ""
    again.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILE_NAME]  # the WAL folded back in: one file


def test_thousands_of_results_are_one_file(tmp_path):
    cache = TranscriptCache(tmp_path)
    for i in range(2000):
        cache.put(f"key-{i:04d}", PIECES, {**META, "duration_s": float(i)})
    cache.save()
    assert len(cache.entries) == 2000 and cache.entries["key-1999"]["meta"]["duration_s"] == 1999.0
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))] == [FILE_NAME]


def test_an_old_json_cache_is_migrated_once_and_kept_aside(tmp_path):
    rows = [[p.start, p.end, p.text, p.speaker, p.margin] for p in PIECES]
    old = {"entries": {"k-old": {"pieces": rows, "meta": META}}, "written": {"transcripts/x.vtt": "cd" * 32}}
    (tmp_path / LEGACY_NAME).write_text(json.dumps(old), encoding="utf-8")
    cache = TranscriptCache(tmp_path)
    assert cache.pieces("k-old") == PIECES and cache.written["transcripts/x.vtt"] == "cd" * 32
    assert not (tmp_path / LEGACY_NAME).exists() and (tmp_path / (LEGACY_NAME + ".migrated")).is_file()
    assert cache.dump() == old
    cache.put("k-new", PIECES[:1], META)
    cache.close()
    assert set(TranscriptCache(tmp_path).entries) == {"k-old", "k-new"}


def test_an_unreadable_old_json_is_reported_and_left_alone(tmp_path):
    (tmp_path / LEGACY_NAME).write_text("{not json", encoding="utf-8")
    cache = TranscriptCache(tmp_path)
    assert "unreadable transcription cache, not migrated" in cache.warning and len(cache.entries) == 0
    assert (tmp_path / LEGACY_NAME).read_text(encoding="utf-8") == "{not json"


def test_a_corrupt_cache_file_is_set_aside_with_a_warning(tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"this is not a database, it is a shopping list" * 100)
    cache = TranscriptCache(tmp_path)
    assert "unreadable transcription cache" in cache.warning and "moved to transcripts.sqlite.unreadable" in cache.warning
    assert (tmp_path / (FILE_NAME + ".unreadable")).read_bytes().startswith(b"this is not a database")
    cache.put("k1", PIECES, META)
    assert "k1" in cache.entries


WRITER = """
import os, sys
from winloss.audio.cache import TranscriptCache
from winloss.audio.diarize import Piece
cache = TranscriptCache(sys.argv[1])
cache.put("finished", [Piece(0.0, 1.0, "done", 0, 1.0)], {"duration_s": 1.0})
cache.conn.execute("BEGIN IMMEDIATE")
cache.entries["half-written"] = {"pieces": [], "meta": {}}
print("ready", flush=True)
sys.stdin.readline()
"""


READER = "import sys\nfrom winloss.audio.cache import TranscriptCache\nprint(sorted(TranscriptCache(sys.argv[1]).entries))"


def test_a_killed_writer_keeps_what_it_committed_and_readers_never_see_half_a_write(tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], env=env(), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        # A reader in another process while the writer holds an open transaction (WAL: no waiting, last commit).
        seen = subprocess.run([sys.executable, "-c", READER, str(tmp_path)], env=env(), capture_output=True,
                              text=True, timeout=60, check=False)
        assert seen.returncode == 0, seen.stderr
        assert seen.stdout.strip() == "['finished']"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    cache = TranscriptCache(tmp_path)
    assert list(cache.entries) == ["finished"] and cache.pieces("finished") == [Piece(0.0, 1.0, "done", 0, 1.0)]
