"""The application store (claim-check): a SQLAlchemy database migrated by Alembic, SQLite by default.

`Store.open(settings.database_url)` applies pending migrations and returns the store; `upgrade(url)` only migrates.
"""

from workers.constants import STATUS_SUBMITTED
from workers.store.database import create_store_engine, current_revision, head_revision, upgrade
from workers.store.records import (
    AccessTokenRecord,
    AccountRecord,
    ArchiveRecord,
    AuditRecord,
    DocumentRecord,
    IdentityMatch,
    MailRecord,
    PersonRecord,
    RequestRecord,
    StaffUserRecord,
    WebSessionRecord,
)
from workers.store.repository import Clock, Store, mail_idempotency_key

__all__ = [
    "STATUS_SUBMITTED",
    "AccessTokenRecord",
    "AccountRecord",
    "ArchiveRecord",
    "AuditRecord",
    "Clock",
    "DocumentRecord",
    "IdentityMatch",
    "MailRecord",
    "PersonRecord",
    "RequestRecord",
    "StaffUserRecord",
    "Store",
    "WebSessionRecord",
    "create_store_engine",
    "current_revision",
    "head_revision",
    "mail_idempotency_key",
    "upgrade",
]
