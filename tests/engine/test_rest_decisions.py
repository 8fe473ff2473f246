"""Conformance: decisions in the REST API with Camunda 8.8's shapes – decision definitions and decision requirements
(search, get, XML), `POST /v2/decision-definitions/evaluation` and the decision instances evaluations leave – for
the dinner decisions of Camunda's documentation, deployed over the gRPC gateway; a REST deployment's answer listing
them as Zeebe's does."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.durable import open_durable_engine
from engine.testing import EmbeddedEngine
from tests.engine import rest_helpers
from tests.engine.bpmn_builder import simple_service_process
from tests.engine.bpmn_harness import Driver
from tests.engine.decision_helpers import DISH, WINTER_STEW, decisions, requirements
from tests.engine.dmn.dinner import DISH_DRD, JANUARY_DINNER
from tests.engine.dmn.dmn_builder import dmn
from tests.engine.rest_helpers import UNKNOWN_KEY, bad_search, get, items, ok, problem, search
from tests.engine.test_bpmn_business_rule_task import dish_dmn, process, rule_task
from tests.engine.test_rpc_deployment import deploy, form


@pytest.fixture(name="http")
async def http_fixture(engine: EmbeddedEngine) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=engine.rest_url) as session:
        yield session


async def evaluate(http: aiohttp.ClientSession, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post("/v2/decision-definitions/evaluation", json=body) as response:
        result: dict[str, Any] = await ok(response)
        return result


async def evaluation_problem(http: aiohttp.ClientSession, body: Any, status: int) -> str:
    async with http.post("/v2/decision-definitions/evaluation", json=body) as response:
        detail: str = (await problem(response, status))["detail"]
        return detail


# ---------------------------------------------------------------------------------------------------- reading
async def test_decision_definitions_are_searched_and_read_as_camunda_answers_them(
    gateway: Any, http: aiohttp.ClientSession
) -> None:
    deployed = decisions(await deploy(gateway, ("dinner.dmn", DISH_DRD)))
    graph_key = str(deployed["dish"].decisionRequirementsKey)

    found = await items(
        http,
        "decision-definitions",
        {"filter": {"decisionRequirementsId": "dinnerDecisions"}, "sort": [{"field": "name"}]},
    )
    dish = await get(http, f"/v2/decision-definitions/{deployed['dish'].decisionKey}")

    assert [d["name"] for d in found] == ["Beverages", "Dish", "Guest count", "Season"]
    assert dish == {
        "decisionDefinitionId": "dish",
        "name": "Dish",
        "version": 1,
        "decisionRequirementsId": "dinnerDecisions",
        "tenantId": "<default>",
        "decisionDefinitionKey": str(deployed["dish"].decisionKey),
        "decisionRequirementsKey": graph_key,
    }
    assert dish in found


async def test_a_search_filters_by_version_and_pages(gateway: Any, http: aiohttp.ClientSession) -> None:
    await deploy(gateway, ("dish.dmn", dmn(DISH, drg_id="dishes")))
    await deploy(gateway, ("dish.dmn", dmn(WINTER_STEW, drg_id="dishes")))

    second = await items(http, "decision-definitions", {"filter": {"decisionDefinitionId": "dish", "version": 2}})
    newest_first = await search(
        http, "decision-definitions", {"sort": [{"field": "version", "order": "DESC"}], "page": {"limit": 1}}
    )

    assert [(d["decisionDefinitionId"], d["version"]) for d in second] == [("dish", 2)]
    assert [d["version"] for d in newest_first["items"]] == [2]
    assert newest_first["page"]["totalItems"] == 2
    assert "Unknown filter property 'isLatestVersion'" in await bad_search(
        http, "decision-definitions", {"filter": {"isLatestVersion": True}}
    )


async def test_decision_requirements_are_searched_and_read_with_their_xml(
    gateway: Any, http: aiohttp.ClientSession
) -> None:
    response = await deploy(gateway, ("dinner.dmn", DISH_DRD))
    graph = requirements(response)
    dish_key = decisions(response)["dish"].decisionKey

    [found] = await items(http, "decision-requirements", {"filter": {"resourceName": "dinner.dmn"}})
    async with http.get(f"/v2/decision-requirements/{graph.decisionRequirementsKey}/xml") as answer:
        graph_xml = (answer.status, answer.content_type, await answer.read())
    async with http.get(f"/v2/decision-definitions/{dish_key}/xml") as answer:
        decision_xml = (answer.status, await answer.read())

    assert found == {
        "decisionRequirementsName": "Dinner Decisions",
        "version": 1,
        "decisionRequirementsId": "dinnerDecisions",
        "resourceName": "dinner.dmn",
        "tenantId": "<default>",
        "decisionRequirementsKey": str(graph.decisionRequirementsKey),
    }
    assert await get(http, f"/v2/decision-requirements/{graph.decisionRequirementsKey}") == found
    assert graph_xml == (200, "text/xml", DISH_DRD)
    assert decision_xml == (200, DISH_DRD)


@pytest.mark.parametrize(
    ("path", "what"),
    [
        (f"/v2/decision-definitions/{UNKNOWN_KEY}", "Decision definition"),
        (f"/v2/decision-definitions/{UNKNOWN_KEY}/xml", "Decision definition"),
        (f"/v2/decision-requirements/{UNKNOWN_KEY}", "Decision requirements"),
        (f"/v2/decision-requirements/{UNKNOWN_KEY}/xml", "Decision requirements"),
    ],
)
async def test_an_unknown_key_is_not_found(http: aiohttp.ClientSession, path: str, what: str) -> None:
    async with http.get(path) as response:
        assert (await problem(response, 404))["detail"] == f"{what} with key '{UNKNOWN_KEY}' not found"


# ---------------------------------------------------------------------------------------------------- evaluating
async def test_evaluation_by_id_answers_the_evaluated_decisions_as_camunda_does(
    gateway: Any, http: aiohttp.ClientSession
) -> None:
    deployed = decisions(await deploy(gateway, ("dinner.dmn", DISH_DRD)))

    answer = await evaluate(http, {"decisionDefinitionId": "beverages", "variables": JANUARY_DINNER})

    key = answer["decisionEvaluationKey"]
    assert {k: v for k, v in answer.items() if k != "evaluatedDecisions"} == {
        "decisionDefinitionId": "beverages",
        "decisionDefinitionName": "Beverages",
        "decisionDefinitionVersion": 1,
        "decisionRequirementsId": "dinnerDecisions",
        "output": '["Bordeaux","Apple Juice","Water"]',
        "failedDecisionDefinitionId": "",
        "failureMessage": "",
        "tenantId": "<default>",
        "decisionDefinitionKey": str(deployed["beverages"].decisionKey),
        "decisionRequirementsKey": str(deployed["beverages"].decisionRequirementsKey),
        "decisionInstanceKey": key,
        "decisionEvaluationKey": key,
    }
    season, guests, dish, beverages = answer["evaluatedDecisions"]
    assert season == {
        "decisionDefinitionId": "season",
        "decisionDefinitionName": "Season",
        "decisionDefinitionVersion": 1,
        "decisionDefinitionType": "LITERAL_EXPRESSION",
        "output": '"Winter"',
        "tenantId": "<default>",
        "matchedRules": [],
        "evaluatedInputs": [],
        "decisionDefinitionKey": str(deployed["season"].decisionKey),
    }
    assert guests["output"] == "8"
    assert dish["evaluatedInputs"] == [
        {"inputId": "Input_season", "inputName": "Season", "inputValue": '"Winter"'},
        {"inputId": "Input_guests", "inputName": "How many guests", "inputValue": "8"},
    ]
    assert [r["ruleIndex"] for r in beverages["matchedRules"]] == [3, 5, 6]
    assert beverages["matchedRules"][0]["evaluatedOutputs"] == [
        {"outputId": "OutputClause_beverages", "outputName": "Beverages", "outputValue": '"Bordeaux"'}
    ]


async def test_evaluation_by_key_as_a_string_evaluates_that_version(gateway: Any, http: aiohttp.ClientSession) -> None:
    first = decisions(await deploy(gateway, ("dish.dmn", dmn(DISH, drg_id="dishes"))))["dish"]
    await deploy(gateway, ("dish.dmn", dmn(WINTER_STEW, drg_id="dishes")))
    winter = {"season": "Winter", "guestCount": 4}

    former = await evaluate(http, {"decisionDefinitionKey": str(first.decisionKey), "variables": winter})
    latest = await evaluate(http, {"decisionDefinitionId": "dish", "variables": winter})

    assert (former["decisionDefinitionVersion"], former["output"]) == (1, '"Roastbeef"')
    assert (latest["decisionDefinitionVersion"], latest["output"]) == (2, '"Stew"')


async def test_a_failed_evaluation_is_a_200_with_the_failure(gateway: Any, http: aiohttp.ClientSession) -> None:
    await deploy(gateway, ("dinner.dmn", DISH_DRD))

    answer = await evaluate(
        http,
        {"decisionDefinitionId": "beverages", "variables": {"month": 1, "guests": {"adults": "a", "children": "b"}}},
    )

    assert answer["output"] == "null"
    assert answer["failedDecisionDefinitionId"] == "guestCount"
    assert answer["failureMessage"] == (
        "Expected to evaluate decision 'beverages', but expected 'number' but found 'ValString(ab)'"
    )
    assert [d["decisionDefinitionId"] for d in answer["evaluatedDecisions"]] == ["season", "guestCount"]


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({}, 400, "At least one of [decisionDefinitionId, decisionDefinitionKey] is required."),
        (
            {"decisionDefinitionId": "dish", "decisionDefinitionKey": "1"},
            400,
            "Only one of [decisionDefinitionId, decisionDefinitionKey] is allowed.",
        ),
        ({"decisionDefinitionKey": "dish"}, 400, "The value for decisionDefinitionKey is 'dish'"),
        ({"decisionDefinitionId": "dish", "variables": [1]}, 400, "'variables' must be a JSON object"),
        ({"decisionDefinitionId": "dish", "tenantId": "other"}, 400, "Expected to handle request Evaluate Decision"),
        ({"decisionDefinitionId": "dish", "decision": 1}, 400, "Unknown properties 'decision'"),
        (
            {"decisionDefinitionId": "lunch"},
            404,
            "Expected to evaluate decision 'lunch', but no decision found for id 'lunch'",
        ),
        (
            {"decisionDefinitionKey": UNKNOWN_KEY},
            404,
            f"Expected to evaluate decision '{UNKNOWN_KEY}', but no decision found for key '{UNKNOWN_KEY}'",
        ),
    ],
)
async def test_a_bad_evaluation_request_is_a_problem(
    gateway: Any, http: aiohttp.ClientSession, body: dict[str, Any], status: int, detail: str
) -> None:
    await deploy(gateway, ("dinner.dmn", DISH_DRD))

    assert (await evaluation_problem(http, body, status)).startswith(detail)


async def test_an_evaluation_body_that_is_not_json_is_a_400(http: aiohttp.ClientSession) -> None:
    async with http.post(
        "/v2/decision-definitions/evaluation", data=b"{", headers={"Content-Type": "application/json"}
    ) as response:
        await problem(response, 400)


# ---------------------------------------------------------------------------------------------------- deploying
async def test_a_rest_deployment_lists_processes_decisions_graphs_and_forms_as_zeebe_does(
    engine: EmbeddedEngine, http: aiohttp.ClientSession
) -> None:
    """`POST /v2/deployments` with a form, a DMN file and a process (in that order) answers the process first, then
    each decision, the decision requirements graph and the form – Zeebe's order – each with its own shape."""
    answer = await rest_helpers.deploy(
        http,
        ("review.form", form()),
        ("dinner.dmn", DISH_DRD),
        ("order.bpmn", simple_service_process("order", "price-order")),
    )

    store = engine.engine.decision_store
    keys = {d.decision_id: d.key for d in store.decisions.values()}
    [graph] = store.requirements.values()
    entries = answer["deployments"]
    assert [next(iter(entry)) for entry in entries] == [
        "processDefinition",
        *["decisionDefinition"] * 4,
        "decisionRequirements",
        "form",
    ]
    assert entries[2]["decisionDefinition"] == {
        "decisionDefinitionId": "dish",
        "version": 1,
        "name": "Dish",
        "tenantId": "<default>",
        "decisionRequirementsId": "dinnerDecisions",
        "decisionDefinitionKey": str(keys["dish"]),
        "decisionRequirementsKey": str(graph.key),
    }
    assert entries[5]["decisionRequirements"] == {
        "decisionRequirementsId": "dinnerDecisions",
        "version": 1,
        "decisionRequirementsName": "Dinner Decisions",
        "tenantId": "<default>",
        "resourceName": "dinner.dmn",
        "decisionRequirementsKey": str(graph.key),
    }
    assert entries[0]["processDefinition"]["processDefinitionId"] == "order"
    assert entries[6]["form"]["formId"] == "review-form"


# ------------------------------------------------------------------------------------------------ decision instances
# one per decision an evaluation evaluated – by EvaluateDecision or a business rule task –, with the id
# `<decisionEvaluationKey>-<n>` Camunda 8.8's server gives (its exporter's DecisionInstanceEntity id), its inputs,
# matched rules and result; searched with filters, sorting and paging like the other searches; kept across a restart
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
        # evaluated outside a process: Camunda 8.8 answers its record's defaults (DecisionInstanceEntity's longs)
        "processDefinitionKey": "-1",
        "processInstanceKey": "-1",
        "elementInstanceKey": "-1",
    }
    read = await get(http, f"/v2/decision-instances/{key}-3")
    evaluated = answer["evaluatedDecisions"][2]
    assert (read["evaluatedInputs"], read["matchedRules"]) == (evaluated["evaluatedInputs"], evaluated["matchedRules"])
    assert read["result"] == evaluated["output"] and read["decisionDefinitionKey"] == evaluated["decisionDefinitionKey"]
    assert (read["processInstanceKey"], read["elementInstanceKey"]) == ("-1", "-1")


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
