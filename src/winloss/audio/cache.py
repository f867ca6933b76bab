"""What has been transcribed already, and what this tool wrote, so nothing is transcribed twice and
no hand correction is ever overwritten.

One SQLite file per study (STUDY/.winloss/transcripts.sqlite, WAL journal), two tables:
- entries: cache key (audio content hash + model + settings + algorithm version) -> the diarized
  pieces and their metadata (JSON). Labels are not cached: they depend on the manifest and are cheap.
- written: transcript path (relative to the study) -> sha256 of the bytes this tool last wrote there.
  A transcript whose bytes differ from that was edited (or supplied) by a person and is left alone.

Only the driver writes (workers return results to it, winloss.scale). Each `put` is one transaction, so an
interrupted batch keeps every recording it finished, and a batch of 5,000 calls is one file, not 5,000 rewrites of
a growing JSON document; with WAL, readers (a second `winloss` on the same study) see the last committed state.
A study cached by an older winloss (STUDY/.winloss/transcripts.json) is migrated on first open, entries unchanged.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path

from winloss.audio.diarize import Piece

ALGORITHM_VERSION = 4  # bump when transcription, diarization or cue building changes what is written
SCHEMA_VERSION = 2  # the file's layout: 1 was transcripts.json, 2 is this SQLite file
FILE_NAME = "transcripts.sqlite"
LEGACY_NAME = "transcripts.json"


def cache_key(audio_sha256: str, model: str, settings_key: dict) -> str:
    blob = json.dumps({"audio": audio_sha256, "model": model, "settings": settings_key,
                       "algorithm": ALGORITHM_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Table(MutableMapping):
    """One key -> JSON value table of the cache file, read on demand (a 5,000-call cache stays on disk)."""

    def __init__(self, conn: sqlite3.Connection, table: str):
        self.conn, self.table = conn, table

    def __getitem__(self, key: str):
        row = self.conn.execute(f"SELECT value FROM {self.table} WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return json.loads(row[0])

    def __setitem__(self, key: str, value) -> None:
        self.conn.execute(f"INSERT OR REPLACE INTO {self.table} (key, value) VALUES (?, ?)",
                          (key, json.dumps(value, sort_keys=True)))

    def __delitem__(self, key: str) -> None:
        if self.conn.execute(f"DELETE FROM {self.table} WHERE key = ?", (key,)).rowcount == 0:
            raise KeyError(key)

    def __contains__(self, key) -> bool:
        return self.conn.execute(f"SELECT 1 FROM {self.table} WHERE key = ?", (key,)).fetchone() is not None

    def __iter__(self) -> Iterator[str]:
        return iter([k for (k,) in self.conn.execute(f"SELECT key FROM {self.table} ORDER BY key")])

    def __len__(self) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]


class TranscriptCache:
    """The study's transcription cache. `entries` and `written` behave as dicts backed by the file."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / FILE_NAME
        self.warning = ""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = self._open()
        except sqlite3.DatabaseError as exc:
            broken = self.path.with_name(self.path.name + ".unreadable")
            self.path.replace(broken)
            for side in ("-wal", "-shm"):
                self.path.with_name(self.path.name + side).unlink(missing_ok=True)
            self.warning = f"{self.path}: unreadable transcription cache ({exc}), moved to {broken.name}; starting a new one"
            self.conn = self._open()
        self.entries = _Table(self.conn, "entries")
        self.written = _Table(self.conn, "written")
        legacy = self.path.with_name(LEGACY_NAME)
        if legacy.is_file():
            self._migrate(legacy)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)  # autocommit; put() is explicit
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"layout version {version}, this winloss reads {SCHEMA_VERSION}")
            if version == 0:  # a new file; an existing one is only read here, so a reader never waits on a writer
                conn.execute("PRAGMA journal_mode=WAL")
                with _immediate(conn):
                    for table in ("entries", "written"):
                        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _migrate(self, legacy: Path) -> None:
        """Copy an old transcripts.json in one transaction, then set it aside (kept, renamed, for a downgrade)."""
        try:
            data = json.loads(legacy.read_text(encoding="utf-8"))
            entries, written = dict(data["entries"]), dict(data["written"])
        except (ValueError, KeyError, TypeError):
            self.warning = f"{legacy}: unreadable transcription cache, not migrated"
            return
        with self.transaction():
            for key, value in entries.items():
                if key not in self.entries:
                    self.entries[key] = value
            for key, value in written.items():
                if key not in self.written:
                    self.written[key] = value
        legacy.replace(legacy.with_name(LEGACY_NAME + ".migrated"))

    def transaction(self):
        return _immediate(self.conn)

    def pieces(self, key: str) -> list[Piece]:
        return [Piece(*row) for row in self.entries[key]["pieces"]]

    def put(self, key: str, pieces: list[Piece], meta: dict) -> None:
        """Stored at once, in its own transaction: a result the driver received is never lost to a later crash."""
        rows = [[round(p.start, 3), round(p.end, 3), p.text, p.speaker, round(p.margin, 4)] for p in pieces]
        with self.transaction():
            self.entries[key] = {"pieces": rows, "meta": meta}

    def save(self) -> None:
        """Every write is committed as it is made; this folds the WAL back into the one file (a copy of
        transcripts.sqlite alone is then the whole cache)."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def dump(self) -> dict:
        """Everything cached, as plain data: what two runs on different engines must agree on."""
        return {"entries": dict(self.entries.items()), "written": dict(self.written.items())}

    def close(self) -> None:
        self.conn.close()


@contextmanager
def _immediate(conn: sqlite3.Connection):
    """One transaction that takes the write lock at once: a second writer waits for it, never interleaves."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
