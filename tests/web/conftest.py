"""Fixtures of the web application's tests: `system` (engine, workers, SMTP sink, web application, all in this
process and event loop, the engine's clock controlled), `chromium` (one headless Chromium per test process) `pages`
(fresh Playwright browser contexts on it) and `page` (one of them, at 1280 × 900)."""

import io
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright
from pyzeebe import create_insecure_channel

from engine.testing import EmbeddedEngine
from pbj.commands.rest import CamundaRest
from pbj.commands.zeebe import Gateway
from tests.web.harness import SharedChromium, WebSystem, free_socket, require_chromium
from tests.workers.harness import (
    BPMN_DIR,
    MailSink,
    at_office_morning,
    capture_logs,
    running_worker,
    settings_environ,
    watch_engine,
)
from web.app import WebApp
from web.server import start_site
from web.settings import WebSettings
from workers.services import Services
from workers.settings import Settings

SECRET_KEY = "kunci-rahasia-uji-aplikasi-web-yang-cukup-panjang"


@pytest.fixture
def engine(engine: EmbeddedEngine) -> Iterator[EmbeddedEngine]:
    """The suite's embedded engine at `OFFICE_MORNING`, named for `running_worker`."""
    watch_engine(at_office_morning(engine))
    yield engine
    watch_engine(None)


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the web application and the workers log during the test (INFO and up, as a service runs), as JSON
    lines; the workers' privacy test reads their DEBUG lines too."""
    with capture_logs("INFO") as buffer:
        yield buffer


@asynccontextmanager
async def serving(engine: EmbeddedEngine, tmp_path: Path, *, workers: bool = True) -> AsyncIterator[WebSystem]:
    """Both diagrams deployed, the web application listening on a free port and – with `workers` – the workers
    working (without them a test drives the jobs itself, at known instants)."""
    engine.deploy(BPMN_DIR)
    sink = MailSink()
    await sink.start()
    sock = free_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    data = tmp_path / "data"
    environ = {
        **settings_environ(data, f"sqlite:///{data / 'pbj.sqlite3'}", sink.port),
        "ZEEBE_ADDRESS": engine.address,
        "CAMUNDA_REST_ADDRESS": engine.rest_url,
        "APP_URL": url,
        "WEB_SECRET_KEY": SECRET_KEY,
    }
    services = Services.from_settings(Settings.from_env(environ), clock=lambda: engine.current_time)
    settings = WebSettings.from_env(environ)
    webapp = WebApp(
        settings=settings,
        store=services.store,
        documents=services.documents,
        provisioning=services.provisioning,
        rest=CamundaRest(settings.commands),
        gateway=Gateway(settings.app.zeebe),
    )
    site = await start_site(webapp, "127.0.0.1", 0, sock=sock)
    channel = create_insecure_channel(grpc_address=engine.address)
    try:
        if workers:
            async with running_worker(channel, services):
                yield WebSystem(engine, services, sink, webapp, url)
        else:
            yield WebSystem(engine, services, sink, webapp, url)
    finally:
        await site.stop()
        await webapp.aclose()
        await channel.close(grace=None)
        await services.aclose()
        await sink.stop()


@pytest.fixture
async def system(engine: EmbeddedEngine, tmp_path: Path) -> AsyncIterator[WebSystem]:
    """Both diagrams deployed, the workers working, the web application listening on a free port."""
    async with serving(engine, tmp_path) as served:
        yield served


@pytest.fixture(scope="session")
def chromium() -> Iterator[SharedChromium]:
    """One headless Chromium for the test process (skipped without one, except under CI)."""
    shared = SharedChromium.start(require_chromium())
    yield shared
    shared.stop()


class Pages:
    """Fresh browser contexts (each its own cookies: another person, or the same person on another device) on the
    shared Chromium; console errors (CSP violations included) fail the test."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    async def new(self, width: int = 1280, height: int = 900) -> Page:
        """A page in a new browser context of the given viewport."""
        context = await self.browser.new_context(viewport={"width": width, "height": height}, locale="id-ID")
        self.contexts.append(context)
        page = await context.new_page()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page


@pytest.fixture
async def pages(chromium: SharedChromium) -> AsyncIterator[Pages]:
    """New browser contexts on the shared Chromium, closed after the test."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.connect_over_cdp(chromium.endpoint)
        opened = Pages(browser)
        yield opened
        for context in opened.contexts:
            await context.close()
        await browser.close()
        # a refused request (4xx) is logged by the browser as an error; everything else is a fault of the page
        assert not [e for e in opened.errors if "status of 4" not in e], (
            f"errors in the browser console: {opened.errors}"
        )


@pytest.fixture
async def page(pages: Pages) -> Page:
    """A fresh browser context (no cookies) with one page, at 1280 × 900."""
    return await pages.new()
