"""What falls due when: timers, job deadlines, retry back-offs and message expiries, in one heap.

Kept by the appliers that give something a due time (each pushes an entry; the entries' sequence numbers order
what falls due at one instant, so a snapshot stores the live entries with them): an entry whose thing has gone or
changed its due time is dead, skipped when it comes up and dropped whenever the heap has doubled.
"""

import heapq
import itertools
from collections.abc import Callable
from datetime import datetime

COMPACT_MIN = 1024  # entries before dead ones are first dropped

TIMER = "timer"
JOB_DEADLINE = "job-deadline"
JOB_BACKOFF = "job-backoff"
MESSAGE_EXPIRY = "message-expiry"

Entry = tuple[datetime, int, str, int]


class DueIndex:
    __slots__ = ("_compact_at", "_seq", "heap", "moved")

    def __init__(self) -> None:
        self.heap: list[Entry] = []
        self._seq = itertools.count()
        self._compact_at = COMPACT_MIN
        self.moved = False  # something became due earlier than what the scheduler sleeps towards

    def schedule(self, due: datetime, kind: str, key: int, is_live: Callable[[str, int, datetime], bool]) -> None:
        entry = (due, next(self._seq), kind, key)
        heapq.heappush(self.heap, entry)
        if self.heap[0] is entry:
            self.moved = True
        if len(self.heap) >= self._compact_at:
            self.heap = [e for e in self.heap if is_live(e[2], e[3], e[0])]
            heapq.heapify(self.heap)
            self._compact_at = max(COMPACT_MIN, 2 * len(self.heap))

    def first_live(self, is_live: Callable[[str, int, datetime], bool]) -> datetime | None:
        heap = self.heap
        while heap:
            due, _, kind, key = heap[0]
            if is_live(kind, key, due):
                return due
            heapq.heappop(heap)
        return None

    def pop_due(self, now: datetime) -> Entry | None:
        """The earliest entry due by `now` (live or not), taken out of the heap."""
        if self.heap and self.heap[0][0] <= now:
            return heapq.heappop(self.heap)
        return None

    @property
    def next_seq(self) -> int:
        return int(repr(self._seq)[6:-1])

    def live_entries(self, is_live: Callable[[str, int, datetime], bool]) -> list[Entry]:
        return sorted(e for e in self.heap if is_live(e[2], e[3], e[0]))

    def restore(self, entries: list[Entry], next_seq: int) -> None:
        self.heap = list(entries)
        heapq.heapify(self.heap)
        self._seq = itertools.count(next_seq)
        self._compact_at = max(COMPACT_MIN, 2 * len(self.heap))
