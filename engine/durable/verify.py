"""Checks that a durable engine's data directory reproduces its state: for tests (`pytest --durable`)."""

from typing import Any

from engine.durable.engine import DurableEngine, open_durable_engine
from engine.durable.snapshot import encode_state
from engine.engine import Engine


def full_state(engine: Engine) -> dict[str, Any]:
    """Everything a recovery must reproduce, comparable with ==: each part of the state as a snapshot writes it,
    the history, the clock; of the key sequence the key it continues after (durable: the reserved block's end)."""
    state = dict(encode_state(engine.state))
    state["keys"] = engine.state.keys.reserved
    # of the due index only what is due when counts: the sequence numbers of entries dropped as stale differ
    state["due"] = sorted((due, kind, key) for due, _seq, kind, key in state["due"]["entries"])
    state["history"] = [tuple(r) for r in engine.records]
    state["clock"] = engine.now()
    return state


def replay_differences(engine: DurableEngine) -> list[str]:
    """Closes the engine without a snapshot, recovers its data directory by applying the logged events, and names
    what the recovered state has different (nothing, when durable mode works). The clock is left out (real time
    moves)."""
    before = full_state(engine)
    controlled = engine.clock.controlled
    engine.close(snapshot=False)
    recovered = open_durable_engine(engine.data_dir, controlled_clock=controlled)
    try:
        after = full_state(recovered)
    finally:
        recovered.close(snapshot=False)
    return sorted(
        name for name in before.keys() | after.keys() if name != "clock" and before.get(name) != after.get(name)
    )
