"""Conformance: decisions in the REST API with Camunda 8.8's shapes – decision definitions and decision requirements
(search, get, XML) and `POST /v2/decision-definitions/evaluation` – for the dinner decisions of Camunda's
documentation, deployed over the gRPC gateway; a REST deployment's answer listing them as Zeebe's does."""

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from engine.testing import EmbeddedEngine
from tests.engine import rest_helpers
from tests.engine.bpmn_builder import simple_service_process
from tests.engine.decision_helpers import DISH, WINTER_STEW, decisions, requirements
from tests.engine.dmn.dinner import DISH_DRD, JANUARY_DINNER
from tests.engine.dmn.dmn_builder import dmn
from tests.engine.rest_helpers import UNKNOWN_KEY, bad_search, get, items, ok, problem, search
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
