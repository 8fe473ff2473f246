"""`pbj engine --data-dir` as a real subprocess for the crash-recovery tests: started on fixed ports, killed with
SIGKILL, started again on the same data directory and ports."""

import asyncio
import signal
import socket
import sys
from pathlib import Path

import grpc

READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EngineProcess:
    """One engine subprocess at a time on `data_dir`, `port` and `rest_port`."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.rest_port = free_port()
        self.extra = list(extra)
        self.proc: asyncio.subprocess.Process | None = None
        self.ready_line = ""

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}/v2"

    async def start(self, *extra: str) -> None:
        """Starts the engine and waits for its ready line (recovery happens before it)."""
        assert self.proc is None or self.proc.returncode is not None, "the engine is still running"
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pbj",
            "engine",
            "--port",
            str(self.port),
            "--rest-port",
            str(self.rest_port),
            "--data-dir",
            str(self.data_dir),
            *self.extra,
            *extra,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), READY_TIMEOUT)
        if not line:
            err = await self.proc.stderr.read()
            raise AssertionError(f"the engine did not start: {err.decode()}")
        self.ready_line = line.decode()
        async with grpc.aio.insecure_channel(self.address) as channel:
            await asyncio.wait_for(channel.channel_ready(), READY_TIMEOUT)

    async def kill(self) -> None:
        """SIGKILL: no snapshot, no clean close; only what was committed remains."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        """SIGTERM: a clean stop, as an operator's Ctrl-C."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(self.proc.communicate(), READY_TIMEOUT)
        assert self.proc.returncode == 0, err.decode()

    async def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
