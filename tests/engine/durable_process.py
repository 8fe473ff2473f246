"""`pbj engine --data-dir` as a real subprocess for the crash-recovery tests: started on ports the system picks (port
0: no free port can be taken by another process between a pick and the bind), killed with SIGKILL, started again on
the same data directory; the ports of each run are read from its ready line. A restart keeps the ports only when
asked to (clients that keep their channel across it)."""

import asyncio
import re
import signal
import sys
from pathlib import Path

import grpc

READY_TIMEOUT = 60.0
# the ready line of `pbj engine`: "Mesin proses siap: gRPC Zeebe di 127.0.0.1:PORT, REST API di http://127.0.0.1:PORT/v2"
_READY_PORTS = re.compile(r"gRPC Zeebe di [^\s,]+:(\d+), REST API di http://[^\s/]+:(\d+)/")


def ready_ports(line: str) -> tuple[int, int]:
    """The gRPC and REST ports a `pbj engine` ready line names."""
    found = _READY_PORTS.search(line)
    if found is None:
        raise AssertionError(f"no ports in the engine's ready line: {line!r}")
    return int(found[1]), int(found[2])


class EngineProcess:
    """One engine subprocess at a time on `data_dir`; `port` and `rest_port` are those of the current (or last)
    run."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.data_dir = data_dir
        self.port = 0
        self.rest_port = 0
        self.extra = list(extra)
        self.proc: asyncio.subprocess.Process | None = None
        self.ready_line = ""

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}/v2"

    async def start(self, *extra: str, same_ports: bool = False) -> None:
        """Starts the engine and waits for its ready line (recovery happens before it). `same_ports`: on the ports
        of the previous run, for clients that keep their channel across a restart (another process may have taken
        one meanwhile: then this fails with the engine's message); otherwise on ports the system picks."""
        assert self.proc is None or self.proc.returncode is not None, "the engine is still running"
        ports = (self.port, self.rest_port) if same_ports else (0, 0)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pbj",
            "engine",
            "--port",
            str(ports[0]),
            "--rest-port",
            str(ports[1]),
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
        self.port, self.rest_port = ready_ports(self.ready_line)
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
