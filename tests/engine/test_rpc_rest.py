"""Conformance: the Orchestration Cluster REST subset for user tasks (`/v2/user-tasks`), with Camunda's shapes
and RFC 9457 problem details, driven with aiohttp's client."""

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process, service_task
from tests.engine.rpc_helpers import activate_one, create

FORM = {
    "id": "review-form",
    "type": "default",
    "schemaVersion": 16,
    "components": [{"key": "approved", "label": "Approved?", "type": "checkbox"}],
}


def user_task(task_id: str, name: str, extensions: str) -> str:
    return (
        f'<bpmn:userTask id="{task_id}" name="{name}"><bpmn:extensionElements><zeebe:userTask />{extensions}'
        "</bpmn:extensionElements></bpmn:userTask>"
    )


def approval_process() -> bytes:
    """start → Review (user task, form review-form, group clerks) → Archive (job archive) → end."""
    return process(
        "approval",
        '<bpmn:startEvent id="Start" />'
        + user_task(
            "ReviewTask",
            "Review the request",
            '<zeebe:formDefinition formId="review-form" /><zeebe:assignmentDefinition candidateGroups="clerks" />',
        )
        + service_task("ArchiveTask", "archive")
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "ReviewTask", "ArchiveTask", "End"),
    )


def formless_process() -> bytes:
    """start → Call (user task without form, assignee = caller) → end."""
    return process(
        "callBack",
        '<bpmn:startEvent id="Start" />'
        + user_task("CallTask", "Call the customer", '<zeebe:assignmentDefinition assignee="=caller" />')
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "CallTask", "End"),
    )


@pytest.fixture
async def http(engine: EmbeddedEngine) -> AsyncIterator[aiohttp.ClientSession]:
    engine.engine.deploy(
        [
            ("approval.bpmn", approval_process()),
            ("callback.bpmn", formless_process()),
            ("review.form", json.dumps(FORM).encode()),
        ]
    )
    async with aiohttp.ClientSession(base_url=engine.rest_url) as session:
        yield session


async def search(http: aiohttp.ClientSession, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post("/v2/user-tasks/search", json=body) as response:
        assert response.status == 200, await response.text()
        result: dict[str, Any] = await response.json()
        return result


async def problem(response: aiohttp.ClientResponse, status: int) -> dict[str, Any]:
    """Checks an RFC 9457 problem answer and returns it."""
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.url.path
    return body


async def the_task(http: aiohttp.ClientSession, pi_key: int) -> dict[str, Any]:
    items: list[dict[str, Any]] = (await search(http, {"filter": {"processInstanceKey": str(pi_key)}}))["items"]
    assert len(items) == 1, items
    return items[0]


# ---------------------------------------------------------------------- search and get
async def test_search_finds_the_created_user_task_with_camundas_fields(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """POST /v2/user-tasks/search answers the task with keys as strings, its element, form and groups."""
    pi_key = await create(gateway, "approval")
    result = await search(http, {})
    [task] = result["items"]
    assert result["page"]["totalItems"] == 1
    [form] = engine.engine.forms.values()
    assert task["userTaskKey"] == str(engine.user_tasks(pi_key)[0].key)
    assert task["processInstanceKey"] == str(pi_key)
    assert (task["state"], task["elementId"], task["name"]) == ("CREATED", "ReviewTask", "Review the request")
    assert (task["processDefinitionId"], task["processDefinitionVersion"]) == ("approval", 1)
    assert task["candidateGroups"] == ["clerks"]
    assert "assignee" not in task  # unset optional properties are absent, never null
    assert task["formKey"] == str(form.key)
    assert task["creationDate"].endswith("Z")


async def test_search_filters_by_instance_state_group_assignee_and_element(
    http: aiohttp.ClientSession, gateway: Any
) -> None:
    """Search filters narrow the tasks: processInstanceKey, state, candidateGroup, assignee, elementId, process."""
    review_pi = await create(gateway, "approval")
    call_pi = await create(gateway, "callBack", {"caller": "budi"})
    other_pi = await create(gateway, "approval")

    async def keys(filters: dict[str, Any]) -> list[str]:
        return [t["processInstanceKey"] for t in (await search(http, {"filter": filters}))["items"]]

    assert await keys({"processInstanceKey": str(review_pi)}) == [str(review_pi)]
    assert await keys({"candidateGroup": "clerks"}) == [str(review_pi), str(other_pi)]
    assert await keys({"assignee": "budi"}) == [str(call_pi)]
    assert await keys({"elementId": "CallTask"}) == [str(call_pi)]
    assert await keys({"processDefinitionId": "approval", "state": "CREATED"}) == [str(review_pi), str(other_pi)]
    assert await keys({"state": "COMPLETED"}) == []


async def test_search_pages_with_limit_and_from(http: aiohttp.ClientSession, gateway: Any) -> None:
    """page.limit and page.from cut the result; totalItems counts every match."""
    for _ in range(3):
        await create(gateway, "approval")
    page = await search(http, {"page": {"limit": 2, "from": 1}})
    assert len(page["items"]) == 2
    assert page["page"]["totalItems"] == 3


def scheduled_process() -> bytes:
    """start → Decide (user task for group `clerks`, due date `=due`, priority `=priority`) → end."""
    return process(
        "scheduled",
        '<bpmn:startEvent id="Start" />'
        + user_task(
            "DecideTask",
            "Decide",
            '<zeebe:assignmentDefinition candidateGroups="clerks, heads" />'
            '<zeebe:taskSchedule dueDate="=due" /><zeebe:priorityDefinition priority="=priority" />',
        )
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "DecideTask", "End"),
    )


async def test_search_filters_with_operators_dates_and_variables(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """Camunda's filter operators work on user tasks too: $in, $like on a candidate group, due-date ranges,
    priority comparisons and process-instance variable values."""
    engine.engine.deploy([("scheduled.bpmn", scheduled_process())])
    soon = await create(gateway, "scheduled", {"due": "2025-03-03T08:00:00Z", "priority": 80, "case": "A-1"})
    later = await create(gateway, "scheduled", {"due": "2025-03-10T08:00:00+07:00", "priority": 20, "case": "B-2"})
    review = await create(gateway, "approval")

    async def keys(filters: dict[str, Any]) -> list[str]:
        return [t["processInstanceKey"] for t in (await search(http, {"filter": filters}))["items"]]

    assert await keys({"state": {"$in": ["CREATED", "ASSIGNING"]}}) == [str(soon), str(later), str(review)]
    assert await keys({"candidateGroup": {"$like": "hea*"}}) == [str(soon), str(later)]
    assert await keys({"dueDate": {"$lt": "2025-03-05T00:00:00Z"}}) == [str(soon)]
    assert await keys({"dueDate": {"$exists": False}}) == [str(review)]
    assert await keys({"priority": {"$gte": 50}}) == [str(soon), str(review)]
    assert await keys({"processInstanceVariables": [{"name": "case", "value": '"B-2"'}]}) == [str(later)]
    [task] = (await search(http, {"filter": {"processInstanceKey": str(later)}}))["items"]
    assert (task["dueDate"], task["priority"]) == ("2025-03-10T01:00:00.000Z", 20)  # in UTC, as the spec has it


async def test_search_sorts_and_pages_by_cursor(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """sort by Camunda's user-task fields (priority, dueDate, creationDate…); endCursor as page.after gives the next
    page; other sort fields are refused naming the known ones."""
    engine.engine.deploy([("scheduled.bpmn", scheduled_process())])
    low = await create(gateway, "scheduled", {"due": "2025-03-03T08:00:00Z", "priority": 10})
    high = await create(gateway, "scheduled", {"due": "2025-03-04T08:00:00Z", "priority": 90})
    middle = await create(gateway, "scheduled", {"due": "2025-03-02T08:00:00Z", "priority": 50})
    by_priority = {"sort": [{"field": "priority", "order": "DESC"}], "page": {"limit": 2}}
    first = await search(http, by_priority)
    assert [t["processInstanceKey"] for t in first["items"]] == [str(high), str(middle)]
    rest = await search(http, {**by_priority, "page": {"after": first["page"]["endCursor"]}})
    assert [t["processInstanceKey"] for t in rest["items"]] == [str(low)]
    by_due = await search(http, {"sort": [{"field": "dueDate"}]})
    assert [t["processInstanceKey"] for t in by_due["items"]] == [str(middle), str(low), str(high)]
    async with http.post("/v2/user-tasks/search", json={"sort": [{"field": "assignee"}]}) as response:
        details = await problem(response, 400)
    assert "'assignee'" in details["detail"]
    assert "'priority'" in details["detail"]


async def test_get_user_task_answers_the_same_task(http: aiohttp.ClientSession, gateway: Any) -> None:
    """GET /v2/user-tasks/{key} answers the task the search found."""
    pi_key = await create(gateway, "approval")
    task = await the_task(http, pi_key)
    async with http.get(f"/v2/user-tasks/{task['userTaskKey']}") as response:
        assert response.status == 200
        assert await response.json() == task


async def test_get_form_answers_the_linked_form_schema(http: aiohttp.ClientSession, gateway: Any) -> None:
    """GET /v2/user-tasks/{key}/form answers the linked form: id, version, key and the schema (an object, as the
    8.8 spec has it)."""
    pi_key = await create(gateway, "approval")
    task = await the_task(http, pi_key)
    async with http.get(f"/v2/user-tasks/{task['userTaskKey']}/form") as response:
        assert response.status == 200
        form = await response.json()
    assert (form["formId"], form["version"], form["formKey"]) == ("review-form", 1, task["formKey"])
    assert form["schema"] == FORM


async def test_get_form_of_a_task_without_form_is_no_content(http: aiohttp.ClientSession, gateway: Any) -> None:
    """A user task without a linked form answers 204 No Content for its form."""
    pi_key = await create(gateway, "callBack", {"caller": "budi"})
    task = await the_task(http, pi_key)
    async with http.get(f"/v2/user-tasks/{task['userTaskKey']}/form") as response:
        assert response.status == 204


# ---------------------------------------------------------------------- assignment and completion
async def test_assignment_sets_the_assignee(http: aiohttp.ClientSession, gateway: Any) -> None:
    """POST /{key}/assignment answers 204 and the task is then assigned (and found by assignee)."""
    pi_key = await create(gateway, "approval")
    key = (await the_task(http, pi_key))["userTaskKey"]
    async with http.post(f"/v2/user-tasks/{key}/assignment", json={"assignee": "sari"}) as response:
        assert response.status == 204
    assert (await the_task(http, pi_key))["assignee"] == "sari"
    assert [t["userTaskKey"] for t in (await search(http, {"filter": {"assignee": "sari"}}))["items"]] == [key]


async def test_assignment_without_override_of_an_assigned_task_is_conflict(
    http: aiohttp.ClientSession, gateway: Any
) -> None:
    """Assigning an already assigned task with allowOverride false is 409 with a problem naming the task."""
    pi_key = await create(gateway, "callBack", {"caller": "budi"})
    key = (await the_task(http, pi_key))["userTaskKey"]
    body = {"assignee": "sari", "allowOverride": False}
    async with http.post(f"/v2/user-tasks/{key}/assignment", json=body) as response:
        details = await problem(response, 409)
    assert key in details["detail"]
    assert (await the_task(http, pi_key))["assignee"] == "budi"


async def test_completion_lands_the_variables_in_the_process(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """POST /{key}/completion answers 204; the task is COMPLETED, its variables reach the process and the next
    job sees them."""
    pi_key = await create(gateway, "approval", {"request": "R-1"})
    key = (await the_task(http, pi_key))["userTaskKey"]
    body = {"variables": {"approved": True, "note": "lengkap"}}
    async with http.post(f"/v2/user-tasks/{key}/completion", json=body) as response:
        assert response.status == 204
    async with http.get(f"/v2/user-tasks/{key}") as response:
        completed = await response.json()
    assert completed["state"] == "COMPLETED"
    assert completed["completionDate"] is not None
    job = await activate_one(gateway, "archive")
    assert json.loads(job.variables) == {"request": "R-1", "approved": True, "note": "lengkap"}
    engine.assert_that(pi_key).has_passed("ReviewTask").has_variable("approved", True)


async def test_completion_without_body_completes_the_task(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """A completion request without a body completes the task with no variables."""
    pi_key = await create(gateway, "callBack", {"caller": "budi"})
    key = (await the_task(http, pi_key))["userTaskKey"]
    async with http.post(f"/v2/user-tasks/{key}/completion") as response:
        assert response.status == 204
    engine.assert_that(pi_key).is_completed()


# ---------------------------------------------------------------------- problems
async def test_an_unknown_task_is_404_problem_naming_the_key(http: aiohttp.ClientSession) -> None:
    """GET, form, assignment and completion of an unknown task answer 404 problem+json naming the key."""
    unknown = "2251799813999999"
    for method, path, body in (
        ("GET", f"/v2/user-tasks/{unknown}", None),
        ("GET", f"/v2/user-tasks/{unknown}/form", None),
        ("POST", f"/v2/user-tasks/{unknown}/assignment", {"assignee": "sari"}),
        ("POST", f"/v2/user-tasks/{unknown}/completion", {}),
    ):
        async with http.request(method, path, json=body) as response:
            details = await problem(response, 404)
        assert unknown in details["detail"], (method, path)
        assert details["title"] == "NOT_FOUND"


async def test_completing_a_completed_task_is_404_as_in_camunda(http: aiohttp.ClientSession, gateway: Any) -> None:
    """A completed task no longer exists for commands: completing or assigning it again answers 404."""
    pi_key = await create(gateway, "approval")
    key = (await the_task(http, pi_key))["userTaskKey"]
    async with http.post(f"/v2/user-tasks/{key}/completion", json={}) as response:
        assert response.status == 204
    async with http.post(f"/v2/user-tasks/{key}/completion", json={}) as response:
        details = await problem(response, 404)
    assert key in details["detail"]
    async with http.post(f"/v2/user-tasks/{key}/assignment", json={"assignee": "sari"}) as response:
        await problem(response, 404)


async def test_bad_requests_are_400_problems(http: aiohttp.ClientSession, gateway: Any) -> None:
    """Malformed JSON, variables that are no object, a blank assignee, a non-numeric key and an unknown filter
    answer 400 problem+json saying what is wrong."""
    pi_key = await create(gateway, "approval")
    key = (await the_task(http, pi_key))["userTaskKey"]
    headers = {"Content-Type": "application/json"}
    async with http.post(f"/v2/user-tasks/{key}/completion", data="{not json", headers=headers) as response:
        assert "JSON" in (await problem(response, 400))["detail"]
    async with http.post(f"/v2/user-tasks/{key}/completion", json={"variables": [1, 2]}) as response:
        assert "variables" in (await problem(response, 400))["detail"]
    async with http.post(f"/v2/user-tasks/{key}/assignment", json={"assignee": " "}) as response:
        assert "assignee" in (await problem(response, 400))["detail"]
    async with http.get("/v2/user-tasks/abc") as response:
        assert "'abc'" in (await problem(response, 400))["detail"]
    async with http.post("/v2/user-tasks/search", json={"filter": {"colour": "red"}}) as response:
        assert "'colour'" in (await problem(response, 400))["detail"]
    async with http.get(f"/v2/user-tasks/{key}") as response:
        assert (await response.json())["state"] == "CREATED"
