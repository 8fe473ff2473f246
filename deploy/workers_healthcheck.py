"""Health check of the workers' container (the Dockerfile's HEALTHCHECK): exit 0 when healthy, else 1 with reasons.

Healthy means the data directory (`PBJ_DATA_DIR`: documents and archives) is a writable directory, and the Zeebe
gateway (`ZEEBE_ADDRESS`) and, for PostgreSQL, the database server (`DATABASE_URL`) accept TCP connections. The
worker process itself is the container's main process: when it ends, the container stops. Only the standard
library, so the check starts fast and does not depend on the workers' own imports; it uses no credentials and
prints no URL. The messages are for operators (`docker inspect`), so they are in Indonesian.
"""

import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_ZEEBE_ADDRESS = "localhost:26500"
DEFAULT_DATA_DIR = ".data"
POSTGRES_PORT = 5432
TIMEOUT_SECONDS = 3.0
_DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443, "dns": 443}


def zeebe_endpoint(address: str) -> tuple[str, int]:
    """Host and port of a Zeebe gateway address: `host:port`, `[::1]:26500` or a URL such as `https://host:443`."""
    if "://" in address:
        parts = urlsplit(address)
        if not parts.hostname:
            raise ValueError(address)
        return parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme, 443)
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise ValueError(address)
    return host, int(port)


def database_endpoint(url: str) -> tuple[str, int] | None:
    """Host and port of a PostgreSQL URL; None for SQLite (a file in the data directory) and an empty URL."""
    scheme = url.partition("://")[0].lower()
    if not url or scheme.startswith("sqlite"):
        return None
    if not scheme.startswith("postgres"):
        raise ValueError(scheme)
    parts = urlsplit(url)
    return parts.hostname or "localhost", parts.port or POSTGRES_PORT


def unreachable(host: str, port: int, timeout: float = TIMEOUT_SECONDS) -> str | None:
    """None when `host:port` accepts a TCP connection within `timeout`, else the reason."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def problems(environ: Mapping[str, str]) -> list[str]:
    """Every reason the workers are not healthy, empty when they are."""
    found: list[str] = []
    data_dir = Path(environ.get("PBJ_DATA_DIR") or DEFAULT_DATA_DIR)
    if not data_dir.is_dir():
        found.append(f"direktori data {data_dir} tidak ada")
    elif not os.access(data_dir, os.W_OK | os.X_OK):
        found.append(f"direktori data {data_dir} tidak dapat ditulisi")

    address = environ.get("ZEEBE_ADDRESS") or DEFAULT_ZEEBE_ADDRESS
    try:
        host, port = zeebe_endpoint(address)
    except ValueError:
        found.append(f"ZEEBE_ADDRESS {address!r} bukan alamat host:port")
    else:
        if reason := unreachable(host, port):
            found.append(f"gateway Zeebe {host}:{port} tidak dapat dihubungi ({reason})")

    try:
        database = database_endpoint(environ.get("DATABASE_URL", "").strip())
    except ValueError as exc:
        found.append(f"DATABASE_URL memakai basis data {exc} yang tidak dikenal")
    else:
        if database and (reason := unreachable(*database)):
            found.append(f"server basis data {database[0]}:{database[1]} tidak dapat dihubungi ({reason})")
    return found


def main(environ: Mapping[str, str] | None = None) -> int:
    """Print the verdict and return the exit code (0 healthy, 1 not)."""
    found = problems(os.environ if environ is None else environ)
    if found:
        print("Worker tidak sehat: " + "; ".join(found) + ".", file=sys.stderr)
        return 1
    print("Worker sehat.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
