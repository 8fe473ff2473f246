"""Regression tests of the crashes the fuzz tests (test_fuzz_*.py) found: each request below once ended in an
unhandled Python exception (gRPC UNKNOWN) or left a half-applied command; now each gets a proper status."""

import json
import time
from datetime import timedelta
from typing import Any

import aiohttp
import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.clock import FAR_FUTURE, to_millis
from engine.feel import FeelResult, UnaryTestsResult
from engine.json_documents import MAX_NESTING_DEPTH
from engine.state import JobState
from engine.testing import EmbeddedEngine
from engine.testing.consistency import assert_consistent
from tests.engine.bpmn_builder import flow, process, simple_service_process
from tests.engine.rpc_helpers import activate, activate_one, create, receive_task_process, rpc_error, stub

INT64_MAX = 2**63 - 1


@pytest.fixture
def simple(engine: EmbeddedEngine) -> None:
    engine.engine.deploy([("simple.bpmn", simple_service_process())])


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [MAX_NESTING_DEPTH + 1, 600, 100_000])
async def test_bug_deeply_nested_variables_are_invalid_argument_not_a_recursion_error(
    engine: EmbeddedEngine, gateway: Any, simple: None, depth: int
) -> None:
    """Variables nested deeper than the limit (100,000 levels once raised RecursionError in the JSON parser; 600
    parsed, then broke every copy of the value) are refused with INVALID_ARGUMENT; the limit itself is accepted."""
    request = pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1, variables=nested(depth))
    error = await rpc_error(gateway.CreateProcessInstance(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"nest deeper than {MAX_NESTING_DEPTH} levels" in (error.details() or "")
    pi_key = await create(gateway, "simple", json.loads(nested(MAX_NESTING_DEPTH)))
    job = await activate_one(gateway, "do-work")
    assert job.processInstanceKey == pi_key


@pytest.mark.parametrize(
    "document",
    ['{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', '{"a": 1e400}', '{"a": ' + "9" * 5_000 + "}"],
)
async def test_bug_non_json_numbers_in_variables_are_invalid_argument(
    engine: EmbeddedEngine, gateway: Any, simple: None, document: str
) -> None:
    """NaN, Infinity, numbers that overflow to infinity (once stored and handed to workers as non-JSON) and an
    integer of 5,000 digits (once a ValueError, UNKNOWN) are refused with INVALID_ARGUMENT."""
    request = pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1, variables=document)
    error = await rpc_error(gateway.CreateProcessInstance(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Property 'variables' is invalid" in (error.details() or "")
    assert not engine.process_instances()


@pytest.mark.parametrize(
    ("rpc", "payload"),
    [
        ("CompleteJob", b"\xff\xff\xff\xff"),
        ("Topology", b"\x0a\x05ab"),  # a field cut short
        ("CreateProcessInstance", b"\x12\x02\xc3\x28"),  # bpmnProcessId (field 2) that is not UTF-8
        ("ActivateJobs", b"\x08"),  # server streaming
    ],
)
async def test_bug_a_payload_that_is_no_valid_message_is_invalid_argument(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel, rpc: str, payload: bytes
) -> None:
    """Raw bytes that do not parse as the RPC's request message (once a DecodeError in grpcio's deserializer,
    UNKNOWN) are answered INVALID_ARGUMENT naming the message type; the gateway keeps serving."""
    path = f"/gateway_protocol.Gateway/{rpc}"
    if rpc == "ActivateJobs":
        call: Any = zeebe_channel.unary_stream(path, request_serializer=None, response_deserializer=None)(payload)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            async for _ in call:
                pass
        error = raised.value
    else:
        unary = zeebe_channel.unary_unary(path, request_serializer=None, response_deserializer=None)
        error = await rpc_error(unary(payload))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"Expected a valid gateway_protocol.{rpc}Request message" in (error.details() or "")
    topology = await stub(zeebe_channel).Topology(pb.TopologyRequest())
    assert topology.brokers


async def test_bug_a_message_ttl_of_int64_max_buffers_the_message_until_the_far_future(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """PublishMessage with timeToLive int64 max (once an OverflowError, UNKNOWN) buffers the message until the far
    future; an instance created afterwards still gets it."""
    engine.engine.deploy([("wait.bpmn", receive_task_process())])
    response = await gateway.PublishMessage(
        pb.PublishMessageRequest(name="payment-received", correlationKey="ORD-1", timeToLive=INT64_MAX)
    )
    [message] = engine.messages()
    assert message.key == response.key
    assert message.expires_at == FAR_FUTURE
    pi_key = await create(gateway, "waitForPayment", {"orderId": "ORD-1"})
    engine.assert_that(pi_key).is_completed()


async def test_bug_a_job_timeout_of_int64_max_holds_the_deadline_at_the_far_future(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """ActivateJobs and UpdateJobTimeout with a timeout of int64 max (once an OverflowError, UNKNOWN) activate the
    job with its deadline held at the far future."""
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work", timeout_ms=INT64_MAX)
    assert job.deadline == to_millis(FAR_FUTURE)
    await gateway.UpdateJobTimeout(pb.UpdateJobTimeoutRequest(jobKey=job.key, timeout=INT64_MAX))
    [stored] = engine.jobs("do-work")
    assert (stored.state, stored.deadline) == (JobState.ACTIVATED, FAR_FUTURE)


async def test_bug_a_retry_back_off_of_int64_max_fails_the_job_whole(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """FailJob with retryBackOff int64 max once overflowed after the job was already marked failed (a half-applied
    command, UNKNOWN); now the job fails whole and backs off until the far future."""
    await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=2, errorMessage="later", retryBackOff=INT64_MAX))
    [stored] = engine.jobs("do-work")
    assert (stored.state, stored.retries, stored.backoff_until) == (JobState.ACTIVATABLE, 2, FAR_FUTURE)
    assert await activate(gateway, "do-work") == []
    await engine.wait_for_idle()


async def test_bug_a_form_nested_too_deep_is_refused_at_deploy(engine: EmbeddedEngine, gateway: Any) -> None:
    """A .form whose JSON nests 100,000 levels deep (once a RecursionError at DeployResource, UNKNOWN) is refused
    with INVALID_ARGUMENT naming the form."""
    content = ('{"id": "f", "components": ' + "[" * 100_000 + "]" * 100_000 + "}").encode()
    error = await rpc_error(
        gateway.DeployResource(pb.DeployResourceRequest(resources=[pb.Resource(name="deep.form", content=content)]))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'deep.form': the form is not valid JSON" in (error.details() or "")


async def test_bug_a_rest_body_nested_too_deep_is_a_400_problem(engine: EmbeddedEngine) -> None:
    """A REST request body nested 100,000 levels deep (once a RecursionError, HTTP 500) is a 400 problem."""
    body = '{"name": "m", "correlationKey": "k", "variables": ' + nested(100_000) + "}"
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{engine.rest_url}/v2/messages/publication", data=body, headers={"Content-Type": "application/json"}
        ) as response,
    ):
        assert response.status == 400
        problem = await response.json()
    assert "nest deeper" in problem["detail"]


def endless_loop() -> bytes:
    """start → Again (exclusive gateway) → Spin (manual task) → back to Again, for ever: no wait state."""
    return process(
        "endless",
        '<bpmn:startEvent id="Start" /><bpmn:exclusiveGateway id="Again" default="Out" />'
        '<bpmn:manualTask id="Spin" /><bpmn:endEvent id="End" />'
        + flow("In", "Start", "Again")
        + flow("Loop", "Again", "Spin", "=true")
        + flow("Out", "Again", "End")
        + flow("Back", "Spin", "Again"),
    )


async def test_bug_an_endless_loop_without_a_wait_state_no_longer_holds_the_engine(
    engine: EmbeddedEngine, gateway: Any, simple: None
) -> None:
    """An instance looping through a gateway and a task for ever once held the event loop in one command, so the
    engine never answered again; now, as in Zeebe, it loops in turns: other requests are served, and cancelling
    the instance ends it."""
    engine.engine.deploy([("endless.bpmn", endless_loop())])
    looping = await create(gateway, "endless")
    assert engine.engine.steps_deferred
    assert (await gateway.Topology(pb.TopologyRequest())).brokers
    other = await create(gateway, "simple")
    job = await activate_one(gateway, "do-work")
    await gateway.CompleteJob(pb.CompleteJobRequest(jobKey=job.key, variables="{}"))
    engine.assert_that(other).is_completed()
    assert len(engine.element_instances(looping, "Spin")) > 1
    await gateway.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=looping))
    await engine.wait_for_idle()
    engine.assert_that(looping).is_terminated()
    assert not [e for e in engine.element_instances(looping) if e.state.is_active]
    assert_consistent(engine.engine)


def zero_timer_loop() -> bytes:
    """start → Again (exclusive gateway) → Wait (timer catch, PT0S) → back to Again, for ever: a wait that never
    waits."""
    return process(
        "zeroTimerLoop",
        '<bpmn:startEvent id="Start" /><bpmn:exclusiveGateway id="Again" default="Out" />'
        '<bpmn:intermediateCatchEvent id="Wait"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT0S</bpmn:timeDuration>'
        '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="End" />'
        + flow("In", "Start", "Again")
        + flow("Loop", "Again", "Wait", "=true")
        + flow("Out", "Again", "End")
        + flow("Back", "Wait", "Again"),
    )


async def test_bug_a_loop_through_a_zero_timer_no_longer_holds_the_scheduler(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """A loop through a timer that is due at once used to keep the engine firing it inside one call (increase_time
    and the scheduler never returned); now each turn fires a bounded number and the gateway keeps answering until
    the instance is cancelled."""
    engine.engine.deploy([("zero.bpmn", zero_timer_loop())])
    looping = await create(gateway, "zeroTimerLoop")
    await engine.increase_time(timedelta(seconds=1))
    assert (await gateway.Topology(pb.TopologyRequest())).brokers
    assert len(engine.element_instances(looping, "Wait")) > 1
    await gateway.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=looping))
    await engine.wait_for_idle()
    engine.assert_that(looping).is_terminated()
    assert not engine.engine.timers
    assert_consistent(engine.engine)


class _SlowCondition:
    """FEEL where the condition `langsam` takes 60 ms (a costly expression), everything else as usual."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def evaluate(self, expression: str, context: Any, now: Any) -> FeelResult:
        if expression == "langsam":
            time.sleep(0.06)
            return FeelResult(True, ())
        result: FeelResult = self.inner.evaluate(expression, context, now)
        return result

    def unary_tests(self, input_expression: str, tests: Any, context: Any, now: Any) -> UnaryTestsResult:
        outcome: UnaryTestsResult = self.inner.unary_tests(input_expression, tests, context, now)
        return outcome


def three_costly_branches() -> bytes:
    checks = "".join(
        f'<bpmn:exclusiveGateway id="Cek{n}" default="Biasa{n}Flow" /><bpmn:endEvent id="Lolos{n}" />'
        f'<bpmn:endEvent id="Biasa{n}" />'
        + flow(f"To{n}", "Fork", f"Cek{n}")
        + flow(f"Lolos{n}Flow", f"Cek{n}", f"Lolos{n}", "=langsam")
        + flow(f"Biasa{n}Flow", f"Cek{n}", f"Biasa{n}")
        for n in (1, 2, 3)
    )
    return process(
        "costly",
        '<bpmn:startEvent id="Start" /><bpmn:parallelGateway id="Fork" />' + flow("In", "Start", "Fork") + checks,
    )


async def test_costly_conditions_in_parallel_branches_let_other_clients_in_between(
    engine: EmbeddedEngine, simple: None
) -> None:
    """Once a command's turn has spent its FEEL time, its remaining steps go to later turns of the event loop, as
    an endless loop's do: three branches with a costly condition each no longer hold every other client for all
    three; a command of another client is answered in between, and both instances go on."""
    core = engine.engine
    core.expressions.feel = _SlowCondition(core.expressions.feel)
    core.expressions.turn_budget = 0.05
    core.deploy([("costly.bpmn", three_costly_branches())])
    costly = core.create_process_instance(bpmn_process_id="costly").key
    assert core.steps_deferred
    checked = [e for e in engine.element_instances(costly) if e.element_id.startswith("Cek") and not e.state.is_active]
    assert len(checked) == 1  # one costly condition decided in this turn; the other two in later ones
    other = core.create_process_instance(bpmn_process_id="simple").key  # another client, answered now
    decided = [e for e in engine.element_instances(costly) if e.element_id.startswith("Cek") and not e.state.is_active]
    assert len(decided) < 3  # the costly instance is still deciding when the other client is answered
    await engine.wait_for_idle()
    engine.assert_that(costly).is_completed().has_passed("Lolos1", "Lolos2", "Lolos3")
    assert [j.process_instance_key for j in core.jobs.values()] == [other]
    assert_consistent(core)
