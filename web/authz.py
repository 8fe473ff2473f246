"""Who may see what: staff roles, the documents each role may open, applicants' access to their own request.

Staff roles (`pbj pengguna buat --peran …`) are also the candidate groups of the diagrams' user tasks: a staff member
sees the open tasks of the groups named by their roles. The PM of LKPP handles SOP 1 (Registrasi Admin PPE) and may
open its documents, the Admin PPE handles SOP 2 (Pendaftaran Akun PPBJ) and may open its documents; managers
(`pimpinan`) watch the processes without opening personal documents. An applicant sees only the request whose
e-mail link they opened, in the role the link was issued for (`BrowserSession.grant_for`).
"""

from enum import StrEnum

from web.errors import ForbiddenError
from web.sessions import BrowserSession
from workers.domain import PersonRole, RequestKind
from workers.store import AccessTokenRecord, StaffUserRecord


class StaffRole(StrEnum):
    """Roles of staff accounts."""

    PM_LKPP = "pm-lkpp"
    ADMIN_PPE = "admin-ppe"
    PIMPINAN = "pimpinan"

    @property
    def label(self) -> str:
        """The role's name for people."""
        return _LABELS[self]


_LABELS = {
    StaffRole.PM_LKPP: "PM Direktorat e-Procurement LKPP",
    StaffRole.ADMIN_PPE: "Admin PPE",
    StaffRole.PIMPINAN: "Pimpinan",
}

DOCUMENT_VIEWERS: dict[RequestKind, StaffRole] = {
    RequestKind.ADMIN_PPE: StaffRole.PM_LKPP,
    RequestKind.PPBJ: StaffRole.ADMIN_PPE,
}
"""The staff role that may open a request's documents and personal data, by SOP."""

NOT_YOURS = "Halaman ini hanya dapat dibuka melalui tautan dalam e-mail tentang permohonan tersebut, oleh pemohonnya."
NOT_YOURS_HINT = (
    "Buka tautan pada e-mail terbaru tentang permohonan Anda. Bila Anda petugas, masuk terlebih dahulu melalui "
    "halaman Masuk petugas."
)


def require_grant(session: BrowserSession, number: str, role: PersonRole) -> AccessTokenRecord:
    """The applicant's access to this request; `ForbiddenError` (the same whether the number exists or not)."""
    grant = session.grant_for(number, role)
    if grant is None:
        raise ForbiddenError(NOT_YOURS, hint=NOT_YOURS_HINT)
    return grant


def require_staff(session: BrowserSession, *roles: StaffRole) -> StaffUserRecord:
    """The logged-in staff member holding one of `roles` (any role when none is named); `ForbiddenError` else."""
    staff = session.staff
    if staff is None:
        raise ForbiddenError(
            "Halaman ini hanya untuk petugas yang sudah masuk.", hint="Masuk melalui halaman Masuk petugas."
        )
    if roles and not set(staff.roles) & {role.value for role in roles}:
        raise ForbiddenError("Peran akun Anda tidak mencakup halaman ini.")
    return staff


def may_open_documents(staff: StaffUserRecord, kind: RequestKind) -> bool:
    """Whether the staff member may open the documents and personal data of requests of this SOP."""
    return DOCUMENT_VIEWERS[kind].value in staff.roles
