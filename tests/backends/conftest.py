"""Fixtures of the backend-agnostic tests: the workers' services on a SQLite store and a loopback SMTP server, so that
the real workers can run against whichever engine `--engine` chose."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.workers.harness import MailSink, settings_environ
from workers.services import Services
from workers.settings import Settings


@pytest.fixture
async def services(tmp_path: Path, mail_sink: MailSink) -> AsyncIterator[Services]:
    """The workers' services: a migrated SQLite store and documents under tmp_path, mail to the loopback server."""
    database_url = f"sqlite:///{tmp_path / 'data' / 'pbj.sqlite3'}"
    built = Services.from_settings(Settings.from_env(settings_environ(tmp_path / "data", database_url, mail_sink.port)))
    yield built
    await built.aclose()
