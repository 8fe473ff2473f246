"""What can go wrong opening or writing an engine data directory; one base, `DurableError`.

The messages are read by operators (`pbj engine`, `pbj up` print them), so they are in formal Indonesian."""

from engine.errors import EngineError


class DurableError(EngineError):
    """Base of the durable store's errors."""


class DataDirLockedError(DurableError):
    """Another running engine holds the data directory."""


class IncompatibleDataDirError(DurableError):
    """The data directory holds something this engine cannot read: another format version, or not engine data."""


class StorageError(DurableError):
    """A command could not be written to the data directory (disk full, file removed, I/O error)."""
