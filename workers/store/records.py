"""Immutable records the store returns; plain data detached from any database session."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from workers.domain import AccountRole, AccountStatus, DocumentType, PersonRole, RequestKind, System
from workers.validation import mask_nik


@dataclass(frozen=True)
class RequestRecord:
    """A request (SOP 1) or registration (SOP 2)."""

    number: str
    kind: RequestKind
    status: str
    lpse_name: str | None
    process_instance_key: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PersonRecord:
    """A person's stored data; `repr()` shows no personal data, pass only `nik_masked` and `ref` onwards."""

    request_number: str
    role: PersonRole
    name: str = field(repr=False)
    email: str | None = field(repr=False)
    email_verified_at: datetime | None
    whatsapp: str | None = field(repr=False)
    nik: str | None = field(repr=False)
    nip: str | None = field(repr=False)
    institution: str | None = field(repr=False)
    position: str | None = field(repr=False)
    revision: int
    updated_at: datetime

    @property
    def nik_masked(self) -> str | None:
        """The NIK masked for process variables (`6471**********01`)."""
        return None if self.nik is None else mask_nik(self.nik)

    @property
    def ref(self) -> str:
        """A reference to this revision of the record for process variables (`identitasRef`)."""
        return f"{self.request_number}/{self.role}/{self.revision}"


@dataclass(frozen=True)
class IdentityMatch:
    """Another request whose person shares an identifier (`field`: nik, nip, email or whatsapp)."""

    field: str
    request_number: str
    role: PersonRole


@dataclass(frozen=True)
class DocumentRecord:
    """A stored document's metadata (all of it may travel in process variables)."""

    id: str
    request_number: str
    document_type: DocumentType
    file_name: str
    media_type: str
    size: int
    sha256: str
    storage_key: str
    created_at: datetime

    def as_variable(self) -> dict[str, Any]:
        """The reference as the diagrams carry it: `{jenis, dokumenId, sha256, ukuran, tipe}`."""
        return {
            "jenis": str(self.document_type),
            "dokumenId": self.id,
            "sha256": self.sha256,
            "ukuran": self.size,
            "tipe": self.media_type,
        }


@dataclass(frozen=True)
class AccountRecord:
    """An account of the built-in directory; carries no password or token."""

    id: str
    request_number: str
    system: System
    role: AccountRole
    status: AccountStatus
    user_id: str
    display_name: str = field(repr=False)
    email: str | None = field(repr=False)
    must_change_password: bool
    has_password: bool
    created_at: datetime
    activated_at: datetime | None


@dataclass(frozen=True)
class MailRecord:
    """One sent e-mail from the mail log."""

    idempotency_key: str
    request_number: str | None
    template: str
    recipient_role: str
    recipient: str = field(repr=False)
    subject: str
    message_id: str | None
    sent_at: datetime


@dataclass(frozen=True)
class AuditRecord:
    """One audit-trail entry."""

    request_number: str | None
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]
    event_key: str | None


@dataclass(frozen=True)
class ArchiveRecord:
    """The archive of a request."""

    request_number: str
    archive_number: str
    location: str
    sha256: str
    size: int
    document_count: int
    retention_until: date
    created_at: datetime


@dataclass(frozen=True)
class AccessTokenRecord:
    """An applicant's access token (its scope: one request, one role); never its raw value."""

    id: int
    request_number: str
    role: PersonRole
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def usable_at(self, now: datetime) -> bool:
        """Whether the token still opens its request at `now`."""
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class StaffUserRecord:
    """A staff account of the web application; the password hash stays out of `repr()`."""

    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    password_hash: str = field(repr=False)
    failed_logins: int
    locked_until: datetime | None
    disabled_at: datetime | None
    last_login_at: datetime | None
    created_at: datetime

    def locked_at(self, now: datetime) -> bool:
        """Whether the account is locked out (too many failed logins) at `now`."""
        return self.locked_until is not None and now < self.locked_until


@dataclass(frozen=True)
class WebSessionRecord:
    """A browser session: its staff login (if any) and the applicant access tokens redeemed in it."""

    id_hash: str
    staff_user_id: int | None
    access_token_ids: tuple[int, ...]
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
