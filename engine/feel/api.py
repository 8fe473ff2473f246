"""The evaluator interface the engine programs against: errors, the result, the protocol."""

from collections.abc import Mapping
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


class FeelEvaluator(Protocol):
    """Evaluates FEEL expressions (without Zeebe's leading ``=``) against a JSON-compatible context."""

    def evaluate(self, expression: str, context: Mapping[str, Any], now: datetime) -> FeelResult:
        """Evaluates `expression` with the variables in `context`; FEEL's now() and today() read `now`.

        Raises FeelError on a syntax error, on a result that cannot be stored as a variable (a range
        or a function) and on an evaluation that runs away (time or memory).
        """
        ...
