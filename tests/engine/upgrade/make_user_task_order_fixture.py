"""Makes the user-task-order test's fixture: a data directory written by the engine at commit 6066478 (before Camunda
user tasks were created in Zeebe 8.8's order: there the element was ELEMENT_ACTIVATED before its task's records, a
task without creating listeners had no USER_TASK CREATING and was ASSIGNED without ASSIGNING), stopped without a
snapshot so that its log holds the events:

- P-langsung: a task with an assignee from the model and no listeners (CREATED, then ASSIGNED);
- P-menunggu: a task with a creating listener and an assignee, CREATING, its listener's job waiting;
- P-selesai: the same, its listener's job completed (CREATED, then ASSIGNED).

    .venv/bin/python -m tests.engine.upgrade.make_user_task_order_fixture

Like make_events_v1_fixture.py it checks that commit out with `git worktree` into a temporary directory, runs the
old engine there in a subprocess and copies the data directory to tests/engine/upgrade/data-user-task-order/. The
old code is run from git, not copied into the repository. The test runs the same workload (WORKLOAD_STEPS) on this
release to compare the states.
"""

from pathlib import Path

from tests.engine.upgrade.old_release import write_fixture

RELEASE = "6066478"
TARGET = Path(__file__).resolve().parent / "data-user-task-order"

DIAGRAM = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="langsung" isExecutable="true">
    <bpmn:startEvent id="Mulai"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Periksa">
      <bpmn:extensionElements><zeebe:userTask /><zeebe:assignmentDefinition assignee="ani" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="Selesai"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="Mulai" targetRef="Periksa" />
    <bpmn:sequenceFlow id="f2" sourceRef="Periksa" targetRef="Selesai" />
  </bpmn:process>
  <bpmn:process id="dengar" isExecutable="true">
    <bpmn:startEvent id="Mulai2"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Tinjau">
      <bpmn:extensionElements><zeebe:userTask /><zeebe:assignmentDefinition assignee="budi" />
        <zeebe:taskListeners><zeebe:taskListener eventType="creating" type="saat-dibuat" /></zeebe:taskListeners>
      </bpmn:extensionElements>
      <bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="Selesai2"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="g1" sourceRef="Mulai2" targetRef="Tinjau" />
    <bpmn:sequenceFlow id="g2" sourceRef="Tinjau" targetRef="Selesai2" />
  </bpmn:process>
</bpmn:definitions>
"""

# the workload, on an engine given as `engine` (the old release's in the fixture, this release's in the test)
WORKLOAD_STEPS = f"""
from datetime import UTC, datetime

engine.clock.pin(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
engine.deploy([("urutan.bpmn", {DIAGRAM!r})])
engine.create_process_instance(bpmn_process_id="langsung", variables={{"nomorPermohonan": "P-langsung"}})
engine.create_process_instance(bpmn_process_id="dengar", variables={{"nomorPermohonan": "P-menunggu"}})
done = engine.create_process_instance(bpmn_process_id="dengar", variables={{"nomorPermohonan": "P-selesai"}}).key
job = next(j.key for j in engine.jobs.values() if j.process_instance_key == done)
engine.complete_job(job, {{}}, {{}})
"""

WORKLOAD = f"""
import sys
from pathlib import Path

from engine.durable import open_durable_engine

engine = open_durable_engine(Path(sys.argv[1]), controlled_clock=True)
{WORKLOAD_STEPS}
engine.close(snapshot=False)  # stopped as if killed, so that the log holds every event
"""

if __name__ == "__main__":
    write_fixture(RELEASE, WORKLOAD, TARGET)
