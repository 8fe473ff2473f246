"""Reading the document files an applicant gives, and refusing the wrong ones before anything is stored.

A file must be a regular, readable file; what it may contain is decided by the document rules every upload path
shares (`workers.document_rules`: not empty, within `DOCUMENT_MAX_SIZE`, by its content a whole PDF, JPEG or PNG
agreeing with its name, and not the same content as another document of the same submission). Each refusal is
one line in Indonesian naming the file and its option, then the rules' reason.
"""

from dataclasses import dataclass
from pathlib import Path

from pbj.commands.errors import CommandError
from workers.document_rules import AcceptedDocument, DocumentRejectedError, check_distinct, check_upload, size_problem
from workers.domain import DocumentType


@dataclass(frozen=True)
class DocumentFile:
    """A checked document file: the option and path it came from, and the document the rules accepted."""

    option: str
    path: Path
    document: AcceptedDocument

    @property
    def document_type(self) -> DocumentType:
        """The document's type."""
        return self.document.document_type

    @property
    def sha256(self) -> str:
        """The SHA-256 of its content."""
        return self.document.sha256


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
    problem = size_problem(stat.st_size, max_size)  # before reading: a huge file is not read at all
    if problem is not None:
        raise CommandError(f"{where}: {problem}")
    try:
        content = path.read_bytes()
    except PermissionError:
        raise CommandError(f"{where} tidak dapat dibaca: izin akses ditolak.") from None
    except OSError as exc:
        raise CommandError(f"{where} tidak dapat dibaca: {exc.strerror or exc}.") from None
    try:
        document = check_upload(content, document_type=document_type, file_name=path.name, max_size=max_size)
    except DocumentRejectedError as exc:
        raise CommandError(f"{where}: {exc.reason}") from None
    return DocumentFile(option=option, path=path, document=document)


def read_documents(given: list[tuple[str, str, DocumentType]], max_size: int) -> list[DocumentFile]:
    """Read and check every given `(option, path, type)`; the same content twice is refused."""
    files = [read_document(option, path, document_type, max_size) for option, path, document_type in given]
    try:
        check_distinct([f.document for f in files])
    except DocumentRejectedError as exc:
        options = ", ".join(f"{f.path} ({f.option})" for f in files if f.sha256 in _repeated(files))
        raise CommandError(f"Berkas {options}: {exc.reason}") from None
    return files


def _repeated(files: list[DocumentFile]) -> set[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for f in files:
        (repeated if f.sha256 in seen else seen).add(f.sha256)
    return repeated
