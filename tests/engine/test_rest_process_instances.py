"""The REST API's commands on deployments and process instances, through the API only: deploy (multipart),
resources read and deleted, instances created (also awaiting the result), cancelled, modified and migrated, their
call hierarchy, the sequence flows they took and per-element statistics."""

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process, service_task
from tests.engine.rest_helpers import UNKNOWN_KEY, command, deploy, items, problem
from tests.engine.rpc_helpers import two_tasks
from tests.engine.test_rest_api import caller_process

FORM = {"id": "review-form", "type": "default", "components": [{"key": "ok", "type": "checkbox", "label": "OK"}]}


@pytest.fixture
async def http(engine: EmbeddedEngine) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=engine.rest_url) as session:
        yield session


def straight_through() -> bytes:
    """start → end: completes at once."""
    return process("straight", '<bpmn:startEvent id="Start" /><bpmn:endEvent id="End" />' + chain("Start", "End"))


async def create(http: aiohttp.ClientSession, process_id: str, variables: dict[str, Any] | None = None) -> int:
    created = await command(
        http, "POST", "/v2/process-instances", {"processDefinitionId": process_id, "variables": variables or {}}
    )
    return int(created["processInstanceKey"])


async def activate(http: aiohttp.ClientSession, job_type: str) -> list[dict[str, Any]]:
    body = {"type": job_type, "timeout": 60_000, "maxJobsToActivate": 10, "requestTimeout": -1}
    jobs: list[dict[str, Any]] = (await command(http, "POST", "/v2/jobs/activation", body))["jobs"]
    return jobs


async def active_elements(http: aiohttp.ClientSession, key: int) -> list[str]:
    found = await items(http, "element-instances", {"filter": {"processInstanceKey": str(key), "state": "ACTIVE"}})
    return sorted(e["elementId"] for e in found if e["type"] != "PROCESS")


# ---------------------------------------------------------------------- deployments and resources
async def test_a_multipart_deployment_answers_each_resource_and_they_can_be_read(http: aiohttp.ClientSession) -> None:
    """A BPMN file and a form in one deployment: the answer lists both with keys and versions; each resource reads
    back, the diagram's content is its XML."""
    diagram = two_tasks()
    deployed = await deploy(http, ("two.bpmn", diagram), ("review.form", json.dumps(FORM).encode()))
    [definition] = [d["processDefinition"] for d in deployed["deployments"] if "processDefinition" in d]
    [form] = [d["form"] for d in deployed["deployments"] if "form" in d]
    assert (definition["processDefinitionId"], definition["processDefinitionVersion"]) == ("twoTasks", 1)
    assert (form["formId"], form["version"], form["resourceName"]) == ("review-form", 1, "review.form")
    resource = await command(http, "GET", f"/v2/resources/{definition['processDefinitionKey']}")
    assert (resource["resourceId"], resource["resourceName"]) == ("twoTasks", "two.bpmn")
    async with http.get(f"/v2/resources/{definition['processDefinitionKey']}/content") as response:
        assert (response.status, await response.read()) == (200, diagram)
    again = await deploy(http, ("two.bpmn", diagram))
    assert again["deployments"][0]["processDefinition"]["processDefinitionVersion"] == 1  # unchanged: same version


async def test_a_bad_deployment_is_a_400_problem_and_deploys_nothing(
    engine: EmbeddedEngine, http: aiohttp.ClientSession
) -> None:
    """Invalid XML, no resources, or a JSON body: 400 problems naming what is wrong; nothing is deployed."""
    form = aiohttp.FormData()
    form.add_field("resources", b"<not-bpmn", filename="broken.bpmn")
    async with http.post("/v2/deployments", data=form) as response:
        assert "broken.bpmn" in (await problem(response, 400))["detail"]
    empty = aiohttp.FormData(default_to_multipart=True)
    empty.add_field("tenantId", "<default>")
    async with http.post("/v2/deployments", data=empty) as response:
        assert "resources" in (await problem(response, 400))["detail"]
    async with http.post("/v2/deployments", json={"resources": []}) as response:
        assert "multipart/form-data" in (await problem(response, 400))["detail"]
    assert not engine.engine.definitions


async def test_a_process_definition_is_deleted_once_no_instance_runs(http: aiohttp.ClientSession) -> None:
    """Deleting a definition with a running instance is a 409 problem; after the cancellation it goes (the previous
    version is the latest again) and an unknown key is 404."""
    first = (await deploy(http, ("two.bpmn", two_tasks())))["deployments"][0]["processDefinition"]
    second = (await deploy(http, ("two.bpmn", two_tasks(second="other-job"))))["deployments"][0]["processDefinition"]
    key = await create(http, "twoTasks")
    async with http.post(f"/v2/resources/{second['processDefinitionKey']}/deletion", json={}) as response:
        assert "running instances" in (await problem(response, 409))["detail"]
    await command(http, "POST", f"/v2/process-instances/{key}/cancellation", {})
    await command(http, "POST", f"/v2/resources/{second['processDefinitionKey']}/deletion", {})
    found = await items(http, "process-definitions", {"filter": {"processDefinitionId": "twoTasks"}})
    assert [d["processDefinitionKey"] for d in found] == [first["processDefinitionKey"]]
    for resource in ("process-instances", "element-instances", "variables", "jobs", "incidents"):
        await items(http, resource, {})  # the instance of the deleted version is still answered (its history)
    [ended] = await items(http, "process-instances", {"filter": {"processInstanceKey": str(key)}})
    assert (ended["state"], ended["processDefinitionVersion"]) == ("TERMINATED", 2)
    latest = await create(http, "twoTasks")
    assert (await command(http, "GET", f"/v2/process-instances/{latest}"))["processDefinitionVersion"] == 1
    async with http.post(f"/v2/resources/{UNKNOWN_KEY}/deletion", json={}) as response:
        await problem(response, 404)


# ---------------------------------------------------------------------- create and cancel
async def test_creating_with_await_completion_answers_the_result(http: aiohttp.ClientSession) -> None:
    """awaitCompletion answers when the instance completed, with its variables (only fetchVariables if given)."""
    await deploy(http, ("straight.bpmn", straight_through()))
    body = {"processDefinitionId": "straight", "variables": {"a": 1, "b": "dua"}, "awaitCompletion": True}
    result = await command(http, "POST", "/v2/process-instances", body)
    assert result["variables"] == {"a": 1, "b": "dua"}
    fetched = await command(http, "POST", "/v2/process-instances", {**body, "fetchVariables": ["b"]})
    assert fetched["variables"] == {"b": "dua"}
    instance = await command(http, "GET", f"/v2/process-instances/{fetched['processInstanceKey']}")
    assert instance["state"] == "COMPLETED"


async def test_awaiting_an_instance_that_waits_is_a_504_problem(http: aiohttp.ClientSession) -> None:
    """An instance that does not complete within requestTimeout: 504 problem; the instance still runs."""
    await deploy(http, ("two.bpmn", two_tasks()))
    body = {"processDefinitionId": "twoTasks", "awaitCompletion": True, "requestTimeout": 50}
    async with http.post("/v2/process-instances", json=body) as response:
        await problem(response, 504)
    [instance] = await items(http, "process-instances", {"filter": {"processDefinitionId": "twoTasks"}})
    assert instance["state"] == "ACTIVE"


async def test_creating_an_unknown_process_or_without_one_is_refused(http: aiohttp.ClientSession) -> None:
    async with http.post("/v2/process-instances", json={"processDefinitionId": "nope"}) as response:
        assert "nope" in (await problem(response, 404))["detail"]
    async with http.post("/v2/process-instances", json={"variables": {}}) as response:
        await problem(response, 400)
    async with http.post("/v2/process-instances", json={"processDefinitionId": "x", "variables": []}) as response:
        assert "variables" in (await problem(response, 400))["detail"]


async def test_an_instance_is_cancelled_once(http: aiohttp.ClientSession) -> None:
    """Cancellation answers 204 and terminates the instance; a second one is a 404 problem."""
    await deploy(http, ("two.bpmn", two_tasks()))
    key = await create(http, "twoTasks", {"tags": "x"})
    await command(http, "POST", f"/v2/process-instances/{key}/cancellation", {})
    assert (await command(http, "GET", f"/v2/process-instances/{key}"))["state"] == "TERMINATED"
    async with http.post(f"/v2/process-instances/{key}/cancellation", json={}) as response:
        await problem(response, 404)


async def test_tags_given_at_creation_are_answered_and_searched(http: aiohttp.ClientSession) -> None:
    await deploy(http, ("two.bpmn", two_tasks()))
    body = {"processDefinitionId": "twoTasks", "tags": ["wilayah-kalbar", "prioritas"]}
    created = await command(http, "POST", "/v2/process-instances", body)
    assert created["tags"] == ["wilayah-kalbar", "prioritas"]
    await create(http, "twoTasks")
    found = await items(http, "process-instances", {"filter": {"tags": ["prioritas"]}})
    assert [i["processInstanceKey"] for i in found] == [created["processInstanceKey"]]
    async with http.post("/v2/process-instances", json={**body, "tags": ["1-angka"]}) as response:
        await problem(response, 400)


# ---------------------------------------------------------------------- modification and migration
async def test_a_modification_moves_the_token_to_another_element(http: aiohttp.ClientSession) -> None:
    """Activate TaskB and terminate TaskA's element instance in one modification: the instance waits at TaskB (a
    job of its type), with the variables the instruction set."""
    await deploy(http, ("two.bpmn", two_tasks()))
    key = await create(http, "twoTasks")
    [task_a] = await items(
        http, "element-instances", {"filter": {"processInstanceKey": str(key), "elementId": "TaskA"}}
    )
    body = {
        "activateInstructions": [{"elementId": "TaskB", "variableInstructions": [{"variables": {"dipindah": True}}]}],
        "terminateInstructions": [{"elementInstanceKey": task_a["elementInstanceKey"]}],
    }
    await command(http, "POST", f"/v2/process-instances/{key}/modification", body)
    assert await active_elements(http, key) == ["TaskB"]
    [job] = await activate(http, "second-job")
    assert job["variables"] == {"dipindah": True}
    await command(http, "POST", f"/v2/jobs/{job['jobKey']}/completion", {})
    assert (await command(http, "GET", f"/v2/process-instances/{key}"))["state"] == "COMPLETED"


async def test_a_bad_modification_changes_nothing(http: aiohttp.ClientSession) -> None:
    """An unknown element or element instance: a 400 problem naming it, and the instance is as it was."""
    await deploy(http, ("two.bpmn", two_tasks()))
    key = await create(http, "twoTasks")
    for body, named in (
        ({"activateInstructions": [{"elementId": "Nowhere"}]}, "Nowhere"),
        ({"terminateInstructions": [{"elementInstanceKey": UNKNOWN_KEY}]}, UNKNOWN_KEY),
    ):
        async with http.post(f"/v2/process-instances/{key}/modification", json=body) as response:
            assert named in (await problem(response, 400))["detail"]
    assert await active_elements(http, key) == ["TaskA"]


async def test_a_migration_moves_a_waiting_instance_to_the_new_version(http: aiohttp.ClientSession) -> None:
    """An instance waiting at a job migrates to another definition by mapping its element; the job belongs to the
    new definition and the instance goes on along the new version's flow."""
    await deploy(http, ("two.bpmn", two_tasks()))
    key = await create(http, "twoTasks")
    target_document = process(
        "twoTasksV2",
        '<bpmn:startEvent id="Start" />'
        + service_task("TaskA2", "first-job")
        + service_task("Review", "review-job")
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "TaskA2", "Review", "End"),
    )
    target = (await deploy(http, ("v2.bpmn", target_document)))["deployments"][0]["processDefinition"]
    body = {
        "targetProcessDefinitionKey": target["processDefinitionKey"],
        "mappingInstructions": [{"sourceElementId": "TaskA", "targetElementId": "TaskA2"}],
    }
    await command(http, "POST", f"/v2/process-instances/{key}/migration", body)
    migrated = await command(http, "GET", f"/v2/process-instances/{key}")
    assert (migrated["processDefinitionId"], migrated["processDefinitionKey"]) == (
        "twoTasksV2",
        target["processDefinitionKey"],
    )
    [job] = await activate(http, "first-job")
    assert (job["elementId"], job["processDefinitionKey"]) == ("TaskA2", target["processDefinitionKey"])
    await command(http, "POST", f"/v2/jobs/{job['jobKey']}/completion", {})
    assert await active_elements(http, key) == ["Review"]


async def test_a_migration_without_a_mapping_for_an_active_element_is_refused(http: aiohttp.ClientSession) -> None:
    await deploy(http, ("two.bpmn", two_tasks()))
    key = await create(http, "twoTasks")
    target = (await deploy(http, ("o.bpmn", two_tasks("other"))))["deployments"][0]["processDefinition"]
    body = {"targetProcessDefinitionKey": target["processDefinitionKey"], "mappingInstructions": []}
    async with http.post(f"/v2/process-instances/{key}/migration", json=body) as response:
        assert "TaskA" in (await problem(response, 400))["detail"]
    assert (await command(http, "GET", f"/v2/process-instances/{key}"))["processDefinitionId"] == "twoTasks"


# ---------------------------------------------------------------------- what an instance did
async def test_call_hierarchy_sequence_flows_and_element_statistics(http: aiohttp.ClientSession) -> None:
    """A called instance's hierarchy lists its caller first; the flows an instance took are answered once each;
    per-element statistics count active and completed element instances, per instance and per definition."""
    await deploy(http, ("two.bpmn", two_tasks()), ("caller.bpmn", caller_process()))
    root = await create(http, "caller")
    [child] = await items(http, "process-instances", {"filter": {"parentProcessInstanceKey": str(root)}})
    hierarchy = await command(http, "GET", f"/v2/process-instances/{child['processInstanceKey']}/call-hierarchy")
    assert [(h["processInstanceKey"], h["processDefinitionName"]) for h in hierarchy] == [
        (str(root), "caller"),  # a process without a name: its id
        (child["processInstanceKey"], "twoTasks"),
    ]
    [job] = await activate(http, "first-job")
    await command(http, "POST", f"/v2/jobs/{job['jobKey']}/completion", {})
    flows = await command(http, "GET", f"/v2/process-instances/{child['processInstanceKey']}/sequence-flows")
    assert [f["sequenceFlowId"] for f in flows["items"]] == ["Flow_Start_TaskA", "Flow_TaskA_TaskB"]
    stats = await command(
        http, "GET", f"/v2/process-instances/{child['processInstanceKey']}/statistics/element-instances"
    )
    counts = {s["elementId"]: (s["active"], s["completed"]) for s in stats["items"]}
    assert counts == {"Start": (0, 1), "TaskA": (0, 1), "TaskB": (1, 0)}
    definition = child["processDefinitionKey"]
    per_definition = await command(
        http, "POST", f"/v2/process-definitions/{definition}/statistics/element-instances", {"filter": {}}
    )
    assert {s["elementId"]: s["active"] for s in per_definition["items"]}["TaskB"] == 1
    async with http.get(f"/v2/process-instances/{UNKNOWN_KEY}/call-hierarchy") as response:
        await problem(response, 404)
