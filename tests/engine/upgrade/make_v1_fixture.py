"""Makes the upgrade test's fixture: a data directory written by the engine as released at commit 60b4853 (durable
format 1, pickled snapshots and a command log), with instances waiting at a job, an incident, a user task, a message
and a timer, and finished ones.

    .venv/bin/python -m tests.engine.upgrade.make_v1_fixture
    .venv/bin/python -m tests.engine.upgrade.make_v1_fixture --dmn

With `--dmn`: the same workload on the last format-1 release, main at 8564f9b (DMN deployed and evaluated), plus two
versions of the dinner decisions and an evaluation, into tests/engine/upgrade/data-v1-dmn/.

It checks that commit out with `git worktree` into a temporary directory, builds the FEEL bundle there from that
commit's engine/feel/entry.js with this checkout's node_modules, runs the old engine from it in a subprocess and
copies its data directory to tests/engine/upgrade/data-v1/. The old code is run from git, not copied into the
repository.
"""

import sys
from pathlib import Path

from tests.engine.upgrade.old_release import write_fixture

RELEASE = "60b4853"
TARGET = Path(__file__).resolve().parent / "data-v1"
DMN_RELEASE = "8564f9b"
DMN_TARGET = Path(__file__).resolve().parent / "data-v1-dmn"

WORKLOAD = r'''
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.durable import open_durable_engine

DIAGRAM = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="Msg_Balasan" name="balasan">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=nomorPermohonan" /></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:process id="upgrade" isExecutable="true">
    <bpmn:startEvent id="Mulai"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="Periksa">
      <bpmn:extensionElements><zeebe:taskDefinition type="periksa" retries="2" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="Pengingat" attachedToRef="Periksa" cancelActivity="false">
      <bpmn:outgoing>f7</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="Diingatkan"><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
    <bpmn:userTask id="Setujui" name="Setujui permohonan">
      <bpmn:extensionElements><zeebe:userTask /><zeebe:assignmentDefinition candidateGroups="verifikator" />
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="Balasan">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="Msg_Balasan" />
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="Tunggu">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="Selesai"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="Mulai" targetRef="Periksa" />
    <bpmn:sequenceFlow id="f2" sourceRef="Periksa" targetRef="Setujui" />
    <bpmn:sequenceFlow id="f3" sourceRef="Setujui" targetRef="Balasan" />
    <bpmn:sequenceFlow id="f4" sourceRef="Balasan" targetRef="Tunggu" />
    <bpmn:sequenceFlow id="f5" sourceRef="Tunggu" targetRef="Selesai" />
    <bpmn:sequenceFlow id="f7" sourceRef="Pengingat" targetRef="Diingatkan" />
  </bpmn:process>
</bpmn:definitions>
"""

engine = open_durable_engine(Path(sys.argv[1]), controlled_clock=True)
engine.clock.pin(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
engine.deploy([("upgrade.bpmn", DIAGRAM)])
keys = {}
for name in ("selesai", "di-timer", "di-pesan", "di-tugas", "di-job", "insiden", "dibatalkan"):
    keys[name] = engine.create_process_instance(
        bpmn_process_id="upgrade", variables={"nomorPermohonan": f"P-{name}", "jumlah": len(name)}
    ).key


def job_of(name):
    return next(j.key for j in engine.jobs.values() if j.process_instance_key == keys[name])


def task_of(name):
    tasks = engine.user_tasks.values()
    return next(t.key for t in tasks if t.process_instance_key == keys[name] and t.state == "CREATED")


for name in ("selesai", "di-timer", "di-pesan", "di-tugas"):
    engine.complete_job(job_of(name), {"diperiksa": True})
engine.fail_job(job_of("insiden"), 0, "layanan tidak tersedia", 0, {})
engine.cancel_process_instance(keys["dibatalkan"])
for name in ("selesai", "di-timer", "di-pesan"):
    engine.complete_user_task(task_of(name), {"disetujui": True})
engine.publish_message("balasan", "P-selesai", 0, "", {"balasan": "lengkap"})
engine.clock.increase(timedelta(minutes=61))
engine.process_due()  # "selesai" passes its timer (due 02:00) and ends
engine.publish_message("balasan", "P-di-timer", 0, "", {"balasan": "lengkap"})  # its timer is due at 03:01
engine.publish_message("balasan", "P-baru", 3_600_000, "m-1", {"balasan": "tersimpan"})  # buffered until 03:01
if len(sys.argv) > 2:  # the release with DMN: two versions of the dinner decisions, one evaluation
    from tests.engine.dmn.dinner import DISH_DRD, JANUARY_DINNER

    engine.deploy([("dinner.dmn", DISH_DRD)])
    engine.deploy([("dinner.dmn", DISH_DRD.replace(b'"Roastbeef"', b'"Stew"'))])
    print(engine.evaluate_decision("dish", variables=JANUARY_DINNER).result.decision_output)
engine.close()  # a clean stop: a snapshot, the log emptied
states = {name: engine.process_instances[key].state for name, key in keys.items()}
print(states)
'''


def main() -> int:
    dmn = "--dmn" in sys.argv[1:]
    release, target = (DMN_RELEASE, DMN_TARGET) if dmn else (RELEASE, TARGET)
    write_fixture(release, WORKLOAD, target, ["dmn"] if dmn else [])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
