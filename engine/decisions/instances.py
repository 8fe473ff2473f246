"""Decision instances as Camunda 8.8 keeps them: one per decision an evaluation evaluated (the decision asked for and
the decisions it requires, in the order evaluated), with the id `<decisionEvaluationKey>-<n>` (n from 1) that the
8.8 exporter gives them (DecisionInstanceEntity.id) and `/v2/decision-instances` answers as
`decisionEvaluationInstanceKey`. On a failed evaluation the last decision evaluated is FAILED with the evaluation's
failure message, the ones before it EVALUATED.

`evaluated_decisions` is what an evaluation hands on (plain JSON, written into the journal by
DECISION_INSTANCES_RECORDED); `instance_rows` is what its applier keeps (engine/state/decisions.py `instances`), the
row the search catalogue answers (engine/search/catalogue.py DECISION_INSTANCES) through `answered`."""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.decisions.evaluation import DecisionEvaluation
from engine.state.values import ElementInstance

TENANT = "<default>"


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def evaluated_decisions(evaluation: DecisionEvaluation) -> list[dict[str, Any]]:
    """Each decision evaluated, as 8.8's EvaluatedDecisionResult (REST) – values as JSON text."""
    evaluated = []
    for audit in evaluation.result.evaluated_decisions:
        deployed = evaluation.deployed(audit.decision_id)
        evaluated.append(
            {
                "decisionDefinitionId": audit.decision_id,
                "decisionDefinitionName": deployed.name if deployed else audit.decision_name or audit.decision_id,
                "decisionDefinitionVersion": deployed.version if deployed else -1,
                "decisionDefinitionType": audit.decision_type.value,
                "output": json_text(audit.decision_output),
                "tenantId": TENANT,
                "matchedRules": [
                    {
                        "ruleId": rule.rule_id,
                        "ruleIndex": rule.rule_index,
                        "evaluatedOutputs": [
                            {
                                "outputId": output.output_id,
                                "outputName": output.output_name or "",
                                "outputValue": json_text(output.output_value),
                            }
                            for output in rule.evaluated_outputs
                        ],
                    }
                    for rule in audit.matched_rules
                ],
                "evaluatedInputs": [
                    {"inputId": i.input_id, "inputName": i.input_name, "inputValue": json_text(i.input_value)}
                    for i in audit.evaluated_inputs
                ],
                "decisionDefinitionKey": str(deployed.key if deployed else -1),
            }
        )
    return evaluated


def instance_rows(
    evaluation_key: int,
    evaluated: list[dict[str, Any]],
    failure: str | None,
    when: datetime,
    element: ElementInstance | None,
) -> list[dict[str, Any]]:
    """The decision instances of one evaluation (`failure`: its failure message, None when it succeeded)."""
    rows = []
    last = len(evaluated)
    for n, decision in enumerate(evaluated, 1):
        failed = failure is not None and n == last
        rows.append(
            {
                "decisionEvaluationInstanceKey": f"{evaluation_key}-{n}",
                "state": "FAILED" if failed else "EVALUATED",
                "evaluationDate": when,
                "evaluationFailure": failure if failed else None,
                "decisionDefinitionId": decision["decisionDefinitionId"],
                "decisionDefinitionName": decision["decisionDefinitionName"],
                "decisionDefinitionVersion": decision["decisionDefinitionVersion"],
                "decisionDefinitionType": decision["decisionDefinitionType"],
                "result": decision["output"],
                "tenantId": decision["tenantId"],
                "decisionEvaluationKey": evaluation_key,
                "processDefinitionKey": element.process_definition_key if element is not None else None,
                "processInstanceKey": element.process_instance_key if element is not None else None,
                "decisionDefinitionKey": int(decision["decisionDefinitionKey"]),
                "elementInstanceKey": element.key if element is not None else None,
                "evaluatedInputs": decision["evaluatedInputs"],
                "matchedRules": decision["matchedRules"],
            }
        )
    return rows


# what Camunda 8.8 answers for the process of a decision evaluated on its own (EvaluateDecision, REST evaluation): its
# DecisionEvaluationRecord's defaults (-1), which the exporter copies into DecisionInstanceEntity's primitive longs
# and the REST mapper (KeyUtil.keyToString) turns into "-1"
_NO_PROCESS = {"processDefinitionKey": -1, "processInstanceKey": -1, "elementInstanceKey": -1}


def answered(row: Mapping[str, Any]) -> dict[str, Any]:
    """A kept decision instance as `/v2/decision-instances` answers it (a new dict): an evaluation outside a process
    has -1 for its process definition, process instance and element instance keys, as in Camunda 8.8. The kept row
    has None there (state written by DECISION_INSTANCES_RECORDED's applier, unchanged for logs and snapshots)."""
    found = dict(row)
    if found["elementInstanceKey"] is None:
        found.update(_NO_PROCESS)
    return found
