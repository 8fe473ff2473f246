"""`pbj up`: the whole application on one machine, in one process, with one command (`make run`).

It starts the embedded engine (Zeebe gateway gRPC and REST `/v2`), deploys the diagrams and forms of `bpmn/`, starts
a local SMTP server on loopback that keeps every e-mail as a file (`pbj.mailbox`), runs the job workers – the same
`create_worker` and `Services` as `python -m workers`, with the settings read from the environment, except that the
Zeebe address and the SMTP server are this process's own – and serves the web application (`web`, as `pbj web`
does) on `--host` and `--web-port` (default 127.0.0.1:8000), talking to this engine through its gateway and `/v2`.
`APP_URL`, from which every e-mail's links are built, follows the web application's address unless it is set. Then
it tells the operator where everything is.
SIGTERM or Ctrl-C: the workers take no new job and finish the running ones, then the engine and the mail server
stop, exit 0 (a second signal stops at once, exit 1). A port already in use is named before anything starts, exit 1.

`pbj up --demo` runs the scripted scenario of `pbj.demo` on a controlled engine clock, with its own fictitious data
under `<PBJ_DATA_DIR>/demo/`, and stops when it is done (with `--tetap`, it stays up afterwards). Operators read
every message, so they are in formal Indonesian.
"""

import argparse
import asyncio
import contextlib
import errno
import os
import shutil
import signal
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import grpc
from pyzeebe import ZeebeWorker

from engine.auth import CredentialsError, own_login
from engine.durable import DurableError
from engine.embedded import EmbeddedEngine
from engine.errors import EngineError
from engine.rest import RestSettings as EngineAccess
from pbj.access import OPEN_FLAG, access_line, exposure, listen_problem
from pbj.commands.rest import CamundaRest
from pbj.commands.settings import CommandSettings, RestSettings
from pbj.commands.zeebe import Gateway
from pbj.invocation import program
from pbj.mailbox import INDEX_NAME, LocalSmtpServer, MailFolder
from web.app import WebApp
from web.server import RunningSite, start_site
from web.settings import WebSettings
from workers.channel import create_channel
from workers.errors import SettingsError, WorkersError
from workers.logging import configure_logging, get_logger, redact_text
from workers.services import Services
from workers.settings import Settings, ZeebeSettings
from workers.worker import create_worker

DEFAULT_HOST = "127.0.0.1"
DEFAULT_GRPC_PORT = 26500
DEFAULT_REST_PORT = 8080
DEFAULT_SMTP_PORT = 1025
DEFAULT_WEB_PORT = 8000
SMTP_HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BPMN_DIR = ROOT / "bpmn"
MAIL_DIR_NAME = "surat"
DEMO_DIR_NAME = "demo"
ENGINE_DIR_NAME = "mesin"  # the embedded engine's data directory (pbj engine's default too)
DEMO_MARKER = ".pbj-demo"
# Staff who get SLA reminders: on one machine every e-mail stays in the mail folder, so local placeholders will do
# when the environment names nobody (otherwise a breach would end in an incident asking for the setting).
LOCAL_STAFF = {
    "PM_LKPP_EMAIL": "PM Direktorat e-Procurement LKPP <pm-lkpp@pbj.localhost>",
    "LPSE_ADMIN_PPE_EMAIL": "Admin PPE LPSE Provinsi Kalimantan Barat <admin-ppe@pbj.localhost>",
}
# Settings that would point the workers elsewhere than this process's engine and mail server.
_OVERRIDDEN = (
    "ZEEBE_CLIENT_ID",
    "ZEEBE_CLIENT_SECRET",
    "ZEEBE_AUTHORIZATION_SERVER_URL",
    "ZEEBE_TOKEN_AUDIENCE",
    "ZEEBE_TLS",
    "ZEEBE_CA_CERTIFICATE_PATH",
    "CAMUNDA_CLIENT_ID",
    "CAMUNDA_CLIENT_SECRET",
    "CAMUNDA_OAUTH_URL",
    "CAMUNDA_TOKEN_AUDIENCE",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2

log = get_logger("pbj.up")


class StartError(Exception):
    """Something could not be started; the message is for the operator (formal Indonesian)."""


@dataclass(frozen=True)
class UpOptions:
    """What `pbj up` was asked to run."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_GRPC_PORT
    rest_port: int = DEFAULT_REST_PORT
    smtp_port: int = DEFAULT_SMTP_PORT
    web_port: int = DEFAULT_WEB_PORT
    bpmn_dir: Path = DEFAULT_BPMN_DIR
    demo: bool = False
    stay: bool = False
    engine_settings: EngineAccess = field(default_factory=EngineAccess)  # credentials, CORS, host names


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The `up` subcommand and its options."""
    parser = sub.add_parser(
        "up",
        help="menjalankan semuanya di satu mesin: mesin proses, diagram, pekerja, dan server surel lokal",
        description="Menjalankan mesin proses tertanam (gRPC Zeebe dan REST API /v2), memasang diagram dan formulir "
        "dari bpmn/, menjalankan pekerja tugas layanan, dan server surel lokal yang menyimpan setiap surel sebagai "
        "berkas di <PBJ_DATA_DIR>/surat/. Pengaturan pekerja dibaca dari variabel lingkungan (lihat .env.example); "
        "alamat Zeebe dan server SMTP selalu milik proses ini. Ctrl-C atau SIGTERM menghentikan semuanya dengan rapi.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"alamat mesin proses (bawaan: {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=None, help=f"port gRPC Zeebe (bawaan: {DEFAULT_GRPC_PORT})")
    parser.add_argument("--rest-port", type=int, default=None, help=f"port REST API /v2 (bawaan: {DEFAULT_REST_PORT})")
    parser.add_argument(
        "--smtp-port",
        type=int,
        default=None,
        help=f"port server surel lokal di {SMTP_HOST} (bawaan: {DEFAULT_SMTP_PORT})",
    )
    parser.add_argument(
        "--web-port",
        type=int,
        default=None,
        help=f"port aplikasi web di --host (bawaan: {DEFAULT_WEB_PORT}); APP_URL mengikutinya bila tidak diatur",
    )
    parser.add_argument(
        "--bpmn", type=Path, default=DEFAULT_BPMN_DIR, help="folder diagram dan formulir yang dipasang (bawaan: bpmn/)"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="menjalankan skenario contoh kedua SOP dengan jam dipercepat dan data fiktif di <PBJ_DATA_DIR>/demo/, "
        "lalu berhenti (port yang tidak disebut dipilih bebas)",
    )
    parser.add_argument(
        OPEN_FLAG,
        dest="allow_open",
        action="store_true",
        help="izinkan mendengarkan di luar 127.0.0.1 tanpa kredensial (berbahaya; lihat PBJ_ENGINE_USERNAME)",
    )
    parser.add_argument(
        "--tetap",
        action="store_true",
        help="bersama --demo: tetap berjalan setelah skenario selesai (port bawaan), sampai Ctrl-C",
    )


def run(args: argparse.Namespace) -> int:
    """`pbj up` from parsed arguments; the exit code."""
    if args.tetap and not args.demo:
        print("Opsi --tetap hanya berlaku bersama --demo.", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    try:
        engine_settings = EngineAccess.from_environment(os.environ)
    except CredentialsError as exc:
        print(f"Pengaturan mesin proses tidak lengkap: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    access = exposure(args.host, engine_settings.credentials, allow_open=args.allow_open)
    if access.refusal:
        print(access.refusal, file=sys.stderr)
        return EXIT_BAD_SETTINGS
    if access.warning:
        print(access.warning, file=sys.stderr, flush=True)
    free = args.demo and not args.tetap  # a demo that stops by itself needs no fixed port
    options = UpOptions(
        host=args.host,
        port=_chosen(args.port, DEFAULT_GRPC_PORT, free),
        rest_port=_chosen(args.rest_port, DEFAULT_REST_PORT, free),
        smtp_port=_chosen(args.smtp_port, DEFAULT_SMTP_PORT, free),
        web_port=_chosen(args.web_port, DEFAULT_WEB_PORT, free),
        bpmn_dir=args.bpmn,
        demo=args.demo,
        stay=args.tetap,
        engine_settings=engine_settings,
    )
    return asyncio.run(up(options))


def _chosen(given: int | None, default: int, free: bool) -> int:
    if given is not None:
        return given
    return 0 if free else default


# --- settings ------------------------------------------------------------------------------------------------------


def local_environ(environ: Mapping[str, str], *, zeebe_address: str, smtp_port: int) -> dict[str, str]:
    """The workers' environment under `pbj up`: as given, but Zeebe and SMTP are this process's own."""
    env = dict(environ)
    env.update(dict.fromkeys(_OVERRIDDEN, ""))
    env.update(
        {
            "ZEEBE_ADDRESS": zeebe_address,
            "SMTP_HOST": SMTP_HOST,
            "SMTP_PORT": str(smtp_port or DEFAULT_SMTP_PORT),
            "SMTP_TLS": "false",
            "SMTP_STARTTLS": "false",
        }
    )
    for name, value in LOCAL_STAFF.items():
        if not env.get(name, "").strip():
            env[name] = value
    return env


def demo_environ(env: Mapping[str, str], demo_dir: Path) -> dict[str, str]:
    """The demo's environment: its own data directory and SQLite file, local staff, quiet logs."""
    return {
        **env,
        **LOCAL_STAFF,
        "PBJ_DATA_DIR": str(demo_dir),
        "DATABASE_URL": "",
        "BUREAU_HEAD_EMAIL": "",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "console",
    }


def read_settings(options: UpOptions, environ: Mapping[str, str]) -> Settings:
    """The workers' settings for this run (`SettingsError` names a bad one)."""
    # a free port (0) is known only once the server listens: `LocalStack.start` fills it in
    address = f"{_client_host(options.host)}:{options.port or DEFAULT_GRPC_PORT}"
    env = local_environ(environ, zeebe_address=address, smtp_port=options.smtp_port)
    settings = Settings.from_env(env)
    if options.demo:
        settings = Settings.from_env(demo_environ(env, settings.data_dir / DEMO_DIR_NAME))
    return settings


def _url_host(host: str) -> str:
    """A host as it goes into a URL (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


def _client_host(host: str) -> str:
    """Where a client on this machine reaches a server listening on `host`."""
    return "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host


def prepare_demo_dir(demo_dir: Path) -> None:
    """Start every demo afresh: remove what an earlier demo left (only a folder the demo made itself)."""
    if demo_dir.exists():
        if not (demo_dir / DEMO_MARKER).exists():
            raise StartError(
                f"Folder {demo_dir} sudah ada tetapi tidak dibuat oleh pbj up --demo; folder itu tidak dihapus. "
                "Pindahkan folder itu atau atur PBJ_DATA_DIR ke direktori lain."
            )
        shutil.rmtree(demo_dir)
    demo_dir.mkdir(parents=True)
    (demo_dir / DEMO_MARKER).write_text("Dibuat oleh pbj up --demo; dihapus pada demo berikutnya.\n", encoding="utf-8")


# --- ports ---------------------------------------------------------------------------------------------------------


def port_problem(options: UpOptions) -> str | None:
    """Why one of the ports cannot be used (in use, not allowed, twice), or None."""
    wanted = [
        (options.host, options.port, "gRPC Zeebe", "--port"),
        (options.host, options.rest_port, "REST API", "--rest-port"),
        (SMTP_HOST, options.smtp_port, "server surel lokal", "--smtp-port"),
        (options.host, options.web_port, "aplikasi web", "--web-port"),
    ]
    for _, port, what, option in wanted:
        if not 0 <= port <= 65535:
            return f"Port {port} untuk {what} ({option}) tidak sah; gunakan 1–65535."
    fixed = [port for _, port, _, _ in wanted if port]
    if len(fixed) != len(set(fixed)):
        return (
            "Port gRPC (--port), REST API (--rest-port), server surel (--smtp-port) dan aplikasi web (--web-port) "
            "harus berbeda satu sama lain."
        )
    for host, port, what, option in wanted:
        problem = _bind_problem(host, port)
        if problem == errno.EADDRINUSE:
            return (
                f"Port {port} untuk {what} di {host} sudah digunakan oleh program lain (mungkin pbj up atau pbj engine "
                f"yang masih berjalan). Hentikan program tersebut atau pilih port lain dengan {option}."
            )
        if problem is not None:
            return f"Port {port} untuk {what} di {host} tidak dapat digunakan ({problem}). Pilih alamat atau port lain."
    return None


def _bind_problem(host: str, port: int) -> str | int | None:
    """Why a server could not listen on `host:port`: `errno.EADDRINUSE`, another reason as text, or None."""
    if port == 0:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return "alamat tidak dikenal"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is no obstacle
        try:
            probe.bind(address)
        except OSError as exc:
            return errno.EADDRINUSE if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
    return None


# --- the stack -----------------------------------------------------------------------------------------------------


class LocalStack:
    """The engine, the deployed diagrams, the local mail server and the workers of one `pbj up`."""

    def __init__(self, options: UpOptions, settings: Settings, environ: Mapping[str, str] | None = None) -> None:
        """Nothing runs until `start()`; `environ` holds the web application's own settings (`WEB_*`) and whether
        `APP_URL` was set (else it follows the web application's address)."""
        self.options = options
        self.settings = settings
        self.environ: Mapping[str, str] = {} if environ is None else environ
        self.engine_dir = settings.data_dir / ENGINE_DIR_NAME
        try:
            self.engine = EmbeddedEngine(
                host=options.host,
                port=options.port,
                rest_port=options.rest_port,
                controlled_clock=options.demo,
                data_dir=self.engine_dir,
                settings=options.engine_settings,
            )
        except DurableError as exc:
            raise StartError(f"Mesin proses tidak dapat dijalankan: {exc}") from None
        self.mail = LocalSmtpServer(
            MailFolder(settings.data_dir / MAIL_DIR_NAME), host=SMTP_HOST, port=options.smtp_port
        )
        self.services: Services | None = None
        self.channel: grpc.aio.Channel | None = None
        self.worker: ZeebeWorker | None = None
        self.work: asyncio.Task[None] | None = None
        self.deployed: list[tuple[str, str, int]] = []  # (kind, id, version)
        self._stopper: asyncio.Task[None] | None = None
        self._engine_started = False
        self.webapp: WebApp | None = None
        self.site: RunningSite | None = None
        self.web_url = ""

    @property
    def zeebe_address(self) -> str:
        """Where this machine's clients reach the gateway."""
        return f"{_client_host(self.options.host)}:{self.engine.server.ports.grpc}"

    @property
    def rest_url(self) -> str:
        """The REST API's base URL (without `/v2`)."""
        return f"http://{_client_host(self.options.host)}:{self.engine.server.ports.rest}"

    @property
    def own_zeebe(self) -> ZeebeSettings:
        """How this process's own clients (the workers, the web application, the demo) reach its engine: plain text
        on this machine, with the engine's own credentials (basic authentication) when it asks for them."""
        login = own_login(self.options.engine_settings.credentials)
        username, password = login if login is not None else (None, None)
        return ZeebeSettings(address=self.zeebe_address, username=username, password=password)

    @property
    def authorization(self) -> str | None:
        """The `Authorization` value this process's own REST clients send to its engine (None: it asks for none)."""
        return self.own_zeebe.basic_authorization

    def own_channel(self) -> grpc.aio.Channel:
        """A gRPC channel to this process's own engine."""
        return create_channel(self.own_zeebe)

    async def start(self) -> None:
        """Start everything in order; on failure stop what started and raise `StartError`."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        try:
            await self.engine.server.start()
        except OSError as exc:
            raise StartError(f"Mesin proses tidak dapat dijalankan: {listen_problem(exc)}") from None
        self._engine_started = True
        self.deploy(self.options.bpmn_dir)
        try:
            await self.mail.start()
        except OSError as exc:
            raise StartError(f"Server surel lokal tidak dapat dijalankan di {self.mail.address}: {exc}") from None
        web_socket = self._bind_web()
        self.web_url = f"http://{_url_host(_client_host(self.options.host))}:{web_socket.getsockname()[1]}"
        follows = not self.environ.get("APP_URL", "").strip()
        self.settings = replace(
            self.settings,
            zeebe=self.own_zeebe,
            smtp=replace(self.settings.smtp, host=SMTP_HOST, port=self.mail.port),
            app_url=self.web_url if follows else self.settings.app_url,
        )
        clock: Callable[[], datetime] | None = self.engine.engine.now if self.options.demo else None
        try:
            self.services = await asyncio.to_thread(Services.from_settings, self.settings, clock=clock)
        except WorkersError as exc:
            raise StartError(f"Pekerja tidak dapat dijalankan: {exc}") from None
        except Exception as exc:  # the database driver's own errors
            raise StartError(
                f"Basis data aplikasi ({self.settings.database_url_for_display}) tidak dapat dibuka: "
                f"{redact_text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}"
            ) from None
        await self._start_web(web_socket)
        self.channel = self.own_channel()
        self.start_workers()

    def _bind_web(self) -> socket.socket:
        """The web application's listening socket, bound now so that its address (a free port too) is known before
        the workers build their first link."""
        host, port = self.options.host, self.options.web_port
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )[0]
            sock = socket.socket(family, kind, proto)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
        except OSError as exc:
            raise StartError(f"Aplikasi web tidak dapat mendengarkan di {host}:{port}: {exc.strerror or exc}") from None
        return sock

    async def _start_web(self, sock: socket.socket) -> None:
        """Serve the web application on `sock`, sharing the workers' store, document store and provisioning."""
        assert self.services is not None
        commands = CommandSettings(app=self.settings, rest=RestSettings(address=self.rest_url))
        try:
            settings = WebSettings.around(commands, self.environ, host=self.options.host, port=sock.getsockname()[1])
        except SettingsError as exc:
            sock.close()
            raise StartError(f"Aplikasi web tidak dapat dijalankan: {exc}") from None
        services = self.services
        self.webapp = WebApp(
            settings=settings,
            store=services.store,
            documents=services.documents,
            provisioning=services.provisioning,
            rest=CamundaRest(commands),
            gateway=Gateway(self.settings.zeebe),
        )
        self.site = await start_site(self.webapp, self.options.host, settings.port, sock=sock)

    def deploy(self, bpmn_dir: Path) -> None:
        """Deploy every diagram and form under `bpmn_dir`."""
        if not bpmn_dir.is_dir():
            raise StartError(f"Folder diagram {bpmn_dir} tidak ditemukan; sebutkan foldernya dengan --bpmn.")
        if not any(p.suffix == ".bpmn" for p in bpmn_dir.rglob("*")):
            raise StartError(f"Folder {bpmn_dir} tidak memuat diagram .bpmn.")
        try:
            deployment = self.engine.deploy(bpmn_dir)
        except EngineError as exc:
            raise StartError(f"Diagram di {bpmn_dir} tidak dapat dipasang: {exc}") from None
        self.deployed = [(r.kind, r.id, r.version) for r in deployment.resources]

    def start_workers(self) -> None:
        """Start (or start again) one worker for every task type."""
        assert self.channel is not None and self.services is not None
        self.worker = create_worker(self.channel, self.services)
        self.work = asyncio.create_task(self.worker.work(), name="pbj-pekerja")

    async def stop_workers(self) -> bool:
        """Take no new job, let the running ones finish; False when `force()` cut that short or the worker failed."""
        work, worker = self.work, self.worker
        if work is None or worker is None:
            return True
        self._stopper = asyncio.create_task(worker.stop(), name="pbj-pekerja-berhenti")
        drained = True
        for task in (self._stopper, work):
            try:
                await task
            except asyncio.CancelledError:
                drained = False
            except Exception:
                log.exception("Pekerja berhenti karena kesalahan")
                drained = False
        self.work = self.worker = self._stopper = None
        return drained

    def force(self) -> None:
        """Stop the workers at once (the second signal): unfinished jobs are handed out again by the engine."""
        for task in (self._stopper, self.work):
            if task is not None:
                task.cancel()

    async def stop(self) -> bool:
        """Workers first (they need the engine and the mail server to finish), then the engine, then the mail server;
        whether the workers drained. The web application stops first: it takes no new page while the rest stops."""
        if self.site is not None:
            await self.site.stop()
            self.site = None
        if self.webapp is not None:
            await self.webapp.aclose()
            self.webapp = None
        drained = await self.stop_workers()
        if self.channel is not None:
            await self.channel.close(grace=None)
            self.channel = None
        if self.services is not None:
            await self.services.aclose()
            self.services = None
        if self._engine_started:
            await self.engine.server.stop(grace=1.0)
            self._engine_started = False
        self.engine.close()
        await self.mail.stop()
        return drained


# --- what the operator reads ---------------------------------------------------------------------------------------


def ready_text(stack: LocalStack) -> str:
    """Where everything is and what to do next."""
    settings = stack.settings
    mail_dir = stack.mail.folder.root
    processes = ", ".join(f"{i} (versi {v})" for kind, i, v in stack.deployed if kind == "process")
    forms = ", ".join(i for kind, i, _ in stack.deployed if kind == "form") or "–"
    database = settings.database_url_for_display
    sqlite = database.startswith("sqlite")
    store = f"berkas SQLite {database.removeprefix('sqlite:///')}" if sqlite else database
    rest = f"{stack.rest_url}/v2"
    demo = stack.options.demo
    lines = [
        "PBJ berjalan di mesin ini" + (" (demo, data fiktif)." if demo else "."),
        "",
        f"  Aplikasi web                     {stack.web_url}/ (tautan e-mail: {settings.app_url})",
        f"  Mesin proses (kompatibel Zeebe)  gRPC {stack.zeebe_address}, REST API {rest}, "
        f"{access_line(stack.options.engine_settings.credentials, stack.options.host)}",
        f"  Diagram terpasang                {processes}; formulir: {forms}",
        f"  Pekerja tugas layanan            berjalan, {len(stack.worker.tasks) if stack.worker else 0} tipe tugas",
        f"  Server surel lokal (SMTP)        {stack.mail.address} – surel disimpan, tidak ada yang dikirim keluar",
        f"  Folder surel                     {mail_dir} (daftar surel: {mail_dir / INDEX_NAME})",
        f"  Direktori data                   {settings.data_dir} (dokumen/, arsip/, surat/, mesin/)",
        f"  Basis data aplikasi              {store}",
        f"  Status mesin proses              {stack.engine_dir}",
        "",
        "Status proses (diagram terpasang, instance yang berjalan, tugas, timer, pesan, insiden) disimpan di folder",
        "status mesin proses sebelum setiap perintah dijawab, sehingga tidak hilang saat pbj up dihentikan atau mati",
        "mendadak. Setelah pbj up dijalankan lagi, proses dilanjutkan dari keadaan terakhir; diagram yang tidak",
        "berubah tidak dipasang sebagai versi baru. Data aplikasi (permohonan, dokumen, akun, catatan surel, arsip)",
        "tersimpan di basis data aplikasi."
        + (" Data demo ini dihapus saat pbj up --demo dijalankan lagi." if demo else ""),
        "",
        "Langkah berikutnya:",
        *(
            f"  {step}"
            for step in next_steps(program(), rest, mail_index=mail_dir / INDEX_NAME, demo=demo, web_url=stack.web_url)
        ),
        *modeler_lines(stack),
        "",
        "Tekan Ctrl-C untuk menghentikan semuanya.",
    ]
    return "\n".join(lines)


def modeler_lines(stack: LocalStack) -> list[str]:
    """How to connect Camunda Modeler to this engine and start an instance from it (docs/panduan/pemilik-proses.md)."""
    credentials = stack.options.engine_settings.credentials
    if credentials.users:
        auth = "Authentication: Basic, dengan PBJ_ENGINE_USERNAME dan PBJ_ENGINE_PASSWORD"
    elif credentials.clients:
        auth = (
            "Authentication: OAuth, client ID/secret PBJ_ENGINE_CLIENT_ID/SECRET, "
            f"OAuth URL {stack.rest_url}/oauth/token"
        )
    else:
        auth = "Authentication: None"
    return [
        "  Camunda Modeler (5.39 atau lebih baru): Deploy (ikon roket) → Camunda 8 Self-Managed,",
        f"    Cluster endpoint {stack.rest_url}/v2 (REST; alternatif gRPC: grpc://{stack.zeebe_address}), {auth};",
        "    lalu Start instance (ikon ▶) untuk menjalankan proses. Panduan: docs/panduan/pemilik-proses.md",
    ]


def next_steps(pbj: str, rest: str, *, mail_index: Path, demo: bool, web_url: str = "") -> list[str]:
    """The banner's next steps: commands that run as written (`pbj` is the program as this process was started, on a
    fresh clone `.venv/bin/pbj`; `tests/deploy/test_commands_as_written.py` checks each against the parser)."""
    steps = [f"{pbj + ' --help':<32}daftar perintah operator"]
    if web_url:
        steps.append(f"Buka {web_url}/ di peramban: permohonan Kepala LPSE, pendaftaran PPBJ, masuk petugas")
        steps.append(
            f"{pbj} pengguna buat sri.admin --nama 'Sri Rahayu' --peran admin-ppe    akun petugas untuk {web_url}/masuk"
        )
    if not demo:
        steps.append(f"{pbj + ' up --demo':<32}skenario contoh kedua SOP dengan jam dipercepat (data fiktif)")
    return [
        *steps,
        f"curl -s -X POST {rest}/process-definitions/search -H 'Content-Type: application/json' -d '{{}}'",
        f"curl -s -X POST {rest}/user-tasks/search -H 'Content-Type: application/json' -d '{{}}'",
        f"cat {mail_index}",
    ]


def say(text: str = "") -> None:
    """One message for the operator on standard output, at once."""
    print(text, flush=True)


# --- the command ---------------------------------------------------------------------------------------------------


class _Signals:
    """SIGINT and SIGTERM: the first asks for a clean stop, the second calls `on_second`."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.on_second: Callable[[], None] = lambda: None
        self._count = 0
        self._loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._loop.add_signal_handler(signum, self._received)

    def _received(self) -> None:
        self._count += 1
        if self._count == 1:
            self.stop.set()
        else:
            self.on_second()

    def close(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._loop.remove_signal_handler(signum)


async def up(options: UpOptions, environ: Mapping[str, str] | None = None) -> int:
    """Run `pbj up` until a signal (or the end of the demo); the exit code."""
    signals = _Signals()
    try:
        return await _up(options, os.environ if environ is None else environ, signals)
    finally:
        signals.close()


async def _up(options: UpOptions, environ: Mapping[str, str], signals: _Signals) -> int:
    try:
        settings = read_settings(options, environ)
    except SettingsError as exc:
        print(f"pbj up tidak dapat dijalankan: {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_SETTINGS
    problem = port_problem(options)
    if problem is not None:
        print(f"pbj up tidak dapat dijalankan: {problem} Tidak ada yang dijalankan.", file=sys.stderr, flush=True)
        return EXIT_FAILED
    configure_logging(settings.log_level, settings.log_format)
    try:
        if options.demo:
            prepare_demo_dir(settings.data_dir)
        stack = LocalStack(options, settings, environ)
        await stack.start()
    except StartError as exc:
        print(f"pbj up tidak dapat dijalankan: {exc} Tidak ada yang dibiarkan berjalan.", file=sys.stderr, flush=True)
        return EXIT_FAILED
    signals.on_second = stack.force
    code = EXIT_OK
    try:
        if options.demo:
            code = await _run_demo(stack, signals)
            if code == EXIT_OK and options.stay and not signals.stop.is_set():
                say()
                say(ready_text(stack))
                code = await _serve(stack, signals)
        else:
            say(ready_text(stack))
            code = await _serve(stack, signals)
    finally:
        say("Menghentikan pbj up: pekerja menyelesaikan tugas yang berjalan, lalu semua layanan berhenti.")
        drained = await stack.stop()
    if not drained:
        say("Pekerja dihentikan sebelum semua tugas selesai; tugas itu akan diserahkan ulang oleh mesin proses.")
        return EXIT_FAILED
    say("Semua layanan dihentikan.")
    return code


async def _serve(stack: LocalStack, signals: _Signals) -> int:
    """Wait for a signal; exit 1 if the workers end by themselves meanwhile."""
    assert stack.work is not None
    stop = asyncio.create_task(signals.stop.wait())
    done, _ = await asyncio.wait({stop, stack.work}, return_when=asyncio.FIRST_COMPLETED)
    if stop in done:
        return EXIT_OK
    stop.cancel()
    print("Pekerja berhenti dengan sendirinya; pbj up dihentikan.", file=sys.stderr, flush=True)
    return EXIT_FAILED


async def _run_demo(stack: LocalStack, signals: _Signals) -> int:
    """The scripted scenario; a signal cuts it short (exit 0, as any stop asked for)."""
    from pbj.demo import DemoError, run_demo

    demo = asyncio.create_task(run_demo(stack, say))
    stop = asyncio.create_task(signals.stop.wait())
    done, _ = await asyncio.wait({demo, stop}, return_when=asyncio.FIRST_COMPLETED)
    if demo not in done:
        demo.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await demo
        say("Demo dihentikan sebelum selesai.")
        return EXIT_OK
    stop.cancel()
    try:
        demo.result()
    except DemoError as exc:
        print(f"Demo gagal: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    return EXIT_OK
