"""FEEL evaluations that do not fit in the engine's event loop: a short slice there, the rest in a thread of its own.

The engine serves every client from one event loop, so an expression may hold it only briefly. FeelinEvaluator's
`evaluate_within` runs an expression for at most a given slice of time; one still running then is stopped and
raises FeelStillRunning, which carries the evaluation as `PendingEvaluation` – the expression, its variables already
written as JSON (taken while the engine's state was consistent) and the instant of now(). `submit` hands such an
evaluation to `OffLoopWorker`: a second V8 isolate in a daemon thread, which runs the evaluations handed to it one
at a time, in order, each within the evaluator's full time limit, and answers each through a
concurrent.futures.Future (a FeelResult, or the FeelError it failed with – a time-out among them).

The worker runs any `OffLoopTask`: a PendingEvaluation is one expression; a DMN decision evaluated as a whole
(engine/decisions/off_loop.py) is another, run with the worker's evaluator in the same thread.

A second isolate, not the event loop's own: an expression running there for seconds would otherwise hold every
evaluation on the loop behind it (V8 runs one call of an isolate at a time).
"""

import concurrent.futures
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from engine.feel.api import FeelError, FeelEvaluator, FeelResult, UnaryTestsResult


@dataclass(frozen=True, slots=True)
class PendingEvaluation:
    """An evaluation to run (again) off the event loop: `variables` is the context as the JSON V8 reads."""

    expression: str
    variables: str
    now: datetime

    def run(self, evaluator: "JsonEvaluator") -> FeelResult:
        return evaluator.evaluate_json(self.expression, self.variables, self.now)

    def outcome(self, answer: object) -> FeelResult | FeelError:
        """What the evaluation gave (its result, or the exception it raised) as the step resuming it finds it."""
        if isinstance(answer, FeelResult | FeelError):
            return answer
        return FeelError.failed(self.expression, f"the evaluation off the event loop failed ({answer})")


class OffLoopTask(Protocol):
    """Something to run off the event loop with the worker's evaluator. `expression` and `variables` (JSON) are what
    a resumed step finds its outcome by; `outcome` turns what `run` gave – or the exception it raised – into that."""

    @property
    def expression(self) -> str: ...

    @property
    def variables(self) -> str: ...

    def run(self, evaluator: "JsonEvaluator") -> Any: ...

    def outcome(self, answer: object) -> Any: ...


class FeelStillRunning(Exception):  # noqa: N818 - an outcome of a sliced evaluation, not an error
    """An evaluation given a slice of time had not finished within it and was stopped; `pending` can run it again
    off the event loop (FeelinEvaluator.submit)."""

    def __init__(self, pending: PendingEvaluation) -> None:
        super().__init__(pending.expression)
        self.pending = pending


class SliceableEvaluator(FeelEvaluator, Protocol):
    """A FeelEvaluator that can also run a call within a limit of its own (a slice): one still running then is
    stopped and raises FeelStillRunning. `timeout`: its full limit, in seconds."""

    @property
    def timeout(self) -> float: ...

    def evaluate_within(
        self, expression: str, context: Mapping[str, Any], now: datetime, limit: float
    ) -> FeelResult: ...

    def unary_tests(
        self,
        input_expression: str,
        tests: Sequence[str],
        context: Mapping[str, Any],
        now: datetime,
        timeout: float | None = None,
    ) -> UnaryTestsResult: ...


class JsonEvaluator(SliceableEvaluator, Protocol):
    """What the worker's evaluator offers (a FeelinEvaluator of its own): FEEL within slices, and given variables as
    JSON within its full limit."""

    def evaluate_json(self, expression: str, variables: str, now: datetime) -> FeelResult: ...

    def close(self) -> None: ...


_Item = tuple[OffLoopTask, "concurrent.futures.Future[Any]"] | None


class OffLoopWorker:
    """One thread with its own evaluator (made by `make` in that thread at the first evaluation), running the
    evaluations submitted to it in order. `close` ends it after the evaluation running now, if any."""

    def __init__(self, make: Callable[[], JsonEvaluator]) -> None:
        self._make = make
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, pending: OffLoopTask) -> "concurrent.futures.Future[Any]":
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the FEEL evaluator is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="feel-off-loop", daemon=True)
                self._thread.start()
            self._queue.put((pending, future))
        return future

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._thread is not None:
                self._queue.put(None)

    def _run(self) -> None:
        evaluator: JsonEvaluator | None = None
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                pending, future = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    if evaluator is None:
                        evaluator = self._make()
                    result = pending.run(evaluator)
                except BaseException as exc:  # handed to whoever waits for the result
                    future.set_exception(exc)
                else:
                    future.set_result(result)
        finally:
            if evaluator is not None:
                evaluator.close()
