"""The engine's decision commands: what the Engine class gains from engine/decisions (its state and EvaluateDecision).

Deploying `.dmn` resources is part of the deployment command (engine/deployment.py calls `_parse_decisions` and
`_deploy_decisions`); evaluating a decision on its own is a command of its own, `evaluate_decision`: it takes a key
from the engine's sequence and leaves a DECISION_EVALUATION record (EVALUATED or FAILED) in the history, so a
durable engine logs it and a replay gives the same keys.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine._base import EngineBase
from engine.decisions.evaluation import NO_KEY, DecisionEvaluation, evaluate, find_decision
from engine.decisions.store import DecisionStore, DeployedDecision, DeployedDecisionRequirements
from engine.dmn import DecisionEvaluator, DecisionRequirementsGraph, DmnParser, feel_parser
from engine.feel import FeelEvaluator


class DecisionsMixin(EngineBase):
    if TYPE_CHECKING:
        decision_store: DecisionStore
        _dmn_parser: DmnParser
        _decision_evaluator: DecisionEvaluator

    def _init_decisions(self, feel: FeelEvaluator) -> None:
        """The decision state (empty) and the DMN parser and evaluator on the engine's FEEL."""
        self.decision_store = DecisionStore()
        self._dmn_parser = feel_parser(feel)
        self._decision_evaluator = DecisionEvaluator(feel)

    # ---------------------------------------------------------------- deployment (called by engine/deployment.py)
    def _parse_decisions(self, resource_name: str, content: bytes) -> DecisionRequirementsGraph:
        """The graph of a `.dmn` resource, or InvalidDmnError with every problem."""
        return self._dmn_parser.parse(resource_name, content)

    def _deploy_decisions(
        self,
        resource_name: str,
        content: bytes,
        checksum: str,
        graph: DecisionRequirementsGraph,
        deployment_key: int,
        fresh: bool,
    ) -> tuple[DeployedDecisionRequirements, list[DeployedDecision]]:
        store = self.decision_store
        before = len(store.requirements)
        requirements, decisions = store.deploy(
            resource_name, content, checksum, graph, deployment_key, fresh, self.keys.next
        )
        if len(store.requirements) > before:
            self._record("DECISION_REQUIREMENTS", "CREATED", requirements.key)
            for decision in decisions:
                self._record("DECISION", "CREATED", decision.key)
        return requirements, decisions

    # ---------------------------------------------------------------- EvaluateDecision
    def evaluate_decision(
        self, decision_id: str = "", decision_key: int = NO_KEY, variables: Mapping[str, Any] | None = None
    ) -> DecisionEvaluation:
        """Evaluates the latest version of `decision_id`, or else the decision `decision_key` (see
        engine/decisions/evaluation.py); a failed evaluation is answered, not raised."""
        given = dict(variables or {})
        return self._command(lambda: self._evaluate_decision(decision_id, decision_key, given))  # type: ignore[no-any-return]

    def _evaluate_decision(self, decision_id: str, decision_key: int, variables: dict[str, Any]) -> DecisionEvaluation:
        decision = find_decision(self.decision_store, decision_id, decision_key)
        key = self.keys.next()
        evaluation = evaluate(self.decision_store, self._decision_evaluator, decision, variables, self.now(), key)
        self._record("DECISION_EVALUATION", "FAILED" if evaluation.result.failed else "EVALUATED", key)
        return evaluation
