"""Fuzz: every RPC of the Zeebe gateway service, enumerated from its protobuf descriptor, gets random requests
built field by field and malformed payloads over the real gRPC port; each call ends with a proper gRPC status
(never UNKNOWN or INTERNAL), and after each one the engine answers Topology and its state is consistent; after
each RPC's run a known-good process still deploys, runs through a job and completes.

Examples per RPC: the hypothesis profile `ci` (CI set) or `dev`; HYPOTHESIS_PROFILE=thorough for a long run."""

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyzeebe.proto import gateway_pb2_grpc as pb_grpc

from engine.gateway import GatewayService
from tests.engine.fuzz_profiles import FUZZ, FUZZ_RAW, TIMEOUT_SECONDS
from tests.engine.fuzz_support import (
    GATEWAY_METHODS,
    SERVICE,
    UNIMPLEMENTED_RPCS,
    KeyPool,
    ThreadedEngine,
    advance,
    messages,
    raw_payloads,
    seed,
)

pytestmark = pytest.mark.timeout(TIMEOUT_SECONDS)

RPCS = sorted(GATEWAY_METHODS)
CLOCK_STEPS = st.sampled_from([0, 0, 0, 0, 1, 60, 3600, 86_400])


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[ThreadedEngine, KeyPool]]:
    """One engine for the module, seeded with waiting instances, jobs, a timer, a subscription and an incident;
    what each RPC's fuzzing leaves behind is there for the next."""
    engine = ThreadedEngine().start()
    try:
        pool = seed(engine)
        yield engine, pool
    finally:
        engine.stop()


def test_the_fuzz_covers_every_rpc_the_gateway_service_declares() -> None:
    """The fuzzed RPCs are exactly the Gateway service's methods, and the engine's servicer overrides each one
    (a new RPC in pyzeebe's protocol is fuzzed automatically and fails here until the engine answers it)."""
    assert sorted(m.name for m in SERVICE.methods) == RPCS
    generated = pb_grpc.GatewayServicer.__dict__
    for rpc in RPCS:
        implementation = getattr(GatewayService, rpc)
        assert implementation is not generated.get(rpc), f"GatewayService does not implement {rpc}"
    assert set(RPCS) >= UNIMPLEMENTED_RPCS
    assert len(RPCS) >= 21


@pytest.mark.parametrize("rpc", RPCS)
def test_random_requests_get_a_status_and_leave_the_state_sound(
    fuzzed: tuple[ThreadedEngine, KeyPool], rpc: str
) -> None:
    """Requests of `rpc` built field by field (random and huge text, unicode, negative and huge numbers, real and
    bogus keys, JSON and non-JSON variables, random BPMN) each end with a proper status; the state stays sound."""
    engine, pool = fuzzed

    @FUZZ
    @given(request=messages(GATEWAY_METHODS[rpc].input_type, pool), seconds=CLOCK_STEPS)
    def one_request(request: Any, seconds: int) -> None:
        engine.call(rpc, request)
        if seconds:
            advance(engine, seconds)
        engine.check_sound()
        pool.refresh(engine)

    one_request()
    engine.check_runs_known_good()
    pool.refresh(engine)


@pytest.mark.parametrize("rpc", RPCS)
def test_malformed_payloads_get_a_status_and_leave_the_state_sound(
    fuzzed: tuple[ThreadedEngine, KeyPool], rpc: str
) -> None:
    """Raw bytes as `rpc`'s request payload (random, cut short, flipped, an unknown field appended, another
    request type) each end with a proper status; the state stays sound."""
    engine, pool = fuzzed

    @FUZZ_RAW
    @given(payload=raw_payloads(rpc, pool))
    def one_payload(payload: bytes) -> None:
        engine.call_raw(rpc, payload)
        engine.check_sound()
        pool.refresh(engine)

    one_payload()
    engine.check_runs_known_good()
