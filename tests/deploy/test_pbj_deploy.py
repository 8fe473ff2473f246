"""`pbj deploy` against the embedded engine's gRPC gateway: output, versions, refusals, unreachable gateways, and the
channel it chooses (plain, TLS, OAuth client credentials) – the TLS and OAuth ones also for real over loopback."""

import asyncio
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiohttp import web
from pyzeebe.proto import gateway_pb2_grpc as pb_grpc

import workers.channel
from engine.gateway import GatewayService
from engine.testing import EmbeddedEngine
from pbj.cli import main as pbj_main
from tests.engine.dmn.dinner import DISH_DRD
from workers.errors import SettingsError
from workers.settings import ZeebeSettings

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
LINE = re.compile(
    r"^(?P<file>\S+) → (?P<kind>proses|formulir) (?P<id>[\w-]+) versi (?P<version>\d+), kunci (?P<key>\d+)$"
)


def deployed_lines(stdout: str) -> dict[str, tuple[str, str, int, int]]:
    """The resource lines of `pbj deploy`'s output: file name → (kind, id, version, key)."""
    found = (LINE.match(line) for line in stdout.splitlines())
    return {m["file"]: (m["kind"], m["id"], int(m["version"]), int(m["key"])) for m in found if m}


async def pbj_deploy(*args: str) -> int:
    """`pbj deploy ARGS` in a thread (it runs its own event loop) while the engine serves on the test's loop."""
    return await asyncio.to_thread(pbj_main, ["deploy", *args])


@pytest.fixture
def gateway(engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch) -> EmbeddedEngine:
    """The embedded engine, named by ZEEBE_ADDRESS; no other Zeebe setting is set."""
    for name in list(os.environ):
        if name.startswith(("ZEEBE_", "CAMUNDA_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ZEEBE_ADDRESS", engine.address)
    return engine


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port: int = server.getsockname()[1]
    return port


# --- deploying -----------------------------------------------------------------------------------------------------


async def test_deploys_bpmn_folder_by_default_and_prints_each_resource(
    gateway: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without paths, `bpmn/` of the working directory: both SOPs and the form, each with kind, id, version and key."""
    monkeypatch.chdir(ROOT)
    assert await pbj_deploy() == 0
    out = capsys.readouterr().out
    lines = deployed_lines(out)
    assert {name: (kind, id_, version) for name, (kind, id_, version, _) in lines.items()} == {
        "registrasi-admin-ppe.bpmn": ("proses", "registrasiAdminPpe", 1),
        "pendaftaran-akun-ppbj.bpmn": ("proses", "pendaftaranAkunPpbj", 1),
        "periksa-informasi-ppbj.form": ("formulir", "periksa-informasi-ppbj", 1),
    }
    definitions = {d.bpmn_process_id: d.key for d in gateway.engine.definitions.values()}
    assert lines["registrasi-admin-ppe.bpmn"][3] == definitions["registrasiAdminPpe"]
    assert lines["pendaftaran-akun-ppbj.bpmn"][3] == definitions["pendaftaranAkunPpbj"]
    [form] = gateway.engine.forms.values()
    assert lines["periksa-informasi-ppbj.form"][3] == form.key
    assert out.splitlines()[0] == f"Men-deploy 3 berkas ke Zeebe di {gateway.address} (tanpa enkripsi)."
    assert re.fullmatch(r"Deploy berhasil: kunci deployment \d+\.", out.splitlines()[-1])


async def test_redeploy_keeps_versions_and_a_changed_diagram_gets_the_next(
    gateway: EmbeddedEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unchanged files keep versions and keys; once one diagram changes, the whole deployment is version 2."""
    copy = shutil.copytree(BPMN_DIR, tmp_path / "bpmn")
    assert await pbj_deploy(str(copy)) == 0
    first = deployed_lines(capsys.readouterr().out)
    assert await pbj_deploy(str(copy)) == 0
    assert deployed_lines(capsys.readouterr().out) == first

    diagram = copy / "registrasi-admin-ppe.bpmn"
    diagram.write_text(
        diagram.read_text().replace('name="Registrasi Admin PPE"', 'name="Registrasi Admin PPE (revisi)"')
    )
    assert await pbj_deploy(str(copy)) == 0
    third = deployed_lines(capsys.readouterr().out)
    assert {name: version for name, (_, _, version, _) in third.items()} == dict.fromkeys(first, 2)
    assert not {key for *_, key in third.values()} & {key for *_, key in first.values()}
    assert await pbj_deploy(str(copy)) == 0
    assert deployed_lines(capsys.readouterr().out) == third


async def test_named_files_and_folders_are_deployed_together(
    gateway: EmbeddedEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    """Paths may name single files and folders; the same file named twice is deployed once."""
    diagram = BPMN_DIR / "registrasi-admin-ppe.bpmn"
    assert await pbj_deploy(str(diagram), str(BPMN_DIR / "forms"), str(diagram)) == 0
    assert sorted(deployed_lines(capsys.readouterr().out)) == [
        "periksa-informasi-ppbj.form",
        "registrasi-admin-ppe.bpmn",
    ]


async def test_a_dmn_file_deploys_its_decisions_and_their_drd(
    gateway: EmbeddedEngine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A `.dmn` file in the folder is deployed with the rest: one line per decision and one for its decision
    requirements graph (DRD), each named by the file."""
    (tmp_path / "dinner.dmn").write_bytes(DISH_DRD)
    assert await pbj_deploy(str(tmp_path)) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("dinner.dmn → ")]
    assert [re.sub(r"kunci \d+$", "kunci K", line) for line in lines] == [
        "dinner.dmn → keputusan beverages versi 1, kunci K",
        "dinner.dmn → keputusan dish versi 1, kunci K",
        "dinner.dmn → keputusan season versi 1, kunci K",
        "dinner.dmn → keputusan guestCount versi 1, kunci K",
        "dinner.dmn → DRD dinnerDecisions versi 1, kunci K",
    ]


async def test_broken_diagram_is_refused_with_the_engine_message_and_nothing_is_deployed(
    gateway: EmbeddedEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A service task without its task type: exit 1, Zeebe's INVALID_ARGUMENT text shown, not even the good files."""
    copy = shutil.copytree(BPMN_DIR, tmp_path / "bpmn")
    diagram = copy / "registrasi-admin-ppe.bpmn"
    broken = diagram.read_text().replace('<zeebe:taskDefinition type="periksa-kelengkapan-berkas"/>', "")
    assert broken != diagram.read_text()
    diagram.write_text(broken)

    assert await pbj_deploy(str(copy)) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("Deploy gagal: Zeebe menolak deploy (INVALID_ARGUMENT):\n")
    assert "registrasi-admin-ppe.bpmn" in captured.err
    assert "PeriksaKelengkapanBerkasTask" in captured.err
    assert "zeebe:taskDefinition" in captured.err
    assert captured.err.rstrip().endswith("Tidak ada berkas yang di-deploy.")
    assert deployed_lines(captured.out) == {}
    assert gateway.engine.definitions == {}
    assert gateway.engine.forms == {}


async def test_unreachable_gateway_exits_1_saying_so(
    gateway: EmbeddedEngine, closed_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing listens at ZEEBE_ADDRESS: exit 1 and one line naming the problem and what to check."""
    monkeypatch.setenv("ZEEBE_ADDRESS", f"127.0.0.1:{closed_port}")
    assert await pbj_deploy(str(BPMN_DIR)) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("Deploy gagal: Zeebe tidak dapat dihubungi (")
    assert f"127.0.0.1:{closed_port}" in err
    assert "Periksa ZEEBE_ADDRESS" in err
    assert err.rstrip().endswith("Tidak ada berkas yang di-deploy.")


async def test_unanswered_call_gives_up_after_the_timeout(
    gateway: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A gateway that accepts the connection but never answers: exit 1 after --timeout seconds."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        monkeypatch.setenv("ZEEBE_ADDRESS", f"127.0.0.1:{silent.getsockname()[1]}")
        assert await pbj_deploy(str(BPMN_DIR), "--timeout", "0.5") == 1
    assert capsys.readouterr().err.strip() == (
        "Deploy gagal: Zeebe tidak menjawab dalam 0.5 detik. Tidak ada berkas yang di-deploy."
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "tidak-ada", "tidak-ada tidak ditemukan."),
        (lambda tmp: (tmp / "catatan.txt", (tmp / "catatan.txt").write_text("x"))[0], "bukan diagram BPMN (.bpmn)"),
        (
            lambda tmp: (tmp / "kosong", (tmp / "kosong").mkdir())[0],
            "tidak berisi diagram BPMN (.bpmn), tabel keputusan DMN (.dmn) atau formulir",
        ),
    ],
    ids=["missing", "other-kind", "empty-folder"],
)
async def test_bad_paths_exit_1_before_anything_is_sent(
    gateway: EmbeddedEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, message: str
) -> None:
    """A missing path, a file of another kind or a folder without diagrams: exit 1 naming it, engine untouched."""
    assert await pbj_deploy(str(make(tmp_path))) == 1
    assert message in capsys.readouterr().err
    assert gateway.engine.definitions == {}


async def test_two_files_with_one_name_are_refused(
    gateway: EmbeddedEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two different files with the same file name: Zeebe could not tell them apart, so nothing is sent."""
    other = tmp_path / "lain"
    other.mkdir()
    shutil.copy(BPMN_DIR / "registrasi-admin-ppe.bpmn", other)
    assert await pbj_deploy(str(BPMN_DIR), str(other)) == 1
    assert "Dua berkas bernama registrasi-admin-ppe.bpmn" in capsys.readouterr().err
    assert gateway.engine.definitions == {}


async def test_malformed_setting_exits_2(gateway: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed Zeebe setting is named and the exit code is 2, as for `pbj workers`."""
    monkeypatch.setenv("ZEEBE_TLS", "mungkin")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pbj", "deploy", cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await process.communicate()
    assert process.returncode == 2
    assert stderr.decode().strip() == (
        "Deploy tidak dapat dijalankan: Pengaturan ZEEBE_TLS: 'mungkin' bukan nilai ya/tidak (true/false, 1/0)."
    )


async def test_console_script_deploys_from_the_repository_root(gateway: EmbeddedEngine) -> None:
    """`python -m pbj deploy` as an operator runs it, from the repository root: exit 0, three resource lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pbj", "deploy", cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await process.communicate()
    assert process.returncode == 0
    assert len(deployed_lines(stdout.decode())) == 3
    assert len(gateway.engine.definitions) == 2


# --- which channel ---------------------------------------------------------------------------------------------------


@pytest.fixture
def constructors(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """pyzeebe's channel constructors replaced by recorders: which one was called, with what."""
    calls: dict[str, dict[str, Any]] = {}
    for kind, name in (
        ("plain", "create_insecure_channel"),
        ("tls", "create_secure_channel"),
        ("oauth", "create_oauth2_client_credentials_channel"),
    ):
        monkeypatch.setattr(workers.channel, name, lambda kind=kind, **kwargs: calls.setdefault(kind, kwargs) and kind)
    return calls


OAUTH = {
    "ZEEBE_ADDRESS": "zeebe.pbj.example.id:443",
    "ZEEBE_CLIENT_ID": "pbj-deploy",
    "ZEEBE_CLIENT_SECRET": "rahasia",
    "ZEEBE_AUTHORIZATION_SERVER_URL": "https://login.pbj.example.id/oauth/token",
    "ZEEBE_TOKEN_AUDIENCE": "zeebe-api",
}


def test_plain_channel_when_only_the_address_is_set(constructors: dict[str, dict[str, Any]]) -> None:
    """ZEEBE_ADDRESS alone: a plain channel to it."""
    settings = ZeebeSettings.from_env({"ZEEBE_ADDRESS": "camunda:26500"})
    assert (settings.tls, settings.uses_tls, settings.ca_certificate_path) == (False, False, None)
    workers.channel.create_channel(settings)
    assert constructors == {"plain": {"grpc_address": "camunda:26500"}}


def test_tls_channel_with_the_system_cas(constructors: dict[str, dict[str, Any]]) -> None:
    """ZEEBE_TLS=true: a TLS channel verified against the system's CA certificates (pyzeebe's default)."""
    settings = ZeebeSettings.from_env({"ZEEBE_ADDRESS": "zeebe.pbj.example.id:443", "ZEEBE_TLS": "true"})
    workers.channel.create_channel(settings)
    assert constructors == {"tls": {"grpc_address": "zeebe.pbj.example.id:443", "channel_credentials": None}}


def test_ca_file_switches_tls_on_and_is_used(constructors: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    """ZEEBE_CA_CERTIFICATE_PATH alone means TLS, verified against that PEM file."""
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = ZeebeSettings.from_env({"ZEEBE_ADDRESS": "zeebe:26500", "ZEEBE_CA_CERTIFICATE_PATH": str(ca)})
    assert (settings.tls, settings.ca_certificate_path) == (True, ca)
    workers.channel.create_channel(settings)
    assert isinstance(constructors["tls"]["channel_credentials"], grpc.ChannelCredentials)


def test_oauth_channel_with_client_credentials_over_tls(
    constructors: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """Client credentials: pyzeebe's OAuth channel with them (TLS implied), and the CA file when one is set."""
    settings = ZeebeSettings.from_env(OAUTH)
    assert settings.uses_tls
    workers.channel.create_channel(settings)
    assert constructors["oauth"] == {
        "grpc_address": "zeebe.pbj.example.id:443",
        "client_id": "pbj-deploy",
        "client_secret": "rahasia",
        "authorization_server": "https://login.pbj.example.id/oauth/token",
        "audience": "zeebe-api",
        "channel_credentials": None,
    }
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    constructors.clear()
    workers.channel.create_channel(ZeebeSettings.from_env({**OAUTH, "ZEEBE_CA_CERTIFICATE_PATH": str(ca)}))
    assert isinstance(constructors["oauth"]["channel_credentials"], grpc.ChannelCredentials)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({**OAUTH, "ZEEBE_TLS": "false"}, "Pengaturan ZEEBE_TLS: kredensial OAuth selalu dikirim melalui TLS"),
        ({"ZEEBE_TLS": "tidak", "ZEEBE_CA_CERTIFICATE_PATH": __file__}, "ZEEBE_CA_CERTIFICATE_PATH hanya berlaku"),
        ({"ZEEBE_CA_CERTIFICATE_PATH": "/tidak/ada/ca.pem"}, "'/tidak/ada/ca.pem' tidak ditemukan"),
    ],
    ids=["oauth-without-tls", "ca-without-tls", "missing-ca-file"],
)
def test_contradicting_tls_settings_are_named(environ: dict[str, str], message: str) -> None:
    """TLS switched off next to OAuth or a CA file, or a CA file that is not there: the setting is named."""
    with pytest.raises(SettingsError, match=re.escape(message)):
        ZeebeSettings.from_env(environ)


# --- TLS and OAuth for real, over loopback ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (made with the openssl command) and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "gateway.pem", folder / "gateway.key"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run(
        [*command, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def pem(certificate: tuple[Path, Path]) -> tuple[bytes, bytes]:
    """The certificate and key files' bytes."""
    return certificate[0].read_bytes(), certificate[1].read_bytes()


class BearerCheck(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]  # generic in the stubs only
    """Refuses every call without `authorization: Bearer <token>` (as a secured gateway does) and keeps what came."""

    def __init__(self, token: str, scheme: str = "Bearer") -> None:
        self.expected = f"{scheme} {token}"
        self.seen: list[str] = []

    async def intercept_service(self, continuation: Any, details: grpc.HandlerCallDetails) -> Any:
        """Pass the call on when its bearer token is the expected one, else answer UNAUTHENTICATED."""
        headers = dict(details.invocation_metadata or ())
        self.seen.append(str(headers.get("authorization")))
        if headers.get("authorization") == self.expected:
            return await continuation(details)

        async def refuse(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "Expected a valid bearer token")

        return grpc.unary_unary_rpc_method_handler(refuse)


async def tls_gateway(engine: EmbeddedEngine, pem: tuple[bytes, bytes], interceptor: BearerCheck | None) -> Any:
    """The engine's gateway service on a second, TLS-only loopback port with this (certificate, key); (server, port)."""
    server = grpc.aio.server(interceptors=[interceptor] if interceptor else None)
    port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(pem[1], pem[0])]))
    pb_grpc.add_GatewayServicer_to_server(GatewayService(engine.engine, "localhost", port), server)
    await server.start()
    return server, port


@pytest.fixture
async def tls_port(gateway: EmbeddedEngine, certificate: tuple[Path, Path]) -> AsyncIterator[int]:
    """The embedded engine behind TLS with the self-signed certificate; its port."""
    server, port = await tls_gateway(gateway, pem(certificate), None)
    yield port
    await server.stop(None)


async def test_tls_gateway_is_reached_with_its_ca_and_refused_without(
    tls_port: int,
    certificate: tuple[Path, Path],
    gateway: EmbeddedEngine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A self-signed TLS gateway: refused against the system CAs (exit 1), deployed with its CA file (exit 0)."""
    monkeypatch.setenv("ZEEBE_ADDRESS", f"localhost:{tls_port}")
    monkeypatch.setenv("ZEEBE_TLS", "true")
    assert await pbj_deploy(str(BPMN_DIR)) == 1
    assert "Zeebe tidak dapat dihubungi" in capsys.readouterr().err
    assert gateway.engine.definitions == {}

    monkeypatch.setenv("ZEEBE_CA_CERTIFICATE_PATH", str(certificate[0]))
    assert await pbj_deploy(str(BPMN_DIR)) == 0
    out = capsys.readouterr().out
    assert f"ke Zeebe di localhost:{tls_port} (TLS)." in out
    assert len(deployed_lines(out)) == 3
    assert len(gateway.engine.definitions) == 2


async def test_basic_authentication_over_tls_as_behind_a_reverse_proxy(
    gateway: EmbeddedEngine,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The engine behind a TLS-terminating gateway that asks for basic authentication (as a reverse proxy in front
    of `pbj engine`, or Camunda 8.8 self-managed with basic authentication): the name and password go over TLS with
    every call; a wrong password is refused naming the settings, nothing deployed."""
    check = BearerCheck(base64.b64encode(b"operator:rahasia").decode(), scheme="Basic")
    server, port = await tls_gateway(gateway, pem(certificate), check)
    try:
        monkeypatch.setenv("ZEEBE_ADDRESS", f"localhost:{port}")
        monkeypatch.setenv("ZEEBE_CA_CERTIFICATE_PATH", str(certificate[0]))
        monkeypatch.setenv("CAMUNDA_BASIC_AUTH_USERNAME", "operator")
        monkeypatch.setenv("CAMUNDA_BASIC_AUTH_PASSWORD", "salah")
        assert await pbj_deploy(str(BPMN_DIR)) == 1
        assert "Periksa CAMUNDA_BASIC_AUTH_USERNAME" in capsys.readouterr().err
        assert gateway.engine.definitions == {}
        monkeypatch.setenv("CAMUNDA_BASIC_AUTH_PASSWORD", "rahasia")
        assert await pbj_deploy(str(BPMN_DIR)) == 0
    finally:
        await server.stop(None)
    out = capsys.readouterr().out
    assert f"ke Zeebe di localhost:{port} (TLS, autentikasi dasar sebagai operator)." in out
    assert check.seen[-1] == check.expected
    assert len(gateway.engine.definitions) == 2


@pytest.fixture
async def token_endpoint() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """An OAuth token endpoint on loopback (plain HTTP) granting `token-uji` for client `pbj-deploy`/`rahasia`."""
    requests: list[dict[str, str]] = []

    async def token(request: web.Request) -> web.Response:
        form = dict(await request.post())
        requests.append(
            {k: str(v) for k, v in form.items()} | {"authorization": request.headers.get("Authorization", "")}
        )
        return web.json_response({"access_token": "token-uji", "token_type": "Bearer", "expires_in": 300})

    app = web.Application()
    app.router.add_post("/oauth/token", token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/oauth/token", requests
    await runner.cleanup()


async def test_oauth_client_credentials_fetch_a_token_and_send_it(
    gateway: EmbeddedEngine,
    certificate: tuple[Path, Path],
    token_endpoint: tuple[str, list[dict[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Client credentials: a token is fetched and sent over TLS to a gateway that demands it; deployed."""
    url, token_requests = token_endpoint
    check = BearerCheck("token-uji")
    server, port = await tls_gateway(gateway, pem(certificate), check)
    try:
        monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the loopback token endpoint speaks plain HTTP
        monkeypatch.setenv("ZEEBE_ADDRESS", f"localhost:{port}")
        monkeypatch.setenv("ZEEBE_CA_CERTIFICATE_PATH", str(certificate[0]))
        monkeypatch.setenv("ZEEBE_CLIENT_ID", "pbj-deploy")
        monkeypatch.setenv("ZEEBE_CLIENT_SECRET", "rahasia")
        monkeypatch.setenv("ZEEBE_AUTHORIZATION_SERVER_URL", url)
        monkeypatch.setenv("ZEEBE_TOKEN_AUDIENCE", "zeebe-api")
        assert await pbj_deploy(str(BPMN_DIR)) == 0
    finally:
        await server.stop(None)
    out = capsys.readouterr().out
    assert "(TLS, kredensial OAuth)." in out
    assert len(deployed_lines(out)) == 3
    assert check.seen == ["Bearer token-uji"]
    [grant] = token_requests
    assert (grant["grant_type"], grant["audience"]) == ("client_credentials", "zeebe-api")
    assert grant["authorization"].startswith("Basic ")  # the client id and secret, as RFC 6749 prefers


async def test_refused_credentials_exit_1_naming_the_oauth_settings(
    gateway: EmbeddedEngine,
    certificate: tuple[Path, Path],
    token_endpoint: tuple[str, list[dict[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A gateway that does not accept the token: exit 1, UNAUTHENTICATED and the settings to check, nothing deployed."""
    server, port = await tls_gateway(gateway, pem(certificate), BearerCheck("token-lain"))
    try:
        monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
        monkeypatch.setenv("ZEEBE_ADDRESS", f"localhost:{port}")
        monkeypatch.setenv("ZEEBE_CA_CERTIFICATE_PATH", str(certificate[0]))
        monkeypatch.setenv("ZEEBE_CLIENT_ID", "pbj-deploy")
        monkeypatch.setenv("ZEEBE_CLIENT_SECRET", "rahasia")
        monkeypatch.setenv("ZEEBE_AUTHORIZATION_SERVER_URL", token_endpoint[0])
        assert await pbj_deploy(str(BPMN_DIR)) == 1
    finally:
        await server.stop(None)
    err = capsys.readouterr().err
    assert "Zeebe menolak kredensial (UNAUTHENTICATED: Expected a valid bearer token)" in err
    assert "ZEEBE_CLIENT_ID" in err
    assert gateway.engine.definitions == {}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback calls never go through a proxy from the environment."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
