"""Domain vocabulary of the two SOPs: request kinds, person roles, document types, systems, account roles and states.

The string values are the ones the diagrams and process variables use (task headers `sistem`, `peran`,
`status`; the `kirim-email` header `penerima`; `dokumenPermohonan[].jenis`), so they can be compared directly.
"""

from dataclasses import dataclass
from datetime import timedelta, timezone
from enum import StrEnum

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")

TIME_ZONES: dict[str, timezone] = {"WIB": WIB, "WITA": WITA, "WIT": WIT}
"""Indonesia's three zones by abbreviation (no daylight saving): Kalbar and Jakarta WIB, Kaltim WITA, Maluku and
Papua WIT. The one rule for times people read: every time of a request – in its e-mails (to applicants and to
staff alike, the PM of LKPP in Jakarta included), in the commands and on the pages – is shown in the zone of the
province that runs its SOP (`RequestKind.timezone`), with the abbreviation."""


class RequestKind(StrEnum):
    """Which SOP a request belongs to."""

    ADMIN_PPE = "ADMIN_PPE"
    PPBJ = "PPBJ"

    @property
    def prefix(self) -> str:
        """Prefix of the request number (`ADM-2026-000123`, `PPBJ-2026-000045`)."""
        return _PREFIXES[self]

    @property
    def process_id(self) -> str:
        """BPMN process id of the SOP."""
        return _PROCESS_IDS[self]

    @property
    def number_variable(self) -> str:
        """Name of the process variable that carries the request number."""
        return _NUMBER_VARIABLES[self]

    @property
    def sop_name(self) -> str:
        """The SOP's name as e-mails show it."""
        return _SOP_NAMES[self]

    @property
    def timezone(self) -> timezone:
        """Local time zone of the province that runs the SOP; the request number's year is counted in it, and every
        time of its requests is shown in it (`TIME_ZONES`)."""
        return _TIMEZONES[self]

    @property
    def province(self) -> str:
        """The province that runs the SOP: Kalimantan Timur (SOP 1), Kalimantan Barat (SOP 2); its working calendar
        (`workers.working_time`) counts the SOP's standard times."""
        return _PROVINCES[self]

    @property
    def zone(self) -> str:
        """The abbreviation of that zone: WITA (SOP 1, Kalimantan Timur), WIB (SOP 2, Kalimantan Barat)."""
        return _ZONE_NAMES[self]

    @property
    def noun(self) -> str:
        """What a request of this SOP is called: `Permohonan` (SOP 1) or `Pendaftaran` (SOP 2), as in `Nomor
        Permohonan`, `Pendaftaran No. PPBJ-2026-000045`."""
        return _NOUNS[self]


_PREFIXES = {RequestKind.ADMIN_PPE: "ADM", RequestKind.PPBJ: "PPBJ"}
_PROCESS_IDS = {RequestKind.ADMIN_PPE: "registrasiAdminPpe", RequestKind.PPBJ: "pendaftaranAkunPpbj"}
_NUMBER_VARIABLES = {RequestKind.ADMIN_PPE: "nomorPermohonan", RequestKind.PPBJ: "nomorPendaftaran"}
_TIMEZONES = {RequestKind.ADMIN_PPE: WITA, RequestKind.PPBJ: WIB}
_PROVINCES = {RequestKind.ADMIN_PPE: "Kalimantan Timur", RequestKind.PPBJ: "Kalimantan Barat"}
_ZONE_NAMES = {RequestKind.ADMIN_PPE: "WITA", RequestKind.PPBJ: "WIB"}
_NOUNS = {RequestKind.ADMIN_PPE: "Permohonan", RequestKind.PPBJ: "Pendaftaran"}
_SOP_NAMES = {
    RequestKind.ADMIN_PPE: "Registrasi Admin PPE",
    RequestKind.PPBJ: "Pendaftaran Akun Pengelola Pengadaan Barang/Jasa",
}


class PersonRole(StrEnum):
    """A person's part in a request; the values are the `kirim-email` header `penerima`."""

    KEPALA_LPSE = "kepala-lpse"
    ADMIN_PPE = "admin-ppe"
    PPBJ = "ppbj"


class DocumentType(StrEnum):
    """Document types of both SOPs (`dokumenPermohonan[].jenis`, `dokumenPenetapan.jenis`)."""

    SK_PEMBENTUKAN_LPSE = "SK_PEMBENTUKAN_LPSE"
    PROFIL_LPSE = "PROFIL_LPSE"
    DATA_PERSONIL_ADMIN_PPE = "DATA_PERSONIL_ADMIN_PPE"
    KTP_ADMIN_PPE = "KTP_ADMIN_PPE"
    SK = "SK"
    SURAT_TUGAS = "SURAT_TUGAS"

    @property
    def label(self) -> str:
        """The document's name as the SOP writes it."""
        return _DOCUMENT_LABELS[self]


_DOCUMENT_LABELS = {
    DocumentType.SK_PEMBENTUKAN_LPSE: "SK Pembentukan dan Penunjukan Personil LPSE",
    DocumentType.PROFIL_LPSE: "Data Profil LPSE",
    DocumentType.DATA_PERSONIL_ADMIN_PPE: "Data Personil Admin PPE",
    DocumentType.KTP_ADMIN_PPE: "KTP Admin PPE",
    DocumentType.SK: "Surat Keputusan (SK) Pengelola Pengadaan Barang/Jasa",
    DocumentType.SURAT_TUGAS: "Surat Tugas Pengelola Pengadaan Barang/Jasa",
}

REQUIRED_ADMIN_PPE_DOCUMENTS: tuple[DocumentType, ...] = (
    DocumentType.SK_PEMBENTUKAN_LPSE,
    DocumentType.PROFIL_LPSE,
    DocumentType.DATA_PERSONIL_ADMIN_PPE,
    DocumentType.KTP_ADMIN_PPE,
)
"""The four documents SOP 1 row 1 requires."""

PPBJ_APPOINTMENT_DOCUMENTS: tuple[DocumentType, ...] = (DocumentType.SK, DocumentType.SURAT_TUGAS)
"""SOP 2 row 5: one of these proves the PPBJ's appointment."""


class System(StrEnum):
    """Systems an account lives in; `DIREKTORI` is the bureau's own account directory (no `sistem` header)."""

    DIREKTORI = "DIREKTORI"
    SPSE = "SPSE"
    SIRUP = "SiRUP"
    SIPRAJA = "SiPRAJA"


class AccountRole(StrEnum):
    """Account roles (task header `peran`)."""

    ADMIN_PPE = "ADMIN_PPE"
    PPBJ = "PPBJ"


class AccountStatus(StrEnum):
    """Account states (task header `status`; absent means active)."""

    PENDING = "PENDING"
    ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class PersonData:
    """A person's data as the application receives it; stored only in the application store."""

    name: str
    email: str | None = None
    whatsapp: str | None = None
    nik: str | None = None
    nip: str | None = None
    institution: str | None = None
    position: str | None = None


@dataclass(frozen=True)
class AdminPpeRequestData:
    """SOP 1 row 1: the LPSE, its head (name, e-mail) and the proposed Admin PPE (name, NIK, NIP, e-mail, WhatsApp)."""

    lpse_name: str
    kepala_lpse: PersonData
    admin_ppe: PersonData


@dataclass(frozen=True)
class PpbjIdentityData:
    """SOP 2 row 3: the identity a PPBJ fills in after the pending account was created."""

    nik: str
    nip: str
    institution: str
    position: str
