"""Names shared with the diagrams in `bpmn/`, defined once: task types, headers, messages, templates, variables.

The values are fixed by `processes.md` (shared docs) and `docs/processes-design.md`; the workers and the tests
use these constants instead of repeating the strings. `tests/workers/test_task_contract.py` parses `bpmn/` and
checks that every task type has a handler and every handler a task type, that the handlers read and return only
the variables listed here and that every header value the diagrams use is known.

Handler parameters must be spelled like the process variables themselves (pyzeebe fetches variables by parameter
name), so `Var` documents the names the handlers use; it does not generate them.
"""

from datetime import timedelta
from enum import StrEnum

from workers.domain import System


class TaskType(StrEnum):
    """The job types of the service tasks (`zeebe:taskDefinition type`) and of the execution listeners
    (`zeebe:executionListener type`: `hitung-batas-waktu-sla`, see docs/processes-design.md)."""

    PERIKSA_KELENGKAPAN_BERKAS = "periksa-kelengkapan-berkas"
    KIRIM_EMAIL = "kirim-email"
    BUAT_AKUN = "buat-akun"
    VERIFIKASI_IDENTITAS = "verifikasi-identitas"
    AKTIFKAN_AKUN = "aktifkan-akun"
    ARSIPKAN_DOKUMEN = "arsipkan-dokumen"
    KIRIM_NOTIFIKASI_SLA = "kirim-notifikasi-sla"
    HITUNG_BATAS_WAKTU_SLA = "hitung-batas-waktu-sla"


class Header(StrEnum):
    """Task headers (`zeebe:taskHeaders`)."""

    TEMPLATE = "template"
    PENERIMA = "penerima"
    SISTEM = "sistem"
    PERAN = "peran"
    STATUS = "status"


class Message(StrEnum):
    """Message names the receive tasks wait for (published by the application, correlated by request number)."""

    BERKAS_DILENGKAPI = "berkas-dilengkapi"
    IDENTITAS_PPBJ_DIISI = "identitas-ppbj-diisi"
    INFORMASI_PPBJ_DILENGKAPI = "informasi-ppbj-dilengkapi"


ERROR_CODES: frozenset[str] = frozenset()
"""BPMN error codes the diagrams model: none, so no handler raises `BusinessError` (processes-design.md)."""


class Template(StrEnum):
    """E-mail templates (`template` header; one folder each under `templates/`)."""

    PERMINTAAN_KELENGKAPAN_BERKAS = "permintaan-kelengkapan-berkas"
    PENGINGAT_PERMOHONAN = "pengingat-permohonan"
    PERMOHONAN_KEDALUWARSA = "permohonan-kedaluwarsa"
    AKUN_ADMIN_PPE_DIBUAT = "akun-admin-ppe-dibuat"
    UNDANGAN_ADMIN_PPE = "undangan-admin-ppe"
    FORMULIR_REGISTRASI_PPBJ = "formulir-registrasi-ppbj"
    IDENTITAS_PERLU_PERBAIKAN = "identitas-perlu-perbaikan"
    PERMINTAAN_INFORMASI_PPBJ = "permintaan-informasi-ppbj"
    INFORMASI_PERLU_DILENGKAPI = "informasi-perlu-dilengkapi"
    AKUN_PPBJ_AKTIF = "akun-ppbj-aktif"
    PENDAFTARAN_KEDALUWARSA = "pendaftaran-kedaluwarsa"
    PENGINGAT_SLA = "pengingat-sla"


class Performer(StrEnum):
    """Performer roles of the SLA timers (`slaPelaksana`) and the bureau head who may get a copy."""

    KEPALA_LPSE = "kepala-lpse"
    PM_LKPP = "pm-lkpp"
    PPBJ = "ppbj"
    ADMIN_PPE = "admin-ppe"
    KEPALA_BIRO = "kepala-biro"


class Var(StrEnum):
    """Process variables the workers read or write (docs/processes-design.md, "Variables at a glance")."""

    NOMOR_PERMOHONAN = "nomorPermohonan"
    NOMOR_PENDAFTARAN = "nomorPendaftaran"
    DOKUMEN_PERMOHONAN = "dokumenPermohonan"
    BERKAS_LENGKAP = "berkasLengkap"
    KEKURANGAN_BERKAS = "kekuranganBerkas"
    ID_AKUN = "idAkun"
    STATUS_AKUN = "statusAkun"
    NOMOR_ARSIP = "nomorArsip"
    NIK_TERSAMAR = "nikTersamar"
    IDENTITAS_REF = "identitasRef"
    IDENTITAS_VALID = "identitasValid"
    CATATAN_VERIFIKASI = "catatanVerifikasi"
    DOKUMEN_PENETAPAN = "dokumenPenetapan"
    TAUTAN_PEMERIKSAAN = "tautanPemeriksaan"
    INFORMASI_LENGKAP = "informasiLengkap"
    CATATAN_PEMERIKSAAN = "catatanPemeriksaan"
    BUTIR_PEMERIKSAAN = "butirPemeriksaan"
    HASIL_AKTIVASI = "hasilAktivasi"
    SISTEM = "sistem"
    STATUS_AKTIVASI = "statusAktivasi"
    SLA_LANGKAH = "slaLangkah"
    SLA_KEGIATAN = "slaKegiatan"
    SLA_BARIS_SOP = "slaBarisSop"
    SLA_BATAS_WAKTU = "slaBatasWaktu"
    SLA_PELAKSANA = "slaPelaksana"
    SLA_MULAI = "slaMulai"
    SLA_BATAS_WAKTU_KERJA = "slaBatasWaktuKerja"


STATUS_SUBMITTED = "DIAJUKAN"
"""Request status from its submission until its process ends."""

STATUS_EXPIRED = "KEDALUWARSA"
"""Request status after the expiry e-mail: the request is closed, a new one may reuse the person's identifiers."""

STATUS_COMPLETED = "SELESAI"
"""Request status after the SOP's last step: SOP 1 archived (row 8), SOP 2 the active account e-mailed (row 7)."""

STATUS_LABELS = {
    STATUS_SUBMITTED: "sedang diproses",
    STATUS_COMPLETED: "selesai",
    STATUS_EXPIRED: "ditutup (kedaluwarsa)",
}
"""Request statuses as people read them."""

SIDE_END_EVENTS = frozenset(
    {"NotifikasiSlaTerkirimEndEvent", "PengingatKelengkapanTerkirimEndEvent", "AktivasiAkunPpbjSelesaiEndEvent"}
)
"""End events the instance goes on after – of side paths (an SLA notice, a reminder) and of SOP 2 row 7's embedded
sub-process – so none of them is where a request ended, even when it is reached at the same instant as the end that
is."""

ADMIN_PPE_ACCOUNT_SYSTEM = System.SPSE
"""SOP 1 row 5 creates the Admin PPE's account on SPSE (`BuatAkunAdminPpeTask`, header `sistem`)."""

JOB_TIMEOUT_MS = 120_000
"""How long a worker holds a job before Zeebe hands it out again; longer than SMTP_TIMEOUT and
PROVISIONING_TIMEOUT at their defaults, so a slow server does not make Zeebe deliver the job twice at once."""

RETRY_BACKOFF_BASE = timedelta(seconds=5)
"""Back-off after a job's first failure; it doubles with every further failure."""

RETRY_BACKOFF_MAX = timedelta(minutes=5)
"""The longest back-off between two attempts."""

DEFAULT_JOB_RETRIES = 3
"""Retries of a service task without a `retries` attribute (Zeebe's default; the diagrams set none)."""
