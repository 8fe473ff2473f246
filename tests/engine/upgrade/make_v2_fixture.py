"""Makes the format-2 upgrade fixture: a data directory written by the release whose snapshot document held the
archive of finished instances itself (durable format 2, main at 6066478), stopped cleanly (a snapshot, the log
empty), with finished instances (their element instances in the archive, their variables' keys), one evaluated
decision (decision instances), one instance waiting at a parallel join and one at the fork's two jobs.

    .venv/bin/python -m tests.engine.upgrade.make_v2_fixture

Like make_v1_fixture.py it runs that commit from a temporary `git worktree` (old_release.py) and copies the data
directory to tests/engine/upgrade/data-v2/. The old code is run from git, not copied into the repository.
"""

from pathlib import Path

from tests.engine.upgrade.make_events_v1_fixture import WORKLOAD as EVENTS_V1_WORKLOAD
from tests.engine.upgrade.old_release import write_fixture

RELEASE = "6066478"
TARGET = Path(__file__).resolve().parent / "data-v2"

# the diagram of the event-version fixture; then finished instances, a decision, and a clean stop
WORKLOAD = (
    EVENTS_V1_WORKLOAD.split("engine = open_durable_engine")[0]
    + r"""
from tests.engine.dmn.dinner import DISH_DRD, JANUARY_DINNER

engine = open_durable_engine(Path(sys.argv[1]), controlled_clock=True)
engine.clock.pin(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
engine.deploy([("paralel.bpmn", DIAGRAM)])
engine.deploy([("dinner.dmn", DISH_DRD)])
for n in range(3):
    key = engine.create_process_instance(bpmn_process_id="paralel", variables={"nomorPermohonan": f"P-{n}"}).key
    for job in [j.key for j in engine.jobs.values() if j.process_instance_key == key]:
        engine.complete_job(job, {"hasil": n})
print(engine.evaluate_decision("dish", variables=JANUARY_DINNER).result.decision_output)
half = engine.create_process_instance(bpmn_process_id="paralel", variables={"nomorPermohonan": "P-separuh"}).key
engine.create_process_instance(bpmn_process_id="paralel", variables={"nomorPermohonan": "P-baru"})
job = next(j.key for j in engine.jobs.values() if j.process_instance_key == half and j.type == "berkas")
engine.complete_job(job, {"berkas": "lengkap"})  # the token waits at the join
engine.close()  # a clean stop: a snapshot (format 2: the archive inside the document), the log emptied
print({key: pi.state for key, pi in engine.process_instances.items()})
"""
)


def main() -> int:
    write_fixture(RELEASE, WORKLOAD, TARGET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
