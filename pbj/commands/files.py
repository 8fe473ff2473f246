"""Reading the document files an applicant gives, and refusing the wrong ones before anything is stored.

A document must be a regular, readable, non-empty file within `DOCUMENT_MAX_SIZE`, and by its **content** a PDF,
JPEG or PNG that is whole (the same signature and end-marker check the `periksa-kelengkapan-berkas` worker makes,
`workers.tasks.berkas.readable_as`). A name ending in `.pdf`, `.jpg`, `.jpeg` or `.png` must agree with the content;
other names are judged by the content alone. The same content given for two document types is refused too. Each
refusal is one sentence in Indonesian naming the file and its option.
"""

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from pbj.commands.errors import CommandError
from workers.domain import DocumentType
from workers.tasks.berkas import readable_as

FORMATS: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "PDF", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "PNG", "image/png"),
    (b"\xff\xd8\xff", "JPEG", "image/jpeg"),
)
"""Accepted formats: the content's signature, the format's name, its media type."""

EXTENSIONS = {".pdf": "PDF", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}

_OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "dokumen Word/Excel (.docx/.xlsx) atau arsip ZIP"),
    (b"\xd0\xcf\x11\xe0", "dokumen Office lama (.doc/.xls)"),
    (b"GIF8", "gambar GIF"),
    (b"BM", "gambar BMP"),
    (b"II*\x00", "gambar TIFF"),
    (b"MM\x00*", "gambar TIFF"),
    (b"Rar!", "arsip RAR"),
    (b"{\\rtf", "dokumen RTF"),
)


@dataclass(frozen=True)
class DocumentFile:
    """A checked document file: where it came from, what it is and its content."""

    option: str
    path: Path
    document_type: DocumentType
    format: str
    media_type: str
    sha256: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        """Its size in bytes."""
        return len(self.content)


def read_document(option: str, raw_path: str, document_type: DocumentType, max_size: int) -> DocumentFile:
    """Read and check one document file; `CommandError` saying what is wrong with it."""
    path = Path(raw_path).expanduser()
    where = f"Berkas {raw_path} ({option})"
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise CommandError(f"{where} tidak ditemukan.") from None
    except OSError as exc:
        raise CommandError(f"{where} tidak dapat dibaca: {exc.strerror or exc}.") from None
    if not path.is_file():
        raise CommandError(f"{where} bukan berkas biasa.")
    if stat.st_size == 0:
        raise CommandError(f"{where} kosong.")
    if stat.st_size > max_size:
        raise CommandError(
            f"{where} berukuran {human_size(stat.st_size)}, melebihi batas {human_size(max_size)} (DOCUMENT_MAX_SIZE)."
        )
    if not os.access(path, os.R_OK):
        raise CommandError(f"{where} tidak dapat dibaca: izin akses ditolak.")
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{where} tidak dapat dibaca: {exc.strerror or exc}.") from None
    return document_from_content(where, option, path, document_type, content, max_size)


def document_from_content(
    where: str, option: str, path: Path, document_type: DocumentType, content: bytes, max_size: int
) -> DocumentFile:
    """Check a document's content (size, format by its signature, name agreeing with it, whole) – a file given on the
    command line or uploaded through the web application; `CommandError` saying what is wrong, naming `where`."""
    if not content:
        raise CommandError(f"{where} kosong.")
    if len(content) > max_size:
        raise CommandError(
            f"{where} berukuran {human_size(len(content))}, melebihi batas {human_size(max_size)} (DOCUMENT_MAX_SIZE)."
        )
    detected = next(((name, media) for signature, name, media in FORMATS if content.startswith(signature)), None)
    if detected is None:
        other = next((label for signature, label in _OTHER_FORMATS if content.startswith(signature)), None)
        found = f" (isinya {other})" if other else ""
        raise CommandError(
            f"{where} bukan PDF, JPG, atau PNG{found}; unggah {document_type.label} dalam salah satu format tersebut."
        )
    name, media_type = detected
    claimed = EXTENSIONS.get(path.suffix.lower())
    if claimed is not None and claimed != name:
        raise CommandError(
            f"{where} bernama {path.suffix.lower()} tetapi isinya {name}; periksa kembali apakah berkasnya benar."
        )
    if not readable_as(content, name):
        raise CommandError(f"{where} tidak utuh: tidak dapat dibaca sebagai {name} (kemungkinan rusak atau terpotong).")
    return DocumentFile(
        option=option,
        path=path,
        document_type=document_type,
        format=name,
        media_type=media_type,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def read_documents(given: list[tuple[str, str, DocumentType]], max_size: int) -> list[DocumentFile]:
    """Read and check every given `(option, path, type)`; the same content twice is refused."""
    files = [read_document(option, path, document_type, max_size) for option, path, document_type in given]
    seen: dict[str, DocumentFile] = {}
    for document in files:
        earlier = seen.setdefault(document.sha256, document)
        if earlier is not document:
            raise CommandError(
                f"Berkas {earlier.path} ({earlier.option}) dan {document.path} ({document.option}) berisi dokumen "
                "yang sama; setiap dokumen harus diunggah sebagai berkas tersendiri."
            )
    return files


def human_size(size: int) -> str:
    """A size for people with a decimal comma: `2,5 MB`, `300,0 KB`, `512 bita`."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.1f} KB".replace(".", ",")
    return f"{size} bita"
