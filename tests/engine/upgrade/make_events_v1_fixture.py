"""Makes the event-version test's fixture: a data directory written by the engine at commit adf5422 (the event-log
core before its sequence-flow records carried the flow's id: SEQUENCE_FLOW_TAKEN version 1, event id 7), stopped
without a snapshot so that its log holds the events, with one instance waiting at a parallel join that one branch
has reached (a join token, put there by a version-1 event) and one at the fork's two jobs.

    .venv/bin/python -m tests.engine.upgrade.make_events_v1_fixture

Like make_v1_fixture.py it checks that commit out with `git worktree` into a temporary directory, builds its FEEL
bundle with this checkout's node_modules, runs the old engine there in a subprocess and copies the data directory to
tests/engine/upgrade/data-events-v1/. The old code is run from git, not copied into the repository.
"""

from pathlib import Path

from tests.engine.upgrade.old_release import write_fixture

RELEASE = "adf5422"
TARGET = Path(__file__).resolve().parent / "data-events-v1"

WORKLOAD = r'''
import sys
from datetime import UTC, datetime
from pathlib import Path

from engine.durable import open_durable_engine

DIAGRAM = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="paralel" isExecutable="true">
    <bpmn:startEvent id="Mulai"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="Bagi"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:serviceTask id="Berkas">
      <bpmn:extensionElements><zeebe:taskDefinition type="berkas" /></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:serviceTask id="Identitas">
      <bpmn:extensionElements><zeebe:taskDefinition type="identitas" /></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:parallelGateway id="Gabung"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="Selesai"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="Mulai" targetRef="Bagi" />
    <bpmn:sequenceFlow id="f2" sourceRef="Bagi" targetRef="Berkas" />
    <bpmn:sequenceFlow id="f3" sourceRef="Bagi" targetRef="Identitas" />
    <bpmn:sequenceFlow id="f4" sourceRef="Berkas" targetRef="Gabung" />
    <bpmn:sequenceFlow id="f5" sourceRef="Identitas" targetRef="Gabung" />
    <bpmn:sequenceFlow id="f6" sourceRef="Gabung" targetRef="Selesai" />
  </bpmn:process>
</bpmn:definitions>
"""

engine = open_durable_engine(Path(sys.argv[1]), controlled_clock=True)
engine.clock.pin(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
engine.deploy([("paralel.bpmn", DIAGRAM)])
half = engine.create_process_instance(bpmn_process_id="paralel", variables={"nomorPermohonan": "P-separuh"}).key
engine.create_process_instance(bpmn_process_id="paralel", variables={"nomorPermohonan": "P-baru"})
job = next(j.key for j in engine.jobs.values() if j.process_instance_key == half and j.type == "berkas")
engine.complete_job(job, {"berkas": "lengkap"})  # the token waits at the join
engine.close(snapshot=False)  # as if killed: the log keeps every event
print(engine._durable_store.last_seq, "log entries")
'''


def main() -> int:
    write_fixture(RELEASE, WORKLOAD, TARGET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
