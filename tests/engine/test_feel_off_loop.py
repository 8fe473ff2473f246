"""FEEL off the event loop: an expression that runs for seconds does not hold the engine's other clients.

Every client is served from one event loop. An expression still running after a short slice there stops its step,
goes on in a thread of its own, and the step resumes with its result; meanwhile other commands, gRPC and REST, are
answered. These tests assert the order of the answers (the other client's before the costly instance's), never a
duration.
"""

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.durable import open_durable_engine
from engine.durable.verify import replay_differences
from engine.engine import Engine
from engine.feel import FeelinEvaluator
from engine.testing import EmbeddedEngine
from engine.testing.consistency import assert_consistent
from tests.engine.bpmn_builder import chain, flow, process, service_task, simple_service_process
from tests.engine.rest_helpers import get
from tests.engine.rpc_helpers import activate_one, create

# runs for a second or more in feelin, whatever the machine: far past the slice an expression gets on the loop
COUNT = 1_500_000
COSTLY = f"count(for i in 1..{COUNT} return i)"
# shorter, but far past the slice the tests of where a suspended step resumes give the engine
SHORTER = 400_000
SHORTER_COSTLY = f"count(for i in 1..{SHORTER} return i)"


async def until(condition: Callable[[], bool], what: str) -> None:
    """Waits (yielding the event loop) until `condition` holds; generous, so a loaded machine only makes it slower."""
    for _ in range(30_000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still waiting for {what}")


def costly_gateway() -> bytes:
    """A gateway whose condition costs seconds: the many path when it holds, the default path otherwise."""
    return process(
        "hitungBanyak",
        '<bpmn:startEvent id="Mulai" /><bpmn:exclusiveGateway id="Cek" default="KeSedikit" />'
        '<bpmn:endEvent id="Banyak" /><bpmn:endEvent id="Sedikit" />'
        + flow("KeCek", "Mulai", "Cek")
        + flow("KeBanyak", "Cek", "Banyak", f"={COSTLY} > 1000")
        + flow("KeSedikit", "Cek", "Sedikit"),
    )


def costly_output_mapping() -> bytes:
    """A service task whose output mapping costs seconds."""
    mapping = f'<zeebe:ioMapping><zeebe:output source="={COSTLY}" target="jumlah" /></zeebe:ioMapping>'
    return process(
        "hitungKeluaran",
        '<bpmn:startEvent id="Mulai" />'
        + service_task("Hitung", "hitung", extensions=mapping)
        + '<bpmn:endEvent id="Selesai" />'
        + chain("Mulai", "Hitung", "Selesai"),
    )


async def test_a_costly_gateway_condition_lets_other_clients_in_and_then_decides(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """While the condition is evaluated, a Topology, another process's instance and a REST read are answered; then
    the costly instance completes on the path its condition chose."""
    engine.engine.deploy([("banyak.bpmn", costly_gateway()), ("simple.bpmn", simple_service_process())])
    request = pb.CreateProcessInstanceWithResultRequest(
        request=pb.CreateProcessInstanceRequest(bpmnProcessId="hitungBanyak", version=-1), requestTimeout=600_000
    )
    costly = asyncio.ensure_future(gateway.CreateProcessInstanceWithResult(request))
    await until(lambda: engine.engine.steps_deferred, "the condition to go off the event loop")

    assert (await gateway.Topology(pb.TopologyRequest())).brokers
    assert not costly.done()
    other = await create(gateway, "simple")
    assert not costly.done()
    async with aiohttp.ClientSession(base_url=engine.rest_url) as http:
        read = await get(http, f"/v2/process-instances/{other}")
    assert read["state"] == "ACTIVE"
    assert not costly.done()  # every other answer came while the condition was still being evaluated

    result = await costly
    engine.assert_that(result.processInstanceKey).is_completed().has_passed("Banyak").has_not_passed("Sedikit")
    assert [job.process_instance_key for job in engine.jobs("do-work")] == [other]
    assert_consistent(engine.engine)


async def test_a_costly_output_mapping_is_applied_after_the_job_completion_was_answered(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """CompleteJob is answered once the job is completed; the output mapping's value arrives later, and a REST read
    in between sees the instance still running."""
    engine.engine.deploy([("keluaran.bpmn", costly_output_mapping())])
    key = await create(gateway, "hitungKeluaran")
    job = await activate_one(gateway, "hitung")
    await gateway.CompleteJob(pb.CompleteJobRequest(jobKey=job.key, variables=json.dumps({"dari": "pekerja"})))
    assert engine.engine.steps_deferred  # the completion's output mapping goes on off the event loop
    async with aiohttp.ClientSession(base_url=engine.rest_url) as http:
        read = await get(http, f"/v2/process-instances/{key}")
    assert read["state"] == "ACTIVE"

    await until(lambda: engine.process_instance(key).state != "ACTIVE", "the instance to complete")
    engine.assert_that(key).is_completed().has_passed("Hitung", "Selesai")
    assert engine.variables(key) == {"jumlah": COUNT}
    assert_consistent(engine.engine)


async def test_an_instance_cancelled_while_its_condition_runs_stays_cancelled(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """The cancellation is answered at once; the condition's result, when it arrives, finds nothing to continue."""
    engine.engine.deploy([("banyak.bpmn", costly_gateway())])
    key = await create(gateway, "hitungBanyak")
    assert engine.engine.steps_deferred
    await gateway.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=key))
    engine.assert_that(key).is_terminated()

    await until(lambda: not engine.engine.steps_deferred, "the condition's result")
    engine.assert_that(key).is_terminated().has_not_passed("Banyak").has_not_passed("Sedikit")
    assert not engine.active_elements(key)
    assert not engine.incidents(key)
    assert_consistent(engine.engine)


async def test_a_crash_while_a_condition_runs_off_the_loop_resumes_it_after_recovery(tmp_path: Path) -> None:
    """Nothing was decided while the condition ran: the log holds the suspended step, and the recovered engine
    evaluates the condition again and goes on; replaying the log gives the same state."""
    core = open_durable_engine(tmp_path)
    core.deploy([("banyak.bpmn", costly_gateway())])
    key = core.create_process_instance(bpmn_process_id="hitungBanyak").key
    assert core.steps_deferred
    core.close(snapshot=False)  # as if killed while the condition was evaluated

    recovered = open_durable_engine(tmp_path)
    try:
        await until(lambda: not recovered.steps_deferred, "the recovered engine to resume the condition")
        assert recovered.process_instances[key].state == "COMPLETED"
        passed = {e.element_id for e in recovered.element_instances.values() if e.process_instance_key == key}
        assert "Sedikit" not in passed
        assert [r.element_id for r in recovered.records if r.intent == "ELEMENT_COMPLETED"][-2:] == [
            "Banyak",
            "hitungBanyak",
        ]
        assert not replay_differences(recovered)
    finally:
        recovered.close()


async def test_a_time_out_off_the_loop_is_an_incident_that_recovery_applies_and_never_decides_again(
    tmp_path: Path,
) -> None:
    """An expression that runs past the FEEL time limit off the loop stops with an incident at its element, written
    as an event; a recovery with an evaluator that would have had time for it keeps the incident."""
    feel = FeelinEvaluator(timeout=0.3)
    core = open_durable_engine(tmp_path, feel=feel)
    core.deploy([("banyak.bpmn", costly_gateway())])
    key = core.create_process_instance(bpmn_process_id="hitungBanyak").key
    assert core.steps_deferred
    await until(lambda: not core.steps_deferred, "the condition's time-out")
    [incident] = core.incidents.values()
    assert (incident.error_type, incident.element_id) == ("EXTRACT_VALUE_ERROR", "Cek")
    assert "took longer than 0.3 s" in incident.error_message
    core.close(snapshot=False)
    feel.close()

    recovered = open_durable_engine(tmp_path)  # the default evaluator, 10 s: the condition would hold in time
    try:
        [kept] = recovered.incidents.values()
        assert (kept.key, kept.error_message) == (incident.key, incident.error_message)
        assert recovered.process_instances[key].state == "ACTIVE"
        assert not recovered.steps_deferred
    finally:
        recovered.close()


# ---------------------------------------------------------------- where a suspended step resumes

SCRIPT = process(
    "skrip",
    '<bpmn:startEvent id="Mulai" />'
    '<bpmn:scriptTask id="Hitung"><bpmn:extensionElements>'
    f'<zeebe:script expression="={SHORTER_COSTLY}" resultVariable="jumlah" />'
    "</bpmn:extensionElements></bpmn:scriptTask>"
    + service_task("Periksa", "periksa")
    + chain("Mulai", "Hitung", "Periksa"),
)

INPUT_MAPPING = process(
    "masukan",
    '<bpmn:startEvent id="Mulai" />'
    + service_task(
        "Periksa",
        "periksa",
        extensions='<zeebe:ioMapping><zeebe:input source="=1" target="awal" />'
        f'<zeebe:input source="={SHORTER_COSTLY}" target="jumlah" /></zeebe:ioMapping>',
    )
    + chain("Mulai", "Periksa"),
)

# the input mappings are cheap and applied; the job type costs: the step resumes after the input mappings
JOB_TYPE = process(
    "jenisPekerjaan",
    '<bpmn:startEvent id="Mulai" />'
    '<bpmn:serviceTask id="Periksa"><bpmn:extensionElements>'
    f'<zeebe:taskDefinition type="=if {SHORTER_COSTLY} > 0 then &quot;periksa&quot; else &quot;lain&quot;" />'
    '<zeebe:ioMapping><zeebe:input source="=awal + 1" target="awal" /></zeebe:ioMapping>'
    "</bpmn:extensionElements></bpmn:serviceTask>" + chain("Mulai", "Periksa"),
)

COMPLETION_CONDITION = process(
    "banyakKali",
    '<bpmn:startEvent id="Mulai" />'
    '<bpmn:serviceTask id="Hitung"><bpmn:extensionElements><zeebe:taskDefinition type="hitung" />'
    "</bpmn:extensionElements>"
    '<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:extensionElements>'
    '<zeebe:loopCharacteristics inputCollection="=[1, 2, 3]" inputElement="butir" />'
    "</bpmn:extensionElements>"
    f"<bpmn:completionCondition>={SHORTER_COSTLY} > 0 and loopCounter = 2</bpmn:completionCondition>"
    "</bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>"
    + service_task("Periksa", "periksa")
    + chain("Mulai", "Hitung", "Periksa"),
)

EVENT_SUB_PROCESS = process(
    "pengingat",
    '<bpmn:startEvent id="Mulai" />'
    + service_task("Periksa", "periksa")
    + chain("Mulai", "Periksa")
    + '<bpmn:subProcess id="Pengingat" triggeredByEvent="true">'
    '<bpmn:startEvent id="Waktunya" isInterrupting="false"><bpmn:timerEventDefinition>'
    f'<bpmn:timeDuration>="PT" + string({SHORTER_COSTLY}) + "S"</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition></bpmn:startEvent>"
    '<bpmn:endEvent id="Diingatkan" />' + chain("Waktunya", "Diingatkan") + "</bpmn:subProcess>",
)


def complete_jobs(core: Engine, job_type: str) -> None:
    for job in [j for j in core.jobs.values() if j.type == job_type]:
        core.complete_job(job.key, {})


@pytest.mark.parametrize(
    ("diagram", "process_id", "variables", "before", "expected"),
    [
        (SCRIPT, "skrip", {}, None, {"jumlah": SHORTER}),
        (INPUT_MAPPING, "masukan", {}, None, {"awal": 1, "jumlah": SHORTER}),
        (JOB_TYPE, "jenisPekerjaan", {"awal": 1}, None, {"awal": 2}),
        (COMPLETION_CONDITION, "banyakKali", {}, "hitung", {}),
        (EVENT_SUB_PROCESS, "pengingat", {}, None, {}),
    ],
    ids=["script", "input-mapping", "job-type-after-input-mappings", "completion-condition", "event-sub-process"],
)
async def test_a_suspended_step_resumes_where_it_stopped(
    engine: EmbeddedEngine,
    diagram: bytes,
    process_id: str,
    variables: dict[str, Any],
    before: str | None,
    expected: dict[str, Any],
) -> None:
    """Wherever a costly expression stops a step – a script, an input mapping, a job type after the input mappings
    were applied, a completion condition, the timer of an event sub-process at the instance's start – the step
    resumes there once the value is known: the instance reaches its task 'Periksa' exactly once, and the variables
    mapped before the stop were written once."""
    core = engine.engine
    core.expressions.slice = 0.01  # the shorter expression surely outlasts it, however fast the machine
    core.deploy([(f"{process_id}.bpmn", diagram)])
    key = core.create_process_instance(bpmn_process_id=process_id, variables=variables).key
    if before is not None:
        for _ in range(2):  # the multi-instance's inner instances, until the completion condition holds
            await until(lambda: any(j.type == before for j in core.jobs.values()), f"a job '{before}'")
            complete_jobs(core, before)
    assert core.steps_deferred
    await until(lambda: not core.steps_deferred, "the suspended step to resume")

    assert [j.type for j in core.jobs.values() if j.process_instance_key == key] == ["periksa"]
    task = engine.element_instances(key, "Periksa")
    assert len(task) == 1
    local = engine.variables(task[0].key)
    assert {name: local[name] for name in expected if name in local} | {
        name: engine.variables(key)[name] for name in expected if name not in local
    } == expected
    updates = [r for r in core.records if r.value_type == "VARIABLE" and r.intent == "UPDATED"]
    assert not updates  # nothing mapped before the stop was written again
    if process_id == "pengingat":
        assert len(core.timers_of(key)) == 1  # the event sub-process's timer, opened once
    assert_consistent(core)


def test_without_an_event_loop_a_costly_expression_runs_where_it_is(engine_without_loop: Engine) -> None:
    """An engine driven synchronously (no event loop to serve anyone else) evaluates to the end at once."""
    engine_without_loop.deploy([("skrip.bpmn", SCRIPT)])
    key = engine_without_loop.create_process_instance(bpmn_process_id="skrip").key
    assert not engine_without_loop.steps_deferred
    job = next(j for j in engine_without_loop.jobs.values() if j.process_instance_key == key)
    assert job.type == "periksa"
    assert engine_without_loop.process_instances[key].state == "ACTIVE"


@pytest.fixture
def engine_without_loop() -> Engine:
    return Engine()


# an execution start listener whose job type costs the shorter expression, on a task whose script after the
# listener costs it too: both stops resume where they were (the listener's job created once, the script run once)
LISTENER_THEN_SCRIPT = process(
    "pendengarMahal",
    '<bpmn:startEvent id="Mulai" />'
    '<bpmn:scriptTask id="Hitung"><bpmn:extensionElements>'
    "<zeebe:executionListeners>"
    f'<zeebe:executionListener eventType="start" type="=if {SHORTER_COSTLY} &gt; 0 then &quot;catat&quot; '
    'else &quot;lain&quot;" />'
    "</zeebe:executionListeners>"
    f'<zeebe:script expression="={SHORTER_COSTLY}" resultVariable="jumlah" />'
    "</bpmn:extensionElements></bpmn:scriptTask>"
    + service_task("Periksa", "periksa")
    + '<bpmn:endEvent id="Selesai" />'
    + chain("Mulai", "Hitung", "Periksa", "Selesai"),
)


async def test_a_costly_listener_type_and_the_behaviour_after_the_listener_resume_where_they_stopped(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """The start listener's job type is evaluated off the loop (its job created once, of the type the expression
    gave); once the listener's job is completed, the script after it is evaluated off the loop too, and the
    instance goes on to 'Periksa' once."""
    core = engine.engine
    core.expressions.slice = 0.01
    core.deploy([("pendengar.bpmn", LISTENER_THEN_SCRIPT)])
    key = await create(gateway, "pendengarMahal")
    assert core.steps_deferred
    await until(lambda: any(j.type == "catat" for j in core.jobs.values()), "the listener's job")
    assert [j.type for j in core.jobs.values() if j.process_instance_key == key] == ["catat"]

    complete_jobs(core, "catat")
    await until(lambda: any(j.type == "periksa" for j in core.jobs.values()), "the task after the script")
    assert [j.type for j in core.jobs.values() if j.process_instance_key == key] == ["periksa"]
    assert engine.variables(key)["jumlah"] == SHORTER
    assert len(engine.element_instances(key, "Hitung")) == 1
    assert_consistent(core)


# an event sub-process timer whose costly duration needs a variable the new instance lacks
EVENT_SUB_PROCESS_NEEDING_A_VARIABLE = process(
    "pengingatNanti",
    '<bpmn:startEvent id="Mulai" />'
    + service_task("Periksa", "periksa")
    + chain("Mulai", "Periksa")
    + '<bpmn:subProcess id="Pengingat" triggeredByEvent="true">'
    '<bpmn:startEvent id="Waktunya" isInterrupting="false"><bpmn:timerEventDefinition>'
    f"<bpmn:timeDuration>=if {SHORTER_COSTLY} &gt; 0 then tenggat else null</bpmn:timeDuration>"
    "</bpmn:timerEventDefinition></bpmn:startEvent>"
    '<bpmn:endEvent id="Diingatkan" />' + chain("Waktunya", "Diingatkan") + "</bpmn:subProcess>",
)


async def test_an_event_sub_process_start_failing_after_its_suspension_starts_the_instance_once_resolved(
    engine: EmbeddedEngine,
) -> None:
    """The event sub-process timer of a new instance is evaluated off the loop and then fails (no `tenggat`): an
    incident at the process, which is neither activated nor started. Resolved after `tenggat` is set, the timer is
    evaluated off the loop again, opened once, and the instance runs from its none start event to 'Periksa' once."""
    core = engine.engine
    core.expressions.slice = 0.01
    core.deploy([("nanti.bpmn", EVENT_SUB_PROCESS_NEEDING_A_VARIABLE)])
    key = core.create_process_instance(bpmn_process_id="pengingatNanti").key
    await until(lambda: not core.steps_deferred, "the suspended step to resume")
    [incident] = engine.incidents(key)
    assert incident.element_id == "pengingatNanti"
    assert core.element_instances[key].state.name == "ACTIVATING"
    assert not engine.element_instances(key, "Mulai")

    core.set_variables(key, {"tenggat": "PT1H"}, local=False)
    core.resolve_incident(incident.key)
    assert core.steps_deferred  # evaluated off the loop again
    await until(lambda: not core.steps_deferred, "the resolved start to resume")

    assert [j.type for j in core.jobs.values() if j.process_instance_key == key] == ["periksa"]
    assert len(engine.element_instances(key, "Mulai")) == 1
    assert len(core.timers_of(key)) == 1
    assert core.element_instances[key].state.name == "ACTIVATED"
    assert_consistent(core)
