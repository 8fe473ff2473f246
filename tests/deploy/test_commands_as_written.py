"""Every `pbj` command the README, the guides and the `pbj up` banner show runs as written on a fresh clone.

`make install` (and `make run`) make `.venv/` with the `pbj` console script and put nothing on the PATH, so a command
to run is spelled `.venv/bin/pbj …`. A shown command is a line of a fenced code block (backslash continuations joined,
comments dropped, split at `&&`, `||`, `;` and `|`), an inline code span outside such blocks, or a line of the
banner's next steps; each that starts with the program must:
- be spelled `.venv/bin/pbj` when it carries arguments (a bare `pbj deploy` in prose only names a command);
- resolve to a real subcommand with valid options: parsed by `pbj`'s own parser (`pbj.cli.build_parser`), with
  placeholders (`NOMOR`, `…`) as values and, in the README's tables, a synopsis read in its first form (`[--sk F]`
  as `--sk F`, `lengkap\\|belum-lengkap` as `lengkap`).
"""

import contextlib
import io
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from pbj.cli import build_parser
from pbj.invocation import DEFAULT_PROGRAM, command, program
from pbj.up import next_steps

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), ROOT / "templates" / "README.md"])
FENCE = re.compile(r"^(```|~~~)")
SPAN = re.compile(r"`([^`\n]+)`")
PROGRAMS = ("pbj", DEFAULT_PROGRAM)


@dataclass(frozen=True)
class Shown:
    """One command as a page shows it: where, the text, whether it is a synopsis (a table cell)."""

    where: str
    text: str
    synopsis: bool = False


def shown_in(page: Path) -> list[Shown]:
    """The commands of a page that start with the program (in fenced blocks and inline code spans)."""
    found: list[Shown] = []
    fenced = False
    pending = ""
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{page.relative_to(ROOT)}:{number}"
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if fenced:
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            found.extend(Shown(where, part) for part in _segments(pending + line))
            pending = ""
            continue
        for span in SPAN.findall(line):
            found.extend(Shown(where, part, synopsis=line.lstrip().startswith("|")) for part in _segments(span))
    return [shown for shown in found if _program(shown.text) is not None]


def _segments(text: str) -> list[str]:
    try:
        tokens = shlex.split(text.replace("\\|", "\x00"), comments=True)
    except ValueError:
        return []
    segments: list[list[str]] = []
    current: list[str] = []
    for token in tokens:
        if token in ("&&", "||", ";", "|", "&"):
            segments.append(current)
            current = []
        else:
            current.append(token.replace("\x00", "\\|"))
    segments.append(current)
    return [shlex.join(segment) for segment in segments if segment]


def _program(text: str) -> str | None:
    first = text.split(" ", 1)[0]
    return first if first in PROGRAMS else None


def _argv(shown: Shown) -> list[str]:
    """The arguments after the program; a synopsis in its first form."""
    arguments = shlex.split(shown.text)[1:]
    if not shown.synopsis:
        return arguments
    result = []
    for argument in arguments:
        first = argument.split("\\|")[0].replace("[", "").replace("]", "")
        if first:
            result.append(first)
    return result


def _names_a_command(arguments: list[str]) -> bool:
    """Whether the arguments are only a (sub)command path of the parser, e.g. `deploy`, `tugas selesaikan`."""
    parser = build_parser()
    for argument in arguments:
        choices = next(
            (action.choices for action in parser._actions if isinstance(action.choices, dict)),
            None,
        )
        if choices is None or argument not in choices:
            return False
        parser = choices[argument]
    return True


def _parse_error(arguments: list[str]) -> str | None:
    """Why `pbj`'s parser refuses the arguments, or None when it accepts them (`--help` included)."""
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(arguments)
    except SystemExit as exit_:
        return None if exit_.code in (0, None) else errors.getvalue().strip().splitlines()[-1]
    return None


ALL_SHOWN = [shown for page in PAGES for shown in shown_in(page)]


def test_the_pages_show_commands_and_the_program_is_what_make_install_makes() -> None:
    """The scan finds the guides' and the README's commands, and `.venv/bin/pbj` is the console script `make install`
    puts into the Makefile's virtual environment."""
    pages = {shown.where.split(":")[0] for shown in ALL_SHOWN if shown.text.startswith(DEFAULT_PROGRAM)}
    assert {"README.md", "docs/panduan/petugas-admin-ppe.md", "docs/panduan/pimpinan.md"} <= pages
    assert "VENV ?= .venv" in (ROOT / "Makefile").read_text()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["pbj"] == "pbj.cli:main"
    assert DEFAULT_PROGRAM == ".venv/bin/pbj"
    # the checks catch what a reader would stumble on
    assert "invalid choice" in (_parse_error(["statuss", "ADM-2026-000123"]) or "")
    assert "unrecognized arguments" in (_parse_error(["terlambat", "--sop", "ppbj", "--semua"]) or "")
    assert _parse_error(["permohonan", "lengkapi"]) is not None
    assert not _names_a_command(["permohonan", "ajukan", "--lpse"])
    assert _names_a_command(["tugas", "selesaikan"])


@pytest.mark.parametrize("shown", ALL_SHOWN, ids=lambda shown: f"{shown.where} {shown.text[:50]}")
def test_every_command_shown_runs_as_written(shown: Shown) -> None:
    """A command with arguments is spelled `.venv/bin/pbj`; every one resolves to a subcommand with valid options."""
    arguments = _argv(shown)
    if not arguments:
        return  # the program itself, named in prose
    if _program(shown.text) == "pbj":
        assert _names_a_command(arguments), (
            f"{shown.where}: `{shown.text}` is a command to run: write `{DEFAULT_PROGRAM} {shlex.join(arguments)}`"
        )
        return
    error = _parse_error(arguments)
    assert error is None, f"{shown.where}: `{shown.text}`: {error}"


def test_the_banners_next_steps_run_as_written() -> None:
    """`pbj up`'s banner (also with --demo) shows the program as `make run` starts it, with valid commands."""
    for demo in (False, True):
        steps = next_steps(
            DEFAULT_PROGRAM,
            "http://127.0.0.1:8080/v2",
            mail_index=Path(".data/surat/indeks.csv"),
            demo=demo,
            web_url="http://127.0.0.1:8000",
        )
        commands = [step.split("  ")[0] for step in steps if step.startswith(DEFAULT_PROGRAM)]
        assert commands == [
            f"{DEFAULT_PROGRAM} --help",
            f"{DEFAULT_PROGRAM} pengguna buat sri.admin --nama 'Sri Rahayu' --peran admin-ppe",
            *([] if demo else [f"{DEFAULT_PROGRAM} up --demo"]),
        ]
        for line in commands:
            assert _parse_error(shlex.split(line)[1:]) is None, line


def test_hints_name_the_program_the_way_it_was_started(tmp_path: Path) -> None:
    """`make run` starts `.venv/bin/pbj`; a `pbj` on the PATH, a script elsewhere and `python -m pbj` are named as
    started, so a hint printed by a command runs as written in the same directory."""
    assert program(".venv/bin/pbj", cwd=tmp_path) == ".venv/bin/pbj"
    assert program(str(tmp_path / ".venv" / "bin" / "pbj"), cwd=tmp_path) == ".venv/bin/pbj"
    assert program("/opt/pbj env/bin/pbj", cwd=tmp_path) == "'/opt/pbj env/bin/pbj'"
    assert program("pbj", cwd=tmp_path) == "pbj"
    main = str(tmp_path / "pbj" / "__main__.py")
    assert program(main, executable=str(tmp_path / ".venv" / "bin" / "python"), cwd=tmp_path) == (
        ".venv/bin/python -m pbj"
    )
    assert program("/usr/bin/pytest") == DEFAULT_PROGRAM
    assert command("status", "ADM-2026-000123") == f"{program()} status ADM-2026-000123"
