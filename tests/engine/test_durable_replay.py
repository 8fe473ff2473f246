"""Durable engine in process: replaying the command log (from the start or after a snapshot) reproduces the exact
state the engine had – every record, key, variable, job, timer, subscription, message, incident and user task –
over a workload of timers, messages, incidents, user tasks, call activities, errors, signals and job streams."""

import asyncio
import inspect
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.durable import DurableEngine, DurableError, StorageError, open_durable_engine
from engine.durable.engine import COMMANDS, KEY_TAKING_READS
from engine.durable.store import Store
from engine.durable.verify import full_state
from engine.engine import Engine
from engine.errors import EngineError
from engine.feel import FeelError, FeelResult, UnaryTestsResult
from engine.state import JobState
from engine.state.keys import RESERVATION_BLOCK
from tests.engine.bpmn_harness import (
    boundary,
    bpmn,
    call_activity,
    catch,
    end,
    error,
    error_ref,
    ext,
    flow,
    io,
    message,
    message_ref,
    service,
    signal,
    signal_ref,
    start,
    timer,
)

MAIN = bpmn(
    "main",
    start("Start"),
    service("Work", "work", io(inputs=(("=string(now())", "startedAt"),))),
    boundary("Remind", "Work", timer("timeDuration", "PT30M"), interrupting=False),
    end("Reminded"),
    f'<bpmn:userTask id="Approve">{ext("<zeebe:userTask />")}</bpmn:userTask>',
    catch(
        "Reply",
        message_ref("Msg_Reply"),
    ),
    catch("Wait", timer("timeDuration", "PT10M")),
    call_activity("CallChild", "child", attrs='propagateAllChildVariables="true"'),
    service("Risky", "risky", retries="1"),
    boundary("Caught", "Risky", error_ref("Err_Bad")),
    end("Failed"),
    end("Done"),
    flow("f1", "Start", "Work"),
    flow("f2", "Work", "Approve"),
    flow("f3", "Approve", "Reply"),
    flow("f4", "Reply", "Wait"),
    flow("f5", "Wait", "CallChild"),
    flow("f6", "CallChild", "Risky"),
    flow("f7", "Risky", "Done"),
    flow("f8", "Caught", "Failed"),
    flow("f9", "Remind", "Reminded"),
    extra=message("Msg_Reply", "reply", "=id") + error("Err_Bad", "BAD"),
)
CHILD = bpmn(
    "child",
    start("ChildStart"),
    service("ChildWork", "child-work", io(outputs=(("=id * 10", "childResult"),))),
    end("ChildEnd"),
    flow("c1", "ChildStart", "ChildWork"),
    flow("c2", "ChildWork", "ChildEnd"),
)
SIGNALLED = bpmn(
    "signalled",
    start("SignalStart", signal_ref("Sig_Go")),
    service("Signalled", "signalled"),
    end("SignalEnd"),
    flow("s1", "SignalStart", "Signalled"),
    flow("s2", "Signalled", "SignalEnd"),
    extra=signal("Sig_Go", "go"),
)


def jobs_of(engine: Engine, job_type: str) -> list[int]:
    return [j.key for j in engine.jobs.values() if j.type == job_type]


WORKLOAD_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def workload(engine: DurableEngine, checkpoint: Callable[[], None]) -> None:
    """Drives the engine through every kind of command; `checkpoint` runs in the middle."""
    engine.clock.pin(WORKLOAD_START)  # one instant for every engine a test compares
    engine.deploy([("main.bpmn", MAIN), ("child.bpmn", CHILD)])
    engine.deploy([("signalled.bpmn", SIGNALLED)])
    engine.deploy([("main.bpmn", MAIN), ("child.bpmn", CHILD)])  # a duplicate: no new version
    for n in range(4):
        engine.create_process_instance(bpmn_process_id="main", variables={"id": n, "note": f"order {n}"})
    with pytest.raises(EngineError):
        engine.create_process_instance(bpmn_process_id="nope")
    engine.publish_message("reply", "3", 60_000, "m-3", {"answer": "early"})  # buffered before its subscription
    activated = engine.activate_jobs("work", "w1", 60_000, 2, [])
    assert len(activated) == 2
    engine.clock.increase(timedelta(minutes=31))  # the reminder fires for every work task; two time out
    engine.process_due()
    stream = engine.open_job_stream("work", "streamer", 5_000, ["id"])  # pushes the 4 activatable jobs
    assert stream.queue.qsize() == 4
    first = stream.queue.get_nowait()
    engine.complete_job(first.job.key, {"worked": True})
    engine.close_job_stream(stream)  # 3 pushed but never sent: given back
    for key in jobs_of(engine, "work"):
        engine.complete_job(key, {"worked": True})
    checkpoint()
    tasks = sorted(engine.user_tasks)
    engine.assign_user_task(tasks[0], "ani")
    for key in tasks:
        engine.complete_user_task(key, {"approved": True})
    for n in range(3):
        engine.publish_message("reply", str(n), 0, "", {"answer": n})
    engine.clock.increase(timedelta(minutes=11))
    engine.process_due()
    child_stream = engine.open_job_stream("child-work", "children", 10_000, [])
    while not child_stream.queue.empty():
        engine.complete_job(child_stream.queue.get_nowait().job.key, {})
    engine.close_job_stream(child_stream)
    risky = jobs_of(engine, "risky")
    engine.fail_job(risky[0], 0, "down", 0, {"attempt": 1})  # an incident
    engine.throw_error(risky[1], "BAD", "bad input", {"why": "bad"})  # caught by the boundary
    engine.fail_job(risky[2], 2, "flaky", 60_000, {})  # back-off
    incident = next(iter(engine.incidents))
    engine.update_job_retries(risky[0], 2)
    engine.resolve_incident(incident)
    engine.set_variables(next(iter(engine.process_instances)), {"late": "yes"}, False)
    engine.update_job_timeout(engine.activate_jobs("risky", "w3", 1_000, 1, [])[0].job.key, 300_000)
    engine.broadcast_signal("go", {"from": "test"})
    engine.clock.increase(timedelta(minutes=2))
    engine.process_due()  # the back-off ends
    assert any(j.state is JobState.ACTIVATED for j in engine.jobs.values())


@pytest.mark.parametrize("snapshot_at", ["none", "middle", "end"])
async def test_recovery_reproduces_the_exact_state(tmp_path: Path, snapshot_at: str) -> None:
    """Opening the data directory again yields the state the engine had – with the log replayed from the start,
    after a snapshot taken in the middle (with a job stream's pushes before it), or from a snapshot alone."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    workload(engine, engine.snapshot if snapshot_at == "middle" else lambda: None)
    if snapshot_at == "end":
        engine.snapshot()
    before = full_state(engine)
    engine.close(snapshot=False)  # as if killed: no snapshot at the stop
    recovered = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        after = full_state(recovered)
        assert after.keys() == before.keys()
        for name in before:
            assert after[name] == before[name], name
    finally:
        recovered.close()


class StarvedFeel:
    """A FEEL evaluator on a machine so busy that every expression runs into its time limit."""

    calls = 0

    def evaluate(self, expression: str, context: Mapping[str, Any], now: datetime) -> FeelResult:
        StarvedFeel.calls += 1
        raise FeelError.failed(expression, "the evaluation took longer than 10 seconds")

    def unary_tests(
        self, input_expression: str, tests: Sequence[str], context: Mapping[str, Any], now: datetime
    ) -> UnaryTestsResult:
        StarvedFeel.calls += 1
        raise FeelError.failed(input_expression, "the evaluation took longer than 10 seconds")


async def test_recovery_applies_events_whatever_the_clock_and_the_cpu(tmp_path: Path) -> None:
    """Recovery runs no behaviour, no FEEL and reads no clock: on a starved machine (every FEEL evaluation times
    out) with the clock running on real time, years after the workload, the recovered state is the same – no
    incident decided again, no time read again."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    workload(engine, lambda: None)
    before = full_state(engine)
    engine.close(snapshot=False)
    recovered = open_durable_engine(tmp_path, controlled_clock=False, feel=StarvedFeel())
    try:
        after = full_state(recovered)
        assert StarvedFeel.calls == 0
        for name in before:
            if name != "clock":
                assert after[name] == before[name], name
    finally:
        recovered.close()


async def test_a_recovered_engine_continues_after_the_reserved_keys(tmp_path: Path) -> None:
    """After recovery the next commands give the records the engine would have given without a stop, with keys after
    the block reserved before it (engine/state/keys.py): no key handed out before the stop is handed out again."""
    engine = open_durable_engine(tmp_path / "a", controlled_clock=True)
    workload(engine, lambda: None)
    last, reserved = engine.keys.last, engine.state.keys.reserved
    assert last < reserved <= last + RESERVATION_BLOCK
    engine.close(snapshot=False)
    recovered = open_durable_engine(tmp_path / "a", controlled_clock=True)
    reference = open_durable_engine(tmp_path / "b", controlled_clock=True)
    workload(reference, lambda: None)
    try:
        for subject in (recovered, reference):
            subject.clock.pin(reference.now())
        for subject in (recovered, reference):
            subject.create_process_instance(bpmn_process_id="main", variables={"id": 9})
            subject.clock.increase(timedelta(hours=2))
            subject.process_due()

        def shifted(key: int | None) -> int | None:  # a key the reference took after the stop, as recovered took it
            return key + reserved - last if key is not None and key > last else key

        expected = [
            (*r[:3], shifted(r[3]), r[4], shifted(r[5]), *r[6:8], shifted(r[8]))
            for r in full_state(reference)["history"]
        ]
        assert full_state(recovered)["history"] == expected
        new_keys = [r.key for r in recovered.records if r.key > last]
        assert new_keys and min(new_keys) > reserved
        assert recovered.keys.last == reference.keys.last + reserved - last
    finally:
        recovered.close()
        reference.close()


async def test_commands_that_change_nothing_are_not_logged(tmp_path: Path) -> None:
    """Long polls that find no job and scheduler ticks with nothing due add nothing to the log."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        engine.deploy([("child.bpmn", CHILD)])
        logged = engine._durable_store.last_seq
        for _ in range(10):
            assert engine.activate_jobs("child-work", "w", 1000, 5, []) == []
            engine.process_due()
        assert engine._durable_store.last_seq == logged
    finally:
        engine.close()
    await asyncio.sleep(0)


async def test_a_command_that_cannot_be_written_stops_the_engine_taking_commands(tmp_path: Path) -> None:
    """When the log cannot be written, that command fails and every later one is refused (the memory holds a
    change the log lacks); opened again, the data directory has every command acknowledged before."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    engine.deploy([("child.bpmn", CHILD)])
    acknowledged = engine.create_process_instance(bpmn_process_id="child", variables={"id": 1}).key
    engine._durable_store._db.close()  # the disk is gone
    with pytest.raises(StorageError, match="berhenti menerima perintah"):
        engine.create_process_instance(bpmn_process_id="child", variables={"id": 2})
    with pytest.raises(StorageError, match="berhenti menerima perintah"):
        engine.activate_jobs("child-work", "w", 1000, 5, [])
    engine.close()
    recovered = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        assert list(recovered.process_instances) == [acknowledged]
    finally:
        recovered.close()


async def test_disk_full_a_refused_command_leaves_nothing_visible_and_the_restart_has_what_was_acknowledged(
    tmp_path: Path,
) -> None:
    """The disk fills up (SQLite's page limit, as a full disk answers): the command that cannot be written is
    refused, and what it did is not visible afterwards (the state is read back from the data directory); later
    commands are refused with what to do. Restarted, the engine has every acknowledged instance and nothing else."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    engine.deploy([("child.bpmn", CHILD)])
    acknowledged = engine.create_process_instance(bpmn_process_id="child", variables={"id": 1}).key
    db = engine._durable_store._db
    db.execute(f"PRAGMA max_page_count={db.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(StorageError, match="disk is full"):
        engine.create_process_instance(bpmn_process_id="child", variables={"id": 2, "berkas": "x" * 20_000})
    assert list(engine.process_instances) == [acknowledged]
    assert [j.process_instance_key for j in engine.jobs.values()] == [acknowledged]
    with pytest.raises(StorageError, match="jalankan ulang mesin"):
        engine.publish_message("reply", "1", 0, "", {})
    engine.close()
    recovered = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        assert list(recovered.process_instances) == [acknowledged]
        created = recovered.create_process_instance(bpmn_process_id="child", variables={"id": 3}).key
        assert created > acknowledged
    finally:
        recovered.close()


async def test_a_restart_with_the_disk_still_full_recovers_and_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restarted while the disk is still full (nothing can be written: not the snapshot after the recovery, not a
    command), the engine recovers what was acknowledged and serves it; a command is refused with what happened and
    what to do – never with advice to use another data directory."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    engine.deploy([("child.bpmn", CHILD)])
    acknowledged = engine.create_process_instance(bpmn_process_id="child", variables={"id": 1}).key
    engine.close(snapshot=False)

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise StorageError(f"Perintah tidak dapat disimpan ke direktori data {tmp_path}: database or disk is full.")

    monkeypatch.setattr(Store, "save_snapshot", disk_full)
    monkeypatch.setattr(Store, "append", disk_full)
    recovered = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        assert list(recovered.process_instances) == [acknowledged]
        with pytest.raises(StorageError) as refused:
            recovered.create_process_instance(bpmn_process_id="child", variables={"id": 2})
        message = str(refused.value)
        assert "disk is full" in message and "jalankan ulang mesin setelah masalah penyimpanan diatasi" in message
        assert "direktori data lain" not in message
        assert list(recovered.process_instances) == [acknowledged]
    finally:
        recovered.close()


async def test_snapshots_wait_for_a_quiet_moment_unless_the_log_grows_to_twice_the_interval(tmp_path: Path) -> None:
    """Past `snapshot_every` commands a snapshot is taken once the engine is idle; at twice as many at once."""
    engine = open_durable_engine(tmp_path, controlled_clock=True, snapshot_every=5)
    store = engine._durable_store
    try:
        engine.deploy([("child.bpmn", CHILD)])
        for n in range(4):
            engine.create_process_instance(bpmn_process_id="child", variables={"id": n})
        assert (store.last_seq, store.snapshot_seq) == (5, 0)  # due, but commands keep coming
        for n in range(5):
            engine.create_process_instance(bpmn_process_id="child", variables={"id": n})
        assert store.snapshot_seq == 10  # twice the interval: taken at once
        for n in range(5):
            engine.create_process_instance(bpmn_process_id="child", variables={"id": n})
        loop = asyncio.get_running_loop()
        give_up = loop.time() + 30
        while store.snapshot_seq != 15:
            assert loop.time() < give_up, "no snapshot in a quiet moment"
            await asyncio.sleep(0.05)
        assert store.log_after(0) == []
    finally:
        engine.close()
    recovered = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        assert len(recovered.process_instances) == 14
    finally:
        recovered.close()


def test_every_public_engine_method_that_runs_a_command_is_logged() -> None:
    """A public Engine method that runs a command, wakes job streams or takes a key is one DurableEngine logs: a
    method added to the engine later cannot change state unlogged without this failing."""
    runs_commands = {
        name
        for name, function in inspect.getmembers(Engine, inspect.isfunction)
        if not name.startswith("_")
        and any(call in inspect.getsource(function) for call in ("self._command(", "self._wake(", "self.keys.next("))
    }
    assert runs_commands
    assert runs_commands <= set(COMMANDS) | set(KEY_TAKING_READS) | {"open_job_stream", "close_job_stream"}


async def test_a_key_taken_outside_a_logged_command_is_refused(tmp_path: Path) -> None:
    """Handing out a key outside a logged command (which a replay would give to something else) raises, instead of
    silently shifting every later key."""
    engine = open_durable_engine(tmp_path)
    try:
        with pytest.raises(DurableError, match="outside a logged command"):
            engine.keys.next()
        engine.deploy([("child.bpmn", CHILD)])  # inside a command: fine
    finally:
        engine.close()


async def test_recovery_across_sealed_history_chunks(tmp_path: Path) -> None:
    """Thousands of records – history chunks sealed before, between and after two snapshots – come back complete
    and in order, each sealed chunk stored once."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    engine.clock.pin(engine.clock.now())
    engine.deploy([("child.bpmn", CHILD)])

    def run(count: int) -> None:
        for n in range(count):
            engine.create_process_instance(bpmn_process_id="child", variables={"id": n})
        for activated in engine.activate_jobs("child-work", "w", 60_000, count, []):
            engine.complete_job(activated.job.key, {})

    run(500)
    engine.snapshot()
    run(500)
    engine.snapshot()
    run(300)
    before = full_state(engine)
    assert len(before["history"]) > 3 * 4096
    engine.close(snapshot=False)
    recovered = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        after = full_state(recovered)
        for name in before:
            assert after[name] == before[name], name
    finally:
        recovered.close()


ENDLESS = bpmn(
    "endless",
    start("Start"),
    '<bpmn:exclusiveGateway id="Again" default="Out" />',
    '<bpmn:manualTask id="Spin" />',
    end("End"),
    flow("In", "Start", "Again"),
    flow("Loop", "Again", "Spin", "=true"),
    flow("Out", "Again", "End"),
    flow("Back", "Spin", "Again"),
)


async def test_an_instance_looping_in_turns_recovers_in_the_same_interleaving_and_loops_on(tmp_path: Path) -> None:
    """An instance looping without a wait state runs MAX_STEPS_PER_TURN steps per turn of the event loop while
    other commands (a creation, a job activated and completed) are served in between; the log keeps where each
    turn ran, so the recovered state is the same, and the recovered engine resumes the loop until it is cancelled."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    engine.clock.pin(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    engine.deploy([("endless.bpmn", ENDLESS), ("child.bpmn", CHILD)])
    looping = engine.create_process_instance(bpmn_process_id="endless").key
    assert engine.steps_deferred
    await asyncio.sleep(0)
    engine.create_process_instance(bpmn_process_id="child")
    await asyncio.sleep(0)
    [job] = engine.activate_jobs("child-work", "w", 60_000, 1, [])
    await asyncio.sleep(0)
    engine.complete_job(job.job.key, {})
    await asyncio.sleep(0)
    before = full_state(engine)
    engine.close(snapshot=False)
    assert len([r for r in before["history"] if r[6] == "Spin"]) > 1_000

    recovered = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        after = full_state(recovered)
        for name in before:
            assert after[name] == before[name], name
        assert recovered.steps_deferred  # the loop goes on in later turns
        for _ in range(3):
            await asyncio.sleep(0)
        assert recovered.records[-1].position > before["history"][-1][0]
        recovered.cancel_process_instance(looping)
        for _ in range(3):
            await asyncio.sleep(0)
        assert recovered.process_instances[looping].state == "TERMINATED"
        assert not recovered._steps and not recovered.steps_deferred
    finally:
        recovered.close()
