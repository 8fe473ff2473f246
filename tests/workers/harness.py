"""Helpers of the worker tests: a loopback SMTP server that keeps every message, realistic requests in the store,
documents with real file signatures, the worker running against the embedded engine, and a job delivery whose
completion is lost (a worker that dies right after its side effects)."""

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import grpc
from aiosmtpd.smtp import SMTP, Envelope, Session
from pyzeebe import Job, JobController, ZeebeWorker
from pyzeebe.grpc_internals.zeebe_adapter import ZeebeAdapter
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from engine.testing import EmbeddedEngine
from engine.testing.embedded import POLL_GRACE_SECONDS
from pbj.sample_documents import pdf_document, png_image
from tests.suite_logging import log_warnings_to_stderr
from workers.constants import TaskType
from workers.domain import AdminPpeRequestData, DocumentType, PersonData, PpbjIdentityData
from workers.links import review_link
from workers.logging import configure_logging
from workers.services import Services
from workers.store import PersonRecord, RequestRecord
from workers.worker import create_worker

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"

OFFICE_MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
"""Where the engine clock of every test running the SOP diagrams stands: Monday 2 March 2026, 09.00 WITA / 08.00 WIB –
inside office hours in both provinces, with no national holiday or cuti bersama in the two weeks after it (the next
is Nyepi's on 18 March). The SOPs' standard times count working time, so a test must not depend on the real time of
day it runs at."""

ADMIN_NIK = "6471014505900001"
ADMIN_NIP = "199005052015032001"
ADMIN_EMAIL = "sari.wulandari@kaltimprov.go.id"
ADMIN_WHATSAPP = "0812-3456-7890"
KEPALA_EMAIL = "muhammad.ridwan@kaltimprov.go.id"
PPBJ_NIK = "6171011204850003"
PPBJ_NIP = "19850412 201001 1 003"
PPBJ_EMAIL = "rudi.hartono@kalbarprov.go.id"
PPBJ_WHATSAPP = "0813-5200-1234"
PM_LKPP_EMAIL = "pm.eproc@lkpp.go.id"
LPSE_ADMIN_EMAIL = "admin.ppe@kalbarprov.go.id"
BUREAU_HEAD_EMAIL = "kepala.biro.pbj@kaltimprov.go.id"


# --- SMTP ------------------------------------------------------------------------------------------------------


@dataclass
class MailSink:
    """An aiosmtpd server on loopback keeping every accepted message; it can be stopped and started again on the
    same port, and told to hold DATA until released (a slow server)."""

    options: dict[str, Any] = field(default_factory=dict)
    port: int = 0
    envelopes: list[Envelope] = field(default_factory=list)
    hold: asyncio.Event | None = None
    receiving: asyncio.Event = field(default_factory=asyncio.Event)
    refuse: set[str] = field(default_factory=set)
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen (again) on 127.0.0.1, on the same port as before if there was one."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="localhost", **self.options), host="127.0.0.1", port=self.port
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening: connections are refused until `start()`."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        """Accept the recipient, or refuse it for now when it is in `refuse` (a full mailbox, greylisting)."""
        if address in self.refuse:
            return "451 4.2.2 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Keep the message (after the hold, if any, is released)."""
        self.receiving.set()
        if self.hold is not None:
            await self.hold.wait()
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        """Every received message, parsed."""
        parsed = []
        for envelope in self.envelopes:
            content = envelope.content
            assert isinstance(content, bytes)
            message = message_from_bytes(content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed

    def subjects(self) -> list[str]:
        """The subjects of the received messages, in order."""
        return [str(message["Subject"]) for message in self.messages()]

    def to(self, address: str) -> list[EmailMessage]:
        """The messages delivered to `address`."""
        return [m for m, e in zip(self.messages(), self.envelopes, strict=True) if address in e.rcpt_tos]

    def raw(self) -> str:
        """Every received message as one text (headers and bodies)."""
        return "\n".join(
            e.content.decode("utf-8", "replace") if isinstance(e.content, bytes) else str(e.content)
            for e in self.envelopes
        )


def text_of(message: EmailMessage) -> str:
    """The plain-text part of a received message."""
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def settings_environ(data_dir: Path, database_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    """The environment of the worker tests: the loopback SMTP server, a small document limit, staff addresses."""
    return {
        "PBJ_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_TIMEOUT": "5",
        "MAIL_FROM": "Biro Pengadaan Barang/Jasa Setda Provinsi Kalimantan Timur <no-reply@kaltimprov.go.id>",
        "APP_URL": "https://pbj.kaltimprov.go.id",
        "SPSE_LOGIN_URL": "https://spse.inaproc.id/kaltimprov",
        "PM_LKPP_EMAIL": f"PM Direktorat e-Procurement LKPP <{PM_LKPP_EMAIL}>",
        "LPSE_ADMIN_PPE_EMAIL": LPSE_ADMIN_EMAIL,
        "DOCUMENT_MAX_SIZE": "1MiB",
        **extra,
    }


# --- documents -------------------------------------------------------------------------------------------------


DOCUMENT_FILES: dict[DocumentType, tuple[str, str]] = {
    DocumentType.SK_PEMBENTUKAN_LPSE: ("SK-Gubernur-Pembentukan-LPSE-2023.pdf", "application/pdf"),
    DocumentType.PROFIL_LPSE: ("Profil-LPSE-Kaltim.pdf", "application/pdf"),
    DocumentType.DATA_PERSONIL_ADMIN_PPE: ("Data-Personil-Admin-PPE.pdf", "application/pdf"),
    DocumentType.KTP_ADMIN_PPE: ("KTP-Admin-PPE.png", "image/png"),
}


def upload(
    services: Services, number: str, document_type: DocumentType, content: bytes | None = None
) -> dict[str, Any]:
    """Store one document of the request as the application would; its reference as the diagrams carry it."""
    file_name, media_type = DOCUMENT_FILES[document_type]
    if content is None:
        content = png_image() if media_type == "image/png" else pdf_document(document_type.label)
    record = services.documents.put(number, document_type, file_name=file_name, media_type=media_type, content=content)
    return record.as_variable()


# --- requests --------------------------------------------------------------------------------------------------


def seed_admin_ppe_request(
    services: Services, *, without: Iterable[DocumentType] = (), **admin: Any
) -> tuple[RequestRecord, list[dict[str, Any]]]:
    """An SOP 1 request of LPSE Kalimantan Timur with its documents (but those `without`) and their references."""
    admin_data = {
        "name": "Sari Wulandari, S.Kom.",
        "email": ADMIN_EMAIL,
        "whatsapp": ADMIN_WHATSAPP,
        "nik": ADMIN_NIK,
        "nip": ADMIN_NIP,
        "institution": "Biro Pengadaan Barang/Jasa Setda Provinsi Kalimantan Timur",
        "position": "Pranata Komputer Ahli Pertama",
        **admin,
    }
    request = services.store.create_admin_ppe_request(
        AdminPpeRequestData(
            lpse_name="LPSE Provinsi Kalimantan Timur",
            kepala_lpse=PersonData(name="Dr. H. Muhammad Ridwan, M.Si.", email=KEPALA_EMAIL),
            admin_ppe=PersonData(**admin_data),
        )
    )
    skipped = set(without)
    references = [
        upload(services, request.number, document_type)
        for document_type in DOCUMENT_FILES
        if document_type not in skipped
    ]
    return request, references


def seed_ppbj_registration(
    services: Services, *, email: str = PPBJ_EMAIL, whatsapp: str = PPBJ_WHATSAPP
) -> RequestRecord:
    """An SOP 2 registration in Kalimantan Barat (name, e-mail and WhatsApp number)."""
    return services.store.create_ppbj_registration(
        PersonData(name="Rudi Hartono, S.E.", email=email, whatsapp=whatsapp)
    )


def fill_identity(services: Services, number: str, *, nik: str = PPBJ_NIK, nip: str = PPBJ_NIP) -> PersonRecord:
    """The PPBJ fills in the registration form (SOP 2 row 3)."""
    return services.store.update_ppbj_identity(
        number,
        PpbjIdentityData(
            nik=nik,
            nip=nip,
            institution="Biro Pengadaan Barang/Jasa Setda Provinsi Kalimantan Barat",
            position="Pengelola Pengadaan Barang/Jasa Ahli Pertama",
        ),
    )


def identity_message(person: PersonRecord) -> dict[str, Any]:
    """The `identitas-ppbj-diisi` payload: the masked NIK and the reference, never the NIK."""
    return {"nikTersamar": person.nik_masked, "identitasRef": person.ref}


# --- running the workers -------------------------------------------------------------------------------------------


@asynccontextmanager
async def running_worker(
    channel: grpc.aio.Channel, services: Services, *, without: Iterable[str] = ()
) -> AsyncIterator[ZeebeWorker]:
    """The real worker (every router, or all but the task types `without`) working until the block ends.

    With an embedded engine under test (see `watch_engine`), the block starts only once the engine has seen a poll
    for every task type the worker serves: until then `wait_for_idle` could not know a worker is coming. Inside the
    block the engine counts those types as served (`EmbeddedEngine.workers_running`), so `wait_for_idle` waits for
    their jobs even when a loaded machine leaves a gap between two polls."""
    worker = create_worker(channel, services, name="pekerja-uji")
    for task_type in without:
        worker.remove_task(task_type)
    work = asyncio.create_task(worker.work())
    engine = _watched_engine
    served = {task.type for task in worker.tasks}
    try:
        if engine is not None:
            await _until_polled(engine, served)
            engine.workers_running |= served
        yield worker
    finally:
        if engine is not None:
            engine.workers_running -= served
        await asyncio.wait_for(worker.stop(), timeout=10)
        await asyncio.wait_for(work, timeout=10)


_watched_engine: EmbeddedEngine | None = None


def watch_engine(engine: EmbeddedEngine | None) -> None:
    """Names the embedded engine of the running test (None: none), for `running_worker` to wait on."""
    global _watched_engine  # noqa: PLW0603 - one engine per test, set and cleared by a fixture
    _watched_engine = engine


DEADLINES_ONLY = tuple(t.value for t in TaskType if t is not TaskType.HITUNG_BATAS_WAKTU_SLA)
"""`running_worker(..., without=DEADLINES_ONLY)`: only the timed steps' start listener, their working-time deadline."""


def at_office_morning(engine: EmbeddedEngine) -> EmbeddedEngine:
    """The engine with its clock pinned at `OFFICE_MORNING` (a test may pin it elsewhere, or move it on)."""
    engine.engine.clock.pin(OFFICE_MORNING)
    return engine


async def _until_polled(engine: EmbeddedEngine, task_types: set[str], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not task_types <= engine.engine.job_types_with_workers(POLL_GRACE_SECONDS):
        if loop.time() >= give_up:
            raise TimeoutError(f"the worker did not poll {sorted(task_types)} within {timeout} s")
        await asyncio.sleep(0.005)


class LostCompletion(JobController):
    """A job controller whose CompleteJob never reaches the gateway: the worker died right after the handler."""

    lost: dict[str, Any] | None = None

    async def set_success_status(self, variables: Mapping[str, Any] | None = None) -> None:
        """Drop the completion (the process was killed before sending it)."""
        self.lost = dict(variables or {})


async def _activate_one(channel: grpc.aio.Channel, services: Services, job_type: str, name: str) -> tuple[Job, Any]:
    worker = create_worker(channel, services, name=name)
    task = worker.get_task(job_type)
    adapter = ZeebeAdapter(channel)
    jobs = [
        job
        async for job in adapter.activate_jobs(
            task_type=job_type,
            worker=worker.name,
            timeout=task.config.timeout_ms,
            max_jobs_to_activate=1,
            variables_to_fetch=task.config.variables_to_fetch or [],
            request_timeout=2000,
        )
    ]
    assert len(jobs) == 1, f"expected one {job_type} job, got {len(jobs)}"
    return jobs[0], (task, adapter)


async def deliver_and_die(channel: grpc.aio.Channel, services: Services, job_type: str) -> tuple[Job, LostCompletion]:
    """Activate one job over gRPC as a worker does and run the worker's own handler on it; its completion is lost."""
    job, (task, adapter) = await _activate_one(channel, services, job_type, "pekerja-yang-mati")
    controller = LostCompletion(job, adapter)
    await task.job_handler(job, controller)
    assert controller.lost is not None, "the handler failed instead of finishing its side effects"
    return job, controller


async def deliver(channel: grpc.aio.Channel, services: Services, job_type: str) -> Job:
    """Activate one job over gRPC and handle it exactly as the worker's executor does (completion included)."""
    job, (task, adapter) = await _activate_one(channel, services, job_type, "pekerja-pengganti")
    await task.job_handler(job, JobController(job, adapter))
    return job


async def resolve_incident_with_retries(channel: grpc.aio.Channel, job_key: int, incident_key: int) -> None:
    """What an operator does in Operate: give the job a retry and resolve the incident."""
    gateway: Any = GatewayStub(channel)
    await gateway.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=job_key, retries=1))
    await gateway.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=incident_key))


# --- SOP 2: the application's side --------------------------------------------------------------------------------


async def complete_review(rest_url: str, process_instance_key: int, variables: dict[str, Any]) -> None:
    """The Admin PPE completes `PeriksaInformasiPpbjUserTask` through the Orchestration Cluster REST API."""
    async with aiohttp.ClientSession() as session:
        search = {"filter": {"processInstanceKey": str(process_instance_key), "state": "CREATED"}}
        async with session.post(f"{rest_url}/v2/user-tasks/search", json=search) as response:
            response.raise_for_status()
            [task] = (await response.json())["items"]
        assert task["elementId"] == "PeriksaInformasiPpbjUserTask"
        async with session.post(
            f"{rest_url}/v2/user-tasks/{task['userTaskKey']}/completion", json={"variables": variables}
        ) as response:
            response.raise_for_status()


def appointment_message(services: Services, number: str) -> dict[str, Any]:
    """The `informasi-ppbj-dilengkapi` payload after the PPBJ uploaded an SK (references and a review link only)."""
    record = services.documents.put(
        number,
        DocumentType.SK,
        file_name="SK-Penetapan-Pengelola-PBJ.pdf",
        media_type="application/pdf",
        content=pdf_document("SK Penetapan Pengelola Pengadaan Barang/Jasa"),
    )
    return {
        "dokumenPenetapan": record.as_variable(),
        "tautanPemeriksaan": review_link(services.settings, number),
    }


@contextmanager
def capture_logs(level: str = "DEBUG") -> Iterator[io.StringIO]:
    """Everything the workers (and the web application) log from `level` up, as the service writes it (JSON lines);
    afterwards the suite's logging again (`log_warnings_to_stderr`), not structlog's defaults – those print every
    event on stdout, where a later test of a `pbj` command reads the command's output."""
    buffer = io.StringIO()
    configure_logging(level, "json", buffer)
    smtp_server_log = logging.getLogger("mail.log")  # the test's SMTP server, not the workers
    smtp_server_log.setLevel(logging.WARNING)
    try:
        yield buffer
    finally:
        smtp_server_log.setLevel(logging.NOTSET)
        log_warnings_to_stderr()
