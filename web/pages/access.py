"""Applicants' links: the access token in the query string of the first visit moves into the browser's session and
the browser is sent on to the same path without it (web.md), so it never stays in the history, a proxy's log or a
Referer header. The attempts count towards the link pages' rate limit."""

import secrets
from urllib.parse import urlencode

from aiohttp import web

from web.app import app_of, in_thread, session_of
from web.authz import require_grant
from web.errors import ForbiddenError, GoneLinkError, NotFoundPageError
from workers.domain import PersonRole
from workers.errors import AccessTokenError
from workers.links import TOKEN_PARAMETER
from workers.provisioning import hash_token
from workers.store import RequestRecord

OTHER_LINK = "Buka tautan pada e-mail terbaru tentang permohonan Anda: setiap e-mail memuat tautan yang berlaku."


async def redeem(request: web.Request, role: PersonRole, number: str | None = None) -> web.HTTPSeeOther | None:
    """When the URL carries a token: check it (for `role` and, if given, this request), add it to the session and
    return the redirect to the clean URL; None when there is no token."""
    token = request.query.get(TOKEN_PARAMETER)
    if token is None:
        return None
    webapp = app_of(request)
    webapp.limit(request, webapp.link_limit, "tautan")
    if not token or len(token) > 128:
        raise NotFoundPageError("Tautan tidak dikenal.", hint="Pastikan tautan dari e-mail dibuka lengkap.")
    try:
        record = await in_thread(webapp.store.redeem_access_token, hash_token(token))
    except AccessTokenError as exc:
        if exc.reason == "expired":
            raise GoneLinkError("Tautan ini sudah kedaluwarsa. Tidak ada yang diubah.", hint=OTHER_LINK) from None
        if exc.reason == "revoked":
            raise GoneLinkError("Tautan ini sudah tidak berlaku. Tidak ada yang diubah.", hint=OTHER_LINK) from None
        raise NotFoundPageError(
            "Tautan tidak dikenal.", hint="Pastikan tautan dari e-mail dibuka lengkap, tanpa terpotong."
        ) from None
    if record.role is not role or (number is not None and record.request_number != number):
        raise ForbiddenError("Tautan ini bukan untuk halaman ini.", hint=OTHER_LINK)
    await webapp.sessions.grant(session_of(request), record)
    rest = {name: value for name, value in request.query.items() if name != TOKEN_PARAMETER}
    return web.HTTPSeeOther(request.path + ("?" + urlencode(rest) if rest else ""))


async def grant_own_request(request: web.Request, submitted: RequestRecord, role: PersonRole) -> None:
    """Let the browser that just submitted a request follow it: a fresh access token nobody sees, granted to this
    session only (the applicant's e-mails carry their own links)."""
    webapp = app_of(request)
    expires_at = webapp.store.now() + webapp.settings.app.applicant_link_ttl
    record = await in_thread(
        webapp.store.issue_access_token, submitted.number, role, hash_token(secrets.token_urlsafe(32)), expires_at
    )
    await webapp.sessions.grant(session_of(request), record)


async def opened_by_applicant(request: web.Request, role: PersonRole) -> str:
    """The request number of an applicant's page (`{nomor}`) once its applicant is known: a link's token is moved
    into the session first (raising the redirect to the clean URL); without a grant for this request and role,
    `ForbiddenError`."""
    number = request.match_info["nomor"]
    redirect = await redeem(request, role, number)
    if redirect is not None:
        raise redirect
    require_grant(session_of(request), number, role)
    return number
