"""Camunda user tasks are now created in Zeebe 8.8's order (USER_TASK CREATING, the first creating listener's job or
CREATED, then the element ACTIVATED, then ASSIGNING and ASSIGNED for the model's assignee). The events are the same
as before, in another order, so no event changed its id: a log of the earlier release, where the element was
ELEMENT_ACTIVATED before its task's records, still recovers – to the state this release makes of the same workload.

The fixture data-user-task-order/ is a data directory written by the engine at 6066478
(make_user_task_order_fixture.py), stopped without a snapshot: its log holds the old order."""

from pathlib import Path

import pytest

from engine.durable import DurableEngine, open_durable_engine
from engine.durable.verify import full_state, replay_differences
from engine.state import UserTaskState
from engine.testing.consistency import state_violations
from tests.engine.upgrade.fixture_data import copy_fixture, instance_numbered
from tests.engine.upgrade.make_user_task_order_fixture import WORKLOAD_STEPS

FIXTURE = Path(__file__).parent / "data-user-task-order"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return copy_fixture(FIXTURE, tmp_path)


def _trail(engine: DurableEngine, pi: int) -> list[tuple[str, str]]:
    """The records of the instance's user task: its element's, its task's and its listener jobs'."""
    return [
        (r.value_type, r.intent)
        for r in engine.records
        if r.process_instance_key == pi
        and (
            r.value_type in ("USER_TASK", "JOB")
            or (r.value_type == "PROCESS_INSTANCE" and r.element_id in ("Periksa", "Tinjau"))
        )
    ]


def test_an_earlier_release_s_log_in_the_old_order_recovers_to_the_state_this_release_makes(
    data_dir: Path, tmp_path: Path
) -> None:
    engine = open_durable_engine(data_dir, controlled_clock=True)
    fresh = open_durable_engine(tmp_path / "fresh", controlled_clock=True)
    try:
        exec(WORKLOAD_STEPS, {"engine": fresh})  # the fixture's own workload, from this repository
        # the records as the earlier release wrote them: the element activated first, no CREATING without listeners
        direct = instance_numbered(engine, "P-langsung")
        assert _trail(engine, direct) == [
            ("PROCESS_INSTANCE", "ELEMENT_ACTIVATING"),
            ("PROCESS_INSTANCE", "ELEMENT_ACTIVATED"),
            ("USER_TASK", "CREATED"),
            ("USER_TASK", "ASSIGNED"),
        ]
        assert _trail(fresh, instance_numbered(fresh, "P-langsung")) == [
            ("PROCESS_INSTANCE", "ELEMENT_ACTIVATING"),
            ("USER_TASK", "CREATING"),
            ("USER_TASK", "CREATED"),
            ("PROCESS_INSTANCE", "ELEMENT_ACTIVATED"),
            ("USER_TASK", "ASSIGNING"),
            ("USER_TASK", "ASSIGNED"),
        ]
        # and the state they made is the one this release makes of the same workload: keys, element instances,
        # tasks (states, assignees, creation dates), listener jobs – all but the history's order
        old, new = full_state(engine), full_state(fresh)
        assert sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name)) == ["history"]
        assert state_violations(engine) == []

        waiting, done = instance_numbered(engine, "P-menunggu"), instance_numbered(engine, "P-selesai")
        tasks = {t.process_instance_key: t for t in engine.user_tasks.values()}
        assert (tasks[direct].state, tasks[direct].assignee) == (UserTaskState.CREATED, "ani")
        assert (tasks[waiting].state, tasks[waiting].assignee) == (UserTaskState.CREATING, "budi")
        assert (tasks[done].state, tasks[done].assignee) == (UserTaskState.CREATED, "budi")

        # the task created by the old release goes on in this one: its creating listener done, it is CREATED
        # without the model's assignee, then ASSIGNING and ASSIGNED to it
        last_position = engine.records[-1].position
        (job,) = engine.activate_jobs("saat-dibuat", "uji", 60_000, 1, [])
        engine.complete_job(job.job.key, {}, {})
        new_records = [(r.value_type, r.intent) for r in engine.records if r.position > last_position]
        assert [(v, i) for v, i in new_records if v == "USER_TASK"] == [
            ("USER_TASK", "CREATED"),
            ("USER_TASK", "ASSIGNING"),
            ("USER_TASK", "ASSIGNED"),
        ]
        for task in list(engine.user_tasks.values()):
            engine.complete_user_task(task.key, {"hasil": "diterima"})
        assert {engine.process_instances[pi].state for pi in (direct, waiting, done)} == {"COMPLETED"}
        assert replay_differences(engine) == []
    finally:
        fresh.close(snapshot=False)
        engine.close(snapshot=False)
