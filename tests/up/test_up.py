"""`pbj up` as an operator runs it: a real subprocess on free ports with its own data directory – the ready text, the
gRPC and REST APIs of the engine, the deployed diagrams, the workers, the local mail folder, a clean stop on SIGTERM;
`pbj up --demo` from start to end; a port in use."""

import asyncio
import csv
import email
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyzeebe import ZeebeClient, create_insecure_channel
from pyzeebe.proto import gateway_pb2, gateway_pb2_grpc

from engine.rest.conformance import LOG_VARIABLE
from pbj.demo import DEMO_PERSONAL_DATA
from workers.domain import PersonData
from workers.store import Store

ROOT = Path(__file__).resolve().parents[2]
READY_LAST_LINE = "Tekan Ctrl-C untuk menghentikan semuanya."
WAIT = 60.0
PORT_ATTEMPTS = 5
# what `pbj up` says (exit 1) about a port another program listens on: found by its check before anything starts,
# or taken after the check when the engine binds (pbj/access.py listen_problem)
PORT_TAKEN = ("sudah digunakan oleh program lain", "sedang dipakai program lain")


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def can_bind(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:`port` now (nothing is left listening there)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Up:
    """A running `pbj up` subprocess and where it listens."""

    process: subprocess.Popen[str]
    grpc_port: int
    rest_port: int
    smtp_port: int
    web_port: int
    data_dir: Path
    ready: str

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def rest(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}/v2"

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST JSON to the REST API; the decoded answer."""
        request = urllib.request.Request(
            f"{self.rest}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return json.loads(response.read())

    def stop(self) -> tuple[int, str]:
        """SIGTERM; the exit code and the rest of the standard output."""
        self.process.send_signal(signal.SIGTERM)
        rest, _ = self.process.communicate(timeout=WAIT)
        return self.process.returncode, rest


def environ(data_dir: Path) -> dict[str, str]:
    """Only what an operator's shell would have, plus the data directory (and where the REST answers' spec check
    writes, engine/testing/pytest_plugin.py)."""
    checked = {LOG_VARIABLE: os.environ[LOG_VARIABLE]} if LOG_VARIABLE in os.environ else {}  # the spec check
    return {"PATH": os.environ.get("PATH", ""), "PBJ_DATA_DIR": str(data_dir), **checked}


def run_up(data_dir: Path, *args: str, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
    """`pbj up ARGS` to its end; its exit code and output."""
    return subprocess.run(
        [sys.executable, "-m", "pbj", "up", *args],
        cwd=ROOT,
        env=environ(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_up(data_dir: Path, stderr_path: Path, **settings: str) -> Up:
    """`pbj up` on free ports, with these settings besides the data directory; returns once its ready text is
    printed. A port another process took between its pick and `pbj up`'s check (parallel suites) is refused before
    anything starts: then again on other free ports."""
    for _ in range(PORT_ATTEMPTS):
        ports = free_port(), free_port(), free_port(), free_port()
        args = ["--port", str(ports[0]), "--rest-port", str(ports[1]), "--smtp-port", str(ports[2])]
        args += ["--web-port", str(ports[3])]
        with stderr_path.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "pbj", "up", *args],
                cwd=ROOT,
                env={**environ(data_dir), **settings},
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.strip() == READY_LAST_LINE:
                return Up(process, *ports, data_dir, "".join(lines))
        process.wait(timeout=WAIT)
        errors = stderr_path.read_text()
        if process.returncode == 1 and any(taken in errors for taken in PORT_TAKEN):
            continue
        pytest.fail(
            f"pbj up ended (exit {process.returncode}) before it was ready; its output: {''.join(lines)!r}; "
            f"its standard error: {errors!r}"
        )
    pytest.fail(f"pbj up found a port taken {PORT_ATTEMPTS} times in a row: {errors!r}")


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    """One `pbj up` for the tests of this module that only look at it."""
    base = tmp_path_factory.mktemp("up")
    running = start_up(base / "data", base / "stderr.txt")
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_ready_text_says_where_everything_is(up: Up) -> None:
    """The ready text names the gRPC and REST addresses, the deployed processes, the mail server and folder, the
    data directory and database, says where the process state is kept across stops, and points to `pbj --help`."""
    data = up.data_dir.resolve()
    text = up.ready
    assert text.startswith("PBJ berjalan di mesin ini.")
    assert f"gRPC 127.0.0.1:{up.grpc_port}" in text
    assert f"REST API http://127.0.0.1:{up.rest_port}/v2" in text
    assert "pendaftaranAkunPpbj (versi 1), registrasiAdminPpe (versi 1); formulir: periksa-informasi-ppbj" in text
    assert f"127.0.0.1:{up.smtp_port} – surel disimpan, tidak ada yang dikirim keluar" in text
    assert f"{data / 'surat'} (daftar surel: {data / 'surat' / 'indeks.csv'})" in text
    assert f"berkas SQLite {data / 'pbj.sqlite3'}" in text
    assert f"Status mesin proses              {data / 'mesin'}\n" in text
    assert "tidak hilang saat pbj up dihentikan atau mati\nmendadak" in text
    assert "proses dilanjutkan dari keadaan terakhir" in text
    assert "pbj --help" in text
    assert f"  Aplikasi web                     {up.web}/ (tautan e-mail: {up.web})\n" in text
    assert f"Buka {up.web}/ di peramban" in text
    assert "pbj up --demo" in text
    assert "tanpa autentikasi (hanya dari mesin ini)" in text
    assert (  # how Camunda Modeler connects and starts an instance
        f"Cluster endpoint http://127.0.0.1:{up.rest_port}/v2 (REST; "
        f"alternatif gRPC: grpc://127.0.0.1:{up.grpc_port}), Authentication: None;"
    ) in text
    assert "Start instance" in text
    assert (data / "pbj.sqlite3").is_file()
    assert (data / "mesin" / "engine.sqlite3").is_file()


async def test_grpc_health_and_topology_answer(up: Up) -> None:
    """The Zeebe gateway answers Topology with its own port and the health service says SERVING."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{up.grpc_port}") as channel:
        gateway: Any = gateway_pb2_grpc.GatewayStub(channel)
        topology = await gateway.Topology(gateway_pb2.TopologyRequest(), timeout=WAIT)
        health: Any = health_pb2_grpc.HealthStub(channel)
        status = await health.Check(health_pb2.HealthCheckRequest(service="gateway_protocol.Gateway"), timeout=WAIT)
    assert [broker.port for broker in topology.brokers] == [up.grpc_port]
    assert status.status == health_pb2.HealthCheckResponse.SERVING


def test_rest_api_lists_both_deployed_processes(up: Up) -> None:
    """REST `/v2/process-definitions/search` finds both SOP diagrams, version 1, deployed at start-up."""
    answer = up.post("/process-definitions/search", {"sort": [{"field": "processDefinitionId"}]})
    assert [(d["processDefinitionId"], d["version"]) for d in answer["items"]] == [
        ("pendaftaranAkunPpbj", 1),
        ("registrasiAdminPpe", 1),
    ]
    assert {d["resourceName"] for d in answer["items"]} == {"pendaftaran-akun-ppbj.bpmn", "registrasi-admin-ppe.bpmn"}


def test_mail_through_the_local_smtp_server_lands_as_a_file_with_an_index_row(up: Up) -> None:
    """A message sent to the local SMTP server is kept byte for byte as `<time>-<Message-ID>.eml` in the mail folder
    and listed in `indeks.csv` with its envelope and subject."""
    message = EmailMessage()
    message["From"] = "Biro PBJ <no-reply@pbj.localhost>"
    message["To"] = "penerima.uji@contoh.go.id"
    message["Subject"] = "Uji Server Surel Lokal – Permohonan No. UJI-1"
    message["Message-ID"] = "<uji-server-surel-1@pbj.localhost>"
    message.set_content("Pesan uji.")
    with smtplib.SMTP("127.0.0.1", up.smtp_port, timeout=WAIT) as smtp:
        smtp.send_message(message)

    folder = up.data_dir / "surat"
    [path] = folder.glob("*-uji-server-surel-1@pbj.localhost.eml")
    kept = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert kept["Subject"] == "Uji Server Surel Lokal – Permohonan No. UJI-1"
    assert kept.get_content().strip() == "Pesan uji."
    with (folder / "indeks.csv").open(encoding="utf-8", newline="") as index:
        rows = [row for row in csv.DictReader(index) if row["berkas"] == path.name]
    assert [(r["message_id"], r["dari"], r["kepada"], r["subjek"]) for r in rows] == [
        (
            "<uji-server-surel-1@pbj.localhost>",
            "no-reply@pbj.localhost",
            "penerima.uji@contoh.go.id",
            "Uji Server Surel Lokal – Permohonan No. UJI-1",
        )
    ]


async def test_workers_run_sop_2_and_mail_the_form_link_into_the_folder(up: Up) -> None:
    """The workers inside `pbj up` use its store and mail server: a registration stored in the SQLite file and started
    over gRPC gets its pending account and its form e-mail (a file in the mail folder), then waits for the identity."""
    with Store.open(f"sqlite:///{up.data_dir.resolve() / 'pbj.sqlite3'}", migrate=False) as store:
        number = store.create_ppbj_registration(
            PersonData(name="Peserta Uji", email="peserta.uji@contoh.kalbarprov.go.id", whatsapp="0813-0000-9901")
        ).number
    channel = create_insecure_channel(grpc_address=f"127.0.0.1:{up.grpc_port}")
    try:
        created = await ZeebeClient(channel).run_process("pendaftaranAkunPpbj", {"nomorPendaftaran": number})
    finally:
        await channel.close(grace=None)
    pi = created.process_instance_key

    subject = f"Formulir Registrasi Akun Pengelola Pengadaan Barang/Jasa – Pendaftaran No. {number}"
    rows = await wait_for_index_row(up.data_dir / "surat" / "indeks.csv", subject)
    assert rows[0]["kepada"] == "peserta.uji@contoh.kalbarprov.go.id"
    assert (up.data_dir / "surat" / rows[0]["berkas"]).is_file()
    # the mail lands before the worker's CompleteJob reaches the engine: wait for the process to move on
    assert await waiting_at(up, pi) == ["IsiIdentitasPpbjReceiveTask"]
    # APP_URL follows the web application: the e-mail's link opens the identity form there
    message = email.message_from_bytes((up.data_dir / "surat" / rows[0]["berkas"]).read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    assert f"{up.web}/pendaftaran-ppbj?t=" in body.get_content()


def test_the_web_application_answers_at_its_address(up: Up) -> None:
    """The web application inside `pbj up` serves its home page and reports the store, the gateway and the REST API
    healthy."""
    with urllib.request.urlopen(up.web + "/", timeout=WAIT) as response:
        page = response.read().decode()
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert '<html lang="id">' in page and "Ajukan permohonan" in page
    with urllib.request.urlopen(up.web + "/sehat", timeout=WAIT) as response:
        assert json.loads(response.read()) == {
            "status": "baik",
            "basisData": "baik",
            "gatewayZeebe": "baik",
            "restApi": "baik",
        }


async def waiting_at(up: Up, pi: int) -> list[str]:
    """The receive tasks the instance waits at, once there is one (or [] when none came within WAIT)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + WAIT
    query = {"filter": {"processInstanceKey": str(pi), "state": "ACTIVE", "type": "RECEIVE_TASK"}}
    while True:
        found = await asyncio.to_thread(up.post, "/element-instances/search", query)
        ids = [e["elementId"] for e in found["items"]]
        if ids or loop.time() >= give_up:
            return ids
        await asyncio.sleep(0.05)


async def wait_for_index_row(index: Path, subject: str) -> list[dict[str, str]]:
    """The index rows with this subject, once there is one (the worker sends it on its own time)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + WAIT
    while not (rows := await asyncio.to_thread(index_rows, index, subject)):
        assert loop.time() < give_up, f"no e-mail {subject!r} in {index}"
        await asyncio.sleep(0.05)
    return rows


def index_rows(index: Path, subject: str) -> list[dict[str, str]]:
    """The rows of the mail index with this subject (none before the first message)."""
    if not index.exists():
        return []
    with index.open(encoding="utf-8", newline="") as file:
        return [row for row in csv.DictReader(file) if row["subjek"] == subject]


def test_sigterm_stops_everything_cleanly_with_exit_0(tmp_path: Path) -> None:
    """SIGTERM: the workers drain, the engine and the mail server stop, exit 0 without a traceback, and none of the
    three ports is left listening."""
    running = start_up(tmp_path / "data", tmp_path / "stderr.txt")
    code, rest = running.stop()
    assert code == 0
    assert rest.splitlines()[-1] == "Semua layanan dihentikan."
    assert "Traceback" not in (tmp_path / "stderr.txt").read_text()
    ports = (running.grpc_port, running.rest_port, running.smtp_port, running.web_port)
    assert all(can_bind(port) for port in ports)


def test_a_restart_continues_the_processes_without_new_versions(tmp_path: Path) -> None:
    """Started again on the same data directory after a stop, `pbj up` still has the instance started before (at the
    same step) and its unchanged diagrams keep version 1; a second `pbj up` on a directory in use is refused."""
    first = start_up(tmp_path / "data", tmp_path / "stderr.txt")
    try:
        channel = gateway_pb2_grpc.GatewayStub(grpc.insecure_channel(f"127.0.0.1:{first.grpc_port}"))
        variables = json.dumps({"nomorPermohonan": "UJI-1"})
        created = channel.CreateProcessInstance(
            gateway_pb2.CreateProcessInstanceRequest(
                bpmnProcessId="registrasiAdminPpe", version=-1, variables=variables
            )
        )
        ports = ["--port", str(free_port()), "--rest-port", str(free_port()), "--smtp-port", str(free_port())]
        ports += ["--web-port", str(free_port())]
        refused = run_up(tmp_path / "data", *ports)
        assert refused.returncode == 1
        assert "sedang dipakai oleh mesin proses lain" in refused.stderr
    finally:
        code, _ = first.stop()
    assert code == 0
    second = start_up(tmp_path / "data", tmp_path / "stderr2.txt")
    try:
        assert "pendaftaranAkunPpbj (versi 1), registrasiAdminPpe (versi 1)" in second.ready
        found = second.post("/process-instances/search", {"filter": {"processInstanceKey": created.processInstanceKey}})
        assert [item["processDefinitionId"] for item in found["items"]] == ["registrasiAdminPpe"]
    finally:
        code, _ = second.stop()
    assert code == 0


def test_with_credentials_its_own_workers_and_web_application_use_them(tmp_path: Path) -> None:
    """An engine that asks for credentials: `pbj up` gives its own clients the engine's API client – the web
    application's gateway and REST clients answer healthy, a deployed process is visible – whatever the shell says in
    CAMUNDA_BASIC_AUTH_* (meant for services elsewhere); a REST call without credentials is refused."""
    running = start_up(
        tmp_path / "data",
        tmp_path / "stderr.txt",
        PBJ_ENGINE_CLIENT_ID="pbj-up",
        PBJ_ENGINE_CLIENT_SECRET="rahasia-pbj-up",
        CAMUNDA_BASIC_AUTH_USERNAME="layanan-lain",
        CAMUNDA_BASIC_AUTH_PASSWORD="bukan-untuk-pbj-up",
    )
    try:
        assert "dengan autentikasi (klien API" in running.ready
        with urllib.request.urlopen(running.web + "/sehat", timeout=WAIT) as response:
            health = json.loads(response.read())
        assert (health["gatewayZeebe"], health["restApi"]) == ("baik", "baik")
        with pytest.raises(urllib.error.HTTPError) as refused:
            running.post("/process-definitions/search", {})
        assert refused.value.code == 401
    finally:
        code, _ = running.stop()
    assert code == 0
    assert "rahasia-pbj-up" not in running.ready + (tmp_path / "stderr.txt").read_text()


def test_port_in_use_exits_1_naming_it_and_starts_nothing(tmp_path: Path) -> None:
    """With the REST port taken, `pbj up` names the port and its option in Indonesian, exits 1, and has started
    nothing: the gRPC port is free, no data directory was made."""
    grpc_port, smtp_port = free_port(), free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        rest_port = taken.getsockname()[1]
        ports = ["--port", str(grpc_port), "--rest-port", str(rest_port), "--smtp-port", str(smtp_port)]
        ports += ["--web-port", str(free_port())]
        result = run_up(tmp_path / "data", *ports)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"pbj up tidak dapat dijalankan: Port {rest_port} untuk REST API di 127.0.0.1 sudah digunakan oleh program "
        "lain (mungkin pbj up atau pbj engine yang masih berjalan). Hentikan program tersebut atau pilih port lain "
        "dengan --rest-port. Tidak ada yang dijalankan."
    )
    assert result.stdout == ""
    assert can_bind(grpc_port) and can_bind(smtp_port)
    assert not (tmp_path / "data").exists()


def test_listening_beyond_loopback_without_credentials_starts_nothing(tmp_path: Path) -> None:
    """`pbj up --host 0.0.0.0` without PBJ_ENGINE_USERNAME/PASSWORD (or a client) says what to set and exits 2."""
    result = run_up(tmp_path / "data", "--host", "0.0.0.0", "--port", "0", "--rest-port", "0")
    assert result.returncode == 2
    assert "PBJ_ENGINE_USERNAME" in result.stderr
    assert "--tanpa-autentikasi" in result.stderr
    assert not (tmp_path / "data").exists()


def test_demo_runs_both_sops_to_their_ends_and_tells_the_mails_without_personal_data(tmp_path: Path) -> None:
    """`pbj up --demo` (free ports) completes with exit 0; its output names where each process waited, both SOPs' end
    events, the reminders and SLA notices by subject and recipient role, never a name, address, NIK or NIP; every
    e-mail it tells of is a file in `<PBJ_DATA_DIR>/demo/surat`."""
    result = run_up(tmp_path / "data", "--demo", timeout=WAIT * 2)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    summary = out[out.index("Ringkasan demo") :]
    assert summary.count("selesai di «Akun Admin PPE terdaftar» (AkunAdminPpeTerdaftarEndEvent)") == 3
    assert summary.count("selesai di «Akun PPBJ aktif» (AkunPpbjAktifEndEvent)") == 1
    for waiting in (
        "Menunggu di «Melengkapi kekurangan berkas» (LengkapiBerkasReceiveTask).",
        "Menunggu di «Mengisi identitas PPBJ» (IsiIdentitasPpbjReceiveTask).",
        "Menunggu di «Memeriksa informasi PPBJ» (PeriksaInformasiPpbjUserTask).",
    ):
        assert waiting in out
    for mail in (
        "Surel kepada Kepala LPSE: «Permintaan Kelengkapan Dokumen – Permohonan Akun Admin PPE No. ADM-",
        "Surel kepada Kepala LPSE: «[Pengingat] Kelengkapan Dokumen – Permohonan Akun Admin PPE No. ADM-",
        "Surel kepada PM Direktorat e-Procurement LKPP: «[Pengingat] Batas Waktu Tugas "
        '"Menerima dan memeriksa kelengkapan berkas"',
        "Surel kepada Admin PPE: «Akun Admin PPE Anda Telah Dibuat – Buat Kata Sandi Melalui Tautan Sekali Pakai",
        "Surel kepada PPBJ: «Verifikasi Data PPBJ Belum Dapat Disetujui – Mohon Perbaikan",
        'Surel kepada Admin PPE: «[Pengingat] Batas Waktu Tugas "Memeriksa informasi PPBJ"',
        "Surel kepada PPBJ: «Permintaan Surat Keputusan atau Surat Tugas – Pendaftaran Akun PPBJ No. PPBJ-",
        "Surel kepada PPBJ: «Akun Pengelola Pengadaan Barang/Jasa Anda Telah Aktif",
    ):
        assert mail in out
    assert "REST POST /v2/user-tasks/search" in out
    assert "Aktivasi akun: SiRUP ACTIVE, SPSE ACTIVE, SiPRAJA ACTIVE." in out
    leaked = [value for value in DEMO_PERSONAL_DATA if value in out or value in result.stderr]
    assert leaked == []
    mail_dir = tmp_path / "data" / "demo" / "surat"
    told = out.count("    Surel kepada ")
    assert len(list(mail_dir.glob("*.eml"))) == told
    assert f"{told} surel tersimpan di {mail_dir.resolve()}" in out
    assert out.splitlines()[-1] == "Semua layanan dihentikan."
