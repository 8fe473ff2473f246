"""Browser sessions: one random cookie value per browser, its SHA-256 the key of what the store keeps for it.

A browser gets a session cookie the first time a page shows it a form (its CSRF token is derived from the cookie
value). Only when something is granted – a staff login, or an applicant's access token redeemed from an e-mail's
link – is a row stored (`web_sessions`): the staff account and the ids of the redeemed tokens, never a token. Every
grant and every logout changes the cookie value (no session fixation). The cookie is HttpOnly, SameSite=Lax (a link
from a webmail must still open the page the token was moved for), `Secure` and `__Host-` prefixed behind HTTPS.
A session unused for `WEB_SESSION_TTL` ends; a disabled staff account or an expired or revoked token stops counting
at once.
"""

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from web.security import csrf_token
from web.settings import WebSettings
from workers.domain import PersonRole
from workers.store import AccessTokenRecord, StaffUserRecord, Store, WebSessionRecord

COOKIE_NAME = "pbj_sesi"
SECURE_COOKIE_NAME = "__Host-pbj_sesi"
TOUCH_AFTER = timedelta(minutes=5)
"""A live session's expiry is pushed forward at most this often (one store write per session per five minutes)."""
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass
class BrowserSession:
    """What one request's browser session holds; `changed` tells the response to set the cookie."""

    id: str | None = None
    record: WebSessionRecord | None = None
    staff: StaffUserRecord | None = None
    grants: list[AccessTokenRecord] = field(default_factory=list)
    changed: bool = False
    ended: bool = False

    def grant_for(self, number: str, role: PersonRole) -> AccessTokenRecord | None:
        """The redeemed token that opens this request in this role, if any."""
        return next((g for g in self.grants if g.request_number == number and g.role is role), None)

    def latest_grant(self, role: PersonRole) -> AccessTokenRecord | None:
        """The most recently issued redeemed token of this role (the registration a PPBJ last opened)."""
        mine = [g for g in self.grants if g.role is role]
        return max(mine, key=lambda g: g.created_at) if mine else None


class Sessions:
    """Loads, grants, rotates and ends browser sessions."""

    def __init__(self, settings: WebSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.cookie_name = SECURE_COOKIE_NAME if settings.secure_cookies and not settings.base_path else COOKIE_NAME

    async def load(self, request: web.Request) -> BrowserSession:
        """The request's session: its stored grants when the cookie names a live one."""
        raw = request.cookies.get(self.cookie_name)
        if raw is None or not _COOKIE_VALUE.match(raw):
            return BrowserSession()
        session = BrowserSession(id=raw)
        record = await asyncio.to_thread(self.store.get_web_session, _hash(raw))
        if record is None:
            return session
        now = self.store.now()
        if now - record.last_seen_at >= TOUCH_AFTER:
            record = await asyncio.to_thread(
                self.store.touch_web_session, record.id_hash, expires_at=now + self.settings.session_ttl
            )
            if record is None:
                return session
        session.record = record
        if record.staff_user_id is not None:
            staff = await asyncio.to_thread(self.store.get_staff_user, record.staff_user_id)
            if staff is not None and staff.disabled_at is None:
                session.staff = staff
        tokens = await asyncio.to_thread(self.store.access_tokens, list(record.access_token_ids))
        session.grants = [token for token in tokens if token.usable_at(now)]
        return session

    def ensure_id(self, session: BrowserSession) -> str:
        """The session's cookie value, made now if the browser has none (it is set on the response)."""
        if session.id is None:
            session.id = secrets.token_urlsafe(32)
            session.changed = True
        return session.id

    def csrf(self, session: BrowserSession) -> str:
        """The CSRF token of the session's forms."""
        return csrf_token(self.settings.secret_key, self.ensure_id(session))

    async def grant(self, session: BrowserSession, token: AccessTokenRecord) -> None:
        """Add a redeemed access token to the session, under a new cookie value."""
        grants = [g for g in session.grants if g.id != token.id] + [token]
        await self._rotate(session, staff=session.staff, grants=grants)

    async def login(self, session: BrowserSession, staff: StaffUserRecord) -> None:
        """Log a staff member in, under a new cookie value (the session's redeemed tokens stay)."""
        await self._rotate(session, staff=staff, grants=session.grants)

    async def logout(self, session: BrowserSession) -> None:
        """End the session: its stored row goes, the browser gets a fresh cookie value."""
        if session.id is not None:
            await asyncio.to_thread(self.store.delete_web_session, _hash(session.id))
        session.id, session.record, session.staff, session.grants = None, None, None, []
        self.ensure_id(session)

    async def _rotate(
        self, session: BrowserSession, *, staff: StaffUserRecord | None, grants: list[AccessTokenRecord]
    ) -> None:
        if session.id is not None:
            await asyncio.to_thread(self.store.delete_web_session, _hash(session.id))
        new_id = secrets.token_urlsafe(32)
        session.record = await asyncio.to_thread(
            self.store.create_web_session,
            _hash(new_id),
            expires_at=self.store.now() + self.settings.session_ttl,
            staff_user_id=None if staff is None else staff.id,
            access_token_ids=[g.id for g in grants],
        )
        session.id, session.staff, session.grants, session.changed = new_id, staff, grants, True

    def apply(self, response: web.StreamResponse, session: BrowserSession) -> None:
        """Set the cookie on the response when the session got a new value."""
        if not session.changed or session.id is None:
            return
        response.set_cookie(
            self.cookie_name,
            session.id,
            path=(self.settings.base_path or "") + "/",
            httponly=True,
            secure=self.settings.secure_cookies,
            samesite="Lax",
        )
