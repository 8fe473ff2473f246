"""Serving a request's stored documents to those allowed to see them (the applicant of the request, the staff role
of its SOP): read back from the document store under the data directory – its content checked against its SHA-256
– with its checked media type, `nosniff`, and a policy that lets nothing but the document itself load."""

from collections.abc import Iterable
from urllib.parse import quote

from aiohttp import web

from web.app import WebApp, in_thread
from web.errors import NotFoundPageError, WebError
from web.security import DOCUMENT_POLICY
from workers.domain import DocumentType
from workers.errors import DocumentIntegrityError, NotFoundError
from workers.store import DocumentRecord

_ORDER = list(DocumentType)


def latest_by_type(records: Iterable[DocumentRecord]) -> list[DocumentRecord]:
    """The latest document of each type, in the SOPs' order of document types."""
    latest: dict[DocumentType, DocumentRecord] = {}
    for record in sorted(records, key=lambda r: r.created_at):
        latest[record.document_type] = record
    return [latest[kind] for kind in _ORDER if kind in latest]


async def document_response(webapp: WebApp, number: str, document_id: str) -> web.Response:
    """The document `document_id` of request `number` (a document of another request is not found)."""
    try:
        record = await in_thread(webapp.store.get_document, document_id)
    except NotFoundError:
        record = None
    if record is None or record.request_number != number:
        raise NotFoundPageError("Dokumen tidak ditemukan pada permohonan ini.")
    try:
        content = await in_thread(webapp.documents.read, record.id)
    except DocumentIntegrityError:
        raise WebError(
            "Dokumen ini rusak atau berubah sejak diunggah dan tidak ditampilkan.",
            hint="Mohon unggah ulang dokumen tersebut bila diminta.",
            title="Dokumen tidak dapat ditampilkan",
        ) from None
    return web.Response(
        body=content,
        content_type=record.media_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(record.file_name)}",
            "Content-Security-Policy": DOCUMENT_POLICY,
        },
    )
