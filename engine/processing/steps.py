"""The follow-up steps of a command: what the token flow does next (activate an element, check whether a scope is
done, trigger an event, …), queued and run in order until every token waits – in turns of at most
MAX_STEPS_PER_TURN steps, so that an instance looping without a wait state cannot hold the event loop.

Steps are processing, not state: between commands the queue is empty, except when a command ran into the limit and
left its steps to later turns, or when a step was suspended for an expression evaluated off the event loop
(engine/expressions.py: the step to resume it and the steps queued after it are held, `Held`, until the result is
there; other commands go on meanwhile). Either way the durable engine logs them with the command, see
engine/durable/steps.py, so that a recovery resumes them. Each queued step is a `functools.partial` of a method
registered here by name; its arguments are element instances, flow nodes, keys and plain values, which durable mode
writes as keys and ids.
"""

import asyncio
import functools
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.expressions import Outcome, Suspended
from engine.feel.off_loop import OffLoopTask

# Steps one command runs before it lets the event loop serve other requests (far more than an ordinary command
# takes): a loop of tasks and gateways without a wait state never ends by itself; as in Zeebe, which keeps serving
# other commands while such an instance loops (and cancelling it ends it), the rest of the steps runs in later turns
# of the event loop, each as a command of its own
MAX_STEPS_PER_TURN = 1_000
# Seconds the event loop serves others before a deferred turn runs: resumed at its next iteration instead, a looping
# instance would take a turn (up to MAX_STEPS_PER_TURN steps, a FEEL evaluation in V8 each) between any two steps of
# every other request – a gRPC call needs about ten iterations of the loop, so a CancelProcessInstance of the loop
# waited seconds (tens of seconds on a loaded machine)
TURN_GAP = 0.002


def _never() -> bool:
    return False


class Interrupt(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside a step to stop it: an incident was created and the element waits for its resolution."""


@dataclass(eq=False)
class Held:
    """Steps waiting for an expression evaluated off the event loop: first the one that resumes the suspended step,
    then those queued after it when it was suspended. `results`: the outcomes of evaluations done off the loop for
    these steps so far (the expression's among them once it is done), by expression and variables as JSON."""

    steps: deque[functools.partial[Any]]
    pending: OffLoopTask
    results: dict[str, dict[str, Outcome]] = field(default_factory=dict)
    started: bool = False


class Steps:
    """The queue, the activations pending per scope (a scope counts a queued activation as a token, so it cannot
    complete between an element completing and its successor being activated), and running them."""

    def __init__(self) -> None:
        self.queue: deque[functools.partial[Any]] = deque()
        self.pending: dict[int, dict[str, int]] = {}  # scope key → element id → activations queued in it
        self.running = False
        self.deferred = False  # steps left for a later turn of the event loop
        self.held: list[Held] = []  # steps waiting for evaluations off the event loop, in the order suspended
        self.methods: dict[str, Callable[..., Any]] = {}  # the registered step methods, by name
        self.resume: Callable[[], None] | None = None  # runs the deferred steps as a command (set by the engine)
        self.defer_hook: Callable[[], bool] | None = None
        # whether the turn has spent its time otherwise (FEEL, engine/expressions.py): the rest goes to a later turn
        self.overrun: Callable[[], bool] = _never
        # what evaluations off the loop gave for the steps running now (engine/expressions.py `resumed`)
        self.results: Callable[[], dict[str, dict[str, Outcome]]] = dict

    def __bool__(self) -> bool:
        """Whether steps are queued."""
        return bool(self.queue)

    @property
    def waiting(self) -> bool:
        """Whether steps are queued or held."""
        return bool(self.queue) or bool(self.held)

    def all_waiting(self) -> Iterator[functools.partial[Any]]:
        """The held steps (in the order they were suspended), then the queued ones: the order a recovery runs them."""
        for held in self.held:
            yield from held.steps
        yield from self.queue

    def register(self, method: Callable[..., Any]) -> None:
        self.methods[method.__name__] = method

    def pending_in(self, scope_key: int) -> bool:
        return scope_key in self.pending

    def drain(self) -> None:
        """Runs the queued steps (and what they queue) until none is left or the turn's budget is spent."""
        if self.running:
            return
        self.running = True
        queue = self.queue
        budget = MAX_STEPS_PER_TURN
        overrun = self.overrun
        try:
            while queue:
                try:
                    while queue:
                        if budget <= 0 or overrun():
                            if self.defer():
                                return
                            budget = MAX_STEPS_PER_TURN  # no event loop to yield to: run on
                        budget -= 1
                        queue.popleft()()
                except Interrupt:
                    pass  # an incident was raised in that step; the element waits for its resolution
                except Suspended as suspended:
                    self.suspend(suspended, self.results())
        finally:
            self.running = False

    def suspend(self, suspended: Suspended, results: dict[str, dict[str, Outcome]] | None = None) -> None:
        """Holds the step that resumes the suspended one and every step queued now until its expression is
        evaluated (the engine starts that after the command is committed). `results`: what evaluations off the loop
        gave for the steps running now (they may need them again when they resume)."""
        if not suspended.resume:
            raise RuntimeError(
                f"internal: the evaluation of '{suspended.pending.expression}' was suspended where no step resumes it"
            )
        steps = deque(suspended.resume)
        steps.extend(self.queue)
        self.queue.clear()
        self.held.append(Held(steps, suspended.pending, dict(results) if results else {}))

    def defer(self) -> bool:
        """Leaves the queued steps to a later turn of the running event loop; False when no loop runs (the engine
        driven synchronously), and the steps run on."""
        if self.defer_hook is not None:
            return self.defer_hook()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if not self.deferred:
            self.deferred = True
            loop.call_later(TURN_GAP, self._resume_turn)
        return True

    def _resume_turn(self) -> None:
        if self.resume is not None:
            self.resume()

    def release(self, held: Held) -> None:
        """Puts held steps back at the front of the queue (their evaluation is done)."""
        self.held.remove(held)
        self.queue.extendleft(reversed(held.steps))

    def recount_pending(self) -> None:
        """Rebuilds the pending activations from the queue (after it was restored by a recovery)."""
        self.pending.clear()  # in place: the token flow holds this dict
        for step in self.queue:
            if step.func.__name__ == "run_scheduled":
                node, scope = step.args[0], step.args[1]
                targets = self.pending.setdefault(scope.key, {})
                targets[node.id] = targets.get(node.id, 0) + 1
