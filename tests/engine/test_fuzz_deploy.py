"""Fuzz: random BPMN at DeployResource over the real gRPC port – diagrams built from random graphs of tasks, gateways,
events and sub-processes with random attributes and expressions (valid and not), cut-short documents and XML-ish
garbage. A deployment succeeds or is refused with INVALID_ARGUMENT and a message; what deploys is instantiated and
driven (jobs completed, failed or answered with errors, messages, signals, time) without an unhandled error, and
the state stays consistent."""

import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from pyzeebe.proto import gateway_pb2 as pb

from engine.state import JobState
from engine.testing import EmbeddedEngine
from tests.engine.fuzz_bpmn import NAMES, bpmn_documents
from tests.engine.fuzz_profiles import FUZZ, FUZZ_RAW, TIMEOUT_SECONDS
from tests.engine.fuzz_support import DEADLINE_SECONDS, KeyPool, ThreadedEngine, advance, seed, variable_documents

pytestmark = pytest.mark.timeout(TIMEOUT_SECONDS)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[ThreadedEngine, KeyPool]]:
    engine = ThreadedEngine().start()
    try:
        yield engine, seed(engine)
    finally:
        engine.stop()


def deploy(engine: ThreadedEngine, name: str, content: bytes) -> pb.DeployResourceResponse | None:
    """DeployResource of one resource: the response, or None when refused with INVALID_ARGUMENT and a message."""
    try:
        response: pb.DeployResourceResponse = engine.stub.DeployResource(
            pb.DeployResourceRequest(resources=[pb.Resource(name=name, content=content)]), timeout=DEADLINE_SECONDS
        )
    except grpc.RpcError as exc:
        code, details = exc.code(), exc.details()
        assert code == grpc.StatusCode.INVALID_ARGUMENT, f"DeployResource answered {code.name}: {details}"
        assert details, "DeployResource refused the resource without a message"
        return None
    return response


def stop_endless_loops(engine: ThreadedEngine) -> None:
    """While the engine still runs steps in later turns (a loop without a wait state never ends by itself), cancels
    the active instances, so the next example starts on a calm engine."""

    def spinning(embedded: EmbeddedEngine) -> list[int]:
        if not embedded.engine.steps_deferred:
            return []
        return [
            p.key
            for p in embedded.engine.process_instances.values()
            if p.state == "ACTIVE" and p.parent_process_instance_key is None
        ]

    for key in engine.in_loop(spinning):
        engine.call("CancelProcessInstance", pb.CancelProcessInstanceRequest(processInstanceKey=key))


MAX_ACTIVE_INSTANCES = 100
MAX_ELEMENT_INSTANCES = 50_000  # then a fresh engine (see ThreadedEngine.restart)


def cancel_beyond(engine: ThreadedEngine, keep: int) -> None:
    """Cancels the oldest active instances beyond `keep` (start events fired by signals and timer cycles keep adding
    instances, and every later example would drive them all), through CancelProcessInstance."""

    def oldest(embedded: EmbeddedEngine) -> list[int]:
        roots = sorted(
            p.key
            for p in embedded.engine.process_instances.values()
            if p.state == "ACTIVE" and p.parent_process_instance_key is None
        )
        return roots[: max(0, len(roots) - keep)]

    for key in engine.in_loop(oldest):
        engine.call("CancelProcessInstance", pb.CancelProcessInstanceRequest(processInstanceKey=key))


def drive(engine: ThreadedEngine, actions: list[tuple[str, Any]]) -> None:
    """Works the engine's jobs and sends messages, signals and time, each through the gRPC port."""
    for action, value in actions:
        if action == "jobs":
            job_types = engine.in_loop(
                lambda e: sorted({j.type for j in e.engine.jobs.values() if j.state is JobState.ACTIVATABLE})
            )
            for job_type in job_types:
                request = pb.ActivateJobsRequest(
                    type=job_type, worker="fuzz", timeout=60_000, maxJobsToActivate=5, requestTimeout=-1
                )
                if not job_type.strip():
                    continue
                for response in engine.stub.ActivateJobs(request, timeout=DEADLINE_SECONDS):
                    for job in response.jobs:
                        answer = value % 4
                        if answer == 0:
                            engine.call("CompleteJob", pb.CompleteJobRequest(jobKey=job.key, variables='{"x": 2}'))
                        elif answer == 1:
                            engine.call("FailJob", pb.FailJobRequest(jobKey=job.key, retries=value % 3))
                        elif answer == 2:
                            engine.call("ThrowError", pb.ThrowErrorRequest(jobKey=job.key, errorCode="E1"))
                        else:
                            engine.call("CompleteJob", pb.CompleteJobRequest(jobKey=job.key, variables="{}"))
        elif action == "message":
            engine.call(
                "PublishMessage",
                pb.PublishMessageRequest(name=value, correlationKey="o0", timeToLive=1000, variables='{"m": 1}'),
            )
        elif action == "signal":
            engine.call("BroadcastSignal", pb.BroadcastSignalRequest(signalName=value, variables="{}"))
        elif action == "incidents":
            keys = engine.in_loop(lambda e: [i.key for i in e.incidents() if i.state.value == "ACTIVE"][-5:])
            for key in keys:
                engine.call("ResolveIncident", pb.ResolveIncidentRequest(incidentKey=key))
        else:
            advance(engine, value)
        stop_endless_loops(engine)


ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("jobs"), st.integers(0, 11)),
        st.tuples(st.just("message"), st.sampled_from(NAMES)),
        st.tuples(st.just("signal"), st.sampled_from(NAMES)),
        st.tuples(st.just("incidents"), st.just(0)),
        st.tuples(st.just("time"), st.sampled_from([1, 60, 3600, 86_400 * 400])),
    ),
    max_size=6,
)


def test_random_diagrams_deploy_or_are_refused_and_run_without_breaking_the_engine(
    fuzzed: tuple[ThreadedEngine, KeyPool],
) -> None:
    """Each random diagram deploys or is refused with INVALID_ARGUMENT; an instance of what deployed is created
    (or refused with a proper status) and driven by random jobs, messages, signals and time; the state stays sound
    and a known-good process still runs at the end."""
    engine, pool = fuzzed

    @FUZZ
    @given(
        document=bpmn_documents(pool),
        variables=st.one_of(variable_documents(), st.just('{"orderId": "o0", "x": 1, "items": [1, 2]}')),
        actions=ACTIONS,
    )
    def one_diagram(document: str, variables: str, actions: list[tuple[str, Any]]) -> None:
        response = deploy(engine, "random.bpmn", document.encode())
        event("deployed" if response is not None else "refused")
        if response is not None:
            for deployment in response.deployments:
                request = pb.CreateProcessInstanceRequest(
                    processDefinitionKey=deployment.process.processDefinitionKey, variables=variables
                )
                engine.call("CreateProcessInstance", request)
            stop_endless_loops(engine)
            drive(engine, actions)
        cancel_beyond(engine, MAX_ACTIVE_INSTANCES)
        engine.check_sound()
        if engine.in_loop(lambda e: len(e.engine.element_instances)) > MAX_ELEMENT_INSTANCES:
            engine.restart()
            seed(engine)
        pool.refresh(engine)

    one_diagram()
    engine.check_runs_known_good()


def test_random_bytes_and_resource_names_at_deploy_are_refused_with_invalid_argument(
    fuzzed: tuple[ThreadedEngine, KeyPool],
) -> None:
    """Random bytes (not UTF-8, not XML) under any resource name – .bpmn, .xml, .form, .dmn, none – deploy or are
    refused with INVALID_ARGUMENT and a message, never an unhandled error."""
    engine, _ = fuzzed

    @FUZZ_RAW
    @given(
        name=st.one_of(st.sampled_from(["a.bpmn", "a.xml", "a.form", "a.dmn", "a", "", ".bpmn"]), st.text(max_size=20)),
        content=st.one_of(
            st.binary(max_size=300),
            st.sampled_from([b'{"id": "f"}', b'{"id": 1}', b"[]", b'{"id": "' + b"\xff" * 3 + b'"}']),
            st.integers(1, 100_000).map(lambda n: b'{"id": "f", "a": ' + b"[" * n + b"]" * n + b"}"),
            st.just(json.dumps({"id": "form", "components": []}).encode()),
        ),
    )
    def one_resource(name: str, content: bytes) -> None:
        deploy(engine, name, content)
        engine.check_sound()

    one_resource()
    engine.check_runs_known_good()


def test_the_embedded_engine_type_is_what_the_fuzz_drives() -> None:
    """The fuzz harness runs the same EmbeddedEngine the rest of the suite uses (no special test double)."""
    engine = ThreadedEngine().start()
    try:
        assert isinstance(engine.embedded, EmbeddedEngine)
        engine.check_sound()
        engine.check_runs_known_good()
    finally:
        engine.stop()
