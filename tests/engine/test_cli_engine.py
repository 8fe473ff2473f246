"""`pbj engine` as an operator runs it: a real subprocess on free ports, stopped by a signal."""

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyzeebe.proto import gateway_pb2, gateway_pb2_grpc


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT_TAKEN = "sedang dipakai program lain"


async def _start_engine(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pbj", "engine", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )


@pytest.fixture(params=["durable", "in-memory"])
async def engine_process(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, int, str]]:
    storage = ["--in-memory"] if request.param == "in-memory" else ["--data-dir", str(tmp_path / "mesin")]
    for _attempt in range(5):  # a free port may be taken by another process between the pick and the engine's bind
        port, rest_port = _free_port(), _free_port()
        proc = await _start_engine("--port", str(port), "--rest-port", str(rest_port), *storage)
        assert proc.stdout is not None and proc.stderr is not None
        ready = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        if ready:
            break
        error = (await asyncio.wait_for(proc.stderr.read(), 30)).decode()
        await proc.wait()
        assert PORT_TAKEN in error, f"pbj engine stopped before it was ready: {error}"
    else:
        pytest.fail("five pairs of free ports were all taken before pbj engine could listen on them")
    yield proc, port, ready
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


async def test_a_port_in_use_stops_the_engine_with_one_indonesian_line() -> None:
    """The gRPC or the REST port taken: exit 1 and a line naming the port and the option that chooses another."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        for args, option in (
            (["--port", str(port), "--rest-port", str(_free_port())], "--port"),
            (["--port", str(_free_port()), "--rest-port", str(port)], "--rest-port"),
        ):
            proc = await _start_engine(*args, "--in-memory")
            _out, err = await asyncio.wait_for(proc.communicate(), 30)
            assert proc.returncode == 1
            message = err.decode().strip().splitlines()[-1]
            assert message.startswith("Mesin proses tidak dapat dijalankan: port ")
            assert f"port {port} di 127.0.0.1" in message and PORT_TAKEN in message and option in message


async def test_engine_prints_one_ready_line_and_serves_gateway_and_health(
    engine_process: tuple[asyncio.subprocess.Process, int, str],
) -> None:
    """The ready line names the gRPC address; Topology and the health service answer on it."""
    _proc, port, ready = engine_process
    assert f"127.0.0.1:{port}" in ready
    assert ready.startswith("Mesin proses siap")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        gateway: Any = gateway_pb2_grpc.GatewayStub(channel)
        topology = await gateway.Topology(gateway_pb2.TopologyRequest())
        assert topology.brokers[0].port == port
        assert topology.partitionsCount == 1
        health_stub: Any = health_pb2_grpc.HealthStub(channel)
        health = await health_stub.Check(health_pb2.HealthCheckRequest(service="gateway_protocol.Gateway"))
        assert health.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_engine_stops_cleanly_on_signal(
    engine_process: tuple[asyncio.subprocess.Process, int, str], signum: signal.Signals
) -> None:
    """SIGTERM and SIGINT stop the engine with exit code 0 and a closing line, no traceback."""
    proc, _, _ = engine_process
    proc.send_signal(signum)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert "Mesin proses dihentikan." in out.decode()
    assert "Traceback" not in err.decode()


async def test_engine_refuses_a_port_in_use() -> None:
    """A second engine on a taken port exits 1 with an Indonesian message instead of a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pbj",
            "engine",
            "--port",
            str(port),
            "--rest-port",
            str(_free_port()),
            "--in-memory",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert "tidak dapat dijalankan" in err.decode()
    assert "Traceback" not in err.decode()
