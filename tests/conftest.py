"""Suite-wide fixtures: the embedded engine's pytest plugin (`engine`, `zeebe_channel`, `zeebe_client`) and the
`--engine` backend option; the workers' logging set up once, as the services do it, on stderr."""

import pytest

from tests.suite_logging import log_warnings_to_stderr

pytest_plugins = ["engine.testing.pytest_plugin", "tests.backends.plugin"]


@pytest.fixture(scope="session", autouse=True)
def _workers_log_to_stderr() -> None:
    """Workers running inside a test log warnings to stderr, like an unconfigured `pbj` command; structlog's own
    default is stdout, where the `pbj` commands under test write their results."""
    log_warnings_to_stderr()
