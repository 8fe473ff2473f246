"""`periksa-kelengkapan-berkas` (SOP 1 row 2): are the four documents there and readable, is the personnel data right?

For each required document (SK Pembentukan LPSE, Profil LPSE, Data Personil Admin PPE, KTP Admin PPE) the
reference in `dokumenPermohonan` must name a stored document of this request and this type whose recorded SHA-256,
size and media type match the reference, and the document must pass the rules every upload passes
(`workers.document_rules`: PDF, JPEG or PNG within `DOCUMENT_MAX_SIZE`, whole, content unchanged since it was
stored). The Admin PPE's personnel data (name, NIK, NIP, e-mail, WhatsApp) must be filled in and well-formed
(`workers.validation`; warnings do not count as shortfalls).

Every shortfall becomes `{dokumen, alasan}` in `kekuranganBerkas`: the document type and the reason in formal
Indonesian, addressed to the Kepala LPSE, never quoting personal data. An unreachable store or document storage
fails the job (retried); a shortfall never does.

Accepting the complete file also verifies the Admin PPE's e-mail address: it is the address the Kepala LPSE states
for the Admin PPE in the official Data Personil Admin PPE, checked here with the rest of the personnel data. Row 7
sends the one-time set-password link only to a verified address (`workers.outbox.person_recipient`), so the link
never goes to an address nobody vouched for; the audit trail keeps when and on what basis it was verified.
"""

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from workers.constants import TaskType, Var
from workers.document_rules import ADMIN_PPE_DOCUMENTS, MISSING, stored_document_problem
from workers.domain import DocumentType, PersonRole
from workers.errors import NotFoundError
from workers.logging import get_logger
from workers.services import Services
from workers.tasks.common import JobDataError, new_router, require, task
from workers.validation import verify_identity

log = get_logger(__name__)

EMAIL_VERIFICATION_BASIS = (
    "Alamat e-mail Admin PPE tercantum pada Data Personil Admin PPE yang diterima dalam pemeriksaan kelengkapan berkas."
)
"""Why the Admin PPE's address counts as verified, as the audit trail says it."""


def create_router(services: Services) -> ZeebeTaskRouter:
    """The router of `periksa-kelengkapan-berkas`."""
    router = new_router()

    @task(router, TaskType.PERIKSA_KELENGKAPAN_BERKAS)
    async def periksa_kelengkapan_berkas(
        job: Job, nomorPermohonan: str | None = None, dokumenPermohonan: list[Any] | None = None
    ) -> dict[str, Any]:
        number = require(nomorPermohonan, Var.NOMOR_PERMOHONAN, job.type)
        references = require(dokumenPermohonan, Var.DOKUMEN_PERMOHONAN, job.type)
        shortfalls = await asyncio.to_thread(check_request_files, services, number, references)
        complete = not shortfalls
        if complete:
            await asyncio.to_thread(
                services.store.mark_email_verified, number, PersonRole.ADMIN_PPE, basis=EMAIL_VERIFICATION_BASIS
            )
        await asyncio.to_thread(
            services.store.record_audit,
            number,
            "berkas.diperiksa",
            detail={"lengkap": complete, "kekurangan": sorted({s["dokumen"] for s in shortfalls})},
            event_key=f"berkas-diperiksa:{job.element_instance_key}",
        )
        log.info("Kelengkapan berkas diperiksa", lengkap=complete, jumlah_kekurangan=len(shortfalls))
        return {Var.BERKAS_LENGKAP: complete, Var.KEKURANGAN_BERKAS: shortfalls}

    return router


def check_request_files(services: Services, number: str, references: Any) -> list[dict[str, str]]:
    """Every shortfall of the request's files and personnel data, in the SOP's document order."""
    services.store.get_request(number)  # an unknown request is an error, not a shortfall
    if not isinstance(references, list):
        raise JobDataError(f"Variabel proses {Var.DOKUMEN_PERMOHONAN} harus berupa daftar rujukan dokumen.")
    latest: dict[str, Mapping[str, Any]] = {}
    for reference in references:
        if isinstance(reference, Mapping) and reference.get("jenis"):
            latest[str(reference["jenis"])] = reference  # a later reference of the same type replaces an earlier one
    shortfalls: list[dict[str, str]] = []
    for document_type in ADMIN_PPE_DOCUMENTS:
        reference = latest.get(document_type.value)
        reason = MISSING if reference is None else check_document(services, number, document_type, reference)
        if reason is not None:
            shortfalls.append(_shortfall(document_type, reason))
    shortfalls.extend(_shortfall(DocumentType.DATA_PERSONIL_ADMIN_PPE, r) for r in check_personnel(services, number))
    return shortfalls


def check_document(
    services: Services, number: str, document_type: DocumentType, reference: Mapping[str, Any]
) -> str | None:
    """Why the referenced document cannot be accepted, or None when it can (`workers.document_rules`)."""
    record = None
    if reference.get("dokumenId"):
        try:
            record = services.store.get_document(str(reference["dokumenId"]))
        except NotFoundError:
            record = None
    return stored_document_problem(
        record,
        reference,
        document_type=document_type,
        request_number=number,
        max_size=services.settings.document_max_size,
        read=lambda found: services.documents.read(found.id),
    )


def check_personnel(services: Services, number: str) -> list[str]:
    """Why the Admin PPE's personnel data cannot be accepted (empty when it can)."""
    try:
        person = services.store.get_person(number, PersonRole.ADMIN_PPE)
    except NotFoundError:
        return ["Data personil Admin PPE belum diisi."]
    reasons = [] if person.name.strip() else ["Nama Admin PPE belum diisi."]
    check = verify_identity(
        nik=person.nik or "",
        nip=person.nip or "",
        email=person.email or "",
        whatsapp=person.whatsapp or "",
        official_email_domains=services.settings.official_email_domains,
        today=services.now().date(),
    )
    results: Sequence[Any] = (check.nik, check.nip, check.email, check.whatsapp)
    reasons.extend(issue.pesan for result in results for issue in result.problems)
    return reasons


def _shortfall(document_type: DocumentType, reason: str) -> dict[str, str]:
    return {"dokumen": document_type.value, "alasan": reason}
