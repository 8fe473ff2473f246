"""The application store on a real SQLite file: migrations, request numbers, personal data, accounts, mail, audit."""

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tests.workers.conftest import NIK, NIP, FakeClock, admin_ppe_request_data, sqlite_only
from workers.constants import STATUS_EXPIRED
from workers.domain import AccountRole, AccountStatus, PersonData, PersonRole, PpbjIdentityData, RequestKind, System
from workers.errors import NotFoundError, PersonAlreadyApplyingError, StoreError, StoreUnavailableError, is_transient
from workers.store import Store, create_store_engine, current_revision, head_revision, mail_idempotency_key, upgrade
from workers.store.models import Base

TABLES = {
    "accounts",
    "archives",
    "audit_events",
    "documents",
    "mail_log",
    "persons",
    "request_sequences",
    "requests",
    "set_password_tokens",
}


def test_migrations_create_the_schema_at_head(database_url: str) -> None:
    """`upgrade()` creates every table at the newest revision; running it again is a no-op."""
    upgrade(database_url)
    upgrade(database_url)
    engine = create_store_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert current_revision(engine) == head_revision() is not None
    finally:
        engine.dispose()


def test_models_match_the_migrations(database_url: str) -> None:
    """The ORM models and the migrated schema agree, so no change to the models goes without a migration."""
    upgrade(database_url)
    engine = create_store_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_request_numbers_are_sequential_per_kind_and_year(store: Store) -> None:
    """Each SOP has its own sequence: ADM-2026-000001, ADM-2026-000002, PPBJ-2026-000001."""
    first = store.create_admin_ppe_request(admin_ppe_request_data())
    second = store.create_admin_ppe_request(admin_ppe_request_data())
    registration = store.create_ppbj_registration(PersonData(name="Ani", email="ani@kalbarprov.go.id"))
    assert [first.number, second.number, registration.number] == [
        "ADM-2026-000001",
        "ADM-2026-000002",
        "PPBJ-2026-000001",
    ]
    assert first.kind is RequestKind.ADMIN_PPE
    assert registration.kind is RequestKind.PPBJ
    assert store.get_request(first.number) == first


def test_request_number_year_follows_the_sops_time_zone(store: Store, clock: FakeClock) -> None:
    """At 16:30 UTC on 31 December it is already the new year in WITA (SOP 1) but not yet in WIB (SOP 2)."""
    clock.current = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert store.create_admin_ppe_request(admin_ppe_request_data()).number == "ADM-2027-000001"
    assert store.create_ppbj_registration(PersonData(name="Ani")).number == "PPBJ-2026-000001"


def test_concurrent_request_numbers_are_unique(store: Store) -> None:
    """Requests created from many threads at once get distinct, gap-free numbers."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda _: store.create_admin_ppe_request(admin_ppe_request_data()).number, range(24)))
    assert sorted(numbers) == [f"ADM-2026-{n:06d}" for n in range(1, 25)]


def test_one_open_admin_ppe_request_per_nik_even_when_submitted_at_once(store: Store) -> None:
    """Submissions with different documents (different submission keys) for one Admin PPE, from many threads at the
    same instant: exactly one request is created, the others are refused naming it; once that request has expired,
    the Admin PPE may apply again."""

    def submit(n: int) -> str:
        try:
            request, created = store.submit_admin_ppe_request(admin_ppe_request_data(), submission_key=f"dokumen-{n}")
        except PersonAlreadyApplyingError as exc:
            return f"ditolak:{exc.number}"
        assert created
        return f"dibuat:{request.number}"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(submit, range(16)))
    [created] = [o for o in outcomes if o.startswith("dibuat:")]
    number = created.removeprefix("dibuat:")
    assert sorted(outcomes) == sorted([created] + [f"ditolak:{number}"] * 15)
    assert [r.number for r in store.find_requests_by_person(PersonRole.ADMIN_PPE, nik=NIK)] == [number]

    store.set_request_status(number, STATUS_EXPIRED)
    again, was_created = store.submit_admin_ppe_request(admin_ppe_request_data(), submission_key="dokumen-baru")
    assert was_created and again.number != number


def test_personal_data_is_stored_but_not_shown(store: Store) -> None:
    """The store keeps the full NIK; the record's repr hides it and offers the masked form and a reference."""
    number = store.create_admin_ppe_request(admin_ppe_request_data()).number
    admin = store.get_person(number, PersonRole.ADMIN_PPE)
    assert (admin.nik, admin.nip, admin.whatsapp) == (NIK, NIP, "+6281234567890")
    assert admin.nik_masked == "6471**********01"
    assert admin.ref == f"{number}/admin-ppe/1"
    for value in (NIK, NIP, "sari", "+62812"):
        assert value not in repr(admin)
    assert [p.role for p in store.list_persons(number)] == [PersonRole.KEPALA_LPSE, PersonRole.ADMIN_PPE]


def test_ppbj_identity_revisions(store: Store) -> None:
    """Each identity a PPBJ submits is a new revision with its own reference; the audit trail has only the mask."""
    number = store.create_ppbj_registration(PersonData(name="Ani", email="ani@kalbarprov.go.id")).number
    identity = PpbjIdentityData(nik="6171014505900002", nip=NIP, institution="Biro PBJ", position="Pengelola PBJ")
    first = store.update_ppbj_identity(number, identity)
    second = store.update_ppbj_identity(number, identity)
    assert (first.revision, second.revision) == (2, 3)
    assert second.ref == f"{number}/ppbj/3"
    trail = store.audit_trail(number)
    assert [event.detail.get("nikTersamar") for event in trail if event.action == "identitas.diisi"] == [
        "6171**********02",
        "6171**********02",
    ]
    assert "6171014505900002" not in repr(trail)


def test_identity_duplicates_across_requests(store: Store) -> None:
    """A NIK, NIP, e-mail or WhatsApp number already used in another request is reported with that request."""
    other = store.create_admin_ppe_request(admin_ppe_request_data()).number
    number = store.create_ppbj_registration(PersonData(name="Sari", email="sari.wulandari@kaltimprov.go.id")).number
    store.update_ppbj_identity(
        number, PpbjIdentityData(nik=NIK, nip="198001012005011002", institution="-", position="-")
    )
    matches = store.find_identity_matches(number, PersonRole.PPBJ)
    assert {(m.field, m.request_number, m.role) for m in matches} == {
        ("nik", other, PersonRole.ADMIN_PPE),
        ("email", other, PersonRole.ADMIN_PPE),
    }
    assert store.find_identity_matches(other, PersonRole.KEPALA_LPSE) == []


def test_account_creation_is_keyed_by_request_system_and_role(store: Store) -> None:
    """Creating the same (request, system, role) twice returns the first account; another system gets its own."""
    number = store.create_admin_ppe_request(admin_ppe_request_data()).number
    kwargs = {"status": AccountStatus.ACTIVE, "display_name": "Sari Wulandari", "email": "sari@kaltimprov.go.id"}
    first = store.create_account(number, System.SPSE, AccountRole.ADMIN_PPE, **kwargs)  # type: ignore[arg-type]
    again = store.create_account(number, System.SPSE, AccountRole.ADMIN_PPE, **kwargs)  # type: ignore[arg-type]
    other = store.create_account(number, System.SIRUP, AccountRole.ADMIN_PPE, **kwargs)  # type: ignore[arg-type]
    assert again == first
    assert other.id != first.id
    assert first.user_id.startswith("adminppe.")
    assert "sari" not in first.user_id.lower()
    assert first.must_change_password and not first.has_password
    assert first.activated_at is not None
    assert store.list_accounts(number) == [first, other]
    assert [e.action for e in store.audit_trail(number)].count("akun.dibuat") == 2


def test_pending_account_is_activated_once(store: Store, clock: FakeClock) -> None:
    """A pending account becomes active; activating again changes nothing and adds no audit entry."""
    number = store.create_ppbj_registration(PersonData(name="Ani")).number
    account = store.create_account(
        number, System.DIREKTORI, AccountRole.PPBJ, status=AccountStatus.PENDING, display_name="Ani", email=None
    )
    assert (account.status, account.activated_at) == (AccountStatus.PENDING, None)
    clock.advance(timedelta(minutes=3))
    active = store.activate_account(account.id)
    assert active.status is AccountStatus.ACTIVE
    assert active.activated_at == clock.current
    clock.advance(timedelta(minutes=3))
    assert store.activate_account(account.id) == active
    assert [e.action for e in store.audit_trail(number)].count("akun.diaktifkan") == 1
    assert store.find_account(number, System.DIREKTORI, AccountRole.PPBJ) == active
    assert store.find_account(number, System.SPSE, AccountRole.PPBJ) is None


def test_an_account_can_take_a_given_user_id_once_per_system(store: Store) -> None:
    """One person keeps one user id on every system: a given user id is used, but not twice within a system."""
    number = store.create_ppbj_registration(PersonData(name="Ani")).number
    kwargs = {"status": AccountStatus.ACTIVE, "display_name": "Ani", "email": None}
    directory = store.create_account(number, System.DIREKTORI, AccountRole.PPBJ, **kwargs)  # type: ignore[arg-type]
    spse = store.create_account(
        number,
        System.SPSE,
        AccountRole.PPBJ,
        user_id=directory.user_id,
        **kwargs,  # type: ignore[arg-type]
    )
    assert spse.user_id == directory.user_id
    again = store.create_account(
        number,
        System.SPSE,
        AccountRole.PPBJ,
        user_id=directory.user_id,
        **kwargs,  # type: ignore[arg-type]
    )
    assert again == spse
    other = store.create_ppbj_registration(PersonData(name="Budi")).number
    with pytest.raises(StoreError, match="sudah dipakai"):
        store.create_account(
            other,
            System.SPSE,
            AccountRole.PPBJ,
            user_id=directory.user_id,
            **kwargs,  # type: ignore[arg-type]
        )


def test_mail_log_records_each_key_once(store: Store) -> None:
    """A second record of the same idempotency key is refused as not new, and the first entry is returned."""
    number = store.create_admin_ppe_request(admin_ppe_request_data()).number
    key = mail_idempotency_key(2251799813685301, "undangan-admin-ppe", "admin-ppe")
    assert key == "2251799813685301:undangan-admin-ppe:admin-ppe"
    assert store.find_mail(key) is None
    fields = {
        "request_number": number,
        "template": "undangan-admin-ppe",
        "recipient_role": "admin-ppe",
        "recipient": "sari.wulandari@kaltimprov.go.id",
        "subject": "Undangan",
    }
    first, created = store.record_mail(key, message_id="<a@pbj>", **fields)
    again, created_again = store.record_mail(key, message_id="<b@pbj>", **fields)
    assert (created, created_again) == (True, False)
    assert again == first
    assert again.message_id == "<a@pbj>"
    assert store.find_mail(key) == first
    assert [e.action for e in store.audit_trail(number)].count("surel.terkirim") == 1


def test_audit_trail_with_event_keys(store: Store, clock: FakeClock) -> None:
    """Entries come back oldest first; an entry with an event key is written once however often it is recorded."""
    number = store.create_admin_ppe_request(admin_ppe_request_data()).number
    clock.advance(timedelta(minutes=1))
    detail = {"langkah": "PeriksaKelengkapanBerkasTask", "batasWaktu": "PT10M"}
    first = store.record_audit(number, "sla.terlampaui", actor="pekerja", detail=detail, event_key="sla:1")
    again = store.record_audit(number, "sla.terlampaui", actor="pekerja", detail=detail, event_key="sla:1")
    store.record_audit(number, "keputusan.berkas-lengkap", detail={"berkasLengkap": True})
    assert again == first
    trail = store.audit_trail(number)
    assert [e.action for e in trail] == ["permohonan.diajukan", "sla.terlampaui", "keputusan.berkas-lengkap"]
    assert trail[1].at == clock.current
    assert trail[1].detail == detail


def test_request_status_changes_are_audited(store: Store) -> None:
    """A status change is recorded with the old and the new status; setting the same status again is silent."""
    number = store.create_admin_ppe_request(admin_ppe_request_data()).number
    assert store.get_request(number).status == "DIAJUKAN"
    store.set_request_status(number, "SELESAI")
    store.set_request_status(number, "SELESAI")
    changes = [e.detail for e in store.audit_trail(number) if e.action == "permohonan.status"]
    assert changes == [{"dari": "DIAJUKAN", "menjadi": "SELESAI"}]
    assert store.set_process_instance_key(number, 2251799813685249).process_instance_key == 2251799813685249


def test_unknown_things_are_not_found(store: Store) -> None:
    """Unknown requests, persons and accounts raise NotFoundError, a permanent error."""
    number = store.create_ppbj_registration(PersonData(name="Ani")).number
    with pytest.raises(NotFoundError, match="ADM-2026-999999"):
        store.get_request("ADM-2026-999999")
    with pytest.raises(NotFoundError):
        store.get_person(number, PersonRole.ADMIN_PPE)
    with pytest.raises(NotFoundError) as caught:
        store.get_account("tidak-ada")
    assert not is_transient(caught.value)


@sqlite_only
def test_sqlite_file_and_directory_are_created(database_url: str, tmp_path: Path) -> None:
    """The default SQLite database is created with its directory on first start."""
    upgrade(database_url)
    assert (tmp_path / "data" / "pbj.sqlite3").is_file()


@sqlite_only
def test_locked_database_is_a_transient_error(database_url: str, tmp_path: Path) -> None:
    """When another process holds the write lock past the busy timeout, the store reports a retryable error."""
    upgrade(database_url)
    holder = sqlite3.connect(tmp_path / "data" / "pbj.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store = Store(create_store_engine(database_url, busy_timeout=0.05))
    try:
        with pytest.raises(StoreUnavailableError) as caught:
            store.create_ppbj_registration(PersonData(name="Ani"))
        assert is_transient(caught.value)
    finally:
        holder.rollback()
        holder.close()
        store.close()
