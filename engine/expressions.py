"""Zeebe's expression conventions on top of FEEL: `=` marks FEEL, anything else is a static value.

FEEL off the event loop. The engine serves every client from one event loop, so while a loop runs an expression is
given FEEL_SLICE seconds there (FeelinEvaluator.evaluate_within; trivial ones never reach V8, see feel/fastpath.py).
One still running then raises `Suspended`: the step evaluating it stops before it changed anything, and the element
behaviour it passes through on its way out names the step that picks up where it stopped (`Suspended.at`, the same
place an incident of that expression would be retried from). The engine holds that step and the ones queued after
it (engine/processing/steps.py) while the expression is evaluated again off the loop (engine/feel/off_loop.py,
within the full time limit), serves other commands meanwhile, and resumes the held steps when the result is there:
the result is kept in `resumed` for that exact evaluation (expression and variables), so the step running again
finds it instead of evaluating again. The outcome – a value, or an incident for an error or a time-out – is decided
once, by that step, into events: recovery applies the events and never evaluates again. Without a running event loop
(the engine driven synchronously) an expression runs to its full limit where it is. A DMN decision is evaluated the
same way as a whole, within one slice (engine/decisions/off_loop.py): its outcome is kept in `resumed` too.
"""

import asyncio
import contextlib
import functools
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from engine.errors import EngineError
from engine.feel import FeelError, FeelEvaluator, FeelResult
from engine.feel.evaluator import variables_json
from engine.feel.off_loop import FeelStillRunning, OffLoopTask

if TYPE_CHECKING:
    from engine.dmn.result import DecisionEvaluationResult

# the instant a deploy-time syntax check evaluates at: a fixed one, so that whether a deployment is accepted
# never depends on when it runs (a durable engine replays deployments and must reach the same verdict)
CHECK_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
# seconds of FEEL evaluation one turn of a command may take before its remaining steps yield the event loop
FEEL_TURN_BUDGET = 0.5
# seconds one expression may run on the event loop before its step is suspended and it is evaluated off the loop
FEEL_SLICE = 0.05
# seconds the expressions evaluated at deploy (signal start events' names, timer start events' schedules: without
# variables, as Zeebe does) may run together; one still running then refuses the deployment, which would otherwise
# hold the event loop
DEPLOY_EVALUATION_LIMIT = 0.5

# what an evaluation off the loop gave: its result, or the FeelError it failed with; for a decision evaluated off
# the loop as a whole, its result (a failure included)
Outcome: TypeAlias = "FeelResult | FeelError | DecisionEvaluationResult"


class ExpressionError(EngineError):
    """An expression failed or gave a value of the wrong type; becomes an incident."""


class Suspended(Exception):  # noqa: N818 - a control-flow signal, not an error
    """An expression ran past its slice on the event loop: its step stops (before it changed anything) and waits for
    `pending`, evaluated off the loop. `resume` are the steps that pick up when it is done: the first is named by the
    innermost element behaviour the exception passes (`at`), later ones by callers with more to do after it
    (`then`)."""

    def __init__(self, pending: OffLoopTask) -> None:
        super().__init__(pending.expression)
        self.pending = pending
        self.resume: list[functools.partial[Any]] = []

    def at(self, step: functools.partial[Any]) -> "Suspended":
        """Names the step that runs the stopped one again, unless a behaviour inside it did already."""
        if not self.resume:
            self.resume.append(step)
        return self

    def then(self, step: functools.partial[Any]) -> "Suspended":
        """Adds a step to run after the resumed one (what the caller had still to do)."""
        self.resume.append(step)
        return self


class Expressions:
    """Evaluates Zeebe expression attributes against a variable context at the engine's time."""

    def __init__(self, feel: FeelEvaluator) -> None:
        self.feel = feel
        # FEEL time spent in the current turn of a command, and the share after which the command's remaining steps
        # go to a later turn of the event loop (engine/processing/steps.py): costly expressions in several branches
        # do not hold every other client for all of them
        self.spent = 0.0
        self.turn_budget = FEEL_TURN_BUDGET
        self.slice = FEEL_SLICE
        # results of evaluations done off the loop, for the steps resumed in this turn: expression → variables as
        # JSON → outcome (set by the engine for the turn that resumes them)
        self.resumed: dict[str, dict[str, Outcome]] = {}
        self._within: Any = None  # the evaluator's evaluate_within while an expression can be suspended
        self._limit: float | None = None  # what is left of a budget of evaluation time (deploy)
        self._budget = 0.0

    def new_turn(self) -> None:
        """A command's turn starts: its expressions can be suspended if an event loop runs and the evaluator can
        evaluate within a slice."""
        self.spent = 0.0
        within = getattr(self.feel, "evaluate_within", None)
        self._within = within if within is not None and asyncio._get_running_loop() is not None else None

    @property
    def sliced(self) -> bool:
        """Whether an evaluation in this turn runs within a slice and can be suspended (an event loop runs and the
        evaluator can evaluate within a slice)."""
        return self._within is not None

    def overrun(self) -> bool:
        """Whether this turn's FEEL time is spent."""
        return self.spent >= self.turn_budget

    @contextlib.contextmanager
    def limited(self, budget: float) -> Iterator[None]:
        """Evaluations within this block run `budget` seconds at most, all together; one still running when it is
        spent is an ExpressionError, and so is every one after it (deploy-time evaluations, which cannot be
        suspended: a deployment holds the event loop for `budget` at most, however many expressions it has)."""
        previous, self._limit, self._budget = self._limit, budget, budget
        try:
            yield
        finally:
            self._limit = previous

    def submit(self, pending: OffLoopTask) -> Any:
        """Starts a suspended evaluation off the event loop (a concurrent.futures.Future of what it gives)."""
        return self.feel.submit(pending)  # type: ignore[attr-defined]

    def _run(self, expression: str, context: Mapping[str, Any], now: datetime) -> FeelResult:
        if self.resumed:
            found = self.resumed.get(expression)
            if found is not None:
                try:
                    outcome = found.get(variables_json(expression, context))
                except FeelError:
                    outcome = None  # not JSON: no evaluation off the loop had these variables
                if isinstance(outcome, FeelError):
                    raise outcome
                if isinstance(outcome, FeelResult):
                    return outcome
        start = time.monotonic()
        try:
            if self._limit is not None:
                return self._run_limited(expression, context, now, self._limit)
            within = self._within
            if within is None:
                return self.feel.evaluate(expression, context, now)
            try:
                result: FeelResult = within(expression, context, now, self.slice)
            except FeelStillRunning as running:
                raise Suspended(running.pending) from None
            return result
        finally:
            self.spent += time.monotonic() - start

    def _run_limited(self, expression: str, context: Mapping[str, Any], now: datetime, left: float) -> FeelResult:
        within = getattr(self.feel, "evaluate_within", None)
        if within is None:
            return self.feel.evaluate(expression, context, now)
        start = time.monotonic()
        try:
            if left > 0:
                result: FeelResult = within(expression, context, now, left)
                return result
        except FeelStillRunning:
            pass
        finally:
            self._limit = left - (time.monotonic() - start)
        raise FeelError.failed(
            expression,
            f"the evaluation was stopped: the expressions evaluated at deploy take {self._budget:g} s at most",
        )

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
