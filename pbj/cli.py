"""`pbj` subcommands. Operators read these messages, so they are in formal Indonesian."""

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.auth import CredentialsError
from engine.clock import Clock
from engine.durable import DurableEngine, DurableError, SyncMode, open_durable_engine
from engine.durable.engine import DEFAULT_SNAPSHOT_EVERY
from engine.engine import Engine
from engine.rest import RestSettings
from engine.server import EngineServer
from pbj import commands, deploy, engine_transfer, pengguna, up
from pbj.access import OPEN_FLAG, access_line, exposure, listen_problem
from pbj.up import ENGINE_DIR_NAME
from workers.settings import DEFAULT_DATA_DIR


def _engine_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser(
        "engine",
        help="menjalankan mesin proses tertanam (kompatibel Zeebe)",
        description="Menjalankan mesin proses tertanam yang melayani protokol gRPC gateway Zeebe "
        "dan REST API /v2 untuk tugas pengguna.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="alamat yang didengarkan (bawaan: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=26500, help="port gRPC gateway Zeebe (bawaan: 26500)")
    parser.add_argument("--rest-port", type=int, default=8080, help="port REST API /v2 (bawaan: 8080)")
    parser.add_argument(
        OPEN_FLAG,
        dest="allow_open",
        action="store_true",
        help="izinkan mendengarkan di luar 127.0.0.1 tanpa kredensial (berbahaya; lihat PBJ_ENGINE_USERNAME)",
    )
    parser.add_argument(
        "--controlled-clock",
        action="store_true",
        help="jam mesin dapat dikendalikan (hanya untuk pengujian)",
    )
    storage = parser.add_mutually_exclusive_group()
    storage.add_argument(
        "--data-dir",
        type=Path,
        help="direktori tempat status mesin disimpan (bawaan: <PBJ_DATA_DIR>/mesin, yaitu .data/mesin)",
    )
    storage.add_argument(
        "--in-memory",
        action="store_true",
        help="status hanya disimpan di memori dan hilang saat mesin berhenti (untuk pengujian)",
    )
    parser.add_argument(
        "--sync",
        choices=[mode.value for mode in SyncMode],
        default=SyncMode.NORMAL.value,
        help="normal: setiap perintah tersimpan sebelum dijawab dan bertahan bila proses mesin mati mendadak; "
        "full: juga bertahan bila listrik padam, tetapi lebih lambat (bawaan: normal)",
    )
    parser.add_argument(
        "--snapshot-every",
        type=int,
        default=DEFAULT_SNAPSHOT_EVERY,
        metavar="N",
        help=f"simpan snapshot status setiap N perintah (bawaan: {DEFAULT_SNAPSHOT_EVERY})",
    )
    transfer = parser.add_mutually_exclusive_group()
    transfer.add_argument(
        "--ekspor",
        type=Path,
        metavar="BERKAS",
        help="tulis status mesin dari direktori data (mesinnya harus berhenti; direktori hanya dibaca) ke BERKAS "
        "baru berformat JSON, lalu selesai tanpa menjalankan mesin",
    )
    transfer.add_argument(
        "--impor",
        type=Path,
        metavar="BERKAS",
        help="buat direktori data baru (kosong atau belum ada) dari BERKAS hasil --ekspor, lalu selesai tanpa "
        "menjalankan mesin",
    )


@dataclass(frozen=True)
class EngineOptions:
    """`pbj engine`'s options."""

    host: str = "127.0.0.1"
    port: int = 26500
    rest_port: int = 8080
    controlled_clock: bool = False
    data_dir: Path | None = None  # None: in memory
    sync: SyncMode = SyncMode.NORMAL
    snapshot_every: int = DEFAULT_SNAPSHOT_EVERY
    settings: RestSettings = field(default_factory=RestSettings)  # credentials, CORS, host names
    allow_open: bool = False  # beyond loopback without credentials (--tanpa-autentikasi)


def default_engine_data_dir(environ: Mapping[str, str]) -> Path:
    """`<PBJ_DATA_DIR>/mesin`: the engine's state next to the application's data."""
    return Path(environ.get("PBJ_DATA_DIR") or DEFAULT_DATA_DIR).expanduser().resolve() / ENGINE_DIR_NAME


async def run_engine(options: EngineOptions) -> int:
    access = exposure(options.host, options.settings.credentials, allow_open=options.allow_open)
    if access.refusal:
        print(access.refusal, file=sys.stderr)
        return 2
    if access.warning:
        print(access.warning, file=sys.stderr, flush=True)
    engine: Engine
    if options.data_dir is None:
        engine = Engine(clock=Clock(controlled=options.controlled_clock))
        where = "status disimpan di memori dan hilang saat mesin berhenti"
    else:
        try:
            engine = open_durable_engine(
                options.data_dir,
                controlled_clock=options.controlled_clock,
                sync=options.sync,
                snapshot_every=options.snapshot_every,
            )
        except DurableError as exc:
            print(f"Mesin proses tidak dapat dijalankan: {exc}", file=sys.stderr)
            return 1
        where = f"status disimpan di {options.data_dir} dan dilanjutkan saat mesin dijalankan lagi"
    server = EngineServer(
        engine, host=options.host, port=options.port, rest_port=options.rest_port, settings=options.settings
    )
    try:
        await server.start()
    except OSError as exc:
        _close(engine)
        print(f"Mesin proses tidak dapat dijalankan: {listen_problem(exc)}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(
        f"Mesin proses siap: gRPC Zeebe di {server.address}, REST API di {server.rest_url}/v2 ({where}); "
        f"{access_line(options.settings.credentials, options.host)}.",
        flush=True,
    )
    await stop.wait()
    await server.stop()
    _close(engine)
    print("Mesin proses dihentikan.", flush=True)
    return 0


def _close(engine: Engine) -> None:
    if isinstance(engine, DurableEngine):
        engine.close()


def _workers_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sub.add_parser(
        "workers",
        help="menjalankan pekerja tugas layanan (job worker) kedua SOP",
        description="Menjalankan pekerja tugas layanan untuk semua tipe tugas pada diagram di bpmn/. "
        "Pengaturan dibaca dari variabel lingkungan (lihat .env.example); SIGTERM atau Ctrl-C menghentikan "
        "pengambilan tugas baru dan menunggu tugas yang sedang berjalan selesai.",
    )


def _web_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sub.add_parser(
        "web",
        help="menjalankan aplikasi web para pelaku SOP (pemohon dan petugas)",
        description="Menjalankan aplikasi web di WEB_HOST:WEB_PORT (bawaan 127.0.0.1:8000). Pengaturan dibaca dari "
        "variabel lingkungan seperti pekerja (lihat .env.example): ZEEBE_ADDRESS, CAMUNDA_REST_ADDRESS, DATABASE_URL, "
        "APP_URL, WEB_SECRET_KEY. SIGTERM atau Ctrl-C menghentikannya.",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line of `pbj`: every subcommand and its options."""
    parser = argparse.ArgumentParser(prog="pbj", description="Proses SOP akun e-procurement (Camunda 8 / Zeebe).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")
    up.add_parser(sub)
    _engine_parser(sub)
    _workers_parser(sub)
    _web_parser(sub)
    pengguna.add_parser(sub)
    deploy.add_parser(sub)
    commands.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "up":
        return up.run(args)
    if args.command == "engine":
        if args.snapshot_every < 1:
            parser.error("--snapshot-every harus 1 atau lebih")
        data_dir = None if args.in_memory else (args.data_dir or default_engine_data_dir(os.environ))
        if args.ekspor is not None or args.impor is not None:
            if data_dir is None:
                parser.error("--ekspor dan --impor memerlukan direktori data (--data-dir), bukan --in-memory")
            if args.ekspor is not None:
                return engine_transfer.run_export(data_dir, args.ekspor)
            return engine_transfer.run_import(args.impor, data_dir)
        try:
            settings = RestSettings.from_environment(os.environ)
        except CredentialsError as exc:
            print(f"Pengaturan mesin proses tidak lengkap: {exc}", file=sys.stderr)
            return 2
        options = EngineOptions(
            args.host,
            args.port,
            args.rest_port,
            args.controlled_clock,
            data_dir,
            SyncMode(args.sync),
            args.snapshot_every,
            settings,
            args.allow_open,
        )
        return asyncio.run(run_engine(options))
    if args.command == "workers":
        from workers.__main__ import run as run_workers

        return run_workers()
    if args.command == "web":
        from web.server import run as run_web

        return run_web()
    if args.command == "pengguna":
        return pengguna.run(args)
    if args.command == "deploy":
        return deploy.run(args.paths, timeout=args.timeout)
    if args.command in commands.COMMANDS:
        return commands.run(args)
    parser.error(f"perintah tidak dikenal: {args.command}")
    return 2
