"""Reads over the engine's whole state that several resources answer – a search, the sequence flows an instance
took (from the history), element statistics – each letting the event loop serve others while it runs."""

import asyncio
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from engine.engine import Engine
from engine.model import Kind
from engine.rest.http import answer
from engine.search.language import ROWS_PER_TURN, Row, Search
from engine.state.history import RECORD_WIDTH

_RECORDS_PER_TURN = 20_000


async def search_answer(query: Search, rows: Iterable[Row]) -> web.Response:
    return answer(await query.run_async(rows))


async def matching(query: Search, rows: Iterable[Row], field: str) -> set[Any]:
    """The `field` of every row the query's filter matches, yielding to the event loop every ROWS_PER_TURN rows."""
    found: set[Any] = set()
    for count, row in enumerate(rows, 1):
        if query.predicate(row):
            found.add(row[field])
        if count % ROWS_PER_TURN == 0:
            await asyncio.sleep(0)
    return found


async def sequence_flows(engine: Engine, process_instance_key: int) -> list[str]:
    """The ids of the sequence flows the instance took, each once, in the order first taken."""
    taken: dict[str, None] = {}
    seen = 0
    history = engine.state.history
    for chunk in [*history.chunks, tuple(history.fields)]:
        for start in range(0, len(chunk), RECORD_WIDTH):
            # position, value type, intent, key, timestamp, process instance, element id, type, flow scope
            if chunk[start + 2] == "SEQUENCE_FLOW_TAKEN" and chunk[start + 5] == process_instance_key:
                flow_id = chunk[start + 6]
                if flow_id is not None:
                    taken[flow_id] = None
            seen += 1
            if seen % _RECORDS_PER_TURN == 0:
                await asyncio.sleep(0)
    return list(taken)


async def element_statistics(engine: Engine, process_instance_keys: set[int]) -> list[dict[str, object]]:
    """Per element id: the element instances active, completed, terminated (`canceled`) and with an incident, of the
    given process instances."""
    counts: dict[str, dict[str, int]] = {}

    def count(element_id: str, state: str, incident: bool) -> None:
        entry = counts.setdefault(element_id, {"active": 0, "canceled": 0, "incidents": 0, "completed": 0})
        if incident:
            entry["incidents"] += 1
        elif state == "ELEMENT_COMPLETED":
            entry["completed"] += 1
        elif state == "ELEMENT_TERMINATED":
            entry["canceled"] += 1
        else:
            entry["active"] += 1

    for index, inst in enumerate(list(engine.element_instances.values()), 1):
        if (
            inst.kind is not Kind.PROCESS
            and inst.kind is not Kind.MULTI_INSTANCE_BODY
            and inst.process_instance_key in process_instance_keys
        ):
            count(inst.element_id, inst.state.value, inst.incident_key is not None)
        if index % ROWS_PER_TURN == 0:
            await asyncio.sleep(0)
    for index, done in enumerate(engine.finished_elements(), 1):
        if (
            done.kind not in (Kind.PROCESS.value, Kind.MULTI_INSTANCE_BODY.value)
            and done.process_instance_key in process_instance_keys
        ):
            count(done.element_id, done.state, False)
        if index % ROWS_PER_TURN == 0:
            await asyncio.sleep(0)
    return [{"elementId": element_id, **numbers} for element_id, numbers in sorted(counts.items())]
