"""The rules behind `periksa-kelengkapan-berkas` and `verifikasi-identitas`, case by case, on a real store and
document store: each shortfall comes with its reason in formal Indonesian and never quotes personal data."""

import dataclasses
from typing import Any

import pytest

from pbj.sample_documents import pdf_document, png_image
from tests.workers.harness import PPBJ_NIK, fill_identity, seed_admin_ppe_request, seed_ppbj_registration, upload
from workers import document_rules
from workers.constants import STATUS_EXPIRED
from workers.document_rules import DAMAGED, MISMATCH, MISSING, NOT_FOUND, is_whole, wrong_format
from workers.domain import DocumentType, PersonRole
from workers.errors import NotFoundError
from workers.services import Services
from workers.tasks.berkas import check_request_files
from workers.tasks.identitas import find_duplicates, verify_registration

JPEG_SCAN = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
)
"""The markers the check reads: start of image, a JFIF header, scan data, end of image."""


def replace(references: list[dict[str, Any]], document_type: DocumentType, **changes: Any) -> list[dict[str, Any]]:
    """The references with the one of `document_type` changed."""
    return [{**r, **changes} if r["jenis"] == document_type.value else r for r in references]


def reasons(services: Services, number: str, references: Any) -> dict[str, list[str]]:
    """The shortfalls as {document type: [reasons]}."""
    found: dict[str, list[str]] = {}
    for shortfall in check_request_files(services, number, references):
        found.setdefault(shortfall["dokumen"], []).append(shortfall["alasan"])
    return found


def test_complete_files_have_no_shortfall(services: Services) -> None:
    """Four readable documents of the right types and well-formed personnel data: nothing to report."""
    request, references = seed_admin_ppe_request(services)
    assert check_request_files(services, request.number, references) == []


def test_missing_documents_are_named_in_the_sops_order(services: Services) -> None:
    """Missing documents are listed in the SOP's order with "Dokumen belum dilampirkan."."""
    request, references = seed_admin_ppe_request(
        services, without=[DocumentType.KTP_ADMIN_PPE, DocumentType.SK_PEMBENTUKAN_LPSE]
    )
    assert check_request_files(services, request.number, references) == [
        {"dokumen": "SK_PEMBENTUKAN_LPSE", "alasan": MISSING},
        {"dokumen": "KTP_ADMIN_PPE", "alasan": MISSING},
    ]


def test_references_that_do_not_match_the_stored_document(services: Services) -> None:
    """An unknown id, another request's document, a document of another type and a wrong hash or size are
    shortfalls of that document."""
    request, references = seed_admin_ppe_request(services)
    _, other_references = seed_admin_ppe_request(services)
    others_profile = next(r for r in other_references if r["jenis"] == "PROFIL_LPSE")
    sk = next(r for r in references if r["jenis"] == "SK_PEMBENTUKAN_LPSE")
    cases = {
        "unknown": (replace(references, DocumentType.KTP_ADMIN_PPE, dokumenId="tidak-ada"), "KTP_ADMIN_PPE", NOT_FOUND),
        "other request": (
            replace(references, DocumentType.PROFIL_LPSE, **{k: others_profile[k] for k in others_profile}),
            "PROFIL_LPSE",
            NOT_FOUND,
        ),
        "hash": (replace(references, DocumentType.KTP_ADMIN_PPE, sha256="0" * 64), "KTP_ADMIN_PPE", MISMATCH),
        "size": (replace(references, DocumentType.KTP_ADMIN_PPE, ukuran=1), "KTP_ADMIN_PPE", MISMATCH),
        "media type": (
            replace(references, DocumentType.KTP_ADMIN_PPE, tipe="application/pdf"),
            "KTP_ADMIN_PPE",
            MISMATCH,
        ),
    }
    for case, (given, document, reason) in cases.items():
        assert reasons(services, request.number, given) == {document: [reason]}, case
    wrong_type = replace(references, DocumentType.PROFIL_LPSE, **{k: sk[k] for k in ("dokumenId", "sha256", "ukuran")})
    [why] = reasons(services, request.number, wrong_type)["PROFIL_LPSE"]
    assert why == (
        "Berkas yang dilampirkan tercatat sebagai SK Pembentukan dan Penunjukan Personil LPSE, bukan Data Profil "
        "LPSE. Mohon unggah dokumen yang sesuai."
    )


def test_unreadable_damaged_oversized_and_foreign_formats(services: Services) -> None:
    """A truncated PNG, a file changed on disk, a file above DOCUMENT_MAX_SIZE and a Word file are shortfalls."""
    request, references = seed_admin_ppe_request(services, without=[DocumentType.KTP_ADMIN_PPE])
    truncated = upload(services, request.number, DocumentType.KTP_ADMIN_PPE, png_image()[:-20])
    assert reasons(services, request.number, [*references, truncated]) == {
        "KTP_ADMIN_PPE": [
            "Berkas tidak dapat dibaca sebagai PNG; kemungkinan berkas rusak atau terpotong. Mohon unggah ulang berkas "
            "yang utuh."
        ]
    }

    profile = next(r for r in references if r["jenis"] == "PROFIL_LPSE")
    stored = services.settings.documents_dir / services.documents.metadata(profile["dokumenId"]).storage_key
    original = stored.read_bytes()
    stored.write_bytes(pdf_document("Profil LPSE yang diubah"))
    ktp = upload(services, request.number, DocumentType.KTP_ADMIN_PPE)
    assert reasons(services, request.number, [*references, ktp]) == {"PROFIL_LPSE": [DAMAGED]}
    stored.write_bytes(original)

    strict = dataclasses.replace(services, settings=dataclasses.replace(services.settings, document_max_size=300))
    [why] = reasons(strict, request.number, [*references, ktp])["SK_PEMBENTUKAN_LPSE"]
    assert why.startswith("Ukuran berkas ")
    assert why.endswith(
        " bita melebihi batas 300 bita. Mohon unggah berkas yang lebih kecil, misalnya dengan resolusi pindaian yang "
        "lebih rendah."
    )

    word = services.documents.put(
        request.number,
        DocumentType.KTP_ADMIN_PPE,
        file_name="KTP.docx",
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        content=b"PK\x03\x04 bukan gambar",
    ).as_variable()
    assert reasons(services, request.number, [*references, word]) == {"KTP_ADMIN_PPE": [wrong_format(b"PK\x03\x04")]}
    assert "bukan PDF, JPG, atau PNG (isinya dokumen Word" in wrong_format(b"PK\x03\x04")


def test_a_later_reference_of_the_same_type_wins_and_jpeg_is_accepted(services: Services) -> None:
    """After a re-upload the newer reference counts; a JPEG scan of the KTP is as good as a PNG."""
    request, references = seed_admin_ppe_request(services, without=[DocumentType.KTP_ADMIN_PPE])
    broken = upload(services, request.number, DocumentType.KTP_ADMIN_PPE, png_image()[:40])
    jpeg = services.documents.put(
        request.number, DocumentType.KTP_ADMIN_PPE, file_name="KTP.jpg", media_type="image/jpeg", content=JPEG_SCAN
    ).as_variable()
    assert check_request_files(services, request.number, [*references, broken, jpeg]) == []
    assert is_whole(JPEG_SCAN, document_rules.JPEG)
    assert not is_whole(JPEG_SCAN[:-2], document_rules.JPEG)
    assert not is_whole(pdf_document("x")[:-8], document_rules.PDF)


def test_personnel_data_problems_are_shortfalls_but_warnings_are_not(services: Services) -> None:
    """A malformed NIK, NIP, address and WhatsApp number are shortfalls of the personnel data, in the validators'
    words and without the values; an address outside .go.id is only a warning and no shortfall."""
    request, references = seed_admin_ppe_request(
        services,
        nik="6471 0145 0590",
        nip="199005052015132001",
        email="sari.wulandari@",
        whatsapp="0712345",
    )
    found = reasons(services, request.number, references)
    assert list(found) == ["DATA_PERSONIL_ADMIN_PPE"]
    assert found["DATA_PERSONIL_ADMIN_PPE"] == [
        "NIK harus terdiri atas 16 digit angka.",
        "Bulan pengangkatan pada NIP (digit ke-13 dan ke-14) harus 01–12.",
        "Alamat e-mail tidak valid. Mohon periksa kembali penulisannya, misalnya nama@kalbarprov.go.id.",
        "Nomor WhatsApp harus berupa nomor seluler Indonesia yang diawali 08, 628, atau +628, misalnya 0812-3456-7890.",
    ]
    private, private_references = seed_admin_ppe_request(services, email="sari.wulandari@gmail.com")
    assert check_request_files(services, private.number, private_references) == []


def test_unknown_request_is_an_error_not_a_shortfall(services: Services) -> None:
    """A request number the store does not know fails the job (an incident names it) instead of a shortfall."""
    with pytest.raises(NotFoundError, match="ADM-2026-999999"):
        check_request_files(services, "ADM-2026-999999", [])


def test_valid_identity_with_warnings_only(services: Services) -> None:
    """An address outside .go.id is a warning: the identity stays valid and the note says so."""
    registration = seed_ppbj_registration(services, email="rudi.hartono@gmail.com")
    fill_identity(services, registration.number)
    valid, notes, duplicates = verify_registration(services, registration.number)
    assert (valid, duplicates) == (True, [])
    assert [(n["kode"], n["tingkat"]) for n in notes] == [("email-bukan-dinas", "peringatan")]


def test_duplicates_count_only_open_ppbj_registrations(services: Services) -> None:
    """The same NIK in an SOP 1 Admin PPE, or in an expired PPBJ registration, is no duplicate; in an open one it is."""
    seed_admin_ppe_request(services, nik=PPBJ_NIK)
    registration = seed_ppbj_registration(services)
    fill_identity(services, registration.number)
    assert find_duplicates(services, registration.number) == ([], [])
    assert services.store.find_identity_matches(registration.number, PersonRole.PPBJ)  # the Admin PPE shares it

    earlier = seed_ppbj_registration(services, email="rudi.lama@kalbarprov.go.id", whatsapp="0813-1111-2222")
    fill_identity(services, earlier.number, nip="198504122010011009")
    assert find_duplicates(services, registration.number) == (["nik"], [earlier.number])
    services.store.set_request_status(earlier.number, STATUS_EXPIRED)
    assert find_duplicates(services, registration.number) == ([], [])
