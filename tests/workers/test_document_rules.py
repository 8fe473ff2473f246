"""The document rules every upload path shares (`workers.document_rules`): what an applicant may upload, and the
reason – one Indonesian sentence, no file path, no content – when something is refused."""

import pytest

from pbj.sample_documents import pdf_document, png_image
from workers.document_rules import (
    ACCEPT,
    ADMIN_PPE_DOCUMENTS,
    PPBJ_APPOINTMENT_DOCUMENTS,
    DocumentRejectedError,
    check_distinct,
    check_upload,
    label,
    limits_text,
)
from workers.domain import DocumentType

LIMIT = 64 * 1024
JPEG_SCAN = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"


@pytest.mark.parametrize(
    ("content", "file_name", "media_type"),
    [
        (pdf_document("SK"), "SK Pembentukan.pdf", "application/pdf"),
        (png_image(), "ktp.PNG", "image/png"),
        (JPEG_SCAN, "ktp.jpeg", "image/jpeg"),
        (pdf_document("SK"), "pindaian", "application/pdf"),  # no extension: judged by the content alone
        (png_image(), "ktp.scan", "image/png"),
    ],
)
def test_whole_pdf_jpeg_and_png_files_are_accepted_with_the_detected_media_type(
    content: bytes, file_name: str, media_type: str
) -> None:
    """The media type accepted is the one the content shows, whatever the name or the browser claim."""
    accepted = check_upload(content, document_type=DocumentType.KTP_ADMIN_PPE, file_name=file_name, max_size=LIMIT)
    assert (accepted.media_type, accepted.size, accepted.file_name) == (media_type, len(content), file_name)
    assert len(accepted.sha256) == 64
    assert "content" not in repr(accepted)


@pytest.mark.parametrize(
    ("content", "file_name", "reason"),
    [
        (b"", "SK.pdf", "Berkas kosong. Mohon unggah berkas yang berisi dokumen tersebut."),
        (
            b"%PDF-1.4\n" + b"0" * (2 * LIMIT - 16) + b"\n%%EOF\n",
            "SK.pdf",
            "Ukuran berkas 128,0 KB melebihi batas 64,0 KB. Mohon unggah berkas yang lebih kecil, misalnya dengan "
            "resolusi pindaian yang lebih rendah.",
        ),
        (
            b"PK\x03\x04" + b"\x00" * 100,
            "SK.docx",
            "Berkas bukan PDF, JPG, atau PNG (isinya dokumen Word/Excel (.docx/.xlsx) atau arsip ZIP). Mohon unggah "
            "dokumen dalam salah satu format tersebut.",
        ),
        (
            b"MZ\x90\x00" + b"\x00" * 100,
            "SK.pdf",
            "Berkas bukan PDF, JPG, atau PNG (isinya program Windows (.exe)). Mohon unggah dokumen dalam salah satu "
            "format tersebut.",
        ),
        (b"Surat Keputusan " * 10, "SK.pdf", "Berkas bukan PDF, JPG, atau PNG. Mohon unggah dokumen"),
        (
            png_image(),
            "SK.pdf",
            "Nama berkas berakhiran .pdf, tetapi isinya PNG. Mohon periksa kembali apakah berkas yang diunggah sudah "
            "benar.",
        ),
        (
            pdf_document("SK")[:300],
            "SK.pdf",
            "Berkas tidak dapat dibaca sebagai PDF; kemungkinan berkas rusak atau terpotong. Mohon unggah ulang berkas "
            "yang utuh.",
        ),
        (JPEG_SCAN[:-2], "ktp.jpg", "Berkas tidak dapat dibaca sebagai JPEG"),
    ],
    ids=["empty", "too-large", "word", "program-named-pdf", "text-named-pdf", "png-named-pdf", "truncated", "cut-jpeg"],
)
def test_bad_uploads_are_refused_with_one_reason_for_the_applicant(content: bytes, file_name: str, reason: str) -> None:
    """Empty, oversized, foreign, disguised and truncated files are refused; the reason names no path."""
    with pytest.raises(DocumentRejectedError) as refused:
        check_upload(content, document_type=DocumentType.SK, file_name=file_name, max_size=LIMIT)
    assert refused.value.reason.startswith(reason)
    assert refused.value.document_type is DocumentType.SK
    assert file_name not in refused.value.reason


def test_the_same_content_for_two_documents_is_refused_naming_both() -> None:
    """One scan given as both the SK and the LPSE profile: each document must be a file of its own."""
    same = pdf_document("SK")
    documents = [
        check_upload(same, document_type=kind, file_name="a.pdf", max_size=LIMIT)
        for kind in (DocumentType.SK_PEMBENTUKAN_LPSE, DocumentType.PROFIL_LPSE)
    ]
    with pytest.raises(DocumentRejectedError, match=r"SK Pembentukan .* dan Data Profil LPSE berisi dokumen yang sama"):
        check_distinct(documents)
    check_distinct(documents[:1])


def test_what_a_form_shows_comes_from_the_rules() -> None:
    """The documents of each SOP, their labels, the accept attribute and the limits text of a form or an e-mail."""
    assert [label(kind) for kind in ADMIN_PPE_DOCUMENTS] == [
        "SK Pembentukan dan Penunjukan Personil LPSE",
        "Data Profil LPSE",
        "Data Personil Admin PPE",
        "KTP Admin PPE",
    ]
    assert PPBJ_APPOINTMENT_DOCUMENTS == (DocumentType.SK, DocumentType.SURAT_TUGAS)
    assert label("TIDAK_DIKENAL") == "TIDAK_DIKENAL"
    assert ACCEPT == ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
    assert limits_text(10 * 1024 * 1024) == "PDF, JPG, atau PNG, paling besar 10,0 MB"
