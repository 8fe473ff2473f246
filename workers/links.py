"""The links of the e-mails, built in one place: every page of the web application an e-mail points at.

The paths are the web application's fixed paths (`web.md` in the shared docs); the web package serves exactly these.
Links to an applicant's own request carry a fresh access token (`?t=…`) for that request and the applicant's role
(the Kepala LPSE for SOP 1, the PPBJ for SOP 2): the token is issued here, when the e-mail is built – only once the
e-mail is really to be sent (`Outbox.send_once` builds the context only then) – stored as its SHA-256, valid for
`APPLICANT_LINK_TTL`, and exists in clear only in that e-mail. The web application moves it into the browser's
session on the first visit. Set-password links carry the account's one-time token (`workers.provisioning`).
Staff links (the inbox, a request's review page, an instance on the monitor) carry nothing: staff log in.
"""

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from workers.domain import PersonRole, RequestKind
from workers.provisioning import hash_token
from workers.services import Services
from workers.settings import Settings
from workers.store import RequestRecord

TOKEN_PARAMETER = "t"
"""The query parameter that carries a token on the first visit."""


class Path(StrEnum):
    """The web application's pages that links point at (fixed paths)."""

    HOME = "/"
    NEW_REQUEST = "/permohonan/baru"
    REQUEST = "/permohonan/{nomor}"
    NEW_REGISTRATION = "/pendaftaran-ppbj"
    REGISTRATION = "/pendaftaran/{nomor}"
    SET_PASSWORD = "/atur-kata-sandi"
    LOGIN = "/masuk"
    LOGOUT = "/keluar"
    INBOX = "/tugas"
    TASK = "/tugas/{key}"
    REVIEW = "/pemeriksaan/{nomor}"
    MONITOR = "/pantau"
    MONITOR_INSTANCE = "/pantau/{key}"
    HEALTH = "/sehat"


APPLICANT_ROLES = {RequestKind.ADMIN_PPE: PersonRole.KEPALA_LPSE, RequestKind.PPBJ: PersonRole.PPBJ}
"""Who follows a request of each SOP in the browser with the links of its e-mails."""


class ApplicantPage(StrEnum):
    """Where an applicant's link leads."""

    REQUEST = "request"
    """The request's own page: its state, its documents, what is asked (`/permohonan/…`, `/pendaftaran/…`)."""
    IDENTITY_FORM = "identity-form"
    """The PPBJ's identity form (`/pendaftaran-ppbj?t=…`, SOP 2 row 3)."""


def request_path(request: RequestRecord) -> str:
    """The request's page, without a token."""
    template = Path.REQUEST if request.kind is RequestKind.ADMIN_PPE else Path.REGISTRATION
    return template.format(nomor=request.number)


def new_application_link(settings: Settings, kind: RequestKind) -> str:
    """Where to start a new request (SOP 1) or registration (SOP 2); no token."""
    return settings.app_link(Path.NEW_REQUEST if kind is RequestKind.ADMIN_PPE else Path.NEW_REGISTRATION)


def review_link(settings: Settings, number: str) -> str:
    """A request's page for the staff of its SOP – its data, documents and open tasks (staff log in; the Admin PPE's
    `tautanPemeriksaan`, the SLA reminders of staff)."""
    return settings.app_link(Path.REVIEW.format(nomor=number))


def monitor_link(settings: Settings, process_instance_key: int) -> str:
    """One process instance on the managers' monitor – its path, its timeline against the standard times, its
    reminders and incidents (staff log in; the bureau head's copy of the SLA reminders)."""
    return settings.app_link(Path.MONITOR_INSTANCE.format(key=process_instance_key))


def inbox_link(settings: Settings) -> str:
    """The staff inbox of user tasks."""
    return settings.app_link(Path.INBOX)


def set_password_link(settings: Settings, token: str) -> str:
    """The one-time set-password link of an account's raw token (only ever in its holder's e-mail)."""
    return settings.set_password_link(token)


@dataclass(frozen=True)
class IssuedLink:
    """A link with a fresh access token: the token's id, and until when it opens the page."""

    url: str = field(repr=False)
    token_id: int
    expires_at: datetime


async def issue_applicant_link(
    services: Services, request: RequestRecord, page: ApplicantPage = ApplicantPage.REQUEST
) -> IssuedLink:
    """A link to the applicant's own request with a fresh access token for it (see the module docstring)."""
    role = APPLICANT_ROLES[request.kind]
    if page is ApplicantPage.IDENTITY_FORM and request.kind is not RequestKind.PPBJ:
        raise ValueError("the identity form belongs to SOP 2 registrations")
    token = secrets.token_urlsafe(32)
    expires_at = services.now() + services.settings.applicant_link_ttl
    issued = await asyncio.to_thread(
        services.store.issue_access_token, request.number, role, hash_token(token), expires_at
    )
    path = Path.NEW_REGISTRATION if page is ApplicantPage.IDENTITY_FORM else request_path(request)
    return IssuedLink(services.settings.app_link(path, **{TOKEN_PARAMETER: token}), issued.id, expires_at)
