"""Fixtures of the end-to-end tests: `system` – the engine `--engine` chose (a fresh embedded engine, or the
session's Camunda 8.8 in Docker) behind the backend protocol, the diagrams deployed over gRPC, the clock pinned over
REST, the workers' services on the engine's clock with a SQLite store under tmp_path, a loopback SMTP server that
requires a login, and the workers' log captured as JSON lines.

Every test must end with `await system.assert_privacy()`; the fixture fails the test otherwise.
"""

import io
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import grpc
import pytest

from tests.backends.backend import Backend
from tests.e2e.harness import SMTP_PASSWORD, SMTP_USER, START, SystemUnderTest, authenticate
from tests.workers.harness import BUREAU_HEAD_EMAIL, MailSink, capture_logs, settings_environ
from workers.services import Services
from workers.settings import Settings

CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the report of the test's call, so that `system` checks the privacy scan only after a passing test."""
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG (the workers, pyzeebe, the engine), as the service writes it: JSON lines."""
    with capture_logs() as buffer:
        yield buffer


@pytest.fixture
async def smtp_server() -> AsyncIterator[MailSink]:
    """A loopback SMTP server that accepts only the workers' login and keeps every message."""
    sink = MailSink(options={"authenticator": authenticate, "auth_require_tls": False})
    await sink.start()
    yield sink
    await sink.stop()


@pytest.fixture
async def system(
    backend: Backend,
    backend_channel: grpc.aio.Channel,
    smtp_server: MailSink,
    captured_logs: io.StringIO,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[SystemUnderTest]:
    """The whole system, ready: diagrams deployed, clock at START; the workers are started by each test."""
    data = tmp_path / "data"
    environ = settings_environ(
        data,
        f"sqlite:///{data / 'pbj.sqlite3'}",
        smtp_server.port,
        SMTP_USERNAME=SMTP_USER,
        SMTP_PASSWORD=SMTP_PASSWORD,
        BUREAU_HEAD_EMAIL=BUREAU_HEAD_EMAIL,
        LOG_LEVEL="DEBUG",
        LOG_FORMAT="json",
    )
    services = Services.from_settings(Settings.from_env(environ), clock=lambda: backend.current_time)
    try:
        built = SystemUnderTest(backend, backend_channel, services, smtp_server, captured_logs)
        await built.pin_clock(START)
        await built.deploy()
        yield built
    finally:
        await services.aclose()
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.passed:
        assert built.privacy_checked, "an end-to-end test must end with `await system.assert_privacy()`"
