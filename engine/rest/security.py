"""The REST API's front door (an aiohttp middleware in engine/rest/app.py), besides authentication
(engine/auth.py):
- `Host` must name an address the engine serves (DNS rebinding: a web page on another name cannot reach it);
- a state-changing request (POST, PUT, PATCH, DELETE) must be JSON or multipart (a web page's form or text/plain
  request, which a browser sends without asking the server first, is refused: 415);
- CORS is closed unless origins are configured: a cross-origin preflight is refused, and a request carrying an
  `Origin` not configured is refused.
"""

from collections.abc import Iterable

from engine.auth import LOOPBACK_NAMES


def served_hosts(listen_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The host names a `Host` header may carry for an engine listening on `listen_host` (without the port)."""
    names = {listen_host.strip("[]").lower(), *LOOPBACK_NAMES, *(e.strip().lower() for e in extra if e.strip())}
    if listen_host in ("0.0.0.0", "::", ""):  # every address of the machine: the ones it has are its own
        names |= _machine_addresses()
    return frozenset(n.strip("[]") for n in names)


def _machine_addresses() -> set[str]:
    import socket

    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            names.add(str(info[4][0]).lower())
    except OSError:
        pass
    return names


def host_name(header: str) -> str:
    """The name of a `Host` header without its port (`[::1]:8080` → `::1`)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header
