"""Running the web application: `pbj web` / `python -m web` as its own service, or inside `pbj up` next to the
embedded engine (`start_site`).

`pbj web` reads its settings from the environment (`WebSettings`), opens the store (applying pending migrations),
listens on `WEB_HOST:WEB_PORT` and prints one line in Indonesian when it is ready; SIGTERM or Ctrl-C stops it (exit
0). A bad setting: a line naming it, exit 2; a port in use or a store that cannot be opened: a line, exit 1.
"""

import asyncio
import signal
import socket
import sys
from dataclasses import dataclass

from aiohttp import web

from web.app import AccessLogger, WebApp, create_app
from web.settings import WebSettings
from workers.errors import SettingsError, WorkersError
from workers.logging import configure_logging, get_logger

log = get_logger("web")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2


@dataclass
class RunningSite:
    """A listening web application: its runner and the port it listens on."""

    runner: web.AppRunner
    host: str
    port: int

    async def stop(self) -> None:
        """Stop listening and finish the requests in flight."""
        await self.runner.cleanup()


async def start_site(webapp: WebApp, host: str, port: int, *, sock: socket.socket | None = None) -> RunningSite:
    """Serve the application on `host:port` (0: a free port), or on an already bound `sock`, in the running event
    loop."""
    runner = web.AppRunner(create_app(webapp), access_log_class=AccessLogger, handle_signals=False)
    await runner.setup()
    site: web.BaseSite = (
        web.SockSite(runner, sock) if sock is not None else web.TCPSite(runner, host, port, reuse_address=True)
    )
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    server = site._server  # the one listening socket's real port (port 0 picks a free one)
    sockets = getattr(server, "sockets", None) or []
    actual = sockets[0].getsockname()[1] if sockets else port
    return RunningSite(runner, host, int(actual))


async def serve(settings: WebSettings) -> int:
    """Run until SIGINT or SIGTERM."""
    try:
        webapp = await asyncio.to_thread(WebApp.open, settings)
    except WorkersError as exc:
        print(f"Aplikasi web tidak dapat dijalankan: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    try:
        site = await start_site(webapp, settings.host, settings.port)
    except OSError as exc:
        await webapp.aclose()
        print(
            f"Aplikasi web tidak dapat mendengarkan di {settings.host}:{settings.port}: {exc.strerror or exc}. "
            "Pilih port lain dengan WEB_PORT.",
            file=sys.stderr,
            flush=True,
        )
        return EXIT_FAILED
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(
        f"Aplikasi web siap di http://{settings.host}:{site.port} (dibuka pengguna sebagai {settings.app.app_url}); "
        f"mesin proses: gRPC {settings.app.zeebe.address}, REST {settings.commands.rest.address}/v2.",
        flush=True,
    )
    if settings.commands.credentials_in_clear:
        print(
            "PERINGATAN: kata sandi mesin proses (CAMUNDA_BASIC_AUTH_PASSWORD) dikirim tanpa enkripsi ke host lain; "
            "hanya aman di jaringan privat. Untuk jaringan lain gunakan proksi balik dengan TLS (ZEEBE_TLS=true dan "
            "CAMUNDA_REST_ADDRESS berawalan https://).",
            file=sys.stderr,
            flush=True,
        )
    await stop.wait()
    await site.stop()
    await webapp.aclose()
    print("Aplikasi web dihentikan.", flush=True)
    return EXIT_OK


def run() -> int:
    """`pbj web`: the settings from the environment, then `serve`."""
    try:
        settings = WebSettings.from_env()
    except SettingsError as exc:
        print(f"Aplikasi web tidak dapat dijalankan: {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_SETTINGS
    configure_logging(settings.app.log_level, settings.app.log_format)
    return asyncio.run(serve(settings))
