"""Camunda's own REST clients over the engine's `/v2` API: @camunda8/orchestration-cluster-api 8.8 through a whole
lifecycle with its validation of every answer against the 8.8 spec switched on (strict requests, "fanatical"
answers: a property the spec does not have fails too), and @camunda8/sdk's REST job worker."""

from pathlib import Path
from typing import Any

from engine.testing import EmbeddedEngine
from tests.engine.clients.node import node_or_skip, run_node

HERE = Path(__file__).parent
LIFECYCLE = HERE / "rest_lifecycle.mjs"
WORKER = HERE / "sdk_rest_worker.mjs"
DIAGRAM = HERE / "permohonan_rest.bpmn"
ORCHESTRATION_API = "@camunda8/orchestration-cluster-api"


def lifecycle_env(rest_url: str, **auth: str) -> dict[str, str]:
    return {
        "CAMUNDA_REST_ADDRESS": rest_url,
        "CAMUNDA_SDK_VALIDATION": "req:strict,res:fanatical",
        "CAMUNDA_SDK_LOG_LEVEL": "error",
        "CAMUNDA_SDK_HTTP_RETRY_MAX_ATTEMPTS": "1",
        **(auth or {"CAMUNDA_AUTH_STRATEGY": "NONE"}),
    }


def check_lifecycle(engine: EmbeddedEngine, observed: dict[str, Any]) -> None:
    """What the lifecycle script saw, and the engine's own state after it."""
    assert observed["errors"] == []
    assert observed["topology"]["lastCompletedChangeId"] == "-1"
    assert observed["topology"]["brokers"][0]["port"] == engine.server.ports.grpc
    assert observed["license"]["validLicense"] is False
    [process] = observed["deployment"]["processes"]
    assert (process["processDefinitionId"], process["resourceName"]) == ("permohonanRest", "permohonan_rest.bpmn")
    key_a, key_b = (int(observed[name]["processInstanceKey"]) for name in ("createdA", "createdB"))
    assert len(observed["activated"]["jobs"]) == 2
    assert observed["correlation"]["processInstanceKey"] == str(key_a)
    task = observed["task"]
    assert (task["assignee"], task["priority"], task["candidateGroups"]) == ("kepala-biro", 80, ["ppbj"])
    assert {v["name"] for v in observed["taskVariables"]["items"]} == {"nomorPermohonan", "berkasLengkap"}
    states = {item["processInstanceKey"]: item["state"] for item in observed["processInstances"]["items"]}
    assert states == {str(key_a): "COMPLETED", str(key_b): "TERMINATED"}
    [failed] = [j for j in observed["jobs"]["items"] if j["processInstanceKey"] == str(key_b)]
    assert (failed["state"], failed["retries"], failed["errorMessage"]) == ("FAILED", 2, "berkas belum terbaca")
    variables = {v["name"]: v["value"] for v in observed["variables"]["items"]}
    assert variables == {
        "nomorPermohonan": '"P-1"',
        "berkasLengkap": "true",
        "disetujui": "true",
        "catatan": '"lengkap"',
    }
    engine.assert_that(key_a).is_completed().has_passed(
        "PeriksaBerkasTask", "SetujuiTask", "TungguPersetujuanEvent", "TungguArsipEvent", "Selesai"
    )
    assert engine.process_instance(key_b).state == "TERMINATED"


async def test_the_orchestration_cluster_api_client_runs_a_whole_lifecycle(engine: EmbeddedEngine) -> None:
    """Deploy, create, activate/complete/fail jobs, find, assign, update and complete the user task, correlate the
    message, broadcast the signal, cancel, search – every answer valid for the client's strict 8.8 schemas."""
    node = node_or_skip(ORCHESTRATION_API)
    assert engine.rest_url is not None
    observed = await run_node(node, LIFECYCLE, str(DIAGRAM), env=lifecycle_env(engine.rest_url))
    check_lifecycle(engine, observed)


def worker_env(rest_url: str, **auth: str) -> dict[str, str]:
    return {
        "ZEEBE_REST_ADDRESS": rest_url,
        "CAMUNDA_LOG_LEVEL": "error",
        **(auth or {"CAMUNDA_AUTH_STRATEGY": "NONE"}),
    }


def check_worker(engine: EmbeddedEngine, observed: dict[str, Any], count: int) -> None:
    assert observed["errors"] == []
    assert sorted(w["nomorPermohonan"] for w in observed["worked"]) == [f"W-{i}" for i in range(1, count + 1)]
    for key in observed["created"]:
        assert engine.process_instance(int(key)).state == "ACTIVE"
        engine.assert_that(int(key)).has_passed("PeriksaBerkasTask").has_variable("diperiksaOleh", "sdk-rest-worker")
        [task] = engine.user_tasks(int(key))
        assert task.element_id == "SetujuiTask"


async def test_the_sdk_rest_job_worker_works_every_job(engine: EmbeddedEngine) -> None:
    """@camunda8/sdk deploys and creates over REST, and its REST job worker (long polls on /v2/jobs/activation)
    completes each job with variables: every instance moves on to the user task."""
    node = node_or_skip("@camunda8/sdk")
    assert engine.rest_url is not None
    observed = await run_node(node, WORKER, str(DIAGRAM), "3", env=worker_env(engine.rest_url))
    check_worker(engine, observed, 3)
