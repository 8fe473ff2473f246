"""Timers and time: creating, cancelling and firing timers; what is due next."""

import functools
import heapq
from datetime import datetime
from typing import Any

from engine._base import MAX_STEPS_PER_TURN, EngineBase, _added
from engine.expressions import ExpressionError
from engine.model import FlowNode
from engine.state import (
    ElementInstance,
    JobState,
    ProcessDefinition,
    Timer,
)
from engine.timing import TimerExpressionError, first_due, next_cycle_due


class TimersMixin(EngineBase):
    # ================================================================== timers
    def _timer_schedule(self, node: FlowNode, context: dict[str, Any]) -> tuple[datetime, int | None, str | None]:
        assert node.event is not None and node.event.timer is not None
        timer = node.event.timer
        text = self.expressions.string(timer.expression, context, self.now())
        try:
            return first_due(timer.type, text, self.now())
        except TimerExpressionError as exc:
            raise ExpressionError(str(exc)) from None

    def _create_timer(
        self,
        node: FlowNode,
        definition: ProcessDefinition,
        host: ElementInstance | None,
        pi_key: int | None,
        context: dict[str, Any],
    ) -> None:
        try:
            due, repetitions, cycle = self._timer_schedule(node, context)
        except ExpressionError:
            return  # a start timer whose expression needs variables cannot be scheduled (refused at deploy)
        self._add_timer(node.id, host, definition.key, due, repetitions, cycle)

    def _add_timer(
        self,
        target_id: str,
        host: ElementInstance | None,
        definition_key: int,
        due: datetime,
        repetitions: int | None,
        cycle: str | None,
    ) -> None:
        key = self.keys.next()
        timer = Timer(
            key,
            definition_key,
            host.process_instance_key if host else None,
            host.key if host else None,
            target_id,
            due,
            repetitions,
            cycle,
        )
        self.timers[key] = timer
        if host is not None:
            host.timer_keys = _added(host.timer_keys, key)
        self._schedule_due(due, "timer", key)
        self._record("TIMER", "CREATED", key, pi=timer.process_instance_key)

    def _cancel_timer(self, key: int) -> None:
        timer = self.timers.pop(key, None)
        if timer is None:
            return
        if timer.element_instance_key is not None:
            host = self.element_instances.get(timer.element_instance_key)
            if host is not None and host.timer_keys:
                host.timer_keys.discard(key)
        self._record("TIMER", "CANCELED", key, pi=timer.process_instance_key)

    def _fire_timer(self, timer: Timer) -> None:
        self._record("TIMER", "TRIGGERED", timer.key, pi=timer.process_instance_key)
        remaining = None if timer.repetitions is None else timer.repetitions - 1
        next_due = None
        if timer.cycle is not None and (remaining is None or remaining > 0):
            next_due = next_cycle_due(timer.cycle, timer.due, self.now())
        host = self.element_instances.get(timer.element_instance_key) if timer.element_instance_key else None
        if next_due is not None:
            timer.due = next_due
            timer.repetitions = remaining
            self._schedule_due(next_due, "timer", timer.key)
        else:
            self.timers.pop(timer.key, None)
            if host is not None and host.timer_keys:
                host.timer_keys.discard(timer.key)
        if host is None:
            definition = self.definitions[timer.process_definition_key]
            self._start_instance(definition, {}, [timer.target_element_id])
            return
        self._trigger_event(host, timer.target_element_id, {})

    # ================================================================== time
    def next_due(self) -> datetime | None:
        while self._due:
            due, _, kind, key = self._due[0]
            if self._is_live(kind, key, due):
                return due
            heapq.heappop(self._due)
        return None

    def _is_live(self, kind: str, key: int, due: datetime) -> bool:
        if kind == "timer":
            timer = self.timers.get(key)
            return timer is not None and timer.due == due
        if kind == "job-deadline":
            job = self.jobs.get(key)
            return job is not None and job.state is JobState.ACTIVATED and job.deadline == due
        if kind == "job-backoff":
            job = self.jobs.get(key)
            return job is not None and job.state is JobState.ACTIVATABLE and job.backoff_until == due
        if kind == "message-expiry":
            return key in self.messages
        return False

    def process_due(self) -> int:
        """Fires everything due by the clock's now (timers in due order); returns how many fired."""
        fired = 0

        def action() -> None:
            nonlocal fired
            self._due_moved = True  # the scheduler plans its next wake-up anew
            now = self.now()
            while self._due and self._due[0][0] <= now:
                if fired >= MAX_STEPS_PER_TURN or self.steps_deferred:
                    break  # the rest stays due for the scheduler's next turn (a loop through a timer due at once)
                due, _, kind, key = heapq.heappop(self._due)
                if not self._is_live(kind, key, due):
                    continue
                fired += 1
                if kind == "timer":
                    timer = self.timers[key]
                    self._steps.append(functools.partial(self._fire_timer, timer))
                elif kind == "job-deadline":
                    job = self.jobs[key]
                    job.state = JobState.ACTIVATABLE
                    job.worker = ""
                    job.deadline = None
                    self._record("JOB", "TIMED_OUT", key, pi=job.process_instance_key)
                    self._touched_job_types.add(job.type)
                elif kind == "job-backoff":
                    job = self.jobs[key]
                    job.backoff_until = None
                    self._record("JOB", "RECURRED_AFTER_BACKOFF", key, pi=job.process_instance_key)
                    self._touched_job_types.add(job.type)
                elif kind == "message-expiry":
                    self.messages.pop(key, None)
                    self._record("MESSAGE", "EXPIRED", key)
                self._drain()

        self._command(action)
        return fired
