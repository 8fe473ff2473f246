"""Runs a workload on the engine as it was at an earlier commit and keeps the data directory it wrote: how the
upgrade tests' fixtures are made (make_v1_fixture.py, make_events_v1_fixture.py).

The commit is checked out with `git worktree` into a temporary directory, its FEEL bundle built from that commit's
engine/feel/entry.js with this checkout's node_modules, and the workload (Python source; its first argument is the
data directory) run there in a subprocess. The old code is run from git, never copied into the repository."""

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def write_fixture(release: str, workload: str, target: Path, args: Sequence[str] = ()) -> None:
    """Replaces `target` with the engine database the workload left, run by the engine at `release` (`args` follow
    the data directory on the workload's command line)."""
    with tempfile.TemporaryDirectory(prefix="pbj-fixture-") as scratch:
        checkout = Path(scratch) / "checkout"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(checkout), release], check=True)
        try:
            bundle = checkout / "engine" / "feel" / "dist" / "feelin.js"
            bundle.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    str(ROOT / "node_modules" / ".bin" / "esbuild"),
                    str(checkout / "engine" / "feel" / "entry.js"),
                    "--bundle",
                    "--format=iife",
                    "--platform=neutral",
                    "--target=es2020",
                    "--log-level=warning",
                    f"--outfile={bundle}",
                ],
                check=True,
                cwd=ROOT,  # esbuild resolves feelin from this checkout's node_modules
                env={"NODE_PATH": str(ROOT / "node_modules"), "PATH": "/usr/bin:/bin"},
            )
            data_dir = Path(scratch) / "data"
            subprocess.run(
                [sys.executable, "-c", workload, str(data_dir), *args],
                check=True,
                cwd=checkout,
                env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"},
            )
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            shutil.copy2(data_dir / "engine.sqlite3", target / "engine.sqlite3")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(checkout)], check=True)
    print(f"fixture written to {target}")
