"""A second official Zeebe client: Camunda's JavaScript SDK (@camunda8/sdk) drives the embedded engine over its
real gRPC port – deploy, create, a job worker that fails once and completes, messages, a result awaited; and DMN:
a decision file deployed, decisions evaluated by id and by key, a missing one refused."""

from pathlib import Path
from typing import Any

from engine.testing import EmbeddedEngine
from tests.engine.clients.node import node_or_skip, run_node
from tests.engine.dmn.dinner import DISH_DRD

HERE = Path(__file__).parent
SCRIPT = HERE / "js_sdk_client.mjs"
DECISIONS_SCRIPT = HERE / "js_sdk_decisions.mjs"
DIAGRAM = HERE / "order_approval.bpmn"


def sdk_environment(address: str, **auth: str) -> dict[str, str]:
    """The SDK's zero-conf configuration: a plain-text gateway, without authentication unless `auth` gives the
    SDK's variables for it."""
    return {
        "ZEEBE_GRPC_ADDRESS": f"grpc://{address}",
        "ZEEBE_CLIENT_LOG_LEVEL": "NONE",
        "CAMUNDA_LOG_LEVEL": "none",
        **(auth or {"CAMUNDA_AUTH_STRATEGY": "NONE"}),
    }


async def run_grpc_script(node: str, address: str, **auth: str) -> dict[str, Any]:
    """The process script with its diagram (see sdk_environment for `auth`)."""
    return await run_node(node, SCRIPT, str(DIAGRAM), env=sdk_environment(address, **auth))


async def test_the_camunda_javascript_sdk_runs_a_process_on_the_embedded_engine(engine: EmbeddedEngine) -> None:
    """@camunda8/sdk deploys, creates instances, works a job (one FailJob, then CompleteJob with variables), has a
    duplicate message id refused with ALREADY_EXISTS and gets B-2's result: the engine shows both instances
    completed through the message branch, the gateway's timer cancelled, and nothing left open."""
    node = node_or_skip("@camunda8/sdk")
    observed = await run_grpc_script(node, engine.address)
    assert observed["errors"] == []

    topology = observed["topology"]
    assert (topology["clusterSize"], topology["partitionsCount"]) == (1, 1)
    assert topology["brokers"][0]["partitions"] == [{"partitionId": 1, "role": "LEADER", "health": "HEALTHY"}]

    [definition] = engine.engine.definitions.values()
    assert observed["deployment"]["bpmnProcessId"] == "orderApproval"
    assert observed["deployment"]["resourceName"] == "order_approval.bpmn"
    assert int(observed["deployment"]["processDefinitionKey"]) == definition.key

    key_a = int(observed["createdA"]["processInstanceKey"])
    key_b = int(observed["resultB"]["processInstanceKey"])
    jobs_by_instance: dict[int, list[dict[str, Any]]] = {}
    for job in observed["jobs"]:
        assert job["elementId"] == "PriceOrderTask"
        assert job["customHeaders"] == {"currency": "IDR"}
        assert job["worker"] == "js-sdk-worker"
        jobs_by_instance.setdefault(int(job["processInstanceKey"]), []).append(job)
    assert [j["retries"] for j in jobs_by_instance[key_a]] == [3]
    assert [j["retries"] for j in jobs_by_instance[key_b]] == [3, 2]  # failed once, delivered again
    assert jobs_by_instance[key_b][0]["variables"] == {"orderId": "B-2", "quantity": 3, "unitPrice": 700}

    assert observed["duplicateMessage"] == {"refused": True, "code": 6}  # ALREADY_EXISTS
    assert observed["resultB"]["variables"] == {
        "orderId": "B-2",
        "quantity": 3,
        "unitPrice": 700,
        "orderTotal": 2100,
        "approvedBy": "ppbj",
    }

    await engine.wait_for_idle(timeout=30)
    engine.assert_that(key_a).is_completed().has_passed("PriceOrderTask", "OrderApprovedEvent").has_not_passed(
        "ApprovalExpiredEvent"
    ).has_variable("orderTotal", 3000).has_variable("approvedBy", "kepala-biro").has_no_variable("total")
    engine.assert_that(key_b).is_completed().has_passed("OrderApprovedEndEvent").has_no_incidents()
    assert not engine.jobs("price-order")  # finished jobs leave the engine's state
    job_intents = {
        key: [r.intent for r in engine.engine.records if r.value_type == "JOB" and r.process_instance_key == key]
        for key in (key_a, key_b)
    }
    assert job_intents == {
        key_a: ["CREATED", "ACTIVATED", "COMPLETED"],
        key_b: ["CREATED", "ACTIVATED", "FAILED", "ACTIVATED", "COMPLETED"],
    }
    assert [m.message_id for m in engine.messages() if m.correlation_key == "A-1"] == ["approval-A-1"]
    for key in (key_a, key_b):
        timers = [r for r in engine.engine.records if r.value_type == "TIMER" and r.process_instance_key == key]
        assert [r.intent for r in timers] == ["CREATED", "CANCELED"]
    assert not engine.engine.timers
    assert not engine.engine.subscriptions


async def test_the_camunda_javascript_sdk_deploys_and_evaluates_decisions(
    engine: EmbeddedEngine, tmp_path: Path
) -> None:
    """@camunda8/sdk deploys the dinner decisions of Camunda's documentation (its deployment lists the four decisions
    and their graph), evaluates Beverages by id (Bordeaux, apple juice and water, with the decisions it required) and
    Dish by key, and gets NOT_FOUND for a decision that is not deployed."""
    node = node_or_skip("@camunda8/sdk")
    (tmp_path / "dinner.dmn").write_bytes(DISH_DRD)
    observed = await run_node(node, DECISIONS_SCRIPT, str(tmp_path / "dinner.dmn"), env=sdk_environment(engine.address))
    assert observed["errors"] == []

    keys = {d.decision_id: d.key for d in engine.engine.decision_store.decisions.values()}
    assert observed["deployments"] == [
        {"decision": ["beverages", 1, str(keys["beverages"])]},
        {"decision": ["dish", 1, str(keys["dish"])]},
        {"decision": ["season", 1, str(keys["season"])]},
        {"decision": ["guestCount", 1, str(keys["guestCount"])]},
        {"decisionRequirements": ["dinnerDecisions", 1]},
    ]
    assert observed["byId"] == {
        "decisionKey": str(keys["beverages"]),
        "decisionOutput": ["Bordeaux", "Apple Juice", "Water"],
        "evaluated": [
            ["season", "LITERAL_EXPRESSION", "Winter"],
            ["guestCount", "LITERAL_EXPRESSION", 8],
            ["dish", "DECISION_TABLE", "Roastbeef"],
            ["beverages", "DECISION_TABLE", ["Bordeaux", "Apple Juice", "Water"]],
        ],
        "matchedRules": [3, 5, 6],
        "failedDecisionId": "",
    }
    assert observed["byKey"] == {"decisionId": "dish", "decisionOutput": "Steak"}  # summer, three guests
    assert observed["missing"]["refused"] is True
    assert observed["missing"]["code"] == 5  # NOT_FOUND
