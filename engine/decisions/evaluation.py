"""Evaluating a deployed decision on its own (gRPC `EvaluateDecision`, REST `POST /v2/decision-definitions/evaluation`),
as Zeebe 8.8's DecisionEvaluationEvaluateProcessor does.

The decision is the latest version of a decision id, or the one with a given key; it is evaluated within the version
of the graph it was deployed with (engine/dmn; on the event loop within a slice, else off it: engine/decisions/
off_loop.py), and the evaluation gets a key of its own once it is done. Zeebe accepts a failed
evaluation too: the answer then carries the failure (which decision, why) instead of an output. Only a decision that
is not there is refused: NOT_FOUND, with Zeebe's message.
"""

from dataclasses import dataclass

from engine.dmn import DecisionEvaluationResult
from engine.errors import InvalidArgumentError, NotFoundError
from engine.state.decisions import Decisions
from engine.state.values import DeployedDecision, DeployedDecisionRequirements

NO_KEY = -1  # Zeebe's "no decision key given"


@dataclass(frozen=True)
class DecisionEvaluation:
    """An evaluated decision with its deployment's keys and versions: what both APIs answer."""

    key: int  # the evaluation's key (decisionInstanceKey, decisionEvaluationKey)
    decision: DeployedDecision
    requirements: DeployedDecisionRequirements
    # the decisions deployed with that version of the graph: those evaluated on the way are among them
    graph_decisions: tuple[DeployedDecision, ...]
    result: DecisionEvaluationResult

    def deployed(self, decision_id: str) -> DeployedDecision | None:
        """The deployed version of a decision evaluated on the way (the one in the same version of the graph)."""
        return next((d for d in self.graph_decisions if d.decision_id == decision_id), None)


def find_decision(store: Decisions, decision_id: str, decision_key: int) -> DeployedDecision:
    """The decision to evaluate: by id (its latest version) if one is given, else by key; Zeebe's refusals."""
    if decision_id:
        decision = store.latest_decision(decision_id)
        if decision is None:
            raise NotFoundError(
                f"Expected to evaluate decision '{decision_id}', but no decision found for id '{decision_id}'"
            )
        return decision
    if decision_key > NO_KEY:
        found = store.decisions.get(decision_key)
        if found is None:
            raise NotFoundError(
                f"Expected to evaluate decision '{decision_key}', but no decision found for key '{decision_key}'"
            )
        return found
    raise InvalidArgumentError("Expected either a decision id or a valid decision key, but none provided")


def evaluation(
    store: Decisions, decision: DeployedDecision, result: DecisionEvaluationResult, key: int
) -> DecisionEvaluation:
    """`decision`'s evaluation with its version of the graph (the decisions evaluated on the way are among those of
    that version); `key` is the evaluation's."""
    requirements = store.requirements[decision.requirements_key]
    return DecisionEvaluation(key, decision, requirements, tuple(store.decisions_of(requirements.key)), result)
