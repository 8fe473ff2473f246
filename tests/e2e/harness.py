"""The end-to-end harness: the whole system as it runs, driven from the outside.

The engine – the embedded one by default, Camunda 8.8 in Docker with `pytest --engine=zeebe` – serves the Zeebe
gateway gRPC port and the REST `/v2` port; the real job workers connect over gRPC; e-mail goes to a real SMTP
server on loopback that requires a login; the workers log JSON lines into a captured stream. The application's side
(creating instances over gRPC, publishing messages over REST), the Admin PPE's side (Tasklist: `/v2/user-tasks`),
the operator's side (Operate: `/v2/incidents`, job retries over gRPC) and every check of where an instance is or
what it holds (`/v2/process-instances`, `/v2/element-instances`, `/v2/variables`) go through the backend protocol
(tests/backends/backend.py), so the same tests run on both engines. The few checks only the embedded engine can make
(a job's retries and state, a job's error message) are marked with `SystemUnderTest.embedded_only(reason)`, which
on Camunda warns with the reason instead of checking. Builds on `tests/workers/harness.py` (the SMTP server,
realistic requests and documents, the worker, a single job delivery); see `tests/e2e/conftest.py` for the fixture.
"""

import base64
import io
import json
import re
import secrets
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import cache
from typing import Any

import grpc
import isodate
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from lxml import etree
from pyzeebe import ZeebeWorker

from engine.testing import EmbeddedEngine
from pbj.sample_documents import pdf_document
from tests.backends.backend import Backend
from tests.backends.instance import InstanceState
from tests.workers.harness import (
    ADMIN_EMAIL,
    ADMIN_NIK,
    ADMIN_NIP,
    ADMIN_WHATSAPP,
    BPMN_DIR,
    DOCUMENT_FILES,
    KEPALA_EMAIL,
    LPSE_ADMIN_EMAIL,
    OFFICE_MORNING,
    PM_LKPP_EMAIL,
    PPBJ_EMAIL,
    PPBJ_NIK,
    PPBJ_NIP,
    PPBJ_WHATSAPP,
    MailSink,
    deliver,
    fill_identity,
    identity_message,
    running_worker,
    seed_admin_ppe_request,
    seed_ppbj_registration,
    upload,
)
from workers.constants import Message, Performer
from workers.domain import DocumentType
from workers.links import review_link
from workers.services import Services

SOP1 = "registrasiAdminPpe"
SOP2 = "pendaftaranAkunPpbj"

START = OFFICE_MORNING
"""Where every test's engine clock starts: Monday, 08.00 WIB / 09.00 WITA."""
WIB = timedelta(hours=7)
WITA = timedelta(hours=8)

SMTP_USER = "robot-pbj"
SMTP_PASSWORD = secrets.token_urlsafe(16)  # fresh each run
NEW_PASSWORD = secrets.token_urlsafe(16)
WRONG_NIK = "6171011204850000"  # serial 0000
WRONG_NIP = "198504122010131003"  # month of appointment 13

SEEDED_NIKS = (ADMIN_NIK, PPBJ_NIK, WRONG_NIK)
SEEDED_NIPS = (ADMIN_NIP, PPBJ_NIP, PPBJ_NIP.replace(" ", ""), WRONG_NIP)
PASSWORDS = (
    SMTP_PASSWORD,
    base64.b64encode(SMTP_PASSWORD.encode()).decode(),  # AUTH LOGIN
    base64.b64encode(f"\0{SMTP_USER}\0{SMTP_PASSWORD}".encode()).decode(),  # AUTH PLAIN
    NEW_PASSWORD,
)
PERSONAL_DATA = (  # of the seeded people: e-mail addresses, WhatsApp numbers (as typed and normalised), names
    ADMIN_EMAIL,
    KEPALA_EMAIL,
    PPBJ_EMAIL,
    ADMIN_WHATSAPP,
    PPBJ_WHATSAPP,
    "+62" + ADMIN_WHATSAPP.replace("-", "")[1:],
    "+62" + PPBJ_WHATSAPP.replace("-", "")[1:],
    "Sari Wulandari",
    "Muhammad Ridwan",
    "Rudi Hartono",
)
TOKEN_IN_LINK = re.compile(r"[?&](?:t|token)=([A-Za-z0-9_-]{16,})")
ANY_TOKEN = re.compile(r"(?:token|[?&]t)=(?!\[disembunyikan\])[\"']?[A-Za-z0-9_-]{16,}", re.IGNORECASE)
NIK_SHAPED = re.compile(r"(?<!\d)(?:64|61)\d{14}(?!\d)")
SECRET_NAME = re.compile(r"pass|token|sandi|otp|secret|rahasia", re.IGNORECASE)

PERFORMER_ADDRESSES = {
    Performer.KEPALA_LPSE: KEPALA_EMAIL,
    Performer.PM_LKPP: PM_LKPP_EMAIL,
    Performer.PPBJ: PPBJ_EMAIL,
    Performer.ADMIN_PPE: LPSE_ADMIN_EMAIL,
}
"""Where the SLA reminder of each performer role goes: persons of the request from the store, staff from the
settings (`PM_LKPP_EMAIL`, `LPSE_ADMIN_PPE_EMAIL`, see `settings_environ`)."""

REVIEW_CHECKLIST = ("dokumen-terbaca", "identitas-sesuai", "penetapan-pengelola-pbj", "pejabat-berwenang")
REVIEWER = "admin.ppe.kalbar"


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    """The loopback SMTP server accepts exactly the workers' login."""
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def local_time(moment: datetime, zone: timedelta) -> str:
    """`pukul 08.15` as the e-mails write a time in a zone."""
    local = moment + zone
    return f"pukul {local.hour:02d}.{local.minute:02d}"


# --- the SLA timers of the diagrams ----------------------------------------------------------------------------

_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_ZEEBE = "{http://camunda.org/schema/zeebe/1.0}"


@dataclass(frozen=True)
class SlaTimer:
    """One `*SlaTimer` boundary event of a diagram, with what its output mappings set."""

    process_id: str
    timer_id: str
    step: str
    step_kind: str
    task_type: str | None
    """The job type of the service task doing the step: the step itself, or the one inside the step's sub-process."""
    duration: str
    outputs: Mapping[str, Any] = field(compare=False)
    job_elements: frozenset[str] = field(default=frozenset(), compare=False)
    """The service tasks doing the step: the step itself, or those inside the step's sub-process (SOP 2 row 7)."""

    @property
    def standard_time(self) -> timedelta:
        """The step's standard time (the literal ISO-8601 duration of the timer's output `slaBatasWaktu`), in working
        time: from a step reached at `START` it is also wall-clock time."""
        parsed = isodate.parse_duration(self.duration)
        assert isinstance(parsed, timedelta), self.duration
        return parsed

    @property
    def kegiatan(self) -> str:
        """The step's name as the reminder's subject shows it (`slaKegiatan`)."""
        return str(self.outputs["slaKegiatan"])

    @property
    def performer(self) -> Performer:
        """Who performs the step (`slaPelaksana`)."""
        return Performer(self.outputs["slaPelaksana"])


@cache
def sla_timers() -> tuple[SlaTimer, ...]:
    """Every `*SlaTimer` of every diagram in bpmn/, read from the files (a new timer is covered automatically)."""
    timers = []
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for process in root.iter(f"{_BPMN}process"):
            elements = {e.get("id"): e for e in process.iter() if isinstance(e.tag, str) and e.get("id")}
            for timer in process.iter(f"{_BPMN}boundaryEvent"):
                timer_id = str(timer.get("id"))
                if not timer_id.endswith("SlaTimer"):
                    continue
                step = elements[timer.get("attachedToRef")]
                doing = (
                    [step] if etree.QName(step).localname != "subProcess" else list(step.iter(f"{_BPMN}serviceTask"))
                )
                definitions = [t.find(f"{_BPMN}extensionElements/{_ZEEBE}taskDefinition") for t in doing]
                task_types = {d.get("type") for d in definitions if d is not None}
                assert len(task_types) <= 1, f"{timer_id}: the step's work has one job type, not {task_types}"
                outputs = {
                    str(o.get("target")): json.loads(str(o.get("source")).removeprefix("="))
                    for o in timer.iter(f"{_ZEEBE}output")
                }
                timers.append(
                    SlaTimer(
                        process_id=str(process.get("id")),
                        timer_id=timer_id,
                        step=str(step.get("id")),
                        step_kind=etree.QName(step).localname,
                        task_type=next(iter(task_types), None),
                        duration=str(outputs["slaBatasWaktu"]),
                        outputs=outputs,
                        job_elements=frozenset(
                            str(t.get("id")) for t, d in zip(doing, definitions, strict=True) if d is not None
                        ),
                    )
                )
    return tuple(timers)


@cache
def service_task_types() -> dict[str, str]:
    """The job type of every service task of the diagrams in bpmn/, by element id (ids are unique across both)."""
    types: dict[str, str] = {}
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        for task in etree.parse(str(path)).getroot().iter(f"{_BPMN}serviceTask"):
            definition = task.find(f"{_BPMN}extensionElements/{_ZEEBE}taskDefinition")
            if definition is not None:
                types[str(task.get("id"))] = str(definition.get("type"))
    return types


class EmbeddedOnlyCheck(UserWarning):
    """A check the end-to-end test makes on the embedded engine only, not made on this backend."""


# --- e-mails -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """One e-mail the SMTP server accepted: envelope recipients, subject (unfolded), plain text and HTML."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str

    @property
    def tokens(self) -> set[str]:
        """The tokens in the e-mail's links (one-time set-password tokens and applicants' access tokens)."""
        return set(TOKEN_IN_LINK.findall(self.text)) | set(TOKEN_IN_LINK.findall(self.html.replace("&amp;", "&")))


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return str(part.get_content()) if isinstance(part, EmailMessage) else ""


# --- the system ----------------------------------------------------------------------------------------------


@dataclass
class SystemUnderTest:
    """Everything of one end-to-end test: the engine behind the backend protocol, a gRPC channel to its gateway (for
    the workers), the workers' services, the SMTP server and the captured log."""

    backend: Backend
    channel: grpc.aio.Channel
    services: Services
    smtp: MailSink
    logs: io.StringIO
    references: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    instances: list[int] = field(default_factory=list)
    privacy_checked: bool = False
    served: frozenset[str] = frozenset()

    # --- plumbing ----------------------------------------------------------------------------------------------

    def embedded_only(self, reason: str) -> EmbeddedEngine | None:
        """The embedded engine, for a check only it can make; on another backend None, and a warning naming the
        check that is left out and why (pytest lists it in the summary)."""
        engine = self.backend.embedded
        if engine is None:
            warnings.warn(EmbeddedOnlyCheck(f"{self.backend.name}: not checked – {reason}"), stacklevel=2)
        return engine

    @asynccontextmanager
    async def workers(self, *, without: Iterable[str] = ()) -> AsyncIterator[ZeebeWorker]:
        """The real workers (all task types but those `without`) working over gRPC until the block ends; the block
        starts once the engine sees a poll for each of their task types (where the engine can tell)."""
        async with running_worker(self.channel, self.services, without=without) as worker:
            served = frozenset(task.type for task in worker.tasks)
            await self.backend.wait_for_workers(served)
            self.served = served
            try:
                yield worker
            finally:
                self.served = frozenset()

    async def settle(self) -> None:
        """Wait until the engine is idle and no job of a type the running workers serve is left waiting (a worker's
        next poll may reach the engine a moment after a job was created)."""
        await self.backend.wait_for_idle(served=self.served)

    async def rest(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """One call of the engine's REST API; the JSON answer (None for 204), any error status fails the test."""
        return await self.backend.rest(method, path, body)

    async def deploy(self) -> None:
        """Deploy the diagrams and the form over gRPC, as `pbj deploy` does."""
        await self.backend.deploy(BPMN_DIR)

    async def pin_clock(self, moment: datetime) -> None:
        """Pin the engine's (and so the workers') clock over REST `PUT /v2/clock`."""
        await self.backend.pin_clock(moment)

    @property
    def now(self) -> datetime:
        """The engine's time."""
        return self.backend.current_time

    async def advance(self, delta: timedelta) -> None:
        """Move the clock forward (what falls due fires) and wait until everything that follows is done."""
        await self.backend.increase_time(delta)
        await self.settle()

    async def instance(self, pi: int) -> InstanceState:
        """The instance as Operate's searches show it now, to assert on."""
        return await self.backend.instance(pi)

    async def path(self, pi: int) -> list[str]:
        """The elements the instance passed, gateways left out, in the order they were entered."""
        return [e for e in (await self.instance(pi)).passed_elements() if not e.endswith("Gateway")]

    async def variables(self, pi: int) -> dict[str, Any]:
        """The process instance's variables."""
        return await self.backend.variables(pi)

    # --- SOP 1: the application ---------------------------------------------------------------------------------

    async def submit_admin_ppe_request(self, *, without: Iterable[DocumentType] = ()) -> tuple[str, int]:
        """The Kepala LPSE submits an Admin PPE request (all four documents but those `without`); the application
        stores it and starts `registrasiAdminPpe` over gRPC."""
        request, references = seed_admin_ppe_request(self.services, without=without)
        self.references[request.number] = references
        pi = await self.backend.start_instance(
            SOP1, {"nomorPermohonan": request.number, "dokumenPermohonan": references}
        )
        self.instances.append(pi)
        self.services.store.set_process_instance_key(request.number, pi)
        return request.number, pi

    async def resubmit_files(self, number: str, documents: Mapping[DocumentType, bytes | None]) -> list[dict[str, Any]]:
        """The Kepala LPSE uploads these documents again (None: a good file); the application publishes
        `berkas-dilengkapi` over REST with the whole set of references."""
        kept = [r for r in self.references[number] if DocumentType(r["jenis"]) not in documents]
        fresh = [upload(self.services, number, kind, content) for kind, content in documents.items()]
        order = list(DOCUMENT_FILES)
        references = sorted([*kept, *fresh], key=lambda r: order.index(DocumentType(r["jenis"])))
        self.references[number] = references
        await self.publish(Message.BERKAS_DILENGKAPI, number, {"dokumenPermohonan": references})
        return references

    async def set_password(self, token: str, password: str = NEW_PASSWORD) -> str:
        """The account holder opens the one-time link and chooses a password; the account id."""
        account = await self.services.provisioning.consume_set_password_token(token, password)
        return account.account_id

    # --- SOP 2: the application ---------------------------------------------------------------------------------

    async def register_ppbj(self) -> tuple[str, int]:
        """A PPBJ registers (name, e-mail, WhatsApp); the application starts `pendaftaranAkunPpbj` over gRPC."""
        number = seed_ppbj_registration(self.services).number
        pi = await self.backend.start_instance(SOP2, {"nomorPendaftaran": number})
        self.instances.append(pi)
        self.services.store.set_process_instance_key(number, pi)
        return number, pi

    async def submit_identity(self, number: str, *, nik: str = PPBJ_NIK, nip: str = PPBJ_NIP) -> None:
        """The PPBJ fills in the registration form; the application publishes `identitas-ppbj-diisi` (masked NIK
        and reference only)."""
        person = fill_identity(self.services, number, nik=nik, nip=nip)
        await self.publish(Message.IDENTITAS_PPBJ_DIISI, number, identity_message(person))

    async def submit_appointment(
        self, number: str, kind: DocumentType = DocumentType.SK, title: str = "SK Penetapan Pengelola PBJ"
    ) -> dict[str, Any]:
        """The PPBJ uploads an SK or a Surat Tugas; the application publishes `informasi-ppbj-dilengkapi`."""
        record = self.services.documents.put(
            number,
            kind,
            file_name=f"{kind.value}-{number}.pdf",
            media_type="application/pdf",
            content=pdf_document(title),
        )
        payload = {
            "dokumenPenetapan": record.as_variable(),
            "tautanPemeriksaan": review_link(self.services.settings, number),
        }
        await self.publish(Message.INFORMASI_PPBJ_DILENGKAPI, number, payload)
        return payload

    async def publish(self, name: str, correlation_key: str, variables: Mapping[str, Any]) -> None:
        """Publish a message over REST `POST /v2/messages/publication`."""
        await self.backend.publish_message(name, correlation_key, variables)

    # --- the Admin PPE: Tasklist over REST ----------------------------------------------------------------------

    async def review_task(self, pi: int) -> dict[str, Any]:
        """The one open user task of candidate group `admin-ppe` of this instance (`POST /v2/user-tasks/search`)."""
        items = await self.backend.search_user_tasks(
            candidateGroup="admin-ppe", state="CREATED", processInstanceKey=str(pi)
        )
        assert len(items) == 1, items
        return items[0]

    async def user_tasks(self, pi: int) -> list[dict[str, Any]]:
        """Every user task of this instance, open or done (`POST /v2/user-tasks/search`)."""
        return await self.backend.search_user_tasks(processInstanceKey=str(pi))

    async def review(
        self, pi: int, hasil: str, *, catatan: str | None = None, butir: Sequence[str] = REVIEW_CHECKLIST
    ) -> dict[str, Any]:
        """The Admin PPE claims the review task and completes it with the form's fields; the task as found."""
        task = await self.review_task(pi)
        key = task["userTaskKey"]
        fields = _form_fields(await self.backend.user_task_form(key))
        variables: dict[str, Any] = {"hasilPemeriksaan": hasil, "butirPemeriksaan": list(butir)}
        if catatan is not None:
            variables["catatanPemeriksaan"] = catatan
        assert set(variables) <= fields, f"not fields of the form: {set(variables) - fields}"
        await self.backend.assign_user_task(key, REVIEWER)
        await self.backend.complete_user_task(key, variables)
        return task

    # --- the operator: Operate over REST, job retries over gRPC ------------------------------------------------------

    async def incidents(self, pi: int) -> list[dict[str, Any]]:
        """The instance's active incidents (`POST /v2/incidents/search`)."""
        return await self.backend.search_incidents(processInstanceKey=str(pi), state="ACTIVE")

    async def retry_and_resolve(self, incident: Mapping[str, Any]) -> None:
        """What the operator does once the cause is fixed: one more retry for the job (gRPC `UpdateJobRetries`),
        then `POST /v2/incidents/{key}/resolution`."""
        await self.backend.resolve_incident(incident)

    # --- driving an instance along its route --------------------------------------------------------------------

    async def drive(self, pi: int, *, until: str | None = None, held: str | None = None) -> None:
        """Let the instance run, doing the outside people's part whenever it waits for them (complete files, the
        identity, the SK, a positive review), until it waits at `until` or, without `until`, completes. Jobs of
        type `held` (whose worker is stopped) at other steps are handled one by one by the real handler."""
        answers: dict[str, Callable[[int], Awaitable[Any]]] = {
            "LengkapiBerkasReceiveTask": self._complete_missing_files,
            "IsiIdentitasPpbjReceiveTask": self._submit_identity_of,
            "LengkapiInformasiPpbjReceiveTask": self._submit_appointment_of,
            "PeriksaInformasiPpbjUserTask": lambda p: self.review(p, "lengkap"),
        }
        held_at = {element for element, task_type in service_task_types().items() if task_type == held}
        for _ in range(40):
            await self.settle()
            state = await self.instance(pi)
            waiting = state.active_elements()
            if until is not None and until in waiting:
                return
            if state.state == "COMPLETED":
                assert until is None, f"instance {pi} completed without reaching {until}"
                return
            answer = next((answers[e] for e in waiting if e in answers), None)
            if answer is not None:
                await answer(pi)
                continue
            if held is not None and held_at & set(waiting):
                await deliver(self.channel, self.services, held)
                continue
            state.has_no_incidents()
            raise AssertionError(f"nothing moves instance {pi} on: it waits at {waiting}")
        raise AssertionError(f"instance {pi} did not get to {until or 'its end'}")

    async def _complete_missing_files(self, pi: int) -> None:
        variables = await self.variables(pi)
        missing = {DocumentType(s["dokumen"]): None for s in variables["kekuranganBerkas"]}
        await self.resubmit_files(variables["nomorPermohonan"], missing)

    async def _submit_identity_of(self, pi: int) -> None:
        await self.submit_identity((await self.variables(pi))["nomorPendaftaran"])

    async def _submit_appointment_of(self, pi: int) -> None:
        await self.submit_appointment((await self.variables(pi))["nomorPendaftaran"])

    # --- e-mails -----------------------------------------------------------------------------------------------------

    def mails(self) -> list[Mail]:
        """Every e-mail the SMTP server accepted, in order."""
        return [
            Mail(
                to=tuple(envelope.rcpt_tos),
                subject=" ".join(str(message["Subject"]).split()),
                text=_part(message, "plain"),
                html=_part(message, "html"),
            )
            for message, envelope in zip(self.smtp.messages(), self.smtp.envelopes, strict=True)
        ]

    def mails_to(self, address: str) -> list[Mail]:
        """The e-mails delivered to `address`."""
        return [m for m in self.mails() if address in m.to]

    # --- privacy -----------------------------------------------------------------------------------------------------

    async def assert_privacy(self) -> None:
        """No full NIK, password or set-password token in any variable of any scope, captured log line, e-mail,
        job or incident message, or in what Operate and Tasklist read over REST; no NIP, name, e-mail address, WhatsApp
        number or token of any kind in a variable, a log line, such a message or answer; every token read from an
        e-mail's link is in that one e-mail and nowhere else."""
        mails = self.mails()
        tokens = sorted({token for mail in mails for token in mail.tokens})
        for token in tokens:
            holders = [m.subject for m in mails if token in m.text or token in m.html]
            assert len(holders) == 1, f"a one-time token in {len(holders)} e-mails: {holders}"

        variables = [
            (v["scopeKey"], v["name"], json.loads(v["value"]))
            for pi in self.instances
            for v in await self.backend.search_variables(processInstanceKey=str(pi))
        ]
        assert variables, "no variables to scan"
        for _scope, name, _value in variables:
            assert not SECRET_NAME.search(name), f"a variable named like a secret: {name}"
        lines = self.logs.getvalue().splitlines()
        assert any('"event": "E-mail terkirim"' in line or "Got job" in line for line in lines), "no worker log"
        for line in lines:
            json.loads(line)  # the workers log JSON lines
        incidents = [
            i for pi in self.instances for i in await self.backend.search_incidents(processInstanceKey=str(pi))
        ]
        monitoring = [
            await self.rest("POST", "/v2/process-instances/search", {"page": {"limit": 1000}}),
            await self.rest("POST", "/v2/incidents/search", {"page": {"limit": 1000}}),
            await self.rest("POST", "/v2/user-tasks/search", {"page": {"limit": 1000}}),
        ]
        for pi in self.instances:
            for task in await self.user_tasks(pi):
                monitoring.append(await self.backend.user_task_variables(task["userTaskKey"]))
        engine = self.embedded_only("the error messages of failed jobs that did not end in an incident")
        jobs = engine.jobs() if engine is not None else []

        places: list[tuple[str, str, bool]] = [  # (where, text, whether NIPs and addresses are forbidden there)
            *((f"variable {name} of scope {scope}", _json(value), True) for scope, name, value in variables),
            *((f"log line {number}", line, True) for number, line in enumerate(lines, start=1)),
            *((f"REST answer {number}", _json(answer), True) for number, answer in enumerate(monitoring)),
            *((f"job {j.key} error", j.error_message or "", True) for j in jobs),
            *((f"incident {i['incidentKey']}", i["errorMessage"] or "", True) for i in incidents),
            *((f"e-mail {m.subject!r}", f"{m.subject}\n{m.text}\n{m.html}", False) for m in mails),
        ]
        for where, text, strict in places:
            for nik in SEEDED_NIKS:
                assert nik not in text, f"a full NIK in {where}"
            for password in PASSWORDS:
                assert password not in text, f"a password in {where}"
            if strict:
                assert not NIK_SHAPED.search(text), f"a NIK-shaped number in {where}"
                for nip in SEEDED_NIPS:
                    assert nip not in text, f"a NIP in {where}"
                for personal in PERSONAL_DATA:
                    assert personal not in text, f"personal data ({personal}) in {where}"
                assert not ANY_TOKEN.search(text), f"a token in {where}"
                for token in tokens:
                    assert token not in text, f"a one-time token in {where}"
        self.privacy_checked = True


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _form_fields(form: Mapping[str, Any]) -> set[str]:
    """The keys of a linked form's fields, from `GET /v2/user-tasks/{key}/form` (the schema is a JSON string)."""
    schema = form["schema"]
    return {str(c["key"]) for c in _components(json.loads(schema) if isinstance(schema, str) else schema) if "key" in c}


def _components(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every component of a form schema, nested ones included."""
    found: list[Mapping[str, Any]] = []
    for component in schema.get("components", []):
        found.append(component)
        found.extend(_components(component))
    return found
