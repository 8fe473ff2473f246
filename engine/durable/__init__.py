"""Durable mode of the embedded engine: a command log and snapshots in SQLite (see `DurableEngine`)."""

from engine.durable.engine import DurableEngine, open_durable_engine
from engine.durable.errors import DataDirLockedError, DurableError, IncompatibleDataDirError, StorageError
from engine.durable.store import SyncMode

__all__ = [
    "DataDirLockedError",
    "DurableEngine",
    "DurableError",
    "IncompatibleDataDirError",
    "StorageError",
    "SyncMode",
    "open_durable_engine",
]
