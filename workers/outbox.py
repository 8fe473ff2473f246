"""Sending an e-mail of a job exactly once: recipients from the store or the settings, then check, send, record.

Recipients are never process variables: a person of a request (Kepala LPSE, Admin PPE, PPBJ) is looked up in the
application store by request number and role; staff who perform a step (the PM of LKPP, the LPSE's Admin PPE in
SOP 2) and the bureau head come from the settings.

`Outbox.send_once` keys every e-mail by `mail_idempotency_key(element instance, template, recipient role)`: when
the mail log already holds the key, nothing is sent (and the context, which may issue a one-time token, is not
even built). Otherwise it renders, sends (the Message-ID is derived from the same key) and records. A job
delivered twice – its completion lost in a crash, a time-out, a retry after a later step failed – therefore sends
once. The one window left is a failure between the SMTP server's acceptance and the mail-log commit (the store
unreachable at exactly that moment): the retry sends again, with the same Message-ID, so mail clients that
de-duplicate by Message-ID show it once.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr

from workers.constants import Performer, Template
from workers.domain import PersonRole, RequestKind
from workers.errors import NotFoundError, WorkersError
from workers.logging import get_logger
from workers.mail import message_reference
from workers.services import Services
from workers.store import PersonRecord, RequestRecord

log = get_logger(__name__)

_STAFF_NAMES = {
    Performer.PM_LKPP: "PM Direktorat e-Procurement LKPP",
    Performer.ADMIN_PPE: "Admin PPE",
    Performer.KEPALA_BIRO: "Kepala Biro Pengadaan Barang/Jasa",
}
_STAFF_SETTINGS = {
    Performer.PM_LKPP: "PM_LKPP_EMAIL",
    Performer.ADMIN_PPE: "LPSE_ADMIN_PPE_EMAIL",
    Performer.KEPALA_BIRO: "BUREAU_HEAD_EMAIL",
}


class RecipientError(WorkersError):
    """No usable address for a recipient (missing, unverified, not configured); fixing the data or settings helps."""


@dataclass(frozen=True)
class Recipient:
    """Who gets an e-mail: the role (for the mail log and the idempotency key), name, address and time zone."""

    role: str
    name: str = field(repr=False)
    address: str = field(repr=False)
    zone: str

    @property
    def mailbox(self) -> str:
        """`Name <address>` for the To header."""
        return formataddr((self.name, self.address))


def signature_of(services: Services, kind: RequestKind) -> str:
    """Who signs the e-mails of this SOP (`MAIL_SIGNATURE_*`)."""
    settings = services.settings
    return settings.mail_signature_admin_ppe if kind is RequestKind.ADMIN_PPE else settings.mail_signature_ppbj


def bureau_signature(services: Services) -> str:
    """The bureau's name from `MAIL_FROM`, for the SLA reminders."""
    return parseaddr(services.settings.smtp.mail_from)[0] or "Biro Pengadaan Barang/Jasa"


def person_recipient(request: RequestRecord, person: PersonRecord, *, require_verified: bool = False) -> Recipient:
    """A person of the request as a recipient; `RecipientError` without an (if required, verified) address."""
    if not person.email:
        raise RecipientError(
            f"Alamat e-mail {person.role.value} pada permohonan {request.number} belum tercatat; e-mail tidak dikirim."
        )
    if require_verified and person.email_verified_at is None:
        raise RecipientError(
            f"Alamat e-mail {person.role.value} pada permohonan {request.number} belum terverifikasi; "
            "tautan sekali pakai hanya dikirim ke alamat yang terverifikasi."
        )
    return Recipient(role=person.role.value, name=person.name, address=person.email, zone=request.kind.zone)


async def request_person(services: Services, request: RequestRecord, role: PersonRole) -> PersonRecord:
    """The person with this role in the request (`NotFoundError` if there is none)."""
    return await asyncio.to_thread(services.store.get_person, request.number, role)


def staff_recipient(services: Services, request: RequestRecord, role: Performer) -> Recipient | None:
    """A staff member or the bureau head from the settings, or None when the address is not configured."""
    settings = services.settings
    configured = {
        Performer.PM_LKPP: settings.pm_lkpp_email,
        Performer.ADMIN_PPE: settings.lpse_admin_ppe_email,
        Performer.KEPALA_BIRO: settings.bureau_head_email,
    }.get(role)
    if not configured:
        return None
    name, address = parseaddr(configured)
    return Recipient(role=role.value, name=name or _STAFF_NAMES[role], address=address, zone=request.kind.zone)


def staff_setting(role: Performer) -> str:
    """The setting that holds a staff role's address."""
    return _STAFF_SETTINGS.get(role, "")


async def performer_recipient(services: Services, request: RequestRecord, role: Performer) -> Recipient | None:
    """The performer of a step: a person of the request with that role if there is one, else configured staff."""
    if role.value in {r.value for r in PersonRole}:
        try:
            person = await request_person(services, request, PersonRole(role.value))
        except NotFoundError:
            pass
        else:
            return person_recipient(request, person)
    return staff_recipient(services, request, role)


ContextFactory = Callable[[], Awaitable[Mapping[str, object]]]


class Outbox:
    """Renders, sends and records e-mails once per idempotency key."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def send_once(
        self,
        *,
        key: str,
        request: RequestRecord,
        template: Template,
        recipient: Recipient,
        context: ContextFactory,
        signature: str,
    ) -> bool:
        """Send the e-mail unless the mail log holds `key`; True when it was sent now, False when it was sent before.

        `context` is awaited only when the e-mail is still to be sent (it may issue a one-time token).
        """
        services = self._services
        existing = await asyncio.to_thread(services.store.find_mail, key)
        if existing is not None:
            log.info("E-mail ini sudah terkirim; tidak dikirim ulang", templat=template, penerima=recipient.role)
            return False
        variables = {"nama": recipient.name, "pengirim": signature, "zona": recipient.zone, **(await context())}
        message = services.templates.render(template, variables)
        message_id = await services.mailer.send(to=recipient.mailbox, message=message, idempotency_key=key)
        await asyncio.to_thread(
            services.store.record_mail,
            key,
            request_number=request.number,
            template=template.value,
            recipient_role=recipient.role,
            recipient=recipient.address,
            subject=message.subject,
            message_id=message_id,
        )
        log.info("E-mail terkirim", templat=template, penerima=recipient.role, message_id=message_reference(message_id))
        return True
