"""Zeebe's expression conventions on top of FEEL: `=` marks FEEL, anything else is a static value."""

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from engine.errors import EngineError
from engine.feel import FeelError, FeelEvaluator, FeelResult

# the instant a deploy-time syntax check evaluates at: a fixed one, so that whether a deployment is accepted
# never depends on when it runs (a durable engine replays deployments and must reach the same verdict)
CHECK_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
# seconds of FEEL evaluation one turn of a command may take before its remaining steps yield the event loop
FEEL_TURN_BUDGET = 0.5


class ExpressionError(EngineError):
    """An expression failed or gave a value of the wrong type; becomes an incident."""


class Expressions:
    """Evaluates Zeebe expression attributes against a variable context at the engine's time."""

    def __init__(self, feel: FeelEvaluator) -> None:
        self.feel = feel
        # FEEL time spent in the current turn of a command, and the share after which the command's remaining steps
        # go to a later turn of the event loop (engine/processing/steps.py): costly expressions in several branches
        # do not hold every other client for all of them
        self.spent = 0.0
        self.turn_budget = FEEL_TURN_BUDGET

    def new_turn(self) -> None:
        self.spent = 0.0

    def overrun(self) -> bool:
        """Whether this turn's FEEL time is spent."""
        return self.spent >= self.turn_budget

    def _run(self, expression: str, context: Mapping[str, Any], now: datetime) -> FeelResult:
        start = time.monotonic()
        try:
            return self.feel.evaluate(expression, context, now)
        finally:
            self.spent += time.monotonic() - start

    def check(self, expression: str) -> str | None:
        """Returns why a FEEL expression (without "=") cannot be parsed, or None. Bounded: an evaluator that can
        check within a time limit (FeelinEvaluator.check) does; a costly expression does not hold a deployment."""
        check = getattr(self.feel, "check", None)
        if check is not None:
            problem: str | None = check(expression, CHECK_INSTANT)
            return problem
        try:
            self.feel.evaluate(expression, {}, CHECK_INSTANT)
        except FeelError as exc:
            return str(exc)
        return None

    def evaluate(self, text: str, context: Mapping[str, Any], now: datetime) -> Any:
        if not text.startswith("="):
            return text
        try:
            result = self._run(text[1:], context, now)
        except FeelError as exc:
            raise ExpressionError(str(exc)) from None
        return result.value

    def _typed(self, text: str, context: Mapping[str, Any], now: datetime) -> tuple[Any, tuple[str, ...]]:
        """Evaluates `text`, which must start with "=", returning the value and FEEL's warnings."""
        try:
            result = self._run(text[1:], context, now)
        except FeelError as exc:
            raise ExpressionError(str(exc)) from None
        return result.value, result.warnings

    def string(self, text: str, context: Mapping[str, Any], now: datetime, *, allow_number: bool = False) -> str:
        if not text.startswith("="):
            return text
        value, warnings = self._typed(text, context, now)
        if isinstance(value, bool) or value is None or not isinstance(value, (str, int, float)):
            raise ExpressionError(_mismatch(text, "STRING", value, warnings))
        if isinstance(value, str):
            return value
        if not allow_number:
            raise ExpressionError(_mismatch(text, "STRING", value, warnings))
        return str(int(value)) if float(value).is_integer() else str(value)

    def integer(self, text: str, context: Mapping[str, Any], now: datetime) -> int:
        if not text.startswith("="):
            try:
                return int(text.strip())
            except ValueError:
                raise ExpressionError(f"Expected a number, but found '{text}'") from None
        value, warnings = self._typed(text, context, now)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(_mismatch(text, "NUMBER", value, warnings))
        return int(value)

    def boolean(self, text: str, context: Mapping[str, Any], now: datetime) -> bool:
        value, warnings = self._typed("=" + text if not text.startswith("=") else text, context, now)
        if not isinstance(value, bool):
            raise ExpressionError(_mismatch(text, "BOOLEAN", value, warnings))
        return value

    def array(self, text: str, context: Mapping[str, Any], now: datetime) -> list[Any]:
        if not text.startswith("="):
            raise ExpressionError(f"Expected a FEEL expression giving a list, but found '{text}'")
        value, warnings = self._typed(text, context, now)
        if not isinstance(value, list):
            raise ExpressionError(_mismatch(text, "ARRAY", value, warnings))
        return value

    def string_list(self, text: str, context: Mapping[str, Any], now: datetime) -> list[str]:
        """Candidate groups/users: a static comma-separated list, or FEEL giving a list or a string."""
        if not text.startswith("="):
            return [part.strip() for part in text.split(",") if part.strip()]
        value, warnings = self._typed(text, context, now)
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise ExpressionError(_mismatch(text, "ARRAY of STRING", value, warnings))


def _type_name(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, (int, float)):
        return "NUMBER"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, list):
        return "ARRAY"
    return "OBJECT"


def _mismatch(text: str, expected: str, value: Any, warnings: tuple[str, ...]) -> str:
    message = (
        f"Expected result of the expression '{text.removeprefix('=')}' to be '{expected}', "
        f"but was '{_type_name(value)}'."
    )
    if warnings:
        message += " The evaluation reported the following warnings:\n" + "\n".join(warnings)
    return message
