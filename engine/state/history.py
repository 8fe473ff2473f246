"""The history: every record the engine wrote (element-instance transitions, jobs, timers, …), oldest first.

The fields of each record lie one after another in a flat list (no object per record for the cyclic garbage
collector to count and scan), sealed every CHUNK_FIELDS fields into a tuple of ints, strings and datetimes, which the
collector stops tracking. `Record`s are made only when the history is read.
"""

import itertools
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from engine.state.values import Record

RECORD_WIDTH = len(Record._fields)
CHUNK_FIELDS = RECORD_WIDTH * 4096


class History:
    """Appended to by the appliers only (each event they apply is one record, or none for internal events)."""

    __slots__ = ("chunks", "fields", "positions")

    def __init__(self) -> None:
        self.fields: list[Any] = []
        self.chunks: list[tuple[Any, ...]] = []
        self.positions = itertools.count(1)

    def append(
        self,
        value_type: str,
        intent: str,
        key: int,
        timestamp: datetime,
        process_instance_key: int | None = None,
        element_id: str | None = None,
        bpmn_element_type: str | None = None,
        flow_scope_key: int | None = None,
    ) -> None:
        self.fields += (
            next(self.positions),
            value_type,
            intent,
            key,
            timestamp,
            process_instance_key,
            element_id,
            bpmn_element_type,
            flow_scope_key,
        )

    @property
    def next_position(self) -> int:
        """The position the next record gets (read from the counter's repr, "count(n)", without taking it)."""
        return int(repr(self.positions)[6:-1])

    def restore(self, chunks: list[tuple[Any, ...]], fields: list[Any], next_position: int) -> None:
        self.chunks = chunks
        self.fields = fields
        self.positions = itertools.count(next_position)

    def seal(self) -> None:
        """Seals the open part into a chunk once it holds CHUNK_FIELDS fields."""
        if len(self.fields) >= CHUNK_FIELDS:
            self.chunks.append(tuple(self.fields))
            self.fields = []

    def entries(self) -> Iterator[tuple[Any, ...]]:
        """The records as tuples of Record's fields, oldest first."""
        for chunk in [*self.chunks, list(self.fields)]:
            values = iter(chunk)
            yield from zip(*[values] * RECORD_WIDTH, strict=False)  # consecutive groups of a record's fields

    def records(self) -> list[Record]:
        return [Record._make(entry) for entry in self.entries()]
