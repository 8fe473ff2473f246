"""Commands for the people in the SOPs, in Indonesian, against any Zeebe (the embedded engine or Camunda 8):

- applicants – `pbj permohonan ajukan|lengkapi` (SOP 1, Kepala LPSE), `pbj ppbj daftar|identitas|penetapan` (SOP 2);
- staff – `pbj tugas daftar|lihat|selesaikan` (Camunda user tasks through `/v2/user-tasks`);
- managers – `pbj status NOMOR`, `pbj terlambat`.

`add_parsers(sub)` adds them to `pbj`'s argument parser and `run(args)` runs the one chosen: the settings are read
from the environment (`settings.py`), the command runs in asyncio, and a `CommandError` becomes one line on stderr
with exit code 1 (2 for a wrong command line or a bad setting). `--json` prints JSON for scripts.
"""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence

from pbj.commands import manajer, pemohon, tugas
from pbj.commands.context import Context
from pbj.commands.errors import EXIT_USAGE, CommandError
from pbj.commands.settings import CommandSettings
from workers.errors import SettingsError, WorkersError

COMMANDS = frozenset({"permohonan", "ppbj", "tugas", "status", "terlambat"})
"""The `pbj` subcommands this package adds."""

Handler = Callable[[Context, argparse.Namespace], Awaitable[int]]


def add_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the commands to `pbj`'s subparsers."""
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="keluaran JSON untuk skrip")
    pemohon.add_parsers(sub, json_flag)
    tugas.add_parsers(sub, json_flag)
    manajer.add_parsers(sub, json_flag)


def run(args: argparse.Namespace) -> int:
    """Run the chosen command; its exit code."""
    try:
        settings = CommandSettings.from_env()
    except SettingsError as exc:
        print(f"Perintah tidak dapat dijalankan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    handler: Handler = args.handler
    try:
        return asyncio.run(_run(handler, settings, args))
    except CommandError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except WorkersError as exc:  # the store or the document storage refused or is unavailable
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Dibatalkan.", file=sys.stderr)
        return 130


async def _run(handler: Handler, settings: CommandSettings, args: argparse.Namespace) -> int:
    context = Context(settings)
    try:
        return await handler(context, args)
    finally:
        await context.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    """Only these commands, as `pbj` would run them (for tests and embedding)."""
    parser = argparse.ArgumentParser(prog="pbj", description="Perintah untuk para pelaku SOP akun e-procurement.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")
    add_parsers(sub)
    return run(parser.parse_args(argv))
