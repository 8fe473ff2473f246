"""The sealed archive chunks: what only grows with finished work, stored once instead of in every snapshot.

Four parts of the state only ever grow, and what is in them never changes again: the archive of finished element
instances (engine/state/instances.py), the process instances that finished (their row, written once with their
root's archive entry), the index of variable keys, and the decision instances. Each lives in an insertion-ordered
dict that nothing deletes from, so what was added since the last snapshot is the tail of each, found from the end
(`reversed`) in time proportional to that tail. A snapshot writes that tail as one chunk (`seal`), stored once in
the `archive` table next to the snapshot, in the same transaction; the snapshot document holds only the rest (the
live process instances) and the number of chunks it follows (`archive_chunks`). Recovery reads the chunks back in
order (`load_chunk`), then the document.

A chunk is a JSON object {"archive": [...], "process_instances": [...], "variable_keys": [...],
"decision_instances": [...]}, each row as the snapshot document of format 2 wrote it (engine/durable/snapshot.py).
"""

import itertools
from dataclasses import dataclass
from typing import Any

import orjson

from engine.events.codec import decode_instant, decode_optional, dumps, encode_instant, encode_optional
from engine.state.engine_state import EngineState
from engine.state.values import ProcessInstance

ROOT_SCOPE = 7  # FinishedElement.flow_scope_key: None for a process instance's root
ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class ArchiveMark:
    """How much of each ever-growing part the stored chunks hold."""

    chunks: int = 0
    elements: int = 0  # archive entries
    finished: int = 0  # finished process instances
    variables: int = 0  # variable keys
    decisions: int = 0  # decision instances


def _tail(values: Any, count: int) -> list[Any]:
    """The last `count` items of an insertion-ordered view, oldest first (read from the end: O(count))."""
    items = list(itertools.islice(reversed(values), count))
    items.reverse()
    return items


def seal(state: EngineState, mark: ArchiveMark) -> tuple[bytes | None, ArchiveMark]:
    """The chunk of what was added since `mark` (None when nothing was) and the mark once it is stored."""
    instances = state.instances
    archive = instances.archive
    elements = _tail(archive.values(), len(archive) - mark.elements)
    finished: list[ProcessInstance] = []
    for entry in elements:
        if entry[ROOT_SCOPE] is None:
            pi = instances.process_instances.get(entry[0])
            if pi is not None and pi.state != ACTIVE:
                finished.append(pi)
    scopes = instances.variable_scopes
    names = instances.variable_names
    variables = [[scope, names[key], key] for key, scope in _tail(scopes.items(), len(scopes) - mark.variables)]
    decisions = state.decisions.instances
    decision_rows = _tail(decisions.values(), len(decisions) - mark.decisions)
    if not (elements or variables or decision_rows):
        return None, mark
    chunk = {
        "archive": [encode_finished(entry) for entry in elements],
        "process_instances": [encode_process_instance(pi) for pi in finished],
        "variable_keys": variables,
        "decision_instances": [encode_decision_instance(row) for row in decision_rows],
    }
    after = ArchiveMark(
        mark.chunks + 1,
        len(archive),
        mark.finished + len(finished),
        len(scopes),
        len(decisions),
    )
    return chunk_bytes(chunk), after


def chunk_bytes(chunk: dict[str, Any]) -> bytes:
    """A chunk's JSON, written by orjson (several times faster than the standard encoder). Every value in it came
    into the state through a logged event, which the standard encoder wrote or would have written (it refuses NaN
    and the infinities, so none is here for orjson to write as null): the two give the same JSON values, floats
    perhaps spelled otherwise (1e-7 for 1e-07, the same number). What orjson cannot write (an integer beyond 64
    bits, a key that is not a string) goes to the standard encoder."""
    try:
        return orjson.dumps(chunk)
    except orjson.JSONEncodeError:
        return dumps(chunk).encode()


def live_process_instances(state: EngineState, mark: ArchiveMark) -> list[ProcessInstance]:
    """The process instances the chunks up to `mark` do not hold: those whose root is live (found from the live
    element instances, O(live)). Should the count not add up, every process instance not sealed is taken instead
    (O(all), never less than correct)."""
    instances = state.instances
    process_instances = instances.process_instances
    live = [
        pi
        for inst in instances.live.values()
        if inst.flow_scope_key is None and (pi := process_instances.get(inst.key)) is not None
    ]
    if len(live) + mark.finished == len(process_instances):
        live.sort(key=lambda pi: pi.key)
        return live
    archive = instances.archive
    return [pi for pi in process_instances.values() if pi.state == ACTIVE or pi.key not in archive]


def load_chunk(data: Any, state: EngineState, mark: ArchiveMark) -> ArchiveMark:
    """Adds one stored chunk (decoded JSON) to a state being recovered; returns the mark after it."""
    if not isinstance(data, dict):
        raise TypeError("an archive chunk is not a JSON object")
    decode_archive(data, state)
    instances = state.instances
    return ArchiveMark(
        mark.chunks + 1,
        len(instances.archive),
        mark.finished + len(data.get("process_instances", ())),
        len(instances.variable_scopes),
        len(state.decisions.instances),
    )


def order_process_instances(state: EngineState) -> None:
    """After recovery from chunks (finished instances, in the order they ended) and a document (the live ones): the
    process instances in the order they were created, which is their keys' order, as a state never stored has them."""
    process_instances = state.instances.process_instances
    ordered = sorted(process_instances.items())
    process_instances.clear()
    process_instances.update(ordered)


# ====================================================================== rows (as the snapshot document writes them)
def encode_process_instance(pi: ProcessInstance) -> list[Any]:
    """Its tags last, only when it has some (a row without them decodes to none)."""
    return [pi.key, pi.bpmn_process_id, pi.version, pi.process_definition_key, pi.state,
            encode_instant(pi.started_at), encode_optional(pi.ended_at), pi.final_variables,
            pi.parent_process_instance_key, pi.parent_element_instance_key, pi.element_keys,
            *([list(pi.tags)] if pi.tags else [])]  # fmt: skip


def encode_finished(entry: tuple[Any, ...]) -> list[Any]:
    values = list(entry)
    values[9] = encode_instant(values[9])  # started_at
    values[10] = encode_optional(values[10])  # ended_at
    return values


def encode_decision_instance(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "evaluationDate": encode_instant(row["evaluationDate"])}


def decode_archive(parts: dict[str, Any], state: EngineState) -> None:
    """Process instances, archive entries, variable keys and decision instances (each optional) of a chunk or of
    a snapshot document, added to the state in the order written."""
    instances = state.instances
    for row in parts.get("process_instances", ()):
        pi = ProcessInstance(row[0], row[1], row[2], row[3], row[4], decode_instant(row[5]), decode_optional(row[6]),
                             row[7], row[8], row[9], list(row[10]),
                             tuple(row[11]) if len(row) > 11 else ())  # fmt: skip
        instances.process_instances[pi.key] = pi
    archive = instances.archive
    for row in parts.get("archive", ()):
        values = list(row)
        values[9] = decode_instant(values[9])
        values[10] = decode_optional(values[10])
        archive[values[0]] = tuple(values)
    for scope, name, key in parts.get("variable_keys", ()):
        instances.note_variable_key(scope, name, key)
    decisions = state.decisions.instances
    for row in parts.get("decision_instances", ()):
        decisions[row["decisionEvaluationInstanceKey"]] = {
            **row,
            "evaluationDate": decode_instant(row["evaluationDate"]),
        }
