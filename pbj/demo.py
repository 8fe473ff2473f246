"""`pbj up --demo`: a short scripted run of both SOPs on the local stack of `pbj up`, told step by step.

The script plays the application and the people around the processes – it stores fictitious requests and documents
in the application store, starts instances and publishes messages over the Zeebe gateway gRPC API, completes the Admin
PPE's check through the REST `/v2/user-tasks` API – and moves the engine's controlled clock forward instead of
waiting: three days for a reminder, minutes for a breached standard time. The real workers do every service task and
send every e-mail to the local mail server. What it prints names processes, steps, request numbers, subjects and
recipient *roles*, never a name, address, NIK or NIP (the people below are made up; `DEMO_PERSONAL_DATA` lists what
must never appear).

Scenario:
  SOP 1 (registrasiAdminPpe): [1] complete files at once; [2] the KTP missing, a reminder after three days, then
  completed; [3] the workers stopped for maintenance while a request arrives: row 2 overruns its 10 minutes – its
  deadline is computed when the workers are back, already past, so the timer fires at once –, the PM is reminded, and
  the request goes through.
  SOP 2 (pendaftaranAkunPpbj): [4] an identity with a wrong NIK is corrected, the appointment letter uploaded, the
  Admin PPE's check overruns its 15 minutes (reminder), then is completed through REST and the account is activated
  on SiRUP, SPSE and SiPRAJA.

The standard times count working time (docs/processes-design.md), so before cases 3 and 4 the clock is moved to
09.00 WITA (08.00 WIB) of the next day both provinces work, unless it is already within such a morning.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import TYPE_CHECKING, Any

import aiohttp
from pyzeebe import ZeebeClient
from sqlalchemy import select

from engine.embedded import POLL_GRACE_SECONDS
from engine.state import IncidentState
from pbj.sample_documents import pdf_document, png_image
from workers.constants import SIDE_END_EVENTS, Message
from workers.domain import WITA, AdminPpeRequestData, DocumentType, PersonData, PpbjIdentityData, RequestKind
from workers.links import review_link
from workers.services import Services
from workers.store.models import MailLog

if TYPE_CHECKING:
    from pbj.up import LocalStack

SOP1 = "registrasiAdminPpe"
SOP2 = "pendaftaranAkunPpbj"
SOP_NAMES = {SOP1: "SOP 1 – Registrasi Admin PPE", SOP2: "SOP 2 – Pendaftaran Akun PPBJ"}
SETTLE_TIMEOUT = 30.0
ROLE_LABELS = {
    "kepala-lpse": "Kepala LPSE",
    "admin-ppe": "Admin PPE",
    "ppbj": "PPBJ",
    "pm-lkpp": "PM Direktorat e-Procurement LKPP",
    "kepala-biro": "Kepala Biro Pengadaan Barang/Jasa",
}
CHECKLIST = ["dokumen-terbaca", "identitas-sesuai", "penetapan-pengelola-pbj", "pejabat-berwenang"]
MORNING = (clock_time(9, 0), clock_time(12, 0))
"""The working morning (WITA) the SLA cases run in: office hours in both provinces (08.00–11.00 WIB)."""


class DemoError(Exception):
    """The scenario did not go as scripted (the message says where)."""


# --- fictitious people -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SopOneRequest:
    """An LPSE of Kalimantan Timur asking for an Admin PPE account (made-up people, well-formed identifiers)."""

    lpse: str
    kepala: PersonData
    admin: PersonData


SOP1_REQUESTS = (
    SopOneRequest(
        "LPSE Kabupaten Kutai Kartanegara",
        PersonData(name="Ir. Bambang Sutrisno, M.T.", email="bambang.sutrisno@contoh.kukarkab.go.id"),
        PersonData(
            name="Dewi Lestari, S.Kom.",
            email="dewi.lestari@contoh.kukarkab.go.id",
            whatsapp="0812-0000-1101",
            nik="6402015708920002",
            nip="19920817 201801 2 001",
            institution="LPSE Kabupaten Kutai Kartanegara",
            position="Pranata Komputer Ahli Pertama",
        ),
    ),
    SopOneRequest(
        "LPSE Kota Samarinda",
        PersonData(name="Drs. Hendra Wijaya, M.M.", email="hendra.wijaya@contoh.samarindakota.go.id"),
        PersonData(
            name="Andi Pratama, S.T.",
            email="andi.pratama@contoh.samarindakota.go.id",
            whatsapp="0812-0000-1102",
            nik="6472011203900003",
            nip="19900312 201503 1 002",
            institution="LPSE Kota Samarinda",
            position="Pranata Komputer Ahli Muda",
        ),
    ),
    SopOneRequest(
        "LPSE Kota Balikpapan",
        PersonData(name="Hj. Rahmawati, S.E., M.Si.", email="rahmawati@contoh.balikpapan.go.id"),
        PersonData(
            name="Yusuf Hidayat, S.Kom.",
            email="yusuf.hidayat@contoh.balikpapan.go.id",
            whatsapp="0812-0000-1103",
            nik="6471012511910004",
            nip="19911125 201903 1 003",
            institution="LPSE Kota Balikpapan",
            position="Pranata Komputer Ahli Pertama",
        ),
    ),
)
PPBJ = PersonData(name="Siti Aminah, S.E.", email="siti.aminah@contoh.kalbarprov.go.id", whatsapp="0813-0000-2201")
PPBJ_IDENTITY = PpbjIdentityData(
    nik="6171024506880005",
    nip="19880605 201212 2 002",
    institution="Biro Pengadaan Barang/Jasa Setda Provinsi Kalimantan Barat",
    position="Pengelola Pengadaan Barang/Jasa Ahli Pertama",
)
PPBJ_WRONG_NIK = "6171024506880000"  # serial 0000: never issued

DEMO_PERSONAL_DATA: tuple[str, ...] = tuple(
    value
    for value in (
        *(
            field
            for request in SOP1_REQUESTS
            for person in (request.kepala, request.admin)
            for field in (person.name, person.email, person.whatsapp, person.nik, person.nip)
        ),
        PPBJ.name,
        PPBJ.email,
        PPBJ.whatsapp,
        PPBJ_IDENTITY.nik,
        PPBJ_IDENTITY.nip,
        PPBJ_WRONG_NIK,
    )
    if value
)
"""Every name, address, phone number, NIK and NIP the demo stores: none of them is ever printed."""


# --- documents with real file signatures -------------------------------------------------------------------------


DOCUMENT_FILES = {
    DocumentType.SK_PEMBENTUKAN_LPSE: ("SK-Pembentukan-LPSE.pdf", "application/pdf"),
    DocumentType.PROFIL_LPSE: ("Profil-LPSE.pdf", "application/pdf"),
    DocumentType.DATA_PERSONIL_ADMIN_PPE: ("Data-Personil-Admin-PPE.pdf", "application/pdf"),
    DocumentType.KTP_ADMIN_PPE: ("KTP-Admin-PPE.png", "image/png"),
    DocumentType.SK: ("SK-Penetapan-Pengelola-PBJ.pdf", "application/pdf"),
}


# --- the script ----------------------------------------------------------------------------------------------------


class Demo:
    """Runs the scenario on a started `LocalStack` and tells `out` what happens."""

    client: ZeebeClient
    http: aiohttp.ClientSession

    def __init__(self, stack: "LocalStack", out: Callable[[str], None]) -> None:
        """Nothing happens until `run()`."""
        if stack.services is None:
            raise DemoError("layanan pekerja belum berjalan")
        self.stack = stack
        self.embedded = stack.engine
        self.services: Services = stack.services
        self.out = out
        self.outcomes: list[tuple[str, str, str]] = []  # (process id, number, end)
        self._mails_told = len(stack.mail.received)
        self._advanced = timedelta(0)

    async def run(self) -> None:
        """The whole scenario, then a summary."""
        started = time.monotonic()
        channel = self.stack.own_channel()
        try:
            self.client = ZeebeClient(channel)
            authorization = self.stack.authorization
            headers = {"Authorization": authorization} if authorization else None
            async with aiohttp.ClientSession(headers=headers) as self.http:
                await self.workers_polling()
                self.out(
                    "Demo: kedua SOP dijalankan dengan jam mesin proses yang dipercepat, dengan data fiktif di "
                    f"{self.stack.settings.data_dir}. Yang ditampilkan hanya nomor permohonan, langkah, subjek surel "
                    "dan peran penerima; tidak ada data pribadi."
                )
                self.section(SOP_NAMES[SOP1] + f" ({SOP1})")
                await self.sop1_complete()
                await self.sop1_incomplete_then_completed()
                await self.sop1_sla_breach()
                self.section(SOP_NAMES[SOP2] + f" ({SOP2})")
                await self.sop2_registration()
        finally:
            await channel.close(grace=None)
        self.tell_mails()
        self.summary(time.monotonic() - started)

    # --- SOP 1 -----------------------------------------------------------------------------------------------------

    async def sop1_complete(self) -> None:
        """[1] Complete files on the first submission."""
        number, references = self.seed_sop1(SOP1_REQUESTS[0])
        self.case(1, f"Permohonan {number}: berkas lengkap pada pengajuan pertama")
        pi = await self.start(SOP1, {"nomorPermohonan": number, "dokumenPermohonan": references})
        await self.settle()
        variables = self.variables(pi)
        self.tell(f"Berkas diperiksa: lengkap. Akun SPSE dibuat (status {variables.get('statusAkun')}).")
        self.tell_mails()
        self.tell(f"Dokumen diarsipkan: {variables.get('nomorArsip')}.")
        self.finished(pi, number, "AkunAdminPpeTerdaftarEndEvent")

    async def sop1_incomplete_then_completed(self) -> None:
        """[2] The KTP is missing: the Kepala LPSE is asked, reminded after three days, then completes the files."""
        request = SOP1_REQUESTS[1]
        number, references = self.seed_sop1(request, without=DocumentType.KTP_ADMIN_PPE)
        self.case(2, f"Permohonan {number}: KTP Admin PPE belum dilampirkan")
        pi = await self.start(SOP1, {"nomorPermohonan": number, "dokumenPermohonan": references})
        await self.settle()
        for shortfall in self.variables(pi).get("kekuranganBerkas") or []:
            self.tell(f"Kekurangan berkas: {DocumentType(shortfall['dokumen']).label} – {shortfall['alasan']}")
        self.tell_mails()
        self.expect_waiting(pi, "LengkapiBerkasReceiveTask")

        await self.advance(timedelta(days=3), "Kepala LPSE belum melengkapi berkas")
        self.tell_mails()
        self.expect_waiting(pi, "LengkapiBerkasReceiveTask")

        ktp = self.upload(number, DocumentType.KTP_ADMIN_PPE)
        self.tell("Kepala LPSE melampirkan KTP Admin PPE; aplikasi menerbitkan pesan berkas-dilengkapi.")
        await self.client.publish_message(
            Message.BERKAS_DILENGKAPI.value, number, {"dokumenPermohonan": [*references, ktp]}
        )
        await self.settle()
        self.tell("Berkas diperiksa ulang: lengkap.")
        self.tell_mails()
        self.finished(pi, number, "AkunAdminPpeTerdaftarEndEvent")

    async def sop1_sla_breach(self) -> None:
        """[3] Row 2 overruns its standard time while the workers are stopped; the PM is reminded."""
        number, references = self.seed_sop1(SOP1_REQUESTS[2])
        self.case(3, f"Permohonan {number}: batas waktu Mutu Baku terlampaui")
        await self.working_morning()
        self.tell("Pekerja tugas layanan dihentikan sementara (misalnya untuk pemeliharaan server).")
        if not await self.stack.stop_workers():
            raise DemoError("pekerja tidak berhenti dengan rapi")
        pi = await self.start(SOP1, {"nomorPermohonan": number, "dokumenPermohonan": references})
        await self.settle()
        self.expect_waiting(pi, "PeriksaKelengkapanBerkasTask")
        await self.advance(timedelta(minutes=11), "tidak ada pekerja yang memeriksa berkas")
        self.stack.start_workers()
        await self.workers_polling()
        self.tell("Pekerja tugas layanan berjalan kembali.")
        await self.settle()
        self.expect_passed(pi, "PeriksaKelengkapanBerkasSlaTimer")
        self.tell(
            "Batas waktu «Menerima dan memeriksa kelengkapan berkas» (10 menit kerja, SOP baris 2) dihitung sejak "
            "langkah dimulai dan sudah lewat, sehingga timernya langsung berbunyi; langkah itu tetap berjalan."
        )
        self.expect_breach_recorded(number, "PeriksaKelengkapanBerkasTask")
        self.tell_mails()
        self.finished(pi, number, "AkunAdminPpeTerdaftarEndEvent")

    def seed_sop1(
        self, request: SopOneRequest, *, without: DocumentType | None = None
    ) -> tuple[str, list[dict[str, Any]]]:
        """The request as the application stores it: people and the documents (row 2 verifies the Admin PPE's address
        when it accepts the complete file)."""
        store = self.services.store
        record = store.create_admin_ppe_request(
            AdminPpeRequestData(lpse_name=request.lpse, kepala_lpse=request.kepala, admin_ppe=request.admin)
        )
        references = [
            self.upload(record.number, document_type)
            for document_type in (
                DocumentType.SK_PEMBENTUKAN_LPSE,
                DocumentType.PROFIL_LPSE,
                DocumentType.DATA_PERSONIL_ADMIN_PPE,
                DocumentType.KTP_ADMIN_PPE,
            )
            if document_type is not without
        ]
        return record.number, references

    def upload(self, number: str, document_type: DocumentType) -> dict[str, Any]:
        """Store a document of the request; its reference as the diagrams carry it."""
        file_name, media_type = DOCUMENT_FILES[document_type]
        content = png_image() if media_type == "image/png" else pdf_document(document_type.label)
        record = self.services.documents.put(
            number, document_type, file_name=file_name, media_type=media_type, content=content
        )
        return record.as_variable()

    # --- SOP 2 -----------------------------------------------------------------------------------------------------

    async def sop2_registration(self) -> None:
        """[4] Identity corrected, appointment uploaded, the check overruns, completed through REST, three systems."""
        store = self.services.store
        number = store.create_ppbj_registration(PPBJ).number
        self.case(4, f"Pendaftaran {number}: identitas diperbaiki, diperiksa Admin PPE, diaktifkan di tiga sistem")
        await self.working_morning()
        pi = await self.start(SOP2, {"nomorPendaftaran": number})
        await self.settle()
        self.tell(f"Akun PPBJ dibuat dengan status {self.variables(pi).get('statusAkun')}.")
        self.tell_mails()
        self.expect_waiting(pi, "IsiIdentitasPpbjReceiveTask")

        self.tell("PPBJ mengisi identitas dengan NIK bernomor urut 0000; aplikasi menerbitkan identitas-ppbj-diisi.")
        await self.submit_identity(number, PPBJ_WRONG_NIK)
        for note in self.variables(pi).get("catatanVerifikasi") or []:
            self.tell(f"Catatan verifikasi ({note['tingkat']}, {note['kode']}): {note['pesan']}")
        self.tell_mails()
        self.expect_waiting(pi, "IsiIdentitasPpbjReceiveTask")

        self.tell("PPBJ memperbaiki identitasnya.")
        await self.submit_identity(number, PPBJ_IDENTITY.nik)
        self.tell(f"Identitas valid (NIK tersamar {self.variables(pi).get('nikTersamar')}).")
        self.expect_waiting(pi, "LengkapiInformasiPpbjReceiveTask")

        self.tell("PPBJ mengunggah SK penetapan; aplikasi menerbitkan informasi-ppbj-dilengkapi.")
        appointment = self.upload(number, DocumentType.SK)
        await self.client.publish_message(
            Message.INFORMASI_PPBJ_DILENGKAPI.value,
            number,
            {
                "dokumenPenetapan": appointment,
                "tautanPemeriksaan": review_link(self.services.settings, number),
            },
        )
        await self.settle()
        self.expect_waiting(pi, "PeriksaInformasiPpbjUserTask")
        task = await self.user_task(pi)
        groups = ", ".join(task.get("candidateGroups") or []) or "–"
        self.tell(
            f"REST POST /v2/user-tasks/search: tugas «{task.get('name')}» (userTaskKey {task['userTaskKey']}) "
            f"menunggu kelompok {groups}."
        )

        await self.advance(timedelta(minutes=16), "Admin PPE belum memeriksa")
        self.expect_passed(pi, "PeriksaInformasiPpbjSlaTimer")
        self.expect_breach_recorded(number, "PeriksaInformasiPpbjUserTask")
        self.tell(
            "Batas waktu «Memeriksa informasi PPBJ» (15 menit, SOP baris 6) terlampaui: dicatat di jejak audit dan "
            "pelaksananya diingatkan."
        )
        self.tell_mails()
        self.expect_waiting(pi, "PeriksaInformasiPpbjUserTask")

        self.tell(
            f"Admin PPE memeriksa: REST POST /v2/user-tasks/{task['userTaskKey']}/completion dengan "
            "hasilPemeriksaan = lengkap."
        )
        await self.complete_user_task(
            task["userTaskKey"], {"hasilPemeriksaan": "lengkap", "butirPemeriksaan": CHECKLIST}
        )
        await self.settle()
        results = self.variables(pi).get("hasilAktivasi") or []
        self.tell("Aktivasi akun: " + ", ".join(f"{r['sistem']} {r['status']}" for r in results) + ".")
        self.tell_mails()
        self.finished(pi, number, "AkunPpbjAktifEndEvent")

    async def submit_identity(self, number: str, nik: str) -> None:
        """The PPBJ fills in the form; the application publishes the masked NIK and a reference only."""
        identity = PpbjIdentityData(
            nik=nik, nip=PPBJ_IDENTITY.nip, institution=PPBJ_IDENTITY.institution, position=PPBJ_IDENTITY.position
        )
        person = self.services.store.update_ppbj_identity(number, identity)
        await self.client.publish_message(
            Message.IDENTITAS_PPBJ_DIISI.value, number, {"nikTersamar": person.nik_masked, "identitasRef": person.ref}
        )
        await self.settle()

    async def user_task(self, pi: int) -> dict[str, Any]:
        """The open user task of the instance, as the REST API finds it."""
        search = {"filter": {"processInstanceKey": str(pi), "state": "CREATED"}}
        async with self.http.post(f"{self.stack.rest_url}/v2/user-tasks/search", json=search) as response:
            if response.status != 200:
                raise DemoError(f"pencarian tugas pengguna dijawab HTTP {response.status}")
            items = (await response.json())["items"]
        if len(items) != 1:
            raise DemoError(f"diharapkan satu tugas pengguna terbuka, ditemukan {len(items)}")
        task: dict[str, Any] = items[0]
        return task

    async def complete_user_task(self, key: str, variables: dict[str, Any]) -> None:
        """Complete the user task through the REST API."""
        url = f"{self.stack.rest_url}/v2/user-tasks/{key}/completion"
        async with self.http.post(url, json={"variables": variables}) as response:
            if response.status not in (200, 204):
                raise DemoError(f"penyelesaian tugas pengguna dijawab HTTP {response.status}")

    # --- driving the engine ----------------------------------------------------------------------------------------

    async def start(self, process_id: str, variables: dict[str, Any]) -> int:
        """Start an instance over gRPC."""
        created = await self.client.run_process(process_id, variables)
        key = int(created.process_instance_key)
        self.tell(f"Instance proses {process_id} dimulai (kunci {key}).")
        return key

    async def workers_polling(self) -> None:
        """Wait until the worker asks the engine for jobs of every type (before that, a waiting job looks idle)."""
        worker = self.stack.worker
        if worker is None:
            raise DemoError("pekerja tugas layanan tidak berjalan")
        wanted = {task.type for task in worker.tasks}
        loop = asyncio.get_running_loop()
        give_up = loop.time() + SETTLE_TIMEOUT
        while missing := wanted - self.embedded.engine.job_types_with_workers(POLL_GRACE_SECONDS):
            if loop.time() > give_up:
                raise DemoError(f"pekerja tidak meminta tugas bertipe {', '.join(sorted(missing))}")
            await asyncio.sleep(0.01)

    async def settle(self) -> None:
        """Wait until the workers have done everything there is to do (no incident allowed)."""
        try:
            await self.embedded.wait_for_idle(timeout=SETTLE_TIMEOUT)
        except TimeoutError as exc:
            raise DemoError(f"mesin proses tidak kunjung diam: {exc}") from None
        incidents = [i for i in self.embedded.incidents() if i.state is IncidentState.ACTIVE]
        if incidents:
            raise DemoError("insiden: " + "; ".join(f"{i.element_id}: {i.error_message}" for i in incidents))

    async def advance(self, delta: timedelta, why: str) -> None:
        """Move the engine clock forward and let what fell due run."""
        self._advanced += delta
        self.tell(f"Jam mesin proses dimajukan {duration_text(delta)} ({why}).")
        await self.embedded.increase_time(delta)
        await self.settle()

    async def working_morning(self) -> None:
        """Move the clock to 09.00 WITA of the next day both provinces work, unless it is in such a morning now (the
        SOPs' standard times count working time: a case told at night would wait for the next morning)."""
        now = self.embedded.current_time.astimezone(WITA)
        calendars = [self.services.settings.working_time.calendar(kind) for kind in RequestKind]
        day = now.date()
        while True:
            if all(calendar.is_working_day(day) for calendar in calendars):
                opens, closes = (datetime.combine(day, at, WITA) for at in MORNING)
                if opens <= now < closes:
                    return
                if now < opens:
                    break
            day += timedelta(days=1)
        await self.advance(opens - now, "menunggu jam kerja: waktu baku SOP dihitung dalam jam kerja")

    def variables(self, pi: int) -> dict[str, Any]:
        """The instance's variables (live or final)."""
        return self.embedded.variables(pi)

    def element_name(self, pi: int, element_id: str) -> str:
        """The element's label in the diagram."""
        instance = self.embedded.process_instance(pi)
        element = self.embedded.engine.definitions[instance.process_definition_key].model.elements.get(element_id)
        return (element.name if element is not None and element.name else element_id).replace("\n", " ")

    def expect_waiting(self, pi: int, element_id: str) -> None:
        """The instance waits at exactly `element_id` (and says so)."""
        active = self.embedded.active_elements(pi)
        if active != [element_id]:
            raise DemoError(f"instance {pi} diharapkan menunggu di {element_id}, tetapi menunggu di {active}")
        self.tell(f"Menunggu di «{self.element_name(pi, element_id)}» ({element_id}).")

    def expect_passed(self, pi: int, element_id: str) -> None:
        """The instance has passed `element_id`."""
        if element_id not in self.embedded.passed_elements(pi):
            raise DemoError(f"instance {pi} diharapkan telah melewati {element_id}")

    def expect_breach_recorded(self, number: str, step: str) -> None:
        """The workers wrote the breach of `step` into the request's audit trail."""
        trail = self.services.store.audit_trail(number)
        if not any(e.action == "sla.terlampaui" and e.detail.get("langkah") == step for e in trail):
            raise DemoError(f"pelanggaran batas waktu {step} tidak tercatat di jejak audit {number}")

    def finished(self, pi: int, number: str, end_id: str) -> None:
        """The instance completed at `end_id`: say so and remember it for the summary."""
        instance = self.embedded.process_instance(pi)
        ends = [
            e.element_id
            for e in self.embedded.element_instances(pi)
            if e.bpmn_element_type == "END_EVENT" and e.element_id not in SIDE_END_EVENTS
        ]
        if instance.state != "COMPLETED" or ends != [end_id]:
            raise DemoError(f"instance {pi} diharapkan selesai di {end_id} (status {instance.state}, akhir {ends})")
        end = f"«{self.element_name(pi, end_id)}» ({end_id})"
        self.tell(f"Selesai di {end}.")
        self.outcomes.append((instance.bpmn_process_id, number, end))

    # --- telling ---------------------------------------------------------------------------------------------------

    def section(self, title: str) -> None:
        """A heading."""
        self.out("")
        self.out(title)

    def case(self, index: int, title: str) -> None:
        """The start of one case."""
        self.out("")
        self.out(f"[{index}] {title}")

    def tell(self, text: str) -> None:
        """One step."""
        self.out(f"    {text}")

    def tell_mails(self) -> None:
        """The e-mails the local mail server received since last told: subject and the recipient's role."""
        received = self.stack.mail.received[self._mails_told :]
        if not received:
            return
        self._mails_told += len(received)
        roles = self.recipient_roles()
        for mail in received:
            role = roles.get(mail.message_id.strip("<>"), "")
            self.tell(f"Surel kepada {ROLE_LABELS.get(role, role or 'penerima tidak dikenal')}: «{mail.subject}»")

    def recipient_roles(self) -> dict[str, str]:
        """Message-ID (without brackets) → recipient role, from the workers' mail log."""
        with self.services.store.engine.connect() as connection:
            rows = connection.execute(select(MailLog.message_id, MailLog.recipient_role)).all()
        return {message_id.strip("<>"): role for message_id, role in rows if message_id}

    def summary(self, seconds: float) -> None:
        """Every request's end, the mail folder, how far the clock moved."""
        self.section("Ringkasan demo")
        for process_id, number, end in self.outcomes:
            self.tell(f"{SOP_NAMES[process_id]}: {number} selesai di {end}")
        folder = self.stack.mail.folder
        self.tell(f"{len(self.stack.mail.received)} surel tersimpan di {folder.root} (daftar: {folder.index_path})")
        self.tell(f"Jam mesin proses dimajukan {duration_text(self._advanced)} dalam {seconds:.1f} detik waktu nyata.")


def duration_text(delta: timedelta) -> str:
    """`3 hari 27 menit` – days, hours and minutes in Indonesian."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{value} {unit}" for value, unit in ((days, "hari"), (hours, "jam"), (minutes, "menit")) if value]
    return " ".join(parts) or "0 menit"


async def run_demo(stack: "LocalStack", out: Callable[[str], None]) -> None:
    """Run the scenario on a started stack (engine clock controlled); `DemoError` when it goes otherwise."""
    if not stack.engine.engine.clock.controlled:
        raise DemoError("demo memerlukan jam mesin proses yang dapat dikendalikan")
    await Demo(stack, out).run()
