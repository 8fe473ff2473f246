"""The REST API's commands on jobs, user tasks, messages, signals, variables and incidents, and what the cluster
answers – through the API only."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process
from tests.engine.bpmn_harness import boundary, error, error_ref, headers, service, signal, signal_ref, start
from tests.engine.rest_helpers import UNKNOWN_KEY, command, deploy, items, problem
from tests.engine.rpc_helpers import receive_task_process


@pytest.fixture
async def http(engine: EmbeddedEngine) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=engine.rest_url) as session:
        yield session


def checked_request() -> bytes:
    """start → Periksa (job `periksa`, header `bagian: ppbj`, an error boundary for `BERKAS_RUSAK`) → Setujui (user
    task for `ppbj`) → end; the boundary leads to Ditolak."""
    return process(
        "permohonan",
        '<bpmn:startEvent id="Mulai" />'
        + service("Periksa", "periksa", headers(bagian="ppbj"), retries="2")
        + boundary("BerkasRusak", "Periksa", error_ref("Error_Rusak"))
        + '<bpmn:userTask id="Setujui" name="Setujui"><bpmn:extensionElements><zeebe:userTask />'
        '<zeebe:assignmentDefinition candidateGroups="ppbj" /></bpmn:extensionElements></bpmn:userTask>'
        '<bpmn:endEvent id="Selesai" /><bpmn:endEvent id="Ditolak" />'
        + chain("Mulai", "Periksa", "Setujui", "Selesai")
        + chain("BerkasRusak", "Ditolak"),
        extra=error("Error_Rusak", "BERKAS_RUSAK"),
    )


async def start_request(http: aiohttp.ClientSession, number: str = "P-1") -> int:
    body = {"processDefinitionId": "permohonan", "variables": {"nomorPermohonan": number}}
    return int((await command(http, "POST", "/v2/process-instances", body))["processInstanceKey"])


async def activate(http: aiohttp.ClientSession, **extra: Any) -> list[dict[str, Any]]:
    body = {"type": "periksa", "worker": "uji", "timeout": 60_000, "maxJobsToActivate": 5, "requestTimeout": -1}
    jobs: list[dict[str, Any]] = (await command(http, "POST", "/v2/jobs/activation", {**body, **extra}))["jobs"]
    return jobs


async def state_of(http: aiohttp.ClientSession, key: int) -> str:
    state: str = (await command(http, "GET", f"/v2/process-instances/{key}"))["state"]
    return state


# ---------------------------------------------------------------------- jobs
async def test_an_activated_job_carries_its_variables_and_headers_and_completes(http: aiohttp.ClientSession) -> None:
    await deploy(http, ("permohonan.bpmn", checked_request()))
    key = await start_request(http)
    [job] = await activate(http, fetchVariable=["nomorPermohonan"])
    assert (job["elementId"], job["customHeaders"], job["variables"]) == (
        "Periksa",
        {"bagian": "ppbj"},
        {"nomorPermohonan": "P-1"},
    )
    assert (job["worker"], job["retries"], job["processInstanceKey"]) == ("uji", 2, str(key))
    assert await activate(http) == []  # activated: no one else gets it
    await command(http, "POST", f"/v2/jobs/{job['jobKey']}/completion", {"variables": {"lengkap": True}})
    [task] = await items(http, "user-tasks", {"filter": {"processInstanceKey": str(key)}})
    assert task["elementId"] == "Setujui"
    async with http.post(f"/v2/jobs/{job['jobKey']}/completion", json={}) as response:
        await problem(response, 404)


async def test_a_long_poll_answers_when_a_job_is_created(http: aiohttp.ClientSession) -> None:
    """An activation with a requestTimeout waits; an instance created meanwhile answers it with the new job."""
    await deploy(http, ("permohonan.bpmn", checked_request()))
    body = {"type": "periksa", "timeout": 60_000, "maxJobsToActivate": 1, "requestTimeout": 30_000}
    waiting = asyncio.create_task(command(http, "POST", "/v2/jobs/activation", body))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    key = await start_request(http)
    answer = await asyncio.wait_for(waiting, 30)
    assert [j["processInstanceKey"] for j in answer["jobs"]] == [str(key)]


async def test_a_failed_job_comes_back_until_its_retries_run_out_then_an_incident_is_resolved(
    http: aiohttp.ClientSession,
) -> None:
    """Failure with retries left: activated again; without: an incident, which the job's new retries (PATCH) and
    the incident's resolution clear."""
    await deploy(http, ("permohonan.bpmn", checked_request()))
    key = await start_request(http)
    [job] = await activate(http)
    await command(http, "POST", f"/v2/jobs/{job['jobKey']}/failure", {"retries": 1, "errorMessage": "sibuk"})
    [again] = await activate(http)
    assert (again["jobKey"], again["retries"]) == (job["jobKey"], 1)
    await command(http, "POST", f"/v2/jobs/{job['jobKey']}/failure", {"retries": 0, "errorMessage": "rusak total"})
    [incident] = await items(http, "incidents", {"filter": {"processInstanceKey": str(key)}})
    assert (incident["errorType"], incident["errorMessage"], incident["state"]) == (
        "JOB_NO_RETRIES",
        "rusak total",
        "ACTIVE",
    )
    assert (await command(http, "GET", f"/v2/incidents/{incident['incidentKey']}")) == incident
    of_instance = await command(http, "POST", f"/v2/process-instances/{key}/incidents/search", {})
    assert [i["incidentKey"] for i in of_instance["items"]] == [incident["incidentKey"]]
    await command(http, "PATCH", f"/v2/jobs/{job['jobKey']}", {"changeset": {"retries": 3}})
    await command(http, "POST", f"/v2/incidents/{incident['incidentKey']}/resolution", {})
    [resolved] = await items(http, "incidents", {"filter": {"processInstanceKey": str(key)}})
    assert resolved["state"] == "RESOLVED"
    [back] = await activate(http)
    assert back["retries"] == 3
    found = await items(http, "jobs", {"filter": {"processInstanceKey": str(key), "retries": {"$gte": 3}}})
    assert [(j["jobKey"], j["worker"]) for j in found] == [(job["jobKey"], "uji")]


async def test_a_thrown_error_is_caught_by_the_boundary_event(http: aiohttp.ClientSession) -> None:
    await deploy(http, ("permohonan.bpmn", checked_request()))
    key = await start_request(http)
    [job] = await activate(http)
    await command(http, "POST", f"/v2/jobs/{job['jobKey']}/error", {"errorCode": "BERKAS_RUSAK", "errorMessage": "x"})
    assert await state_of(http, key) == "COMPLETED"
    ended = await items(http, "element-instances", {"filter": {"processInstanceKey": str(key), "elementId": "Ditolak"}})
    assert [e["state"] for e in ended] == ["COMPLETED"]


async def test_bad_job_requests_are_400_problems(http: aiohttp.ClientSession) -> None:
    for body, named in (
        ({"timeout": 1000, "maxJobsToActivate": 1}, "type"),
        ({"type": "x", "timeout": 1000, "maxJobsToActivate": 1_000_000}, "maxJobsToActivate"),
        ({"type": "x", "timeout": "soon", "maxJobsToActivate": 1}, "timeout"),
    ):
        async with http.post("/v2/jobs/activation", json=body) as response:
            assert named in (await problem(response, 400))["detail"]
    async with http.patch(f"/v2/jobs/{UNKNOWN_KEY}", json={"changeset": {}}) as response:
        await problem(response, 400)


# ---------------------------------------------------------------------- user tasks
async def test_a_user_task_is_updated_with_patch(http: aiohttp.ClientSession) -> None:
    """PATCH changes due date, follow-up date, candidate groups and priority; a bad priority is a 400 problem and
    changes nothing."""
    await deploy(http, ("permohonan.bpmn", checked_request()))
    key = await start_request(http)
    [job] = await activate(http)
    await command(http, "POST", f"/v2/jobs/{job['jobKey']}/completion", {})
    [task] = await items(http, "user-tasks", {"filter": {"processInstanceKey": str(key)}})
    changeset = {
        "dueDate": "2026-01-05T17:00:00+07:00",
        "followUpDate": "2026-01-02T10:00:00Z",
        "candidateGroups": ["ppbj", "kepala-biro"],
        "priority": 90,
    }
    await command(http, "PATCH", f"/v2/user-tasks/{task['userTaskKey']}", {"changeset": changeset})
    updated = await command(http, "GET", f"/v2/user-tasks/{task['userTaskKey']}")
    assert (updated["dueDate"], updated["followUpDate"]) == ("2026-01-05T10:00:00.000Z", "2026-01-02T10:00:00.000Z")
    assert (updated["candidateGroups"], updated["priority"]) == (["ppbj", "kepala-biro"], 90)
    found = await items(http, "user-tasks", {"filter": {"candidateGroup": "kepala-biro", "priority": {"$gte": 50}}})
    assert [t["userTaskKey"] for t in found] == [task["userTaskKey"]]
    async with http.patch(f"/v2/user-tasks/{task['userTaskKey']}", json={"changeset": {"priority": 101}}) as response:
        assert "priority" in (await problem(response, 400))["detail"]
    assert (await command(http, "GET", f"/v2/user-tasks/{task['userTaskKey']}"))["priority"] == 90


# ---------------------------------------------------------------------- messages and signals
async def test_a_message_is_published_and_correlated(http: aiohttp.ClientSession) -> None:
    """Publication answers the message key and reaches the waiting instance; correlation answers the instance it
    reached, and is a 404 problem when nothing waits for it."""
    await deploy(http, ("wait.bpmn", receive_task_process()))
    first, second = [
        int(
            (
                await command(
                    http,
                    "POST",
                    "/v2/process-instances",
                    {"processDefinitionId": "waitForPayment", "variables": {"orderId": o}},
                )
            )["processInstanceKey"]
        )
        for o in "AB"
    ]
    waiting = await items(http, "message-subscriptions", {"filter": {"messageName": "payment-received"}})
    assert sorted((w["correlationKey"], w["messageSubscriptionState"]) for w in waiting) == [
        ("A", "CREATED"),
        ("B", "CREATED"),
    ]
    published = await command(
        http, "POST", "/v2/messages/publication", {"name": "payment-received", "correlationKey": "A", "timeToLive": 0}
    )
    assert int(published["messageKey"]) > 0
    assert await state_of(http, first) == "COMPLETED"
    correlated = await command(
        http, "POST", "/v2/messages/correlation", {"name": "payment-received", "correlationKey": "B"}
    )
    assert correlated["processInstanceKey"] == str(second)
    assert await state_of(http, second) == "COMPLETED"
    async with http.post("/v2/messages/correlation", json={"name": "payment-received", "correlationKey": "C"}) as r:
        await problem(r, 404)


async def test_a_signal_broadcast_starts_its_process(http: aiohttp.ClientSession) -> None:
    document = process(
        "diumumkan",
        start("Mulai", signal_ref("Signal_Umum")) + '<bpmn:endEvent id="Selesai" />' + chain("Mulai", "Selesai"),
        extra=signal("Signal_Umum", "pengumuman"),
    )
    await deploy(http, ("signal.bpmn", document))
    answer = await command(http, "POST", "/v2/signals/broadcast", {"signalName": "pengumuman", "variables": {"x": 1}})
    assert int(answer["signalKey"]) > 0
    [started] = await items(http, "process-instances", {"filter": {"processDefinitionId": "diumumkan"}})
    assert started["state"] == "COMPLETED"
    async with http.post("/v2/signals/broadcast", json={"signalName": " "}) as response:
        await problem(response, 400)


# ---------------------------------------------------------------------- variables of an element instance
async def test_variables_are_set_in_an_element_instances_scope(http: aiohttp.ClientSession) -> None:
    """PUT .../variables: local ones stay in the element instance; others go to the scope that has them."""
    await deploy(http, ("permohonan.bpmn", checked_request()))
    key = await start_request(http)
    [job] = await activate(http)
    element = job["elementInstanceKey"]
    await command(
        http, "PUT", f"/v2/element-instances/{element}/variables", {"variables": {"catatan": "a"}, "local": True}
    )
    await command(http, "PUT", f"/v2/element-instances/{element}/variables", {"variables": {"nomorPermohonan": "P-9"}})
    found = await items(http, "variables", {"filter": {"processInstanceKey": str(key)}})
    assert {(v["name"], v["value"], v["scopeKey"]) for v in found} == {
        ("catatan", '"a"', element),
        ("nomorPermohonan", '"P-9"', str(key)),
    }
    async with http.put(f"/v2/element-instances/{UNKNOWN_KEY}/variables", json={"variables": {}}) as response:
        await problem(response, 404)


# ---------------------------------------------------------------------- the cluster, identity and unknown paths
async def test_the_cluster_answers_topology_status_and_license(
    engine: EmbeddedEngine, http: aiohttp.ClientSession
) -> None:
    topology = await command(http, "GET", "/v2/topology")
    assert (topology["clusterSize"], topology["lastCompletedChangeId"]) == (1, "-1")
    assert topology["brokers"][0]["port"] == engine.server.ports.grpc
    async with http.get("/v2/status") as response:
        assert (response.status, await response.read()) == (204, b"")
    assert (await command(http, "GET", "/v2/license"))["validLicense"] is False


async def test_status_is_503_once_a_durable_engine_takes_no_commands(tmp_path: Path) -> None:
    async with (
        EmbeddedEngine(data_dir=tmp_path / "mesin") as durable,
        aiohttp.ClientSession(base_url=durable.rest_url) as http,
    ):
        async with http.get("/v2/status") as response:
            assert response.status == 204
        durable.close()
        async with http.get("/v2/status") as response:
            assert "dihentikan" in (await problem(response, 503))["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v2/users/search"), ("GET", "/v2/roles/admin"), ("POST", "/v2/tenants/search")],
)
async def test_identity_endpoints_answer_that_the_engine_has_none(
    http: aiohttp.ClientSession, method: str, path: str
) -> None:
    async with http.request(method, path, json={}) as response:
        assert "Identity" in (await problem(response, 403))["detail"]


async def test_unknown_paths_and_methods_are_problems(http: aiohttp.ClientSession) -> None:
    async with http.get("/v2/nothing-here") as response:
        assert "/v2/nothing-here" in (await problem(response, 404))["detail"]
    async with http.get("/") as response:
        await problem(response, 404)
    async with http.delete("/v2/topology") as response:
        await problem(response, 405)
