"""Suite-wide fixtures: the embedded engine's pytest plugin (`engine`, `zeebe_channel`, `zeebe_client`) and the
`--engine` backend option; the workers' logging set up once, as the services do it, on stderr."""

from collections.abc import AsyncIterator

import grpc
import pytest

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_harness import Driver, driving
from tests.suite_logging import log_warnings_to_stderr
from tests.workers.harness import MailSink

pytest_plugins = ["engine.testing.pytest_plugin", "tests.backends.plugin"]


@pytest.fixture(scope="session", autouse=True)
def _workers_log_to_stderr() -> None:
    """Workers running inside a test log warnings to stderr, like an unconfigured `pbj` command; structlog's own
    default is stdout, where the `pbj` commands under test write their results."""
    log_warnings_to_stderr()


@pytest.fixture
async def mail_sink() -> AsyncIterator[MailSink]:
    """A running loopback SMTP server that keeps every message."""
    sink = MailSink()
    await sink.start()
    yield sink
    await sink.stop()


@pytest.fixture
async def gw(engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel) -> AsyncIterator[Driver]:
    """The Driver of one test: deploys, starts and drives instances through the gateway."""
    async with driving(engine, zeebe_channel) as driver:
        yield driver
