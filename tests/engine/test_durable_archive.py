"""Archive chunks: what finished is stored once, in the chunk of the first snapshot after it finished; the snapshot
document holds only the live state. Recovered from snapshots taken at several points, from a format-2 directory
(the archive inside its document), from an export, and after a snapshot the full disk refused, the state is the
one the engine had."""

import contextlib
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from engine.durable import DurableEngine, StorageError, open_durable_engine
from engine.durable.store import DATABASE_NAME, FORMAT_VERSION
from engine.durable.transfer import _canonical, export_data_dir, import_file
from engine.durable.verify import full_state, replay_differences
from engine.testing.consistency import state_violations
from tests.engine.dmn.dinner import JANUARY_DINNER
from tests.engine.test_durable_replay import CHILD, workload
from tests.engine.upgrade.test_upgrade_v1 import _format

FIXTURE_V2 = Path(__file__).parent / "upgrade" / "data-v2"  # make_v2_fixture.py


def _stored(source: Path | DurableEngine) -> tuple[dict[str, Any], list[bytes]]:
    """The snapshot document and the archive chunks, as the data directory holds them (read through the running
    engine's connection, which holds the database exclusively)."""
    with contextlib.ExitStack() as stack:
        if isinstance(source, DurableEngine):
            db = source._durable_store._db
        else:
            db = stack.enter_context(contextlib.closing(sqlite3.connect(source / DATABASE_NAME)))
        document = json.loads(db.execute("SELECT state FROM snapshot").fetchone()[0])
        chunks = [bytes(r) for _, r in db.execute("SELECT chunk, rows FROM archive ORDER BY chunk").fetchall()]
    return document, chunks


def _run(engine: DurableEngine, count: int, *, finish: bool = True) -> list[int]:
    keys = [
        engine.create_process_instance(bpmn_process_id="child", variables={"id": n, "berkas": "x" * 500}).key
        for n in range(count)
    ]
    if finish:
        jobs = [j.key for j in engine.jobs.values() if j.process_instance_key in keys]
        for key in jobs:
            engine.complete_job(key, {})
    return keys


def _assert_same(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert after.keys() == before.keys()
    for name, value in before.items():
        assert after[name] == value, name


async def test_each_snapshot_stores_only_what_finished_since_the_one_before(tmp_path: Path) -> None:
    engine = open_durable_engine(tmp_path, controlled_clock=True, snapshot_every=10**9)
    engine.clock.pin(engine.clock.now())
    engine.deploy([("child.bpmn", CHILD)])
    [waiting] = _run(engine, 1, finish=False)
    first = _run(engine, 20)
    engine.snapshot()
    document, chunks = _stored(engine)
    assert len(chunks) == 1 and document["archive_chunks"] == 1
    # the document: the live instance only; the archive, the finished instances, the variable keys in the chunk
    assert [row[0] for row in document["process_instances"]] == [waiting]
    assert document["archive"] == document["variable_keys"] == []
    assert [row[0] for row in json.loads(chunks[0])["process_instances"]] == first

    engine.snapshot()  # nothing finished since: no chunk
    assert len(_stored(engine)[1]) == 1
    second = _run(engine, 15)
    engine.snapshot()
    _, after = _stored(engine)
    assert after[0] == chunks[0]  # written once, never again
    chunk = json.loads(after[1])
    assert [row[0] for row in chunk["process_instances"]] == second
    assert {row[1] for row in chunk["archive"]} == set(second)
    assert len(chunk["variable_keys"]) == 15 * 2 + 15  # id, berkas; childResult

    before = full_state(engine)
    engine.close(snapshot=False)
    recovered = open_durable_engine(tmp_path, controlled_clock=True, snapshot_every=10**9)
    try:
        _assert_same(before, full_state(recovered))
        assert state_violations(recovered) == []
        [job] = recovered.activate_jobs("child-work", "w", 60_000, 1, [])
        recovered.complete_job(job.job.key, {})
        recovered.snapshot()
        _, last = _stored(recovered)
        assert last[:2] == after and [row[0] for row in json.loads(last[2])["process_instances"]] == [waiting]
        assert recovered.process_instances[waiting].state == "COMPLETED"
    finally:
        recovered.close()


@pytest.mark.parametrize("kill_after", ["snapshot", "commands"])
async def test_recovery_from_snapshots_taken_at_several_points(tmp_path: Path, kill_after: str) -> None:
    """The whole workload with a snapshot in the middle and one at its end, then more instances (killed right after
    a snapshot, or with commands in the log after it), a restart, more again: the state is the one the engine had,
    each time."""
    engine = open_durable_engine(tmp_path, controlled_clock=True, snapshot_every=10**9)
    workload(engine, engine.snapshot)
    engine.snapshot()
    _run(engine, 30)
    if kill_after == "snapshot":
        engine.snapshot()
    assert replay_differences(engine) == []
    engine = open_durable_engine(tmp_path, controlled_clock=True, snapshot_every=10**9)
    _run(engine, 10)
    engine.snapshot()
    _run(engine, 5, finish=False)
    assert len(_stored(engine)[1]) >= 3
    assert replay_differences(engine) == []


async def test_a_format_2_directory_loads_and_its_next_snapshot_moves_the_archive_into_chunks(tmp_path: Path) -> None:
    """A directory of the release that kept the archive inside the snapshot document (make_v2_fixture.py): its
    finished instances, variables and decision instances are there; its waiting instances finish; the clean stop
    writes format 3 – the archive in a chunk – and the state recovered from that is the same."""
    data_dir = tmp_path / "data"
    shutil.copytree(FIXTURE_V2, data_dir)
    assert _format(data_dir) == 2
    engine = open_durable_engine(data_dir, controlled_clock=True)
    states = sorted(pi.state for pi in engine.process_instances.values())
    assert states == ["ACTIVE", "ACTIVE", "COMPLETED", "COMPLETED", "COMPLETED"]
    assert state_violations(engine) == []
    finished = [pi for pi in engine.process_instances.values() if pi.state == "COMPLETED"]
    assert [pi.final_variables["nomorPermohonan"] for pi in finished if pi.final_variables] == ["P-0", "P-1", "P-2"]
    assert all(engine.element_instance(pi.key) is not None for pi in finished)  # their archived element instances
    assert len(engine.state.decisions.instances) >= 1
    assert engine.evaluate_decision("dish", variables=JANUARY_DINNER).result.decision_output == "Roastbeef"
    for activated in engine.activate_jobs("berkas", "w", 60_000, 10, []) + engine.activate_jobs(
        "identitas", "w", 60_000, 10, []
    ):
        engine.complete_job(activated.job.key, {})
    assert {pi.state for pi in engine.process_instances.values()} == {"COMPLETED"}
    before = full_state(engine)
    engine.close()
    assert _format(data_dir) == FORMAT_VERSION
    document, chunks = _stored(data_dir)
    assert len(chunks) == 1 and document["process_instances"] == document["archive"] == []
    assert len(json.loads(chunks[0])["process_instances"]) == 5
    recovered = open_durable_engine(data_dir, controlled_clock=True)
    try:
        _assert_same(before, full_state(recovered))
    finally:
        recovered.close()


async def test_export_and_import_of_a_directory_with_archive_chunks(tmp_path: Path) -> None:
    """The export holds the archive in its document; the imported directory stores it as a chunk and recovers the
    same state. An export of the previous release (snapshot format 2) imports too."""
    source = tmp_path / "mesin"
    engine = open_durable_engine(source, controlled_clock=True, snapshot_every=10**9)
    engine.clock.pin(engine.clock.now())
    engine.deploy([("child.bpmn", CHILD)])
    _run(engine, 10)
    engine.snapshot()
    _run(engine, 10)
    engine.snapshot()
    _run(engine, 3, finish=False)
    expected = full_state(engine)
    engine.close()
    export = tmp_path / "mesin.json"
    export_data_dir(source, export)
    document = json.loads(export.read_bytes())
    assert len(document["content"]["state"]["archive"]) == len(engine.state.instances.archive)

    old = dict(document, snapshot_format=2)
    old_state = {k: v for k, v in document["content"]["state"].items() if k != "archive_chunks"}
    old["content"] = dict(document["content"], state=dict(old_state, format=2))
    old["sha256"] = hashlib.sha256(_canonical(old["content"])).hexdigest()
    old_export = tmp_path / "lama.json"
    old_export.write_text(json.dumps(old), encoding="utf-8")

    for made, target in ((export, tmp_path / "baru"), (old_export, tmp_path / "dari-lama")):
        import_file(made, target)
        stored, chunks = _stored(target)
        assert len(chunks) == 1 and len(stored["process_instances"]) == 3
        imported = open_durable_engine(target, controlled_clock=True)
        try:
            actual = full_state(imported)
            for name in expected:
                if name != "clock":
                    assert actual[name] == expected[name], name
        finally:
            imported.close()


async def test_a_snapshot_the_full_disk_refuses_leaves_the_previous_one_usable(tmp_path: Path) -> None:
    """The disk fills up while a snapshot is written (its archive chunk does not fit): the snapshot is refused as a
    whole, the engine goes on, the previous snapshot and the log still recover everything; the next snapshot, once
    there is room, writes the chunk it could not."""
    engine = open_durable_engine(tmp_path, controlled_clock=True, snapshot_every=10**9)
    engine.clock.pin(engine.clock.now())
    engine.deploy([("child.bpmn", CHILD)])
    _run(engine, 10)
    engine.snapshot()
    document, chunks = _stored(engine)
    _run(engine, 40)
    db = engine._durable_store._db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count={pages}")
    with pytest.raises(StorageError, match="Snapshot tidak dapat disimpan"):
        engine.snapshot()
    db.execute("PRAGMA max_page_count=1073741823")
    assert _stored(engine) == (document, chunks)
    _run(engine, 2)  # still taking commands
    before = full_state(engine)
    engine.close(snapshot=False)
    recovered = open_durable_engine(tmp_path, controlled_clock=True, snapshot_every=10**9)  # replays, snapshots
    try:
        _assert_same(before, full_state(recovered))
        _, after = _stored(recovered)
        assert after[0] == chunks[0] and len(after) == 2
        assert len(json.loads(after[1])["process_instances"]) == 42
    finally:
        recovered.close()
