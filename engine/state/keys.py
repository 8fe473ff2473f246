"""The engine's key sequence."""

# Zeebe keys carry the partition id in their top bits: (partition << 51) + counter.
KEY_BASE = 1 << 51


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

    def restore(self, last: int) -> None:
        """Continues after `last` (recovery: the last key a replayed command had taken)."""
        self._last = last
