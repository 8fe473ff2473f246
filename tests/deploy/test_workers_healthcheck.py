"""deploy/workers_healthcheck.py, the workers' container health check, run as the image runs it: a script."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "workers_healthcheck.py"


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A loopback port that accepts connections."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port: int = server.getsockname()[1]
    return port


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the script with exactly `env` (plus PATH) as the container would."""
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_healthy_when_gateway_database_and_data_directory_are_there(tmp_path: Path, listening_port: int) -> None:
    """Exit 0 when Zeebe and PostgreSQL accept connections and the data directory is writable."""
    result = run(
        {
            "PBJ_DATA_DIR": str(tmp_path),
            "ZEEBE_ADDRESS": f"127.0.0.1:{listening_port}",
            "DATABASE_URL": f"postgresql+psycopg://pbj:rahasia@127.0.0.1:{listening_port}/pbj",
        }
    )
    assert (result.returncode, result.stdout.strip()) == (0, "Worker sehat.")


def test_sqlite_needs_only_the_data_directory(tmp_path: Path, listening_port: int) -> None:
    """With SQLite (or no DATABASE_URL) no database server is contacted."""
    for url in ("", f"sqlite:///{tmp_path}/pbj.sqlite3"):
        env = {"PBJ_DATA_DIR": str(tmp_path), "ZEEBE_ADDRESS": f"localhost:{listening_port}", "DATABASE_URL": url}
        result = run(env)
        assert result.returncode == 0, result.stderr


def test_unhealthy_when_the_gateway_is_down(tmp_path: Path, closed_port: int) -> None:
    """Exit 1 naming the Zeebe gateway when nothing listens at ZEEBE_ADDRESS."""
    result = run({"PBJ_DATA_DIR": str(tmp_path), "ZEEBE_ADDRESS": f"http://127.0.0.1:{closed_port}"})
    assert result.returncode == 1
    assert f"gateway Zeebe 127.0.0.1:{closed_port} tidak dapat dihubungi" in result.stderr


def test_unhealthy_when_the_database_is_down_and_the_password_is_not_printed(
    tmp_path: Path, listening_port: int, closed_port: int
) -> None:
    """Exit 1 naming the database host and port, never the URL with its password."""
    url = f"postgresql://pbj:sangat-rahasia@127.0.0.1:{closed_port}/pbj"
    result = run({"PBJ_DATA_DIR": str(tmp_path), "ZEEBE_ADDRESS": f"127.0.0.1:{listening_port}", "DATABASE_URL": url})
    assert result.returncode == 1
    assert f"server basis data 127.0.0.1:{closed_port}" in result.stderr
    assert "sangat-rahasia" not in result.stderr + result.stdout


def test_unhealthy_without_a_data_directory_or_with_a_bad_setting(tmp_path: Path, listening_port: int) -> None:
    """A missing data directory, a malformed address and an unknown database are each reported."""
    result = run(
        {"PBJ_DATA_DIR": str(tmp_path / "hilang"), "ZEEBE_ADDRESS": "tanpa-port", "DATABASE_URL": "mysql://db/pbj"}
    )
    assert result.returncode == 1
    assert "direktori data" in result.stderr
    assert "ZEEBE_ADDRESS 'tanpa-port' bukan alamat host:port" in result.stderr
    assert "basis data mysql yang tidak dikenal" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to any directory")
def test_unhealthy_when_the_data_directory_is_read_only(tmp_path: Path, listening_port: int) -> None:
    """A data directory the worker cannot write to makes it unhealthy."""
    tmp_path.chmod(0o555)
    try:
        result = run({"PBJ_DATA_DIR": str(tmp_path), "ZEEBE_ADDRESS": f"127.0.0.1:{listening_port}"})
    finally:
        tmp_path.chmod(0o755)
    assert result.returncode == 1
    assert "tidak dapat ditulisi" in result.stderr
