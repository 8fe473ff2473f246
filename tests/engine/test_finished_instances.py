"""Finished process instances leave the live state: their element instances move to the engine's archive as plain
tuples and the history is kept in sealed chunks, while the read API, the testing helpers and `Engine.records` give
the same answers as for live ones."""

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from engine.engine import Engine
from engine.state import ElementState, Record
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_harness import bpmn, end, flow, fork, io, multi_instance, start, sub_process
from tests.engine.test_rpc_rest import user_task


def review_process() -> bytes:
    """start → Prepare (sub-process, local `localAmount`: its Review user task, local `doubled`) → split →
    Each (task, multi-instance over [1, 2]) and Note (task) → join → end."""
    review = user_task("Review", "Review the request", io(inputs=(("=localAmount * 2", "doubled"),)))
    inner = "\n".join(
        [
            start("InnerStart"),
            review,
            end("InnerEnd"),
            flow("Flow_InnerStart_Review", "InnerStart", "Review"),
            flow("Flow_Review_InnerEnd", "Review", "InnerEnd"),
        ]
    )
    each = f'<bpmn:task id="Each">{multi_instance("=[1, 2]", "item")}</bpmn:task>'
    return bpmn(
        "review",
        start("Start"),
        sub_process("Prepare", inner, io(inputs=(("=amount", "localAmount"),))),
        fork("Split"),
        each,
        '<bpmn:task id="Note" />',
        fork("Join"),
        end("End"),
        flow("F1", "Start", "Prepare"),
        flow("F2", "Prepare", "Split"),
        flow("F3", "Split", "Each"),
        flow("F4", "Split", "Note"),
        flow("F5", "Each", "Join"),
        flow("F6", "Note", "Join"),
        flow("F7", "Join", "End"),
    )


@pytest.fixture
async def http(engine: EmbeddedEngine) -> AsyncIterator[aiohttp.ClientSession]:
    engine.engine.deploy([("review.bpmn", review_process())])
    async with aiohttp.ClientSession(base_url=engine.rest_url) as session:
        yield session


async def _json(response: aiohttp.ClientResponse) -> Any:
    assert response.status == 200, await response.text()
    return await response.json()


async def test_a_finished_instance_reads_as_its_history_says(
    engine: EmbeddedEngine, http: aiohttp.ClientSession
) -> None:
    """Once the instance completes, none of its element instances is left in the live state; each one read back
    (engine, testing helpers, REST) has the element id, type, flow scope, start and end of its records in the
    history, its final state and its local variables; the user task's variables are still searchable."""
    core = engine.engine
    waiting = core.create_process_instance(bpmn_process_id="review")  # stays at Review
    pi = core.create_process_instance(bpmn_process_id="review", variables={"amount": 5}).key
    [task] = [t for t in core.user_tasks.values() if t.process_instance_key == pi]
    async with http.post(f"/v2/user-tasks/{task.key}/completion", json={"variables": {"approved": True}}) as answer:
        assert answer.status == 204, await answer.text()
    engine.assert_that(pi).is_completed()

    assert not [e for e in core.element_instances.values() if e.process_instance_key == pi]
    live = [e for e in core.element_instances.values() if e.process_instance_key == waiting.key]
    assert [e.element_id for e in live if e.state.is_active] == ["review", "Prepare", "Review"]
    records = [r for r in core.records if r.value_type == "PROCESS_INSTANCE" and r.process_instance_key == pi]
    started = {r.key: r for r in records if r.intent == "ELEMENT_ACTIVATING"}
    ended = {r.key: r for r in records if r.intent in ("ELEMENT_COMPLETED", "ELEMENT_TERMINATED")}
    assert set(started) == set(ended)
    for key, first in started.items():
        inst = core.element_instance(key)
        assert inst is not None
        assert (inst.element_id, inst.bpmn_element_type, inst.flow_scope_key) == (
            first.element_id,
            first.bpmn_element_type,
            first.flow_scope_key,
        )
        assert (inst.started_at, inst.ended_at) == (first.timestamp, ended[key].timestamp)
        assert inst.state is ElementState(ended[key].intent)
    assert len(engine.element_instances(pi)) == len(started)  # the testing helper sees them all

    by_id: dict[str, list[dict[str, Any]]] = {}
    for inst in engine.element_instances(pi):
        by_id.setdefault(inst.element_id, []).append(inst.variables)
    assert by_id["review"] == [{"amount": 5, "approved": True}]
    assert by_id["Prepare"] == [{"localAmount": 5}]
    assert by_id["Review"] == [{"doubled": 10}]
    assert sorted(by_id["Each"], key=lambda v: v.get("loopCounter", 0)) == [
        {},
        {"item": 1, "loopCounter": 1},
        {"item": 2, "loopCounter": 2},
    ]

    review_key = next(k for k, r in started.items() if r.element_id == "Review")
    row = await _json(await http.get(f"/v2/element-instances/{review_key}"))
    assert (row["elementId"], row["type"], row["state"]) == ("Review", "USER_TASK", "COMPLETED")
    assert row["endDate"] is not None
    found = await _json(await http.post("/v2/element-instances/search", json={"filter": {"processInstanceKey": pi}}))
    assert found["page"]["totalItems"] == len(started) - 1  # the process itself is a process instance, not listed
    variables = await _json(await http.post(f"/v2/user-tasks/{task.key}/variables/search", json={}))
    assert {v["name"]: v["value"] for v in variables["items"]} == {
        "amount": "5",
        "approved": "true",
        "doubled": "10",
        "localAmount": "5",
    }
    by_local = {"filter": {"variables": [{"name": "doubled", "value": "10"}]}}  # a local of the finished Review
    instances = await _json(await http.post("/v2/process-instances/search", json=by_local))
    assert [i["processInstanceKey"] for i in instances["items"]] == [str(pi)]


def test_the_history_reads_the_same_across_its_sealed_chunks() -> None:
    """Tens of thousands of records (several sealed chunks): positions run 1, 2, 3… without a gap, every instance
    has the same records in the same order, and reading the history twice gives equal Records."""
    engine = Engine()
    engine.deploy(
        [
            (
                "simple.bpmn",
                bpmn(
                    "simple",
                    start("Start"),
                    '<bpmn:task id="Work" />',
                    end("End"),
                    flow("F1", "Start", "Work"),
                    flow("F2", "Work", "End"),
                ),
            )
        ]
    )
    keys = [engine.create_process_instance(bpmn_process_id="simple").key for _ in range(1500)]
    records = engine.records
    assert len(records) > 20_000
    assert [r.position for r in records] == list(range(1, len(records) + 1))
    assert all(isinstance(r, Record) for r in records)

    def shape(pi: int) -> list[tuple[str, str, str | None]]:
        return [(r.value_type, r.intent, r.element_id) for r in records if r.process_instance_key == pi]

    assert shape(keys[0]) == shape(keys[-1])
    assert shape(keys[0])[-1] == ("PROCESS_INSTANCE", "ELEMENT_COMPLETED", "simple")
    assert engine.records == records
    assert not engine.element_instances  # nothing runs
    assert len(list(engine.all_element_instances())) == 4 * len(keys)  # root, Start, Work, End each
