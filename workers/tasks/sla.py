"""`kirim-notifikasi-sla` (both diagrams): a step overran its standard time – record it, remind its performer.

The breach is written to the request's audit trail once per notification (event key: the notification task's
element instance), with the step, its SOP row, its standard time and the performer role. The `pengingat-sla`
e-mail goes to the performer (`slaPelaksana`: a person of the request – Kepala LPSE, PPBJ – or configured staff –
`PM_LKPP_EMAIL`, `LPSE_ADMIN_PPE_EMAIL`) and, when `BUREAU_HEAD_EMAIL` is set, to the bureau head; each copy is
sent once (`Outbox`), so a retry after one copy failed sends only the missing one. A performer without an address
fails the job – after the other copy went out – so the operator sees an incident naming the setting to fill in.

What the reminder says depends on who reads it and on the kind of step, known from the element id's suffix
(processes.md's conventions): a `…ReceiveTask` waits on the applicant, a `…UserTask` on staff in the web
application's inbox, any other step is done by the workers. It names the step by the SOP row's Kegiatan
(`slaKegiatan`, never the element id), the request by its number with the SOP's label (Permohonan, Pendaftaran),
and times in the zone of the SOP's province (WITA, WIB) for every reader. An applicant is reminded courteously –
what is awaited and where to do it (their page, through the one applicant-link builder of `kirim-email`), or,
when the late step is the system's own, an apology and nothing to do; staff read the Mutu Baku's warning and get
the inbox (`/tugas`) for a user task, or the request's page for the staff of its SOP (`/pemeriksaan/{nomor}`: its
data, documents and open tasks) for a step of the workers or of the applicant. The bureau head's copy is for
information – the bureau head acts on none of these steps – and links the instance on the managers' monitor
(`/pantau/{processInstanceKey}`: its path, its timeline against the standard times, its reminders and incidents).
"""

import asyncio
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from workers.constants import Performer, TaskType, Template, Var
from workers.domain import PersonRole
from workers.links import inbox_link, issue_applicant_link, monitor_link, review_link
from workers.logging import get_logger
from workers.outbox import (
    ContextFactory,
    Outbox,
    Recipient,
    RecipientError,
    bureau_signature,
    performer_recipient,
    staff_recipient,
    staff_setting,
)
from workers.services import Services
from workers.store import mail_idempotency_key
from workers.tasks.common import JobDataError, load_request, new_router, number_of, require, task

log = get_logger(__name__)


def create_router(services: Services) -> ZeebeTaskRouter:
    """The router of `kirim-notifikasi-sla`."""
    router = new_router()
    outbox = Outbox(services)

    @task(router, TaskType.KIRIM_NOTIFIKASI_SLA)
    async def kirim_notifikasi_sla(
        job: Job,
        nomorPermohonan: str | None = None,
        nomorPendaftaran: str | None = None,
        slaLangkah: str | None = None,
        slaKegiatan: str | None = None,
        slaBarisSop: int | None = None,
        slaBatasWaktu: str | None = None,
        slaPelaksana: str | None = None,
    ) -> dict[str, Any]:
        request = await load_request(services, number_of(job.type, nomorPermohonan, nomorPendaftaran))
        step = require(slaLangkah, Var.SLA_LANGKAH, job.type)
        performer_name = require(slaPelaksana, Var.SLA_PELAKSANA, job.type)
        try:
            performer = Performer(performer_name)
        except ValueError:
            raise JobDataError(f"Variabel {Var.SLA_PELAKSANA} tidak dikenal: {performer_name!r}.") from None
        breach = {
            "langkah": step,
            "kegiatan": require(slaKegiatan, Var.SLA_KEGIATAN, job.type),
            "barisSop": require(slaBarisSop, Var.SLA_BARIS_SOP, job.type),
            "batasWaktu": require(slaBatasWaktu, Var.SLA_BATAS_WAKTU, job.type),
            "pelaksana": performer.value,
        }
        audit = await asyncio.to_thread(
            services.store.record_audit,
            request.number,
            "sla.terlampaui",
            detail=breach,
            event_key=f"sla-terlampaui:{job.element_instance_key}",
        )
        log.info("Batas waktu langkah terlampaui", langkah=step, pelaksana=performer)

        def context_for(recipient: Recipient) -> ContextFactory:
            async def context() -> dict[str, object]:
                for_applicant = recipient.role in APPLICANT_ROLES
                if for_applicant:
                    link = (await issue_applicant_link(services, request)).url
                elif recipient.role == Performer.KEPALA_BIRO.value:
                    link = monitor_link(services.settings, job.process_instance_key)  # for information: the monitor
                elif step_kind(step) == STEP_STAFF_TASK:
                    link = inbox_link(services.settings)
                else:
                    link = review_link(services.settings, request.number)
                return {
                    "untukPimpinan": recipient.role == Performer.KEPALA_BIRO.value,
                    "nomor": request.number,
                    "jenisNomor": request.kind.noun,
                    "namaSop": request.kind.sop_name,
                    Var.SLA_KEGIATAN: breach["kegiatan"],
                    Var.SLA_BARIS_SOP: breach["barisSop"],
                    Var.SLA_BATAS_WAKTU: breach["batasWaktu"],
                    "slaTerlampauiPada": audit.at,
                    "untukPemohon": for_applicant,
                    "jenisLangkah": step_kind(step),
                    "tautan": link,
                }

            return context

        recipients: list[Recipient] = []
        problem: str | None = None
        try:
            to_performer = await performer_recipient(services, request, performer)
        except RecipientError as exc:
            to_performer, problem = None, str(exc)
        if to_performer is not None:
            recipients.append(to_performer)
        elif problem is None:
            setting = staff_setting(performer)
            problem = f"Alamat e-mail pelaksana {performer.value} belum diatur" + (
                f" (atur {setting})" if setting else ""
            )
        bureau_head = staff_recipient(services, request, Performer.KEPALA_BIRO)
        if bureau_head is not None:
            recipients.append(bureau_head)
        for recipient in recipients:
            await outbox.send_once(
                key=mail_idempotency_key(job.element_instance_key, Template.PENGINGAT_SLA.value, recipient.role),
                request=request,
                template=Template.PENGINGAT_SLA,
                recipient=recipient,
                context=context_for(recipient),
                signature=bureau_signature(services),
            )
        if problem is not None:  # after the bureau head's copy went out: the retry sends only the missing one
            raise RecipientError(
                f"{problem.rstrip('.')}; pengingat batas waktu langkah {step} permohonan {request.number} belum "
                "terkirim kepada pelaksana."
            )
        return {}

    return router


STEP_APPLICANT = "pemohon"
"""A step that waits on the applicant (a receive task: the applicant answers through their page)."""
STEP_STAFF_TASK = "tugas"
"""A user task of staff (done in the web application's inbox)."""
STEP_AUTOMATED = "otomatis"
"""A step the workers do."""

APPLICANT_ROLES = frozenset({PersonRole.KEPALA_LPSE.value, PersonRole.PPBJ.value})
"""Recipients who are applicants: reminded courteously, sent to their own page."""


def step_kind(element_id: str) -> str:
    """What a late step waits on, from its id's suffix (processes.md: `…ReceiveTask`, `…UserTask`, `…Task`; SOP 2
    row 7's `AktifkanAkunPpbjSubProcess` wraps the workers' activation on three systems)."""
    if element_id.endswith("ReceiveTask"):
        return STEP_APPLICANT
    if element_id.endswith("UserTask"):
        return STEP_STAFF_TASK
    return STEP_AUTOMATED
