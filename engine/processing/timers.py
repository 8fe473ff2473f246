"""Time: what falls due by the clock – timers fire (in due order), job deadlines and back-offs end, buffered
messages expire."""

import functools
from datetime import datetime

from engine.behaviors import BpmnBehaviors
from engine.processing.steps import MAX_STEPS_PER_TURN
from engine.state import due as due_kinds
from engine.state.values import Timer
from engine.timing import next_cycle_due


class TimerProcessor:
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        self.b = behaviors
        self._state = behaviors.state
        self._w = behaviors.writer
        behaviors.steps.register(self.fire)

    def next_due(self) -> datetime | None:
        return self._state.due.first_live(self._state.is_live)

    def process_due(self) -> int:
        """Fires everything due by the command's instant (timers in due order); returns how many fired."""
        state = self._state
        now = state.instant
        assert now is not None
        steps = self.b.steps
        fired = 0
        state.due.moved = True  # the scheduler plans its next wake-up anew
        while True:
            if fired >= MAX_STEPS_PER_TURN or steps.deferred:
                break  # the rest stays due for the scheduler's next turn (a loop through a timer due at once)
            entry = state.due.pop_due(now)
            if entry is None:
                break
            due, _, kind, key = entry
            if not state.is_live(kind, key, due):
                continue
            fired += 1
            if kind == due_kinds.TIMER:
                steps.queue.append(functools.partial(self.fire, state.timers.timers[key]))
            elif kind == due_kinds.JOB_DEADLINE:
                job = state.jobs.jobs[key]
                self._w.job_timed_out(job)
                self.b.jobs.touched_types.add(job.type)
            elif kind == due_kinds.JOB_BACKOFF:
                job = state.jobs.jobs[key]
                self._w.job_recurred(job)
                self.b.jobs.touched_types.add(job.type)
            elif kind == due_kinds.MESSAGE_EXPIRY:
                self._w.message_expired(state.messages.messages[key])
            steps.drain()
        return fired

    def fire(self, timer: Timer) -> None:
        state = self._state
        if timer.key not in state.timers.timers:
            return
        now = state.instant
        assert now is not None
        remaining = None if timer.repetitions is None else timer.repetitions - 1
        next_due = None
        if timer.cycle is not None and (remaining is None or remaining > 0):
            next_due = next_cycle_due(timer.cycle, timer.due, now)
        host = state.instances.live.get(timer.element_instance_key) if timer.element_instance_key else None
        self._w.timer_triggered(timer, next_due, remaining if next_due is not None else None)
        if host is None and timer.element_instance_key is not None:
            return  # its element has ended (its timers with it): not reached
        if host is None:
            definition = state.deployments.definitions[timer.process_definition_key]
            self.b.start_instance(definition, {}, [timer.target_element_id])
            return
        self.b.events.trigger(host, timer.target_element_id, {})
