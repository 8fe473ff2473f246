"""Conformance: DMN over the gateway – DeployResource with `.dmn` resources (decision requirements graphs and their
decisions, keys, versions, Zeebe's duplicates and refusals) and EvaluateDecision (by id or key; the evaluated
decisions with their inputs, matched rules and outputs; failures in the answer; NOT_FOUND), with the dinner decisions
of Camunda's documentation, through pyzeebe and the raw stub."""

import json
from pathlib import Path
from typing import Any

import grpc
import pytest
from pyzeebe import ZeebeClient
from pyzeebe.errors import DecisionNotFoundError
from pyzeebe.grpc_internals.types import DeployResourceResponse
from pyzeebe.proto import gateway_pb2 as pb

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import simple_service_process
from tests.engine.decision_helpers import DISH, WINTER_STEW, decisions, metadata, requirements
from tests.engine.dmn.dinner import DISH_DRD, JANUARY_DINNER
from tests.engine.dmn.dmn_builder import In, Out, Table, dmn
from tests.engine.rpc_helpers import rpc_error, stub
from tests.engine.test_rpc_deployment import deploy, deploy_error


# ---------------------------------------------------------------------------------------------------- deploying
async def test_pyzeebe_deploys_a_dmn_file_as_a_decision_requirements_graph_with_its_decisions(
    zeebe_client: ZeebeClient, tmp_path: Path
) -> None:
    """The dinner DRD deploys as version 1 of its graph (id and name of its definitions, the resource name) and of
    each of its four decisions (id, name, the graph's id and key); Zeebe lists the decisions before the graph."""
    (tmp_path / "dinner.dmn").write_bytes(DISH_DRD)

    response = await zeebe_client.deploy_resource(tmp_path / "dinner.dmn")

    *found, graph = response.deployments
    assert isinstance(graph, DeployResourceResponse.DecisionRequirementsMetadata)
    assert (graph.dmn_decision_requirements_id, graph.dmn_decision_requirements_name, graph.version) == (
        "dinnerDecisions",
        "Dinner Decisions",
        1,
    )
    assert graph.resource_name == "dinner.dmn" and graph.tenant_id == "<default>"
    assert all(isinstance(d, DeployResourceResponse.DecisionMetadata) for d in found)
    assert [(d.dmn_decision_id, d.dmn_decision_name, d.version) for d in found] == [  # type: ignore[union-attr]
        ("beverages", "Beverages", 1),
        ("dish", "Dish", 1),
        ("season", "Season", 1),
        ("guestCount", "Guest count", 1),
    ]
    assert {(d.dmn_decision_requirements_id, d.decision_requirements_key) for d in found} == {  # type: ignore[union-attr]
        ("dinnerDecisions", graph.decision_requirements_key)
    }
    keys = [d.decision_key for d in found] + [graph.decision_requirements_key]  # type: ignore[union-attr]
    assert len(set(keys)) == 5 and all(k > 0 for k in keys)


async def test_the_same_file_again_is_a_duplicate_and_keeps_its_keys_and_versions(gateway: Any) -> None:
    first = await deploy(gateway, ("dinner.dmn", DISH_DRD))

    again = await deploy(gateway, ("dinner.dmn", DISH_DRD))

    assert again.key != first.key
    assert list(again.deployments) == list(first.deployments)


async def test_a_changed_file_is_a_new_version_of_the_graph_and_of_each_decision(gateway: Any) -> None:
    first = await deploy(gateway, ("dish.dmn", dmn(DISH, drg_id="dishes")))

    second = await deploy(gateway, ("dish.dmn", dmn(WINTER_STEW, drg_id="dishes")))

    assert metadata(second) == [("decision", "dish", 2), ("decisionRequirements", "dishes", 2)]
    assert decisions(second)["dish"].decisionKey != decisions(first)["dish"].decisionKey
    assert decisions(second)["dish"].decisionRequirementsKey == requirements(second).decisionRequirementsKey


async def test_the_same_content_under_another_name_is_a_new_version(gateway: Any) -> None:
    await deploy(gateway, ("dish.dmn", dmn(DISH, drg_id="dishes")))

    renamed = await deploy(gateway, ("dishes.dmn", dmn(DISH, drg_id="dishes")))

    assert metadata(renamed) == [("decision", "dish", 2), ("decisionRequirements", "dishes", 2)]
    assert requirements(renamed).resourceName == "dishes.dmn"


async def test_a_decision_counts_its_versions_across_graphs(gateway: Any) -> None:
    """A decision is versioned by its own id: `dish` deployed in the dinner DRD and then in a graph of its own is at
    version 2 there, while that graph is at version 1; the dinner file deployed again is then no duplicate (its
    `dish` is no longer the latest) and becomes version 2 of its graph, with `dish` at version 3."""
    await deploy(gateway, ("dinner.dmn", DISH_DRD))
    alone = await deploy(gateway, ("dish.dmn", dmn(DISH, drg_id="dishes")))
    assert metadata(alone) == [("decision", "dish", 2), ("decisionRequirements", "dishes", 1)]

    dinner = await deploy(gateway, ("dinner.dmn", DISH_DRD))

    assert metadata(dinner) == [
        ("decision", "beverages", 2),
        ("decision", "dish", 3),
        ("decision", "season", 2),
        ("decision", "guestCount", 2),
        ("decisionRequirements", "dinnerDecisions", 2),
    ]


async def test_resources_deployed_together_are_versioned_together_in_zeebes_order(gateway: Any) -> None:
    """A deployment with a changed process makes the unchanged DRD of the same deployment a new version too; the
    answer lists processes, decisions, graphs, forms – whatever the order of the resources."""
    await deploy(gateway, ("dinner.dmn", DISH_DRD), ("simple.bpmn", simple_service_process(job_type="v1")))

    both = await deploy(gateway, ("dinner.dmn", DISH_DRD), ("simple.bpmn", simple_service_process(job_type="v2")))

    assert metadata(both) == [
        ("process", "simple", 2),
        ("decision", "beverages", 2),
        ("decision", "dish", 2),
        ("decision", "season", 2),
        ("decision", "guestCount", 2),
        ("decisionRequirements", "dinnerDecisions", 2),
    ]


async def test_two_files_with_the_same_graph_or_decision_id_in_one_deployment_are_refused(gateway: Any) -> None:
    same_graph = await deploy_error(
        gateway, ("a.dmn", dmn(DISH, drg_id="dishes")), ("b.dmn", dmn(WINTER_STEW, drg_id="dishes"))
    )
    same_decision = await deploy_error(
        gateway, ("a.dmn", dmn(DISH, drg_id="dishes")), ("b.dmn", dmn(WINTER_STEW, drg_id="stews"))
    )

    assert same_graph.code() == same_decision.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert same_graph.details() == (
        "Expected to deploy new resources, but encountered the following errors:\n"
        "Expected the decision requirements ids to be unique within a deployment but found a duplicated id "
        "'dishes' in the resources 'a.dmn' and 'b.dmn'."
    )
    assert (same_decision.details() or "").endswith(
        "Expected the decision ids to be unique within a deployment but found a duplicated id 'dish' in the "
        "resources 'a.dmn' and 'b.dmn'."
    )


async def test_an_invalid_dmn_file_is_refused_with_its_problems_and_nothing_is_deployed(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """A rule with an empty output cell (Zeebe refuses it too) names the file, the element, its line and why; the
    valid BPMN of the same deployment is not deployed either."""
    broken = DISH_DRD.replace(b'<text>"Roastbeef"</text>', b"<text></text>")
    assert broken != DISH_DRD

    error = await deploy_error(gateway, ("dinner.dmn", broken), ("simple.bpmn", simple_service_process()))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    lines = (error.details() or "").splitlines()
    assert lines[1] == "'dinner.dmn':"
    assert lines[2].startswith("- Element '") and "(dmn:outputEntry) (line " in lines[2]
    assert engine.engine.decision_store.decisions == {} and engine.engine.definitions == {}


# ---------------------------------------------------------------------------------------------------- evaluating
async def test_evaluate_decision_by_id_answers_every_evaluated_decision_as_zeebe_does(
    zeebe_client: ZeebeClient, gateway: Any
) -> None:
    """Beverages in January for six adults and two children: Bordeaux, apple juice and water. The answer names the
    decision's latest version and graph, and lists each decision evaluated on the way, the asked one last: its key
    and version, its type, its output, its inputs (label and value) and the rules it matched with their outputs –
    every value decoded by pyzeebe from the JSON text of the answer."""
    deployed = decisions(await deploy(gateway, ("dinner.dmn", DISH_DRD)))

    response = await zeebe_client.evaluate_decision(None, "beverages", variables=JANUARY_DINNER)

    assert (response.decision_id, response.decision_name, response.decision_version) == ("beverages", "Beverages", 1)
    assert response.decision_key == deployed["beverages"].decisionKey
    assert (response.decision_requirements_id, response.decision_requirements_key) == (
        "dinnerDecisions",
        deployed["beverages"].decisionRequirementsKey,
    )
    assert response.decision_output == ["Bordeaux", "Apple Juice", "Water"]
    assert (response.failed_decision_id, response.failure_message) == ("", "")
    assert response.decision_instance_key > 0 and response.tenant_id == "<default>"
    assert [
        (d.decision_id, d.decision_key, d.decision_version, d.decision_type, d.decision_output)
        for d in response.evaluated_decisions
    ] == [
        ("season", deployed["season"].decisionKey, 1, "LITERAL_EXPRESSION", "Winter"),
        ("guestCount", deployed["guestCount"].decisionKey, 1, "LITERAL_EXPRESSION", 8),
        ("dish", deployed["dish"].decisionKey, 1, "DECISION_TABLE", "Roastbeef"),
        ("beverages", deployed["beverages"].decisionKey, 1, "DECISION_TABLE", ["Bordeaux", "Apple Juice", "Water"]),
    ]
    season, _, dish, beverages = response.evaluated_decisions
    assert season.evaluated_inputs == [] and season.matched_rules == []
    assert [(i.input_name, i.input_value) for i in dish.evaluated_inputs] == [
        ("Season", "Winter"),
        ("How many guests", 8),
    ]
    [roastbeef] = dish.matched_rules
    assert (roastbeef.rule_index, [(o.output_name, o.output_value) for o in roastbeef.evaluated_outputs]) == (
        2,
        [("Dish", "Roastbeef")],
    )
    assert [(r.rule_id, r.rule_index) for r in beverages.matched_rules] == [
        ("DecisionRule_roastbeef", 3),
        ("DecisionRule_children", 5),
        ("DecisionRule_water", 6),
    ]


async def test_by_key_a_former_version_is_evaluated_by_id_the_latest(gateway: Any) -> None:
    first = decisions(await deploy(gateway, ("dish.dmn", dmn(DISH, drg_id="dishes"))))["dish"]
    await deploy(gateway, ("dish.dmn", dmn(WINTER_STEW, drg_id="dishes")))
    winter = json.dumps({"season": "Winter", "guestCount": 4})

    former = await gateway.EvaluateDecision(pb.EvaluateDecisionRequest(decisionKey=first.decisionKey, variables=winter))
    latest = await gateway.EvaluateDecision(pb.EvaluateDecisionRequest(decisionId="dish", variables=winter))

    assert (former.decisionVersion, json.loads(former.decisionOutput)) == (1, "Roastbeef")
    assert (latest.decisionVersion, json.loads(latest.decisionOutput)) == (2, "Stew")
    assert former.evaluatedDecisions[0].decisionKey == first.decisionKey
    assert latest.decisionInstanceKey > former.decisionInstanceKey


async def test_a_failed_evaluation_is_answered_with_its_failure_and_what_was_evaluated(gateway: Any) -> None:
    """Guest count adds `guests.adults` and `guests.children`: given as text, FEEL joins them into a string, which
    its `number` variable refuses. The answer is no error but the failure – the decision that failed, Zeebe's
    message – with no output, and the decisions evaluated until then, the failed one with the value it gave."""
    await deploy(gateway, ("dinner.dmn", DISH_DRD))
    variables = json.dumps({"month": 1, "guests": {"adults": "six", "children": "two"}})

    response = await gateway.EvaluateDecision(pb.EvaluateDecisionRequest(decisionId="beverages", variables=variables))

    assert (response.decisionId, response.decisionVersion, response.decisionOutput) == ("beverages", 1, "")
    assert response.failedDecisionId == "guestCount"
    assert response.failureMessage == (
        "Expected to evaluate decision 'beverages', but expected 'number' but found 'ValString(sixtwo)'"
    )
    assert [(d.decisionId, d.decisionOutput) for d in response.evaluatedDecisions] == [
        ("season", '"Winter"'),
        ("guestCount", '"sixtwo"'),
    ]


async def test_a_unique_table_with_two_matching_rules_fails_naming_them(gateway: Any) -> None:
    """UNIQUE with two matches (Camunda's docs: such a table is wrong): the failure lists both rules."""
    overlapping = Table(
        "dish",
        "Dish",
        [In("Season", "season")],
        [Out("Dish", "desiredDish")],
        [['"Winter"', '"Roastbeef"'], ['"Winter","Fall"', '"Stew"']],
    )
    await deploy(gateway, ("dish.dmn", dmn(overlapping, drg_id="dishes")))

    response = await gateway.EvaluateDecision(
        pb.EvaluateDecisionRequest(decisionId="dish", variables='{"season":"Winter"}')
    )

    assert response.failedDecisionId == "dish" and response.decisionOutput == ""
    assert "multiple matching rules" in response.failureMessage or "UNIQUE" in response.failureMessage
    [dish] = response.evaluatedDecisions
    assert [r.ruleIndex for r in dish.matchedRules] == [1, 2]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            pb.EvaluateDecisionRequest(decisionId="lunch"),
            "Expected to evaluate decision 'lunch', but no decision found for id 'lunch'",
        ),
        (
            pb.EvaluateDecisionRequest(decisionKey=42),
            "Expected to evaluate decision '42', but no decision found for key '42'",
        ),
    ],
)
async def test_a_decision_that_is_not_deployed_is_not_found(
    gateway: Any, request_: pb.EvaluateDecisionRequest, message: str
) -> None:
    await deploy(gateway, ("dinner.dmn", DISH_DRD))

    error = await rpc_error(gateway.EvaluateDecision(request_))

    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, message)


async def test_pyzeebe_reports_a_missing_decision_as_not_found(zeebe_client: ZeebeClient) -> None:
    with pytest.raises(DecisionNotFoundError):
        await zeebe_client.evaluate_decision(None, "lunch")


async def test_variables_that_are_not_a_json_object_are_refused(gateway: Any) -> None:
    await deploy(gateway, ("dinner.dmn", DISH_DRD))

    error = await rpc_error(gateway.EvaluateDecision(pb.EvaluateDecisionRequest(decisionId="dish", variables="[1]")))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_deployed_decisions_survive_a_restart_of_a_durable_engine(tmp_path: Path) -> None:
    """Deployed in a durable engine, evaluated after it stopped and started again on its data directory: the same
    keys, versions and answers; the evaluation keys go on from where they were."""
    data_dir = tmp_path / "data"
    async with EmbeddedEngine(data_dir=data_dir) as engine, grpc.aio.insecure_channel(engine.address) as channel:
        gateway = stub(channel)
        deployed = decisions(await deploy(gateway, ("dinner.dmn", DISH_DRD)))
        before = await gateway.EvaluateDecision(
            pb.EvaluateDecisionRequest(decisionId="beverages", variables=json.dumps(JANUARY_DINNER))
        )
    async with EmbeddedEngine(data_dir=data_dir) as engine, grpc.aio.insecure_channel(engine.address) as channel:
        gateway = stub(channel)
        after = await gateway.EvaluateDecision(
            pb.EvaluateDecisionRequest(
                decisionKey=deployed["beverages"].decisionKey, variables=json.dumps(JANUARY_DINNER)
            )
        )
        again = decisions(await deploy(gateway, ("dinner.dmn", DISH_DRD)))

    assert after.decisionOutput == before.decisionOutput
    assert list(after.evaluatedDecisions) == list(before.evaluatedDecisions)
    assert after.decisionInstanceKey > before.decisionInstanceKey
    assert again == deployed  # still the latest: a duplicate


async def test_another_tenant_is_refused_as_multi_tenancy_is_disabled(gateway: Any) -> None:
    await deploy(gateway, ("dinner.dmn", DISH_DRD))

    error = await rpc_error(gateway.EvaluateDecision(pb.EvaluateDecisionRequest(decisionId="dish", tenantId="other")))

    assert (error.code(), error.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "Expected to handle gRPC request EvaluateDecision with tenant identifier 'other', but multi-tenancy is "
        "disabled",
    )
