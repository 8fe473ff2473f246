"""DMN decisions off the event loop: a decision table that costs seconds does not hold the engine's other clients.

A decision is evaluated as a whole – with the decisions it requires – within one slice of the event loop; one that
does not fit goes on in the second V8 isolate and its evaluation is written when the result is there: a business
rule task's step resumes with it, EvaluateDecision (gRPC and REST) is answered with it. Meanwhile other clients are
answered. These tests assert the order of answers and events, never a duration; the time limit is the evaluator's
(made short here so that the tests stay fast).
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.durable import DurableEngine, open_durable_engine
from engine.durable.verify import full_state, replay_differences
from engine.engine import Engine
from engine.feel import FeelinEvaluator
from engine.feel.off_loop import PendingEvaluation
from engine.testing import EmbeddedEngine
from engine.testing.consistency import assert_consistent
from tests.engine.bpmn_builder import chain, simple_service_process
from tests.engine.bpmn_harness import bpmn, end, ext, io, multi_instance, service, start
from tests.engine.dmn.dmn_builder import In, Literal, Out, Table, dmn
from tests.engine.rest_helpers import get, items, ok
from tests.engine.rpc_helpers import activate_one, complete, create
from tests.engine.test_bpmn_business_rule_task import rule_task
from tests.engine.test_bpmn_execution_listeners import listeners
from tests.engine.test_durable_replay import StarvedFeel
from tests.engine.test_feel_off_loop import COSTLY, COUNT, SHORTER, SHORTER_COSTLY, until


def berkas_table(amount: str, *, rules: int = 200) -> Table:
    """How many documents a request has – counted by a costly input expression – sorted into a category through many
    rules: a group of ten per rule below 2,000, then "banyak"."""
    groups = [[f"[{n * 10}..{n * 10 + 9}]", f'"kelompok {n}"'] for n in range(rules)]
    return Table(
        "kategoriBerkas",
        "Kategori berkas",
        [In("Jumlah berkas", amount, "number")],
        [Out("Kategori", "kategori")],
        [*groups, [f">= {rules * 10}", '"banyak"']],
    )


def berkas_dmn(amount: str) -> tuple[str, bytes]:
    return "berkas.dmn", dmn(berkas_table(amount), drg_id="berkas")


# runs for minutes: a decision with it runs into any limit, however fast the machine (and is stopped there)
RUNAWAY = "count(for i in 1..1000000000 return i)"


def required_dmn(amount: str) -> bytes:
    """The category table requiring a literal decision that counts the documents: evaluated as one graph."""
    return dmn(
        Literal("jumlahBerkas", "Jumlah berkas", "jumlahBerkas", amount, "number"),
        Table(
            "kategoriBerkas",
            "Kategori berkas",
            [In("Jumlah berkas", "jumlahBerkas", "number")],
            [Out("Kategori", "kategori")],
            [["< 1000", '"sedikit"'], [">= 1000", '"banyak"']],
            requires=("jumlahBerkas",),
        ),
        drg_id="berkasBertingkat",
    )


REQUIRED = required_dmn(COSTLY)  # a costly required decision: the whole graph goes off the loop

# a cheap decision, evaluated while the costly one runs: answered without V8 (FEEL's fast path), so that on a starved
# machine it cannot run out of its own slice and queue behind the costly one in the second isolate (a decision that
# needs V8 may, there)
SALAM = dmn(Literal("salam", "Salam", "salam", '"Selamat pagi"', "string"), drg_id="salamHarian")


def rule_process(process_id: str = "periksaBerkas", *extensions: str, after: bool = False) -> tuple[str, bytes]:
    """start → the business rule task 'Tentukan' (the category table, result `kategori`) → [a job 'periksa'] → end."""
    elements = [start("Mulai"), rule_task("Tentukan", "kategoriBerkas", "kategori", *extensions), end("Selesai")]
    path = ["Mulai", "Tentukan", "Selesai"]
    if after:
        elements.insert(2, service("Periksa", "periksa"))
        path.insert(2, "Periksa")
    return f"{process_id}.bpmn", bpmn(process_id, *elements, chain(*path))


def decision_records(core: Engine, pi: int | None = None) -> list[tuple[str, int, str | None]]:
    """(intent, key, element id) of the DECISION_EVALUATION records (of one instance if given), in log order."""
    return [
        (r.intent, r.key, r.element_id)
        for r in core.records
        if r.value_type == "DECISION_EVALUATION" and (pi is None or r.process_instance_key == pi)
    ]


def kategori(core: Engine, pi: int) -> Any:
    """The instance's variable `kategori` (the task's result)."""
    inst = core.element_instance(pi)
    assert inst is not None
    return inst.variables["kategori"]


def state_of(core: Engine) -> dict[str, Any]:
    """The engine's whole state as verify reads it, but the clock (a controlled clock moves with real time)."""
    return {name: value for name, value in full_state(core).items() if name != "clock"}


def position(core: Engine, **match: Any) -> int:
    """The log position of the first record with these fields."""
    return next(i for i, r in enumerate(core.records) if all(getattr(r, k) == v for k, v in match.items()))


# ---------------------------------------------------------------- a business rule task


async def test_a_costly_decision_table_of_a_business_rule_task_lets_other_clients_in(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """While the task's decision is evaluated, a Topology, another process's instance and a REST read are answered;
    then the instance completes with the category the table gave, its evaluation written after the other instance."""
    core = engine.engine
    core.deploy([berkas_dmn(COSTLY), rule_process(), ("simple.bpmn", simple_service_process())])
    request = pb.CreateProcessInstanceWithResultRequest(
        request=pb.CreateProcessInstanceRequest(bpmnProcessId="periksaBerkas", version=-1), requestTimeout=600_000
    )
    costly = asyncio.ensure_future(gateway.CreateProcessInstanceWithResult(request))
    await until(lambda: core.steps_deferred, "the decision to go off the event loop")

    assert (await gateway.Topology(pb.TopologyRequest())).brokers
    other = await create(gateway, "simple")
    async with aiohttp.ClientSession(base_url=engine.rest_url) as http:
        read = await get(http, f"/v2/process-instances/{other}")
    assert read["state"] == "ACTIVE"
    assert not costly.done()  # every other answer came while the decision was still being evaluated

    result = await costly
    pi = result.processInstanceKey
    assert json.loads(result.variables) == {"kategori": "banyak"}
    engine.assert_that(pi).is_completed().has_passed("Tentukan", "Selesai")
    [(intent, key, element)] = decision_records(core, pi)
    assert (intent, element) == ("EVALUATED", "Tentukan")
    # the other instance was created and its job made while the decision was evaluated: before its event
    assert position(core, value_type="JOB", intent="CREATED", process_instance_key=other) < position(core, key=key)
    assert_consistent(core)


# input mappings applied before the decision (written once), a start listener before it (its job created once)
@pytest.mark.parametrize(
    ("extensions", "listener"),
    [((), None), ((io((("=1", "awal"),)),), None), ((listeners(("start", "catat")),), "catat")],
    ids=["plain", "after-input-mappings", "after-a-start-listener"],
)
async def test_a_business_rule_task_resumes_where_its_decision_stopped(
    engine: EmbeddedEngine, gateway: Any, extensions: tuple[str, ...], listener: str | None
) -> None:
    """The task's step stops before anything of the decision is written and resumes with its result: the task is
    activated and completed once, with one evaluation record, and the instance reaches its job 'periksa' once."""
    core = engine.engine
    core.expressions.slice = 0.01  # the shorter expression surely outlasts it, however fast the machine
    core.deploy([berkas_dmn(SHORTER_COSTLY), rule_process("berkasSingkat", *extensions, after=True)])
    pi = await create(gateway, "berkasSingkat")
    if listener is not None:
        job = await activate_one(gateway, listener)
        await complete(gateway, job.key)
    await until(lambda: any(j.type == "periksa" for j in core.jobs.values()), "the job after the decision")

    assert [j.type for j in core.jobs.values() if j.process_instance_key == pi] == ["periksa"]
    assert engine.variables(pi)["kategori"] == "banyak"
    [task] = engine.element_instances(pi, "Tentukan")
    assert [
        (r.intent, r.element_id) for r in core.records if r.key == task.key and r.value_type == "PROCESS_INSTANCE"
    ] == [
        ("ELEMENT_ACTIVATING", "Tentukan"),
        ("ELEMENT_ACTIVATED", "Tentukan"),
        ("ELEMENT_COMPLETING", "Tentukan"),
        ("ELEMENT_COMPLETED", "Tentukan"),
    ]
    assert [intent for intent, _key, _element in decision_records(core, pi)] == ["EVALUATED"]
    assert not [r for r in core.records if r.value_type == "VARIABLE" and r.intent == "UPDATED"]
    assert_consistent(core)


# per item: a cheap column (the item) and a costly one (a count that always holds)
PER_ITEM = dmn(
    Table(
        "namaButir",
        "Nama butir",
        [In("Butir", "butir", "number"), In("Jumlah", SHORTER_COSTLY, "number")],
        [Out("Nama", "nama")],
        [["1", ">= 0", '"satu"'], ["2", ">= 0", '"dua"'], ["3", ">= 0", '"tiga"']],
    ),
    drg_id="butir",
)


async def test_each_inner_instance_of_a_parallel_business_rule_task_gets_its_own_result(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """Three inner instances each evaluate the costly decision off the loop, one after the other (each finds the
    result of its own variables): the output collection holds each item's name in order, one evaluation each."""
    core = engine.engine
    core.expressions.slice = 0.01
    loop = multi_instance("=[1, 2, 3]", "butir", output_collection="nama", output_element="=namaButir")
    called = '<zeebe:calledDecision decisionId="namaButir" resultVariable="namaButir" />'
    task = f'<bpmn:businessRuleTask id="Tentukan">{ext(called)}{loop}</bpmn:businessRuleTask>'
    path = chain("Mulai", "Tentukan", "Periksa", "Selesai")
    diagram = bpmn("perButir", start("Mulai"), task, service("Periksa", "periksa"), end("Selesai"), path)
    core.deploy([("butir.dmn", PER_ITEM), ("perButir.bpmn", diagram)])
    pi = await create(gateway, "perButir")
    await until(lambda: any(j.type == "periksa" for j in core.jobs.values()), "the job after the three decisions")

    assert engine.variables(pi)["nama"] == ["satu", "dua", "tiga"]
    records = decision_records(core, pi)
    assert [intent for intent, _key, _element in records] == ["EVALUATED"] * 3
    assert len(engine.element_instances(pi, "Tentukan")) == 4  # the body and three inner instances, once each
    assert_consistent(core)


async def test_an_instance_cancelled_while_its_decision_is_evaluated_stays_cancelled(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """The cancellation is answered at once; the decision's result, when it arrives, is discarded: no evaluation
    written, no incident, nothing after the task."""
    core = engine.engine
    core.deploy([berkas_dmn(COSTLY), rule_process(after=True)])
    pi = await create(gateway, "periksaBerkas")
    assert core.steps_deferred
    await gateway.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi))
    engine.assert_that(pi).is_terminated()

    await until(lambda: not core.evaluating_off_loop, "the decision's result")
    engine.assert_that(pi).is_terminated().has_not_passed("Periksa")
    assert decision_records(core, pi) == []
    assert not engine.incidents(pi)
    assert not core.jobs
    assert_consistent(core)


# ---------------------------------------------------------------- EvaluateDecision, gRPC and REST


async def test_evaluate_decision_over_grpc_is_answered_when_its_required_costly_decision_is_done(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """A decision requiring a costly one goes off the loop as a whole; meanwhile a Topology and another
    EvaluateDecision are answered (its evaluation written first); then the costly one is answered with both decisions
    evaluated."""
    core = engine.engine
    core.deploy([("bertingkat.dmn", REQUIRED), ("salam.dmn", SALAM)])
    costly = asyncio.ensure_future(
        gateway.EvaluateDecision(pb.EvaluateDecisionRequest(decisionId="kategoriBerkas", variables="{}"))
    )
    await until(lambda: core.decisions_off_loop == 1, "the decision to go off the event loop")

    assert (await gateway.Topology(pb.TopologyRequest())).brokers
    cheap = await gateway.EvaluateDecision(pb.EvaluateDecisionRequest(decisionId="salam", variables="{}"))
    assert json.loads(cheap.decisionOutput) == "Selamat pagi"
    assert not costly.done()

    answer = await costly
    assert json.loads(answer.decisionOutput) == "banyak"
    assert not answer.failureMessage
    assert [(d.decisionId, json.loads(d.decisionOutput)) for d in answer.evaluatedDecisions] == [
        ("jumlahBerkas", COUNT),
        ("kategoriBerkas", "banyak"),
    ]
    assert decision_records(core) == [
        ("EVALUATED", cheap.decisionInstanceKey, None),
        ("EVALUATED", answer.decisionInstanceKey, None),
    ]
    assert core.decisions_off_loop == 0


async def test_an_evaluation_whose_client_went_away_is_never_written(engine: EmbeddedEngine, gateway: Any) -> None:
    """A client that cancels its EvaluateDecision while the decision is evaluated off the loop: the request stops
    waiting, and when the evaluation is done (the second isolate has run what came after it) nothing is written."""
    core = engine.engine
    core.deploy([berkas_dmn(COSTLY)])
    call = gateway.EvaluateDecision(pb.EvaluateDecisionRequest(decisionId="kategoriBerkas", variables="{}"))
    await until(lambda: core.decisions_off_loop == 1, "the decision to go off the event loop")
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    await until(lambda: core.decisions_off_loop == 0, "the request to stop waiting")

    after = PendingEvaluation("1 + 1", "{}", core.now())  # runs in the second isolate once the decision is done
    assert (await asyncio.wrap_future(core.expressions.submit(after))).value == 2
    await asyncio.sleep(0)
    assert decision_records(core) == []


async def test_the_rest_evaluation_is_answered_when_the_costly_table_is_done(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """`POST /v2/decision-definitions/evaluation` of a costly table: a REST read and a gRPC Topology are answered
    meanwhile; then the evaluation, with the table's inputs and matched rule."""
    core = engine.engine
    deployed = core.deploy([berkas_dmn(COSTLY)])
    decision_key = next(r.key for r in deployed.resources if r.kind == "decision")
    async with aiohttp.ClientSession(base_url=engine.rest_url) as http:
        body = {"decisionDefinitionId": "kategoriBerkas", "variables": {}}
        costly = asyncio.ensure_future(http.post("/v2/decision-definitions/evaluation", json=body))
        await until(lambda: core.decisions_off_loop == 1, "the decision to go off the event loop")

        read = await get(http, f"/v2/decision-definitions/{decision_key}")
        assert read["decisionDefinitionId"] == "kategoriBerkas"
        assert (await gateway.Topology(pb.TopologyRequest())).brokers
        assert not costly.done()

        async with await costly as response:
            answer = await ok(response)
        # its decision instance, recorded with the evaluation once the result was there
        body = {"filter": {"decisionEvaluationKey": answer["decisionEvaluationKey"]}}
        recorded = await items(http, "decision-instances", body)
    assert [(i["decisionDefinitionId"], i["state"], i["result"]) for i in recorded] == [
        ("kategoriBerkas", "EVALUATED", '"banyak"')
    ]
    assert (json.loads(answer["output"]), answer["failureMessage"]) == ("banyak", "")
    [evaluated] = answer["evaluatedDecisions"]
    assert [json.loads(i["inputValue"]) for i in evaluated["evaluatedInputs"]] == [COUNT]
    assert [rule["ruleIndex"] for rule in evaluated["matchedRules"]] == [201]
    assert decision_records(core) == [("EVALUATED", int(answer["decisionEvaluationKey"]), None)]


# ---------------------------------------------------------------- the limit


async def test_a_decision_past_the_limit_fails_off_the_loop_and_without_a_loop() -> None:
    """The decision's FEEL gets the evaluator's limit (here 0.3 s) for all its calls together: EvaluateDecision off
    the loop answers the failure naming the expression, with what was evaluated until then; an engine driven
    without an event loop gives the same failure."""
    feel = FeelinEvaluator(timeout=0.3)
    try:
        core = Engine(feel=feel)
        core.deploy([("bertingkat.dmn", required_dmn(RUNAWAY))])
        off_loop = await core.evaluate_decision_off_loop("kategoriBerkas")
        result = off_loop.result
        assert result.failed and result.failed_decision_id == "jumlahBerkas"
        assert result.failure_message == (
            "Expected to evaluate decision 'kategoriBerkas', but failed to evaluate expression "
            f"'{RUNAWAY}': the evaluation of the decision took longer than 0.3 s and was stopped"
        )
        assert [d.decision_id for d in result.evaluated_decisions] == ["jumlahBerkas"]
        assert decision_records(core) == [("FAILED", off_loop.key, None)]

        without_loop = Engine(feel=feel)
        without_loop.deploy([("bertingkat.dmn", required_dmn(RUNAWAY))])
        in_place = await asyncio.to_thread(without_loop.evaluate_decision, "kategoriBerkas")  # no loop runs there
        assert in_place.result.failure_message == result.failure_message
    finally:
        feel.close()


async def test_a_time_out_off_the_loop_is_an_incident_that_recovery_applies_and_never_decides_again(
    tmp_path: Path,
) -> None:
    """A business rule task whose decision runs past the limit off the loop gets the DECISION_EVALUATION_ERROR
    incident after the FAILED evaluation, both events; resolved with a smaller count (and FEEL's default limit),
    the decision is evaluated off the loop again and the instance goes on. A recovery on a machine where every FEEL
    call fails keeps all of it as it was and evaluates nothing."""
    feel = FeelinEvaluator(timeout=0.3)
    core = open_durable_engine(tmp_path, feel=feel, controlled_clock=True)
    core.deploy([berkas_dmn("count(for i in 1..batas return i)"), rule_process(after=True)])
    pi = core.create_process_instance(bpmn_process_id="periksaBerkas", variables={"batas": 10**9}).key
    assert core.steps_deferred
    await until(lambda: not core.steps_deferred, "the decision's time-out")
    [incident] = core.incidents.values()
    assert (incident.error_type, incident.element_id) == ("DECISION_EVALUATION_ERROR", "Tentukan")
    assert incident.error_message.endswith("the evaluation of the decision took longer than 0.3 s and was stopped")
    assert [intent for intent, _key, _element in decision_records(core, pi)] == ["FAILED"]
    assert core.process_instances[pi].state == "ACTIVE"
    assert_recovers_without_feel(tmp_path, core)

    core = open_durable_engine(tmp_path, controlled_clock=True)  # FEEL's default limit, 10 s
    core.expressions.slice = 0.01  # the shorter count surely outlasts it, however fast the machine
    core.set_variables(pi, {"batas": SHORTER}, local=False)
    core.resolve_incident(incident.key)
    assert core.steps_deferred  # evaluated off the loop again
    await until(lambda: not core.steps_deferred, "the decision evaluated again")
    assert [j.type for j in core.jobs.values() if j.process_instance_key == pi] == ["periksa"]
    assert kategori(core, pi) == "banyak"
    assert [intent for intent, _key, _element in decision_records(core, pi)] == ["FAILED", "EVALUATED"]
    assert_recovers_without_feel(tmp_path, core)
    feel.close()


def assert_recovers_without_feel(tmp_path: Path, core: DurableEngine) -> None:
    """Stops `core` as if killed and recovers its data directory with every FEEL call failing: the same state, and
    no FEEL evaluated, no step left to resume."""
    before = state_of(core)
    core.close(snapshot=False)
    StarvedFeel.calls = 0
    recovered = open_durable_engine(tmp_path, feel=StarvedFeel(), controlled_clock=True)
    try:
        assert state_of(recovered) == before
        assert StarvedFeel.calls == 0
        assert not recovered.steps_deferred
    finally:
        recovered.close()


# ---------------------------------------------------------------- durable mode


async def test_recovery_applies_the_evaluations_made_off_the_loop_without_feel(tmp_path: Path) -> None:
    """A business rule task and an EvaluateDecision, both evaluated off the loop, are events: a recovery where every
    FEEL call fails gives the identical state and evaluates nothing."""
    core = open_durable_engine(tmp_path, controlled_clock=True)
    core.expressions.slice = 0.01
    core.deploy([berkas_dmn(SHORTER_COSTLY), rule_process(after=True)])
    pi = core.create_process_instance(bpmn_process_id="periksaBerkas").key
    assert core.steps_deferred
    answer = await core.evaluate_decision_off_loop("kategoriBerkas")
    await until(lambda: not core.steps_deferred, "the task's decision")
    assert kategori(core, pi) == answer.result.decision_output == "banyak"
    assert_recovers_without_feel(tmp_path, core)


async def test_a_crash_while_a_decision_runs_off_the_loop_evaluates_it_again_after_recovery(tmp_path: Path) -> None:
    """Nothing was decided while the task's decision ran: the log holds the suspended step, the recovered engine
    evaluates the decision again and goes on to the job; replaying the log gives the same state."""
    core = open_durable_engine(tmp_path)
    core.expressions.slice = 0.01
    core.deploy([berkas_dmn(SHORTER_COSTLY), rule_process(after=True)])
    pi = core.create_process_instance(bpmn_process_id="periksaBerkas").key
    assert core.steps_deferred
    core.close(snapshot=False)  # as if killed while the decision was evaluated

    recovered = open_durable_engine(tmp_path)
    try:
        await until(lambda: not recovered.steps_deferred, "the recovered engine to resume the decision")
        assert [j.type for j in recovered.jobs.values() if j.process_instance_key == pi] == ["periksa"]
        assert kategori(recovered, pi) == "banyak"
        assert [intent for intent, _key, _element in decision_records(recovered, pi)] == ["EVALUATED"]
        assert not replay_differences(recovered)
    finally:
        recovered.close()


def test_without_an_event_loop_a_costly_decision_is_evaluated_where_it_is() -> None:
    """An engine driven synchronously evaluates the task's decision at once (within its limit)."""
    core = Engine()
    core.deploy([berkas_dmn(SHORTER_COSTLY), rule_process(after=True)])
    pi = core.create_process_instance(bpmn_process_id="periksaBerkas").key
    assert not core.steps_deferred
    assert [j.type for j in core.jobs.values() if j.process_instance_key == pi] == ["periksa"]
    assert core.evaluate_decision("kategoriBerkas").result.decision_output == "banyak"
