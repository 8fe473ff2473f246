"""Commands of the applicants: the Kepala LPSE's request for an Admin PPE account (SOP 1) and the PPBJ's
registration (SOP 2).

Every command checks all of its input first – files (`files.py`), identifiers (`workers.validation`), the request
number, the step the process waits at – and changes nothing when something is wrong. Personal data goes only into
the application store; process variables and messages carry the request number, document references and the
masked NIK.

Submitting twice: a request is identified by a submission key – a hash of the applicant and, for SOP 1, the
content of the four documents – which the store records atomically with the request (`Store.submit_*`). The same
submission again answers with the existing number and starts nothing; the process itself is started once per
request (`Context.start_once`). Messages carry an id derived from the step they answer (its element instance) and
their content, so Zeebe drops a repeat, and a repeat after the process moved on is recognised from the store.
"""

import argparse
import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pbj.commands.context import Context, Wait
from pbj.commands.errors import CommandError, UsageError
from pbj.commands.files import DocumentFile, read_documents
from pbj.commands.output import short_time, warn, write, write_json
from pbj.commands.output import table as text_table
from pbj.invocation import command
from workers.constants import Message, Var
from workers.document_rules import ADMIN_PPE_DOCUMENTS, human_size, label
from workers.domain import (
    AdminPpeRequestData,
    DocumentType,
    PersonData,
    PersonRole,
    PpbjIdentityData,
    RequestKind,
)
from workers.errors import PersonAlreadyApplyingError
from workers.links import review_link
from workers.settings import Settings
from workers.store import DocumentRecord, RequestRecord
from workers.validation import (
    ValidationResult,
    mask_nik,
    validate_email_address,
    validate_nik,
    validate_nip,
    validate_phone,
)

ACTOR = "pemohon"
MESSAGE_TTL_MS = 10 * 60 * 1000
"""How long Zeebe keeps a published message, and so how long a repeat of it is recognised by its id."""

ADMIN_PPE_FILES: tuple[tuple[str, str, DocumentType], ...] = (
    ("--sk", "sk", DocumentType.SK_PEMBENTUKAN_LPSE),
    ("--profil", "profil", DocumentType.PROFIL_LPSE),
    ("--personil", "personil", DocumentType.DATA_PERSONIL_ADMIN_PPE),
    ("--ktp", "ktp", DocumentType.KTP_ADMIN_PPE),
)
"""SOP 1 row 1's four documents: option, argparse destination, document type (in the SOP's order)."""

LENGKAPI_BERKAS = "LengkapiBerkasReceiveTask"
ISI_IDENTITAS = "IsiIdentitasPpbjReceiveTask"
LENGKAPI_INFORMASI = "LengkapiInformasiPpbjReceiveTask"


# --- parsers ---------------------------------------------------------------------------------------------------


def add_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]", json_flag: argparse.ArgumentParser) -> None:
    """`pbj permohonan …` (SOP 1) and `pbj ppbj …` (SOP 2)."""
    permohonan = sub.add_parser(
        "permohonan",
        help="permohonan akun Admin PPE (SOP Registrasi Admin PPE)",
        description="Perintah Kepala LPSE untuk SOP Registrasi Admin PPE: mengajukan permohonan dan melengkapi berkas.",
    )
    actions = permohonan.add_subparsers(dest="tindakan", required=True, metavar="TINDAKAN")
    ajukan = actions.add_parser(
        "ajukan",
        parents=[json_flag],
        help="mengajukan permohonan akun Admin PPE dengan dokumen yang sudah ada",
        description="Mengajukan permohonan akun Admin PPE (SOP baris 1) dengan dokumen yang sudah ada (PDF, JPG, atau "
        "PNG). Dokumen yang belum dilampirkan akan diminta melalui e-mail dan dapat dikirim kemudian dengan "
        "`permohonan lengkapi` (SOP baris 3–4). Pengajuan "
        "yang sama (Admin PPE dan dokumen yang sama) dijawab dengan nomor permohonan yang sudah ada.",
    )
    ajukan.add_argument(
        "--lpse", required=True, metavar="NAMA", help="nama LPSE, mis. 'LPSE Provinsi Kalimantan Timur'"
    )
    ajukan.add_argument("--kepala-lpse-nama", required=True, metavar="NAMA", help="nama Kepala LPSE")
    ajukan.add_argument("--kepala-lpse-email", required=True, metavar="ALAMAT", help="e-mail Kepala LPSE")
    ajukan.add_argument("--admin-nama", required=True, metavar="NAMA", help="nama Admin PPE yang diusulkan")
    ajukan.add_argument("--admin-nik", required=True, metavar="NIK", help="NIK Admin PPE (16 digit)")
    ajukan.add_argument("--admin-nip", required=True, metavar="NIP", help="NIP Admin PPE (18 digit, spasi boleh)")
    ajukan.add_argument("--admin-email", required=True, metavar="ALAMAT", help="e-mail Admin PPE")
    ajukan.add_argument("--admin-wa", required=True, metavar="NOMOR", help="nomor WhatsApp Admin PPE, mis. 0812-…")
    ajukan.add_argument("--admin-instansi", metavar="NAMA", help="instansi Admin PPE (tidak wajib)")
    ajukan.add_argument("--admin-jabatan", metavar="NAMA", help="jabatan Admin PPE (tidak wajib)")
    for option, dest, document_type in ADMIN_PPE_FILES:
        ajukan.add_argument(option, dest=dest, metavar="BERKAS", help=f"{label(document_type)} (boleh menyusul)")
    ajukan.set_defaults(handler=ajukan_permohonan)

    lengkapi = actions.add_parser(
        "lengkapi",
        parents=[json_flag],
        help="mengirim dokumen yang kurang atau pengganti untuk permohonan",
        description="Melengkapi kekurangan berkas permohonan (SOP baris 4) setelah menerima e-mail permintaan "
        "kelengkapan. Berikan sekurang-kurangnya satu dokumen; dokumen lain tetap yang terakhir dikirim.",
    )
    lengkapi.add_argument("nomor", metavar="NOMOR", help="nomor permohonan, mis. ADM-2026-000123")
    for option, dest, document_type in ADMIN_PPE_FILES:
        lengkapi.add_argument(option, dest=dest, metavar="BERKAS", help=document_type.label)
    lengkapi.set_defaults(handler=lengkapi_berkas)

    ppbj = sub.add_parser(
        "ppbj",
        help="pendaftaran akun PPBJ (SOP Pendaftaran Akun Pengelola Pengadaan Barang/Jasa)",
        description="Perintah PPBJ untuk SOP Pendaftaran Akun Pengelola Pengadaan Barang/Jasa.",
    )
    steps = ppbj.add_subparsers(dest="tindakan", required=True, metavar="TINDAKAN")
    daftar = steps.add_parser(
        "daftar",
        parents=[json_flag],
        help="mendaftar sebagai PPBJ (e-mail dan WhatsApp aktif)",
        description="Memulai pendaftaran akun PPBJ (SOP baris 1). Pendaftaran dengan e-mail dan nomor WhatsApp yang "
        "sama dengan pendaftaran yang masih berjalan dijawab dengan nomor pendaftaran yang sudah ada.",
    )
    daftar.add_argument("--nama", required=True, help="nama lengkap")
    daftar.add_argument("--email", required=True, metavar="ALAMAT", help="alamat e-mail aktif")
    daftar.add_argument("--wa", required=True, metavar="NOMOR", help="nomor WhatsApp aktif, mis. 0813-…")
    daftar.set_defaults(handler=daftar_ppbj)

    identitas = steps.add_parser(
        "identitas",
        parents=[json_flag],
        help="mengisi identitas PPBJ (NIK, NIP, instansi, jabatan)",
        description="Mengisi identitas PPBJ (SOP baris 3); identitas kemudian diverifikasi (baris 4).",
    )
    identitas.add_argument("nomor", metavar="NOMOR", help="nomor pendaftaran, mis. PPBJ-2026-000045")
    identitas.add_argument("--nik", required=True, help="NIK (16 digit)")
    identitas.add_argument("--nip", required=True, help="NIP (18 digit, spasi boleh)")
    identitas.add_argument("--instansi", required=True, metavar="NAMA", help="instansi")
    identitas.add_argument("--jabatan", required=True, metavar="NAMA", help="jabatan")
    identitas.set_defaults(handler=isi_identitas)

    penetapan = steps.add_parser(
        "penetapan",
        parents=[json_flag],
        help="mengirim SK atau Surat Tugas sebagai Pengelola PBJ",
        description="Melengkapi informasi PPBJ dengan Surat Keputusan atau Surat Tugas (SOP baris 5); Admin PPE "
        "kemudian memeriksanya (baris 6).",
    )
    penetapan.add_argument("nomor", metavar="NOMOR", help="nomor pendaftaran")
    which = penetapan.add_mutually_exclusive_group(required=True)
    which.add_argument("--sk", metavar="BERKAS", help=DocumentType.SK.label)
    which.add_argument("--surat-tugas", metavar="BERKAS", help=DocumentType.SURAT_TUGAS.label)
    penetapan.set_defaults(handler=kirim_penetapan)


# --- SOP 1 ---------------------------------------------------------------------------------------------------------


async def ajukan_permohonan(ctx: Context, args: argparse.Namespace) -> int:
    """`pbj permohonan ajukan`: store the request and its documents, start `registrasiAdminPpe` – once."""
    app = ctx.settings.app
    given = [(opt, getattr(args, dest), kind) for opt, dest, kind in ADMIN_PPE_FILES if getattr(args, dest)]
    files = read_documents(given, app.document_max_size)
    data, warnings = _admin_ppe_request(args, app)
    try:
        submitted = await submit_admin_ppe_request(ctx, data, files)
    except PersonAlreadyApplyingError as exc:
        raise CommandError(
            "Admin PPE dengan NIK ini sudah tercantum pada permohonan lain yang masih diproses atau sudah selesai; "
            "permohonan baru tidak dibuat. Bila dokumennya perlu diganti, gunakan "
            f"`{command('permohonan', 'lengkapi')}` dengan nomor permohonan tersebut."
        ) from exc
    request, created = submitted.request, submitted.created
    if created:
        for text in warnings:
            warn(text)
    if submitted.instance is None:
        return _already_submitted(args, request, Var.NOMOR_PERMOHONAN, "Permohonan yang sama")
    references = [record.as_variable() for record in submitted.documents]
    if args.json:
        write_json(
            {
                Var.NOMOR_PERMOHONAN.value: request.number,
                "baru": created,
                "prosesDimulai": submitted.started,
                "processInstanceKey": str(submitted.instance),
                Var.DOKUMEN_PERMOHONAN.value: references,
            }
        )
        return 0
    write(f"Permohonan akun Admin PPE diterima dengan nomor {request.number}.")
    if submitted.documents:
        write(_documents_table(submitted.documents))
    missing = [
        kind for kind in ADMIN_PPE_DOCUMENTS if kind not in {record.document_type for record in submitted.documents}
    ]
    if missing:
        write(
            "Belum dilampirkan: "
            + "; ".join(label(kind) for kind in missing)
            + ". Kepala LPSE akan menerima e-mail permintaan kelengkapan; kirim dokumennya dengan "
            + f"`{command('permohonan', 'lengkapi', request.number)} …`."
        )
    write(
        f"Proses Registrasi Admin PPE {'dimulai' if submitted.started else 'sudah berjalan'} (instance "
        f"{submitted.instance}). Simpan nomor permohonan ini: Kepala LPSE akan menerima e-mail bila berkas perlu "
        "dilengkapi dan setelah akun dibuat."
    )
    return 0


async def lengkapi_berkas(ctx: Context, args: argparse.Namespace) -> int:
    """`pbj permohonan lengkapi NOMOR`: store the documents given and publish `berkas-dilengkapi`."""
    given = [(opt, getattr(args, dest), kind) for opt, dest, kind in ADMIN_PPE_FILES if getattr(args, dest)]
    if not given:
        raise UsageError("Berikan sekurang-kurangnya satu dokumen: --sk, --profil, --personil, atau --ktp.")
    files = read_documents(given, ctx.settings.app.document_max_size)
    request = ctx.load_request(args.nomor, RequestKind.ADMIN_PPE)
    sent = await complete_request_files(ctx, request, files)
    if not sent.sent:
        return _already_received(args, request, "Berkas ini")
    references = sent.variables[Var.DOKUMEN_PERMOHONAN]
    if args.json:
        write_json(
            {Var.NOMOR_PERMOHONAN.value: request.number, "terkirim": True, Var.DOKUMEN_PERMOHONAN.value: references}
        )
        return 0
    write(f"Berkas permohonan {request.number} dikirim untuk diperiksa kembali:")
    write(_documents_table(sent.documents))
    return 0


def _admin_ppe_request(args: argparse.Namespace, app: Settings) -> tuple[AdminPpeRequestData, list[str]]:
    """The request's data, normalised, and the warnings; `CommandError` listing every invalid value."""
    checks = _Checks()
    lpse = checks.text("Nama LPSE", "--lpse", args.lpse)
    kepala_nama = checks.text("Nama Kepala LPSE", "--kepala-lpse-nama", args.kepala_lpse_nama)
    admin_nama = checks.text("Nama Admin PPE", "--admin-nama", args.admin_nama)
    domains = app.official_email_domains
    kepala_email = checks.result(
        "E-mail Kepala LPSE",
        "--kepala-lpse-email",
        validate_email_address(args.kepala_lpse_email, official_domains=domains),
    )
    nik = checks.result("NIK Admin PPE", "--admin-nik", validate_nik(args.admin_nik))
    nip = checks.result("NIP Admin PPE", "--admin-nip", validate_nip(args.admin_nip, nik=args.admin_nik))
    email = checks.result(
        "E-mail Admin PPE", "--admin-email", validate_email_address(args.admin_email, official_domains=domains)
    )
    whatsapp = checks.result("WhatsApp Admin PPE", "--admin-wa", validate_phone(args.admin_wa))
    checks.raise_problems()
    data = AdminPpeRequestData(
        lpse_name=lpse,
        kepala_lpse=PersonData(name=kepala_nama, email=kepala_email),
        admin_ppe=PersonData(
            name=admin_nama,
            email=email,
            whatsapp=whatsapp,
            nik=nik,
            nip=nip,
            institution=_optional(args.admin_instansi),
            position=_optional(args.admin_jabatan),
        ),
    )
    return data, checks.warnings


# --- SOP 2 ---------------------------------------------------------------------------------------------------------


async def daftar_ppbj(ctx: Context, args: argparse.Namespace) -> int:
    """`pbj ppbj daftar`: store the registration and start `pendaftaranAkunPpbj` – once."""
    checks = _Checks()
    name = checks.text("Nama", "--nama", args.nama)
    domains = ctx.settings.app.official_email_domains
    email = checks.result("E-mail", "--email", validate_email_address(args.email, official_domains=domains))
    whatsapp = checks.result("WhatsApp", "--wa", validate_phone(args.wa))
    checks.raise_problems()
    assert email is not None and whatsapp is not None
    submitted = await register_ppbj(ctx, PersonData(name=name, email=email, whatsapp=whatsapp))
    request, created = submitted.request, submitted.created
    if created:
        for text in checks.warnings:
            warn(text)
    if submitted.instance is None:
        return _already_submitted(args, request, Var.NOMOR_PENDAFTARAN, "Pendaftaran dengan e-mail dan WhatsApp ini")
    if args.json:
        write_json(
            {
                Var.NOMOR_PENDAFTARAN.value: request.number,
                "baru": created,
                "prosesDimulai": submitted.started,
                "processInstanceKey": str(submitted.instance),
            }
        )
        return 0
    write(f"Pendaftaran akun PPBJ diterima dengan nomor {request.number}.")
    write(
        f"Proses Pendaftaran Akun PPBJ {'dimulai' if submitted.started else 'sudah berjalan'} (instance "
        f"{submitted.instance}). Tautan formulir registrasi dikirim ke e-mail yang didaftarkan; isi identitas dengan "
        f"`{command('ppbj', 'identitas', request.number)} --nik … --nip … --instansi … --jabatan …`."
    )
    return 0


async def isi_identitas(ctx: Context, args: argparse.Namespace) -> int:
    """`pbj ppbj identitas NOMOR`: store the identity and publish `identitas-ppbj-diisi` (masked NIK, reference)."""
    checks = _Checks()
    nik = checks.result("NIK", "--nik", validate_nik(args.nik))
    nip = checks.result("NIP", "--nip", validate_nip(args.nip, nik=args.nik))
    institution = checks.text("Instansi", "--instansi", args.instansi)
    position = checks.text("Jabatan", "--jabatan", args.jabatan)
    checks.raise_problems()
    assert nik is not None and nip is not None
    identity = PpbjIdentityData(nik=nik, nip=nip, institution=institution, position=position)
    request = ctx.load_request(args.nomor, RequestKind.PPBJ)
    sent = await fill_in_identity(ctx, request, identity)
    if not sent.sent:
        return _already_received(args, request, "Identitas ini")
    for text in checks.warnings:
        warn(text)
    if args.json:
        write_json({Var.NOMOR_PENDAFTARAN.value: request.number, "terkirim": True, **sent.variables})
        return 0
    write(
        f"Identitas PPBJ untuk {request.number} (NIK {mask_nik(nik)}) dikirim untuk diverifikasi. Hasilnya dikirim ke "
        "e-mail yang didaftarkan."
    )
    return 0


async def kirim_penetapan(ctx: Context, args: argparse.Namespace) -> int:
    """`pbj ppbj penetapan NOMOR`: store the SK or Surat Tugas and publish `informasi-ppbj-dilengkapi`."""
    option, path, kind = (
        ("--sk", args.sk, DocumentType.SK) if args.sk else ("--surat-tugas", args.surat_tugas, DocumentType.SURAT_TUGAS)
    )
    [document] = read_documents([(option, path, kind)], ctx.settings.app.document_max_size)
    request = ctx.load_request(args.nomor, RequestKind.PPBJ)
    sent = await send_appointment(ctx, request, document)
    if not sent.sent:
        return _already_received(args, request, "Dokumen ini")
    if args.json:
        write_json({Var.NOMOR_PENDAFTARAN.value: request.number, "terkirim": True, **sent.variables})
        return 0
    write(f"{kind.label} untuk {request.number} dikirim; Admin PPE akan memeriksanya.")
    write(_documents_table(sent.documents))
    return 0


# --- the applicants' steps, shared with the web application ------------------------------------------------------
# Each step takes checked input (`DocumentFile`s, validated personal data) and a loaded request, and does what the
# SOP row needs: store, then start the process once or publish the message answering the step the process waits at.
# Store and document calls run in a thread: the web application serves pages from the engine's own event loop.


@dataclass(frozen=True)
class Submitted:
    """A submission's request: new or the same submission's earlier one, its process instance (None: it was started
    before and is not this call's to report) and the documents stored now."""

    request: RequestRecord
    created: bool
    started: bool
    instance: int | None
    documents: list[DocumentRecord]


@dataclass(frozen=True)
class Sent:
    """A step answered: whether the message went out now (False: the same answer was received before), what it
    carried, and the documents stored for it."""

    sent: bool
    variables: dict[str, Any]
    documents: list[DocumentRecord]


async def submit_admin_ppe_request(ctx: Context, data: AdminPpeRequestData, files: Sequence[DocumentFile]) -> Submitted:
    """SOP 1 row 1: the request, its people and the documents given (any may be missing: row 2 asks for them), and
    `registrasiAdminPpe` started once. The same submission again answers with its request and starts nothing;
    `PersonAlreadyApplyingError` when the Admin PPE's NIK is on another open request."""
    assert data.admin_ppe.nik is not None
    key = submission_key(
        RequestKind.ADMIN_PPE,
        " ".join(data.lpse_name.casefold().split()),
        data.admin_ppe.nik,
        sorted([f.document_type.value, f.sha256] for f in files),
    )
    request, created = await _record_submission(
        ctx,
        RequestKind.ADMIN_PPE,
        key,
        lambda: ctx.store.submit_admin_ppe_request(data, submission_key=key, actor=ACTOR),
    )
    if not created and request.process_instance_key is not None:
        return Submitted(request, created=False, started=False, instance=None, documents=[])
    records = await _store_files(ctx, request.number, files)
    references = [record.as_variable() for record in records]
    variables: dict[str, Any] = {Var.NOMOR_PERMOHONAN: request.number, Var.DOKUMEN_PERMOHONAN: references}
    instance, started = await ctx.start_once(request, variables)
    return Submitted(request, created=created, started=started, instance=instance, documents=records)


async def _record_submission(
    ctx: Context, kind: RequestKind, key: str, submit: Callable[[], tuple[RequestRecord, bool]]
) -> tuple[RequestRecord, bool]:
    """The submission's request, new (`submit`, in a thread) or the earlier one with the same key; the diagram must
    be deployed unless that earlier one's process already runs (so nothing is stored for a process that cannot
    start)."""
    existing = await asyncio.to_thread(ctx.store.find_submission, key)
    if existing is None or existing.process_instance_key is None:
        await ctx.require_deployed(kind)
    return await asyncio.to_thread(submit)


async def complete_request_files(ctx: Context, request: RequestRecord, files: Sequence[DocumentFile]) -> Sent:
    """SOP 1 row 4: the documents given (new or replacing earlier ones) and `berkas-dilengkapi` with the latest
    document of each type; `CommandError` when the process does not wait for them."""
    wait = await ctx.waiting_at(request, LENGKAPI_BERKAS)
    if wait is None:
        if await _all_stored(ctx, request.number, files):
            return Sent(sent=False, variables={}, documents=[])
        raise await ctx.not_waiting(request, "kelengkapan berkas")
    records = await _store_files(ctx, request.number, files)
    latest: dict[DocumentType, DocumentRecord] = {}
    for record in await asyncio.to_thread(ctx.documents.list_documents, request.number):
        latest[record.document_type] = record
    latest.update({record.document_type: record for record in records})
    references = [latest[kind].as_variable() for kind in ADMIN_PPE_DOCUMENTS if kind in latest]
    variables: dict[str, Any] = {Var.DOKUMEN_PERMOHONAN: references}
    sent = await _publish(ctx, Message.BERKAS_DILENGKAPI, request, wait, variables)
    return Sent(sent=sent, variables={str(k): v for k, v in variables.items()}, documents=records)


async def register_ppbj(ctx: Context, applicant: PersonData) -> Submitted:
    """SOP 2 row 1: the registration (name, checked e-mail and WhatsApp) and `pendaftaranAkunPpbj` started once; the
    same e-mail and WhatsApp again answer with the open registration."""
    assert applicant.email is not None and applicant.whatsapp is not None
    key = submission_key(RequestKind.PPBJ, applicant.email.casefold(), applicant.whatsapp)
    request, created = await _record_submission(
        ctx,
        RequestKind.PPBJ,
        key,
        lambda: ctx.store.submit_ppbj_registration(applicant, submission_key=key, actor=ACTOR),
    )
    if not created and request.process_instance_key is not None:
        return Submitted(request, created=False, started=False, instance=None, documents=[])
    instance, started = await ctx.start_once(request, {Var.NOMOR_PENDAFTARAN: request.number})
    return Submitted(request, created=created, started=started, instance=instance, documents=[])


async def fill_in_identity(ctx: Context, request: RequestRecord, identity: PpbjIdentityData) -> Sent:
    """SOP 2 row 3: the checked identity into the store and `identitas-ppbj-diisi` with the masked NIK and the
    record's reference; `CommandError` when the process does not wait for it."""
    stored = await asyncio.to_thread(ctx.store.get_person, request.number, PersonRole.PPBJ)
    given = (identity.nik, identity.nip, identity.institution, identity.position)
    unchanged = (stored.nik, stored.nip, stored.institution, stored.position) == given
    wait = await ctx.waiting_at(request, ISI_IDENTITAS)
    if wait is None:
        if unchanged:
            return Sent(sent=False, variables={}, documents=[])
        raise await ctx.not_waiting(request, "pengisian identitas")
    person = (
        stored
        if unchanged
        else await asyncio.to_thread(ctx.store.update_ppbj_identity, request.number, identity, actor=ACTOR)
    )
    variables: dict[str, Any] = {Var.NIK_TERSAMAR: person.nik_masked, Var.IDENTITAS_REF: person.ref}
    sent = await _publish(ctx, Message.IDENTITAS_PPBJ_DIISI, request, wait, variables)
    return Sent(sent=sent, variables={str(k): v for k, v in variables.items()}, documents=[])


async def send_appointment(ctx: Context, request: RequestRecord, document: DocumentFile) -> Sent:
    """SOP 2 row 5: the SK or Surat Tugas stored and `informasi-ppbj-dilengkapi` with its reference and the review
    link; `CommandError` when the process does not wait for it."""
    wait = await ctx.waiting_at(request, LENGKAPI_INFORMASI)
    if wait is None:
        if await _all_stored(ctx, request.number, [document]):
            return Sent(sent=False, variables={}, documents=[])
        raise await ctx.not_waiting(request, "kelengkapan informasi (SK atau Surat Tugas)")
    [record] = await _store_files(ctx, request.number, [document])
    variables: dict[str, Any] = {
        Var.DOKUMEN_PENETAPAN: record.as_variable(),
        Var.TAUTAN_PEMERIKSAAN: review_link(ctx.settings.app, request.number),
    }
    sent = await _publish(ctx, Message.INFORMASI_PPBJ_DILENGKAPI, request, wait, variables)
    return Sent(sent=sent, variables={str(k): v for k, v in variables.items()}, documents=[record])


# --- shared ----------------------------------------------------------------------------------------------------------


def submission_key(kind: RequestKind, *parts: Any) -> str:
    """The submission key of an application: SHA-256 over its kind and what identifies it."""
    canonical = json.dumps([kind.value, *parts], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class _Checks:
    """Collects the problems of every field (one error line for all of them) and the warnings."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def text(self, label: str, option: str, value: str | None) -> str:
        cleaned = " ".join((value or "").split())
        if not cleaned:
            self.problems.append(f"{label} ({option}) wajib diisi.")
        elif len(cleaned) > 255:
            self.problems.append(f"{label} ({option}) paling panjang 255 karakter.")
        return cleaned

    def result(self, label: str, option: str, result: ValidationResult) -> str | None:
        self.problems.extend(f"{label} ({option}): {issue.pesan}" for issue in result.problems)
        self.warnings.extend(f"{label} ({option}): {issue.pesan}" for issue in result.warnings)
        return result.value

    def raise_problems(self) -> None:
        if self.problems:
            raise CommandError("Data tidak valid – " + " ".join(self.problems))


def _optional(value: str | None) -> str | None:
    cleaned = " ".join((value or "").split())
    return cleaned or None


async def _store_files(ctx: Context, number: str, files: Sequence[DocumentFile]) -> list[DocumentRecord]:
    def put() -> list[DocumentRecord]:
        return [
            ctx.documents.put(
                number,
                f.document_type,
                file_name=f.path.name,
                media_type=f.document.media_type,
                content=f.document.content,
            )
            for f in files
        ]

    return await asyncio.to_thread(put)


async def _all_stored(ctx: Context, number: str, files: Sequence[DocumentFile]) -> bool:
    """Whether every file is already a stored document of the request, of the same type."""
    documents = await asyncio.to_thread(ctx.documents.list_documents, number)
    stored = {(record.document_type, record.sha256) for record in documents}
    return all((f.document_type, f.sha256) in stored for f in files)


async def _publish(ctx: Context, name: Message, request: RequestRecord, wait: Wait, variables: dict[str, Any]) -> bool:
    """Publish the message answering `wait`; False when Zeebe already holds the same one (a repeat).

    The id is the message name, the request number, the waiting step's element instance and a hash of the payload
    (references and masked values only, so the id carries no personal data).
    """
    digest = hashlib.sha256(json.dumps(variables, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    message_id = f"{name.value}:{request.number}:{wait.element_instance_key}:{digest[:32]}"
    return await ctx.gateway.publish(
        name.value,
        request.number,
        {str(k): v for k, v in variables.items()},
        message_id=message_id,
        ttl_ms=MESSAGE_TTL_MS,
    )


def _already_submitted(args: argparse.Namespace, request: RequestRecord, variable: Var, what: str) -> int:
    if args.json:
        write_json(
            {
                variable.value: request.number,
                "baru": False,
                "prosesDimulai": False,
                "processInstanceKey": str(request.process_instance_key),
            }
        )
        return 0
    when = short_time(request.created_at, request.kind.timezone)
    write(f"{what} sudah diajukan pada {when} dengan nomor {request.number}; tidak diajukan ulang.")
    write(f"Lihat perkembangannya dengan `{command('status', request.number)}`.")
    return 0


def _already_received(args: argparse.Namespace, request: RequestRecord, what: str) -> int:
    if args.json:
        write_json({request.kind.number_variable: request.number, "terkirim": False})
        return 0
    write(f"{what} sudah diterima sebelumnya untuk {request.number}; tidak dikirim ulang.")
    return 0


def _documents_table(records: Sequence[DocumentRecord]) -> str:
    rows = [
        [label(record.document_type), record.file_name, record.media_type, human_size(record.size), record.sha256[:16]]
        for record in records
    ]
    return text_table(["DOKUMEN", "BERKAS", "TIPE", "UKURAN", "SHA-256"], rows)
