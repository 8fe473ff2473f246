"""SOP 2 (Pendaftaran Akun PPBJ) in a real browser, through the pages and the e-mails' links only.

The PPBJ registers, fills in an identity the verification sends back, corrects it through the correction e-mail's
link, uploads the SK asked for by e-mail; the Admin PPE finds the check in the inbox and answers "belum lengkap"
through the deployed Camunda Form rendered by form-js; the PPBJ uploads again through the new e-mail's link; the
Admin PPE answers "lengkap"; the account is activated and the PPBJ sets a password through the one-time link. Each
step asserts the page, the process position (through `/v2`), the e-mails and the store.
"""

import io
import re
from pathlib import Path

from playwright.async_api import Page, expect

from pbj.sample_documents import pdf_document
from tests.web.conftest import Pages
from tests.web.harness import (
    ADMIN_PPE_USER,
    WebSystem,
    assert_fits,
    assert_nothing_secret_logged,
    log_in,
    screenshot_path,
    set_password,
    token_of,
)
from tests.workers.harness import PPBJ_EMAIL, PPBJ_NIK, PPBJ_NIP, fill_identity, seed_ppbj_registration, text_of
from workers.constants import STATUS_COMPLETED
from workers.domain import AccountRole, AccountStatus, DocumentType, PersonRole, System

NOTE = "Surat Keputusan belum ditandatangani oleh pejabat yang berwenang. Mohon unggah SK yang telah ditandatangani."
NEW_PASSWORD = "Sandi-PPBJ-Baru-Kalbar-2026"
OTHER_NIK = "6171015506900002"
"""A well-formed NIK already on another open registration: the form accepts it, row 4's verification does not."""
OTHER_NIP = "199006152015032002"


async def submit_identity(page: Page, nik: str, nip: str) -> None:
    """The identity form of SOP 2 row 3."""
    await page.get_by_label("NIK").fill(nik)
    await page.get_by_label("NIP").fill(nip)
    await page.get_by_label("Instansi").fill("Dinas Pekerjaan Umum Provinsi Kalimantan Barat")
    await page.get_by_label("Jabatan").fill("Pengelola Pengadaan Barang/Jasa Ahli Pertama")
    await page.get_by_role("button", name="Kirim identitas").click()


async def upload_appointment(page: Page, title: str) -> None:
    """The SK upload of SOP 2 row 5."""
    await page.get_by_label("Surat Keputusan (SK)").check()
    sk = {"name": "SK-Pengelola-PBJ.pdf", "mimeType": "application/pdf", "buffer": pdf_document(title)}
    await page.get_by_label("Berkas SK atau Surat Tugas").set_input_files(sk)  # type: ignore[arg-type]
    await page.get_by_role("button", name="Kirim dokumen").click()
    await expect(page.get_by_role("status")).to_contain_text("Dokumen telah dikirim")


async def open_review(page: Page, system: WebSystem, number: str) -> str:
    """The Admin PPE opens the check of this registration from the inbox and claims it; the task's key."""
    await page.goto(system.url + "/tugas")
    task = page.locator(".daftar-tugas li", has_text=number)
    await task.get_by_role("link", name="Memeriksa informasi PPBJ").click()
    key = page.url.rsplit("/", 1)[-1]
    await page.get_by_role("button", name="Ambil tugas").click()
    await expect(page.locator("#formulir[data-siap='true']")).to_be_attached()
    await expect(page.get_by_text("Dikerjakan oleh")).to_be_visible()
    return key


async def test_registration_corrected_reviewed_twice_through_the_form_and_activated(
    system: WebSystem, pages: Pages, tmp_path: Path, logs: io.StringIO
) -> None:
    """SOP 2 whole: registration → identity → correction asked → corrected → SK asked → uploaded → the Admin PPE's
    check "belum lengkap" (form-js) → completed → "lengkap" → activation → password set."""
    system.add_staff(ADMIN_PPE_USER, "admin-ppe", name="Sri Rahayu")
    other = seed_ppbj_registration(system.services, email="dewi.lestari@kalbarprov.go.id", whatsapp="0813-5200-7777")
    fill_identity(system.services, other.number, nik=OTHER_NIK, nip=OTHER_NIP)
    ppbj = await pages.new(width=360, height=780)
    await ppbj.goto(system.url + "/")
    await ppbj.get_by_role("link", name="Daftar sebagai PPBJ").click()
    await ppbj.get_by_label("Nama lengkap").fill("Rudi Hartono, S.T.")
    await ppbj.get_by_label("E-mail").fill(PPBJ_EMAIL)
    await ppbj.get_by_label("Nomor WhatsApp").fill("0813-5200-1234")
    await assert_fits(ppbj)
    await ppbj.screenshot(path=screenshot_path(tmp_path, "pendaftaran-ppbj"))
    await ppbj.get_by_role("button", name="Daftar").click()
    await expect(ppbj.get_by_role("status")).to_contain_text("Pendaftaran Anda diterima dengan nomor")
    number = (await ppbj.locator("[role=status] strong").first.inner_text()).strip()
    assert re.fullmatch(r"PPBJ-\d{4}-\d{6}", number), number
    await system.settle()
    pi = system.services.store.get_request(number).process_instance_key
    assert pi is not None
    assert await system.active_steps(pi) == ["IsiIdentitasPpbjReceiveTask"]

    # row 2's e-mail: the identity form; a NIK already on another open registration is sent back (row 4)
    form_link = system.link_in(system.last_mail_to(PPBJ_EMAIL, "Formulir Registrasi"), "/pendaftaran-ppbj?t=")
    await ppbj.goto(form_link)
    assert ppbj.url == system.url + "/pendaftaran-ppbj"
    await submit_identity(ppbj, OTHER_NIK, PPBJ_NIP)
    await expect(ppbj.get_by_role("status")).to_contain_text("Identitas telah dikirim")
    assert OTHER_NIK not in await ppbj.content() and OTHER_NIK not in ppbj.url
    await system.settle()
    assert await system.active_steps(pi) == ["IsiIdentitasPpbjReceiveTask"]
    correction = system.last_mail_to(PPBJ_EMAIL, "Verifikasi Data PPBJ Belum Dapat Disetujui")
    fix_link = system.link_in(correction, f"/pendaftaran/{number}?t=")

    # the correction through its link, on another browser
    fixing = await pages.new()
    await fixing.goto(fix_link)
    assert fixing.url == f"{system.url}/pendaftaran/{number}"
    await expect(fixing.get_by_role("heading", name="Perbaikan identitas")).to_be_visible()
    await expect(fixing.get_by_text("NIK ini sudah digunakan pada pendaftaran akun PPBJ lain")).to_be_visible()
    await fixing.locator("section", has_text="Perbaikan identitas").screenshot(
        path=screenshot_path(tmp_path, "pendaftaran-perbaikan")
    )
    await submit_identity(fixing, PPBJ_NIK, PPBJ_NIP)
    await system.settle()
    assert await system.active_steps(pi) == ["LengkapiInformasiPpbjReceiveTask"]
    assert system.services.store.get_person(number, PersonRole.PPBJ).nik == PPBJ_NIK

    # row 5: the SK asked by e-mail, uploaded through its link
    asked = system.last_mail_to(PPBJ_EMAIL, "Permintaan Surat Keputusan atau Surat Tugas")
    uploading = await pages.new(width=360, height=780)
    await uploading.goto(system.link_in(asked, f"/pendaftaran/{number}?t="))
    await expect(uploading.get_by_text("Menunggu SK atau Surat Tugas")).to_be_visible()
    await assert_fits(uploading)
    await upload_appointment(uploading, "SK Pengelola PBJ belum ditandatangani")
    await system.settle()
    assert await system.active_steps(pi) == ["PeriksaInformasiPpbjUserTask"]

    # row 6: the Admin PPE's check, answered "belum lengkap" through the form-js form
    admin = await pages.new()
    await log_in(admin, system.url, ADMIN_PPE_USER)
    await expect(admin).to_have_url(system.url + "/tugas")
    await expect(admin.get_by_role("link", name="Memeriksa informasi PPBJ")).to_be_visible()
    await admin.screenshot(path=screenshot_path(tmp_path, "tugas-daftar"))
    key = await open_review(admin, system, number)
    assert (await system.rest("GET", f"/v2/user-tasks/{key}"))["assignee"] == ADMIN_PPE_USER
    await admin.get_by_role("button", name="Lepaskan tugas").click()  # released to the group, then claimed again
    await expect(admin.get_by_role("button", name="Ambil tugas")).to_be_visible()
    assert (await system.rest("GET", f"/v2/user-tasks/{key}")).get("assignee") is None
    await admin.get_by_role("button", name="Ambil tugas").click()
    await expect(admin.locator("#formulir[data-siap='true']")).to_be_attached()
    sk = admin.get_by_role("link", name="SK-Pengelola-PBJ.pdf")
    document = await admin.request.get(system.url + (await sk.get_attribute("href") or "?"))
    assert document.status == 200 and document.headers["content-type"] == "application/pdf"
    assert (await document.body()).startswith(b"%PDF-")
    await admin.get_by_label("Belum lengkap – PPBJ diminta melengkapi informasi").check()
    await admin.get_by_label("Hal yang perlu dilengkapi atau diperbaiki").fill(NOTE)
    await admin.locator("section", has=admin.locator("#formulir")).screenshot(
        path=screenshot_path(tmp_path, "tugas-formulir")
    )
    await admin.get_by_role("button", name="Selesaikan tugas").click()
    await expect(admin.get_by_role("status")).to_contain_text(f"Tugas {key} telah diselesaikan")
    await system.settle()
    assert await system.active_steps(pi) == ["LengkapiInformasiPpbjReceiveTask"]
    task = await system.rest("GET", f"/v2/user-tasks/{key}")
    assert (task["state"], task["assignee"]) == ("COMPLETED", ADMIN_PPE_USER)

    # row 5 again: the note by e-mail, the signed SK through its link
    more = system.last_mail_to(PPBJ_EMAIL, "Informasi PPBJ Perlu Dilengkapi")
    assert NOTE in text_of(more)
    completing = await pages.new()
    await completing.goto(system.link_in(more, f"/pendaftaran/{number}?t="))
    await expect(completing.get_by_text(NOTE)).to_be_visible()
    await upload_appointment(completing, "SK Pengelola PBJ yang telah ditandatangani")
    await system.settle()
    assert await system.active_steps(pi) == ["PeriksaInformasiPpbjUserTask"]

    # row 6 again, on a phone this time: "lengkap", every point of the checklist ticked
    await admin.set_viewport_size({"width": 360, "height": 780})
    await open_review(admin, system, number)
    await assert_fits(admin)
    for point in (
        "Surat Keputusan atau Surat Tugas telah diunggah dan dapat dibaca",
        "Nama dan NIP pada dokumen sesuai dengan identitas PPBJ yang telah diverifikasi",
        "Dokumen menetapkan yang bersangkutan sebagai Pengelola Pengadaan Barang/Jasa",
        "Dokumen ditandatangani pejabat yang berwenang dan masih berlaku",
    ):
        await admin.get_by_label(point).check()
    await admin.get_by_label("Lengkap – akun PPBJ diaktifkan pada SiRUP, SPSE dan SiPRAJA").check()
    await admin.get_by_role("button", name="Selesaikan tugas").click()
    await expect(admin.get_by_role("status")).to_contain_text("telah diselesaikan")
    await system.settle()

    # rows 7–8: active on SiRUP, SPSE and SiPRAJA; the PPBJ sets a password once
    assert await system.instance_state(pi) == "COMPLETED"
    accounts = system.services.store.list_accounts(number)
    assert {a.system for a in accounts} == {System.DIREKTORI, System.SIRUP, System.SPSE, System.SIPRAJA}
    assert {a.status for a in accounts} == {AccountStatus.ACTIVE}
    assert system.services.store.get_request(number).status == STATUS_COMPLETED
    documents = system.services.documents.list_documents(number)
    assert [d.document_type for d in documents] == [DocumentType.SK, DocumentType.SK]
    active = system.last_mail_to(PPBJ_EMAIL, "Akun Pengelola Pengadaan Barang/Jasa Anda Telah Aktif")
    setting = await pages.new(width=360, height=780)
    set_password_link = system.link_in(active, "/atur-kata-sandi?t=")
    await setting.goto(set_password_link)
    await set_password(setting, NEW_PASSWORD)
    directory = system.services.store.find_account(number, System.DIREKTORI, AccountRole.PPBJ)
    assert directory is not None and directory.has_password
    assert_nothing_secret_logged(
        logs.getvalue(),
        PPBJ_NIK,
        OTHER_NIK,
        NEW_PASSWORD,
        token_of(form_link),
        token_of(fix_link),
        token_of(set_password_link),
    )
