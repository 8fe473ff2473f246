"""Backend-agnostic: a DMN file deployed as `pbj deploy` deploys it, and its decisions evaluated on their own over
gRPC (EvaluateDecision) and REST (`/v2/decision-definitions/evaluation`) and read back from the decision searches –
the same assertions on the embedded engine and on Camunda 8.8 (`--engine=zeebe`), with the dinner decisions of
Camunda's documentation."""

import json
from pathlib import Path

import pytest
from pyzeebe import ZeebeClient

from tests.backends.backend import Backend, eventually
from tests.engine.dmn.dinner import DISH_DRD, JANUARY_DINNER

pytestmark = pytest.mark.zeebe


async def test_a_dmn_file_deploys_and_its_decisions_evaluate_over_grpc_and_rest(
    backend: Backend, backend_client: ZeebeClient, tmp_path: Path
) -> None:
    (tmp_path / "dinner.dmn").write_bytes(DISH_DRD)

    deployment = await backend.deploy(tmp_path / "dinner.dmn")

    assert [(r.kind, r.id, r.version) for r in deployment.resources] == [
        ("keputusan", "beverages", 1),
        ("keputusan", "dish", 1),
        ("keputusan", "season", 1),
        ("keputusan", "guestCount", 1),
        ("DRD", "dinnerDecisions", 1),
    ]
    keys = {r.id: r.key for r in deployment.resources}
    by_grpc = await backend_client.evaluate_decision(None, "beverages", variables=JANUARY_DINNER)
    assert (by_grpc.decision_key, by_grpc.decision_output) == (keys["beverages"], ["Bordeaux", "Apple Juice", "Water"])
    assert [(d.decision_id, d.decision_key) for d in by_grpc.evaluated_decisions] == [
        ("season", keys["season"]),
        ("guestCount", keys["guestCount"]),
        ("dish", keys["dish"]),
        ("beverages", keys["beverages"]),
    ]
    by_rest = await backend.rest(
        "POST",
        "/v2/decision-definitions/evaluation",
        {"decisionDefinitionKey": str(keys["dish"]), "variables": {"month": 7, "guests": {"adults": 2, "children": 1}}},
    )
    assert json.loads(by_rest["output"]) == "Steak"  # summer, three guests
    assert by_rest["decisionRequirementsKey"] == str(keys["dinnerDecisions"])
    found = await eventually(
        lambda: backend.rest(
            "POST", "/v2/decision-definitions/search", {"filter": {"decisionRequirementsId": "dinnerDecisions"}}
        ),
        lambda answer: len(answer["items"]) == 4,
        what="the four dinner decisions in the decision-definition search",
    )
    assert {d["decisionDefinitionId"]: d["decisionDefinitionKey"] for d in found["items"]} == {
        name: str(keys[name]) for name in ("beverages", "dish", "season", "guestCount")
    }
