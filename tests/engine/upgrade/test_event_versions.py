"""The upgrade rule for events: a changed event gets a new id and applier, and the old id keeps its old applier, so a
log written by an earlier release is applied as that release applied it.

SEQUENCE_FLOW_TAKEN changed in this line of work: version 1 (id 7) recorded no flow id, element type or scope;
version 2 (id 15) records them. The fixture data-events-v1/ is a data directory written by the engine at adf5422
(make_events_v1_fixture.py), stopped without a snapshot: its log holds version-1 events, among them the one that left
a token waiting at a parallel join."""

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from engine.durable import open_durable_engine
from engine.durable.store import DATABASE_NAME
from engine.durable.verify import replay_differences
from engine.events import catalogue as ev
from engine.testing.consistency import state_violations
from tests.engine.upgrade.fixture_data import copy_fixture, instance_numbered

FIXTURE = Path(__file__).parent / "data-events-v1"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return copy_fixture(FIXTURE, tmp_path)


def _logged_event_ids(data_dir: Path) -> list[int]:
    with contextlib.closing(sqlite3.connect(data_dir / DATABASE_NAME)) as db:
        return [
            event[0]
            for (entry,) in db.execute("SELECT entry FROM log ORDER BY seq")
            for event in json.loads(entry)["e"]
        ]


def test_an_earlier_release_s_log_is_applied_with_the_old_event_version_s_applier(data_dir: Path) -> None:
    assert ev.SEQUENCE_FLOW_TAKEN_V1.id in _logged_event_ids(data_dir)
    assert ev.SEQUENCE_FLOW_TAKEN.id not in _logged_event_ids(data_dir)
    engine = open_durable_engine(data_dir, controlled_clock=True)
    try:
        flows = [r for r in engine.records if r.intent == "SEQUENCE_FLOW_TAKEN"]
        assert len(flows) == 7  # three per instance to the fork's tasks, one to the join
        # as version 1 recorded them: no flow id, element type or scope
        assert {(r.element_id, r.bpmn_element_type, r.flow_scope_key) for r in flows} == {(None, None, None)}
        # and the state it changed as it did: one token of the two waits at the join
        half, fresh = instance_numbered(engine, "P-separuh"), instance_numbered(engine, "P-baru")
        assert engine.join_tokens(half) == {"Gabung": {"f4": 1}}
        assert engine.join_tokens(fresh) == {}
        assert state_violations(engine) == []
        last_position = engine.records[-1].position
        for job in engine.activate_jobs("identitas", "w", 60_000, 10, []):
            engine.complete_job(job.job.key, {})
        assert engine.process_instances[half].state == "COMPLETED"  # the old token joined with the new one
        for job in engine.activate_jobs("berkas", "w", 60_000, 10, []):
            engine.complete_job(job.job.key, {})
        assert engine.process_instances[fresh].state == "COMPLETED"
        new_flows = [r for r in engine.records if r.position > last_position and r.intent == "SEQUENCE_FLOW_TAKEN"]
        assert {r.element_id for r in new_flows} == {"f4", "f5", "f6"}  # version 2 from now on
        assert all(r.bpmn_element_type == "SEQUENCE_FLOW" and r.flow_scope_key for r in new_flows)
        store = engine._durable_store
        ids = [event[0] for _seq, entry in store.log_after(store.snapshot_seq) for event in json.loads(entry)["e"]]
        # the old entries went into the snapshot the recovery took (their records as version 1 made them); this
        # release logs version 2
        assert ev.SEQUENCE_FLOW_TAKEN_V1.id not in ids and ev.SEQUENCE_FLOW_TAKEN.id in ids
        assert replay_differences(engine) == []  # stopped without a snapshot and recovered again: the same state
    finally:
        engine.close()
