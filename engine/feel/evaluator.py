"""FEEL through bpmn.io's feelin (npm), running in an embedded V8 (mini-racer).

The bundle engine/feel/dist/feelin.js is built from engine/feel/entry.js by `make install` (esbuild,
from the pinned package-lock.json) and never committed; entry.js documents the JavaScript half:
the engine clock behind now() / today(), the cache of compiled expressions and the conversion of
results. This module is the Python half: it answers trivial expressions without V8 (fastpath.py),
passes everything else to V8 as JSON and turns the answer into a FeelResult or a FeelError.

The V8 isolate gets its own thread and event loop (mini-racer would otherwise bind it to whatever
asyncio loop is running when it is created, and break once that loop is gone). Every call is a
cross-thread hand-off, which is most of its cost; it also makes a time limit possible: an
expression that runs longer than `timeout` seconds is stopped and reported as a FeelError instead
of hanging the engine.
"""

import atexit
import concurrent.futures
import contextlib
import functools
import json
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from py_mini_racer import JSEvalException, JSOOMException, JSTimeoutException, MiniRacer

from engine.feel.api import FeelBundleMissingError, FeelError, FeelEvaluator, FeelResult, UnaryTestsResult
from engine.feel.fastpath import fast_evaluate, json_number
from engine.feel.off_loop import FeelStillRunning, OffLoopTask, OffLoopWorker, PendingEvaluation

DEFAULT_BUNDLE: Final = Path(__file__).resolve().parent / "dist" / "feelin.js"
DEFAULT_TIMEOUT: Final = 10.0
# a deploy-time check parses and compiles an expression without running it (entry.js `check`); should the bundle be
# unable to (its compiling seam off), it runs the expression this long at most: a syntax error shows at once, and an
# expression still running then has parsed
CHECK_TIMEOUT: Final = 0.2
# an evaluation given a slice of time (evaluate_within) that ran out of it while the process got less than half of
# the CPU time that passed (a machine starved by other work, not a costly expression) is tried again with a longer
# slice, until this many times the slice has passed
STARVED_SLICES: Final = 4
DEFAULT_MEMORY_LIMIT: Final = 512 * 1024 * 1024
DEFAULT_SOFT_MEMORY_LIMIT: Final = 32 * 1024 * 1024

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def _offset_zone(offset: timedelta) -> str:
    """A fixed UTC offset as a Temporal time zone: "UTC" or "+07:00" (Temporal knows whole minutes)."""
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _clock_zones(now: datetime) -> tuple[str, str]:
    """The zone now() reports for `now`, plus a fixed-offset fallback should V8 not know the name.

    A zoneinfo zone keeps its name (FEEL prints ``...@Asia/Jakarta``); any other tzinfo becomes its
    offset at that instant, and an offset of zero becomes "UTC" (FEEL prints ``...Z``).
    """
    offset = now.utcoffset()
    if offset is None:
        raise ValueError(f"now must be a timezone-aware datetime, got {now!r}")
    fallback = _offset_zone(offset)
    key = getattr(now.tzinfo, "key", None)
    if isinstance(key, str) and key:
        return key, fallback
    return fallback, fallback


def _start_racer(source: str, memory_limit: int, soft_memory_limit: int) -> MiniRacer:
    """A V8 isolate with the bundle loaded, owning its event loop thread.

    Created in a short-lived thread so that no running asyncio loop is there for mini-racer to bind
    the isolate to.
    """
    outcome: list[MiniRacer | BaseException] = []

    def start() -> None:
        try:
            racer = MiniRacer()
            racer.set_hard_memory_limit(memory_limit)
            # V8 lets old garbage pile up (100 MB after 100k evaluations) before a full collection;
            # past the soft limit mini-racer makes it collect, so the heap stays well below the hard one.
            racer.set_soft_memory_limit(soft_memory_limit)
            racer.eval(source)
            outcome.append(racer)
        except BaseException as exc:  # handed over to the calling thread
            outcome.append(exc)

    thread = threading.Thread(target=start, name="feel-v8-start", daemon=True)
    thread.start()
    thread.join()
    result = outcome[0]
    if isinstance(result, BaseException):
        raise FeelError(f"the FEEL bundle could not be loaded into V8: {result}") from result
    return result


def _close_open_evaluators() -> None:
    """Closes the evaluators still open at interpreter exit, while their V8 loop threads still run.

    Left to garbage collection, mini-racer would stop its loop thread during interpreter finalization,
    when daemon threads are already frozen, and the join hangs the exit (seen about one run in three).
    An evaluation still running off the event loop (off_loop.py) is cut short by its isolate's close, and mini-racer
    then reports its result to its own event loop, closed by then: that report is dropped, not printed.
    """
    previous_hook = sys.unraisablehook

    def quiet(unraisable: "sys.UnraisableHookArgs") -> None:
        if isinstance(unraisable.exc_value, RuntimeError) and str(unraisable.exc_value) == "Event loop is closed":
            return
        previous_hook(unraisable)

    sys.unraisablehook = quiet
    for evaluator in list(_open_evaluators):
        evaluator.close(settle=False)


_open_evaluators: "weakref.WeakSet[FeelinEvaluator]" = weakref.WeakSet()
atexit.register(_close_open_evaluators)


def variables_json(expression: str, context: Mapping[str, Any]) -> str:
    """The variables as the JSON the bundle reads; a FeelError on `expression` if they are not JSON-compatible."""
    try:
        return json.dumps(
            context if isinstance(context, dict) else dict(context),
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        )
    except (TypeError, ValueError) as exc:
        raise FeelError.failed(expression, f"the variables are not JSON-compatible ({exc})") from None


class FeelinEvaluator:
    """The FeelEvaluator over feelin in mini-racer.

    `bundle_path` defaults to engine/feel/dist/feelin.js next to this module. `fast_path` answers
    trivial expressions in Python (fastpath.py) and `cache` keeps compiled expressions in V8; both
    only exist for speed and can be switched off to compare. `timeout` (seconds) and `memory_limit`
    (bytes) stop runaway evaluations; above `soft_memory_limit` V8 is made to collect its garbage.
    Not thread-safe: use one instance from one thread at a time.
    """

    def __init__(
        self,
        bundle_path: str | Path | None = None,
        *,
        fast_path: bool = True,
        cache: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        soft_memory_limit: int = DEFAULT_SOFT_MEMORY_LIMIT,
    ) -> None:
        self.bundle_path = Path(bundle_path) if bundle_path is not None else DEFAULT_BUNDLE
        if not self.bundle_path.is_file():
            raise FeelBundleMissingError(
                f"the FEEL bundle {self.bundle_path} is missing: run `make install`, which builds it from "
                "engine/feel/entry.js with esbuild (npm ci first)"
            )
        self._source = self.bundle_path.read_text(encoding="utf-8")
        self._fast_path = fast_path
        self._cache = cache
        self._timeout = timeout
        self._memory_limit = memory_limit
        self._soft_memory_limit = soft_memory_limit
        self._racer: MiniRacer | None = None
        self._worker: OffLoopWorker | None = None  # the evaluations handed off the event loop (submit)
        self._closed = False
        _open_evaluators.add(self)
        self._v8()  # load now: a broken bundle should fail at start-up, not at the first expression

    @property
    def timeout(self) -> float:
        """Seconds an evaluation may run before it is stopped (its full limit)."""
        return self._timeout

    # -- the FeelEvaluator protocol ------------------------------------------------------------

    def evaluate(self, expression: str, context: Mapping[str, Any], now: datetime) -> FeelResult:
        """Evaluates `expression` (FEEL without the leading "=") against `context` at time `now`."""
        if self._fast_path and now.utcoffset() is not None:  # a naive `now` is refused by _clock_zones below
            result = fast_evaluate(expression, context)
            if result is not None:
                return result
        zone, fallback_zone = _clock_zones(now)
        return self._evaluate_in_v8(expression, context, now, zone, fallback_zone)

    def check(self, expression: str, now: datetime) -> str | None:
        """Why `expression` cannot be evaluated (a syntax error), or None. It is parsed and compiled, not run, so a
        deployment's check takes no longer for costly expressions; should the bundle be unable to compile without
        running (its compiling seam off), it is run for CHECK_TIMEOUT at most, and one still running has parsed."""
        error = self.check_error(expression, now)
        return None if error is None else str(error)

    def check_error(self, expression: str, now: datetime) -> FeelError | None:
        """`check`, answering the FeelError itself (its reason says whether it is a syntax error)."""
        try:
            answer = self._v8().eval(f"__pbjFeel.check({json.dumps(expression)})", timeout_sec=CHECK_TIMEOUT)
        except JSTimeoutException:
            return None  # still parsing (an enormous expression): it is not refused for its size
        except JSEvalException as exc:
            return FeelError.failed(expression, f"the FEEL bundle failed ({exc})")
        if isinstance(answer, str):
            outcome = json.loads(answer)
            return None if outcome["ok"] else FeelError.failed(expression, outcome["reason"])
        try:
            self.evaluate_within(expression, {}, now, CHECK_TIMEOUT)
        except FeelStillRunning:
            return None
        except FeelError as exc:
            return exc
        return None

    def evaluate_within(self, expression: str, context: Mapping[str, Any], now: datetime, limit: float) -> FeelResult:
        """Like `evaluate`, but V8 runs the expression for at most `limit` seconds (longer only while the machine
        is starved, see STARVED_SLICES); one still running then is stopped and raises FeelStillRunning, whose
        `pending` evaluation `submit` runs off the event loop."""
        if self._fast_path and now.utcoffset() is not None:
            result = fast_evaluate(expression, context)
            if result is not None:
                return result
        return self._evaluate_json(expression, variables_json(expression, context), now, limit)

    def evaluate_json(self, expression: str, variables: str, now: datetime) -> FeelResult:
        """Evaluates `expression` against variables given as JSON, within the full time limit."""
        return self._evaluate_json(expression, variables, now, None)

    def submit(self, pending: OffLoopTask) -> "concurrent.futures.Future[Any]":
        """Runs a pending evaluation in a thread of its own with a second V8 isolate (created at the first one),
        within the full time limit; the future holds its FeelResult or its FeelError (for another OffLoopTask, what
        its `run` gives or raises)."""
        if self._closed:
            raise FeelError("the FEEL evaluator is closed")
        if self._worker is None:
            self._worker = OffLoopWorker(self._twin)
        return self._worker.submit(pending)

    def _twin(self) -> "FeelinEvaluator":
        return FeelinEvaluator(
            self.bundle_path,
            fast_path=False,
            cache=self._cache,
            timeout=self._timeout,
            memory_limit=self._memory_limit,
            soft_memory_limit=self._soft_memory_limit,
        )

    def unary_tests(
        self,
        input_expression: str,
        tests: Sequence[str],
        context: Mapping[str, Any],
        now: datetime,
        timeout: float | None = None,
    ) -> UnaryTestsResult:
        """One input column of a DMN decision table in one V8 call: `input_expression` (FEEL, no "=") evaluated
        against `context`, then each unary test against its value as FEEL has it (a date stays a date).
        `timeout`: a limit of its own (a deploy-time check): a call still running then raises FeelStillRunning."""
        zone, fallback_zone = _clock_zones(now)
        tests_json = json.dumps(list(tests), ensure_ascii=False)
        outcome = self._call_v8(
            input_expression,
            lambda variables, micros: (
                f"__pbjFeel.unaryTests({json.dumps(input_expression)},{json.dumps(tests_json)},"
                f"{json.dumps(variables)},{micros},{json.dumps(zone)},{json.dumps(fallback_zone)})"
            ),
            variables_json(input_expression, context),
            now,
            timeout,
        )
        if not outcome["ok"]:
            raise FeelError.failed(input_expression, outcome["reason"])
        outcomes: list[bool | FeelError | None] = []
        for test, answer in zip(tests, outcome["tests"], strict=True):
            outcomes.append(answer["value"] if answer["ok"] else FeelError.failed(test, answer["reason"]))
        value = outcome["input"]
        return UnaryTestsResult(FeelResult(value["value"], tuple(value["warnings"])), tuple(outcomes))

    def check_unary_tests(self, tests: Sequence[str], now: datetime) -> list[FeelError | None]:
        """Why each unary test of a DMN input column cannot be evaluated (a syntax error; None: it parsed). The tests
        are parsed, never run, so a costly test costs a deployment no more than a cheap one; a column so large that
        its parsing outlasts CHECK_TIMEOUT is not refused for its size."""
        try:
            answer = self._v8().eval(
                f"__pbjFeel.checkUnaryTests({json.dumps(json.dumps(list(tests)))})", timeout_sec=CHECK_TIMEOUT
            )
        except JSTimeoutException:
            return [None] * len(tests)
        except JSEvalException as exc:
            return [FeelError.failed(test, f"the FEEL bundle failed ({exc})") for test in tests]
        return [
            None if outcome["ok"] else FeelError.failed(test, outcome["reason"])
            for test, outcome in zip(tests, json.loads(str(answer)), strict=True)
        ]

    # -- the rest ------------------------------------------------------------------------------

    def cache_size(self) -> int:
        """How many compiled expressions the V8 side holds (bounded; for tests and diagnostics)."""
        size = self._call("__pbjFeel.cacheSize()")
        return size if isinstance(size, int) else 0

    def caching_active(self) -> bool:
        """Whether the V8 side caches compiled expressions (off if asked, or if its self-test failed)."""
        return self._call("__pbjFeel.cachingEnabled()") is True

    def heap_used(self) -> int:
        """Bytes of V8 heap in use (for leak checks)."""
        stats = self._v8().heap_stats()
        return int(stats["used_heap_size"]) if isinstance(stats, dict) else 0

    def close(self, *, settle: bool = True) -> None:
        """Frees the V8 isolate and stops its thread; the evaluator cannot be used afterwards. `settle`: first lets
        the isolate report an evaluation it stopped (a time limit) to mini-racer's event loop, which would otherwise
        be closed by then (at exit the isolate may be busy with an evaluation off the event loop: not then)."""
        self._closed = True
        _open_evaluators.discard(self)
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()
        racer, self._racer = self._racer, None
        if racer is not None:
            if settle:
                with contextlib.suppress(Exception):
                    racer.eval("0", timeout_sec=1)
            racer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _v8(self) -> MiniRacer:
        if self._closed:
            raise FeelError("the FEEL evaluator is closed")
        if self._racer is None:
            racer = _start_racer(self._source, self._memory_limit, self._soft_memory_limit)
            if not self._cache:
                racer.eval("__pbjFeel.setCaching(false)")
            self._racer = racer
        return self._racer

    def _call(self, code: str) -> Any:
        return self._v8().eval(code, timeout_sec=self._timeout)

    def _evaluate_in_v8(
        self, expression: str, context: Mapping[str, Any], now: datetime, zone: str, fallback_zone: str
    ) -> FeelResult:
        return self._run(expression, variables_json(expression, context), now, zone, fallback_zone, None)

    def _evaluate_json(self, expression: str, variables: str, now: datetime, limit: float | None) -> FeelResult:
        zone, fallback_zone = _clock_zones(now)
        return self._run(expression, variables, now, zone, fallback_zone, limit)

    def _run(
        self, expression: str, variables: str, now: datetime, zone: str, fallback_zone: str, limit: float | None
    ) -> FeelResult:
        outcome = self._call_v8(
            expression,
            lambda variables, micros: (
                f"__pbjFeel.evaluate({json.dumps(expression)},{json.dumps(variables)},{micros},"
                f"{json.dumps(zone)},{json.dumps(fallback_zone)})"
            ),
            variables,
            now,
            limit,
        )
        if outcome["ok"]:
            return FeelResult(outcome["value"], tuple(outcome["warnings"]))
        raise FeelError.failed(expression, outcome["reason"])

    def _call_v8(
        self,
        expression: str,
        code_for: Callable[[str, int], str],
        variables: str,
        now: datetime,
        limit: float | None = None,
    ) -> Any:
        """Runs the bundle call `code_for(variables as JSON, now in epoch microseconds)` within the time and memory
        limits and returns its decoded answer; a failure is reported as a FeelError on `expression`. With a `limit`
        of its own (a slice on the event loop, a deploy-time check), a call still running then raises
        FeelStillRunning."""
        code = code_for(variables, (now - _EPOCH) // _MICROSECOND)
        racer = self._v8()
        try:
            if limit is None:
                answer = racer.eval(code, timeout_sec=self._timeout)
            else:
                answer = self._eval_within(racer, code, limit, expression, variables, now)
        except JSTimeoutException:
            raise FeelError.failed(
                expression, f"the evaluation took longer than {self._timeout:g} s and was stopped"
            ) from None
        except JSOOMException:
            racer.low_memory_notification()  # the isolate stays usable; give the garbage back now
            raise FeelError.failed(
                expression,
                f"the evaluation needed more than {self._memory_limit // (1024 * 1024)} MB and was stopped",
            ) from None
        except JSEvalException as exc:
            raise FeelError.failed(expression, f"the FEEL bundle failed ({exc})") from exc
        if not isinstance(answer, str):
            raise FeelError.failed(expression, f"the FEEL bundle answered {answer!r} instead of JSON")
        return json.loads(answer, parse_float=json_number)

    @staticmethod
    def _eval_within(racer: MiniRacer, code: str, limit: float, expression: str, variables: str, now: datetime) -> Any:
        """`code` run for `limit` seconds at most; FeelStillRunning if it is still running then. A slice the
        process got less than half the CPU time of (the machine busy with other work) does not count: it is tried
        again with a doubled slice, until STARVED_SLICES times `limit` has passed."""
        deadline = time.monotonic() + STARVED_SLICES * limit
        slice_ = limit
        while True:
            wall = time.monotonic()
            cpu = time.process_time()
            try:
                return racer.eval(code, timeout_sec=slice_)
            except JSTimeoutException:
                ended = time.monotonic()
                starved = time.process_time() - cpu < (ended - wall) / 2
                if not starved or ended >= deadline:
                    # what the stopped run built is garbage now: collected here, not in the next call's time
                    racer.low_memory_notification()
                    raise FeelStillRunning(PendingEvaluation(expression, variables, now)) from None
                slice_ = min(2 * slice_, deadline - ended)


@functools.cache
def default_evaluator() -> FeelEvaluator:
    """The process-wide evaluator, created at first use (loading V8 and the bundle takes ~0.1 s)."""
    return FeelinEvaluator()
