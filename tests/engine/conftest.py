"""Fixtures shared by the engine's conformance tests."""

from typing import Any

import grpc
import pytest

from tests.engine.rpc_helpers import stub


@pytest.fixture
def gateway(zeebe_channel: grpc.aio.Channel) -> Any:
    """The Zeebe gateway's gRPC stub on the test engine's port (typed Any: the generated stubs' types are the
    synchronous ones)."""
    return stub(zeebe_channel)
