"""The engine's one clock: every timer, job deadline, retry back-off and message TTL reads it."""

from datetime import UTC, datetime, timedelta


class Clock:
    """Real time by default; a controlled clock can be moved forward, pinned and reset (tests only)."""

    def __init__(self, *, controlled: bool = False) -> None:
        self.controlled = controlled
        self._offset = timedelta(0)
        self._pinned: datetime | None = None

    def now(self) -> datetime:
        base = self._pinned if self._pinned is not None else datetime.now(UTC)
        return base + self._offset

    def _require_control(self) -> None:
        if not self.controlled:
            raise RuntimeError("the engine clock is not controllable: start the engine in test mode")

    def increase(self, delta: timedelta) -> None:
        """Moves the clock forward by `delta` (never backwards)."""
        self._require_control()
        if delta < timedelta(0):
            raise ValueError("the clock can only be moved forward")
        self._offset += delta

    def pin(self, at: datetime) -> None:
        """Freezes the clock at `at` (aware datetime)."""
        self._require_control()
        if at.tzinfo is None:
            raise ValueError("pin the clock to a timezone-aware datetime")
        self._pinned = at
        self._offset = timedelta(0)

    def reset(self) -> None:
        """Back to real time."""
        self._require_control()
        self._pinned = None
        self._offset = timedelta(0)


# The latest and earliest instants the engine represents. A client may send any int64 milliseconds as a job
# timeout, back-off or message TTL; a deadline past FAR_FUTURE is held there (in effect: never) instead of
# overflowing datetime.
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
FAR_PAST = datetime(1, 1, 2, tzinfo=UTC)


def after(moment: datetime, millis: int) -> datetime:
    """`moment` plus `millis` milliseconds (negative: before), held between FAR_PAST and FAR_FUTURE."""
    try:
        return max(FAR_PAST, min(moment + timedelta(milliseconds=millis), FAR_FUTURE))
    except OverflowError:
        return FAR_FUTURE if millis > 0 else FAR_PAST


def to_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_millis(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)
