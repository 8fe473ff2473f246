"""pytest fixtures: `engine` (an EmbeddedEngine with a controlled clock), `zeebe_channel`, `zeebe_client`.

Enable with `pytest_plugins = ["engine.testing.pytest_plugin"]` in a conftest.py.
"""

from collections.abc import AsyncIterator

import grpc
import pytest
from pyzeebe import ZeebeClient, create_insecure_channel

from engine.testing.embedded import EmbeddedEngine


@pytest.fixture
async def engine() -> AsyncIterator[EmbeddedEngine]:
    """A fresh embedded engine on free loopback ports, clock under the test's control."""
    async with EmbeddedEngine() as embedded:
        yield embedded


@pytest.fixture
async def zeebe_channel(engine: EmbeddedEngine) -> AsyncIterator[grpc.aio.Channel]:
    channel = create_insecure_channel(grpc_address=engine.address)
    yield channel
    await channel.close(grace=None)


@pytest.fixture
def zeebe_client(zeebe_channel: grpc.aio.Channel) -> ZeebeClient:
    return ZeebeClient(zeebe_channel)
