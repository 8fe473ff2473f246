"""The engine's key sequence, and the reserved sequence of durable mode."""

from collections.abc import Callable
from datetime import datetime
from typing import NoReturn, Protocol

# Zeebe keys carry the partition id in their top bits: (partition << 51) + counter.
KEY_BASE = 1 << 51
# durable mode records a reservation once per this many keys (one small write per block)
RESERVATION_BLOCK = 1000


class KeyGenerator:
    """Positive int64 keys, unique and increasing, shaped like partition 1's keys in Zeebe."""

    __slots__ = ("_last",)

    def __init__(self, last: int = KEY_BASE) -> None:
        self._last = last

    def next(self) -> int:
        self._last += 1
        return self._last

    @property
    def last(self) -> int:
        return self._last

    @property
    def reserved(self) -> int:
        """The last key that may have been handed out: a restarted sequence continues after it (in memory: `last`)."""
        return self._last

    def restore(self, last: int) -> None:
        """Continues after `last` (recovery: the last key a replayed command had taken)."""
        self._last = last


class Commands(Protocol):
    """What tells whether a command runs: its instant is set while it does (the engine's state)."""

    instant: datetime | None


class ReservedKeys(KeyGenerator):
    """A key sequence that hands out only keys a recorded reservation covers (durable mode).

    Before the first key beyond the current reservation is handed out, `reserve(limit)` records the next block (up to
    `limit`, RESERVATION_BLOCK keys) durably; when it raises, no key is handed out. A recovery continues after the
    highest recorded reservation (`continue_after`), so no key handed out in memory – by a command whose log entry was
    never written, too – is handed out again. Costs one comparison per key and one write per block.

    Once `commands` is set, a key is handed out only while a command runs (a key taken outside one would be in no
    logged event): else `refuse()` raises."""

    __slots__ = ("_limit", "_refuse", "_reserve", "commands")

    def __init__(self, reserve: Callable[[int], None], refuse: Callable[[], NoReturn] | None = None) -> None:
        super().__init__()
        self._limit = KEY_BASE
        self._reserve = reserve
        self._refuse = refuse
        self.commands: Commands | None = None

    def next(self) -> int:
        commands = self.commands  # one attribute read and a comparison: this runs for every key taken
        if commands is not None and commands.instant is None and self._refuse is not None:
            self._refuse()
        key = self._last + 1
        if key > self._limit:
            limit = key + RESERVATION_BLOCK - 1
            self._reserve(limit)
            self._limit = limit
        self._last = key
        return key

    @property
    def reserved(self) -> int:
        return max(self._limit, self._last)

    def continue_after(self, reserved: int) -> None:
        """Recovery: the next key follows `reserved` and the last key replayed, whichever is higher; the next
        reservation is recorded before it is handed out."""
        self._last = self._limit = max(reserved, self._last)
