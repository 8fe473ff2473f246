"""`verifikasi-identitas` (SOP 2 row 4): the PPBJ's NIK, NIP, e-mail and WhatsApp number, and duplicate registrations.

The identity the PPBJ filled in is read from the application store by `nomorPendaftaran` (the message only carried
`nikTersamar` and `identitasRef`). `workers.validation.verify_identity` checks the formats; warnings (a NIK/NIP
mismatch, a non-`.go.id` address) never make the identity invalid. A registration is a duplicate when another
PPBJ registration that is not closed (`KEDALUWARSA`) has the same NIK, NIP, e-mail address or WhatsApp number: the
note says which identifier, never whose registration it is. `catatanVerifikasi` lists problems (`galat`) first,
then warnings (`peringatan`); the applicant reads it in the `identitas-perlu-perbaikan` e-mail.
"""

import asyncio
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from workers.constants import STATUS_EXPIRED, TaskType, Var
from workers.domain import PersonRole
from workers.logging import get_logger
from workers.services import Services
from workers.tasks.common import new_router, require, task
from workers.validation import verify_identity

log = get_logger(__name__)

_DUPLICATE_LABELS = {
    "nik": "NIK",
    "nip": "NIP",
    "email": "Alamat e-mail",
    "whatsapp": "Nomor WhatsApp",
}


def create_router(services: Services) -> ZeebeTaskRouter:
    """The router of `verifikasi-identitas`."""
    router = new_router()

    @task(router, TaskType.VERIFIKASI_IDENTITAS)
    async def verifikasi_identitas(job: Job, nomorPendaftaran: str | None = None) -> dict[str, Any]:
        number = require(nomorPendaftaran, Var.NOMOR_PENDAFTARAN, job.type)
        valid, notes, duplicates_of = await asyncio.to_thread(verify_registration, services, number)
        await asyncio.to_thread(
            services.store.record_audit,
            number,
            "identitas.diverifikasi",
            detail={
                "valid": valid,
                "kode": [note["kode"] for note in notes],
                "duplikatDengan": duplicates_of,
            },
            event_key=f"identitas-diverifikasi:{job.element_instance_key}",
        )
        log.info("Identitas PPBJ diverifikasi", valid=valid, kode=[note["kode"] for note in notes])
        return {Var.IDENTITAS_VALID: valid, Var.CATATAN_VERIFIKASI: notes}

    return router


def verify_registration(services: Services, number: str) -> tuple[bool, list[dict[str, str]], list[str]]:
    """Whether the registration's identity is valid, its notes (`catatanVerifikasi`) and the duplicated requests."""
    person = services.store.get_person(number, PersonRole.PPBJ)
    check = verify_identity(
        nik=person.nik or "",
        nip=person.nip or "",
        email=person.email or "",
        whatsapp=person.whatsapp or "",
        official_email_domains=services.settings.official_email_domains,
        today=services.now().date(),
    )
    notes = check.catatan()
    duplicated_fields, duplicates_of = find_duplicates(services, number)
    duplicate_notes = [
        {
            "kode": f"duplikat-{field}",
            "pesan": (
                f"{_DUPLICATE_LABELS[field]} ini sudah digunakan pada pendaftaran akun PPBJ lain yang masih diproses "
                "atau sudah aktif. Apabila Bapak/Ibu sudah memiliki akun, mohon gunakan akun tersebut; apabila tidak, "
                "mohon periksa kembali data yang diisi atau hubungi Admin PPE."
            ),
            "tingkat": "galat",
        }
        for field in duplicated_fields
    ]
    errors = [note for note in notes if note["tingkat"] == "galat"]
    warnings = [note for note in notes if note["tingkat"] != "galat"]
    valid = check.valid and not duplicated_fields
    return valid, [*errors, *duplicate_notes, *warnings], duplicates_of


def find_duplicates(services: Services, number: str) -> tuple[list[str], list[str]]:
    """The identifiers this PPBJ shares with other open PPBJ registrations, and those registrations' numbers."""
    store = services.store
    fields: list[str] = []
    numbers: list[str] = []
    statuses: dict[str, str] = {}
    for match in store.find_identity_matches(number, PersonRole.PPBJ):
        if match.role is not PersonRole.PPBJ:
            continue
        if match.request_number not in statuses:
            statuses[match.request_number] = store.get_request(match.request_number).status
        if statuses[match.request_number] == STATUS_EXPIRED:
            continue
        if match.field not in fields:
            fields.append(match.field)
        if match.request_number not in numbers:
            numbers.append(match.request_number)
    order = list(_DUPLICATE_LABELS)
    return sorted(fields, key=order.index), numbers
