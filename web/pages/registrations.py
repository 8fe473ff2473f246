"""SOP 2, the PPBJ's pages: a new registration (`/pendaftaran-ppbj`), the identity form its e-mail link opens
(`/pendaftaran-ppbj?t=…`), and one registration (`/pendaftaran/{nomor}`): where it is, the corrections asked, the
identity form again while row 3 waits, and the SK or Surat Tugas upload while row 5 waits.

The steps are the `pbj ppbj` commands' own (`register_ppbj`, `fill_in_identity`, `send_appointment`): messages
`identitas-ppbj-diisi` (masked NIK and the record's reference) and `informasi-ppbj-dilengkapi` (the document's
reference). The full NIK is never put back into a page: a correction asks for it again.
"""

from dataclasses import dataclass

from aiohttp import web

from pbj.commands.pemohon import fill_in_identity, register_ppbj, send_appointment
from web.app import WebApp, app_of, in_thread, session_of
from web.errors import NotFoundPageError
from web.forms import ppbj_identity, ppbj_registration
from web.pages.access import opened_by_applicant, redeem
from web.pages.documents import document_response, latest_by_type
from web.process import Position, position, process_variable
from web.uploads import check_upload
from workers.domain import PPBJ_APPOINTMENT_DOCUMENTS, DocumentType, PersonRole, RequestKind
from workers.errors import NotFoundError
from workers.links import Path
from workers.store import DocumentRecord, PersonRecord, RequestRecord

routes = web.RouteTableDef()
ROLE = PersonRole.PPBJ
IDENTITY_STEP = "IsiIdentitasPpbjReceiveTask"
APPOINTMENT_STEP = "LengkapiInformasiPpbjReceiveTask"
ACTOR = "ppbj"


@dataclass(frozen=True)
class RegistrationView:
    """What the registration's pages show."""

    request: RequestRecord
    person: PersonRecord
    position: Position
    documents: list[DocumentRecord]
    identity_notes: list[dict[str, str]]
    review_note: str | None
    zone: str

    @property
    def asks_identity(self) -> bool:
        """Whether row 3 waits for the identity."""
        return self.position.waits_at(IDENTITY_STEP) is not None

    @property
    def asks_appointment(self) -> bool:
        """Whether row 5 waits for the SK or Surat Tugas."""
        return self.position.waits_at(APPOINTMENT_STEP) is not None


async def _view(webapp: WebApp, number: str) -> RegistrationView:
    try:
        record = await in_thread(webapp.store.get_request, number)
    except NotFoundError:
        raise NotFoundPageError("Pendaftaran tidak ditemukan.") from None
    if record.kind is not RequestKind.PPBJ:
        raise NotFoundPageError("Pendaftaran tidak ditemukan.")
    where = await position(webapp.rest, record.process_instance_key)
    key = record.process_instance_key
    notes: list[dict[str, str]] = []
    review_note = None
    if where.waits_at(IDENTITY_STEP) is not None:
        raw = await process_variable(webapp.rest, key, "catatanVerifikasi")
        notes = [n for n in raw or [] if isinstance(n, dict)]
    if where.waits_at(APPOINTMENT_STEP) is not None:
        note = await process_variable(webapp.rest, key, "catatanPemeriksaan")
        review_note = note if isinstance(note, str) and note.strip() else None
    return RegistrationView(
        request=record,
        person=await in_thread(webapp.store.get_person, number, ROLE),
        position=where,
        documents=latest_by_type(await in_thread(webapp.documents.list_documents, number)),
        identity_notes=notes,
        review_note=review_note,
        zone=record.kind.zone,
    )


def _render(
    request: web.Request,
    view: RegistrationView,
    *,
    status: int = 200,
    masalah: dict[str, str] | None = None,
    isian: dict[str, str] | None = None,
    peringatan: dict[str, str] | None = None,
) -> web.Response:
    return app_of(request).render(
        request,
        "pendaftaran.html",
        status=status,
        lihat=view,
        masalah=masalah or {},
        isian=isian if isian is not None else _identity_fields(view.person),
        peringatan=peringatan or {},
        jenis_penetapan=PPBJ_APPOINTMENT_DOCUMENTS,
        terkirim=request.query.get("terkirim", ""),
    )


def _identity_fields(person: PersonRecord) -> dict[str, str]:
    """The identity form's values from the store – without the NIK, which is asked again."""
    return {"nip": person.nip or "", "instansi": person.institution or "", "jabatan": person.position or ""}


# --- a new registration, and the identity form of the e-mail's link --------------------------------------------


@routes.get(Path.NEW_REGISTRATION)
async def pendaftaran_ppbj(request: web.Request) -> web.Response:
    """The registration form; with the e-mail's link, the identity form of that registration."""
    webapp = app_of(request)
    redirect = await redeem(request, ROLE)
    if redirect is not None:
        raise redirect
    grant = session_of(request).latest_grant(ROLE)
    if grant is not None and request.query.get("baru") != "1":
        view = await _view(webapp, grant.request_number)
        if not view.asks_identity:
            raise webapp.redirect(Path.REGISTRATION.format(nomor=grant.request_number))
        return _render(request, view)
    return webapp.render(request, "pendaftaran_baru.html", isian={}, masalah={}, peringatan={})


@routes.post(Path.NEW_REGISTRATION)
async def pendaftaran_ppbj_kirim(request: web.Request) -> web.Response:
    """Register (SOP 2 row 1) and start the process once; the identity form's link is e-mailed."""
    webapp = app_of(request)
    form = await webapp.posted(request)
    applicant, checks = ppbj_registration(form.fields, official_domains=webapp.settings.app.official_email_domains)
    if applicant is None:
        shown = {name: value for name, value in form.fields.items() if name != "csrf"}
        return webapp.render(
            request,
            "pendaftaran_baru.html",
            status=400,
            isian=shown,
            masalah=checks.problems,
            peringatan=checks.warnings,
        )
    submitted = await register_ppbj(webapp.context(ACTOR), applicant)
    return webapp.render(
        request,
        "pendaftaran_diterima.html",
        pendaftaran=submitted.request,
        baru=submitted.instance is not None,
        email=_masked_email(applicant.email or ""),
    )


def _masked_email(address: str) -> str:
    """`r***@kalbarprov.go.id`: enough for the person to recognise their address."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


# --- one registration ----------------------------------------------------------------------------------------------


@routes.get(Path.REGISTRATION)
async def pendaftaran(request: web.Request) -> web.Response:
    """One registration, for its PPBJ."""
    number = await opened_by_applicant(request, ROLE)
    return _render(request, await _view(app_of(request), number))


@routes.post(Path.REGISTRATION + "/identitas")
async def pendaftaran_identitas(request: web.Request) -> web.Response:
    """The identity (SOP 2 row 3): checked, stored, `identitas-ppbj-diisi` published."""
    webapp = app_of(request)
    number = await opened_by_applicant(request, ROLE)
    form = await webapp.posted(request)
    identity, checks = ppbj_identity(form.fields)
    view = await _view(webapp, number)
    shown = {name: form.text(name) for name in ("nip", "instansi", "jabatan")}
    if identity is None:
        return _render(request, view, status=400, masalah=checks.problems, isian=shown, peringatan=checks.warnings)
    if not view.asks_identity:
        problem = {"nik": "Pendaftaran ini sedang tidak menunggu pengisian identitas; identitas tidak dikirim."}
        return _render(request, view, status=409, masalah=problem, isian=shown)
    await fill_in_identity(webapp.context(ACTOR), view.request, identity)
    raise webapp.redirect(Path.REGISTRATION.format(nomor=number) + "?terkirim=identitas")


@routes.post(Path.REGISTRATION + "/penetapan")
async def pendaftaran_penetapan(request: web.Request) -> web.Response:
    """The SK or Surat Tugas (SOP 2 row 5): checked, stored, `informasi-ppbj-dilengkapi` published."""
    webapp = app_of(request)
    number = await opened_by_applicant(request, ROLE)
    form = await webapp.posted(request, max_files=1)
    problems: dict[str, str] = {}
    kinds = {kind.value: kind for kind in PPBJ_APPOINTMENT_DOCUMENTS}
    kind: DocumentType | None = kinds.get(form.text("jenis"))
    if kind is None:
        problems["jenis"] = "Pilih jenis dokumen: Surat Keputusan (SK) atau Surat Tugas."
    upload = form.files.get("berkas")
    document = None
    if upload is None:
        problems["berkas"] = "Pilih berkas SK atau Surat Tugas yang akan diunggah."
    elif kind is not None:
        try:
            document = check_upload(upload, kind, webapp.settings.app.document_max_size)
        except ValueError as exc:
            problems["berkas"] = str(exc)
    view = await _view(webapp, number)
    if problems or document is None:
        return _render(request, view, status=400, masalah=problems)
    if not view.asks_appointment:
        problem = {"berkas": "Pendaftaran ini sedang tidak menunggu SK atau Surat Tugas; dokumen tidak dikirim."}
        return _render(request, view, status=409, masalah=problem)
    await send_appointment(webapp.context(ACTOR), view.request, document)
    raise webapp.redirect(Path.REGISTRATION.format(nomor=number) + "?terkirim=penetapan")


@routes.get(Path.REGISTRATION + "/dokumen/{dokumen}")
async def pendaftaran_dokumen(request: web.Request) -> web.Response:
    """One document of the registration, for its PPBJ."""
    number = await opened_by_applicant(request, ROLE)
    return await document_response(app_of(request), number, request.match_info["dokumen"])
