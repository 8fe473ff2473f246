"""`pbj deploy`: the diagrams, decisions and forms of `bpmn/` (or other paths) to the Zeebe of the settings, in one
deployment.

Every `.bpmn`, `.dmn` and `.form` file found goes into one `DeployResource` call, so Zeebe takes all of them or none: a
refused diagram leaves nothing half-deployed. Resources are named by their file name, as Camunda Modeler names them,
so a deployment from either keeps the versions of unchanged files. The channel is the workers' own
(`workers.channel.create_channel`): plain, TLS, basic authentication or OAuth client credentials, from
`ZEEBE_ADDRESS`, `ZEEBE_TLS`, `ZEEBE_CA_CERTIFICATE_PATH`, `CAMUNDA_BASIC_AUTH_USERNAME`, `ZEEBE_CLIENT_ID`… (see
`.env.example`). Operators read the output, so it is in formal
Indonesian: one line per deployed resource with its kind, id, version and key.

Exit codes: 0 deployed; 1 nothing deployed (Zeebe unreachable, credentials refused, a resource refused – Zeebe's
own message is shown – or a path without diagrams); 2 a malformed setting.
"""

import argparse
import asyncio
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import grpc
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from workers.authorization import CREDENTIAL_SETTINGS
from workers.channel import create_channel
from workers.errors import SettingsError
from workers.settings import ZeebeSettings

DEFAULT_PATH = "bpmn"
SUFFIXES = (".bpmn", ".dmn", ".form")
KINDS = "diagram BPMN (.bpmn), tabel keputusan DMN (.dmn) atau formulir (.form)"
DEFAULT_TIMEOUT = 30.0
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2
NOTHING_DEPLOYED = "Tidak ada berkas yang di-deploy."


class DeployError(Exception):
    """Nothing was deployed; the message (formal Indonesian) says why."""


@dataclass(frozen=True)
class Resource:
    """One file to deploy: the name Zeebe keeps (the file name), where it was read, and its content."""

    name: str
    path: Path
    content: bytes


@dataclass(frozen=True)
class DeployedResource:
    """What Zeebe made of one resource: its kind (proses, keputusan, DRD – a DMN file's decision requirements graph –
    or formulir), id, version and key."""

    resource_name: str
    kind: str
    id: str
    version: int
    key: int

    def describe(self) -> str:
        """E.g. `registrasi-admin-ppe.bpmn → proses registrasiAdminPpe versi 2, kunci 2251799813685250`."""
        return f"{self.resource_name} → {self.kind} {self.id} versi {self.version}, kunci {self.key}"


@dataclass(frozen=True)
class DeploymentResult:
    """The deployment's key and what it holds, in Zeebe's order."""

    key: int
    resources: list[DeployedResource]


def collect_resources(paths: Sequence[str | Path]) -> list[Resource]:
    """The `.bpmn`, `.dmn` and `.form` files of `paths` (directories searched recursively), in a stable order.

    Raises `DeployError` for a missing path, a file of another kind, a directory without any such file, or two
    files with the same name (Zeebe tells resources apart by name)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
            if not found:
                raise DeployError(f"Folder {path} tidak berisi {KINDS}.")
            files.extend(found)
        elif path.is_file():
            if path.suffix not in SUFFIXES:
                raise DeployError(f"{path} bukan {KINDS}.")
            files.append(path)
        else:
            raise DeployError(f"{path} tidak ditemukan.")
    resources: dict[str, Resource] = {}
    for file in files:
        earlier = resources.get(file.name)
        if earlier is not None and earlier.path.resolve() == file.resolve():
            continue
        if earlier is not None:
            raise DeployError(
                f"Dua berkas bernama {file.name}: {earlier.path} dan {file}. Zeebe mengenali setiap berkas dari "
                "namanya; ganti salah satu nama atau deploy secara terpisah."
            )
        try:
            resources[file.name] = Resource(file.name, file, file.read_bytes())
        except OSError as exc:
            raise DeployError(f"{file} tidak dapat dibaca: {exc.strerror or exc}.") from None
    return list(resources.values())


async def deploy_resources(
    channel: grpc.aio.Channel, resources: Sequence[Resource], *, timeout: float = DEFAULT_TIMEOUT
) -> DeploymentResult:
    """Deploy every resource in one `DeployResource` call; what Zeebe made of each, or `DeployError`."""
    request = pb.DeployResourceRequest(resources=[pb.Resource(name=r.name, content=r.content) for r in resources])
    gateway: Any = GatewayStub(channel)  # the generated stub is typed for synchronous channels
    try:
        response = await gateway.DeployResource(request, timeout=timeout)
    except grpc.aio.AioRpcError as exc:
        raise DeployError(_explain(exc, timeout)) from None
    # a decision's metadata has no resource name: it is its graph's (DRD)
    files = {
        d.decisionRequirements.decisionRequirementsKey: d.decisionRequirements.resourceName
        for d in response.deployments
        if d.HasField("decisionRequirements")
    }
    return DeploymentResult(key=response.key, resources=[_deployed(d, files) for d in response.deployments])


def _deployed(deployment: pb.Deployment, files: Mapping[int, str]) -> DeployedResource:
    which = deployment.WhichOneof("Metadata")
    if which == "decision":
        d = deployment.decision
        return DeployedResource(
            files.get(d.decisionRequirementsKey, ""), "keputusan", d.dmnDecisionId, d.version, d.decisionKey
        )
    if which == "decisionRequirements":
        g = deployment.decisionRequirements
        return DeployedResource(
            g.resourceName, "DRD", g.dmnDecisionRequirementsId, g.version, g.decisionRequirementsKey
        )
    if which == "process":
        p = deployment.process
        return DeployedResource(p.resourceName, "proses", p.bpmnProcessId, p.version, p.processDefinitionKey)
    if which == "form":
        f = deployment.form
        return DeployedResource(f.resourceName, "formulir", f.formId, f.version, f.formKey)
    raise DeployError(f"Zeebe menjawab dengan jenis sumber daya yang tidak dikenal: {which}.")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _explain(exc: grpc.aio.AioRpcError, timeout: float) -> str:
    """The operator's sentence for a failed DeployResource call."""
    code = exc.code()
    details = _one_line(exc.details() or "") or code.name
    if code is grpc.StatusCode.UNAVAILABLE:
        return (
            f"Zeebe tidak dapat dihubungi ({details}). Periksa ZEEBE_ADDRESS, pengaturan TLS dan kredensial OAuth, "
            f"serta pastikan Zeebe berjalan. {NOTHING_DEPLOYED}"
        )
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"Zeebe tidak menjawab dalam {timeout:g} detik. {NOTHING_DEPLOYED}"
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return f"Zeebe menolak kredensial ({code.name}: {details}). Periksa {CREDENTIAL_SETTINGS}. {NOTHING_DEPLOYED}"
    # A refusal keeps Zeebe's own text with its line breaks: it names each file, element and reason.
    return f"Zeebe menolak deploy ({code.name}):\n{(exc.details() or code.name).strip()}\n{NOTHING_DEPLOYED}"


def _connection(settings: ZeebeSettings) -> str:
    if settings.uses_oauth:
        return "TLS, kredensial OAuth"
    encryption = "TLS" if settings.tls else "tanpa enkripsi"
    return f"{encryption}, autentikasi dasar sebagai {settings.username}" if settings.uses_basic_auth else encryption


async def deploy(
    paths: Sequence[str | Path],
    settings: ZeebeSettings,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    out: TextIO | None = None,
) -> DeploymentResult:
    """Collect, deploy in one call and print one line per resource to `out` (stdout); `DeployError` if nothing was."""
    out = out or sys.stdout
    resources = collect_resources(paths)
    print(
        f"Men-deploy {len(resources)} berkas ke Zeebe di {settings.address} ({_connection(settings)}).",
        file=out,
        flush=True,
    )
    try:
        channel = create_channel(settings)
    except OSError as exc:  # the CA file went away since the settings were read
        raise DeployError(f"Sertifikat CA tidak dapat dibaca: {exc.strerror or exc}. {NOTHING_DEPLOYED}") from None
    try:
        result = await deploy_resources(channel, resources, timeout=timeout)
    finally:
        await channel.close(grace=None)
    for resource in result.resources:
        print(resource.describe(), file=out)
    print(f"Deploy berhasil: kunci deployment {result.key}.", file=out, flush=True)
    return result


def run(paths: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT, environ: Mapping[str, str] | None = None) -> int:
    """`pbj deploy`: read the Zeebe settings, deploy, print; the exit code."""
    try:
        settings = ZeebeSettings.from_env(environ)
    except SettingsError as exc:
        print(f"Deploy tidak dapat dijalankan: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    try:
        asyncio.run(deploy(paths or [DEFAULT_PATH], settings, timeout=timeout))
    except DeployError as exc:
        print(f"Deploy gagal: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{raw!r} bukan jumlah detik antara 0 dan 3600")
    return value


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The `deploy` subcommand's arguments."""
    parser = sub.add_parser(
        "deploy",
        help="men-deploy diagram dan formulir (bawaan: folder bpmn/) ke Zeebe",
        description="Men-deploy semua diagram BPMN (.bpmn) dan formulir (.form) dalam satu deployment ke Zeebe "
        "sesuai pengaturan (ZEEBE_ADDRESS; ZEEBE_TLS dan ZEEBE_CA_CERTIFICATE_PATH untuk TLS; ZEEBE_CLIENT_ID, "
        "ZEEBE_CLIENT_SECRET, ZEEBE_AUTHORIZATION_SERVER_URL untuk kredensial OAuth Camunda; "
        "CAMUNDA_BASIC_AUTH_USERNAME dan CAMUNDA_BASIC_AUTH_PASSWORD untuk autentikasi dasar; lihat .env.example), "
        "lalu mencetak kunci dan versi setiap berkas. Bila Zeebe menolak satu berkas, tidak ada yang di-deploy.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=f"berkas atau folder yang di-deploy; folder ditelusuri beserta subfoldernya (bawaan: {DEFAULT_PATH}/)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="DETIK",
        help=f"batas waktu menunggu jawaban Zeebe (bawaan: {DEFAULT_TIMEOUT:g} detik)",
    )
