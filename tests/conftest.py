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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`pytest --durable` checks durable mode: the `engine` fixture is then durable and its log is replayed after each
    test. A test without that fixture runs exactly as it does without the option – `make test` ran it in its first
    pass – so with `--durable` only the tests on the `engine` fixture run (the FEEL, timer-expression, fuzz and
    REST-auth modules were run twice for nothing: 600 of the 1,000 engine tests)."""
    if not config.getoption("--durable"):
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (kept if "engine" in getattr(item, "fixturenames", ()) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


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
