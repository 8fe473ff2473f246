"""Evaluating the DMN decision a business rule task calls (zeebe:calledDecision), as Zeebe 8.8's BpmnDecisionBehavior
does.

The decision id (static or FEEL) is evaluated in the element's scope, the decision found by the binding type (the
latest version; the version deployed with the process; the latest version with the version tag), and evaluated in its
version of the graph against the element's visible variables – within a slice of the event loop, else off it, the
step suspended and resumed with the result (engine/decisions/off_loop.py; nothing is written before the result is
there, so a cancellation meanwhile leaves nothing to undo). The evaluation is written as DECISION_EVALUATED – or
DECISION_EVALUATION_FAILED – linked to the element; the output is returned to become the result variable. What can go
wrong is an incident on the element, of Zeebe's kinds: EXTRACT_VALUE_ERROR (the decision id or version tag
expression), CALLED_DECISION_ERROR (no such decision) and DECISION_EVALUATION_ERROR (the evaluation failed; its
FAILED event is written first). Resolving it evaluates again (a decision deployed meanwhile is found).
"""

from typing import Any

from engine.behaviors.incidents import IncidentBehavior
from engine.decisions.evaluation import evaluation
from engine.decisions.instances import evaluated_decisions
from engine.decisions.off_loop import evaluate_sliced
from engine.events.appliers import Appliers
from engine.expressions import ExpressionError, Expressions
from engine.model import BindingType, CalledDecision
from engine.state.engine_state import EngineState
from engine.state.values import DeployedDecision, ElementInstance

CALLED_DECISION_ERROR = "CALLED_DECISION_ERROR"
DECISION_EVALUATION_ERROR = "DECISION_EVALUATION_ERROR"


class DecisionBehavior:
    def __init__(
        self,
        state: EngineState,
        writer: Appliers,
        expressions: Expressions,
        incidents: IncidentBehavior,
    ) -> None:
        self._state = state
        self._w = writer
        self._expressions = expressions
        self._incidents = incidents

    def evaluate_called(
        self, inst: ElementInstance, called: CalledDecision, context: dict[str, Any], phase: str
    ) -> Any:
        """The output of the decision `inst` calls, evaluated against `context` (its visible variables); else an
        incident raised in `phase` (the Interrupt is raised: the step stops)."""
        now = self._state.instant
        assert now is not None
        try:
            decision_id = self._expressions.string(called.decision_id, context, now)
            version_tag = None
            if called.binding_type is BindingType.VERSION_TAG:
                assert called.version_tag is not None
                version_tag = self._expressions.string(called.version_tag, context, now)
        except ExpressionError as exc:
            raise self._incidents.raise_(inst, "EXTRACT_VALUE_ERROR", str(exc), phase) from None
        decision = self._find(inst, decision_id, called.binding_type, version_tag)
        if isinstance(decision, str):
            raise self._incidents.raise_(inst, CALLED_DECISION_ERROR, decision, phase)
        graph = self._state.decisions.requirements[decision.requirements_key].graph
        # within a slice of the event loop; one that does not fit raises Suspended: the step resumes with the result
        result = evaluate_sliced(self._expressions, graph, decision.decision_id, decision.key, context, now)
        key = self._state.keys.next()
        self._w.decision_evaluated(key, result.failed, inst)
        evaluated = evaluated_decisions(evaluation(self._state.decisions, decision, result, key))
        self._w.decision_instances_recorded(key, evaluated, result.failure_message, inst)
        if result.failure_message is not None:
            raise self._incidents.raise_(inst, DECISION_EVALUATION_ERROR, result.failure_message, phase)
        return result.decision_output

    def _find(
        self, inst: ElementInstance, decision_id: str, binding: BindingType, version_tag: str | None
    ) -> DeployedDecision | str:
        """The decision to evaluate, or why there is none (Zeebe's messages)."""
        store = self._state.decisions
        if binding is BindingType.DEPLOYMENT:
            deployment_key = self._state.deployments.definitions[inst.process_definition_key].deployment_key
            found = store.decision_in_deployment(decision_id, deployment_key)
            if found is None:
                return (
                    f"Expected to evaluate decision '{decision_id}' with binding type 'deployment', but no such "
                    f"decision found in the deployment with key {deployment_key} which contained the current "
                    "process. To resolve this incident, migrate the process instance to a process definition that is "
                    "deployed together with the intended decision to evaluate."
                )
            return found
        if binding is BindingType.VERSION_TAG:
            assert version_tag is not None
            found = store.latest_decision_with_version_tag(decision_id, version_tag)
            if found is None:
                return (
                    f"Expected to evaluate decision with id '{decision_id}' and version tag '{version_tag}', but no "
                    "such decision found. To resolve this incident, deploy a decision with the given id and version "
                    "tag."
                )
            return found
        found = store.latest_decision(decision_id)
        if found is None:
            return f"Expected to evaluate decision '{decision_id}', but no decision found for id '{decision_id}'"
        return found
