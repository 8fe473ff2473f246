"""Checks that a durable engine's data directory reproduces its state: for tests (`pytest --durable`)."""

import dataclasses
import enum
from typing import Any

from engine.durable.engine import DurableEngine, open_durable_engine
from engine.durable.snapshot import state_attributes
from engine.engine import Engine
from engine.state import KeyGenerator


def normalized(value: Any) -> Any:
    """Plain data to compare two states by: dataclasses and objects by their fields, sets sorted, dicts in order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, [normalized(getattr(value, f.name)) for f in dataclasses.fields(value)])
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return [(normalized(k), normalized(v)) for k, v in value.items()]
    if isinstance(value, set | frozenset):
        return sorted(normalized(v) for v in value)
    if isinstance(value, list | tuple):
        return [normalized(v) for v in value]
    if isinstance(value, KeyGenerator):
        return ("KeyGenerator", value.last)
    if hasattr(value, "__next__"):  # a counter: its repr says where it is
        return repr(value)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return (type(value).__name__, normalized(vars(value)))
    return value


def full_state(engine: Engine) -> dict[str, Any]:
    """Everything a recovery must reproduce, comparable with ==: the state attributes, the history, the clock."""
    state = {name: normalized(value) for name, value in state_attributes(engine).items()}
    state["history"] = [tuple(r) for r in engine.records]
    state["clock"] = engine.now()
    return state


def _live_due(engine: Engine) -> list[tuple[Any, ...]]:
    return sorted((due, kind, key) for due, _, kind, key in engine._due if engine._is_live(kind, key, due))


def replay_differences(engine: DurableEngine) -> list[str]:
    """Closes the engine without a snapshot, recovers its data directory by replaying the log, and names what the
    recovered state has different (nothing, when durable mode works). The clock is left out (real time moves), and
    of the due heap only the live entries count: the scheduler drops stale ones outside any command."""
    before = full_state(engine)
    before["_due"] = _live_due(engine)
    controlled = engine.clock.controlled
    engine.close(snapshot=False)
    recovered = open_durable_engine(engine.data_dir, controlled_clock=controlled)
    try:
        after = full_state(recovered)
        after["_due"] = _live_due(recovered)
    finally:
        recovered.close(snapshot=False)
    return sorted(
        name for name in before.keys() | after.keys() if name != "clock" and before.get(name) != after.get(name)
    )
