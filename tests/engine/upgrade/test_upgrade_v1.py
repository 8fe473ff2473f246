"""Upgrading: a data directory written by the previous release (durable format 1: a pickled snapshot) opens on this
release, is brought to the current format on first start, and its instances finish where they waited."""

import contextlib
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from engine.durable import DurableEngine, IncompatibleDataDirError, open_durable_engine
from engine.durable.store import DATABASE_NAME, FORMAT_VERSION
from engine.state import IncidentState, JobState, ProcessInstance
from engine.testing.consistency import state_violations
from tests.engine.dmn.dinner import JANUARY_DINNER

FIXTURE = Path(__file__).parent / "data-v1"
FIXTURE_DMN = Path(__file__).parent / "data-v1-dmn"  # the same, written by the last format-1 release, with decisions
# the fixture's instances by their nomorPermohonan (make_v1_fixture.py)
WAITING = ("P-di-timer", "P-di-pesan", "P-di-tugas", "P-di-job", "P-insiden")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    return target


def _format(data_dir: Path) -> int:
    with contextlib.closing(sqlite3.connect(data_dir / DATABASE_NAME)) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def by_number(engine: DurableEngine) -> dict[str, ProcessInstance]:
    """The fixture's instances by their nomorPermohonan."""
    return {
        engine.element_instance(pi.key).variables["nomorPermohonan"]: pi  # type: ignore[union-attr]
        for pi in engine.process_instances.values()
    }


def assert_as_written(engine: DurableEngine) -> None:
    """The state make_v1_fixture.py left: two instances ended, the others waiting where they were."""
    assert state_violations(engine) == []
    assert {n: pi.state for n, pi in by_number(engine).items()} == {
        "P-selesai": "COMPLETED",
        "P-dibatalkan": "TERMINATED",
        **dict.fromkeys(WAITING, "ACTIVE"),
    }


def finish_waiting(engine: DurableEngine) -> None:
    """Drives every waiting instance of the fixture to its end – the incident resolved, the job and the user task
    completed, the messages published, the timer fired – and checks that nothing is left and no key was reused."""
    instances = by_number(engine)
    last_key, last_position = engine.keys.last, engine.records[-1].position
    [incident] = [i for i in engine.incidents.values() if i.state is IncidentState.ACTIVE]
    assert (incident.error_type, incident.element_id) == ("JOB_NO_RETRIES", "Periksa")
    assert incident.job_key is not None
    engine.update_job_retries(incident.job_key, 1)
    engine.resolve_incident(incident.key)
    for activated in engine.activate_jobs("periksa", "pemeriksa", 60_000, 10, []):
        engine.complete_job(activated.job.key, {"diperiksa": True})
    for task in list(engine.user_tasks.values()):
        if task.state == "CREATED":
            assert task.candidate_groups == ["verifikator"]
            engine.complete_user_task(task.key, {"disetujui": True})
    for number in ("P-di-pesan", "P-di-tugas", "P-di-job", "P-insiden"):
        engine.publish_message("balasan", number, 0, "", {"balasan": "lengkap"})
    engine.clock.increase(timedelta(hours=3))
    engine.process_due()
    assert {n: instances[n].state for n in WAITING} == dict.fromkeys(WAITING, "COMPLETED")
    assert not engine.jobs and not engine.timers and not engine.subscriptions
    assert not engine.messages  # the buffered message expired in the meantime
    created = [r.key for r in engine.records if r.position > last_position and r.intent == "ELEMENT_ACTIVATING"]
    assert created and min(created) > last_key  # the key sequence goes on: no key given twice
    assert state_violations(engine) == []


def test_the_previous_release_s_data_directory_is_migrated_and_its_instances_finish(data_dir: Path) -> None:
    assert _format(data_dir) == 1
    engine = open_durable_engine(data_dir, controlled_clock=True)
    try:
        assert_as_written(engine)
        finish_waiting(engine)
    finally:
        engine.close(snapshot=False)
    reopened = open_durable_engine(data_dir, controlled_clock=True)  # the new format, its log applied
    try:
        assert all(pi.state != "ACTIVE" for pi in reopened.process_instances.values())
        assert not any(j.state is JobState.ACTIVATABLE for j in reopened.jobs.values())
    finally:
        reopened.close()
    assert _format(data_dir) == FORMAT_VERSION


def test_a_previous_release_s_directory_with_commands_after_its_snapshot_is_refused_with_what_to_do(
    data_dir: Path,
) -> None:
    """Its commands would have to be executed by the old release's code: the operator is told how to proceed, and
    nothing in the directory is changed."""
    with contextlib.closing(sqlite3.connect(data_dir / DATABASE_NAME)) as db:
        db.execute("INSERT INTO log (seq, entry) VALUES (22, x'00')")
        db.commit()
    with pytest.raises(IncompatibleDataDirError, match="hentikan dengan bersih"):
        open_durable_engine(data_dir, controlled_clock=True)
    assert _format(data_dir) == 1


def test_the_dmn_release_s_data_directory_keeps_its_decisions(tmp_path: Path) -> None:
    """The last format-1 release (main with DMN, make_v1_fixture.py --dmn) kept its deployed decisions in its pickled
    snapshot: they are carried into the decision store with their keys and versions, the latest version answers, a
    deployment of the same file again is a duplicate, and its instances are there as in the older fixture."""
    data_dir = tmp_path / "data"
    shutil.copytree(FIXTURE_DMN, data_dir)
    assert _format(data_dir) == 1
    engine = open_durable_engine(data_dir, controlled_clock=True)
    try:
        assert state_violations(engine) == []
        store = engine.decision_store
        assert sorted((d.decision_id, d.version) for d in store.decisions.values()) == [
            (decision, version) for decision in ("beverages", "dish", "guestCount", "season") for version in (1, 2)
        ]
        [first, second] = sorted(store.requirements.values(), key=lambda r: r.version)
        assert (first.requirements_id, first.version, second.version) == ("dinnerDecisions", 1, 2)
        assert [d.decision_id for d in store.decisions_of(second.key)] == ["beverages", "dish", "season", "guestCount"]
        evaluated = engine.evaluate_decision("dish", variables=JANUARY_DINNER)
        assert evaluated.decision.requirements_key == second.key and evaluated.result.decision_output == "Stew"
        assert evaluated.key > max(store.decisions)  # the key sequence goes on
        again = engine.deploy([("dinner.dmn", second.resource)])
        assert {r.key for r in again.resources} == {second.key, *(d.key for d in store.decisions_of(second.key))}
        assert sorted(pi.state for pi in engine.process_instances.values()) == [
            "ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "COMPLETED", "TERMINATED"
        ]  # fmt: skip
    finally:
        engine.close()
    assert _format(data_dir) == FORMAT_VERSION
