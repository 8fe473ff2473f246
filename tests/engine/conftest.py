"""Fixtures shared by the engine's conformance tests."""

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_harness import Driver, driving
from tests.engine.rpc_helpers import stub


@pytest.fixture
def gateway(zeebe_channel: grpc.aio.Channel) -> Any:
    """The Zeebe gateway's gRPC stub on the test engine's port (typed Any: the generated stubs' types are the
    synchronous ones)."""
    return stub(zeebe_channel)


@pytest.fixture
async def gw(engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel) -> AsyncIterator[Driver]:
    """The Driver of one test: deploys, starts and drives instances through the gateway."""
    async with driving(engine, zeebe_channel) as driver:
        yield driver
