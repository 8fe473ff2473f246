"""Validators for the identifiers a PPBJ or Admin PPE gives: NIK, NIP/PPPK number, WhatsApp number, e-mail.

Each validator returns a `ValidationResult`: the normalised value (only when valid), the problems that make the
input invalid and the warnings that do not. Problems and warnings carry a stable `kode` and a reason (`pesan`) in
formal Indonesian addressed to the applicant. No message ever repeats the value it is about, so the results can
travel in process variables (`catatanVerifikasi`) and logs without leaking personal data.

Decisions (see also the module's tests):
- NIK: the region codes must be plausible (a real province code, regency and district not 00), the date field a
  real calendar date (day 01–31, or 41–71 for women), the serial not 0000. A NIK that disagrees with the birth
  date given elsewhere is only a warning: a NIK never changes.
- NIP: a month of appointment 13–99 in a number appointed from 2019 on is read as a PPPK number (digits 13–14 are
  a code, e.g. 21 or 24), not as a bad month.
- NIP against NIK: a different sex or birth date is a **warning**, not a problem. The two numbers come from
  different registers (BKN and Dukcapil), real records do disagree, and the applicant cannot change either
  number; the Admin PPE sees the warning when checking the documents (SOP 2 row 6, "identitas-sesuai").
- E-mail: syntax only (no DNS look-up); a domain outside the official allow-list (default `.go.id`) is a warning.
"""

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from email_validator import EmailNotValidError, validate_email

__all__ = [
    "DEFAULT_OFFICIAL_EMAIL_DOMAINS",
    "PROVINCE_CODES",
    "IdentityCheck",
    "Issue",
    "NikInfo",
    "NipInfo",
    "ValidationResult",
    "mask_email",
    "mask_nik",
    "mask_phone",
    "normalize_phone",
    "parse_nik",
    "parse_nip",
    "validate_email_address",
    "validate_nik",
    "validate_nip",
    "validate_phone",
    "verify_identity",
]

PROVINCE_CODES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}
"""Kemendagri province codes as used in NIKs (the 2022 Papua provinces 93–96 included)."""

DEFAULT_OFFICIAL_EMAIL_DOMAINS: tuple[str, ...] = ("go.id",)
"""Domain suffixes of official government addresses; a domain equal to or ending in `.<suffix>` is official."""

PPPK_FIRST_YEAR = 2019
"""The first year PPPK staff were appointed (PP 49/2018); earlier 13–14 values above 12 are bad months."""

MIN_AGE_AT_APPOINTMENT = 18
MIN_BIRTH_YEAR = 1940

_PHONE_PATTERN = re.compile(r"^\+628[1-35-9]\d{7,10}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_WHITESPACE = re.compile(r"\s+")

Level = Literal["galat", "peringatan"]


@dataclass(frozen=True)
class Issue:
    """One problem or warning: a stable code for machines and a reason in formal Indonesian for the applicant."""

    kode: str
    pesan: str


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of one validator: the normalised value (None unless valid), problems and warnings."""

    value: str | None
    problems: tuple[Issue, ...] = ()
    warnings: tuple[Issue, ...] = ()

    @property
    def valid(self) -> bool:
        """True when there is no problem (warnings never make a value invalid)."""
        return not self.problems

    def catatan(self) -> list[dict[str, str]]:
        """Problems then warnings as `{kode, pesan, tingkat}` dicts, the shape of `catatanVerifikasi`."""
        return [{"kode": i.kode, "pesan": i.pesan, "tingkat": "galat"} for i in self.problems] + [
            {"kode": i.kode, "pesan": i.pesan, "tingkat": "peringatan"} for i in self.warnings
        ]


def _invalid(*problems: Issue) -> ValidationResult:
    """A result with the given problems and no value."""
    return ValidationResult(value=None, problems=tuple(problems))


def _result(value: str, problems: list[Issue], warnings: list[Issue]) -> ValidationResult:
    """A result carrying the value only when there are no problems."""
    return ValidationResult(value=None if problems else value, problems=tuple(problems), warnings=tuple(warnings))


def _valid_day(year: int | None, month: int, day: int) -> bool:
    """Whether the day exists in the month (29 February is allowed when the year is unknown)."""
    if not 1 <= month <= 12 or day < 1:
        return False
    if year is None:
        return day <= (29 if month == 2 else calendar.monthrange(2001, month)[1])
    return day <= calendar.monthrange(year, month)[1]


# --- NIK -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NikInfo:
    """The fields of a 16-digit NIK `PP KK CC DDMMYY SSSS`, as written (not checked)."""

    provinsi: str
    kabupaten_kota: str
    kecamatan: str
    hari: int
    bulan: int
    tahun_dua_digit: int
    nomor_urut: str

    @property
    def perempuan(self) -> bool:
        """Women's NIKs carry the birth day plus 40."""
        return self.hari > 40

    @property
    def hari_lahir(self) -> int:
        """The birth day with the +40 for women removed."""
        return self.hari - 40 if self.hari > 40 else self.hari


def _strip_nik(nik: str) -> str:
    """Remove whitespace from a NIK as typed."""
    return _WHITESPACE.sub("", nik)


def parse_nik(nik: str) -> NikInfo | None:
    """Split a NIK into its fields, or None if it is not 16 digits (whitespace ignored)."""
    digits = _strip_nik(nik)
    if len(digits) != 16 or not digits.isascii() or not digits.isdigit():
        return None
    return NikInfo(
        provinsi=digits[0:2],
        kabupaten_kota=digits[2:4],
        kecamatan=digits[4:6],
        hari=int(digits[6:8]),
        bulan=int(digits[8:10]),
        tahun_dua_digit=int(digits[10:12]),
        nomor_urut=digits[12:16],
    )


def validate_nik(nik: str, *, tanggal_lahir: date | None = None) -> ValidationResult:
    """Check a NIK's shape, region codes, date field and serial; warn if it disagrees with `tanggal_lahir`."""
    if not nik.strip():
        return _invalid(Issue("nik-kosong", "NIK wajib diisi."))
    info = parse_nik(nik)
    if info is None:
        return _invalid(Issue("nik-format", "NIK harus terdiri atas 16 digit angka."))
    problems: list[Issue] = []
    warnings: list[Issue] = []
    if info.provinsi not in PROVINCE_CODES:
        problems.append(
            Issue("nik-provinsi", "Kode provinsi pada NIK (digit ke-1 dan ke-2) tidak sesuai dengan kode provinsi.")
        )
    if info.kabupaten_kota == "00":
        problems.append(Issue("nik-kabupaten", "Kode kabupaten/kota pada NIK (digit ke-3 dan ke-4) tidak boleh 00."))
    if info.kecamatan == "00":
        problems.append(Issue("nik-kecamatan", "Kode kecamatan pada NIK (digit ke-5 dan ke-6) tidak boleh 00."))
    day_ok = 1 <= info.hari <= 31 or 41 <= info.hari <= 71
    month_ok = 1 <= info.bulan <= 12
    if not day_ok:
        problems.append(
            Issue(
                "nik-tanggal",
                "Tanggal lahir pada NIK (digit ke-7 dan ke-8) harus 01–31, atau 41–71 untuk perempuan.",
            )
        )
    if not month_ok:
        problems.append(Issue("nik-bulan", "Bulan lahir pada NIK (digit ke-9 dan ke-10) harus 01–12."))
    if day_ok and month_ok and not _valid_day(None, info.bulan, info.hari_lahir):
        problems.append(
            Issue("nik-tanggal", "Tanggal lahir pada NIK (digit ke-7 sampai ke-10) tidak terdapat dalam kalender.")
        )
    if info.nomor_urut == "0000":
        problems.append(Issue("nik-nomor-urut", "Nomor urut pada NIK (empat digit terakhir) tidak boleh 0000."))
    if (
        not problems
        and tanggal_lahir is not None
        and (info.hari_lahir, info.bulan, info.tahun_dua_digit)
        != (tanggal_lahir.day, tanggal_lahir.month, tanggal_lahir.year % 100)
    ):
        warnings.append(
            Issue(
                "nik-tanggal-lahir-berbeda",
                "Tanggal lahir yang tercantum pada NIK berbeda dengan tanggal lahir yang diisi. NIK tidak perlu "
                "diubah; petugas akan mencocokkan data dengan KTP.",
            )
        )
    return _result(_strip_nik(nik), problems, warnings)


def mask_nik(nik: str) -> str:
    """Mask a NIK for display and logs: first 4 and last 2 digits kept (`6471**********01`); anything else all stars."""
    digits = _strip_nik(nik)
    if len(digits) != 16:
        return "*" * len(digits)
    return digits[:4] + "*" * 10 + digits[-2:]


# --- NIP ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NipInfo:
    """The fields of an 18-digit NIP `yyyymmdd yyyymm g nnn` (or PPPK `yyyymmdd yyyy kk g nnn`), as written."""

    tahun_lahir: int
    bulan_lahir: int
    hari_lahir: int
    tahun_pengangkatan: int
    bulan_atau_kode: int
    jenis_kelamin: str
    nomor_urut: str

    @property
    def pppk(self) -> bool:
        """Whether digits 13–14 are a PPPK code (13–99, appointed 2019 or later) rather than a month."""
        return self.bulan_atau_kode > 12 and self.tahun_pengangkatan >= PPPK_FIRST_YEAR

    @property
    def tanggal_lahir(self) -> date | None:
        """The birth date, or None if digits 1–8 are not a real date."""
        if not _valid_day(self.tahun_lahir, self.bulan_lahir, self.hari_lahir):
            return None
        return date(self.tahun_lahir, self.bulan_lahir, self.hari_lahir)


def _strip_nip(nip: str) -> str:
    """Remove the spaces a NIP is printed with (`19720528 200502 1 001`)."""
    return _WHITESPACE.sub("", nip)


def parse_nip(nip: str) -> NipInfo | None:
    """Split a NIP into its fields, or None if it is not 18 digits (spaces ignored)."""
    digits = _strip_nip(nip)
    if len(digits) != 18 or not digits.isascii() or not digits.isdigit():
        return None
    return NipInfo(
        tahun_lahir=int(digits[0:4]),
        bulan_lahir=int(digits[4:6]),
        hari_lahir=int(digits[6:8]),
        tahun_pengangkatan=int(digits[8:12]),
        bulan_atau_kode=int(digits[12:14]),
        jenis_kelamin=digits[14],
        nomor_urut=digits[15:18],
    )


def validate_nip(nip: str, *, nik: str | None = None, today: date | None = None) -> ValidationResult:
    """Check a NIP or PPPK number; with a valid `nik`, warn when sex or birth date disagree with it."""
    if not nip.strip():
        return _invalid(Issue("nip-kosong", "NIP wajib diisi."))
    info = parse_nip(nip)
    if info is None:
        return _invalid(Issue("nip-format", "NIP harus terdiri atas 18 digit angka (spasi boleh diabaikan)."))
    today = today or date.today()
    problems: list[Issue] = []
    warnings: list[Issue] = []
    born = info.tanggal_lahir
    if born is None:
        problems.append(
            Issue("nip-tanggal-lahir", "Tanggal lahir pada NIP (digit ke-1 sampai ke-8, format TTTTBBHH) tidak valid.")
        )
    elif not MIN_BIRTH_YEAR <= born.year <= today.year - MIN_AGE_AT_APPOINTMENT:
        problems.append(Issue("nip-tanggal-lahir", "Tahun lahir pada NIP (digit ke-1 sampai ke-4) tidak wajar."))
    if not info.pppk and not 1 <= info.bulan_atau_kode <= 12:
        problems.append(
            Issue("nip-bulan-pengangkatan", "Bulan pengangkatan pada NIP (digit ke-13 dan ke-14) harus 01–12.")
        )
    if info.tahun_pengangkatan > today.year + 1:
        problems.append(
            Issue("nip-tahun-pengangkatan", "Tahun pengangkatan pada NIP (digit ke-9 sampai ke-12) tidak valid.")
        )
    elif born is not None and info.tahun_pengangkatan - born.year < MIN_AGE_AT_APPOINTMENT:
        problems.append(
            Issue(
                "nip-usia-pengangkatan",
                "Tahun pengangkatan pada NIP (digit ke-9 sampai ke-12) harus sekurang-kurangnya 18 tahun setelah "
                "tahun lahir.",
            )
        )
    if info.jenis_kelamin not in {"1", "2"}:
        problems.append(
            Issue(
                "nip-jenis-kelamin",
                "Kode jenis kelamin pada NIP (digit ke-15) harus 1 (laki-laki) atau 2 (perempuan).",
            )
        )
    if info.nomor_urut == "000":
        problems.append(Issue("nip-nomor-urut", "Nomor urut pada NIP (tiga digit terakhir) tidak boleh 000."))
    if not problems and nik is not None and validate_nik(nik).valid:
        warnings.extend(_cross_check(info, parse_nik(nik)))
    return _result(_strip_nip(nip), problems, warnings)


def _cross_check(nip: NipInfo, nik: NikInfo | None) -> list[Issue]:
    """Warnings for a NIP whose sex digit or birth date disagrees with a (valid) NIK."""
    if nik is None:
        return []
    warnings: list[Issue] = []
    if (nip.jenis_kelamin == "2") != nik.perempuan:
        warnings.append(
            Issue(
                "nip-jenis-kelamin-berbeda-nik",
                "Kode jenis kelamin pada NIP (digit ke-15) tidak sesuai dengan NIK. Mohon periksa kembali kedua "
                "nomor; petugas akan mencocokkan data dengan KTP dan SK.",
            )
        )
    if (nip.hari_lahir, nip.bulan_lahir, nip.tahun_lahir % 100) != (
        nik.hari_lahir,
        nik.bulan,
        nik.tahun_dua_digit,
    ):
        warnings.append(
            Issue(
                "nip-tanggal-lahir-berbeda-nik",
                "Tanggal lahir pada NIP berbeda dengan tanggal lahir yang tercantum pada NIK. Hal ini dapat "
                "terjadi; petugas akan mencocokkan data dengan KTP dan SK.",
            )
        )
    return warnings


# --- WhatsApp / mobile ---------------------------------------------------------------------------------------------


def normalize_phone(phone: str) -> str:
    """Bring `08…`, `628…` or `+628…` (spaces, dots, dashes, brackets dropped) to `+628…`; unknown shapes unchanged."""
    compact = _PHONE_SEPARATORS.sub("", phone)
    if compact.startswith("+"):
        return compact
    if compact.startswith("62"):
        return "+" + compact
    if compact.startswith("0"):
        return "+62" + compact[1:]
    return compact


def validate_phone(phone: str, *, label: str = "Nomor WhatsApp") -> ValidationResult:
    """Normalise an Indonesian mobile number and check it against `^\\+628[1-35-9]\\d{7,10}$`."""
    if not phone.strip():
        return _invalid(Issue("telepon-kosong", f"{label} wajib diisi."))
    normalised = normalize_phone(phone)
    if not _PHONE_PATTERN.fullmatch(normalised):
        return _invalid(
            Issue(
                "telepon-format",
                f"{label} harus berupa nomor seluler Indonesia yang diawali 08, 628, atau +628, misalnya "
                "0812-3456-7890.",
            )
        )
    return ValidationResult(value=normalised)


def mask_phone(phone: str) -> str:
    """Mask a mobile number for logs: `+62812*****890` (first 6 and last 3 characters of the normalised form)."""
    normalised = normalize_phone(phone)
    if len(normalised) < 10:
        return "*" * len(normalised)
    return normalised[:6] + "*" * (len(normalised) - 9) + normalised[-3:]


# --- e-mail ----------------------------------------------------------------------------------------------------


def _official(domain: str, official_domains: Iterable[str]) -> bool:
    """Whether the domain is one of, or below one of, the official suffixes."""
    domain = domain.lower().rstrip(".")
    suffixes = (s.lower().strip(".") for s in official_domains)
    return any(domain == suffix or domain.endswith("." + suffix) for suffix in suffixes)


def validate_email_address(
    address: str, *, official_domains: Iterable[str] = DEFAULT_OFFICIAL_EMAIL_DOMAINS
) -> ValidationResult:
    """Check an e-mail address's syntax (no DNS look-up); warn when its domain is not official (default `.go.id`)."""
    address = address.strip()
    if not address:
        return _invalid(Issue("email-kosong", "Alamat e-mail wajib diisi."))
    try:
        checked = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return _invalid(
            Issue(
                "email-format",
                "Alamat e-mail tidak valid. Mohon periksa kembali penulisannya, misalnya nama@kalbarprov.go.id.",
            )
        )
    suffixes = tuple(official_domains)
    warnings: list[Issue] = []
    if not _official(checked.domain, suffixes):
        listed = ", ".join("." + s.strip(".") for s in suffixes)
        warnings.append(
            Issue(
                "email-bukan-dinas",
                f"Alamat e-mail tidak menggunakan domain resmi instansi pemerintah ({listed}). Alamat ini tetap "
                "dapat digunakan, namun kami sarankan menggunakan alamat e-mail dinas.",
            )
        )
    return ValidationResult(value=checked.normalized, warnings=tuple(warnings))


def mask_email(address: str) -> str:
    """Mask an e-mail address for logs: first character of the local part, then `***@domain`."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


# --- the whole identity (SOP 2 row 4) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityCheck:
    """The four checks of a PPBJ's identity together (duplicates are the store's business, not checked here)."""

    nik: ValidationResult
    nip: ValidationResult
    email: ValidationResult
    whatsapp: ValidationResult

    @property
    def valid(self) -> bool:
        """True when none of the four has a problem."""
        return all(r.valid for r in (self.nik, self.nip, self.email, self.whatsapp))

    def catatan(self) -> list[dict[str, str]]:
        """Every problem, then every warning, as `{kode, pesan, tingkat}` dicts (`catatanVerifikasi`)."""
        notes = [n for r in (self.nik, self.nip, self.email, self.whatsapp) for n in r.catatan()]
        return [n for n in notes if n["tingkat"] == "galat"] + [n for n in notes if n["tingkat"] == "peringatan"]


def verify_identity(
    *,
    nik: str,
    nip: str,
    email: str,
    whatsapp: str,
    tanggal_lahir: date | None = None,
    official_email_domains: Iterable[str] = DEFAULT_OFFICIAL_EMAIL_DOMAINS,
    today: date | None = None,
) -> IdentityCheck:
    """Validate NIK, NIP (cross-checked against the NIK), e-mail and WhatsApp number of one applicant."""
    return IdentityCheck(
        nik=validate_nik(nik, tanggal_lahir=tanggal_lahir),
        nip=validate_nip(nip, nik=nik, today=today),
        email=validate_email_address(email, official_domains=official_email_domains),
        whatsapp=validate_phone(whatsapp),
    )
