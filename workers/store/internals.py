"""What the store's companion mixins (`access.py`, `staff.py`) use of `Store`: its clock, its transactions, request
look-up and the audit trail. A protocol, so the mixins type-check without importing the repository."""

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from workers.store.models import AuditEvent, Request


class StoreInternals(Protocol):
    """The part of `Store` its mixins call."""

    def now(self) -> datetime:
        """The store's current time (UTC)."""
        ...

    def _transaction(self) -> AbstractContextManager[Session]: ...

    def _request(self, session: Session, number: str) -> Request: ...

    def _audit(
        self,
        session: Session,
        request: Request | None,
        action: str,
        actor: str,
        detail: dict[str, Any],
        *,
        event_key: str | None = None,
    ) -> AuditEvent: ...
