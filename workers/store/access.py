"""Applicants' access tokens: the per-request token in the link of every e-mail about a request (`Store` mixin).

A token opens one request in one role (the Kepala LPSE's request, the PPBJ's registration) until it expires; only
its SHA-256 is stored. The e-mail's link builder issues it (`workers.links`), the web application checks it on the
first visit and keeps the token's id, never the token, in the browser's session. Issuing a new token does not
revoke the older ones: every e-mail's link keeps working until it expires.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from workers.domain import PersonRole
from workers.errors import AccessTokenError, NotFoundError
from workers.store.internals import StoreInternals
from workers.store.models import AccessToken, Person, Request
from workers.store.records import AccessTokenRecord


class AccessTokensMixin:
    """Issuing and checking applicants' access tokens."""

    def issue_access_token(
        self: StoreInternals, number: str, role: PersonRole, token_hash: str, expires_at: datetime
    ) -> AccessTokenRecord:
        """Record a new access token (by its SHA-256) to the request in `role`; the role must be a person of it."""
        with self._transaction() as session:
            request = self._request(session, number)
            person = session.scalars(
                select(Person.id).where(Person.request_id == request.id, Person.role == role.value)
            ).one_or_none()
            if person is None:
                raise NotFoundError(f"Permohonan {number} tidak memiliki {role.value}.")
            token = AccessToken(
                request_id=request.id,
                role=role.value,
                token_hash=token_hash,
                created_at=self.now(),
                expires_at=expires_at,
            )
            session.add(token)
            session.flush()
            detail = {"peran": role.value, "berlakuHingga": expires_at.isoformat()}
            self._audit(session, request, "akses.tautan-diterbitkan", "sistem", detail)
            return _record(number, token)

    def redeem_access_token(self: StoreInternals, token_hash: str) -> AccessTokenRecord:
        """The usable token with this SHA-256; `AccessTokenError` saying why it does not open anything."""
        with self._transaction() as session:
            row = session.execute(
                select(AccessToken, Request.number)
                .join(Request, AccessToken.request_id == Request.id)
                .where(AccessToken.token_hash == token_hash)
            ).one_or_none()
            if row is None:
                raise AccessTokenError("Tautan tidak dikenal.", "unknown")
            token, number = row
            if token.revoked_at is not None:
                raise AccessTokenError("Tautan sudah dicabut.", "revoked")
            if self.now() >= token.expires_at:
                raise AccessTokenError("Tautan sudah kedaluwarsa.", "expired")
            return _record(number, token)

    def access_tokens(self: StoreInternals, token_ids: list[int]) -> list[AccessTokenRecord]:
        """The tokens with these ids (usable or not; unknown ids are left out), in the order given."""
        if not token_ids:
            return []
        with self._transaction() as session:
            rows = session.execute(
                select(AccessToken, Request.number)
                .join(Request, AccessToken.request_id == Request.id)
                .where(AccessToken.id.in_(sorted(set(token_ids))))
            )
            found = {token.id: _record(number, token) for token, number in rows}
            return [found[token_id] for token_id in dict.fromkeys(token_ids) if token_id in found]

    def revoke_access_tokens(
        self: StoreInternals, number: str, *, token_ids: Iterable[int] | None = None, actor: str = "sistem"
    ) -> int:
        """Revoke the request's usable tokens (those of `token_ids` only, when given); how many were revoked."""
        with self._transaction() as session:
            request = self._request(session, number)
            now = self.now()
            query = select(AccessToken).where(AccessToken.request_id == request.id, AccessToken.revoked_at.is_(None))
            if token_ids is not None:
                query = query.where(AccessToken.id.in_(sorted(set(token_ids))))
            tokens = list(session.scalars(query))
            for token in tokens:
                token.revoked_at = now
            if tokens:
                self._audit(session, request, "akses.tautan-dicabut", actor, {"jumlah": len(tokens)})
            return len(tokens)


def _record(number: str, token: AccessToken) -> AccessTokenRecord:
    return AccessTokenRecord(
        id=token.id,
        request_number=number,
        role=PersonRole(token.role),
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
    )
