"""What an evaluated decision gives, shaped as Camunda 8.8 returns it.

The fields follow Zeebe's evaluated decision (gRPC `EvaluateDecisionResponse`; REST
`POST /v2/decision-definitions/evaluation`; the DECISION_EVALUATION record Operate shows): the output, and for each
decision evaluated on the way (required decisions first, the asked one last) its inputs' values, the rules it
matched with their outputs' values, and its own output. Values are JSON-compatible Python (FEEL dates, times and
durations as ISO strings), as the engine stores variables; the gateway serializes them as JSON text. Keys and
versions belong to a deployment and are added there.
"""

from dataclasses import dataclass
from typing import Any

from engine.dmn.model import DecisionType


@dataclass(frozen=True)
class EvaluatedInput:
    input_id: str
    input_name: str  # the input's label, else its expression cut to 30 characters
    input_value: Any


@dataclass(frozen=True)
class EvaluatedOutput:
    output_id: str
    output_name: str | None  # the output's label, else its name
    output_value: Any


@dataclass(frozen=True)
class MatchedRule:
    rule_id: str
    rule_index: int  # 1-based
    evaluated_outputs: tuple[EvaluatedOutput, ...]


@dataclass(frozen=True)
class EvaluatedDecision:
    """One decision as it was evaluated. A decision table reports its inputs and the rules it matched (for FIRST
    only the first; none when no rule matched); a literal expression reports neither. A decision that failed
    has no output (None) and what it had evaluated until it failed."""

    decision_id: str
    decision_name: str | None
    decision_type: DecisionType
    decision_output: Any
    evaluated_inputs: tuple[EvaluatedInput, ...] = ()
    matched_rules: tuple[MatchedRule, ...] = ()


@dataclass(frozen=True)
class DecisionEvaluationResult:
    """The evaluation of one decision (and of the decisions it requires): its output, or why it failed.

    On failure `failure_message` reads as Zeebe's (``Expected to evaluate decision 'x', but <reason>``),
    `failed_decision_id` names the decision that failed (the last one evaluated, or the asked one if none was), and
    `evaluated_decisions` holds what was evaluated until then – an incident's or an RPC error's details.
    """

    decision_id: str
    decision_name: str | None
    decision_output: Any
    evaluated_decisions: tuple[EvaluatedDecision, ...]
    failed_decision_id: str | None = None
    failure_message: str | None = None

    @property
    def failed(self) -> bool:
        return self.failure_message is not None
