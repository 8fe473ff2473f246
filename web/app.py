"""The web application: its resources, its middlewares (errors, sessions, security headers) and page rendering.

`WebApp` holds what every page uses – the settings, the application store and document store, the provisioning
adapter (set-password links), the REST client and the Zeebe gateway, the browser sessions, the Jinja2 pages and the
rate limits – and is lent to `pbj.commands.context.Context` for the applicants' steps, so those run the commands'
own code paths. `create_app(webapp)` builds the aiohttp application with every page of `web.pages` mounted below
the path of `APP_URL`.
"""

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from pbj.commands.context import Context
from pbj.commands.errors import CommandError
from pbj.commands.rest import CamundaRest
from pbj.commands.zeebe import Gateway
from web.errors import CsrfError, TooManyRequestsError, UnavailableError, WebError
from web.security import (
    CSRF_FIELD,
    RateLimiter,
    client_address,
    csrf_valid,
    foreign_origin,
    security_headers,
)
from web.sessions import BrowserSession, Sessions
from web.settings import WebSettings
from web.uploads import PostedForm, read_form
from workers.document_rules import ACCEPT, human_size, limits_text
from workers.documents import DocumentStore, LocalDocumentStore
from workers.domain import DocumentType
from workers.errors import StoreUnavailableError, WorkersError
from workers.logging import get_logger
from workers.mail_templates import format_time
from workers.provisioning import ProvisioningAdapter, create_provisioning_adapter
from workers.store import Store

log = get_logger("web")

PAGES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSETS_PATH = "/aset"
SITE_NAME = "Layanan Akun Pengadaan"
LOGIN_LIMIT = RateLimiter(limit=10, window=60.0)
LINK_LIMIT = RateLimiter(limit=30, window=60.0)
_COMMAND_HINT = re.compile(r"\s*[^.;]*`[^`]*`[^.;]*[.;]?")


@dataclass
class WebApp:
    """What every page uses."""

    settings: WebSettings
    store: Store
    documents: DocumentStore
    provisioning: ProvisioningAdapter
    rest: CamundaRest
    gateway: Gateway
    owned: bool = False
    login_limit: RateLimiter = field(default_factory=lambda: RateLimiter(LOGIN_LIMIT.limit, LOGIN_LIMIT.window))
    link_limit: RateLimiter = field(default_factory=lambda: RateLimiter(LINK_LIMIT.limit, LINK_LIMIT.window))
    sessions: Sessions = field(init=False)
    pages: jinja2.Environment = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = Sessions(self.settings, self.store)
        self.pages = _pages(self)

    @classmethod
    def open(cls, settings: WebSettings) -> "WebApp":
        """Open the store (migrating it), the document store, the provisioning adapter, REST and gateway clients."""
        store = Store.open(settings.app.database_url)
        app = settings.app
        return cls(
            settings=settings,
            store=store,
            documents=LocalDocumentStore(app.documents_dir, store, max_size=app.document_max_size),
            provisioning=create_provisioning_adapter(app.provisioning, store),
            rest=CamundaRest(settings.commands),
            gateway=Gateway(app.zeebe),
            owned=True,
        )

    async def aclose(self) -> None:
        """Release what `open` opened."""
        await self.rest.close()
        await self.gateway.close()
        await self.provisioning.close()
        if self.owned:
            self.store.close()

    def context(self, actor: str) -> Context:
        """A command context over this application's long-lived resources (for the applicants' steps)."""
        return Context(
            self.settings.commands,
            actor=actor,
            store=self.store,
            documents=self.documents,
            rest=self.rest,
            gateway=self.gateway,
        )

    def url(self, path: str) -> str:
        """A path of this application as the browser reaches it (below `APP_URL`'s path)."""
        return self.settings.base_path + path

    def redirect(self, path: str) -> web.HTTPSeeOther:
        """A 303 to a page of this application."""
        return web.HTTPSeeOther(self.url(path))

    def render(self, request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
        """A page; the template sees the session (`staf`), `csrf()` and the values."""
        session = session_of(request)
        page = self.pages.get_template(template).render(
            staf=session.staff,
            csrf=lambda: self.sessions.csrf(session),
            path=request.path,
            **values,
        )
        return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")

    async def posted(self, request: web.Request, *, max_files: int = 0) -> PostedForm:
        """The posted form after its CSRF token was checked (`CsrfError`: nothing happens)."""
        form = await read_form(request, max_file_size=self.settings.app.document_max_size, max_files=max_files)
        session = session_of(request)
        if not csrf_valid(self.settings.secret_key, session.id, form.fields.get(CSRF_FIELD)):
            raise CsrfError(
                "Formulir ini tidak dapat diproses karena token keamanannya tidak sah atau sudah kedaluwarsa. "
                "Tidak ada yang disimpan.",
                hint="Muat ulang halaman, lalu isi dan kirim kembali formulirnya.",
            )
        return form

    def limit(self, request: web.Request, limiter: RateLimiter, purpose: str) -> None:
        """Count an attempt of `purpose` from the request's client; `TooManyRequestsError` past the limit."""
        wait = limiter.hit(f"{purpose}:{client_address(request, trust_proxy=self.settings.trust_proxy)}")
        if wait:
            raise TooManyRequestsError(
                f"Terlalu banyak percobaan dari alamat Anda dalam waktu singkat. Silakan coba lagi dalam {wait} detik.",
                retry_after=wait,
            )


WEB_APP = web.AppKey("pbj", WebApp)
SESSION_KEY = web.RequestKey("sesi", BrowserSession)


def app_of(request: web.Request) -> WebApp:
    """The `WebApp` serving a request."""
    return request.config_dict[WEB_APP]


def session_of(request: web.Request) -> BrowserSession:
    """The request's browser session (loaded by the middleware)."""
    session = request.get(SESSION_KEY)
    if not isinstance(session, BrowserSession):
        session = BrowserSession()
        request[SESSION_KEY] = session
    return session


def _pages(webapp: WebApp) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PAGES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        url=webapp.url,
        aset=lambda name: webapp.url(f"{ASSETS_PATH}/{name}"),
        situs=SITE_NAME,
        batas_ukuran=human_size(webapp.settings.app.document_max_size),
        ketentuan_berkas=limits_text(webapp.settings.app.document_max_size),
        jenis_berkas=ACCEPT,
    )
    environment.filters.update(
        waktu=lambda value, zona="WIB": "–" if value is None else format_time(value, zona),
        ukuran=human_size,
        nama_dokumen=lambda code: DocumentType(code).label if code in DocumentType.__members__.values() else code,
    )
    return environment


# --- middlewares ---------------------------------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every refusal as an Indonesian page with its status; nothing unexpected leaks a trace to the browser."""
    webapp = app_of(request)
    try:
        if request.method == "POST" and foreign_origin(request, urlsplit(webapp.settings.app.app_url).netloc):
            raise CsrfError("Formulir dikirim dari situs lain dan tidak diproses. Tidak ada yang disimpan.")
        return await handler(request)
    except WebError as exc:
        response = webapp.render(request, "galat.html", status=exc.status, galat=exc)
        if isinstance(exc, TooManyRequestsError):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except CommandError as exc:  # the engine or a step refused (not reachable, not waiting, …)
        message = _COMMAND_HINT.sub("", str(exc)).strip() or str(exc)
        error = UnavailableError(message) if "tidak dapat dihubungi" in message else WebError(message)
        if not isinstance(error, UnavailableError):
            error.status, error.title = 409, "Belum dapat diproses"
        return webapp.render(request, "galat.html", status=error.status, galat=error)
    except StoreUnavailableError:
        error = UnavailableError("Basis data aplikasi sedang tidak dapat diakses. Tidak ada yang disimpan.")
        return webapp.render(request, "galat.html", status=503, galat=error)
    except web.HTTPException as exc:
        if exc.status in (404, 405):
            error = WebError("Alamat yang dibuka tidak ada pada aplikasi ini.", title="Halaman tidak ditemukan")
            error.status = exc.status
            return webapp.render(request, "galat.html", status=exc.status, galat=error)
        if exc.status == 413:
            error = WebError("Data yang dikirim terlalu besar. Tidak ada yang disimpan.", title="Terlalu besar")
            error.status = 413
            return webapp.render(request, "galat.html", status=413, galat=error)
        raise
    except (WorkersError, Exception):
        log.exception("Halaman gagal diproses", jalur=request.path, metode=request.method)
        error = WebError("Terjadi kesalahan pada aplikasi. Tidak ada yang disimpan; silakan coba lagi.")
        error.status, error.title = 500, "Terjadi kesalahan"
        return webapp.render(request, "galat.html", status=500, galat=error)


@web.middleware
async def _sessions_and_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the browser session before the page, set its cookie and the security headers after."""
    webapp = app_of(request)
    request[SESSION_KEY] = BrowserSession()
    if not request.path.startswith(webapp.url(ASSETS_PATH) + "/"):
        try:
            request[SESSION_KEY] = await webapp.sessions.load(request)
        except StoreUnavailableError:
            log.warning("Sesi tidak dapat dimuat: basis data tidak dapat diakses", jalur=request.path)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _finish(webapp, request, response)
        raise
    _finish(webapp, request, response)
    return response


def _finish(webapp: WebApp, request: web.Request, response: web.StreamResponse) -> None:
    webapp.sessions.apply(response, session_of(request))
    if not request.path.startswith(webapp.url(ASSETS_PATH) + "/"):
        response.headers.setdefault("Cache-Control", "no-store")
    security_headers(response, secure=webapp.settings.secure_cookies)


class AccessLogger(AbstractAccessLogger):
    """One line per request – method, path without its query (tokens travel there), status, duration."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Log the request."""
        log.info(
            "Permintaan HTTP",
            metode=request.method,
            jalur=request.path,
            status=response.status,
            durasi_ms=round(time * 1000, 1),
        )


def create_app(webapp: WebApp) -> web.Application:
    """The aiohttp application: the pages below `APP_URL`'s path, the built assets under `/aset/`."""
    from web.pages import register

    inner = web.Application(
        middlewares=[_sessions_and_headers, _errors],
        client_max_size=4 * (webapp.settings.app.document_max_size + 1024) + 64 * 1024,
    )
    inner[WEB_APP] = webapp
    register(inner)
    inner.router.add_static(ASSETS_PATH, STATIC_DIR, show_index=False, follow_symlinks=False, append_version=False)
    if not webapp.settings.base_path:
        return inner
    outer = web.Application()
    outer[WEB_APP] = webapp
    outer.add_subapp(webapp.settings.base_path, inner)
    return outer


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call (the store, the document store, argon2) off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)
