"""The engine's state as bytes, and back: what a snapshot stores.

The state is every attribute of the engine except the ones listed in RUNTIME_ATTRIBUTES (its clock, FEEL
evaluator and parser, the waiting callers and job streams of the connections now open, the gateway's counters)
and the history, which only grows and is stored apart in chunks (`history_rows`). Taking every other attribute,
rather than a list of the state's, keeps an index or cache added to the executor later in the snapshot without
anyone remembering to add it here; the replay test compares the whole state and fails if it is not.

Process models are not pickled with the state: a snapshot stores each definition's resource bytes and re-parses
them on load (a model is derived data, and its objects may hold what does not pickle). Objects of a model referenced
from the state – the ProcessModel of a definition, a FlowNode in a cache – are written as references to the
definition's key (pickle's persistent ids) and resolve to the re-parsed model's objects.

pickle is used for speed and because the state holds datetimes, sets and enums; a data directory is trusted like
the engine's own code (it is written by the engine, under the operator's account, and never received over the
network).
"""

import io
import itertools
import pickle
from typing import Any

from engine.engine import Engine
from engine.model import FlowNode, ProcessModel

# attributes of Engine (and DurableEngine) that are not state: rebuilt by the constructor, or belonging to the
# connections and the process that are gone after a restart
RUNTIME_ATTRIBUTES = frozenset(
    {
        "clock",
        "expressions",
        "_parser",
        "_history",  # stored apart (history_rows)
        "_steps",
        "_running",
        "_job_waiters",
        "_job_streams",
        "_result_waiters",
        "_touched_job_types",
        "_finished_instances",
        "on_change",
        "commands",
        "_command_time",
        "inflight",
        "open_polls",
        "last_poll",
    }
)
DURABLE_PREFIX = "_durable_"  # DurableEngine's own attributes

_PROTOCOL = pickle.HIGHEST_PROTOCOL


def state_attributes(engine: Engine) -> dict[str, Any]:
    """The engine's state: its attributes minus the runtime ones."""
    return {
        name: value
        for name, value in vars(engine).items()
        if name not in RUNTIME_ATTRIBUTES and not name.startswith(DURABLE_PREFIX)
    }


class _StatePickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, engine: Engine) -> None:
        super().__init__(file, _PROTOCOL)
        self._refs: dict[int, tuple[Any, ...]] = {}
        for key, definition in engine.definitions.items():
            self._refs[id(definition.model)] = ("model", key)
            for element_id, node in definition.model.elements.items():
                self._refs[id(node)] = ("node", key, element_id)

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, ProcessModel | FlowNode):
            ref = self._refs.get(id(obj))
            if ref is None:
                raise pickle.PicklingError(f"a process model object outside the deployed definitions: {obj!r:.80}")
            return ref
        if type(obj) is itertools.count:
            # pickling itertools.count is deprecated (gone in Python 3.14): its next value, from its repr "count(n)"
            text = repr(obj)
            if not (text.startswith("count(") and text.endswith(")") and "," not in text):
                raise pickle.PicklingError(f"only a count with step 1 can be stored, not {text}")
            return ("count", int(text[6:-1]))
        return None


class _StateUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, models: dict[int, ProcessModel]) -> None:
        super().__init__(file)
        self._models = models

    def persistent_load(self, pid: Any) -> Any:
        match pid:
            case ("model", int(key)):
                return self._models[key]
            case ("node", int(key), str(element_id)):
                return self._models[key].elements[element_id]
            case ("count", int(start)):
                return itertools.count(start)
        raise pickle.UnpicklingError(f"unknown reference in a snapshot: {pid!r}")


def dump_state(engine: Engine) -> bytes:
    """The engine's state (without its history) as bytes."""
    resources = {key: (d.resource_name, d.resource, d.bpmn_process_id) for key, d in engine.definitions.items()}
    body = io.BytesIO()
    _StatePickler(body, engine).dump(state_attributes(engine))
    return pickle.dumps((resources, body.getvalue()), _PROTOCOL)


def load_state(engine: Engine, data: bytes) -> None:
    """Puts the state `dump_state` gave into a freshly constructed engine (which parses the models again)."""
    resources, body = pickle.loads(data)
    parsed: dict[tuple[str, bytes], list[ProcessModel]] = {}
    models: dict[int, ProcessModel] = {}
    for key, (resource_name, content, bpmn_process_id) in resources.items():
        if (resource_name, content) not in parsed:
            parsed[(resource_name, content)] = engine._parser.parse(resource_name, content)
        models[key] = next(m for m in parsed[(resource_name, content)] if m.bpmn_process_id == bpmn_process_id)
    state = _StateUnpickler(io.BytesIO(body), models).load()
    vars(engine).update(state)


def dump_history(rows: list[tuple[Any, ...]]) -> bytes:
    return pickle.dumps(rows, _PROTOCOL)


def load_history(data: bytes) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = pickle.loads(data)
    return rows
