"""Conformance: the Orchestration Cluster REST API beyond user tasks – process instances, element instances,
incidents, process definitions, message publication and the clock – with Camunda 8.8's shapes (string keys,
ISO 8601 dates, `filter`/`sort`/`page` searches, RFC 9457 problems), driven with aiohttp's client against
processes run through the gRPC gateway."""

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.clock import to_millis
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process, service_task
from tests.engine.bpmn_harness import call_activity, catch, timer
from tests.engine.rest_helpers import UNKNOWN_KEY, bad_search, get, items, ok, problem, search
from tests.engine.rpc_helpers import activate_one, complete, create, receive_task_process, two_tasks

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def review_process(name: str = "Review a request") -> bytes:
    """start → Check (service task `check`, named) → Archive (service task `archive`, retries 1) → end."""
    document = process(
        "review",
        '<bpmn:startEvent id="Start" />'
        + service_task("CheckTask", "check", attrs='name="Check the documents"')
        + service_task("ArchiveTask", "archive", retries=1)
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "CheckTask", "ArchiveTask", "End"),
    )
    return document.replace(b'isExecutable="true"', f'isExecutable="true" name="{name}"'.encode())


def sla_timer_process() -> bytes:
    """start → Wait (timer catch event, PT1H) → end."""
    return process(
        "slaTimer",
        '<bpmn:startEvent id="Start" />'
        + catch("WaitAnHour", timer("timeDuration", "PT1H"))
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "WaitAnHour", "End"),
    )


def caller_process() -> bytes:
    """start → CallTwoTasks (call activity of `twoTasks`) → end."""
    return process(
        "caller",
        '<bpmn:startEvent id="Start" />'
        + call_activity("CallTwoTasks", "twoTasks")
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "CallTwoTasks", "End"),
    )


@pytest.fixture
async def http(engine: EmbeddedEngine) -> AsyncIterator[aiohttp.ClientSession]:
    engine.engine.deploy(
        [
            ("review.bpmn", review_process()),
            ("two-tasks.bpmn", two_tasks()),
            ("payment.bpmn", receive_task_process()),
            ("sla.bpmn", sla_timer_process()),
        ]
    )
    async with aiohttp.ClientSession(base_url=engine.rest_url) as session:
        yield session


async def pin(http: aiohttp.ClientSession, moment: datetime) -> None:
    async with http.put("/v2/clock", json={"timestamp": to_millis(moment)}) as response:
        assert response.status == 204, await response.text()


async def fail_without_retries(gateway: Any, job_type: str, message: str = "archive is full") -> pb.ActivatedJob:
    job = await activate_one(gateway, job_type)
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage=message))
    return job


async def three_instances(http: aiohttp.ClientSession, gateway: Any) -> tuple[int, int, int]:
    """At T0 a review instance that then completes (T0+1h); at T0+2h a twoTasks instance; at T0+3h a review instance
    whose archive job failed without retries (an incident)."""
    await pin(http, T0)
    done = await create(gateway, "review", {"requestId": "R-1"})
    await complete(gateway, (await activate_one(gateway, "check")).key)
    await pin(http, T0 + timedelta(hours=1))
    await complete(gateway, (await activate_one(gateway, "archive")).key)
    await pin(http, T0 + timedelta(hours=2))
    other = await create(gateway, "twoTasks")
    await pin(http, T0 + timedelta(hours=3))
    stuck = await create(gateway, "review", {"requestId": "R-2"})
    await complete(gateway, (await activate_one(gateway, "check")).key)
    await fail_without_retries(gateway, "archive")
    return done, other, stuck


# ---------------------------------------------------------------------- clock
async def test_pinning_the_clock_past_a_timer_fires_it(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """PUT /v2/clock answers 204 and freezes the engine's time there; pinning before the timer is due leaves it,
    pinning past it fires it and the instance completes."""
    await pin(http, T0)
    waiting = await create(gateway, "slaTimer")
    await pin(http, T0 + timedelta(minutes=59))
    assert engine.current_time == T0 + timedelta(minutes=59)
    engine.assert_that(waiting).is_waiting_at("WaitAnHour")
    await pin(http, T0 + timedelta(hours=1, seconds=1))
    engine.assert_that(waiting).has_passed("WaitAnHour").is_completed()
    [wait] = engine.element_instances(waiting, "WaitAnHour")
    assert wait.ended_at == T0 + timedelta(hours=1, seconds=1)


async def test_reset_returns_the_clock_to_real_time(engine: EmbeddedEngine, http: aiohttp.ClientSession) -> None:
    """POST /v2/clock/reset answers 204 and the engine's time is real time again."""
    await pin(http, T0)
    async with http.post("/v2/clock/reset") as response:
        assert response.status == 204, await response.text()
    assert abs(engine.current_time - datetime.now(UTC)) < timedelta(minutes=1)


async def test_bad_pins_are_400_problems(engine: EmbeddedEngine, http: aiohttp.ClientSession) -> None:
    """A missing, negative or non-integer timestamp answers 400 naming it, and the clock does not move."""
    await pin(http, T0)
    for body in ({}, {"timestamp": -1}, {"timestamp": "2025-03-03T08:00:00Z"}, {"timestamp": True}):
        async with http.put("/v2/clock", json=body) as response:
            assert "timestamp" in (await problem(response, 400))["detail"], body
    assert engine.current_time == T0


async def test_the_clock_cannot_be_moved_outside_test_mode() -> None:
    """An engine without a controlled clock answers the clock endpoints with a 403 problem saying it is not in
    test mode; its time stays real."""
    async with (
        EmbeddedEngine(controlled_clock=False) as engine,
        aiohttp.ClientSession(base_url=engine.rest_url) as http,
    ):
        async with http.put("/v2/clock", json={"timestamp": to_millis(T0)}) as response:
            assert "not controlled" in (await problem(response, 403))["detail"]
        async with http.post("/v2/clock/reset") as response:
            assert "not controlled" in (await problem(response, 403))["detail"]
        assert abs(engine.current_time - datetime.now(UTC)) < timedelta(minutes=1)


# ---------------------------------------------------------------------- process instances
async def test_process_instance_search_answers_camundas_fields(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """POST /v2/process-instances/search answers keys as strings, state, ISO dates, definition id/key/version/name."""
    done, _, stuck = await three_instances(http, gateway)
    found = await items(http, "process-instances", {"filter": {"processInstanceKey": str(done)}})
    [instance] = found
    definition = engine.process_instance(done).process_definition_key
    assert instance == {
        "processInstanceKey": str(done),
        "processDefinitionId": "review",
        "processDefinitionName": "Review a request",
        "processDefinitionVersion": 1,
        "processDefinitionKey": str(definition),
        "startDate": "2025-03-03T08:00:00.000Z",
        "endDate": "2025-03-03T09:00:00.000Z",
        "state": "COMPLETED",
        "hasIncident": False,
        "tenantId": "<default>",
    }  # an optional property without a value is absent (never null): version tag, parent keys, tags
    [with_incident] = await items(http, "process-instances", {"filter": {"processInstanceKey": str(stuck)}})
    assert (with_incident["state"], with_incident["hasIncident"], with_incident.get("endDate")) == (
        "ACTIVE",
        True,
        None,
    )


async def test_process_instance_filters_by_state_process_incident_dates_and_variables(
    http: aiohttp.ClientSession, gateway: Any
) -> None:
    """Exact values, $in/$neq/$exists, date ranges and variable values narrow the process instances."""
    done, other, stuck = await three_instances(http, gateway)

    async def keys(filters: dict[str, Any]) -> list[int]:
        return [int(i["processInstanceKey"]) for i in await items(http, "process-instances", {"filter": filters})]

    assert await keys({}) == [done, other, stuck]
    assert await keys({"state": "ACTIVE"}) == [other, stuck]
    assert await keys({"state": {"$in": ["COMPLETED", "TERMINATED"]}}) == [done]
    assert await keys({"processDefinitionId": "review", "hasIncident": False}) == [done]
    assert await keys({"hasIncident": True}) == [stuck]
    assert await keys({"processInstanceKey": {"$neq": str(other)}}) == [done, stuck]
    assert await keys({"processDefinitionId": {"$like": "rev*"}}) == [done, stuck]
    assert await keys({"processDefinitionVersion": {"$gte": 1}, "processDefinitionName": "twoTasks"}) == [other]
    assert await keys({"endDate": {"$exists": True}}) == [done]
    assert await keys({"startDate": {"$gte": "2025-03-03T09:00:00Z", "$lt": "2025-03-03T11:00:00+00:00"}}) == [other]
    assert await keys({"startDate": {"$gt": "2025-03-03T10:00:00.000+01:00"}}) == [other, stuck]
    assert await keys({"startDate": "2025-03-03T08:00:00.000Z"}) == [done]
    assert await keys({"variables": [{"name": "requestId", "value": '"R-2"'}]}) == [stuck]
    assert await keys({"variables": [{"name": "requestId", "value": {"$like": '"R-*'}}]}) == [done, stuck]
    assert await keys({"parentProcessInstanceKey": {"$exists": False}, "tenantId": "<default>"}) == [done, other, stuck]


async def test_process_instance_sort_orders_by_the_given_fields(http: aiohttp.ClientSession, gateway: Any) -> None:
    """sort takes fields in precedence with ASC/DESC; missing end dates sort last either way; the key breaks ties."""
    done, other, stuck = await three_instances(http, gateway)

    async def keys(sort: list[dict[str, str]]) -> list[int]:
        return [int(i["processInstanceKey"]) for i in await items(http, "process-instances", {"sort": sort})]

    assert await keys([{"field": "startDate", "order": "DESC"}]) == [stuck, other, done]
    assert await keys([{"field": "processDefinitionId"}, {"field": "startDate", "order": "desc"}]) == [
        stuck,
        done,
        other,
    ]
    assert await keys([{"field": "endDate", "order": "DESC"}]) == [done, other, stuck]
    assert await keys([{"field": "endDate", "order": "ASC"}]) == [done, other, stuck]
    assert await keys([{"field": "hasIncident", "order": "DESC"}, {"field": "state"}]) == [stuck, other, done]


async def test_process_instance_pages_by_offset_and_by_cursor(http: aiohttp.ClientSession, gateway: Any) -> None:
    """page.from/limit cut the result; endCursor as page.after gives the next page, startCursor as before the
    previous one; totalItems counts every match."""
    done, other, stuck = await three_instances(http, gateway)
    first = await search(http, "process-instances", {"page": {"limit": 2}})
    assert [int(i["processInstanceKey"]) for i in first["items"]] == [done, other]
    assert first["page"]["totalItems"] == 3
    assert json.loads(base64.b64decode(first["page"]["endCursor"])) == [other]
    nxt = await search(http, "process-instances", {"page": {"limit": 2, "after": first["page"]["endCursor"]}})
    assert [int(i["processInstanceKey"]) for i in nxt["items"]] == [stuck]
    back = await search(http, "process-instances", {"page": {"limit": 1, "before": nxt["page"]["startCursor"]}})
    assert [int(i["processInstanceKey"]) for i in back["items"]] == [other]
    offset = await search(http, "process-instances", {"page": {"from": 1, "limit": 1}})
    assert [int(i["processInstanceKey"]) for i in offset["items"]] == [other]
    unset = await search(http, "process-instances", {"page": {"from": None, "limit": None, "after": None}})
    assert len(unset["items"]) == 3
    empty = await search(http, "process-instances", {"page": {"from": 5}})
    assert (empty["items"], empty["page"]["totalItems"], empty["page"].get("endCursor")) == ([], 3, None)


async def test_a_cursor_follows_the_sort_and_survives_a_changing_result(
    http: aiohttp.ClientSession, gateway: Any
) -> None:
    """A cursor holds the item's sort values: paging on by startDate DESC continues after an item that has since
    left the filtered result."""
    _, other, stuck = await three_instances(http, gateway)
    body: dict[str, Any] = {"filter": {"state": "ACTIVE"}, "sort": [{"field": "startDate", "order": "DESC"}]}
    first = await search(http, "process-instances", {**body, "page": {"limit": 1}})
    assert [int(i["processInstanceKey"]) for i in first["items"]] == [stuck]
    await gateway.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=stuck))
    nxt = await search(http, "process-instances", {**body, "page": {"limit": 5, "after": first["page"]["endCursor"]}})
    assert [int(i["processInstanceKey"]) for i in nxt["items"]] == [other]
    assert (await get(http, f"/v2/process-instances/{stuck}"))["state"] == "TERMINATED"


async def test_a_called_instance_answers_its_parent_keys(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """An instance a call activity created answers its parent instance and the call activity's element instance,
    which a parentProcessInstanceKey filter finds; the call activity is a CALL_ACTIVITY element instance."""
    engine.engine.deploy([("caller.bpmn", caller_process())])
    parent = await create(gateway, "caller")
    [call] = engine.element_instances(parent, "CallTwoTasks")
    [child] = await items(http, "process-instances", {"filter": {"parentProcessInstanceKey": str(parent)}})
    assert (child["processDefinitionId"], child["parentElementInstanceKey"]) == ("twoTasks", str(call.key))
    [root] = await items(http, "process-instances", {"filter": {"parentProcessInstanceKey": {"$exists": False}}})
    assert root["processInstanceKey"] == str(parent)
    [found] = await items(http, "element-instances", {"filter": {"type": "CALL_ACTIVITY"}})
    assert (found["elementInstanceKey"], found["state"]) == (str(call.key), "ACTIVE")


async def test_get_process_instance_answers_the_searched_item_or_404(http: aiohttp.ClientSession, gateway: Any) -> None:
    """GET /v2/process-instances/{key} answers what the search answers; an unknown key is a 404 problem naming it."""
    done, _, _ = await three_instances(http, gateway)
    [found] = await items(http, "process-instances", {"filter": {"processInstanceKey": str(done)}})
    assert await get(http, f"/v2/process-instances/{done}") == found
    async with http.get(f"/v2/process-instances/{UNKNOWN_KEY}") as response:
        assert UNKNOWN_KEY in (await problem(response, 404))["detail"]
    async with http.get("/v2/process-instances/nine") as response:
        assert "'nine'" in (await problem(response, 400))["detail"]


async def test_bad_searches_are_400_problems_naming_what_is_wrong(http: aiohttp.ClientSession, gateway: Any) -> None:
    """Unknown filter properties (all named), operators, sort fields, enum values, dates, keys, page combinations
    and cursors answer 400 problem+json saying what is wrong."""
    await three_instances(http, gateway)
    detail = await bad_search(http, "process-instances", {"filter": {"colour": "red", "size": 1, "state": "ACTIVE"}})
    assert "'colour', 'size'" in detail
    assert "'processDefinitionId'" in detail  # the known ones are listed
    assert "'$between'" in await bad_search(http, "process-instances", {"filter": {"startDate": {"$between": 1}}})
    assert "'$gt'" in await bad_search(http, "process-instances", {"filter": {"processInstanceKey": {"$gt": "1"}}})
    assert "'RUNNING'" in await bad_search(http, "process-instances", {"filter": {"state": "RUNNING"}})
    assert "ISO 8601" in await bad_search(http, "process-instances", {"filter": {"startDate": {"$gt": "yesterday"}}})
    assert "ISO 8601" in await bad_search(http, "process-instances", {"filter": {"endDate": "2025-03-03T08:00:00"}})
    assert "key" in await bad_search(http, "process-instances", {"filter": {"processDefinitionKey": "abc"}})
    assert "true or false" in await bad_search(http, "process-instances", {"filter": {"hasIncident": "yes"}})
    assert "array" in await bad_search(http, "process-instances", {"filter": {"state": {"$in": "ACTIVE"}}})
    assert "'colour'" in await bad_search(http, "process-instances", {"sort": [{"field": "colour"}]})
    assert "ASC or DESC" in await bad_search(http, "process-instances", {"sort": [{"field": "state", "order": "UP"}]})
    assert "page.limit" in await bad_search(http, "process-instances", {"page": {"limit": 0}})
    assert "'from', 'after'" in await bad_search(http, "process-instances", {"page": {"from": 1, "after": "x"}})
    assert "page.after" in await bad_search(http, "process-instances", {"page": {"after": "bm90IGEgY3Vyc29y"}})
    assert "'query'" in await bad_search(http, "process-instances", {"query": {}})
    assert "object" in await bad_search(http, "process-instances", [1, 2])


# ---------------------------------------------------------------------- element instances
async def test_element_instance_search_answers_the_elements_of_an_instance(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """Element instances of one process instance (not the process itself): type, state, dates and names, with the
    element id as the name of an unnamed element."""
    done, _, _ = await three_instances(http, gateway)
    found = await items(http, "element-instances", {"filter": {"processInstanceKey": str(done)}})
    assert [(e["elementId"], e["type"], e["state"]) for e in found] == [
        ("Start", "START_EVENT", "COMPLETED"),
        ("CheckTask", "SERVICE_TASK", "COMPLETED"),
        ("ArchiveTask", "SERVICE_TASK", "COMPLETED"),
        ("End", "END_EVENT", "COMPLETED"),
    ]
    check = found[1]
    inst = engine.element_instances(done, "CheckTask")[0]
    assert check == {
        "elementInstanceKey": str(inst.key),
        "processInstanceKey": str(done),
        "processDefinitionKey": str(inst.process_definition_key),
        "processDefinitionId": "review",
        "startDate": "2025-03-03T08:00:00.000Z",
        "endDate": "2025-03-03T08:00:00.000Z",
        "elementId": "CheckTask",
        "elementName": "Check the documents",
        "type": "SERVICE_TASK",
        "state": "COMPLETED",
        "hasIncident": False,
        "tenantId": "<default>",
    }
    assert (found[2]["elementName"], found[2]["endDate"]) == ("ArchiveTask", "2025-03-03T09:00:00.000Z")


async def test_element_instance_filters_sort_and_page(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """Filters by type, state, element id, incident, scope key and dates; sort by element id; paging."""
    done, other, stuck = await three_instances(http, gateway)
    [incident] = engine.incidents(stuck)

    async def found(body: dict[str, Any]) -> list[tuple[int, str]]:
        return [(int(e["processInstanceKey"]), e["elementId"]) for e in await items(http, "element-instances", body)]

    assert await found({"filter": {"state": "ACTIVE"}}) == [(other, "TaskA"), (stuck, "ArchiveTask")]
    assert await found({"filter": {"type": "SERVICE_TASK", "state": {"$neq": "COMPLETED"}}}) == [
        (other, "TaskA"),
        (stuck, "ArchiveTask"),
    ]
    assert await found({"filter": {"hasIncident": True, "incidentKey": str(incident.key)}}) == [(stuck, "ArchiveTask")]
    assert await found({"filter": {"elementInstanceScopeKey": str(other)}}) == [(other, "Start"), (other, "TaskA")]
    assert await found({"filter": {"endDate": {"$gte": "2025-03-03T09:00:00Z"}, "elementId": {"$in": ["End"]}}}) == [
        (done, "End")
    ]
    assert await found({"filter": {"type": "END_EVENT"}, "sort": [{"field": "startDate", "order": "DESC"}]}) == [
        (done, "End")
    ]
    body: dict[str, Any] = {
        "filter": {"processInstanceKey": {"$in": [str(done), str(stuck)]}},
        "sort": [{"field": "elementId"}, {"field": "processInstanceKey", "order": "DESC"}],
        "page": {"from": 1, "limit": 3},
    }
    assert await found(body) == [(done, "ArchiveTask"), (stuck, "CheckTask"), (done, "CheckTask")]
    assert (await search(http, "element-instances", body))["page"]["totalItems"] == 7
    assert "'TIMER_EVENT'" in await bad_search(http, "element-instances", {"filter": {"type": "TIMER_EVENT"}})
    assert "'name'" in await bad_search(http, "element-instances", {"filter": {"name": "x"}})


async def test_get_element_instance_answers_the_item_or_404(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """GET /v2/element-instances/{key} answers the element instance with its incident; the process instance key
    (the process is no element instance) and unknown keys are 404 problems."""
    _, _, stuck = await three_instances(http, gateway)
    archive = engine.element_instances(stuck, "ArchiveTask")[0]
    [incident] = engine.incidents(stuck)
    found = await get(http, f"/v2/element-instances/{archive.key}")
    assert (found["state"], found["hasIncident"], found["incidentKey"]) == ("ACTIVE", True, str(incident.key))
    for key in (str(stuck), UNKNOWN_KEY):
        async with http.get(f"/v2/element-instances/{key}") as response:
            assert key in (await problem(response, 404))["detail"]


# ---------------------------------------------------------------------- incidents
async def test_incident_search_answers_the_job_incident(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """A job failed without retries is an ACTIVE JOB_NO_RETRIES incident with its message, element and job."""
    _, _, stuck = await three_instances(http, gateway)
    [incident] = engine.incidents(stuck)
    archive = engine.element_instances(stuck, "ArchiveTask")[0]
    [found] = await items(http, "incidents", {})
    assert found == {
        "incidentKey": str(incident.key),
        "processDefinitionKey": str(archive.process_definition_key),
        "processDefinitionId": "review",
        "processInstanceKey": str(stuck),
        "errorType": "JOB_NO_RETRIES",
        "errorMessage": "archive is full",
        "elementId": "ArchiveTask",
        "elementInstanceKey": str(archive.key),
        "creationTime": "2025-03-03T11:00:00.000Z",
        "state": "ACTIVE",
        "jobKey": str(incident.job_key),
        "tenantId": "<default>",
    }
    assert await get(http, f"/v2/incidents/{incident.key}") == found
    async with http.get(f"/v2/incidents/{UNKNOWN_KEY}") as response:
        assert UNKNOWN_KEY in (await problem(response, 404))["detail"]


async def test_incident_filters_and_sort(http: aiohttp.ClientSession, gateway: Any) -> None:
    """Incidents filter by state, error type, instance, element and creation time, and sort by creation time."""
    _, later, stuck = await three_instances(http, gateway)
    await pin(http, T0 + timedelta(hours=5))
    await fail_without_retries(gateway, "first-job", "no partner")  # the job of the twoTasks instance

    async def instances(body: dict[str, Any]) -> list[int]:
        return [int(i["processInstanceKey"]) for i in await items(http, "incidents", body)]

    assert await instances({"filter": {"state": "ACTIVE", "errorType": "JOB_NO_RETRIES"}}) == [stuck, later]
    assert await instances({"filter": {"errorMessage": {"$like": "no *"}}}) == [later]
    assert await instances({"filter": {"processInstanceKey": str(stuck), "elementId": "ArchiveTask"}}) == [stuck]
    assert await instances({"filter": {"creationTime": {"$gt": "2025-03-03T12:00:00Z"}}}) == [later]
    assert await instances({"filter": {"state": "RESOLVED"}}) == []
    assert await instances({"sort": [{"field": "creationTime", "order": "DESC"}]}) == [later, stuck]
    assert "'BROKEN'" in await bad_search(http, "incidents", {"filter": {"errorType": "BROKEN"}})


async def test_resolution_after_new_retries_runs_the_job_again(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """POST /v2/incidents/{key}/resolution answers 204 once the job has retries again: the incident is RESOLVED,
    the instance no longer has one and the job can be activated and completed."""
    _, _, stuck = await three_instances(http, gateway)
    [incident] = engine.incidents(stuck)
    assert incident.job_key is not None
    async with http.post(f"/v2/incidents/{incident.key}/resolution") as response:
        assert "retries" in (await problem(response, 409))["detail"]
    await gateway.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=incident.job_key, retries=1))
    async with http.post(f"/v2/incidents/{incident.key}/resolution", json={}) as response:
        assert response.status == 204, await response.text()
    assert (await get(http, f"/v2/incidents/{incident.key}"))["state"] == "RESOLVED"
    assert (await get(http, f"/v2/process-instances/{stuck}"))["hasIncident"] is False
    await complete(gateway, (await activate_one(gateway, "archive")).key)
    engine.assert_that(stuck).is_completed()
    async with http.post(f"/v2/incidents/{incident.key}/resolution") as response:
        assert str(incident.key) in (await problem(response, 404))["detail"]
    async with http.post(f"/v2/incidents/{UNKNOWN_KEY}/resolution") as response:
        await problem(response, 404)


# ---------------------------------------------------------------------- process definitions
async def test_process_definition_search_get_and_xml(engine: EmbeddedEngine, http: aiohttp.ClientSession) -> None:
    """Process definitions answer name, resource, version and id; isLatestVersion keeps the newest version of each;
    GET answers one, /xml its BPMN as text/xml; unknown keys are 404 problems."""
    second = review_process("Review a request, v2")
    engine.engine.deploy([("review-v2.bpmn", second)])
    reviews = await items(http, "process-definitions", {"filter": {"processDefinitionId": "review"}})
    assert [(d["version"], d["name"], d["resourceName"]) for d in reviews] == [
        (1, "Review a request", "review.bpmn"),
        (2, "Review a request, v2", "review-v2.bpmn"),
    ]
    assert reviews[1] == {
        "processDefinitionKey": reviews[1]["processDefinitionKey"],
        "name": "Review a request, v2",
        "resourceName": "review-v2.bpmn",
        "version": 2,
        "processDefinitionId": "review",
        "tenantId": "<default>",
        "hasStartForm": False,
    }
    latest = await items(
        http, "process-definitions", {"filter": {"isLatestVersion": True}, "sort": [{"field": "processDefinitionId"}]}
    )
    assert [(d["processDefinitionId"], d["version"]) for d in latest] == [
        ("review", 2),
        ("slaTimer", 1),
        ("twoTasks", 1),
        ("waitForPayment", 1),
    ]
    assert len(await items(http, "process-definitions", {"filter": {"isLatestVersion": False}})) == 5
    newest_first = await items(http, "process-definitions", {"sort": [{"field": "version", "order": "DESC"}]})
    assert newest_first[0]["version"] == 2
    assert await items(http, "process-definitions", {"filter": {"version": 2, "name": {"$like": "*v2"}}}) == [
        reviews[1]
    ]
    key = reviews[1]["processDefinitionKey"]
    assert await get(http, f"/v2/process-definitions/{key}") == reviews[1]
    async with http.get(f"/v2/process-definitions/{key}/xml") as response:
        assert response.status == 200
        assert response.content_type == "text/xml"
        assert await response.read() == second
    for path in (f"/v2/process-definitions/{UNKNOWN_KEY}", f"/v2/process-definitions/{UNKNOWN_KEY}/xml"):
        async with http.get(path) as response:
            assert UNKNOWN_KEY in (await problem(response, 404))["detail"]
    assert "'bpmnProcessId'" in await bad_search(http, "process-definitions", {"filter": {"bpmnProcessId": "x"}})


# ---------------------------------------------------------------------- messages
async def test_publication_correlates_to_the_waiting_instance(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """POST /v2/messages/publication answers the message key; the message reaches the instance waiting with that
    correlation key, with its variables."""
    waiting = await create(gateway, "waitForPayment", {"orderId": "O-7"})
    body = {"name": "payment-received", "correlationKey": "O-7", "variables": {"amount": 120}}
    async with http.post("/v2/messages/publication", json=body) as response:
        published = await ok(response)
    assert published["tenantId"] == "<default>"
    assert published["messageKey"].isdigit()
    engine.assert_that(waiting).is_completed().has_variable("amount", 120)


async def test_publication_buffers_for_its_time_to_live_and_refuses_a_duplicate_id(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """A message with timeToLive waits for an instance that subscribes later; a second one with the same messageId
    while it lives is a 409 problem."""
    body = {"name": "payment-received", "correlationKey": "O-8", "timeToLive": 60_000, "messageId": "pay-O-8"}
    async with http.post("/v2/messages/publication", json=body) as response:
        published = await ok(response)
    async with http.post("/v2/messages/publication", json=body) as response:
        assert "pay-O-8" in (await problem(response, 409))["detail"]
    late = await create(gateway, "waitForPayment", {"orderId": "O-8"})
    engine.assert_that(late).is_completed()
    assert [str(m.key) for m in engine.messages()] == [published["messageKey"]]


async def test_bad_publications_are_400_problems(http: aiohttp.ClientSession) -> None:
    """A missing or blank name, a negative timeToLive, variables that are no object, a correlation key that is no
    string and another tenant answer 400 problems naming the property."""
    for body, word in (
        ({"correlationKey": "O-1"}, "name"),
        ({"name": " "}, "name"),
        ({"name": "m", "timeToLive": -1}, "timeToLive"),
        ({"name": "m", "variables": [1]}, "variables"),
        ({"name": "m", "correlationKey": 7}, "correlationKey"),
        ({"name": "m", "tenantId": "other"}, "tenant"),
    ):
        async with http.post("/v2/messages/publication", json=body) as response:
            assert word in (await problem(response, 400))["detail"], body
