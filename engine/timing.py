"""Timer definitions as the executor needs them: first due time, repetitions, next due of a cycle."""

from datetime import datetime, timedelta

from engine.model import TimerType
from engine.timer_expressions import TimerExpressionError, parse_cycle, parse_date_time, parse_duration


def check_timer(timer_type: TimerType, text: str) -> str | None:
    """Why a static timer value is invalid, or None (used at deploy)."""
    try:
        if timer_type is TimerType.DURATION:
            parse_duration(text)
        elif timer_type is TimerType.DATE:
            parse_date_time(text)
        else:
            parse_cycle(text)
    except TimerExpressionError as exc:
        return str(exc)
    return None


def first_due(timer_type: TimerType, text: str, now: datetime) -> tuple[datetime, int | None, str | None]:
    """(due, repetitions left including this one – None if unbounded, cycle text to compute the next)."""
    if timer_type is TimerType.DURATION:
        return parse_duration(text).add_to(now), 1, None
    if timer_type is TimerType.DATE:
        return parse_date_time(text), 1, None
    cycle = parse_cycle(text)
    return cycle.first_due(now), cycle.repetitions, text


# The shortest time between two firings of a timer cycle: Zeebe checks for due timers at most every 100 ms (its
# timer resolution), so a cycle like R/PT0.001S fires at most ten times a second there, not a thousand
MIN_CYCLE_INTERVAL = timedelta(milliseconds=100)


def next_cycle_due(cycle_text: str, previous_due: datetime, now: datetime) -> datetime | None:
    """When a cycle fires next after a firing that was due at `previous_due` and happened at `now`: never sooner
    than MIN_CYCLE_INTERVAL after `now`."""
    due = parse_cycle(cycle_text).next_due(previous_due, now)
    if due is None:
        return None
    return max(due, now + MIN_CYCLE_INTERVAL)


__all__ = ["MIN_CYCLE_INTERVAL", "TimerExpressionError", "check_timer", "first_due", "next_cycle_due"]
