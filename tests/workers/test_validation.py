"""Tests of workers.validation: NIK, NIP/PPPK, WhatsApp number and e-mail validators, masks, the identity check."""

from datetime import date

import pytest

from workers.validation import (
    PROVINCE_CODES,
    ValidationResult,
    mask_email,
    mask_nik,
    mask_phone,
    normalize_phone,
    parse_nik,
    parse_nip,
    validate_email_address,
    validate_nik,
    validate_nip,
    validate_phone,
    verify_identity,
)

TODAY = date(2025, 11, 21)


def codes(result: ValidationResult) -> set[str]:
    """The problem codes of a result."""
    return {i.kode for i in result.problems}


def warning_codes(result: ValidationResult) -> set[str]:
    """The warning codes of a result."""
    return {i.kode for i in result.warnings}


# --- NIK -----------------------------------------------------------------------------------------------------------

VALID_NIKS = [
    ("6171015507900003", "Kota Pontianak, perempuan, 15-07-1990"),
    ("6471021203850002", "Kota Balikpapan, laki-laki, 12-03-1985"),
    ("6472044110920001", "Kota Samarinda, perempuan, 01-10-1992"),
    ("6104012902880005", "Kab. Mempawah, 29 Februari"),
    ("6102053112790011", "Kab. Sambas, 31 Desember"),
    ("6409017101000123", "Kab. Penajam Paser Utara, perempuan, 31-01-2000"),
    ("3174091708450001", "Jakarta Selatan"),
    ("9171010101800001", "Kota Jayapura"),
    ("6171 0155 0790 0003", "spaces typed between groups"),
]


@pytest.mark.parametrize(("nik", "why"), VALID_NIKS)
def test_valid_nik(nik: str, why: str) -> None:
    """Real-shaped NIKs from Kalbar, Kaltim and elsewhere are valid and normalised to 16 digits."""
    result = validate_nik(nik)
    assert result.valid, (why, result.problems)
    assert result.value == nik.replace(" ", "")
    assert result.warnings == ()


INVALID_NIKS = [
    ("", "nik-kosong"),
    ("   ", "nik-kosong"),
    ("647102120385000", "nik-format"),
    ("64710212038500021", "nik-format"),
    ("64710A1203850002", "nik-format"),
    ("6471-0212-0385-0002", "nik-format"),
    ("６４７１０２１２０３８５０００２", "nik-format"),
    ("6071021203850002", "nik-provinsi"),
    ("9971021203850002", "nik-provinsi"),
    ("6400021203850002", "nik-kabupaten"),
    ("6471001203850002", "nik-kecamatan"),
    ("6471020003850002", "nik-tanggal"),
    ("6471023203850002", "nik-tanggal"),
    ("6471024003850002", "nik-tanggal"),
    ("6471027203850002", "nik-tanggal"),
    ("6471023002850002", "nik-tanggal"),
    ("6471027002850002", "nik-tanggal"),
    ("6471023104850002", "nik-tanggal"),
    ("6471021200850002", "nik-bulan"),
    ("6471021213850002", "nik-bulan"),
    ("6471021203850000", "nik-nomor-urut"),
]


@pytest.mark.parametrize(("nik", "code"), INVALID_NIKS)
def test_invalid_nik(nik: str, code: str) -> None:
    """Each malformed NIK is invalid with the expected problem code and no value."""
    result = validate_nik(nik)
    assert not result.valid
    assert code in codes(result)
    assert result.value is None


def test_every_kalimantan_province_code_is_known() -> None:
    """The five Kalimantan provinces (Kalbar 61, Kaltim 64 among them) and the Papua split codes are accepted."""
    for code in ("61", "62", "63", "64", "65", "11", "31", "91", "94", "96"):
        assert code in PROVINCE_CODES
    assert validate_nik("6571021203850002").valid


def test_nik_birth_date_mismatch_is_a_warning_not_a_problem() -> None:
    """A NIK that disagrees with the real birth date stays valid and only carries a warning."""
    result = validate_nik("6471021203850002", tanggal_lahir=date(1985, 3, 13))
    assert result.valid
    assert warning_codes(result) == {"nik-tanggal-lahir-berbeda"}
    assert result.catatan()[0]["tingkat"] == "peringatan"


def test_nik_matching_birth_date_gives_no_warning_women_included() -> None:
    """A woman's NIK (day + 40) matching her birth date gives no warning."""
    assert validate_nik("6171015507900003", tanggal_lahir=date(1990, 7, 15)).warnings == ()
    assert validate_nik("6471021203850002", tanggal_lahir=date(1985, 3, 12)).warnings == ()


def test_parse_nik_fields() -> None:
    """parse_nik splits the fields and reads the +40 for women."""
    info = parse_nik("6171015507900003")
    assert info is not None
    assert (info.provinsi, info.kabupaten_kota, info.kecamatan) == ("61", "71", "01")
    assert (info.hari_lahir, info.bulan, info.tahun_dua_digit, info.perempuan) == (15, 7, 90, True)
    assert parse_nik("123") is None


def test_nik_messages_are_formal_indonesian_and_never_repeat_the_nik() -> None:
    """Problem reasons are Indonesian sentences and never contain the NIK itself."""
    assert validate_nik("123").problems[0].pesan == "NIK harus terdiri atas 16 digit angka."
    for nik, _code in INVALID_NIKS:
        for issue in validate_nik(nik).problems:
            assert issue.pesan.endswith(".")
            assert not nik.strip() or nik not in issue.pesan


def test_mask_nik() -> None:
    """mask_nik keeps the first 4 and last 2 digits only, and hides malformed input entirely."""
    assert mask_nik("6471021203850001") == "6471**********01"
    assert mask_nik("6471 0212 0385 0001") == "6471**********01"
    assert mask_nik("64710212") == "********"


# --- NIP / PPPK ----------------------------------------------------------------------------------------------------

VALID_NIPS = [
    ("19720528 200502 1 001", "PNS", "approver of the Kaltim SOP (Kepala Biro PBJ Kaltim)"),
    ("19770830 199603 1 001", "PNS", "approver of the Kalbar SOP (Kepala Biro PBJ Kalbar)"),
    ("198807142010012003", "PNS", "woman appointed January 2010"),
    ("19900101 201903 1 004", "PNS", "PNS appointed March 2019: a month, not a PPPK code"),
    ("19720229 199803 1 002", "PNS", "born 29 February of a leap year"),
    ("19850312 202321 1 005", "PPPK", "PPPK 2023, code 21"),
    ("19900101 202424 2 001", "PPPK", "PPPK 2024, code 24"),
    ("19781120\u00a0202121\u00a01\u00a0003", "PPPK", "non-breaking spaces as pasted from a PDF"),
]


@pytest.mark.parametrize(("nip", "kind", "why"), VALID_NIPS)
def test_valid_nip(nip: str, kind: str, why: str) -> None:
    """Real-shaped NIPs (the SOP approvers' among them) and PPPK numbers are valid, spaces stripped."""
    result = validate_nip(nip, today=TODAY)
    assert result.valid, (why, result.problems)
    assert result.value is not None
    assert len(result.value) == 18
    assert result.value.isdigit()
    info = parse_nip(nip)
    assert info is not None
    assert ("PPPK" if info.pppk else "PNS") == kind


INVALID_NIPS = [
    ("", "nip-kosong"),
    ("19720528 200502 1 00", "nip-format"),
    ("19720528 200502 1 0011", "nip-format"),
    ("19720528-200502-1-001", "nip-format"),
    ("1972O528 200502 1 001", "nip-format"),
    ("19720532 200502 1 001", "nip-tanggal-lahir"),
    ("19721328 200502 1 001", "nip-tanggal-lahir"),
    ("19730229 199803 1 002", "nip-tanggal-lahir"),
    ("18990101 192001 1 001", "nip-tanggal-lahir"),
    ("19720528 200513 1 001", "nip-bulan-pengangkatan"),
    ("19720528 200500 1 001", "nip-bulan-pengangkatan"),
    ("19720528 202100 1 001", "nip-bulan-pengangkatan"),
    ("19720528 201821 1 001", "nip-bulan-pengangkatan"),
    ("19720528 198503 1 001", "nip-usia-pengangkatan"),
    ("19850312 200221 1 005", "nip-bulan-pengangkatan"),
    ("19720528 203502 1 001", "nip-tahun-pengangkatan"),
    ("19720528 200502 3 001", "nip-jenis-kelamin"),
    ("19720528 200502 0 001", "nip-jenis-kelamin"),
    ("19720528 200502 1 000", "nip-nomor-urut"),
]


@pytest.mark.parametrize(("nip", "code"), INVALID_NIPS)
def test_invalid_nip(nip: str, code: str) -> None:
    """Each malformed NIP is invalid with the expected problem code (a pre-2019 month 21 is a bad month)."""
    result = validate_nip(nip, today=TODAY)
    assert not result.valid
    assert code in codes(result), result.problems
    assert result.value is None


def test_nip_sex_digit_disagreeing_with_nik_is_a_warning() -> None:
    """A woman's NIP with a man's NIK (same birth date) stays valid and warns about the sex digit only."""
    result = validate_nip("19880714 201001 2 003", nik="6171011407880001", today=TODAY)
    assert result.valid
    assert warning_codes(result) == {"nip-jenis-kelamin-berbeda-nik"}


def test_nip_matching_nik_gives_no_warning() -> None:
    """NIP and NIK of the same woman (day 54 = 14 + 40) agree: no warning."""
    assert validate_nip("19880714 201001 2 003", nik="6171015407880001", today=TODAY).warnings == ()


def test_nip_birth_date_disagreeing_with_nik_is_a_warning() -> None:
    """A NIK birth date different from the NIP's is a warning (NIKs can disagree with the real date)."""
    result = validate_nip("19720528 200502 1 001", nik="6472012905720007", today=TODAY)
    assert result.valid
    assert warning_codes(result) == {"nip-tanggal-lahir-berbeda-nik"}


def test_nip_cross_check_skipped_for_an_invalid_nik() -> None:
    """An invalid NIK gives no cross-check warning on the NIP (the NIK's own check reports it)."""
    assert validate_nip("19720528 200502 1 001", nik="123", today=TODAY).warnings == ()


# --- WhatsApp / mobile -------------------------------------------------------------------------------------------

VALID_PHONES = [
    ("081234567890", "+6281234567890"),
    ("0812-3456-7890", "+6281234567890"),
    ("0812.3456.7890", "+6281234567890"),
    ("+62 812 3456 7890", "+6281234567890"),
    ("62 852 4567 8901", "+6285245678901"),
    ("(0813) 5012-3456", "+6281350123456"),
    ("085754123456", "+6285754123456"),
    ("08115512345", "+628115512345"),
    ("0899 1234 567", "+628991234567"),
    ("+62 838-1234-5678", "+6283812345678"),
    ("0877-1234-56789", "+62877123456789"),
]


@pytest.mark.parametrize(("phone", "normalised"), VALID_PHONES)
def test_valid_phone(phone: str, normalised: str) -> None:
    """Indonesian mobile numbers in the usual spellings normalise to +628…."""
    result = validate_phone(phone)
    assert result.valid, result.problems
    assert result.value == normalised


INVALID_PHONES = [
    ("", "telepon-kosong"),
    ("0561-734567", "telepon-format"),
    ("(0541) 741234", "telepon-format"),
    ("08412345678", "telepon-format"),
    ("08012345678", "telepon-format"),
    ("0812345", "telepon-format"),
    ("+62812345678901234", "telepon-format"),
    ("+60 12 345 6789", "telepon-format"),
    ("0812345678a", "telepon-format"),
    ("812345678901", "telepon-format"),
]


@pytest.mark.parametrize(("phone", "code"), INVALID_PHONES)
def test_invalid_phone(phone: str, code: str) -> None:
    """Landlines (Pontianak 0561, Samarinda 0541), foreign, short and long numbers are invalid."""
    result = validate_phone(phone)
    assert not result.valid
    assert codes(result) == {code}


def test_phone_label_names_the_field() -> None:
    """The reason names the field as the caller labels it."""
    assert validate_phone("", label="Nomor ponsel").problems[0].pesan == "Nomor ponsel wajib diisi."
    assert validate_phone("123").problems[0].pesan.startswith("Nomor WhatsApp harus")


def test_normalize_and_mask_phone() -> None:
    """normalize_phone handles 08/628/+628; mask_phone keeps only the prefix and the last three digits."""
    assert normalize_phone("0812-3456-7890") == normalize_phone("628123456 7890") == "+6281234567890"
    assert mask_phone("0812-3456-7890") == "+62812*****890"
    assert "34567" not in mask_phone("081234567890")


# --- e-mail ----------------------------------------------------------------------------------------------------------

OFFICIAL_EMAILS = [
    ("lpse@kalbarprov.go.id", "lpse@kalbarprov.go.id"),
    ("admin.ppe@kaltimprov.go.id", "admin.ppe@kaltimprov.go.id"),
    ("Siti.Rahma@Samarindakota.GO.ID", "Siti.Rahma@samarindakota.go.id"),
    ("  biro.pbj@kalbarprov.go.id ", "biro.pbj@kalbarprov.go.id"),
    ("pm-eproc@lkpp.go.id", "pm-eproc@lkpp.go.id"),
]


@pytest.mark.parametrize(("address", "normalised"), OFFICIAL_EMAILS)
def test_official_email(address: str, normalised: str) -> None:
    """Addresses under .go.id are valid without warning; the domain is lower-cased."""
    result = validate_email_address(address)
    assert result.valid
    assert result.value == normalised
    assert result.warnings == ()


@pytest.mark.parametrize("address", ["budi.santoso88@gmail.com", "ppbj.kalbar@yahoo.co.id", "x@evilgo.id"])
def test_unofficial_email_is_a_warning(address: str) -> None:
    """Other providers are accepted with a warning, never a problem."""
    result = validate_email_address(address)
    assert result.valid
    assert result.value == address
    assert warning_codes(result) == {"email-bukan-dinas"}


INVALID_EMAILS = [
    ("", "email-kosong"),
    ("budi.santoso@", "email-format"),
    ("@kalbarprov.go.id", "email-format"),
    ("budi santoso@kalbarprov.go.id", "email-format"),
    ("budi@@kalbarprov.go.id", "email-format"),
    ("budi@kalbarprov", "email-format"),
    ("budi.@kalbarprov.go.id", "email-format"),
    ("budi@kalbarprov..go.id", "email-format"),
    ("budi.santoso.kalbarprov.go.id", "email-format"),
    ("Budi <budi@kalbarprov.go.id>", "email-format"),
]


@pytest.mark.parametrize(("address", "code"), INVALID_EMAILS)
def test_invalid_email(address: str, code: str) -> None:
    """Syntactically broken addresses are invalid."""
    result = validate_email_address(address)
    assert not result.valid
    assert codes(result) == {code}


def test_email_allow_list_is_configurable() -> None:
    """With a narrower allow-list, another .go.id domain warns and a listed one does not."""
    domains = ("kalbarprov.go.id", "lkpp.go.id")
    assert validate_email_address("lpse@kalbarprov.go.id", official_domains=domains).warnings == ()
    assert validate_email_address("a@sub.lkpp.go.id", official_domains=domains).warnings == ()
    warned = validate_email_address("lpse@kaltimprov.go.id", official_domains=domains)
    assert warned.valid
    assert warning_codes(warned) == {"email-bukan-dinas"}
    assert ".kalbarprov.go.id, .lkpp.go.id" in warned.warnings[0].pesan


def test_mask_email() -> None:
    """mask_email keeps the first character of the local part and the domain."""
    assert mask_email("budi.santoso@kalbarprov.go.id") == "b***@kalbarprov.go.id"
    assert mask_email("no-at-sign") == "***"


# --- the whole identity ------------------------------------------------------------------------------------------


def test_verify_identity_collects_problems_before_warnings() -> None:
    """verify_identity is invalid on any problem and lists errors (galat) before warnings (peringatan)."""
    check = verify_identity(
        nik="6171015507900003",
        nip="19900715 201503 2 001",
        email="ppbj.kalbar@yahoo.co.id",
        whatsapp="0561-734567",
        tanggal_lahir=date(1990, 7, 16),
        today=TODAY,
    )
    assert not check.valid
    notes = check.catatan()
    assert [n["tingkat"] for n in notes] == ["galat", "peringatan", "peringatan"]
    assert [n["kode"] for n in notes] == ["telepon-format", "nik-tanggal-lahir-berbeda", "email-bukan-dinas"]


def test_verify_identity_valid_with_warnings_only() -> None:
    """Warnings alone (non-.go.id address) leave the identity valid."""
    check = verify_identity(
        nik="6471021203850002",
        nip="19850312 201001 1 002",
        email="budi.santoso88@gmail.com",
        whatsapp="0813 5012 3456",
        today=TODAY,
    )
    assert check.valid
    assert check.whatsapp.value == "+6281350123456"
    assert {n["tingkat"] for n in check.catatan()} == {"peringatan"}
