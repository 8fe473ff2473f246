"""Parsing and evaluating DMN in the tests: the engine's FEEL evaluator, a fixed instant (Monday 2 March 2026,
08.00 WIB)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.dmn import DecisionEvaluationResult, DecisionEvaluator, DecisionRequirementsGraph, feel_parser
from engine.feel import default_evaluator

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def parse(content: bytes, resource_name: str = "decisions.dmn") -> DecisionRequirementsGraph:
    return feel_parser(default_evaluator()).parse(resource_name, content)


def evaluate(
    graph: DecisionRequirementsGraph | bytes, decision_id: str, variables: dict[str, Any] | None = None
) -> DecisionEvaluationResult:
    if isinstance(graph, bytes):
        graph = parse(graph)
    return DecisionEvaluator(default_evaluator()).evaluate(graph, decision_id, variables or {}, NOW)


def output(graph: DecisionRequirementsGraph | bytes, decision_id: str, **variables: Any) -> Any:
    """The decision's output; the evaluation must succeed."""
    result = evaluate(graph, decision_id, variables)
    assert not result.failed, result.failure_message
    return result.decision_output
