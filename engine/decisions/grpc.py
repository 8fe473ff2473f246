"""Decisions in the Zeebe gateway protocol: a deployment's decision and decision requirements metadata, and the
EvaluateDecisionResponse, filled as Zeebe 8.8's gateway fills them (ResponseMapper).

Values (outputs, input values, output values) are JSON text. On success the response has the output and empty
failure fields; on failure no output, the failed decision's id and the failure message – and, as on success, every
decision evaluated on the way (a failed one with what it evaluated), each with the key and version of its deployed
version in the same graph.
"""

from pyzeebe.proto import gateway_pb2 as pb

from engine.decisions.evaluation import DecisionEvaluation
from engine.decisions.instances import TENANT, json_text
from engine.processing.deployment import DeployedResource


def deployment_message(resource: DeployedResource) -> pb.Deployment:
    """The `Deployment` entry of a deployed decision or decision requirements graph."""
    if resource.kind == "decision":
        return pb.Deployment(
            decision=pb.DecisionMetadata(
                dmnDecisionId=resource.id,
                dmnDecisionName=resource.name or resource.id,
                version=resource.version,
                decisionKey=resource.key,
                dmnDecisionRequirementsId=resource.requirements_id or "",
                decisionRequirementsKey=resource.requirements_key or 0,
                tenantId=TENANT,
            )
        )
    if resource.kind == "decisionRequirements":
        return pb.Deployment(
            decisionRequirements=pb.DecisionRequirementsMetadata(
                dmnDecisionRequirementsId=resource.id,
                dmnDecisionRequirementsName=resource.name or resource.id,
                version=resource.version,
                decisionRequirementsKey=resource.key,
                resourceName=resource.resource_name,
                tenantId=TENANT,
            )
        )
    raise ValueError(f"not a decision resource: {resource.kind}")


def evaluation_response(evaluation: DecisionEvaluation) -> pb.EvaluateDecisionResponse:
    decision, result = evaluation.decision, evaluation.result
    evaluated = []
    for audit in result.evaluated_decisions:
        deployed = evaluation.deployed(audit.decision_id)
        evaluated.append(
            pb.EvaluatedDecision(
                decisionKey=deployed.key if deployed else -1,
                decisionId=audit.decision_id,
                decisionName=deployed.name if deployed else audit.decision_name or audit.decision_id,
                decisionVersion=deployed.version if deployed else -1,
                decisionType=audit.decision_type.value,
                decisionOutput=json_text(audit.decision_output),
                matchedRules=[
                    pb.MatchedDecisionRule(
                        ruleId=rule.rule_id,
                        ruleIndex=rule.rule_index,
                        evaluatedOutputs=[
                            pb.EvaluatedDecisionOutput(
                                outputId=output.output_id,
                                outputName=output.output_name or "",
                                outputValue=json_text(output.output_value),
                            )
                            for output in rule.evaluated_outputs
                        ],
                    )
                    for rule in audit.matched_rules
                ],
                evaluatedInputs=[
                    pb.EvaluatedDecisionInput(
                        inputId=given.input_id, inputName=given.input_name, inputValue=json_text(given.input_value)
                    )
                    for given in audit.evaluated_inputs
                ],
                tenantId=TENANT,
            )
        )
    response = pb.EvaluateDecisionResponse(
        decisionKey=decision.key,
        decisionId=decision.decision_id,
        decisionName=decision.name,
        decisionVersion=decision.version,
        decisionRequirementsId=decision.requirements_id,
        decisionRequirementsKey=decision.requirements_key,
        evaluatedDecisions=evaluated,
        tenantId=TENANT,
        decisionInstanceKey=evaluation.key,
    )
    if result.failed:
        response.failedDecisionId = result.failed_decision_id or ""
        response.failureMessage = result.failure_message or ""
    else:
        response.decisionOutput = json_text(result.decision_output)
    return response
