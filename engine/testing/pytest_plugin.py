"""pytest fixtures: `engine` (an EmbeddedEngine with a controlled clock), `zeebe_channel`, `zeebe_client`.

Enable with `pytest_plugins = ["engine.testing.pytest_plugin"]` in a conftest.py. With `pytest --durable` the
`engine` fixture is a durable engine on a temporary data directory, and after each test its log is replayed into a
fresh engine that must have exactly the same state: the whole suite then checks durable mode.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from pyzeebe import ZeebeClient, create_insecure_channel

from engine.durable import DurableEngine
from engine.testing.embedded import EmbeddedEngine


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--durable",
        action="store_true",
        help="run the engine fixture durable and check after each test that replaying its log gives the same state",
    )


@pytest.fixture
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EmbeddedEngine]:
    """A fresh embedded engine on free loopback ports, clock under the test's control."""
    durable = bool(request.config.getoption("--durable"))
    async with EmbeddedEngine(data_dir=tmp_path / "engine-data" if durable else None) as embedded:
        yield embedded
        if isinstance(embedded.engine, DurableEngine):
            await embedded.server.stop(grace=0.2)
            from engine.durable.verify import replay_differences

            differences = replay_differences(embedded.engine)
            assert not differences, f"replaying the command log gave a different {', '.join(differences)}"


@pytest.fixture
async def zeebe_channel(engine: EmbeddedEngine) -> AsyncIterator[grpc.aio.Channel]:
    channel = create_insecure_channel(grpc_address=engine.address)
    yield channel
    await channel.close(grace=None)


@pytest.fixture
def zeebe_client(zeebe_channel: grpc.aio.Channel) -> ZeebeClient:
    return ZeebeClient(zeebe_channel)
