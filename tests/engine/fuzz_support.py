"""Support of the fuzz tests: an embedded engine on its own event-loop thread (hypothesis drives a synchronous gRPC
channel), a pool of the engine's real keys and names, strategies that build any gateway request field by field from
its protobuf descriptor, and the checks run after every example."""

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from hypothesis import strategies as st
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from engine.state import KEY_BASE, IncidentState
from engine.testing import EmbeddedEngine
from engine.testing.consistency import assert_consistent
from tests.engine.bpmn_builder import chain, process, service_task, simple_service_process
from tests.engine.rpc_helpers import message_def

T = TypeVar("T")

SERVICE = pb.DESCRIPTOR.services_by_name["Gateway"]
GATEWAY_METHODS: dict[str, MethodDescriptor] = {m.name: m for m in SERVICE.methods}
# RPCs that wait by design (long polling, a job stream, a process result): the client's deadline may end them
WAITING_RPCS = frozenset({"ActivateJobs", "StreamActivatedJobs", "CreateProcessInstanceWithResult"})
UNIMPLEMENTED_RPCS = frozenset({"ModifyProcessInstance", "MigrateProcessInstance", "DeleteResource"})
ANSWERS = frozenset(
    {
        grpc.StatusCode.OK,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)
WAITING_DEADLINE_SECONDS = 0.5
DEADLINE_SECONDS = 30.0  # generous: a busy CI machine is slow, but an engine that hangs never answers

KNOWN_GOOD_JOB = "fuzz-known-good"
SEED_JOB_TYPES = ("fuzz-work", "fuzz-other")
SEED_MESSAGES = ("fuzz-message",)


def allowed_codes(rpc: str) -> frozenset[grpc.StatusCode]:
    """What an RPC may answer to any request: a status Zeebe uses for a request it refuses, never UNKNOWN or
    INTERNAL (an unhandled exception in the engine)."""
    codes = set(ANSWERS)
    if rpc in WAITING_RPCS:
        codes.add(grpc.StatusCode.DEADLINE_EXCEEDED)
    if rpc in UNIMPLEMENTED_RPCS:
        codes.add(grpc.StatusCode.UNIMPLEMENTED)
    return frozenset(codes)


def method_path(rpc: str) -> str:
    return f"/{SERVICE.full_name}/{rpc}"


def request_class(rpc: str) -> Any:
    return getattr(pb, GATEWAY_METHODS[rpc].input_type.name)


# ---------------------------------------------------------------------- the engine on its own thread
class ThreadedEngine:
    """An EmbeddedEngine whose event loop runs on a thread of its own, so a synchronous hypothesis test can call
    it over gRPC; `in_loop` runs a function on that loop (the engine's state is only read there)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fuzz-engine", daemon=True)
        self.embedded: EmbeddedEngine | None = None
        self.channel: grpc.Channel | None = None

    def start(self) -> "ThreadedEngine":
        self._thread.start()
        self._start_embedded()
        return self

    def _start_embedded(self) -> None:
        async def start() -> EmbeddedEngine:
            embedded = EmbeddedEngine(rest_port=None)
            await embedded.__aenter__()
            return embedded

        self.embedded = self.run(start())
        self.channel = grpc.insecure_channel(self.embedded.address)

    def restart(self) -> None:
        """A fresh engine on the same thread: the history an endless loop leaves behind (until it is cancelled) only
        grows, and a long fuzz run would otherwise outgrow the machine's memory."""
        if self.channel is not None:
            self.channel.close()
        if self.embedded is not None:
            self.run(self.embedded.__aexit__(None, None, None))
        self._start_embedded()

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.close()
        if self.embedded is not None:
            self.run(self.embedded.__aexit__(None, None, None))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def in_loop(self, function: Callable[[EmbeddedEngine], T]) -> T:
        embedded = self.embedded
        assert embedded is not None

        async def call() -> T:
            return function(embedded)

        return self.run(call())

    @property
    def stub(self) -> Any:
        assert self.channel is not None
        return GatewayStub(self.channel)

    def call(self, rpc: str, request: Any) -> grpc.StatusCode:
        """One call of `rpc` with a request message; the status it ended with (a stream is read to its end)."""
        method = GATEWAY_METHODS[rpc]
        return self.call_raw(rpc, request.SerializeToString(), streaming=method.server_streaming)

    def call_raw(self, rpc: str, payload: bytes, *, streaming: bool | None = None) -> grpc.StatusCode:
        """One call of `rpc` with raw bytes as its request payload; the status it ended with."""
        assert self.channel is not None
        if streaming is None:
            streaming = GATEWAY_METHODS[rpc].server_streaming
        timeout = WAITING_DEADLINE_SECONDS if rpc in WAITING_RPCS else DEADLINE_SECONDS
        try:
            if streaming:
                call = self.channel.unary_stream(method_path(rpc), request_serializer=None, response_deserializer=None)
                for _ in call(payload, timeout=timeout):
                    pass
            else:
                unary = self.channel.unary_unary(method_path(rpc), request_serializer=None, response_deserializer=None)
                unary(payload, timeout=timeout)
        except grpc.RpcError as exc:
            code: grpc.StatusCode = exc.code()
            details: str = exc.details() or ""
            if code not in allowed_codes(rpc):
                raise AssertionError(f"{rpc} answered {code.name}: {details}") from None
            if code is not grpc.StatusCode.DEADLINE_EXCEEDED:
                assert details.strip(), f"{rpc} answered {code.name} without a message"
            return code
        return grpc.StatusCode.OK

    # ------------------------------------------------------------------ "never corrupts state"
    def check_sound(self) -> None:
        """The engine still answers Topology and its state passes the consistency check."""
        response = self.stub.Topology(pb.TopologyRequest(), timeout=DEADLINE_SECONDS)
        assert response.brokers, "Topology answered without a broker"
        self.in_loop(lambda e: assert_consistent(e.engine))

    def check_runs_known_good(self) -> None:
        """A known-good process still deploys, runs through a job and completes, with the job's variables."""
        gateway = self.stub
        bpmn = simple_service_process("fuzzKnownGood", KNOWN_GOOD_JOB)
        gateway.DeployResource(
            pb.DeployResourceRequest(resources=[pb.Resource(name="known-good.bpmn", content=bpmn)]),
            timeout=DEADLINE_SECONDS,
        )
        created = gateway.CreateProcessInstance(
            pb.CreateProcessInstanceRequest(bpmnProcessId="fuzzKnownGood", version=-1, variables='{"n": 1}'),
            timeout=DEADLINE_SECONDS,
        )
        jobs = [
            job
            for response in gateway.ActivateJobs(
                pb.ActivateJobsRequest(
                    type=KNOWN_GOOD_JOB, worker="known-good", timeout=60_000, maxJobsToActivate=100, requestTimeout=-1
                ),
                timeout=DEADLINE_SECONDS,
            )
            for job in response.jobs
        ]
        mine = [job for job in jobs if job.processInstanceKey == created.processInstanceKey]
        assert len(mine) == 1, f"the known-good instance's job was not activatable: {jobs}"
        for job in jobs:
            gateway.CompleteJob(pb.CompleteJobRequest(jobKey=job.key, variables='{"done": true}'), timeout=30)

        def finished(embedded: EmbeddedEngine) -> tuple[str, dict[str, Any]]:
            pi = embedded.process_instance(created.processInstanceKey)
            return pi.state, dict(pi.final_variables or {})

        state, variables = self.in_loop(finished)
        assert (state, variables) == ("COMPLETED", {"n": 1, "done": True})


# ---------------------------------------------------------------------- seed state and the pool of real keys
def seed_processes() -> list[tuple[str, bytes]]:
    """Processes that leave something of every kind waiting: jobs, a message subscription, a timer, a user task."""
    waiting = process(
        "fuzzWaiting",
        '<bpmn:startEvent id="Start" /><bpmn:parallelGateway id="Fork" />'
        + service_task("Work", SEED_JOB_TYPES[0])
        + '<bpmn:receiveTask id="Wait" messageRef="Message_Fuzz" />'
        '<bpmn:intermediateCatchEvent id="Later"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1H</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:userTask id="Review"><bpmn:extensionElements><zeebe:userTask /></bpmn:extensionElements>'
        "</bpmn:userTask>"
        '<bpmn:parallelGateway id="Join" /><bpmn:endEvent id="End" />'
        + chain("Start", "Fork")
        + "".join(chain("Fork", e, "Join") for e in ("Work", "Wait", "Later", "Review"))
        + chain("Join", "End"),
        extra=message_def("Message_Fuzz", SEED_MESSAGES[0], "=orderId"),
    )
    other = simple_service_process("fuzzOther", SEED_JOB_TYPES[1])
    return [("waiting.bpmn", waiting), ("other.bpmn", other)]


@dataclass
class KeyPool:
    """The engine's real keys and names, refreshed between examples, so random requests hit real things."""

    keys: list[int] = field(default_factory=lambda: [KEY_BASE + 1])
    process_ids: list[str] = field(default_factory=lambda: ["fuzzWaiting"])
    job_types: list[str] = field(default_factory=lambda: list(SEED_JOB_TYPES))
    messages: list[str] = field(default_factory=lambda: list(SEED_MESSAGES))

    def refresh(self, engine: ThreadedEngine) -> None:
        def read(embedded: EmbeddedEngine) -> tuple[list[int], list[str], list[str], list[str]]:
            e = embedded.engine
            keys = [
                *e.process_instances,
                *e.jobs,
                *[k for k, i in e.incidents.items() if i.state is IncidentState.ACTIVE],
                *list(e.element_instances)[-50:],
                *e.definitions,
                *e.user_tasks,
                *e.messages,
            ]
            ids = sorted({d.bpmn_process_id for d in e.definitions.values()})
            types = sorted({j.type for j in e.jobs.values()} | set(SEED_JOB_TYPES))
            names = sorted({s.message_name for s in e.subscriptions.values()} | set(SEED_MESSAGES))
            return keys[-400:], ids, types, names

        keys, ids, types, names = engine.in_loop(read)
        self.keys = keys or self.keys
        self.process_ids = ids or self.process_ids
        self.job_types = [t for t in types if t != KNOWN_GOOD_JOB] or self.job_types
        self.messages = names or self.messages

    def pick(self, attribute: str) -> st.SearchStrategy[Any]:
        return st.integers(min_value=0, max_value=10_000).map(lambda i: _nth(getattr(self, attribute), i))


def _nth(items: list[T], index: int) -> T:
    return items[index % len(items)]


def seed(engine: ThreadedEngine) -> KeyPool:
    """Deploys the seed processes and starts instances of them; one job fails with no retries left (an incident)."""
    gateway = engine.stub
    gateway.DeployResource(
        pb.DeployResourceRequest(resources=[pb.Resource(name=n, content=c) for n, c in seed_processes()]),
        timeout=DEADLINE_SECONDS,
    )
    for i in range(3):
        gateway.CreateProcessInstance(
            pb.CreateProcessInstanceRequest(
                bpmnProcessId="fuzzWaiting", version=-1, variables=f'{{"orderId": "o{i}"}}'
            ),
            timeout=DEADLINE_SECONDS,
        )
    jobs = [
        job
        for response in gateway.ActivateJobs(
            pb.ActivateJobsRequest(
                type=SEED_JOB_TYPES[0], worker="seed", timeout=60_000, maxJobsToActivate=1, requestTimeout=-1
            ),
            timeout=DEADLINE_SECONDS,
        )
        for job in response.jobs
    ]
    for job in jobs:
        gateway.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage="seed incident"), timeout=30)
    pool = KeyPool()
    pool.refresh(engine)
    return pool


# ---------------------------------------------------------------------- strategies
_INT_RANGES = {
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def variable_documents() -> st.SearchStrategy[str]:
    """Variables as clients send them: JSON objects (unknown and odd keys), empty, other JSON, and non-JSON text."""
    nested = st.integers(min_value=1, max_value=200_000).map(lambda n: '{"a":' * n + "1" + "}" * n)
    deep_list = st.integers(min_value=1, max_value=200_000).map(lambda n: "[" * n + "]" * n)
    return st.one_of(
        st.dictionaries(st.text(max_size=12), json_values, max_size=6).map(json.dumps),
        st.just(""),
        st.just("{}"),
        st.sampled_from(["[]", "1", "null", '"text"', "true", "[{}]", "1e999", '{"a": NaN}', '{"a": Infinity}']),
        st.sampled_from(['{"a": 1, "a": 2}', '{"a": 1e400}', '{"": 1}', '{"a"', "{", "}", "\x00", "\ufeff{}"]),
        nested,
        deep_list,
        st.text(max_size=40),
    )


def strings(name: str, pool: KeyPool) -> st.SearchStrategy[str]:
    """Any text, empty, huge or unicode; for fields naming things, sometimes a real name."""
    base = st.one_of(
        st.text(max_size=30),
        st.just(""),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8).map(lambda s: s * 5_000),
        st.sampled_from(["=", "= x", "=null", "${x}", "<default>", " ", "\n", "ä", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]),
    )
    lowered = name.lower()
    if lowered == "variables":
        return variable_documents()
    if lowered == "bpmnprocessid":
        return st.one_of(pool.pick("process_ids"), base)
    if lowered in {"type", "jobtype"}:
        return st.one_of(pool.pick("job_types"), base)
    if lowered in {"name", "signalname"}:
        return st.one_of(pool.pick("messages"), base)
    if lowered == "correlationkey":
        return st.one_of(st.sampled_from(["o0", "o1", "o2"]), base)
    if lowered == "tenantid":
        return st.one_of(st.just("<default>"), base)
    return base


def integers(name: str, kind: int, pool: KeyPool) -> st.SearchStrategy[int]:
    """Any int of the field's type, negative and huge ones too; for key fields real keys and keys of real shape."""
    low, high = _INT_RANGES[kind]
    choices: list[st.SearchStrategy[int]] = [
        st.integers(min_value=low, max_value=high),
        st.sampled_from([v for v in (0, -1, 1, low, high, 2**31 - 1, -(2**31)) if low <= v <= high]),
        st.integers(min_value=-5, max_value=60_000),
    ]
    if name.endswith("Key") or name == "key":
        choices += [pool.pick("keys"), st.integers(min_value=KEY_BASE, max_value=KEY_BASE + 10_000)]
    if name in {"requestTimeout", "timeout"}:
        choices.append(st.integers(min_value=-2, max_value=200))
    if name == "version":
        choices.append(st.integers(min_value=-2, max_value=3))
    return st.one_of(*choices).map(lambda value: min(max(value, low), high))


def messages(descriptor: Descriptor, pool: KeyPool, depth: int = 0) -> st.SearchStrategy[Any]:
    """A message of the descriptor's type built field by field: each field left out or given a random value."""
    message_class = message_factory.GetMessageClass(descriptor)
    fields = {f.name: _field_values(f, pool, depth) for f in descriptor.fields}
    return st.fixed_dictionaries({}, optional=fields).map(
        lambda values: message_class(**{k: v for k, v in values.items() if v is not _UNSET})
    )


_UNSET = object()


def _repeated(f: FieldDescriptor) -> bool:
    is_repeated = getattr(f, "is_repeated", None)  # protobuf 6, where `label` is deprecated
    if is_repeated is not None:
        return bool(is_repeated)
    return bool(getattr(f, "label") == FieldDescriptor.LABEL_REPEATED)  # noqa: B009 - not in protobuf 6's stubs


def _field_values(f: FieldDescriptor, pool: KeyPool, depth: int) -> st.SearchStrategy[Any]:
    single: st.SearchStrategy[Any]
    if f.type == FieldDescriptor.TYPE_MESSAGE:
        if depth >= 3:
            return st.just([]) if _repeated(f) else st.just(_UNSET)
        assert f.message_type is not None
        single = messages(f.message_type, pool, depth + 1)
    elif f.type == FieldDescriptor.TYPE_STRING:
        single = strings(f.name, pool)
    elif f.type == FieldDescriptor.TYPE_BYTES:
        from tests.engine.fuzz_bpmn import bpmn_documents

        single = st.one_of(st.binary(max_size=200), bpmn_documents(pool).map(str.encode))
    elif f.type == FieldDescriptor.TYPE_BOOL:
        single = st.booleans()
    elif f.type == FieldDescriptor.TYPE_ENUM:
        assert f.enum_type is not None
        single = st.one_of(st.sampled_from([v.number for v in f.enum_type.values]), st.integers(-3, 1000))
    elif f.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        single = st.floats(width=32 if f.type == FieldDescriptor.TYPE_FLOAT else 64)
    else:
        single = integers(f.name, f.type, pool)
    if _repeated(f):
        return st.lists(single, max_size=3)
    return single


def raw_payloads(rpc: str, pool: KeyPool) -> st.SearchStrategy[bytes]:
    """Malformed request payloads: random bytes, a valid request cut short, with bytes flipped or an unknown
    field appended, and valid encodings of another request type."""
    valid = messages(GATEWAY_METHODS[rpc].input_type, pool).map(lambda m: m.SerializeToString())
    other = st.sampled_from(sorted(GATEWAY_METHODS)).flatmap(
        lambda name: messages(GATEWAY_METHODS[name].input_type, pool).map(lambda m: m.SerializeToString())
    )

    def flip(data: tuple[bytes, int, int]) -> bytes:
        payload, index, value = data
        if not payload:
            return bytes([value])
        buffer = bytearray(payload)
        buffer[index % len(buffer)] = value
        return bytes(buffer)

    return st.one_of(
        st.binary(max_size=300),
        st.tuples(valid, st.integers(min_value=0)).map(lambda t: t[0][: t[1] % (len(t[0]) + 1)]),
        st.tuples(valid, st.integers(min_value=0), st.integers(0, 255)).map(flip),
        st.tuples(valid, st.binary(min_size=1, max_size=20)).map(lambda t: t[0] + b"\xf8\xff\x07" + t[1]),
        other,
    )


def advance(engine: ThreadedEngine, seconds: int) -> None:
    """Moves the engine's controlled clock forward (timers, job time-outs, message expiries fire)."""

    async def move() -> None:
        assert engine.embedded is not None
        await engine.embedded.increase_time(timedelta(seconds=seconds))

    engine.run(move())
