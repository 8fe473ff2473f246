"""SOP 1, the Kepala LPSE's pages: a new request for an Admin PPE account with the documents at hand
(`/permohonan/baru`) and one request (`/permohonan/{nomor}`): where it is, its documents, what row 2 found missing,
and the upload of the missing ones while the process waits for them (row 4, message `berkas-dilengkapi`).

Both steps are the `pbj permohonan` commands' own (`submit_admin_ppe_request`, `complete_request_files`); the
documents are checked by their content with the same rules before anything is stored.
"""

from dataclasses import dataclass

from aiohttp import web

from pbj.commands.files import DocumentFile
from pbj.commands.pemohon import complete_request_files, submit_admin_ppe_request
from web.app import WebApp, app_of, in_thread
from web.errors import NotFoundPageError
from web.forms import admin_ppe_request
from web.pages.access import grant_own_request, opened_by_applicant
from web.pages.documents import document_response, latest_by_type
from web.process import Position, position, process_variable
from web.uploads import PostedForm, check_upload
from workers.document_rules import ADMIN_PPE_DOCUMENTS
from workers.domain import DocumentType, PersonRole, RequestKind
from workers.errors import NotFoundError, PersonAlreadyApplyingError
from workers.links import Path
from workers.store import DocumentRecord, RequestRecord

routes = web.RouteTableDef()
ROLE = PersonRole.KEPALA_LPSE
WAIT_STEP = "LengkapiBerkasReceiveTask"
FILE_FIELDS: tuple[tuple[str, DocumentType], ...] = (
    ("sk", DocumentType.SK_PEMBENTUKAN_LPSE),
    ("profil", DocumentType.PROFIL_LPSE),
    ("personil", DocumentType.DATA_PERSONIL_ADMIN_PPE),
    ("ktp", DocumentType.KTP_ADMIN_PPE),
)
"""The upload fields of the four documents of SOP 1 row 1, in the SOP's order."""
assert tuple(kind for _, kind in FILE_FIELDS) == ADMIN_PPE_DOCUMENTS
ACTOR = "kepala-lpse"


def checked_files(form: PostedForm, max_size: int, problems: dict[str, str]) -> list[DocumentFile]:
    """The uploaded documents that pass the checks; the others' reasons go into `problems` by field."""
    files: list[DocumentFile] = []
    seen: dict[str, str] = {}
    for name, kind in FILE_FIELDS:
        upload = form.files.get(name)
        if upload is None:
            continue
        try:
            document = check_upload(upload, kind, max_size)
        except ValueError as exc:
            problems[name] = str(exc)
            continue
        if document.sha256 in seen:
            problems[name] = (
                f"Berkas ini sama dengan berkas untuk {dict(FILE_FIELDS)[seen[document.sha256]].label}; setiap "
                "dokumen harus diunggah sebagai berkas tersendiri."
            )
            continue
        seen[document.sha256] = name
        files.append(document)
    return files


@routes.get(Path.NEW_REQUEST)
async def permohonan_baru(request: web.Request) -> web.Response:
    """The request form (SOP 1 row 1)."""
    return app_of(request).render(request, "permohonan_baru.html", isian={}, masalah={}, peringatan={})


@routes.post(Path.NEW_REQUEST)
async def permohonan_baru_kirim(request: web.Request) -> web.Response:
    """Check everything, then store the request and its documents and start the process (once)."""
    webapp = app_of(request)
    form = await webapp.posted(request, max_files=len(FILE_FIELDS))
    data, checks = admin_ppe_request(form.fields, official_domains=webapp.settings.app.official_email_domains)
    problems = dict(checks.problems)
    files = checked_files(form, webapp.settings.app.document_max_size, problems)

    def again(status: int = 400) -> web.Response:
        shown = {name: value for name, value in form.fields.items() if name != "csrf"}
        return webapp.render(
            request,
            "permohonan_baru.html",
            status=status,
            isian=shown,
            masalah=problems,
            peringatan=checks.warnings,
        )

    if data is None or problems:
        return again()
    context = webapp.context(ACTOR)
    try:
        submitted = await submit_admin_ppe_request(context, data, files)
    except PersonAlreadyApplyingError:
        problems["admin_nik"] = (
            "Admin PPE dengan NIK ini sudah tercantum pada permohonan lain yang masih diproses atau sudah selesai; "
            "permohonan baru tidak dibuat. Bila dokumennya perlu diganti, gunakan tautan pada e-mail tentang "
            "permohonan tersebut."
        )
        return again(409)
    if submitted.instance is None:  # the same submission again: its request exists and runs
        return webapp.render(request, "permohonan_sudah_ada.html", permohonan=submitted.request)
    await grant_own_request(request, submitted.request, ROLE)
    raise webapp.redirect(Path.REQUEST.format(nomor=submitted.request.number) + "?diterima=1")


@dataclass(frozen=True)
class RequestView:
    """What the request's page shows."""

    request: RequestRecord
    position: Position
    documents: list[DocumentRecord]
    shortfalls: list[dict[str, str]]
    waiting: bool
    admin_name: str
    admin_nik: str | None
    zone: str


async def _view(webapp: WebApp, number: str) -> RequestView:
    try:
        record = await in_thread(webapp.store.get_request, number)
    except NotFoundError:
        raise NotFoundPageError("Permohonan tidak ditemukan.") from None
    if record.kind is not RequestKind.ADMIN_PPE:
        raise NotFoundPageError("Permohonan tidak ditemukan.")
    where = await position(webapp.rest, record.process_instance_key)
    waiting = where.waits_at(WAIT_STEP) is not None
    shortfalls = await process_variable(webapp.rest, record.process_instance_key, "kekuranganBerkas") if waiting else []
    admin = await in_thread(webapp.store.get_person, number, PersonRole.ADMIN_PPE)
    documents = latest_by_type(await in_thread(webapp.documents.list_documents, number))
    return RequestView(
        request=record,
        position=where,
        documents=list(documents),
        shortfalls=[s for s in shortfalls or [] if isinstance(s, dict)],
        waiting=waiting,
        admin_name=admin.name,
        admin_nik=admin.nik_masked,
        zone=record.kind.zone,
    )


def _render(
    request: web.Request, view: RequestView, *, status: int = 200, masalah: dict[str, str] | None = None
) -> web.Response:
    return app_of(request).render(
        request,
        "permohonan.html",
        status=status,
        lihat=view,
        berkas_isian=FILE_FIELDS,
        masalah=masalah or {},
        diterima=request.query.get("diterima") == "1",
        terkirim=request.query.get("terkirim") == "1",
    )


@routes.get(Path.REQUEST)
async def permohonan(request: web.Request) -> web.Response:
    """One request, for its Kepala LPSE."""
    number = await opened_by_applicant(request, ROLE)
    return _render(request, await _view(app_of(request), number))


@routes.post(Path.REQUEST + "/berkas")
async def permohonan_berkas(request: web.Request) -> web.Response:
    """The missing or replaced documents (SOP 1 row 4): checked, stored, `berkas-dilengkapi` published."""
    webapp = app_of(request)
    number = await opened_by_applicant(request, ROLE)
    form = await webapp.posted(request, max_files=len(FILE_FIELDS))
    problems: dict[str, str] = {}
    files = checked_files(form, webapp.settings.app.document_max_size, problems)
    if not files and not problems:
        problems["sk"] = "Pilih sekurang-kurangnya satu dokumen untuk dikirim."
    view = await _view(webapp, number)
    if problems:
        return _render(request, view, status=400, masalah=problems)
    if not view.waiting:
        return _render(
            request,
            view,
            status=409,
            masalah={"sk": "Permohonan ini sedang tidak menunggu kelengkapan berkas; dokumen tidak dikirim."},
        )
    await complete_request_files(webapp.context(ACTOR), view.request, files)
    raise webapp.redirect(Path.REQUEST.format(nomor=number) + "?terkirim=1")


@routes.get(Path.REQUEST + "/dokumen/{dokumen}")
async def permohonan_dokumen(request: web.Request) -> web.Response:
    """One document of the request, for its Kepala LPSE."""
    number = await opened_by_applicant(request, ROLE)
    return await document_response(app_of(request), number, request.match_info["dokumen"])
