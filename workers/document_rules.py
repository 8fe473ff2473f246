"""The document rules of both SOPs, in one place: which documents, their labels, the accepted formats, the largest
size, the integrity checks, and the reasons – formal Indonesian, addressed to the applicant – for refusing one.

Three callers use these rules, so that a file one of them accepts is a file the others accept, and the reason an
upload form shows is the reason the e-mail gives:
- the `periksa-kelengkapan-berkas` worker (SOP 1 row 2) checks the stored documents of a request
  (`stored_document_problem`, `MISSING`);
- the applicants' commands (`pbj permohonan`, `pbj ppbj penetapan`) check files read from disk, and
- the web application's upload forms check the bytes a browser sent (both with `check_upload` and
  `check_distinct`).

The API:
- which documents: `ADMIN_PPE_DOCUMENTS` (SOP 1 row 1, in the SOP's order), `PPBJ_APPOINTMENT_DOCUMENTS`
  (SOP 2 row 5, one of them), `label(document_type)`;
- the formats: `FORMATS` (PDF, JPEG, PNG: content signature, media type, file extensions), `ACCEPT` (the value of
  an `<input type="file" accept>`), `limits_text(max_size)` (for a form or an e-mail), `human_size(size)`;
- the checks: `check_upload(content, document_type=…, file_name=…, max_size=…)` returns an `AcceptedDocument`
  (type, detected format and media type, SHA-256, content) or raises `DocumentRejectedError` whose `reason` is one
  Indonesian sentence for the applicant; `check_distinct(documents)` refuses the same content given for two
  documents; `stored_document_problem(…)` is the worker's check of one stored document against its reference.

A document is accepted when it is not empty, is at most `max_size` bytes (`DOCUMENT_MAX_SIZE`), is by its
**content** a PDF, JPEG or PNG (the name proves nothing: a name ending in a known extension must agree with the
content, any other name is judged by the content alone), and is whole: the format's start signature and its end
marker (PDF `%%EOF`, JPEG end-of-image, PNG `IEND`) are there, so a truncated upload is refused. The browser's
claimed media type is never trusted: the media type stored is the detected one.
"""

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workers.domain import PPBJ_APPOINTMENT_DOCUMENTS, REQUIRED_ADMIN_PPE_DOCUMENTS, DocumentType
from workers.errors import DocumentIntegrityError, WorkersError
from workers.store import DocumentRecord

__all__ = [
    "ACCEPT",
    "ADMIN_PPE_DOCUMENTS",
    "DAMAGED",
    "FORMATS",
    "MISMATCH",
    "MISSING",
    "NOT_FOUND",
    "PPBJ_APPOINTMENT_DOCUMENTS",
    "AcceptedDocument",
    "DocumentFormat",
    "DocumentRejectedError",
    "check_distinct",
    "check_upload",
    "detect_format",
    "human_size",
    "is_whole",
    "label",
    "limits_text",
    "size_problem",
    "stored_document_problem",
]

ADMIN_PPE_DOCUMENTS: tuple[DocumentType, ...] = REQUIRED_ADMIN_PPE_DOCUMENTS
"""SOP 1 row 1: the four documents of a request, in the SOP's order (any may come later: row 2 asks for them)."""


@dataclass(frozen=True)
class DocumentFormat:
    """An accepted format: its name for people, its media type, the file extensions of its name, its signature."""

    name: str
    media_type: str
    extensions: tuple[str, ...]
    signature: bytes


PDF = DocumentFormat("PDF", "application/pdf", (".pdf",), b"%PDF-")
JPEG = DocumentFormat("JPEG", "image/jpeg", (".jpg", ".jpeg"), b"\xff\xd8\xff")
PNG = DocumentFormat("PNG", "image/png", (".png",), b"\x89PNG\r\n\x1a\n")

FORMATS: tuple[DocumentFormat, ...] = (PDF, JPEG, PNG)
"""The accepted formats."""

ACCEPT = ",".join([*(ext for f in FORMATS for ext in f.extensions), *(f.media_type for f in FORMATS)])
"""`accept` of a file input: `.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png`."""

_BY_MEDIA_TYPE: Mapping[str, DocumentFormat] = {
    **{f.media_type: f for f in FORMATS},
    "image/jpg": JPEG,  # a common non-standard name some scanners and browsers give
}
_BY_EXTENSION: Mapping[str, DocumentFormat] = {ext: f for f in FORMATS for ext in f.extensions}

_OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "dokumen Word/Excel (.docx/.xlsx) atau arsip ZIP"),
    (b"\xd0\xcf\x11\xe0", "dokumen Office lama (.doc/.xls)"),
    (b"GIF8", "gambar GIF"),
    (b"BM", "gambar BMP"),
    (b"II*\x00", "gambar TIFF"),
    (b"MM\x00*", "gambar TIFF"),
    (b"Rar!", "arsip RAR"),
    (b"{\\rtf", "dokumen RTF"),
    (b"MZ", "program Windows (.exe)"),
    (b"\x7fELF", "program"),
)
"""Formats people often send instead, named in the refusal so they know what they sent."""

FORMAT_NAMES = "PDF, JPG, atau PNG"

MISSING = "Dokumen belum dilampirkan."
NOT_FOUND = "Berkas dokumen tidak ditemukan pada sistem. Mohon unggah ulang dokumen tersebut."
MISMATCH = (
    "Data berkas pada permohonan tidak cocok dengan berkas yang tersimpan (nilai hash SHA-256, ukuran, atau format "
    "berbeda). Mohon unggah ulang dokumen tersebut."
)
DAMAGED = "Berkas rusak atau telah berubah sejak diunggah. Mohon unggah ulang dokumen tersebut."
EMPTY = "Berkas kosong. Mohon unggah berkas yang berisi dokumen tersebut."


class DocumentRejectedError(WorkersError):
    """A document the rules refuse; `reason` is one sentence in formal Indonesian for the applicant."""

    def __init__(self, reason: str, document_type: DocumentType | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.document_type = document_type


@dataclass(frozen=True)
class AcceptedDocument:
    """A document the rules accept: its type, the name it came with, the detected format, its hash and content."""

    document_type: DocumentType
    file_name: str
    format: DocumentFormat
    sha256: str
    content: bytes = field(repr=False)

    @property
    def media_type(self) -> str:
        """The detected media type (what is stored; the browser's claim is never trusted)."""
        return self.format.media_type

    @property
    def size(self) -> int:
        """Its size in bytes."""
        return len(self.content)


def label(document_type: DocumentType | str) -> str:
    """The document's name as the SOP writes it; an unknown code is returned as given."""
    try:
        return DocumentType(document_type).label
    except ValueError:
        return str(document_type)


def human_size(size: int) -> str:
    """A size for people, with a decimal comma: `2,5 MB`, `300,0 KB`, `512 bita`."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.1f} KB".replace(".", ",")
    return f"{size} bita"


def limits_text(max_size: int) -> str:
    """What an upload may be, for a form or an e-mail: `PDF, JPG, atau PNG, paling besar 10,0 MB`."""
    return f"{FORMAT_NAMES}, paling besar {human_size(max_size)}"


def size_problem(size: int, max_size: int) -> str | None:
    """Why a document of `size` bytes is refused (empty, too large), or None."""
    if size <= 0:
        return EMPTY
    if size > max_size:
        return (
            f"Ukuran berkas {human_size(size)} melebihi batas {human_size(max_size)}. Mohon unggah berkas yang lebih "
            "kecil, misalnya dengan resolusi pindaian yang lebih rendah."
        )
    return None


def detect_format(content: bytes) -> DocumentFormat | None:
    """The accepted format `content` starts like, or None."""
    return next((f for f in FORMATS if content.startswith(f.signature)), None)


def is_whole(content: bytes, document_format: DocumentFormat) -> bool:
    """Whether `content` looks like a whole file of the format: its start signature and its end marker."""
    if not content.startswith(document_format.signature):
        return False
    if document_format is PDF:
        return b"%%EOF" in content[-2048:]
    if document_format is JPEG:
        return b"\xff\xd9" in content[-2048:]
    return b"IEND" in content[-64:]


def wrong_format(content: bytes = b"") -> str:
    """The refusal of content that is no accepted format, naming what it is when that is recognisable."""
    other = next((name for signature, name in _OTHER_FORMATS if content.startswith(signature)), None)
    found = f" (isinya {other})" if other else ""
    return f"Berkas bukan {FORMAT_NAMES}{found}. Mohon unggah dokumen dalam salah satu format tersebut."


def not_whole(document_format: DocumentFormat) -> str:
    """The refusal of a file that starts like the format but is cut short or damaged."""
    return (
        f"Berkas tidak dapat dibaca sebagai {document_format.name}; kemungkinan berkas rusak atau terpotong. Mohon "
        "unggah ulang berkas yang utuh."
    )


def check_upload(content: bytes, *, document_type: DocumentType, file_name: str, max_size: int) -> AcceptedDocument:
    """Check one uploaded document; the accepted document, or `DocumentRejectedError` saying why (nothing is stored)."""
    problem = size_problem(len(content), max_size)
    if problem is not None:
        raise DocumentRejectedError(problem, document_type)
    detected = detect_format(content)
    if detected is None:
        raise DocumentRejectedError(wrong_format(content), document_type)
    extension = _extension(file_name)
    claimed = _BY_EXTENSION.get(extension)
    if claimed is not None and claimed is not detected:
        raise DocumentRejectedError(
            f"Nama berkas berakhiran {extension}, tetapi isinya {detected.name}. Mohon periksa kembali apakah berkas "
            "yang diunggah sudah benar.",
            document_type,
        )
    if not is_whole(content, detected):
        raise DocumentRejectedError(not_whole(detected), document_type)
    return AcceptedDocument(
        document_type=document_type,
        file_name=file_name,
        format=detected,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def check_distinct(documents: Sequence[AcceptedDocument]) -> None:
    """Refuse the same content given for two documents: each document is a file of its own."""
    seen: dict[str, AcceptedDocument] = {}
    for document in documents:
        earlier = seen.setdefault(document.sha256, document)
        if earlier is not document:
            raise DocumentRejectedError(
                f"{label(earlier.document_type)} dan {label(document.document_type)} berisi dokumen yang sama; "
                "setiap dokumen harus diunggah sebagai berkas tersendiri.",
                document.document_type,
            )


def stored_document_problem(
    record: DocumentRecord | None,
    reference: Mapping[str, Any],
    *,
    document_type: DocumentType,
    request_number: str,
    max_size: int,
    read: Callable[[DocumentRecord], bytes],
) -> str | None:
    """Why a stored document referenced by a request (`{jenis, dokumenId, sha256, ukuran, tipe}`) cannot be
    accepted, or None when it can. `record` is the stored document the reference names (None: there is none);
    `read` returns its content verified against its hash (`DocumentIntegrityError` when it changed or is gone)."""
    if not reference.get("dokumenId"):
        return MISSING
    if record is None or record.request_number != request_number:
        return NOT_FOUND  # another request's document: do not say whose
    if record.document_type is not document_type:
        return (
            f"Berkas yang dilampirkan tercatat sebagai {label(record.document_type)}, bukan {label(document_type)}. "
            "Mohon unggah dokumen yang sesuai."
        )
    if (reference.get("sha256"), reference.get("ukuran")) != (record.sha256, record.size) or reference.get(
        "tipe", record.media_type
    ) != record.media_type:
        return MISMATCH
    problem = size_problem(record.size, max_size)
    if problem is not None:
        return problem
    try:
        content = read(record)
    except DocumentIntegrityError:
        return DAMAGED
    expected = _BY_MEDIA_TYPE.get(record.media_type)
    if expected is None:
        return wrong_format(content)
    if not is_whole(content, expected):
        return not_whole(expected) if detect_format(content) in (expected, None) else MISMATCH
    return None


def _extension(file_name: str) -> str:
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""
