"""Deploy-time FEEL checks for the DMN parser: whether each expression and unary test parses, through the engine's
FEEL evaluator at a fixed instant (so that whether a file is accepted never depends on when it is deployed).

Only syntax errors refuse a file – as in Zeebe, which parses a DMN's expressions at deploy and evaluates them only
when the decision is evaluated. The unary tests of a column are checked in one call.
"""

from collections.abc import Sequence

from engine.dmn.parser import DmnParser
from engine.expressions import CHECK_INSTANT
from engine.feel import FeelError, FeelEvaluator


def _syntax_error(error: FeelError) -> str | None:
    return str(error) if (error.reason or "").startswith("syntax error") else None


def feel_parser(feel: FeelEvaluator) -> DmnParser:
    """A DmnParser whose FEEL checks run on `feel`."""

    def check_expression(expression: str) -> str | None:
        try:
            feel.evaluate(expression, {}, CHECK_INSTANT)
        except FeelError as exc:
            return _syntax_error(exc)
        return None

    def check_unary_tests(tests: Sequence[str]) -> list[str | None]:
        outcomes = feel.unary_tests("null", tests, {}, CHECK_INSTANT).outcomes
        return [_syntax_error(o) if isinstance(o, FeelError) else None for o in outcomes]

    return DmnParser(check_expression, check_unary_tests)
