"""Fixtures of the workers' foundation tests: a controllable clock and a migrated store.

The store is a SQLite file under tmp_path. With `PBJ_TEST_POSTGRES_URL` set to a PostgreSQL server URL
(e.g. `postgresql+psycopg://pbj@127.0.0.1:5432/postgres`, needs the `postgres` extra), every test gets a
fresh database on that server instead, and the SQLite-only checks are skipped.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from engine.testing import EmbeddedEngine
from tests.workers.harness import MailSink, at_office_morning, settings_environ, watch_engine
from workers.domain import AdminPpeRequestData, PersonData
from workers.services import Services
from workers.settings import Settings
from workers.store import Store

NIK = "6471014505900001"
NIP = "199005052015032001"


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.current += delta


@pytest.fixture
def clock() -> FakeClock:
    """A fixed clock at 2026-03-02 01:00 UTC."""
    return FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


POSTGRES_SERVER = os.environ.get("PBJ_TEST_POSTGRES_URL", "")

sqlite_only = pytest.mark.skipif(bool(POSTGRES_SERVER), reason="checks SQLite files or locks")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A SQLite file in the test's directory (created by the migrations), or a fresh PostgreSQL database."""
    if not POSTGRES_SERVER:
        yield f"sqlite:///{tmp_path / 'data' / 'pbj.sqlite3'}"
        return
    name = f"pbj_test_{uuid.uuid4().hex[:12]}"
    server = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        server.dispose()


@pytest.fixture
def store(database_url: str, clock: FakeClock) -> Iterator[Store]:
    """A migrated store on the fake clock."""
    with Store.open(database_url, clock=clock) as opened:
        yield opened


def admin_ppe_request_data() -> AdminPpeRequestData:
    """An SOP 1 request with made-up but well-formed personal data."""
    return AdminPpeRequestData(
        lpse_name="LPSE Provinsi Kalimantan Timur",
        kepala_lpse=PersonData(name="Budi Santoso", email="budi.santoso@kaltimprov.go.id"),
        admin_ppe=PersonData(
            name="Sari Wulandari",
            email="sari.wulandari@kaltimprov.go.id",
            whatsapp="+6281234567890",
            nik=NIK,
            nip=NIP,
        ),
    )


# --- the job workers (issue 4) -----------------------------------------------------------------------------------


@pytest.fixture
def worker_settings(tmp_path: Path, database_url: str, mail_sink: MailSink) -> Settings:
    """Settings of the workers: the test database, data under tmp_path, the loopback SMTP server."""
    return Settings.from_env(settings_environ(tmp_path / "data", database_url, mail_sink.port))


@pytest.fixture
async def services(worker_settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    """The workers' services on the fake clock (store migrated)."""
    built = Services.from_settings(worker_settings, clock=clock)
    yield built
    await built.aclose()


@pytest.fixture
def engine(engine: EmbeddedEngine) -> Iterator[EmbeddedEngine]:
    """The suite's embedded engine at `OFFICE_MORNING`, named for `running_worker` so a started worker has polled
    before it is used."""
    watch_engine(at_office_morning(engine))
    yield engine
    watch_engine(None)
