"""Realistic contexts for every e-mail template (SOP 1 in Kalimantan Timur, SOP 2 in Kalimantan Barat)."""

from datetime import UTC, datetime
from typing import Any

WHEN = datetime(2025, 11, 21, 3, 30, tzinfo=UTC)
"""Friday 21 November 2025, 10.30 WIB = 11.30 WITA."""

SOP1 = {
    "nama": "Ir. Hj. Siti Rahmawati, M.Si.",
    "pengirim": "PM Direktorat e-Procurement LKPP",
    "nomorPermohonan": "ADM-2025-000123",
}
SOP2 = {
    "nama": "Rudi Hartono, S.E.",
    "pengirim": "Admin PPE LPSE Provinsi Kalimantan Barat",
    "nomorPendaftaran": "PPBJ-2025-000045",
}
KEKURANGAN = [
    {
        "dokumen": "KTP_ADMIN_PPE",
        "alasan": "Hasil pindaian KTP tidak terbaca; mohon unggah ulang dengan resolusi yang cukup.",
    },
    {"dokumen": "PROFIL_LPSE", "alasan": "Dokumen belum dilampirkan."},
]
SOP1_LINK = "https://pbj.kaltimprov.go.id/permohonan/ADM-2025-000123"
SOP2_LINK = "https://pbj.kalbarprov.go.id/pendaftaran/PPBJ-2025-000045"

CONTEXTS: dict[str, dict[str, Any]] = {
    "permintaan-kelengkapan-berkas": {**SOP1, "kekuranganBerkas": KEKURANGAN, "tautanPermohonan": SOP1_LINK},
    "pengingat-permohonan": {**SOP1, "kekuranganBerkas": KEKURANGAN, "tautanPermohonan": SOP1_LINK},
    "permohonan-kedaluwarsa": {**SOP1, "tautanPermohonanBaru": "https://pbj.kaltimprov.go.id/permohonan/baru"},
    "akun-admin-ppe-dibuat": {
        **SOP1,
        "namaAdminPpe": "Andi Pratama, S.Kom.",
        "namaPengguna": "adminppe.kaltim01",
        "namaLpse": "LPSE Provinsi Kalimantan Timur",
        "tautanLogin": "https://spse.inaproc.id/kaltimprov",
    },
    "undangan-admin-ppe": {
        **SOP1,
        "nama": "Andi Pratama, S.Kom.",
        "namaPengguna": "adminppe.kaltim01",
        "namaLpse": "LPSE Provinsi Kalimantan Timur",
        "tautanLogin": "https://spse.inaproc.id/kaltimprov",
        "tautanSekaliPakai": "https://pbj.kaltimprov.go.id/atur-kata-sandi?id=7f3a&sig=c2lnbmF0dXJl",
        "kedaluwarsaTautan": WHEN,
        "zona": "WITA",
    },
    "formulir-registrasi-ppbj": {
        **SOP2,
        "tautanFormulir": "https://pbj.kalbarprov.go.id/registrasi/PPBJ-2025-000045?sig=c2lnbmF0dXJl",
        "kedaluwarsaTautan": WHEN,
        "zona": "WIB",
    },
    "identitas-perlu-perbaikan": {
        **SOP2,
        "catatanVerifikasi": [
            {"kode": "nik-format", "pesan": "NIK harus terdiri atas 16 digit angka.", "tingkat": "galat"},
            {
                "kode": "telepon-format",
                "pesan": "Nomor WhatsApp harus berupa nomor seluler Indonesia yang diawali 08, 628, atau +628.",
                "tingkat": "galat",
            },
            {
                "kode": "email-bukan-dinas",
                "pesan": "Alamat e-mail tidak menggunakan domain resmi instansi pemerintah (.go.id).",
                "tingkat": "peringatan",
            },
        ],
        "tautanPendaftaran": SOP2_LINK,
    },
    "informasi-perlu-dilengkapi": {
        **SOP2,
        "catatanPemeriksaan": "SK yang diunggah belum ditandatangani pejabat berwenang.\nMohon unggah SK yang sah.",
        "tautanPendaftaran": SOP2_LINK,
    },
    "permintaan-informasi-ppbj": {
        **SOP2,
        "dokumenDiminta": ["SK", "SURAT_TUGAS"],
        "ketentuanBerkas": "PDF, JPG, atau PNG, paling besar 10,0 MB",
        "tautanPendaftaran": SOP2_LINK,
    },
    "akun-ppbj-aktif": {
        **SOP2,
        "namaPengguna": "rudi.hartono",
        "hasilAktivasi": [
            {"sistem": "SiRUP", "status": "ACTIVE", "idAkunSistem": "sirup-8841"},
            {"sistem": "SPSE", "status": "ACTIVE", "idAkunSistem": "spse-1207"},
            {"sistem": "SiPRAJA", "status": "ACTIVE", "idAkunSistem": "sipraja-3310"},
        ],
        "tautanSekaliPakai": "https://pbj.kalbarprov.go.id/atur-kata-sandi?t=b3JhbmctbGFpbg",
        "kedaluwarsaTautan": WHEN,
        "zona": "WIB",
    },
    "pendaftaran-kedaluwarsa": {**SOP2, "tautanDaftarUlang": "https://pbj.kalbarprov.go.id/daftar"},
    "pengingat-sla": {
        "nama": "PM Direktorat e-Procurement LKPP",
        "pengirim": "Biro Pengadaan Barang dan Jasa Setda Provinsi Kalimantan Timur",
        "nomor": "ADM-2025-000123",
        "jenisNomor": "Permohonan",
        "namaSop": "Registrasi Admin PPE",
        "slaKegiatan": "Menerima dan memeriksa kelengkapan berkas",
        "slaBarisSop": 2,
        "slaBatasWaktu": "PT10M",
        "slaTerlampauiPada": WHEN,
        "zona": "WITA",
        "untukPemohon": False,
        "untukPimpinan": False,
        "jenisLangkah": "otomatis",
        "tautan": "https://pbj.kaltimprov.go.id/pemeriksaan/ADM-2025-000123",
    },
}
"""Every template's required variables, with realistic values."""

OPTIONAL: dict[str, dict[str, Any]] = {
    "permohonan-kedaluwarsa": {"masaTunggu": "P14D"},
    "pendaftaran-kedaluwarsa": {"masaTunggu": "P14D"},
}
"""Variables a template uses only when given."""

SLA_FOR_PPBJ: dict[str, Any] = {
    **SOP2,
    "nomor": "PPBJ-2025-000045",
    "jenisNomor": "Pendaftaran",
    "namaSop": "Pendaftaran Akun Pengelola Pengadaan Barang/Jasa",
    "slaKegiatan": "Melengkapi informasi PPBJ",
    "slaBarisSop": 5,
    "slaBatasWaktu": "PT15M",
    "slaTerlampauiPada": WHEN,
    "zona": "WIB",
    "untukPemohon": True,
    "untukPimpinan": False,
    "jenisLangkah": "pemohon",
    "tautan": SOP2_LINK,
}
"""The SLA reminder as the PPBJ reads it when row 5 waits on them past its standard time."""
