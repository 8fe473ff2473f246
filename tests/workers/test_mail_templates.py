"""Tests of the e-mail templates in templates/ and their renderer, workers.mail_templates."""

import re
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes

from tests.workers.mail_examples import CONTEXTS, OPTIONAL, SLA_FOR_PPBJ, WHEN
from workers.mail_templates import (
    DEFAULT_TEMPLATE_DIR,
    MailTemplates,
    TemplateRenderError,
    UnknownTemplateError,
    format_duration,
    format_time,
    render,
    zone_for_province,
)

TEMPLATE_NAMES = {
    "permintaan-kelengkapan-berkas",
    "pengingat-permohonan",
    "permohonan-kedaluwarsa",
    "akun-admin-ppe-dibuat",
    "undangan-admin-ppe",
    "formulir-registrasi-ppbj",
    "identitas-perlu-perbaikan",
    "permintaan-informasi-ppbj",
    "informasi-perlu-dilengkapi",
    "akun-ppbj-aktif",
    "pendaftaran-kedaluwarsa",
    "pengingat-sla",
}
ALL_SOURCES = sorted(p for p in DEFAULT_TEMPLATE_DIR.rglob("*") if p.suffix in {".txt", ".html"})
SECRET_NAME = re.compile(r"password|passwd|sandi|secret|rahasia|otp|token|pin$", re.IGNORECASE)


def test_the_templates_are_exactly_the_ones_the_diagrams_name() -> None:
    """templates/ holds one folder per message named in processes-design.md, and the examples cover each."""
    assert set(MailTemplates().names) == TEMPLATE_NAMES
    assert set(CONTEXTS) == TEMPLATE_NAMES
    assert len(ALL_SOURCES) == 3 * len(TEMPLATE_NAMES) + 3


def test_the_diagrams_use_exactly_these_templates() -> None:
    """Every `template` task header in bpmn/ names a template folder, and every folder is used by a diagram."""
    headers: set[str] = set()
    for diagram in (DEFAULT_TEMPLATE_DIR.parent / "bpmn").glob("*.bpmn"):
        headers |= set(re.findall(r'key="template" value="([^"]+)"', diagram.read_text(encoding="utf-8")))
    assert headers == TEMPLATE_NAMES


@pytest.mark.parametrize("name", sorted(TEMPLATE_NAMES))
def test_every_template_renders_both_parts_in_the_formal_tone(name: str) -> None:
    """Each message renders a one-line subject, a text and an HTML body with salutation, closing and footer."""
    context = CONTEXTS[name]
    message = render(name, context)
    number = context.get("nomorPermohonan") or context.get("nomorPendaftaran") or context["nomor"]
    assert number in message.subject
    assert "\n" not in message.subject
    for body in (message.text, message.html):
        assert f"Yth. Bapak/Ibu {context['nama']}," in body
        assert "Atas perhatian dan kerja samanya, kami ucapkan terima kasih." in body
        assert "Hormat kami," in body
        assert context["pengirim"] in body
        assert "Email ini dikirim otomatis, mohon tidak dibalas." in body
        assert number in body
        assert "{{" not in body
        assert "{%" not in body
    assert "<" not in message.text
    assert message.text.endswith("\n")
    assert "\n\n\n" not in message.text
    assert message.html.startswith("<!DOCTYPE html>")
    assert '<html lang="id">' in message.html


@pytest.mark.parametrize(
    ("name", "variable"),
    [(name, variable) for name in sorted(CONTEXTS) for variable in CONTEXTS[name]],
)
def test_every_context_variable_is_required(name: str, variable: str) -> None:
    """Leaving out any variable a template needs is an error that names the variable."""
    context = {k: v for k, v in CONTEXTS[name].items() if k != variable}
    with pytest.raises(TemplateRenderError, match=re.escape(f"variabel '{variable}' tidak tersedia")):
        render(name, context)


@pytest.mark.parametrize("name", sorted(OPTIONAL))
def test_optional_waiting_time_is_shown_when_given(name: str) -> None:
    """The expiry messages name the waiting time only when `masaTunggu` is given."""
    without = render(name, CONTEXTS[name])
    with_time = render(name, {**CONTEXTS[name], **OPTIONAL[name]})
    assert "14 hari" not in without.text
    assert "(14 hari)" in with_time.text
    assert "(14 hari)" in with_time.html


def test_unknown_template_lists_the_known_ones() -> None:
    """An unknown template name is a clear error that lists every known template."""
    with pytest.raises(UnknownTemplateError) as caught:
        render("akun-dibuat", CONTEXTS["akun-admin-ppe-dibuat"])
    for name in TEMPLATE_NAMES:
        assert name in str(caught.value)
    with pytest.raises(UnknownTemplateError):
        render("_layout", CONTEXTS["akun-admin-ppe-dibuat"])


def test_html_is_escaped_and_text_is_not() -> None:
    """Values with markup are escaped in the HTML body (name, reasons, free-text notes) but kept in the text body."""
    evil = "<script>alert('x')</script>"
    message = render(
        "permintaan-kelengkapan-berkas",
        {
            **CONTEXTS["permintaan-kelengkapan-berkas"],
            "nama": evil,
            "kekuranganBerkas": [{"dokumen": "<b>KTP</b>", "alasan": evil}],
        },
    )
    assert "<script>" not in message.html
    assert "<b>KTP</b>" not in message.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in message.html
    assert evil in message.text
    notes = render("informasi-perlu-dilengkapi", {**CONTEXTS["informasi-perlu-dilengkapi"], "catatanPemeriksaan": evil})
    assert "<script>" not in notes.html


def test_links_are_attribute_escaped() -> None:
    """A link with `&` and a quote cannot break out of the href attribute."""
    link = 'https://pbj.kalbarprov.go.id/daftar?a=1&b="x"'
    html = render("pendaftaran-kedaluwarsa", {**CONTEXTS["pendaftaran-kedaluwarsa"], "tautanDaftarUlang": link}).html
    assert 'href="https://pbj.kalbarprov.go.id/daftar?a=1&amp;b=&#34;x&#34;"' in html


@pytest.mark.parametrize("path", ALL_SOURCES, ids=lambda p: str(p.relative_to(DEFAULT_TEMPLATE_DIR)))
def test_no_template_says_ditolak(path: Path) -> None:
    """No template tells an applicant they were rejected ("ditolak"): they say what to fix."""
    assert "tolak" not in path.read_text(encoding="utf-8").lower()


@pytest.mark.parametrize("path", ALL_SOURCES, ids=lambda p: str(p.relative_to(DEFAULT_TEMPLATE_DIR)))
def test_no_template_has_a_secret_placeholder(path: Path) -> None:
    """No template reads a variable or attribute named like a password, token or OTP."""
    environment = MailTemplates().environment
    tree = environment.parse(path.read_text(encoding="utf-8"))
    names = {n.name for n in tree.find_all(nodes.Name)} | {n.attr for n in tree.find_all(nodes.Getattr)}
    assert not {n for n in names if SECRET_NAME.search(n)}


def test_subjects_follow_the_domain_examples() -> None:
    """Subjects are domain.md's examples, followed by the request number where the example lacks it."""
    subjects = {name: render(name, CONTEXTS[name]).subject for name in TEMPLATE_NAMES}
    assert subjects["permintaan-kelengkapan-berkas"] == (
        "Permintaan Kelengkapan Dokumen – Permohonan Akun Admin PPE No. ADM-2025-000123"
    )
    assert subjects["pengingat-sla"] == (
        '[Pengingat] Batas Waktu Tugas "Menerima dan memeriksa kelengkapan berkas" – Permohonan No. ADM-2025-000123'
    )
    assert render("pengingat-sla", SLA_FOR_PPBJ).subject == (
        '[Pengingat] Batas Waktu Tugas "Melengkapi informasi PPBJ" – Pendaftaran No. PPBJ-2025-000045'
    )
    assert subjects["permintaan-informasi-ppbj"] == (
        "Permintaan Surat Keputusan atau Surat Tugas – Pendaftaran Akun PPBJ No. PPBJ-2025-000045"
    )
    assert subjects["akun-admin-ppe-dibuat"] == (
        "Akun Admin PPE Telah Dibuat – Segera Login dan Ganti Kata Sandi – Permohonan No. ADM-2025-000123"
    )
    assert subjects["akun-ppbj-aktif"] == (
        "Akun Pengelola Pengadaan Barang/Jasa Anda Telah Aktif – Pendaftaran No. PPBJ-2025-000045"
    )
    assert subjects["identitas-perlu-perbaikan"] == (
        "Verifikasi Data PPBJ Belum Dapat Disetujui – Mohon Perbaikan – Pendaftaran No. PPBJ-2025-000045"
    )


def test_subject_stays_one_line_whatever_the_values() -> None:
    """A value with line breaks cannot add a header line: the subject is collapsed to one line."""
    context = {**CONTEXTS["pengingat-sla"], "slaKegiatan": "Memeriksa\r\nBcc: x@example.org\nkelengkapan"}
    subject = render("pengingat-sla", context).subject
    assert "\n" not in subject
    assert "\r" not in subject
    assert subject.startswith('[Pengingat] Batas Waktu Tugas "Memeriksa Bcc: x@example.org kelengkapan"')


def test_missing_documents_are_each_listed_with_their_reason() -> None:
    """The request for missing files lists every document by its SOP name with its reason."""
    message = render("permintaan-kelengkapan-berkas", CONTEXTS["permintaan-kelengkapan-berkas"])
    for body in (message.text, message.html):
        assert "KTP Admin PPE" in body
        assert "Data Profil LPSE" in body
        assert "mohon unggah ulang dengan resolusi yang cukup" in body
        assert "Dokumen belum dilampirkan." in body


def test_account_created_mail_names_the_user_id_and_asks_for_a_password_change() -> None:
    """The Kepala LPSE's mail carries the user id and "segera login … ganti kata sandi", and no link or secret."""
    context = CONTEXTS["akun-admin-ppe-dibuat"]
    message = render("akun-admin-ppe-dibuat", context)
    assert "adminppe.kaltim01" in message.text
    assert "segera login" in message.text
    assert "mengganti kata sandi" in message.text
    assert "kata sandi tidak dikirimkan melalui email" in message.text
    assert "atur-kata-sandi" not in message.text


def test_invitation_carries_the_one_time_link_and_its_expiry_in_the_readers_zone() -> None:
    """The Admin PPE's invitation has the set-password link and its expiry in WITA for Kalimantan Timur."""
    context = CONTEXTS["undangan-admin-ppe"]
    message = render("undangan-admin-ppe", context)
    assert context["tautanSekaliPakai"] in message.text
    assert "Jumat, 21 November 2025 pukul 11.30 WITA" in message.text
    assert "Jumat, 21 November 2025 pukul 11.30 WITA" in message.html


def test_registration_form_link_in_wib() -> None:
    """The PPBJ's registration form link shows its expiry in WIB for Kalimantan Barat."""
    message = render("formulir-registrasi-ppbj", CONTEXTS["formulir-registrasi-ppbj"])
    assert CONTEXTS["formulir-registrasi-ppbj"]["tautanFormulir"] in message.text
    assert "pukul 10.30 WIB" in message.text


def test_identity_corrections_separate_errors_from_notes() -> None:
    """Errors are numbered as things to fix; warnings appear apart as notes that do not block."""
    text = render("identitas-perlu-perbaikan", CONTEXTS["identitas-perlu-perbaikan"]).text
    assert "1. NIK harus terdiri atas 16 digit angka." in text
    assert "2. Nomor WhatsApp harus" in text
    assert "- Alamat e-mail tidak menggunakan domain resmi" in text
    assert text.index("2. Nomor WhatsApp") < text.index("tidak menghambat pendaftaran")
    only_errors = [c for c in CONTEXTS["identitas-perlu-perbaikan"]["catatanVerifikasi"] if c["tingkat"] == "galat"]
    plain = render(
        "identitas-perlu-perbaikan", {**CONTEXTS["identitas-perlu-perbaikan"], "catatanVerifikasi": only_errors}
    )
    assert "tidak menghambat" not in plain.text


def test_active_account_mail_lists_the_three_systems_and_the_one_time_link() -> None:
    """The activation mail names SiRUP, SPSE and SiPRAJA, each as active, and the PPBJ's set-password link with its
    expiry in WIB – the PPBJ is told to log in, so they get a way to set a password; no password is in it."""
    context = CONTEXTS["akun-ppbj-aktif"]
    message = render("akun-ppbj-aktif", context)
    for system in ("SiRUP", "SPSE", "SiPRAJA"):
        assert re.search(rf"- {system} \(.*\): aktif", message.text)
        assert system in message.html
    assert "rudi.hartono" in message.text
    for body in (message.text, message.html):
        assert context["tautanSekaliPakai"] in body
        assert "hanya dapat digunakan satu kali" in body
        assert "Jumat, 21 November 2025 pukul 10.30 WIB" in body


def test_the_ppbj_is_asked_for_the_sk_or_surat_tugas_with_the_upload_rules_and_the_link() -> None:
    """After a valid identity: both appointment documents by their names, the accepted formats and size, the link."""
    context = CONTEXTS["permintaan-informasi-ppbj"]
    message = render("permintaan-informasi-ppbj", context)
    for body in (message.text, message.html):
        assert "Surat Keputusan (SK) Pengelola Pengadaan Barang/Jasa" in body
        assert "Surat Tugas Pengelola Pengadaan Barang/Jasa" in body
        assert "PDF, JPG, atau PNG, paling besar 10,0 MB" in body
        assert context["tautanPendaftaran"] in body
        assert "telah selesai diverifikasi" in body


def test_sla_reminder_for_staff_names_the_activity_row_standard_time_and_since_when() -> None:
    """Staff read the SOP's activity (never an element id), the number with its label, the standard time in words,
    the time in the SOP's zone (WITA for Kalimantan Timur), the Mutu Baku's warning and the link."""
    context = CONTEXTS["pengingat-sla"]
    message = render("pengingat-sla", context)
    text = message.text
    assert "Nomor Permohonan    : ADM-2025-000123" in text
    assert "Kegiatan            : Menerima dan memeriksa kelengkapan berkas" in text
    assert "Baris SOP           : 2" in text
    assert "Waktu standar       : 10 menit" in text
    assert "Terlampaui sejak    : Jumat, 21 November 2025 pukul 11.30 WITA" in text
    assert "dikerjakan secara otomatis oleh sistem" in text
    assert "kegagalan yang harus dipertanggungjawabkan oleh pelaksana" in text
    for body in (text, message.html):
        assert context["tautan"] in body
        assert "Task" not in body and "slaLangkah" not in body
    inbox = render("pengingat-sla", {**context, "jenisLangkah": "tugas", "tautan": "https://pbj.go.id/tugas"})
    assert "segera menyelesaikannya melalui daftar tugas" in inbox.text


def test_sla_reminder_for_the_bureau_head_is_for_information_and_links_the_monitor() -> None:
    """The bureau head's copy says it is for information – the performer acts – and links the instance on the
    managers' monitor, without the Mutu Baku's call to act on the step."""
    monitor = "https://pbj.kaltimprov.go.id/pantau/2251799813685249"
    context = {**CONTEXTS["pengingat-sla"], "nama": "Kepala Biro", "untukPimpinan": True, "tautan": monitor}
    message = render("pengingat-sla", context)
    for body in (message.text, message.html):
        assert "Salinan ini kami sampaikan kepada Bapak/Ibu sebagai informasi" in body
        assert monitor in body
        assert "dikerjakan secara otomatis oleh sistem" not in body


@pytest.mark.parametrize("step", ["pemohon", "otomatis"])
def test_sla_reminder_for_an_applicant_is_courteous_and_links_their_page(step: str) -> None:
    """A PPBJ reminded of row 5 reads a courteous request with their registration's label and link, never the Mutu
    Baku's "failure to answer for"; a late step of the system's own is an apology with nothing to do."""
    message = render("pengingat-sla", {**SLA_FOR_PPBJ, "jenisLangkah": step})
    for body in (message.text, message.html):
        assert "Nomor Pendaftaran" in body and "PPBJ-2025-000045" in body
        assert '"Melengkapi informasi PPBJ"' in body
        assert SLA_FOR_PPBJ["tautan"] in body
        assert "kegagalan" not in body and "dipertanggungjawabkan" not in body and "Permohonan" not in body
    if step == "pemohon":
        assert "masih menunggu tindak lanjut dari Bapak/Ibu" in message.text
        assert "pukul 10.30 WIB" in message.text
    else:
        assert "Kami mohon maaf atas keterlambatan ini" in message.text
        assert "tidak perlu melakukan apa pun" in message.text


def test_naive_time_and_unknown_zone_are_errors() -> None:
    """A naive datetime or an unknown zone cannot be shown: rendering fails with the reason."""
    context = CONTEXTS["formulir-registrasi-ppbj"]
    with pytest.raises(TemplateRenderError, match="zona waktu"):
        render("formulir-registrasi-ppbj", {**context, "kedaluwarsaTautan": datetime(2025, 11, 21, 10, 30)})
    with pytest.raises(TemplateRenderError, match="WIB, WITA, WIT"):
        render("formulir-registrasi-ppbj", {**context, "zona": "CET"})


def test_format_time() -> None:
    """format_time converts to the reader's zone, names the weekday and month in Indonesian, accepts ISO strings."""
    assert format_time(WHEN, "WIB") == "Jumat, 21 November 2025 pukul 10.30 WIB"
    assert format_time(WHEN, "WITA") == "Jumat, 21 November 2025 pukul 11.30 WITA"
    assert format_time("2025-12-31T20:15:00+00:00", "WIT") == "Kamis, 1 Januari 2026 pukul 05.15 WIT"
    assert format_time(datetime(2025, 8, 17, 0, 0, tzinfo=UTC), "WIB") == "Minggu, 17 Agustus 2025 pukul 07.00 WIB"


@pytest.mark.parametrize(
    ("iso", "words"),
    [
        ("PT10M", "10 menit"),
        ("PT5M", "5 menit"),
        ("PT30M", "30 menit"),
        ("P14D", "14 hari"),
        ("PT1H30M", "1 jam 30 menit"),
        ("P1DT2H", "1 hari 2 jam"),
        ("P1W", "1 minggu"),
        ("PT45S", "45 detik"),
    ],
)
def test_format_duration(iso: str, words: str) -> None:
    """ISO-8601 durations of the SOP timers read as Indonesian words."""
    assert format_duration(iso) == words


@pytest.mark.parametrize("bad", ["10 menit", "P", "PT", "P1DT", "R3/P3D", ""])
def test_format_duration_rejects_non_durations(bad: str) -> None:
    """Anything but a plain ISO-8601 duration is a ValueError."""
    with pytest.raises(ValueError, match="ISO-8601"):
        format_duration(bad)


def test_zone_for_province() -> None:
    """Kalbar (61) is WIB, Kaltim (64) WITA, Papua (91) WIT; an unknown code is an error."""
    assert zone_for_province("61") == "WIB"
    assert zone_for_province("64") == "WITA"
    assert zone_for_province("63") == "WITA"
    assert zone_for_province("31") == "WIB"
    assert zone_for_province("73") == "WITA"
    assert zone_for_province("91") == "WIT"
    with pytest.raises(ValueError, match="kode provinsi"):
        zone_for_province("00")


def test_templates_can_come_from_another_directory(tmp_path: Path) -> None:
    """MailTemplates reads any directory of message folders; a folder missing a part is not a template."""
    (tmp_path / "halo").mkdir()
    (tmp_path / "halo" / "subject.txt").write_text("Halo {{ nama }}\n")
    (tmp_path / "halo" / "body.txt").write_text("Halo {{ nama }}.\n")
    (tmp_path / "halo" / "body.html").write_text("<p>Halo {{ nama }}.</p>\n")
    (tmp_path / "setengah").mkdir()
    (tmp_path / "setengah" / "subject.txt").write_text("x")
    templates = MailTemplates(tmp_path)
    assert templates.names == ("halo",)
    assert templates.render("halo", {"nama": "A&B"}).html == "<p>Halo A&amp;B.</p>\n"


def test_strict_environment() -> None:
    """The environment is strict (StrictUndefined) and autoescapes .html only."""
    environment = MailTemplates().environment
    assert environment.undefined is jinja2.StrictUndefined
    assert callable(environment.autoescape)
    assert environment.autoescape("x/body.html")
    assert not environment.autoescape("x/body.txt")
