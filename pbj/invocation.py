"""How the operator runs `pbj`, for every command a message, the `pbj up` banner or a guide shows.

On a clone set up with `make install` or `make run`, the program is `.venv/bin/pbj` in the repository: nothing is
put on the PATH and no virtual environment needs activating, so the guides and the README write every command
that way (`tests/deploy/test_commands_as_written.py` checks each one against the real parser). A process started
another way names itself as it was started – `pbj` found on the PATH, a path to the script, `python -m pbj` – so a
command it prints runs as written in the same working directory.
"""

import os
import shlex
import sys
from pathlib import Path

DEFAULT_PROGRAM = ".venv/bin/pbj"
"""The program as a fresh clone has it after `make install`, run from the repository's root."""


def program(argv0: str | None = None, executable: str | None = None, cwd: Path | None = None) -> str:
    """How to run `pbj` again, the way this process was started (`sys.argv[0]`, `sys.executable`)."""
    started_as = sys.argv[0] if argv0 is None else argv0
    path = Path(started_as)
    if path.name == "__main__.py" and path.parent.name == "pbj":
        return f"{_shown(Path(sys.executable if executable is None else executable), cwd)} -m pbj"
    if path.name != "pbj":
        return DEFAULT_PROGRAM  # run in-process by something else (a test, the demo)
    if "/" not in started_as:
        return "pbj"  # found on the PATH
    return _shown(path, cwd)


def command(*arguments: str) -> str:
    """A whole command line: `.venv/bin/pbj status ADM-2026-000123`."""
    return " ".join([program(), *(shlex.quote(argument) for argument in arguments)])


def _shown(path: Path, cwd: Path | None) -> str:
    """A path as the operator types it in the working directory: relative below it, else absolute (symbolic links
    are kept: `.venv/bin/python` must stay the environment's interpreter, not the one it links to)."""
    if not path.is_absolute():
        return shlex.quote(str(path))
    base = os.path.abspath(Path.cwd() if cwd is None else cwd)
    shown = os.path.normpath(path)
    if os.path.commonpath([base, shown]) == base:
        shown = os.path.relpath(shown, base)
    return shlex.quote(shown)
