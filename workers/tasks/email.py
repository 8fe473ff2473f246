"""`kirim-email` (every e-mail step): the `template` header's message to the `penerima` header's person.

The recipient's name and address come from the application store by request number and role; a set-password
link goes only to the account holder's verified address. The template's context is assembled from the store
(LPSE name, user ids), the settings (links, signature) and the few variables the diagrams pass
(`kekuranganBerkas`, `catatanVerifikasi`, `catatanPemeriksaan`, `hasilAktivasi`); times are shown in the reader's
zone (WITA for SOP 1 in Kalimantan Timur, WIB for SOP 2 in Kalimantan Barat).

Sending goes through `Outbox.send_once` keyed by (element instance, template, recipient role): a job delivered
twice sends once, and a second pass through a loop (a new element instance) sends again, as it should. Every link
is built by `workers.links`: a link to the applicant's own request (and the PPBJ's identity form) carries a fresh
access token for that request and role; the invitation's set-password link carries the account's one-time token
(issuing it revokes the holder's older ones). Tokens are issued only when the e-mail is still to be sent and exist
nowhere but in that e-mail and, hashed, in the store.
The expiry e-mails also close the request (status `KEDALUWARSA`), so a new registration of the same person is not
taken for a duplicate; SOP 2's last e-mail (`akun-ppbj-aktif`) completes it (`SELESAI`).
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from workers.constants import (
    ADMIN_PPE_ACCOUNT_SYSTEM,
    STATUS_COMPLETED,
    STATUS_EXPIRED,
    Header,
    TaskType,
    Template,
    Var,
)
from workers.document_rules import PPBJ_APPOINTMENT_DOCUMENTS, limits_text
from workers.domain import AccountRole, PersonRole, RequestKind, System
from workers.errors import ProvisioningError, StoreError
from workers.links import (
    ApplicantPage,
    IssuedLink,
    issue_applicant_link,
    new_application_link,
    set_password_link,
)
from workers.logging import get_logger
from workers.outbox import Outbox, Recipient, person_recipient, request_person, signature_of
from workers.provisioning import ProvisionedAccount
from workers.services import Services
from workers.store import RequestRecord, mail_idempotency_key
from workers.tasks.common import JobDataError, load_request, new_router, number_of, task

log = get_logger(__name__)

TOKEN_TEMPLATES: Mapping[Template, PersonRole] = {
    Template.UNDANGAN_ADMIN_PPE: PersonRole.ADMIN_PPE,
    Template.FORMULIR_REGISTRASI_PPBJ: PersonRole.PPBJ,
    Template.AKUN_PPBJ_AKTIF: PersonRole.PPBJ,
}
"""E-mails carrying a one-time link, and the only role that may receive each (the account holder)."""

CLOSING_TEMPLATES: Mapping[Template, str] = {
    Template.PERMOHONAN_KEDALUWARSA: STATUS_EXPIRED,
    Template.PENDAFTARAN_KEDALUWARSA: STATUS_EXPIRED,
    Template.AKUN_PPBJ_AKTIF: STATUS_COMPLETED,
}
"""E-mails sent just before their process ends, and the status they give the request: SOP 2's last step (row 7's
"account active") completes the registration, an expiry e-mail closes the request (SOP 1 completes at its archive,
`arsipkan-dokumen`)."""


@dataclass(frozen=True)
class MailJob:
    """What a template's context is built from."""

    services: Services
    request: RequestRecord
    recipient: Recipient
    variables: Mapping[str, Any] = field(repr=False)
    job_type: str
    issued_links: list[IssuedLink] = field(default_factory=list, repr=False)
    """The access links issued while the context was built: revoked when the e-mail cannot be sent."""

    def variable(self, name: str) -> Any:
        """A process variable the template needs; `JobDataError` when the job did not carry it."""
        if self.variables.get(name) is None:
            raise JobDataError(f"Variabel proses {name} yang diperlukan templat e-mail tidak tersedia.")
        return self.variables[name]


ContextBuilder = Callable[[MailJob], Awaitable[dict[str, object]]]


def create_router(services: Services) -> ZeebeTaskRouter:
    """The router of `kirim-email`."""
    router = new_router()
    outbox = Outbox(services)

    @task(router, TaskType.KIRIM_EMAIL)
    async def kirim_email(
        job: Job,
        nomorPermohonan: str | None = None,
        nomorPendaftaran: str | None = None,
        kekuranganBerkas: list[Any] | None = None,
        catatanVerifikasi: list[Any] | None = None,
        catatanPemeriksaan: str | None = None,
        hasilAktivasi: list[Any] | None = None,
        idAkun: str | None = None,
    ) -> dict[str, Any]:
        template = _template(job)
        role = _recipient_role(job)
        if template in TOKEN_TEMPLATES and role is not TOKEN_TEMPLATES[template]:
            raise JobDataError(
                f"Templat {template.value} memuat tautan sekali pakai dan hanya dapat dikirim kepada "
                f"{TOKEN_TEMPLATES[template].value}, bukan {role.value}."
            )
        request = await load_request(services, number_of(job.type, nomorPermohonan, nomorPendaftaran))
        person = await request_person(services, request, role)
        recipient = person_recipient(request, person, require_verified=template is Template.UNDANGAN_ADMIN_PPE)
        mail = MailJob(
            services=services,
            request=request,
            recipient=recipient,
            variables={
                Var.KEKURANGAN_BERKAS: kekuranganBerkas,
                Var.CATATAN_VERIFIKASI: catatanVerifikasi,
                Var.CATATAN_PEMERIKSAAN: catatanPemeriksaan,
                Var.HASIL_AKTIVASI: hasilAktivasi,
                Var.ID_AKUN: idAkun,
            },
            job_type=job.type,
        )

        async def context() -> dict[str, object]:
            return await CONTEXTS[template](mail)

        try:
            await outbox.send_once(
                key=mail_idempotency_key(job.element_instance_key, template.value, role.value),
                request=request,
                template=template,
                recipient=recipient,
                context=context,
                signature=signature_of(services, request.kind),
            )
        except BaseException:
            if mail.issued_links:  # not delivered (as far as is known): no link of this attempt may open the request
                await _revoke(services, request, mail.issued_links)
            raise
        if template in CLOSING_TEMPLATES:
            await asyncio.to_thread(services.store.set_request_status, request.number, CLOSING_TEMPLATES[template])
        return {}

    return router


async def _revoke(services: Services, request: RequestRecord, links: list[IssuedLink]) -> None:
    """Revoke the access links of an e-mail that was not sent; a store that cannot do it now is only logged (nobody
    has the tokens)."""
    try:
        await asyncio.to_thread(
            services.store.revoke_access_tokens, request.number, token_ids=[link.token_id for link in links]
        )
    except StoreError as exc:
        log.warning("Tautan akses e-mail yang gagal terkirim tidak dapat dicabut", alasan=str(exc))


def _template(job: Job) -> Template:
    name = job.custom_headers.get(Header.TEMPLATE)
    try:
        template = Template(str(name))
    except ValueError:
        raise JobDataError(f"Header {Header.TEMPLATE} tugas {job.type} tidak dikenal: {name!r}.") from None
    if template not in CONTEXTS:
        raise JobDataError(f"Templat {template.value} tidak dikirim melalui tugas {job.type}.")
    return template


def _recipient_role(job: Job) -> PersonRole:
    name = job.custom_headers.get(Header.PENERIMA)
    try:
        return PersonRole(str(name))
    except ValueError:
        known = ", ".join(PersonRole)
        raise JobDataError(
            f"Header {Header.PENERIMA} tugas {job.type} tidak dikenal: {name!r} (yang dikenal: {known})."
        ) from None


async def _account(mail: MailJob, system: System, role: AccountRole) -> ProvisionedAccount:
    """The holder's account the e-mail is about; it must exist (and be `idAkun` when the job carries that)."""
    account = await mail.services.provisioning.find_account(mail.request.number, system, role)
    if account is None:
        raise ProvisioningError(
            f"Akun {role.value} pada {system.value} untuk permohonan {mail.request.number} belum dibuat; "
            "e-mail tentang akun tersebut belum dapat dikirim."
        )
    expected = mail.variables.get(Var.ID_AKUN)
    if expected is not None and expected != account.account_id:
        raise JobDataError(
            f"Variabel {Var.ID_AKUN} tidak sama dengan akun {role.value} pada {system.value} permohonan "
            f"{mail.request.number}."
        )
    return account


async def _applicant_link(mail: MailJob, page: ApplicantPage = ApplicantPage.REQUEST) -> IssuedLink:
    """The applicant's link to their request (or the PPBJ's identity form) with a fresh access token, remembered
    so that it is revoked if the e-mail is not sent."""
    link = await issue_applicant_link(mail.services, mail.request, page)
    mail.issued_links.append(link)
    return link


async def _missing_files(mail: MailJob) -> dict[str, object]:
    return {
        Var.NOMOR_PERMOHONAN: mail.request.number,
        Var.KEKURANGAN_BERKAS: mail.variable(Var.KEKURANGAN_BERKAS),
        "tautanPermohonan": (await _applicant_link(mail)).url,
    }


async def _request_expired(mail: MailJob) -> dict[str, object]:
    return {
        Var.NOMOR_PERMOHONAN: mail.request.number,
        "tautanPermohonanBaru": new_application_link(mail.services.settings, RequestKind.ADMIN_PPE),
    }


async def _admin_account_created(mail: MailJob) -> dict[str, object]:
    account = await _account(mail, ADMIN_PPE_ACCOUNT_SYSTEM, AccountRole.ADMIN_PPE)
    admin = await request_person(mail.services, mail.request, PersonRole.ADMIN_PPE)
    return {
        Var.NOMOR_PERMOHONAN: mail.request.number,
        "namaAdminPpe": admin.name,
        "namaPengguna": account.user_id,
        "namaLpse": mail.request.lpse_name or "LPSE",
        "tautanLogin": mail.services.settings.spse_login_url,
    }


async def _admin_invitation(mail: MailJob) -> dict[str, object]:
    account = await _account(mail, ADMIN_PPE_ACCOUNT_SYSTEM, AccountRole.ADMIN_PPE)
    issued = await mail.services.provisioning.issue_set_password_token(account.account_id)
    return {
        Var.NOMOR_PERMOHONAN: mail.request.number,
        "namaPengguna": account.user_id,
        "namaLpse": mail.request.lpse_name or "LPSE",
        "tautanLogin": mail.services.settings.spse_login_url,
        "tautanSekaliPakai": set_password_link(mail.services.settings, issued.token),
        "kedaluwarsaTautan": issued.expires_at,
    }


async def _registration_form(mail: MailJob) -> dict[str, object]:
    await _account(mail, System.DIREKTORI, AccountRole.PPBJ)  # the pending account the e-mail announces exists
    link = await _applicant_link(mail, ApplicantPage.IDENTITY_FORM)
    return {
        Var.NOMOR_PENDAFTARAN: mail.request.number,
        "tautanFormulir": link.url,
        "kedaluwarsaTautan": link.expires_at,
    }


async def _identity_to_fix(mail: MailJob) -> dict[str, object]:
    return {
        Var.NOMOR_PENDAFTARAN: mail.request.number,
        Var.CATATAN_VERIFIKASI: mail.variable(Var.CATATAN_VERIFIKASI),
        "tautanPendaftaran": (await _applicant_link(mail)).url,
    }


async def _appointment_requested(mail: MailJob) -> dict[str, object]:
    return {
        Var.NOMOR_PENDAFTARAN: mail.request.number,
        "dokumenDiminta": [kind.value for kind in PPBJ_APPOINTMENT_DOCUMENTS],
        "ketentuanBerkas": limits_text(mail.services.settings.document_max_size),
        "tautanPendaftaran": (await _applicant_link(mail)).url,
    }


async def _information_to_complete(mail: MailJob) -> dict[str, object]:
    return {
        Var.NOMOR_PENDAFTARAN: mail.request.number,
        Var.CATATAN_PEMERIKSAAN: mail.variable(Var.CATATAN_PEMERIKSAAN),
        "tautanPendaftaran": (await _applicant_link(mail)).url,
    }


async def _ppbj_account_active(mail: MailJob) -> dict[str, object]:
    account = await _account(mail, System.DIREKTORI, AccountRole.PPBJ)
    activated = mail.variable(Var.HASIL_AKTIVASI)
    issued = await mail.services.provisioning.issue_set_password_token(account.account_id)
    return {
        Var.NOMOR_PENDAFTARAN: mail.request.number,
        "namaPengguna": account.user_id,
        Var.HASIL_AKTIVASI: activated,
        "tautanSekaliPakai": set_password_link(mail.services.settings, issued.token),
        "kedaluwarsaTautan": issued.expires_at,
    }


async def _registration_expired(mail: MailJob) -> dict[str, object]:
    return {
        Var.NOMOR_PENDAFTARAN: mail.request.number,
        "tautanDaftarUlang": new_application_link(mail.services.settings, RequestKind.PPBJ),
    }


CONTEXTS: Mapping[Template, ContextBuilder] = {
    Template.PERMINTAAN_KELENGKAPAN_BERKAS: _missing_files,
    Template.PENGINGAT_PERMOHONAN: _missing_files,
    Template.PERMOHONAN_KEDALUWARSA: _request_expired,
    Template.AKUN_ADMIN_PPE_DIBUAT: _admin_account_created,
    Template.UNDANGAN_ADMIN_PPE: _admin_invitation,
    Template.FORMULIR_REGISTRASI_PPBJ: _registration_form,
    Template.IDENTITAS_PERLU_PERBAIKAN: _identity_to_fix,
    Template.PERMINTAAN_INFORMASI_PPBJ: _appointment_requested,
    Template.INFORMASI_PERLU_DILENGKAPI: _information_to_complete,
    Template.AKUN_PPBJ_AKTIF: _ppbj_account_active,
    Template.PENDAFTARAN_KEDALUWARSA: _registration_expired,
}
"""How each `kirim-email` template's context is built (`pengingat-sla` belongs to `kirim-notifikasi-sla`)."""
