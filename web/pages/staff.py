"""Staff login (`/masuk`) and logout (`/keluar`).

A login is refused with one message whatever was wrong (unknown user, disabled account, wrong password), after the
same argon2 work either way; failed logins in a row lock the account for `WEB_LOGIN_LOCKOUT` after
`WEB_LOGIN_MAX_FAILURES`, and a locked account says until when. Login attempts count towards a rate limit per client
address. A successful login changes the session's cookie value.
"""

from datetime import datetime

from aiohttp import web

from web.app import app_of, in_thread, session_of
from web.passwords import verify_password
from workers.links import Path
from workers.mail_templates import format_time

routes = web.RouteTableDef()

WRONG = "Nama pengguna atau kata sandi salah."
USERNAME_LIMIT = 64
PASSWORD_LIMIT = 1024


def _next_path(raw: str) -> str:
    """Where to go after logging in: a path of this application only (never another site)."""
    # browsers drop tabs and line breaks from a URL ("/\t/other.site" would become "//other.site"): none allowed
    plain = raw.isprintable() and not any(character.isspace() for character in raw)
    if plain and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw and len(raw) <= 200:
        return raw
    return Path.INBOX


@routes.get(Path.LOGIN)
async def masuk(request: web.Request) -> web.Response:
    """The login form."""
    webapp = app_of(request)
    if session_of(request).staff is not None:
        raise webapp.redirect(Path.INBOX)
    return webapp.render(request, "masuk.html", pengguna="", lanjut=_next_path(request.query.get("lanjut", "")))


@routes.post(Path.LOGIN)
async def masuk_kirim(request: web.Request) -> web.Response:
    """Check the user name and password; log in, or say why not."""
    webapp = app_of(request)
    webapp.limit(request, webapp.login_limit, "masuk")
    form = await webapp.posted(request)
    username = form.text("pengguna").lower()[:USERNAME_LIMIT]
    password = form.fields.get("kata_sandi", "")[:PASSWORD_LIMIT]
    next_path = _next_path(form.text("lanjut"))

    def refused(message: str, status: int = 401) -> web.Response:
        return webapp.render(request, "masuk.html", status=status, pengguna=username, lanjut=next_path, galat=message)

    user = await in_thread(webapp.store.find_staff_user, username) if username else None
    now = webapp.store.now()
    if user is not None and user.disabled_at is None and user.locked_at(now):
        return refused(_locked(user.locked_until), 423)
    matches = await in_thread(verify_password, None if user is None else user.password_hash, password)
    if user is None or user.disabled_at is not None:
        return refused(WRONG)
    if not matches:
        settings = webapp.settings
        user = await in_thread(
            webapp.store.record_login_failure,
            user.id,
            max_failures=settings.login_max_failures,
            lockout=settings.login_lockout,
        )
        if user.locked_at(now):
            return refused(_locked(user.locked_until), 423)
        return refused(WRONG)
    user = await in_thread(webapp.store.record_login_success, user.id)
    await webapp.sessions.login(session_of(request), user)
    raise webapp.redirect(next_path)


def _locked(until: datetime | None) -> str:
    when = format_time(until, "WIB") if until is not None else "beberapa saat lagi"
    return (
        "Akun ini dikunci sementara karena terlalu banyak percobaan masuk yang gagal. Silakan coba lagi setelah "
        f"{when}, atau hubungi administrator."
    )


@routes.post(Path.LOGOUT)
async def keluar(request: web.Request) -> web.Response:
    """End the session."""
    webapp = app_of(request)
    await webapp.posted(request)
    await webapp.sessions.logout(session_of(request))
    raise webapp.redirect(Path.HOME)
