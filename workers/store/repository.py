"""The application store's API: requests, personal data, document metadata, accounts, mail log, audit, archives.

Every method is one transaction and returns immutable records. Operations a retried job may repeat are
idempotent: `create_account` is keyed by (request, system, role), `add_document` by (request, type, SHA-256),
`record_mail` by an idempotency key, `record_audit` by an optional event key, `record_archive` by request.
The methods are synchronous; async job handlers call them through `asyncio.to_thread`.
"""

import hashlib
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Engine, or_, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from workers.constants import STATUS_EXPIRED, STATUS_SUBMITTED
from workers.domain import (
    AccountRole,
    AccountStatus,
    AdminPpeRequestData,
    DocumentType,
    PersonData,
    PersonRole,
    PpbjIdentityData,
    RequestKind,
    System,
)
from workers.errors import NotFoundError, PersonAlreadyApplyingError, StoreError, StoreUnavailableError, TokenError
from workers.store.access import AccessTokensMixin
from workers.store.database import create_store_engine, upgrade
from workers.store.models import (
    Account,
    Archive,
    AuditEvent,
    Document,
    MailLog,
    Person,
    Request,
    RequestSequence,
    SetPasswordToken,
)
from workers.store.records import (
    AccountRecord,
    ArchiveRecord,
    AuditRecord,
    DocumentRecord,
    IdentityMatch,
    MailRecord,
    PersonRecord,
    RequestRecord,
)
from workers.store.staff import StaffMixin
from workers.validation import mask_nik

T = TypeVar("T")
Clock = Callable[[], datetime]

_USER_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_USER_ID_PREFIXES = {AccountRole.ADMIN_PPE: "adminppe", AccountRole.PPBJ: "ppbj"}
_IDENTITY_FIELDS = ("nik", "nip", "email", "whatsapp")


def mail_idempotency_key(element_instance_key: int, template: str, recipient_role: str) -> str:
    """The mail-log key of one e-mail of one job: stable across retries, new for every pass through a loop."""
    return f"{element_instance_key}:{template}:{recipient_role}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Store(AccessTokensMixin, StaffMixin):
    """The application store (claim-check): everything the process variables only refer to; applicants' access
    tokens (`access.py`) and the web application's staff accounts and sessions (`staff.py`) as mixins."""

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock or _utc_now

    @classmethod
    def open(cls, database_url: str, *, migrate: bool = True, clock: Clock | None = None) -> "Store":
        """Open the store at `database_url`, first applying pending migrations unless `migrate` is false."""
        if migrate:
            upgrade(database_url)
        return cls(create_store_engine(database_url), clock=clock)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine."""
        return self._engine

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def now(self) -> datetime:
        """The store's current time (UTC); tests pass a controllable clock."""
        return self._clock().astimezone(UTC)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """One transaction; database outages become `StoreUnavailableError`, other database errors `StoreError`."""
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            raise StoreUnavailableError(f"Basis data tidak dapat diakses: {exc.orig}") from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailableError(f"Koneksi basis data terputus: {exc.orig}") from exc
            raise StoreError(f"Basis data menolak operasi: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"Operasi basis data gagal: {exc}") from exc

    # --- requests ---------------------------------------------------------------------------------------------

    def create_admin_ppe_request(self, data: AdminPpeRequestData, *, actor: str = "aplikasi") -> RequestRecord:
        """Register an SOP 1 request with its Kepala LPSE and Admin PPE; returns it with a new `nomorPermohonan`."""
        with self._transaction() as session:
            request = self._new_request(session, RequestKind.ADMIN_PPE, lpse_name=data.lpse_name)
            self._add_person(session, request, PersonRole.KEPALA_LPSE, data.kepala_lpse)
            self._add_person(session, request, PersonRole.ADMIN_PPE, data.admin_ppe)
            self._audit(session, request, "permohonan.diajukan", actor, {"jenis": RequestKind.ADMIN_PPE.value})
            return _request_record(request)

    def create_ppbj_registration(self, applicant: PersonData, *, actor: str = "aplikasi") -> RequestRecord:
        """Register an SOP 2 registration (name, e-mail, WhatsApp); returns it with a new `nomorPendaftaran`."""
        with self._transaction() as session:
            request = self._new_request(session, RequestKind.PPBJ, lpse_name=None)
            self._add_person(session, request, PersonRole.PPBJ, applicant)
            self._audit(session, request, "pendaftaran.dimulai", actor, {"jenis": RequestKind.PPBJ.value})
            return _request_record(request)

    def get_request(self, number: str) -> RequestRecord:
        """The request with this number; `NotFoundError` if there is none."""
        with self._transaction() as session:
            return _request_record(self._request(session, number))

    def set_request_status(self, number: str, status: str, *, actor: str = "sistem") -> RequestRecord:
        """Change a request's status and record it in the audit trail (no-op when unchanged)."""
        with self._transaction() as session:
            request = self._request(session, number)
            if request.status != status:
                previous, request.status, request.updated_at = request.status, status, self.now()
                self._audit(session, request, "permohonan.status", actor, {"dari": previous, "menjadi": status})
            return _request_record(request)

    def set_process_instance_key(self, number: str, process_instance_key: int) -> RequestRecord:
        """Link a request to the process instance that handles it."""
        with self._transaction() as session:
            request = self._request(session, number)
            request.process_instance_key = process_instance_key
            request.updated_at = self.now()
            return _request_record(request)

    def _new_request(self, session: Session, kind: RequestKind, *, lpse_name: str | None) -> Request:
        now = self.now()
        request = Request(
            number=self._next_number(session, kind, now),
            kind=kind.value,
            status=STATUS_SUBMITTED,
            lpse_name=lpse_name,
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        session.flush()
        return request

    def _next_number(self, session: Session, kind: RequestKind, now: datetime) -> str:
        """The next number of the kind's sequence for the current year in the SOP's time zone."""
        year = now.astimezone(kind.timezone).year
        key = (kind.prefix, year)
        sequence = session.get(RequestSequence, key, with_for_update=True)
        if sequence is None:
            try:
                with session.begin_nested():
                    sequence = RequestSequence(prefix=kind.prefix, year=year, last_value=0)
                    session.add(sequence)
            except IntegrityError:
                sequence = session.get(RequestSequence, key, with_for_update=True, populate_existing=True)
                assert sequence is not None
        sequence.last_value += 1
        session.flush()
        return f"{kind.prefix}-{year}-{sequence.last_value:06d}"

    def _request(self, session: Session, number: str) -> Request:
        request = session.scalars(select(Request).where(Request.number == number)).one_or_none()
        if request is None:
            raise NotFoundError(f"Permohonan {number} tidak ditemukan.")
        return request

    def link_process_instance(self, number: str, process_instance_key: int) -> tuple[RequestRecord, bool]:
        """Link the request to its process instance unless it already has one; returns the request and whether
        this call linked it (False: another instance was linked first, the record names that one)."""
        with self._transaction() as session:
            linked = cast(
                "CursorResult[Any]",
                session.execute(
                    update(Request)
                    .where(Request.number == number, Request.process_instance_key.is_(None))
                    .values(process_instance_key=process_instance_key, updated_at=self.now())
                    .execution_options(synchronize_session=False)
                ),
            )
            request = self._request(session, number)
            session.refresh(request)
            return _request_record(request), linked.rowcount == 1

    def find_requests_by_process_instance(self, keys: Iterable[int]) -> dict[int, RequestRecord]:
        """The requests linked to these process instances, by process instance key (unknown keys are left out)."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        with self._transaction() as session:
            requests = session.scalars(select(Request).where(Request.process_instance_key.in_(wanted)))
            return {
                request.process_instance_key: _request_record(request)
                for request in requests
                if request.process_instance_key
            }

    def find_requests_by_person(self, role: PersonRole, **identifiers: str) -> list[RequestRecord]:
        """Requests whose person in `role` has any of the given identifiers (`nik`, `nip`, `email`, `whatsapp`),
        oldest first."""
        unknown = sorted(set(identifiers) - set(_IDENTITY_FIELDS))
        if unknown:
            raise ValueError(f"unknown identifiers: {', '.join(unknown)}")
        conditions = [getattr(Person, name) == value for name, value in identifiers.items() if value]
        if not conditions:
            return []
        with self._transaction() as session:
            requests = session.scalars(
                select(Request)
                .join(Person, Person.request_id == Request.id)
                .where(Person.role == role.value, or_(*conditions))
                .order_by(Request.id)
                .distinct()
            )
            return [_request_record(request) for request in requests]

    # --- submissions ------------------------------------------------------------------------------------------
    # An application submitted twice must not become two requests. The caller derives a submission key from what
    # identifies the application (the applicant and the content of the documents); the request created for it
    # records the key as the unique event key of its first audit entry, in the same transaction. A second
    # submission with the key finds that request – also when both run at once: the unique key lets one insert win,
    # the other retries and finds it. Once the request is closed (`KEDALUWARSA`) the key is free again: the next
    # request records `<key>:<number of the closed request>`, so the chain of keys stays unique.

    def find_submission(self, submission_key: str) -> RequestRecord | None:
        """The request that is not closed and was created for this submission key, if any."""
        with self._transaction() as session:
            request, _ = self._submission(session, submission_key)
            return None if request is None else _request_record(request)

    def submit_admin_ppe_request(
        self, data: AdminPpeRequestData, *, submission_key: str, actor: str = "aplikasi"
    ) -> tuple[RequestRecord, bool]:
        """Register an SOP 1 request once per submission key; returns it and whether it is new (False: the open
        request of an earlier submission with the same key, unchanged)."""
        persons = [(PersonRole.KEPALA_LPSE, data.kepala_lpse), (PersonRole.ADMIN_PPE, data.admin_ppe)]
        return self._submit(
            RequestKind.ADMIN_PPE,
            submission_key,
            data.lpse_name,
            persons,
            "permohonan.diajukan",
            actor,
            one_open_per_nik=PersonRole.ADMIN_PPE,
        )

    def submit_ppbj_registration(
        self, applicant: PersonData, *, submission_key: str, actor: str = "aplikasi"
    ) -> tuple[RequestRecord, bool]:
        """Register an SOP 2 registration once per submission key; returns it and whether it is new."""
        persons = [(PersonRole.PPBJ, applicant)]
        return self._submit(RequestKind.PPBJ, submission_key, None, persons, "pendaftaran.dimulai", actor)

    def _submit(
        self,
        kind: RequestKind,
        submission_key: str,
        lpse_name: str | None,
        persons: list[tuple[PersonRole, PersonData]],
        action: str,
        actor: str,
        *,
        one_open_per_nik: PersonRole | None = None,
    ) -> tuple[RequestRecord, bool]:
        """The request of the submission key, or a new one. With `one_open_per_nik`, a new request is refused
        (`PersonAlreadyApplyingError`) while another open request of this kind has a person in that role with the
        same NIK; the look-up and the insert are one transaction under a lock on the NIK, so two submissions of
        different documents at the same instant cannot both pass."""
        for attempt in (1, 2):
            try:
                with self._transaction() as session:
                    existing, event_key = self._submission(session, submission_key)
                    if existing is not None:
                        return _request_record(existing), False
                    if one_open_per_nik is not None:
                        nik = dict(persons)[one_open_per_nik].nik
                        if nik:
                            self._refuse_open_request_of(session, kind, one_open_per_nik, nik)
                    request = self._new_request(session, kind, lpse_name=lpse_name)
                    for role, data in persons:
                        self._add_person(session, request, role, data)
                    session.add(
                        AuditEvent(
                            request_id=request.id,
                            event_key=event_key,
                            at=self.now(),
                            actor=actor,
                            action=action,
                            detail={"jenis": kind.value},
                        )
                    )
                    session.flush()
                    return _request_record(request), True
            except StoreError as exc:
                if attempt == 2 or not isinstance(exc.__cause__, IntegrityError):
                    raise  # a concurrent submission with the same key won: the retry finds its request
        raise AssertionError("unreachable")

    def _refuse_open_request_of(self, session: Session, kind: RequestKind, role: PersonRole, nik: str) -> None:
        """`PersonAlreadyApplyingError` when an open request of `kind` has a person in `role` with this NIK.

        SQLite transactions here begin with the write lock (BEGIN IMMEDIATE), so they are serial already; on
        PostgreSQL a transaction-scoped advisory lock on the NIK serialises the submissions that could collide."""
        if session.get_bind().dialect.name == "postgresql":
            digest = hashlib.sha256(f"pbj:{kind.value}:{role.value}:{nik}".encode()).digest()
            lock = int.from_bytes(digest[:8], signed=True)
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
        request = session.scalars(
            select(Request)
            .join(Person, Person.request_id == Request.id)
            .where(
                Request.kind == kind.value,
                Request.status != STATUS_EXPIRED,
                Person.role == role.value,
                Person.nik == nik,
            )
            .order_by(Request.id)
            .limit(1)
        ).one_or_none()
        if request is not None:
            raise PersonAlreadyApplyingError(
                f"NIK {role.value} ini sudah tercantum pada permohonan lain yang masih diproses atau sudah selesai.",
                request.number,
            )

    def _submission(self, session: Session, submission_key: str) -> tuple[Request | None, str]:
        """The open request of the submission key (or None) and the event key a new request would record."""
        event_key = f"pengajuan:{submission_key}"
        while True:
            request = session.scalars(
                select(Request)
                .join(AuditEvent, AuditEvent.request_id == Request.id)
                .where(AuditEvent.event_key == event_key)
            ).one_or_none()
            if request is None:
                return None, event_key
            if request.status != STATUS_EXPIRED:
                return request, event_key
            event_key = f"pengajuan:{submission_key}:{request.number}"

    # --- persons ----------------------------------------------------------------------------------------------

    def get_person(self, number: str, role: PersonRole) -> PersonRecord:
        """The person with this role in the request; `NotFoundError` if there is none."""
        with self._transaction() as session:
            return _person_record(number, self._person(session, number, role))

    def list_persons(self, number: str) -> list[PersonRecord]:
        """Every person of the request."""
        with self._transaction() as session:
            request = self._request(session, number)
            persons = session.scalars(select(Person).where(Person.request_id == request.id).order_by(Person.id))
            return [_person_record(number, person) for person in persons]

    def update_ppbj_identity(self, number: str, identity: PpbjIdentityData, *, actor: str = "ppbj") -> PersonRecord:
        """Store the identity a PPBJ filled in (SOP 2 row 3); each call is a new revision (`identitasRef`)."""
        with self._transaction() as session:
            person = self._person(session, number, PersonRole.PPBJ)
            person.nik, person.nip = identity.nik, identity.nip
            person.institution, person.position = identity.institution, identity.position
            person.revision += 1
            person.updated_at = self.now()
            request = self._request(session, number)
            detail = {"revisi": person.revision, "nikTersamar": mask_nik(identity.nik)}
            self._audit(session, request, "identitas.diisi", actor, detail)
            return _person_record(number, person)

    def mark_email_verified(self, number: str, role: PersonRole, *, basis: str) -> PersonRecord:
        """Record that the person's e-mail address was verified, and on what basis (`basis`, formal Indonesian, kept
        in the audit trail). Idempotent: the first verification is kept."""
        with self._transaction() as session:
            person = self._person(session, number, role)
            if person.email_verified_at is None and person.email:
                person.email_verified_at = self.now()
                detail = {"peran": role, "dasar": basis}
                self._audit(session, self._request(session, number), "surel.terverifikasi", "sistem", detail)
            return _person_record(number, person)

    def find_identity_matches(self, number: str, role: PersonRole) -> list[IdentityMatch]:
        """Persons of *other* requests sharing this person's NIK, NIP, e-mail or WhatsApp number (duplicates)."""
        with self._transaction() as session:
            person = self._person(session, number, role)
            conditions = [
                getattr(Person, name) == getattr(person, name)
                for name in _IDENTITY_FIELDS
                if getattr(person, name) is not None
            ]
            if not conditions:
                return []
            rows = session.execute(
                select(Person, Request.number)
                .join(Request, Person.request_id == Request.id)
                .where(Person.request_id != person.request_id, or_(*conditions))
                .order_by(Request.number)
            )
            return [
                IdentityMatch(field=name, request_number=other_number, role=PersonRole(other.role))
                for other, other_number in rows
                for name in _IDENTITY_FIELDS
                if getattr(person, name) is not None and getattr(other, name) == getattr(person, name)
            ]

    def _add_person(self, session: Session, request: Request, role: PersonRole, data: PersonData) -> Person:
        person = Person(
            request_id=request.id,
            role=role.value,
            name=data.name,
            email=data.email,
            whatsapp=data.whatsapp,
            nik=data.nik,
            nip=data.nip,
            institution=data.institution,
            position=data.position,
            revision=1,
            updated_at=self.now(),
        )
        session.add(person)
        return person

    def _person(self, session: Session, number: str, role: PersonRole) -> Person:
        person = session.scalars(
            select(Person)
            .join(Request, Person.request_id == Request.id)
            .where(Request.number == number, Person.role == role.value)
        ).one_or_none()
        if person is None:
            self._request(session, number)
            raise NotFoundError(f"Permohonan {number} tidak memiliki data {role.value}.")
        return person

    # --- documents --------------------------------------------------------------------------------------------

    def add_document(
        self,
        number: str,
        document_type: DocumentType,
        *,
        file_name: str,
        media_type: str,
        size: int,
        sha256: str,
        storage_key: str,
        actor: str = "aplikasi",
    ) -> DocumentRecord:
        """Record a stored document's metadata; the same content of the same type for a request is recorded once."""
        with self._transaction() as session:
            request = self._request(session, number)

            def find() -> Document | None:
                return session.scalars(
                    select(Document).where(
                        Document.request_id == request.id,
                        Document.document_type == document_type.value,
                        Document.sha256 == sha256,
                    )
                ).one_or_none()

            document, created = _insert_or_get(
                session,
                lambda: Document(
                    id=str(uuid.uuid4()),
                    request_id=request.id,
                    document_type=document_type.value,
                    file_name=file_name,
                    media_type=media_type,
                    size=size,
                    sha256=sha256,
                    storage_key=storage_key,
                    created_at=self.now(),
                ),
                find,
            )
            if created:
                detail = {"dokumenId": document.id, "jenis": document_type.value, "sha256": sha256, "ukuran": size}
                self._audit(session, request, "dokumen.diterima", actor, detail)
            return _document_record(number, document)

    def get_document(self, document_id: str) -> DocumentRecord:
        """A document's metadata; `NotFoundError` if there is none."""
        with self._transaction() as session:
            row = session.execute(
                select(Document, Request.number)
                .join(Request, Document.request_id == Request.id)
                .where(Document.id == document_id)
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"Dokumen {document_id} tidak ditemukan.")
            return _document_record(row[1], row[0])

    def list_documents(self, number: str) -> list[DocumentRecord]:
        """Every document of the request, oldest first (then by type and file name)."""
        with self._transaction() as session:
            request = self._request(session, number)
            documents = session.scalars(
                select(Document)
                .where(Document.request_id == request.id)
                .order_by(Document.created_at, Document.document_type, Document.file_name, Document.id)
            )
            return [_document_record(number, document) for document in documents]

    # --- accounts ---------------------------------------------------------------------------------------------

    def create_account(
        self,
        number: str,
        system: System,
        role: AccountRole,
        *,
        status: AccountStatus,
        display_name: str,
        email: str | None,
        user_id: str | None = None,
        actor: str = "sistem",
    ) -> AccountRecord:
        """Create the account of (request, system, role), or return the existing one.

        The user id is generated, or `user_id` when given (one person keeps one user id on every system); a
        `user_id` another account of the system already has is refused with `StoreError`.
        """
        with self._transaction() as session:
            request = self._request(session, number)

            def find() -> Account | None:
                return session.scalars(
                    select(Account).where(
                        Account.request_id == request.id, Account.system == system.value, Account.role == role.value
                    )
                ).one_or_none()

            now = self.now()
            if user_id is not None and find() is None:
                self._check_user_id_free(session, system, user_id)
            account, created = _insert_or_get(
                session,
                lambda: Account(
                    id=str(uuid.uuid4()),
                    request_id=request.id,
                    system=system.value,
                    role=role.value,
                    status=status.value,
                    user_id=user_id or self._new_user_id(session, system, role),
                    display_name=display_name,
                    email=email,
                    must_change_password=True,
                    created_at=now,
                    activated_at=now if status is AccountStatus.ACTIVE else None,
                ),
                find,
            )
            if created:
                detail = {"idAkun": account.id, "sistem": system.value, "peran": role.value, "status": status.value}
                self._audit(session, request, "akun.dibuat", actor, detail)
            return _account_record(number, account)

    def _check_user_id_free(self, session: Session, system: System, user_id: str) -> None:
        taken = session.scalars(select(Account.id).where(Account.system == system.value, Account.user_id == user_id))
        if taken.first() is not None:
            raise StoreError(f"ID pengguna {user_id} sudah dipakai akun lain pada sistem {system.value}.")

    def get_account(self, account_id: str) -> AccountRecord:
        """An account by id; `NotFoundError` if there is none."""
        with self._transaction() as session:
            account, number = self._account(session, account_id)
            return _account_record(number, account)

    def find_account(self, number: str, system: System, role: AccountRole) -> AccountRecord | None:
        """The account of (request, system, role), if any."""
        with self._transaction() as session:
            request = self._request(session, number)
            account = session.scalars(
                select(Account).where(
                    Account.request_id == request.id, Account.system == system.value, Account.role == role.value
                )
            ).one_or_none()
            return None if account is None else _account_record(number, account)

    def list_accounts(self, number: str) -> list[AccountRecord]:
        """Every account of the request, oldest first (then by system and role)."""
        with self._transaction() as session:
            request = self._request(session, number)
            accounts = session.scalars(
                select(Account)
                .where(Account.request_id == request.id)
                .order_by(Account.created_at, Account.system, Account.role)
            )
            return [_account_record(number, account) for account in accounts]

    def activate_account(self, account_id: str, *, actor: str = "sistem") -> AccountRecord:
        """Make a pending account active (idempotent: an active account is returned unchanged).

        The account row is locked, so concurrent activations (the parallel `aktifkan-akun` instances) record one.
        """
        with self._transaction() as session:
            account, number = self._account(session, account_id, lock=True)
            if account.status != AccountStatus.ACTIVE:
                account.status, account.activated_at = AccountStatus.ACTIVE.value, self.now()
                detail = {"idAkun": account.id, "sistem": account.system, "peran": account.role}
                self._audit(session, self._request(session, number), "akun.diaktifkan", actor, detail)
            return _account_record(number, account)

    def add_set_password_token(self, account_id: str, token_hash: str, expires_at: datetime) -> AccountRecord:
        """Store a new set-password token's hash; every earlier unused token of the account is revoked."""
        with self._transaction() as session:
            account, number = self._account(session, account_id)
            now = self.now()
            session.execute(
                update(SetPasswordToken)
                .where(
                    SetPasswordToken.account_id == account_id,
                    SetPasswordToken.used_at.is_(None),
                    SetPasswordToken.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            session.add(
                SetPasswordToken(account_id=account_id, token_hash=token_hash, created_at=now, expires_at=expires_at)
            )
            detail = {"idAkun": account_id, "berlakuHingga": expires_at.isoformat()}
            self._audit(session, self._request(session, number), "akun.tautan-kata-sandi-diterbitkan", "sistem", detail)
            return _account_record(number, account)

    def check_set_password_token(self, token_hash: str) -> AccountRecord:
        """The account a usable token belongs to; `TokenError` if the token is unknown, revoked, used or expired."""
        with self._transaction() as session:
            token = self._usable_token(session, token_hash)
            account, number = self._account(session, token.account_id)
            return _account_record(number, account)

    def use_set_password_token(self, token_hash: str, password_hash: str) -> AccountRecord:
        """Consume a usable token and set the account's password hash; the holder chose it, so no forced change."""
        with self._transaction() as session:
            token = self._usable_token(session, token_hash)
            account, number = self._account(session, token.account_id)
            now = self.now()
            token.used_at = now
            account.password_hash, account.password_set_at, account.must_change_password = password_hash, now, False
            detail = {"idAkun": account.id}
            self._audit(session, self._request(session, number), "akun.kata-sandi-ditetapkan", "pemilik-akun", detail)
            return _account_record(number, account)

    def _usable_token(self, session: Session, token_hash: str) -> SetPasswordToken:
        token = session.scalars(
            select(SetPasswordToken).where(SetPasswordToken.token_hash == token_hash).with_for_update()
        ).one_or_none()
        if token is None:
            raise TokenError("Tautan pengaturan kata sandi tidak dikenal.")
        if token.used_at is not None:
            raise TokenError("Tautan pengaturan kata sandi sudah digunakan.")
        if token.revoked_at is not None:
            raise TokenError("Tautan pengaturan kata sandi sudah diganti dengan tautan yang lebih baru.")
        if self.now() >= token.expires_at:
            raise TokenError("Tautan pengaturan kata sandi sudah kedaluwarsa.")
        return token

    def _account(self, session: Session, account_id: str, *, lock: bool = False) -> tuple[Account, str]:
        query = select(Account, Request.number).join(Request, Account.request_id == Request.id)
        query = query.where(Account.id == account_id)
        row = session.execute(query.with_for_update(of=Account) if lock else query).one_or_none()
        if row is None:
            raise NotFoundError(f"Akun {account_id} tidak ditemukan.")
        return row[0], row[1]

    def _new_user_id(self, session: Session, system: System, role: AccountRole) -> str:
        """A random user id (`adminppe.k7m2q9xa`), unique within the system; never derived from personal data."""
        for _ in range(10):
            candidate = _USER_ID_PREFIXES[role] + "." + "".join(secrets.choice(_USER_ID_ALPHABET) for _ in range(8))
            taken = session.scalars(
                select(Account.id).where(Account.system == system.value, Account.user_id == candidate)
            ).first()
            if taken is None:
                return candidate
        raise StoreError("Tidak dapat membuat ID pengguna yang unik.")

    # --- mail log ---------------------------------------------------------------------------------------------

    def find_mail(self, idempotency_key: str) -> MailRecord | None:
        """The mail-log entry of this idempotency key, if that e-mail was sent."""
        with self._transaction() as session:
            row = session.execute(
                select(MailLog, Request.number)
                .outerjoin(Request, MailLog.request_id == Request.id)
                .where(MailLog.idempotency_key == idempotency_key)
            ).one_or_none()
            return None if row is None else _mail_record(row[1], row[0])

    def mail_log(self, number: str, template: str | None = None) -> list[MailRecord]:
        """The e-mails sent about a request (only those of `template` when given), oldest first."""
        with self._transaction() as session:
            query = (
                select(MailLog)
                .join(Request, MailLog.request_id == Request.id)
                .where(Request.number == number)
                .order_by(MailLog.sent_at, MailLog.id)
            )
            if template is not None:
                query = query.where(MailLog.template == template)
            return [_mail_record(number, entry) for entry in session.scalars(query)]

    def record_mail(
        self,
        idempotency_key: str,
        *,
        request_number: str | None,
        template: str,
        recipient_role: str,
        recipient: str,
        subject: str,
        message_id: str | None = None,
    ) -> tuple[MailRecord, bool]:
        """Record a sent e-mail; returns the entry and whether it is new (False: that key was recorded before)."""
        with self._transaction() as session:
            request = None if request_number is None else self._request(session, request_number)

            def find() -> MailLog | None:
                return session.scalars(select(MailLog).where(MailLog.idempotency_key == idempotency_key)).one_or_none()

            entry, created = _insert_or_get(
                session,
                lambda: MailLog(
                    idempotency_key=idempotency_key,
                    request_id=None if request is None else request.id,
                    template=template,
                    recipient_role=recipient_role,
                    recipient=recipient,
                    subject=subject,
                    message_id=message_id,
                    sent_at=self.now(),
                ),
                find,
            )
            if created:
                detail = {"templat": template, "penerima": recipient_role}
                self._audit(session, request, "surel.terkirim", "sistem", detail, event_key=f"surel:{idempotency_key}")
            number = request_number
            if not created and entry.request_id is not None:
                number = session.scalars(select(Request.number).where(Request.id == entry.request_id)).one()
            return _mail_record(number, entry), created

    # --- audit ------------------------------------------------------------------------------------------------

    def record_audit(
        self,
        request_number: str | None,
        action: str,
        *,
        actor: str = "sistem",
        detail: dict[str, Any] | None = None,
        event_key: str | None = None,
    ) -> AuditRecord:
        """Append to the audit trail; with an `event_key` the entry is written once however often it is recorded."""
        with self._transaction() as session:
            request = None if request_number is None else self._request(session, request_number)
            event = self._audit(session, request, action, actor, detail or {}, event_key=event_key)
            return _audit_record(request_number, event)

    def record_audit_once(
        self,
        request_number: str | None,
        action: str,
        *,
        event_key: str,
        actor: str = "sistem",
        detail: dict[str, Any] | None = None,
    ) -> tuple[AuditRecord, bool]:
        """Append an entry under a unique `event_key`; returns the entry and whether this call wrote it (False: the
        entry recorded earlier under the key). A claim that only one of several concurrent callers wins."""
        with self._transaction() as session:
            request = None if request_number is None else self._request(session, request_number)

            def find() -> AuditEvent | None:
                return session.scalars(select(AuditEvent).where(AuditEvent.event_key == event_key)).one_or_none()

            event, created = _insert_or_get(
                session,
                lambda: AuditEvent(
                    request_id=None if request is None else request.id,
                    event_key=event_key,
                    at=self.now(),
                    actor=actor,
                    action=action,
                    detail=detail or {},
                ),
                find,
            )
            return _audit_record(request_number, event), created

    def audit_trail(self, number: str) -> list[AuditRecord]:
        """The request's audit trail, oldest first."""
        with self._transaction() as session:
            request = self._request(session, number)
            events = session.scalars(
                select(AuditEvent).where(AuditEvent.request_id == request.id).order_by(AuditEvent.id)
            )
            return [_audit_record(number, event) for event in events]

    def _audit(
        self,
        session: Session,
        request: Request | None,
        action: str,
        actor: str,
        detail: dict[str, Any],
        *,
        event_key: str | None = None,
    ) -> AuditEvent:
        event = AuditEvent(
            request_id=None if request is None else request.id,
            event_key=event_key,
            at=self.now(),
            actor=actor,
            action=action,
            detail=detail,
        )
        if event_key is None:
            session.add(event)
            session.flush()
            return event

        def find() -> AuditEvent | None:
            return session.scalars(select(AuditEvent).where(AuditEvent.event_key == event_key)).one_or_none()

        return _insert_or_get(session, lambda: event, find)[0]

    # --- archives ---------------------------------------------------------------------------------------------

    def get_archive(self, number: str) -> ArchiveRecord | None:
        """The request's archive, if it was written."""
        with self._transaction() as session:
            request = self._request(session, number)
            archive = session.scalars(select(Archive).where(Archive.request_id == request.id)).one_or_none()
            return None if archive is None else _archive_record(number, archive)

    def record_archive(
        self,
        number: str,
        *,
        archive_number: str,
        location: str,
        sha256: str,
        size: int,
        document_count: int,
        retention_until: date,
    ) -> tuple[ArchiveRecord, bool]:
        """Record the request's archive; returns the record and whether it is new (one archive per request)."""
        with self._transaction() as session:
            request = self._request(session, number)

            def find() -> Archive | None:
                return session.scalars(select(Archive).where(Archive.request_id == request.id)).one_or_none()

            archive, created = _insert_or_get(
                session,
                lambda: Archive(
                    request_id=request.id,
                    archive_number=archive_number,
                    location=location,
                    sha256=sha256,
                    size=size,
                    document_count=document_count,
                    retention_until=retention_until,
                    created_at=self.now(),
                ),
                find,
            )
            if created:
                detail = {"nomorArsip": archive_number, "sha256": sha256, "retensiHingga": retention_until.isoformat()}
                self._audit(session, request, "arsip.dibuat", "sistem", detail)
            return _archive_record(number, archive), created


def _insert_or_get(session: Session, make: Callable[[], T], find: Callable[[], T | None]) -> tuple[T, bool]:
    """Insert `make()` unless `find()` finds the existing row, also when a concurrent insert wins the race."""
    existing = find()
    if existing is not None:
        return existing, False
    row = make()
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing, False
    return row, True


def _request_record(request: Request) -> RequestRecord:
    return RequestRecord(
        number=request.number,
        kind=RequestKind(request.kind),
        status=request.status,
        lpse_name=request.lpse_name,
        process_instance_key=request.process_instance_key,
        created_at=request.created_at,
        updated_at=request.updated_at,
    )


def _person_record(number: str, person: Person) -> PersonRecord:
    return PersonRecord(
        request_number=number,
        role=PersonRole(person.role),
        name=person.name,
        email=person.email,
        email_verified_at=person.email_verified_at,
        whatsapp=person.whatsapp,
        nik=person.nik,
        nip=person.nip,
        institution=person.institution,
        position=person.position,
        revision=person.revision,
        updated_at=person.updated_at,
    )


def _document_record(number: str, document: Document) -> DocumentRecord:
    return DocumentRecord(
        id=document.id,
        request_number=number,
        document_type=DocumentType(document.document_type),
        file_name=document.file_name,
        media_type=document.media_type,
        size=document.size,
        sha256=document.sha256,
        storage_key=document.storage_key,
        created_at=document.created_at,
    )


def _account_record(number: str, account: Account) -> AccountRecord:
    return AccountRecord(
        id=account.id,
        request_number=number,
        system=System(account.system),
        role=AccountRole(account.role),
        status=AccountStatus(account.status),
        user_id=account.user_id,
        display_name=account.display_name,
        email=account.email,
        must_change_password=account.must_change_password,
        has_password=account.password_hash is not None,
        created_at=account.created_at,
        activated_at=account.activated_at,
    )


def _mail_record(number: str | None, entry: MailLog) -> MailRecord:
    return MailRecord(
        idempotency_key=entry.idempotency_key,
        request_number=number,
        template=entry.template,
        recipient_role=entry.recipient_role,
        recipient=entry.recipient,
        subject=entry.subject,
        message_id=entry.message_id,
        sent_at=entry.sent_at,
    )


def _audit_record(number: str | None, event: AuditEvent) -> AuditRecord:
    return AuditRecord(
        request_number=number,
        at=event.at,
        actor=event.actor,
        action=event.action,
        detail=dict(event.detail),
        event_key=event.event_key,
    )


def _archive_record(number: str, archive: Archive) -> ArchiveRecord:
    return ArchiveRecord(
        request_number=number,
        archive_number=archive.archive_number,
        location=archive.location,
        sha256=archive.sha256,
        size=archive.size,
        document_count=archive.document_count,
        retention_until=archive.retention_until,
        created_at=archive.created_at,
    )
