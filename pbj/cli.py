"""`pbj` subcommands. Operators read these messages, so they are in formal Indonesian."""

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from engine.clock import Clock
from engine.engine import Engine
from engine.server import EngineServer
from pbj import commands, deploy, up


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
        "--controlled-clock",
        action="store_true",
        help="jam mesin dapat dikendalikan (hanya untuk pengujian)",
    )


async def run_engine(host: str, port: int, rest_port: int, controlled_clock: bool) -> int:
    engine = Engine(clock=Clock(controlled=controlled_clock))
    server = EngineServer(engine, host=host, port=port, rest_port=rest_port)
    try:
        await server.start()
    except OSError as exc:
        print(f"Mesin proses tidak dapat dijalankan: {exc}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(
        f"Mesin proses siap: gRPC Zeebe di {server.address}, REST API di {server.rest_url}/v2 "
        "(status disimpan di memori dan hilang saat mesin berhenti).",
        flush=True,
    )
    await stop.wait()
    await server.stop()
    print("Mesin proses dihentikan.", flush=True)
    return 0


def _workers_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sub.add_parser(
        "workers",
        help="menjalankan pekerja tugas layanan (job worker) kedua SOP",
        description="Menjalankan pekerja tugas layanan untuk semua tipe tugas pada diagram di bpmn/. "
        "Pengaturan dibaca dari variabel lingkungan (lihat .env.example); SIGTERM atau Ctrl-C menghentikan "
        "pengambilan tugas baru dan menunggu tugas yang sedang berjalan selesai.",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pbj", description="Proses SOP akun e-procurement (Camunda 8 / Zeebe).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")
    up.add_parser(sub)
    _engine_parser(sub)
    _workers_parser(sub)
    deploy.add_parser(sub)
    commands.add_parsers(sub)
    args = parser.parse_args(argv)
    if args.command == "up":
        return up.run(args)
    if args.command == "engine":
        return asyncio.run(run_engine(args.host, args.port, args.rest_port, args.controlled_clock))
    if args.command == "workers":
        from workers.__main__ import run as run_workers

        return run_workers()
    if args.command == "deploy":
        return deploy.run(args.paths, timeout=args.timeout)
    if args.command in commands.COMMANDS:
        return commands.run(args)
    parser.error(f"perintah tidak dikenal: {args.command}")
    return 2
