"""Decisions: deploying the graphs of `.dmn` resources (part of the deployment command, engine/processing/
deployment.py) and evaluating a deployed decision on its own (EvaluateDecision), as Zeebe 8.8 does.

Deploying writes DECISION_REQUIREMENTS_CREATED for the new version of the graph, then DECISION_CREATED for each of its
decisions in the order of the file (keys in that order). Evaluating runs the decision (engine/dmn, FEEL) here, in
the command, and writes one event – DECISION_EVALUATED, or DECISION_EVALUATION_FAILED for a failure (which is
answered, not raised) – with the evaluation's key: recovery applies that record and never evaluates again. Through
the gateway and REST (Engine.evaluate_decision_off_loop) the decision gets a slice of the event loop; one that does
not fit is evaluated off the loop (engine/decisions/off_loop.py) and a second command writes its event with the
result (`evaluated`). Business rule tasks evaluate their called decision through engine/behaviors/decisions.py.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.decisions.evaluation import DecisionEvaluation, evaluation, find_decision
from engine.decisions.instances import evaluated_decisions
from engine.decisions.off_loop import PendingDecision, evaluate_sliced
from engine.dmn import DecisionEvaluationResult, DecisionRequirementsGraph, DmnParser
from engine.expressions import Suspended
from engine.state.values import DeployedDecision, DeployedDecisionRequirements


class DecisionProcessor:
    def __init__(self, behaviors: BpmnBehaviors, parser: Callable[[], DmnParser]) -> None:
        self._state = behaviors.state
        self._w = behaviors.writer
        self._parser = parser
        self._expressions = behaviors.expressions

    # ---------------------------------------------------------------- deployment
    def parse(self, resource_name: str, content: bytes) -> DecisionRequirementsGraph:
        """The graph of a `.dmn` resource, or InvalidDmnError with every problem (expressions checked, bounded)."""
        return self._parser().parse(resource_name, content)

    def is_duplicate(self, resource_name: str, checksum: str, graph: DecisionRequirementsGraph) -> bool:
        return self._state.decisions.is_duplicate(resource_name, checksum, graph)

    def deploy(
        self,
        resource_name: str,
        content: bytes,
        checksum: str,
        graph: DecisionRequirementsGraph,
        deployment_key: int,
        fresh: bool,
    ) -> tuple[DeployedDecisionRequirements, list[DeployedDecision]]:
        """A new version of the graph and of each of its decisions; or, when the deployment is not `fresh` (all its
        resources are duplicates), the latest versions as they are."""
        store = self._state.decisions
        keys = self._state.keys
        latest = store.latest_requirements_of(graph.id)
        if not fresh and latest is not None:
            return latest, list(store.decisions_of(latest.key))
        requirements = self._w.decision_requirements_created(
            keys.next(),
            graph.id,
            graph.name or graph.id,
            latest.version + 1 if latest is not None else 1,
            resource_name,
            checksum,
            content,
            deployment_key,
            graph,
        )
        deployed: list[DeployedDecision] = []
        for decision in graph.decisions.values():
            previous = store.latest_decision(decision.id)
            version = DeployedDecision(
                key=keys.next(),
                decision_id=decision.id,
                name=decision.name or decision.id,
                version=previous.version + 1 if previous is not None else 1,
                requirements_key=requirements.key,
                requirements_id=graph.id,
                deployment_key=deployment_key,
            )
            self._w.decision_created(version)
            deployed.append(version)
        return requirements, deployed

    # ---------------------------------------------------------------- EvaluateDecision
    def evaluate(
        self,
        decision_id: str,
        decision_key: int,
        variables: Mapping[str, Any],
        now: datetime,
        *,
        off_loop: bool = False,
    ) -> "DecisionEvaluation | DecisionOffLoop":
        """Evaluates the latest version of `decision_id`, or else the decision `decision_key` (engine/decisions/
        evaluation.py); a failed evaluation is answered, not raised. `off_loop`: within a slice of the event loop –
        a decision that does not fit writes nothing and is answered as the DecisionOffLoop to evaluate off the loop
        (then `evaluated`)."""
        store = self._state.decisions
        decision = find_decision(store, decision_id, decision_key)
        requirements = store.requirements[decision.requirements_key]
        try:
            result = evaluate_sliced(
                self._expressions,
                requirements.graph,
                decision.decision_id,
                decision.key,
                variables,
                now,
                suspend=off_loop,
            )
        except Suspended as suspended:
            pending = suspended.pending
            if not isinstance(pending, PendingDecision):
                raise
            return DecisionOffLoop(decision, pending)
        return self.evaluated(decision, result)

    def evaluated(self, decision: DeployedDecision, result: DecisionEvaluationResult) -> DecisionEvaluation:
        """The evaluation of `decision` that gave `result`, with its key and its event."""
        key = self._state.keys.next()
        self._w.decision_evaluated(key, result.failed)
        evaluated = evaluation(self._state.decisions, decision, result, key)
        self._w.decision_instances_recorded(key, evaluated_decisions(evaluated), result.failure_message)
        return evaluated


@dataclass(frozen=True)
class DecisionOffLoop:
    """EvaluateDecision's decision, to evaluate off the event loop (`pending`); nothing was written for it yet."""

    decision: DeployedDecision
    pending: PendingDecision
