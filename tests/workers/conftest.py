"""Fixtures of the workers' foundation tests: a controllable clock and a migrated SQLite store under tmp_path."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workers.domain import AdminPpeRequestData, PersonData
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


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A SQLite file in the test's directory (created by the migrations)."""
    return f"sqlite:///{tmp_path / 'data' / 'pbj.sqlite3'}"


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
