"""Decisions in Camunda 8.8's REST API (`/v2`), as functions of the engine and a request's parts, so that the REST
layer (engine/rest/decisions.py) only routes to them: decision definitions and decision requirements by key and
their XML, the evaluation of a decision (`POST /v2/decision-definitions/evaluation`) and a deployment's decision
entries (`POST /v2/deployments`). Their searches are the catalogue's (engine/search/).

Shapes are the 8.8 OpenAPI's (DecisionDefinitionResult, DecisionRequirementsResult, EvaluateDecisionResult,
EvaluatedDecisionResult, DeploymentDecisionResult, DeploymentDecisionRequirementsResult): keys as strings, values of
an evaluation as JSON text. The evaluation's answer is filled as the 8.8 gateway fills it (ResponseMapper): the
failure fields are empty strings on success, the output is `null` on failure; an evaluated decision's
`decisionEvaluationInstanceKey` is left out (optional in the spec, which types it as a number key, while Zeebe writes
`<evaluation key>-<n>`).
"""

from collections.abc import Mapping
from typing import Any

from engine.decisions.evaluation import NO_KEY, DecisionEvaluation
from engine.decisions.instances import TENANT, evaluated_decisions, json_text
from engine.engine import Engine
from engine.errors import InvalidArgumentError, NotFoundError
from engine.processing.deployment import DeployedResource
from engine.state.values import DeployedDecision, DeployedDecisionRequirements

_EVALUATION_PROPERTIES = frozenset({"decisionDefinitionId", "decisionDefinitionKey", "variables", "tenantId"})


# ---------------------------------------------------------------------------------------------------- reading
def find_decision(engine: Engine, key: int) -> DeployedDecision:
    """The decision definition with that key (`GET /v2/decision-definitions/{decisionDefinitionKey}`)."""
    decision = engine.decision_store.decisions.get(key)
    if decision is None:
        raise NotFoundError(f"Decision definition with key '{key}' not found")
    return decision


def decision_definition_xml(engine: Engine, key: int) -> bytes:
    """`GET /v2/decision-definitions/{decisionDefinitionKey}/xml`: the DMN file the decision was deployed in."""
    decision = find_decision(engine, key)
    return engine.decision_store.requirements[decision.requirements_key].resource


def find_requirements(engine: Engine, key: int) -> DeployedDecisionRequirements:
    """The decision requirements graph with that key (`GET /v2/decision-requirements/{decisionRequirementsKey}`)."""
    requirements = engine.decision_store.requirements.get(key)
    if requirements is None:
        raise NotFoundError(f"Decision requirements with key '{key}' not found")
    return requirements


def decision_requirements_xml(engine: Engine, key: int) -> bytes:
    """`GET /v2/decision-requirements/{decisionRequirementsKey}/xml`."""
    return find_requirements(engine, key).resource


# ---------------------------------------------------------------------------------------------------- evaluating
async def evaluate_decision(engine: Engine, body: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /v2/decision-definitions/evaluation`: a DecisionEvaluationById or DecisionEvaluationByKey."""
    unknown = sorted(set(body) - _EVALUATION_PROPERTIES)
    if unknown:
        raise InvalidArgumentError(
            f"Unknown properties {', '.join(repr(u) for u in unknown)}: an evaluation takes decisionDefinitionId or "
            "decisionDefinitionKey, variables and tenantId"
        )
    decision_id, key = body.get("decisionDefinitionId"), body.get("decisionDefinitionKey")
    if decision_id is None and key is None:
        raise InvalidArgumentError("At least one of [decisionDefinitionId, decisionDefinitionKey] is required.")
    if decision_id is not None and key is not None:
        raise InvalidArgumentError("Only one of [decisionDefinitionId, decisionDefinitionKey] is allowed.")
    if decision_id is not None and (not isinstance(decision_id, str) or not decision_id):
        raise InvalidArgumentError("'decisionDefinitionId' must be a non-empty string")
    variables = body.get("variables")
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        raise InvalidArgumentError("'variables' must be a JSON object")
    tenant = body.get("tenantId")
    if tenant is not None and tenant != TENANT:
        raise InvalidArgumentError(
            f"Expected to handle request Evaluate Decision with tenant identifier '{tenant}', but multi-tenancy is "
            "disabled"
        )
    evaluation = await engine.evaluate_decision_off_loop(decision_id or "", _decision_key(key), variables)
    return evaluation_json(evaluation)


def _decision_key(raw: Any) -> int:
    """A decisionDefinitionKey as Camunda's clients send it: an int64 as a string (or a number)."""
    if raw is None:
        return NO_KEY
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw)
    else:
        raise InvalidArgumentError(f"The value for decisionDefinitionKey is '{raw}' but must be a numerical key")
    if value <= 0 or value >= 2**63:
        raise InvalidArgumentError(f"The value for decisionDefinitionKey is '{raw}' but must be a positive int64")
    return value


def evaluation_json(evaluation: DecisionEvaluation) -> dict[str, Any]:
    """EvaluateDecisionResult."""
    decision, result = evaluation.decision, evaluation.result
    evaluated = evaluated_decisions(evaluation)
    return {
        "decisionDefinitionId": decision.decision_id,
        "decisionDefinitionName": decision.name,
        "decisionDefinitionVersion": decision.version,
        "decisionRequirementsId": decision.requirements_id,
        "output": "null" if result.failed else json_text(result.decision_output),
        "failedDecisionDefinitionId": result.failed_decision_id or "",
        "failureMessage": result.failure_message or "",
        "tenantId": TENANT,
        "decisionDefinitionKey": str(decision.key),
        "decisionRequirementsKey": str(decision.requirements_key),
        "decisionInstanceKey": str(evaluation.key),
        "decisionEvaluationKey": str(evaluation.key),
        "evaluatedDecisions": evaluated,
    }


# ---------------------------------------------------------------------------------------------------- deployments
def deployment_entry(resource: DeployedResource) -> dict[str, Any] | None:
    """The entry of a deployed decision or decision requirements graph in a deployment's answer (DeploymentResult's
    `deployments`: `decisionDefinition` or `decisionRequirements`); None for other kinds."""
    if resource.kind == "decision":
        return {
            "decisionDefinition": {
                "decisionDefinitionId": resource.id,
                "version": resource.version,
                "name": resource.name or resource.id,
                "tenantId": TENANT,
                "decisionRequirementsId": resource.requirements_id,
                "decisionDefinitionKey": str(resource.key),
                "decisionRequirementsKey": str(resource.requirements_key),
            }
        }
    if resource.kind == "decisionRequirements":
        return {
            "decisionRequirements": {
                "decisionRequirementsId": resource.id,
                "version": resource.version,
                "decisionRequirementsName": resource.name or resource.id,
                "tenantId": TENANT,
                "resourceName": resource.resource_name,
                "decisionRequirementsKey": str(resource.key),
            }
        }
    return None
