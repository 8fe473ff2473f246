"""Reading a posted form with its files, within limits, and checking each file with the documents' rules.

The body is read as a stream (`multipart/form-data` or `application/x-www-form-urlencoded`): text fields at most
`TEXT_LIMIT` characters, each file at most `DOCUMENT_MAX_SIZE` bytes and the whole body at most what the form can
legitimately hold – anything larger stops the reading with `TooLargeError`, nothing stored. A file is then checked by
its content with the document rules every upload path shares (`workers.document_rules.check_upload`: PDF, JPEG
or PNG by its content, a name that agrees with it, a whole file), and stored only by the step it belongs to,
in the document store under the data directory – never in a served folder.
"""

from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import BodyPartReader, web

from pbj.commands.files import DocumentFile
from web.errors import BadRequestError, TooLargeError
from workers import document_rules
from workers.document_rules import DocumentRejectedError, human_size
from workers.documents import clean_file_name
from workers.domain import DocumentType

TEXT_LIMIT = 4000
"""The longest text field a page's form has (the Admin PPE's note is at most 1,000 characters)."""
FORM_OVERHEAD = 64 * 1024
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it."""

    name: str
    file_name: str
    content: bytes = field(repr=False)


@dataclass
class PostedForm:
    """A posted form's text fields and files (files left empty by the person are not listed)."""

    fields: dict[str, str]
    files: dict[str, Upload]

    def text(self, name: str) -> str:
        """A text field, stripped ('' when absent)."""
        return self.fields.get(name, "").strip()


async def read_form(request: web.Request, *, max_file_size: int, max_files: int = 0) -> PostedForm:
    """The posted form, read within the limits; `TooLargeError` past them, `BadRequestError` for a malformed body."""
    limit = max_files * (max_file_size + 1024) + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(max_file_size)
    if request.content_type != "multipart/form-data":
        if request.content_length is None or request.content_length > FORM_OVERHEAD:
            raise _too_large(max_file_size)
        posted = await request.post()
        return PostedForm({k: str(v)[:TEXT_LIMIT] for k, v in posted.items() if isinstance(v, str)}, {})
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    total = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or not part.name:
                raise BadRequestError("Formulir yang dikirim tidak dapat dibaca.")
            if part.filename is None:
                text = await _read(part, TEXT_LIMIT * 4)
                if text is None:
                    raise BadRequestError("Isian formulir terlalu panjang.")
                total += len(text)
                fields[part.name] = text.decode("utf-8", "replace")[:TEXT_LIMIT]
                continue
            if len(files) >= max_files:
                raise BadRequestError("Formulir memuat berkas yang tidak diminta.")
            content = await _read(part, max_file_size)
            if content is None:
                raise _too_large(max_file_size, part.filename)
            total += len(content)
            if total > limit:
                raise _too_large(max_file_size)
            if content:  # a file input left empty arrives with an empty name and no content
                files[part.name] = Upload(part.name, part.filename, content)
    except ValueError as exc:  # aiohttp's own refusals of a malformed multipart body
        raise BadRequestError("Formulir yang dikirim tidak dapat dibaca.") from exc
    return PostedForm(fields, files)


async def _read(part: BodyPartReader, limit: int) -> bytes | None:
    """The part's content, or None when it is longer than `limit` bytes (reading stops there)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_file_size: int, file_name: str | None = None) -> TooLargeError:
    which = f"Berkas “{clean_file_name(file_name)}”" if file_name else "Berkas yang dikirim"
    return TooLargeError(
        f"{which} melebihi batas ukuran {human_size(max_file_size)} per dokumen. Tidak ada yang disimpan.",
        hint="Perkecil berkas (misalnya pindai dengan resolusi lebih rendah), lalu kirim kembali formulirnya.",
    )


def check_upload(upload: Upload, document_type: DocumentType, max_size: int) -> DocumentFile:
    """The upload as a checked document; `ValueError` with the reason (formal Indonesian) when it is refused."""
    name = clean_file_name(upload.file_name)
    try:
        accepted = document_rules.check_upload(
            upload.content, document_type=document_type, file_name=name, max_size=max_size
        )
    except DocumentRejectedError as exc:
        raise ValueError(f"Berkas “{name}” untuk {document_type.label}: {exc.reason}") from None
    return DocumentFile(option=upload.name, path=Path(name), document=accepted)
