"""DMN decisions off the event loop, as FEEL expressions are (engine/expressions.py, engine/feel/off_loop.py).

A decision is evaluated as a whole – the decisions it requires, every input expression, unary test and output entry
– within one slice of the event loop (Expressions.slice, FEEL_SLICE): its FEEL calls share that slice. One still
running when the slice is spent stops the evaluation, which changed nothing (engine/dmn writes nothing; the caller
writes the DECISION_EVALUATION event from the result), and the decision is evaluated again, from the start, off the
loop: a `PendingDecision` runs in the second V8 isolate's thread (OffLoopWorker) with the decision's full limit.

- A business rule task's step is suspended (`Suspended`, resumed by Transitions.resume_activation or
  resume_after_start_listeners); its outcome is kept in `Expressions.resumed` under `PendingDecision.expression`
  (the decision's key) and the variables as JSON, where the resumed step finds it instead of evaluating again.
- EvaluateDecision (gRPC and REST) awaits the PendingDecision's future and is answered by a second command that
  writes the evaluation's event with the result (Engine.evaluate_decision_off_loop).

The limit of a decision is the evaluator's (FEEL's 10 s) for all its FEEL calls together, wherever it runs: off the
loop, driven synchronously, or on the loop when the evaluator cannot slice. One still running when it is spent fails
the decision (`Expected to evaluate decision 'x', but failed to evaluate expression '…': the evaluation of the
decision took longer than 10 s and was stopped`), with what was evaluated until then – answered as a failed
evaluation, or a DECISION_EVALUATION_ERROR incident – and written as the event: recovery never decides it again.
"""

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.dmn import DecisionEvaluationResult, DecisionEvaluator, DecisionRequirementsGraph
from engine.expressions import Expressions, Suspended
from engine.feel import FeelError, FeelEvaluator, FeelResult, UnaryTestsResult
from engine.feel.evaluator import variables_json
from engine.feel.off_loop import FeelStillRunning, JsonEvaluator, SliceableEvaluator


class _SliceSpent(Exception):  # noqa: N818 - an outcome of a sliced evaluation, not an error
    """The decision's slice on the event loop is spent and a FEEL call still had work to do."""


class SharedBudget:
    """A FeelEvaluator whose calls share `budget` seconds: each runs within what is left of it (longer only while the
    machine is starved, as FeelinEvaluator.evaluate_within allows, and counted for the CPU time it got then). When it
    is spent with a call still running: `suspend` (on the event loop) raises _SliceSpent – the decision goes off the
    loop –, otherwise the call fails with the time-out as its FeelError (the decision fails with it)."""

    def __init__(self, feel: SliceableEvaluator, budget: float, *, suspend: bool) -> None:
        self._feel = feel
        self._budget = budget
        self._suspend = suspend
        self.spent = 0.0

    def evaluate(self, expression: str, context: Mapping[str, Any], now: datetime) -> FeelResult:
        left = self._left(expression)
        start, cpu = time.monotonic(), time.process_time()
        try:
            return self._feel.evaluate_within(expression, context, now, left)
        except FeelStillRunning:
            raise self._spent_out(expression) from None
        finally:
            self._count(start, cpu)

    def unary_tests(
        self, input_expression: str, tests: Sequence[str], context: Mapping[str, Any], now: datetime
    ) -> UnaryTestsResult:
        left = self._left(input_expression)
        start, cpu = time.monotonic(), time.process_time()
        try:
            return self._feel.unary_tests(input_expression, tests, context, now, timeout=left)
        except FeelStillRunning:
            raise self._spent_out(input_expression) from None
        finally:
            self._count(start, cpu)

    def _count(self, start: float, cpu: float) -> None:
        """Adds a call's time: the wall time it took, but on a starved machine (the process got less than half the
        CPU time that passed: FeelinEvaluator's rule for its slices) twice the CPU time the process got – a call
        that ran longer only because the machine was busy with other work does not eat the next calls' time."""
        self.spent += min(time.monotonic() - start, 2 * (time.process_time() - cpu))

    def _left(self, expression: str) -> float:
        left = self._budget - self.spent
        if left <= 0:
            raise self._spent_out(expression)
        return left

    def _spent_out(self, expression: str) -> Exception:
        if self._suspend:
            return _SliceSpent()
        return FeelError.failed(
            expression, f"the evaluation of the decision took longer than {self._budget:g} s and was stopped"
        )


def _bounded(feel: FeelEvaluator) -> FeelEvaluator:
    """`feel` with the decision's limit on all its calls together – if it can run a call within a limit (a
    FeelinEvaluator; else each call has the evaluator's own limit)."""
    if isinstance(feel, SharedBudget) or getattr(feel, "evaluate_within", None) is None:
        return feel
    sliceable: SliceableEvaluator = feel  # type: ignore[assignment]  # it has evaluate_within (and timeout)
    return SharedBudget(sliceable, sliceable.timeout, suspend=False)


@dataclass(frozen=True)
class PendingDecision:
    """A decision to evaluate off the event loop (an OffLoopTask): its graph (parsed, never changed), the decision,
    its deployed key, the variables as JSON (taken while the engine's state was consistent) and the instant."""

    graph: DecisionRequirementsGraph
    decision_id: str
    decision_key: int
    variables: str
    now: datetime

    @property
    def expression(self) -> str:
        """What the outcome is kept under in Expressions.resumed: not a FEEL expression (no deployed expression
        reads like this: it does not parse), so it never meets one."""
        return decision_label(self.decision_id, self.decision_key)

    def run(self, evaluator: JsonEvaluator) -> DecisionEvaluationResult:
        """The evaluation in the worker's thread, with its evaluator, within the decision's full limit."""
        variables = json.loads(self.variables)
        return DecisionEvaluator(_bounded(evaluator)).evaluate(self.graph, self.decision_id, variables, self.now)

    def outcome(self, answer: object) -> DecisionEvaluationResult:
        """The result; should the evaluation itself have broken (the evaluator closed), a failed one saying so."""
        if isinstance(answer, DecisionEvaluationResult):
            return answer
        return DecisionEvaluationResult(
            decision_id=self.decision_id,
            decision_name=self.graph.decisions[self.decision_id].name
            if self.decision_id in self.graph.decisions
            else None,
            decision_output=None,
            evaluated_decisions=(),
            failed_decision_id=self.decision_id,
            failure_message=f"Expected to evaluate decision '{self.decision_id}', but the evaluation off the event "
            f"loop failed ({answer})",
        )


def decision_label(decision_id: str, decision_key: int) -> str:
    return f"decision '{decision_id}' (key {decision_key})"


def evaluate_sliced(
    expressions: Expressions,
    graph: DecisionRequirementsGraph,
    decision_id: str,
    decision_key: int,
    variables: Mapping[str, Any],
    now: datetime,
    *,
    suspend: bool = True,
) -> DecisionEvaluationResult:
    """The decision's result: found among the outcomes of evaluations done off the loop for the step running now,
    else evaluated here – within one slice while the engine can suspend (`suspend` and Expressions.sliced), raising
    Suspended with the PendingDecision when the slice is spent; else within the decision's full limit."""
    feel = expressions.feel
    sliced = suspend and expressions.sliced
    if not sliced and not expressions.resumed:
        return DecisionEvaluator(_bounded(feel)).evaluate(graph, decision_id, variables, now)
    label = decision_label(decision_id, decision_key)
    try:
        as_json = variables_json(label, variables)
    except FeelError:  # not JSON-compatible: no evaluation off the loop had them (and the evaluation fails)
        return DecisionEvaluator(_bounded(feel)).evaluate(graph, decision_id, variables, now)
    found = expressions.resumed.get(label, {}).get(as_json)
    if isinstance(found, DecisionEvaluationResult):
        return found
    if not sliced:
        return DecisionEvaluator(_bounded(feel)).evaluate(graph, decision_id, variables, now)
    sliceable: SliceableEvaluator = feel  # type: ignore[assignment]  # sliced: it has evaluate_within
    budget = SharedBudget(sliceable, expressions.slice, suspend=True)
    try:
        return DecisionEvaluator(budget).evaluate(graph, decision_id, variables, now)
    except _SliceSpent:
        raise Suspended(PendingDecision(graph, decision_id, decision_key, as_json, now)) from None
    finally:
        expressions.spent += budget.spent
