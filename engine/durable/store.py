"""The data directory of a durable engine: one SQLite database (WAL mode) and a lock file.

Layout of `DIR`:

    engine.sqlite3        the database: `meta` (the clock's pin and offset, JSON), `log` (one row per command
                          since the snapshot: its events, JSON), `snapshot` (the engine state at one log position,
                          a JSON document), `history` (the history's sealed chunks, JSON, each stored once) and
                          `archive` (what finished since the previous snapshot, one chunk per snapshot, JSON, each
                          stored once: engine/durable/archive.py)
    engine.sqlite3-wal    SQLite's write-ahead log (and -shm, its index); part of the database
    engine.lock           held (flock) by the running engine; its pid is written in it

The file format is versioned by SQLite's `user_version` (FORMAT_VERSION) and marked as ours by its
`application_id`. An earlier format listed in FORMATS_MIGRATED is opened and rewritten by the engine's first
snapshot (engine/durable/migrations.py); anything else is refused rather than guessed at.
"""

import contextlib
import fcntl
import os
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from engine.durable.errors import DataDirLockedError, IncompatibleDataDirError, StorageError

DATABASE_NAME = "engine.sqlite3"
LOCK_NAME = "engine.lock"
# "PBJE" – marks a database as an engine data directory's
APPLICATION_ID = 0x50424A45
WAL_AUTOCHECKPOINT_PAGES = 10_000
# bump when the tables or the documents in them change incompatibly (and add the migration, migrations.py)
FORMAT_VERSION = 3
# earlier formats this release brings to FORMAT_VERSION: 1 on first start (migrations.py), 2 (the same tables but
# `archive`, a snapshot document holding the archive itself) with its first snapshot
FORMATS_MIGRATED = (1, 2)
_ARCHIVE_TABLE = "CREATE TABLE IF NOT EXISTS archive (chunk INTEGER PRIMARY KEY, rows BLOB NOT NULL);"

_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE log (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL);
CREATE TABLE snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, state BLOB NOT NULL);
CREATE TABLE history (chunk INTEGER PRIMARY KEY, rows BLOB NOT NULL);
CREATE TABLE archive (chunk INTEGER PRIMARY KEY, rows BLOB NOT NULL);
"""


class SyncMode(StrEnum):
    """SQLite's `synchronous` setting in WAL mode.

    NORMAL: a commit is written to the WAL file but not fsynced; it survives the engine process being killed
    (SIGKILL, a crash), not the machine losing power. FULL: every commit is fsynced; it also survives power loss,
    at the cost of one fsync per command."""

    NORMAL = "normal"
    FULL = "full"


@dataclass(frozen=True)
class Snapshot:
    seq: int  # the last log position the state includes
    state: bytes


class Store:
    """The SQLite file of one data directory, opened and locked for one engine."""

    def __init__(self, data_dir: Path, *, sync: SyncMode = SyncMode.NORMAL, create: bool = True) -> None:
        """`create`: a directory without an engine database gets a new, empty one (else: refused, nothing made)."""
        self.data_dir = data_dir
        if not create and not (data_dir / DATABASE_NAME).is_file():
            raise IncompatibleDataDirError(
                f"Direktori {data_dir} bukan direktori data mesin proses (tidak ada berkas {DATABASE_NAME})."
            )
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Direktori data mesin {data_dir} tidak dapat dibuat: {exc.strerror}.") from None
        self._lock_fd = _lock(data_dir / LOCK_NAME)
        try:
            self._db = self._open(data_dir / DATABASE_NAME, sync, create)
        except BaseException:
            os.close(self._lock_fd)
            raise
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM log").fetchone()
        snap = self._db.execute("SELECT seq FROM snapshot").fetchone()
        self.last_seq: int = max(int(row[0]), int(snap[0]) if snap else 0)
        self.snapshot_seq: int = int(snap[0]) if snap else 0

    def _open(self, path: Path, sync: SyncMode, create: bool) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            application_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.OperationalError as exc:
            raise StorageError(
                f"Basis data mesin {path} tidak dapat dibuka: {exc}. Data yang tersimpan tidak diubah; periksa ruang "
                "disk dan hak akses direktori data, lalu jalankan ulang mesin dengan direktori data yang sama."
            ) from None
        except sqlite3.DatabaseError:
            raise IncompatibleDataDirError(
                f"Berkas {path} bukan basis data mesin proses; gunakan direktori data lain."
            ) from None
        fresh = application_id == 0 and version == 0 and tables == 0
        if fresh and not create:
            db.close()
            raise IncompatibleDataDirError(f"Basis data {path} masih kosong: belum ada status mesin proses di sana.")
        if fresh:
            application_id, version = APPLICATION_ID, FORMAT_VERSION
        if version > FORMAT_VERSION:
            db.close()
            raise IncompatibleDataDirError(
                f"Direktori data {path.parent} memakai format versi {version}, yang ditulis oleh versi mesin yang "
                f"lebih baru; mesin ini hanya dapat membuka format sampai versi {FORMAT_VERSION}. Gunakan versi "
                "pbj yang menulisnya."
            )
        if application_id != APPLICATION_ID:
            db.close()
            raise IncompatibleDataDirError(f"Berkas {path} bukan basis data mesin proses; gunakan direktori data lain.")
        self.format = version
        if version != FORMAT_VERSION and version not in FORMATS_MIGRATED:
            db.close()
            raise IncompatibleDataDirError(
                f"Direktori data {path.parent} memakai format versi {version}, sedangkan mesin ini hanya dapat "
                f"membuka format versi {FORMAT_VERSION}; gunakan versi pbj yang membuatnya atau direktori data lain."
            )
        # the engine's lock file already keeps every other engine out: SQLite's own locking in exclusive mode (WAL
        # index in heap memory, no file locks taken and released per commit) makes each commit cheaper
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={sync.value.upper()}")
        # checkpoints (which fsync the database file) every ~40 MiB of WAL instead of ~4 MiB; snapshots truncate it
        db.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        if fresh:
            db.executescript(
                f"BEGIN; {_SCHEMA} PRAGMA application_id={APPLICATION_ID}; "
                f"PRAGMA user_version={FORMAT_VERSION}; COMMIT;"
            )
        return db

    # ------------------------------------------------------------------ the command log
    def append(self, entry: bytes) -> int:
        """Appends one command and commits it; returns its log position."""
        seq = self.last_seq + 1
        try:
            self._db.execute("INSERT INTO log (seq, entry) VALUES (?, ?)", (seq, entry))
        except sqlite3.Error as exc:
            raise StorageError(f"Perintah tidak dapat disimpan ke direktori data {self.data_dir}: {exc}.") from None
        self.last_seq = seq
        return seq

    def log_after(self, seq: int) -> list[tuple[int, bytes]]:
        rows = self._db.execute("SELECT seq, entry FROM log WHERE seq > ? ORDER BY seq", (seq,)).fetchall()
        return [(int(s), bytes(e)) for s, e in rows]

    # ------------------------------------------------------------------ snapshots
    def load_snapshot(self) -> Snapshot | None:
        row = self._db.execute("SELECT seq, state FROM snapshot").fetchone()
        return Snapshot(int(row[0]), bytes(row[1])) if row else None

    def history_chunks(self) -> list[tuple[int, bytes]]:
        rows = self._db.execute("SELECT chunk, rows FROM history ORDER BY chunk").fetchall()
        return [(int(s), bytes(r)) for s, r in rows]

    def archive_chunks(self) -> list[tuple[int, bytes]]:
        """The archive chunks, in order (none in a data directory of an earlier format, which has no such table)."""
        if self.format < 3:
            return []
        rows = self._db.execute("SELECT chunk, rows FROM archive ORDER BY chunk").fetchall()
        return [(int(s), bytes(r)) for s, r in rows]

    def save_snapshot(
        self,
        state: bytes,
        first_chunk: int,
        history_chunks: list[bytes],
        first_archive: int = 0,
        archive_chunks: tuple[bytes, ...] = (),
    ) -> None:
        """Stores the state as of the last appended command, with the history chunks sealed since the previous
        snapshot (numbered from `first_chunk`) and the archive chunks (from `first_archive`), and drops the log it
        includes: one transaction. A data directory of an earlier format becomes one of this format with it
        (`first_chunk` 0: its history chunks are rewritten)."""
        seq = self.last_seq
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self.format != FORMAT_VERSION:
                    self._db.execute("DELETE FROM history WHERE chunk >= ?", (first_chunk,))
                    self._db.execute(_ARCHIVE_TABLE)
                    self._db.execute("DELETE FROM archive WHERE chunk >= ?", (first_archive,))
                    self._db.execute(f"PRAGMA user_version={FORMAT_VERSION}")
                self._db.executemany(
                    "INSERT INTO history (chunk, rows) VALUES (?, ?)",
                    [(first_chunk + n, chunk) for n, chunk in enumerate(history_chunks)],
                )
                self._db.executemany(
                    "INSERT INTO archive (chunk, rows) VALUES (?, ?)",
                    [(first_archive + n, chunk) for n, chunk in enumerate(archive_chunks)],
                )
                self._db.execute("INSERT OR REPLACE INTO snapshot (id, seq, state) VALUES (1, ?, ?)", (seq, state))
                self._db.execute("DELETE FROM log WHERE seq <= ?", (seq,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StorageError(f"Snapshot tidak dapat disimpan ke direktori data {self.data_dir}: {exc}.") from None
        self.snapshot_seq = seq
        self.format = FORMAT_VERSION
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ------------------------------------------------------------------ meta
    def get_meta(self, name: str) -> bytes | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return bytes(row[0]) if row else None

    def set_meta(self, name: str, value: bytes) -> None:
        try:
            self._db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))
        except sqlite3.Error as exc:
            raise StorageError(f"Data mesin tidak dapat disimpan ke direktori data {self.data_dir}: {exc}.") from None

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        with contextlib.suppress(OSError):
            os.close(self._lock_fd)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _lock(path: Path) -> int:
    """Takes the data directory's lock (released by the kernel when the process ends, however it ends)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StorageError(f"Berkas kunci {path} tidak dapat dibuka: {exc.strerror}.") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        os.close(fd)
        who = f" (pid {holder})" if holder.isdigit() else ""
        raise DataDirLockedError(
            f"Direktori data {path.parent} sedang dipakai oleh mesin proses lain yang masih berjalan{who}; "
            "hentikan mesin itu atau gunakan direktori data lain."
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
    return fd
