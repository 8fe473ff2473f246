"""The evaluator interface the engine programs against: errors, the result, the protocol."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self

from engine.errors import EngineError


class FeelError(EngineError):
    """A FEEL expression could not be evaluated: it does not parse, its result cannot be stored as a
    variable, the evaluation ran away, or the evaluator itself is unusable (see the subclasses).

    The message reads like Zeebe's: ``failed to evaluate expression 'x +': <reason>``; `expression`
    and `reason` keep the parts (None for errors that concern no single expression).
    """

    def __init__(self, message: str, *, expression: str | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.expression = expression
        self.reason = reason

    @classmethod
    def failed(cls, expression: str, reason: str) -> Self:
        """The error for `expression` failing because of `reason` (English, no trailing period)."""
        message = f"failed to evaluate expression '{expression}': {reason}"
        return cls(message, expression=expression, reason=reason)


class FeelBundleMissingError(FeelError):
    """The JavaScript bundle (build output of engine/feel/entry.js) is not there: run `make install`."""


@dataclass(frozen=True, slots=True)
class FeelResult:
    """A FEEL value converted to JSON-compatible Python, and feelin's warnings as readable strings.

    A missing variable, a wrong argument type and the like are no errors in FEEL: the expression (or
    the failing part of it) evaluates to null, and the warnings say why, e.g.
    ``"NO_VARIABLE_FOUND: Variable 'x' not found"``.
    """

    value: Any
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnaryTestsResult:
    """One input column of a DMN decision table: the input expression's value, and per unary test True, False or
    None (FEEL's null: no match) – or the FeelError that test failed with (a test is never fatal on its own: a
    decision table only evaluates the tests of a rule up to its first that does not match)."""

    input: FeelResult
    outcomes: tuple[bool | FeelError | None, ...]


class FeelEvaluator(Protocol):
    """Evaluates FEEL expressions (without Zeebe's leading ``=``) against a JSON-compatible context."""

    def evaluate(self, expression: str, context: Mapping[str, Any], now: datetime) -> FeelResult:
        """Evaluates `expression` with the variables in `context`; FEEL's now() and today() read `now`.

        Raises FeelError on a syntax error, on a result that cannot be stored as a variable (a range
        or a function) and on an evaluation that runs away (time or memory).
        """
        ...

    def unary_tests(
        self, input_expression: str, tests: Sequence[str], context: Mapping[str, Any], now: datetime
    ) -> UnaryTestsResult:
        """Evaluates `input_expression` against `context`, then each of `tests` (FEEL unary tests, e.g. ``"a","b"``,
        ``< 10``, ``[1..5]``, ``not("x")``, ``? > limit``) against its value.

        Raises FeelError when the input expression fails; a failing test is reported in its outcome.
        """
        ...
