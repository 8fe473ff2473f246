"""Setting a password once (`/atur-kata-sandi?t=…`): the new Admin PPE (SOP 1 row 7) and the PPBJ.

The one-time token of the e-mail is checked on the first visit (`ProvisioningAdapter.verify_set_password_token`)
and moved into a cookie of its own – HttpOnly, SameSite=Lax, for this path only, for `PENDING_MINUTES` – and the
browser is sent on to `/atur-kata-sandi` without it. Posting a password (twice, at least 12 characters) spends the
token (`consume_set_password_token`): it works once. A used, replaced or expired link says so and what to do next.
"""

from aiohttp import web

from web.app import app_of
from web.errors import GoneLinkError, NotFoundPageError
from web.passwords import password_problem
from workers.domain import AccountRole, System
from workers.errors import ProvisioningError, TokenError
from workers.links import TOKEN_PARAMETER, Path
from workers.provisioning import ProvisionedAccount

routes = web.RouteTableDef()
COOKIE_NAME = "pbj_atur_sandi"
PENDING_MINUTES = 30
TOKEN_LIMIT = 128


def _gone(exc: TokenError) -> GoneLinkError | NotFoundPageError:
    """What a refused token's page says, by what the store or the provisioning service said about it."""
    text = str(exc)
    if "tidak dikenal" in text:
        return NotFoundPageError(
            "Tautan pembuatan kata sandi tidak dikenal.",
            hint="Pastikan tautan dari e-mail dibuka lengkap, tanpa terpotong.",
        )
    if "sudah digunakan" in text:
        return GoneLinkError(
            "Tautan ini sudah digunakan: kata sandi akun sudah dibuat. Tautan hanya dapat digunakan satu kali.",
            hint="Silakan login dengan kata sandi yang telah Anda buat. Bila Anda lupa kata sandi, mintalah tautan "
            "baru melalui Kepala LPSE (Admin PPE) atau helpdesk LPSE (PPBJ).",
        )
    if "diganti" in text:
        return GoneLinkError(
            "Tautan ini sudah diganti dengan tautan yang lebih baru.",
            hint="Gunakan tautan pada e-mail terbaru tentang akun Anda.",
        )
    return GoneLinkError(
        "Tautan ini sudah kedaluwarsa. Tidak ada yang diubah.",
        hint="Mintalah tautan baru melalui Kepala LPSE (Admin PPE) atau helpdesk LPSE (PPBJ); tautan baru dikirim ke "
        "e-mail Anda.",
    )


def _cookie_path(request: web.Request) -> str:
    return app_of(request).url(Path.SET_PASSWORD)


async def _account(request: web.Request, token: str) -> ProvisionedAccount:
    try:
        return await app_of(request).provisioning.verify_set_password_token(token)
    except TokenError as exc:
        raise _gone(exc) from None


@routes.get(Path.SET_PASSWORD)
async def atur_kata_sandi(request: web.Request) -> web.Response:
    """First visit: the token into its cookie; then the form (or why the link cannot be used)."""
    webapp = app_of(request)
    given = request.query.get(TOKEN_PARAMETER)
    if given is not None:
        webapp.limit(request, webapp.link_limit, "tautan")
        if not given or len(given) > TOKEN_LIMIT:
            raise NotFoundPageError("Tautan pembuatan kata sandi tidak dikenal.")
        await _account(request, given)
        response = web.HTTPSeeOther(_cookie_path(request))
        response.set_cookie(
            COOKIE_NAME,
            given,
            path=_cookie_path(request),
            max_age=PENDING_MINUTES * 60,
            httponly=True,
            secure=webapp.settings.secure_cookies,
            samesite="Lax",
        )
        raise response
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        return webapp.render(request, "kata_sandi_tanpa_tautan.html", status=400)
    account = await _account(request, token[:TOKEN_LIMIT])
    return webapp.render(request, "kata_sandi.html", akun=account, masalah=None)


@routes.post(Path.SET_PASSWORD)
async def atur_kata_sandi_kirim(request: web.Request) -> web.Response:
    """Set the password with the token of the cookie; the token is spent."""
    webapp = app_of(request)
    webapp.limit(request, webapp.link_limit, "tautan")
    form = await webapp.posted(request)
    token = request.cookies.get(COOKIE_NAME, "")[:TOKEN_LIMIT]
    if not token:
        return webapp.render(request, "kata_sandi_tanpa_tautan.html", status=400)
    account = await _account(request, token)
    password = form.fields.get("kata_sandi", "")
    problem = password_problem(password, form.fields.get("ulangi", ""))
    if problem is not None:
        return webapp.render(request, "kata_sandi.html", status=400, akun=account, masalah=problem)
    try:
        account = await webapp.provisioning.consume_set_password_token(token, password)
    except TokenError as exc:
        raise _gone(exc) from None
    except ProvisioningError as exc:  # the password policy of the provisioning service
        return webapp.render(request, "kata_sandi.html", status=400, akun=account, masalah=str(exc))
    response = webapp.render(
        request,
        "kata_sandi_selesai.html",
        akun=account,
        spse=account.system is System.SPSE or account.role is AccountRole.ADMIN_PPE,
        tautan_login=webapp.settings.app.spse_login_url,
    )
    response.del_cookie(COOKIE_NAME, path=_cookie_path(request))
    return response
