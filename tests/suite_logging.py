"""The test suite's logging: warnings and up on stderr, as an unconfigured `pbj` command writes them (structlog's own
default is stdout, where the `pbj` commands under test write their results)."""

import sys
from typing import TextIO, cast

from workers.logging import configure_logging


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time (pytest swaps it per test)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def log_warnings_to_stderr() -> None:
    """Route the workers' and the commands' logging to stderr from WARNING up (set once per session, and again
    after a test captured the logs)."""
    configure_logging("WARNING", "console", cast(TextIO, _CurrentStderr()))
