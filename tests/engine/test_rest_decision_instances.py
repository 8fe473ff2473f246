"""Decision instances in the REST API (`GET /v2/decision-instances/{decisionEvaluationInstanceKey}`, `POST
/v2/decision-instances/search`) as Camunda 8.8 answers them: one per decision an evaluation evaluated – by
EvaluateDecision or a business rule task –, with the id `<decisionEvaluationKey>-<n>` Camunda 8.8's server gives
(its exporter's DecisionInstanceEntity id), its inputs, matched rules and result; searched with filters, sorting and
paging like the other searches; kept across a restart of the durable engine."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.durable import open_durable_engine
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_harness import Driver
from tests.engine.dmn.dinner import DISH_DRD, JANUARY_DINNER
from tests.engine.rest_helpers import get, items, problem, search
from tests.engine.test_bpmn_business_rule_task import dish_dmn, process, rule_task
from tests.engine.test_rpc_deployment import deploy


@pytest.fixture(name="http")
async def http_fixture(engine: EmbeddedEngine) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=engine.rest_url) as session:
        yield session


async def evaluate(http: aiohttp.ClientSession, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post("/v2/decision-definitions/evaluation", json=body) as response:
        assert response.status == 200, await response.text()
        result: dict[str, Any] = await response.json()
        return result


async def test_each_decision_an_evaluation_evaluated_is_a_decision_instance(
    gateway: Any, http: aiohttp.ClientSession
) -> None:
    """The beverages decision requires season, guest count and dish: four instances `<key>-1` … `<key>-4` in the
    order evaluated, each read with what the evaluation answered for it."""
    await deploy(gateway, ("dinner.dmn", DISH_DRD))
    answer = await evaluate(http, {"decisionDefinitionId": "beverages", "variables": JANUARY_DINNER})
    key = answer["decisionEvaluationKey"]

    found = await items(http, "decision-instances", {"filter": {"decisionEvaluationKey": key}})
    assert [(i["decisionEvaluationInstanceKey"], i["decisionDefinitionId"]) for i in found] == [
        (f"{key}-1", "season"),
        (f"{key}-2", "guestCount"),
        (f"{key}-3", "dish"),
        (f"{key}-4", "beverages"),
    ]
    beverages = found[3]
    assert {k: v for k, v in beverages.items() if k != "evaluationDate"} == {
        "decisionEvaluationInstanceKey": f"{key}-4",
        "state": "EVALUATED",
        "decisionDefinitionId": "beverages",
        "decisionDefinitionName": "Beverages",
        "decisionDefinitionVersion": 1,
        "decisionDefinitionType": "DECISION_TABLE",
        "result": '["Bordeaux","Apple Juice","Water"]',
        "tenantId": "<default>",
        "decisionEvaluationKey": key,
        "decisionDefinitionKey": answer["decisionDefinitionKey"],
    }
    read = await get(http, f"/v2/decision-instances/{key}-3")
    evaluated = answer["evaluatedDecisions"][2]
    assert (read["evaluatedInputs"], read["matchedRules"]) == (evaluated["evaluatedInputs"], evaluated["matchedRules"])
    assert read["result"] == evaluated["output"] and read["decisionDefinitionKey"] == evaluated["decisionDefinitionKey"]


async def test_a_failed_evaluation_leaves_its_failed_decision_as_a_failed_instance(
    gateway: Any, http: aiohttp.ClientSession
) -> None:
    await deploy(gateway, ("dinner.dmn", DISH_DRD))
    answer = await evaluate(
        http,
        {"decisionDefinitionId": "beverages", "variables": {"month": 1, "guests": {"adults": "a", "children": "b"}}},
    )
    key = answer["decisionEvaluationKey"]

    failed = await items(http, "decision-instances", {"filter": {"state": "FAILED"}})
    evaluated = await items(http, "decision-instances", {"filter": {"state": "EVALUATED"}})

    assert [(i["decisionEvaluationInstanceKey"], i["evaluationFailure"]) for i in failed] == [
        (f"{key}-2", answer["failureMessage"])
    ]
    assert [i["decisionDefinitionId"] for i in evaluated] == ["season"]
    assert "evaluationFailure" not in evaluated[0]


async def test_a_business_rule_task_s_decision_instances_name_its_process_and_element(
    gw: Driver, engine: EmbeddedEngine, http: aiohttp.ClientSession
) -> None:
    await gw.deploy(process("menu", rule_task("Decide", "dish")), dish_dmn())
    first = await gw.start("menu", {"season": "Winter", "guestCount": 4})
    second = await gw.start("menu", {"season": "Summer", "guestCount": 9})
    [decide] = gw.element_keys(first, "Decide")

    [instance] = await items(http, "decision-instances", {"filter": {"processInstanceKey": str(first)}})
    assert (instance["elementInstanceKey"], instance["result"]) == (str(decide), '"Roastbeef"')
    assert instance["processDefinitionKey"] == str(engine.engine.process_instances[first].process_definition_key)
    newest_first = await search(
        http,
        "decision-instances",
        {"sort": [{"field": "processInstanceKey", "order": "DESC"}], "page": {"limit": 1}},
    )
    assert newest_first["page"]["totalItems"] == 2
    assert [i["processInstanceKey"] for i in newest_first["items"]] == [str(second)]


@pytest.mark.parametrize("instance_id", ["2251799813685999-1", "abc"])
async def test_an_unknown_decision_instance_is_not_found(http: aiohttp.ClientSession, instance_id: str) -> None:
    async with http.get(f"/v2/decision-instances/{instance_id}") as response:
        assert (await problem(response, 404))["detail"] == f"Decision instance with key '{instance_id}' not found"


async def test_a_search_with_an_unknown_filter_is_refused(http: aiohttp.ClientSession) -> None:
    async with http.post("/v2/decision-instances/search", json={"filter": {"decisionKey": "1"}}) as response:
        assert "Unknown filter property 'decisionKey'" in (await problem(response, 400))["detail"]


@pytest.mark.parametrize("snapshot", [False, True])
def test_decision_instances_survive_a_restart_of_the_durable_engine(tmp_path: Path, snapshot: bool) -> None:
    """Kept by their events (recovery from the log) and in the snapshot: a restarted engine answers the same decision
    instances, without evaluating anything again."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    engine.deploy([("dinner.dmn", DISH_DRD)])
    evaluation = engine.evaluate_decision("beverages", variables=JANUARY_DINNER)
    before = {k: dict(v) for k, v in engine.decision_store.instances.items()}
    engine.close(snapshot=snapshot)

    restarted = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        assert {k: dict(v) for k, v in restarted.decision_store.instances.items()} == before
        assert sorted(before) == [f"{evaluation.key}-{n}" for n in range(1, 5)]
    finally:
        restarted.close()
