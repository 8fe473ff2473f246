"""Deploy-time FEEL checks for the DMN parser: whether each expression and unary test parses, through the engine's
FEEL evaluator at a fixed instant (so that whether a file is accepted never depends on when it is deployed).

Only syntax errors refuse a file – as in Zeebe, which parses a DMN's expressions at deploy and evaluates them only
when the decision is evaluated. The unary tests of a column are checked in one call. Bounded as the BPMN parser's
checks are: an evaluator that can check without running (FeelinEvaluator.check_error, .check_unary_tests) parses
the expressions and tests only, so a costly decision does not hold a deployment (nor the event loop it runs on).
"""

from collections.abc import Sequence

from engine.dmn.model import DecisionRequirementsGraph
from engine.dmn.parser import DmnParser
from engine.expressions import CHECK_INSTANT
from engine.feel import FeelError, FeelEvaluator


def _syntax_error(error: FeelError) -> str | None:
    return str(error) if (error.reason or "").startswith("syntax error") else None


def feel_parser(feel: FeelEvaluator) -> DmnParser:
    """A DmnParser whose FEEL checks run on `feel`."""

    bounded_expression = getattr(feel, "check_error", None)
    bounded_tests = getattr(feel, "check_unary_tests", None)

    def check_expression(expression: str) -> str | None:
        if bounded_expression is not None:
            error: FeelError | None = bounded_expression(expression, CHECK_INSTANT)
            return None if error is None else _syntax_error(error)
        try:
            feel.evaluate(expression, {}, CHECK_INSTANT)
        except FeelError as exc:
            return _syntax_error(exc)
        return None

    def check_unary_tests(tests: Sequence[str]) -> list[str | None]:
        outcomes: Sequence[bool | FeelError | None]
        if bounded_tests is not None:
            outcomes = bounded_tests(tests, CHECK_INSTANT)
        else:
            outcomes = feel.unary_tests("null", tests, {}, CHECK_INSTANT).outcomes
        return [_syntax_error(o) if isinstance(o, FeelError) else None for o in outcomes]

    return DmnParser(check_expression, check_unary_tests)


def load_graph(resource_name: str, content: bytes) -> DecisionRequirementsGraph:
    """The graph of a deployed resource, parsed again (a recovery, a snapshot): its expressions are not checked
    again – the deployment was checked when it was made."""
    return DmnParser(lambda _expression: None, lambda tests: [None] * len(tests)).parse(resource_name, content)
