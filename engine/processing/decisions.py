"""Decisions: deploying the graphs of `.dmn` resources (part of the deployment command, engine/processing/
deployment.py) and evaluating a deployed decision on its own (EvaluateDecision), as Zeebe 8.8 does.

Deploying writes DECISION_REQUIREMENTS_CREATED for the new version of the graph, then DECISION_CREATED for each of its
decisions in the order of the file (keys in that order). Evaluating runs the decision (engine/dmn, FEEL) here, in
the command, and writes one event – DECISION_EVALUATED, or DECISION_EVALUATION_FAILED for a failure (which is
answered, not raised) – with the evaluation's key: recovery applies that record and never evaluates again. Business
rule tasks evaluate their called decision through engine/behaviors/decisions.py, with the same evaluator.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.decisions.evaluation import DecisionEvaluation, evaluate, find_decision
from engine.decisions.instances import evaluated_decisions
from engine.dmn import DecisionRequirementsGraph, DmnParser
from engine.state.values import DeployedDecision, DeployedDecisionRequirements


class DecisionProcessor:
    def __init__(self, behaviors: BpmnBehaviors, parser: Callable[[], DmnParser]) -> None:
        self._state = behaviors.state
        self._w = behaviors.writer
        self._parser = parser
        self._evaluator = behaviors.decisions.evaluator  # the one business rule tasks use

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
        self, decision_id: str, decision_key: int, variables: Mapping[str, Any], now: datetime
    ) -> DecisionEvaluation:
        """Evaluates the latest version of `decision_id`, or else the decision `decision_key` (engine/decisions/
        evaluation.py); a failed evaluation is answered, not raised."""
        store = self._state.decisions
        decision = find_decision(store, decision_id, decision_key)
        key = self._state.keys.next()
        evaluation = evaluate(store, self._evaluator, decision, variables, now, key)
        self._w.decision_evaluated(key, evaluation.result.failed)
        self._w.decision_instances_recorded(key, evaluated_decisions(evaluation), evaluation.result.failure_message)
        return evaluation
