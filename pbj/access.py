"""Who may reach an engine `pbj engine` or `pbj up` runs: the operator's messages about it (formal Indonesian).

On loopback (127.0.0.1, ::1, localhost) nobody is asked for credentials by default: only this machine can connect.
Beyond loopback (`--host 0.0.0.0`, a LAN address) credentials are required – a user (PBJ_ENGINE_USERNAME,
PBJ_ENGINE_PASSWORD) and/or an API client (PBJ_ENGINE_CLIENT_ID, PBJ_ENGINE_CLIENT_SECRET) – for the gRPC gateway and
the REST API alike; without them the engine does not start, unless the operator insists with --tanpa-autentikasi, and
then it says loudly that anyone on the network can drive it. The engine serves no TLS: beyond loopback its ready
line says that credentials travel in clear (a TLS-terminating reverse proxy or a private network) and which
settings the services send them with. And where it cannot listen: the port taken, said in the operator's words."""

from dataclasses import dataclass

from engine.auth import Credentials
from engine.server import PortUnavailableError
from workers.authorization import is_loopback

OPEN_FLAG = "--tanpa-autentikasi"
# the option that chooses each of the engine's ports
_PORT_OPTIONS = {"gRPC": "--port", "REST": "--rest-port"}


def listen_problem(exc: OSError) -> str:
    """Why the engine cannot listen, for the operator."""
    if isinstance(exc, PortUnavailableError):
        return (
            f"port {exc.port} di {exc.host} untuk {exc.service} sedang dipakai program lain atau tidak diizinkan; "
            f"hentikan program itu atau pilih port lain dengan {_PORT_OPTIONS[exc.service]}."
        )
    return f"alamat tidak dapat dipakai ({exc.strerror or exc})."


@dataclass(frozen=True)
class Exposure:
    """Whether the engine may start as asked, and what to tell the operator."""

    refusal: str | None = None
    warning: str | None = None


def exposure(host: str, credentials: Credentials, *, allow_open: bool) -> Exposure:
    if is_loopback(host) or credentials.required:
        return Exposure()
    if not allow_open:
        return Exposure(
            refusal=(
                f"Mesin proses akan mendengarkan di {host}, yang dapat dijangkau dari luar mesin ini, tetapi tidak ada "
                "kredensial yang diatur. Isi PBJ_ENGINE_USERNAME dan PBJ_ENGINE_PASSWORD (pengguna, untuk Camunda "
                "Modeler dan REST API) dan/atau PBJ_ENGINE_CLIENT_ID dan PBJ_ENGINE_CLIENT_SECRET (klien API, untuk "
                f"pekerja), atau gunakan --host 127.0.0.1. Bila memang disengaja, tambahkan {OPEN_FLAG}."
            )
        )
    return Exposure(
        warning=(
            f"PERINGATAN: mesin proses mendengarkan di {host} TANPA AUTENTIKASI ({OPEN_FLAG}). Siapa pun yang dapat "
            "menjangkau alamat ini dapat memasang diagram, menjalankan dan membatalkan proses, serta membaca semua "
            "variabel proses. Gunakan hanya di jaringan yang tepercaya."
        )
    )


def access_line(credentials: Credentials, host: str) -> str:
    """How clients authenticate, for the ready message."""
    if not credentials.required:
        if is_loopback(host):
            return "tanpa autentikasi (hanya dari mesin ini)"
        return f"TANPA AUTENTIKASI, terbuka bagi siapa pun yang menjangkau {host} ({OPEN_FLAG})"
    kinds = []
    if credentials.users:
        kinds.append("pengguna: autentikasi basic")
    if credentials.clients:
        kinds.append("klien API: basic atau token OAuth dari /oauth/token")
    line = "dengan autentikasi (" + "; ".join(kinds) + ")"
    if is_loopback(host):
        return line
    return (
        f"{line}, TANPA TLS: kredensial terkirim tanpa enkripsi, jadi layanan di komputer lain terhubung melalui "
        "proksi balik dengan TLS atau jaringan privat; layanan mengirim CAMUNDA_BASIC_AUTH_USERNAME dan "
        "CAMUNDA_BASIC_AUTH_PASSWORD"
    )
