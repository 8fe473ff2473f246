"""Running the Node clients nobody here wrote (Camunda's JavaScript packages, installed by `make install`) against
an engine: each script prints one JSON line of what it observed. Without node or the package a test fails in CI and
is skipped elsewhere."""

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[3]
RUN_TIMEOUT_SECONDS = 120.0


def node_or_skip(package: str) -> str:
    """The `node` executable, if it and the npm `package` (e.g. "@camunda8/sdk") are installed."""
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not on PATH"
    elif not (ROOT / "node_modules" / package / "package.json").is_file():
        missing = f"{package} is not installed (run `make install`, which runs `npm ci`)"
    if missing is None and node is not None:
        return node
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"the JavaScript client test needs node and {package} in CI: {missing}")
    pytest.skip(f"JavaScript client not available here: {missing}")


async def run_node(node: str, script: Path, *args: str, env: dict[str, str]) -> dict[str, Any]:
    """Runs `script` with `env` (besides PATH and HOME) and returns the last JSON line it printed."""
    process = await asyncio.create_subprocess_exec(
        node,
        str(script),
        *args,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", str(ROOT)), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the JavaScript client did not finish within {RUN_TIMEOUT_SECONDS} s") from None
    assert process.returncode == 0, f"node exited {process.returncode}: {stderr.decode(errors='replace')}"
    lines = [line for line in stdout.decode().splitlines() if line.startswith("{")]
    assert lines, f"no JSON line from the client; stdout: {stdout.decode()!r}, stderr: {stderr.decode()!r}"
    observed: dict[str, Any] = json.loads(lines[-1])
    return observed
