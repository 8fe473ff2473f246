"""Fixtures of the command tests: the embedded engine with the diagrams deployed, the workers' services over a
SQLite store under tmp_path (on the engine's clock), a loopback SMTP server, and the commands' environment pointing
at all of them (`ZEEBE_ADDRESS`, `CAMUNDA_REST_ADDRESS`, `DATABASE_URL`, `PBJ_DATA_DIR`). Commands run in-process
through `pbj.cli.main` (see `harness.Cli`)."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from engine.testing import EmbeddedEngine
from tests.commands.harness import Cli, Files
from tests.workers.harness import BPMN_DIR, MailSink, at_office_morning, settings_environ, watch_engine
from workers.services import Services
from workers.settings import Settings


@pytest.fixture
def engine(engine: EmbeddedEngine) -> Iterator[EmbeddedEngine]:
    """The suite's embedded engine at `OFFICE_MORNING`, named for `running_worker`: a started worker has polled before
    the block runs, and `wait_for_idle` waits for its jobs however long a loaded machine leaves between two polls."""
    watch_engine(at_office_morning(engine))
    yield engine
    watch_engine(None)


@pytest.fixture
def environ(tmp_path: Path, engine: EmbeddedEngine, mail_sink: MailSink) -> dict[str, str]:
    """The settings of the workers and the commands: the test engine, database, data directory and SMTP server."""
    data = tmp_path / "data"
    return {
        **settings_environ(data, f"sqlite:///{data / 'pbj.sqlite3'}", mail_sink.port),
        "ZEEBE_ADDRESS": engine.address,
        "CAMUNDA_REST_ADDRESS": engine.rest_url,
    }


@pytest.fixture
async def services(environ: dict[str, str], engine: EmbeddedEngine) -> AsyncIterator[Services]:
    """The workers' services on the engine's clock (store migrated)."""
    built = Services.from_settings(Settings.from_env(environ), clock=lambda: engine.current_time)
    yield built
    await built.aclose()


@pytest.fixture
def deployed(engine: EmbeddedEngine) -> EmbeddedEngine:
    """The engine with both diagrams and the form deployed."""
    engine.deploy(BPMN_DIR)
    return engine


@pytest.fixture
def cli(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Runs `pbj …` in-process with the test's environment, capturing what it prints."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return Cli(capsys)


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """Document files written under tmp_path."""
    return Files(tmp_path / "berkas")
