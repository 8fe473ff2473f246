"""SOP 1 (Registrasi Admin PPE) in a real browser, through the pages and the e-mails' links only.

The Kepala LPSE submits a request without the KTP; the process asks for it by e-mail; the Kepala opens the e-mail's
link in another browser, uploads the KTP; the account is made and the new Admin PPE invited; the Admin PPE sets a
password through the one-time link, which is then refused when opened again. Each step asserts the page, the
process position (through `/v2`), the e-mails and the store.
"""

import io
import re
from pathlib import Path

from playwright.async_api import expect

from pbj.sample_documents import png_image
from tests.web.conftest import Pages
from tests.web.harness import (
    WebSystem,
    assert_fits,
    assert_nothing_secret_logged,
    fill_request,
    screenshot_path,
    set_password,
    token_of,
)
from tests.workers.harness import ADMIN_EMAIL, ADMIN_NIK, KEPALA_EMAIL, text_of
from workers.constants import STATUS_COMPLETED
from workers.document_rules import ADMIN_PPE_DOCUMENTS
from workers.domain import AccountRole, System

NEW_PASSWORD = "Sandi-Admin-PPE-Baru-2026"


async def test_request_without_ktp_is_completed_through_the_link_and_the_admin_sets_a_password(
    system: WebSystem, pages: Pages, tmp_path: Path, logs: io.StringIO
) -> None:
    """SOP 1 whole: without the KTP → asked → completed through the link → account → invitation → password set →
    the link refused when used again."""
    kepala = await pages.new()
    await kepala.goto(system.url + "/")
    await kepala.get_by_role("link", name="Ajukan permohonan").click()
    await expect(kepala).to_have_title(re.compile("Permohonan akun Admin PPE"))
    await fill_request(kepala)
    await kepala.evaluate("() => window.scrollTo(0, 0)")
    await kepala.screenshot(path=screenshot_path(tmp_path, "permohonan-baru"))
    await kepala.get_by_role("button", name="Ajukan permohonan").click()
    await expect(kepala.get_by_role("status")).to_contain_text("Permohonan diterima dengan nomor")
    number = (await kepala.locator(".rincian dd").first.inner_text()).strip()
    assert re.fullmatch(r"ADM-\d{4}-\d{6}", number), number
    assert kepala.url == f"{system.url}/permohonan/{number}?diterima=1"
    assert ADMIN_NIK not in (await kepala.content()) and ADMIN_NIK not in kepala.url
    await system.settle()

    # row 2 found the KTP missing; row 3's e-mail asks for it with a link to the request
    request = system.services.store.get_request(number)
    assert request.process_instance_key is not None
    pi = request.process_instance_key
    assert await system.active_steps(pi) == ["LengkapiBerkasReceiveTask"]
    asked = system.last_mail_to(KEPALA_EMAIL, "Permintaan Kelengkapan Dokumen")
    assert "KTP Admin PPE" in text_of(asked)
    link = system.link_in(asked, f"/permohonan/{number}?t=")

    # the Kepala opens the link on another device: the token moves into the session, the URL is clean
    following = await pages.new(width=360, height=780)
    await following.goto(link)
    assert following.url == f"{system.url}/permohonan/{number}"
    await expect(following.get_by_text("Menunggu kelengkapan berkas dari Bapak/Ibu")).to_be_visible()
    await expect(following.locator("#judul-kekurangan + ol")).to_contain_text("KTP Admin PPE")
    await assert_fits(following)
    await following.locator("section", has_text="Yang perlu dilengkapi").screenshot(
        path=screenshot_path(tmp_path, "permohonan-kelengkapan")
    )
    ktp = {"name": "KTP-Admin-PPE.png", "mimeType": "image/png", "buffer": png_image()}
    await following.get_by_label("KTP Admin PPE").set_input_files(ktp)  # type: ignore[arg-type]
    await following.get_by_role("button", name="Kirim dokumen").click()
    await expect(following.get_by_role("status")).to_contain_text("Dokumen telah dikirim")
    await system.settle()

    # row 5–7: the account is made, the Kepala told, the Admin PPE invited; the archive closes the request
    assert await system.instance_state(pi) == "COMPLETED"
    stored = {d.document_type for d in system.services.documents.list_documents(number)}
    assert stored == set(ADMIN_PPE_DOCUMENTS)
    assert system.services.store.get_request(number).status == STATUS_COMPLETED
    account = system.services.store.find_account(number, System.SPSE, AccountRole.ADMIN_PPE)
    assert account is not None and not account.has_password
    await following.reload()
    await expect(following.get_by_text("Selesai", exact=True)).to_be_visible()
    invitation = system.last_mail_to(ADMIN_EMAIL, "Akun Admin PPE Anda Telah Dibuat")
    set_password_link = system.link_in(invitation, "/atur-kata-sandi?t=")

    # row 7: the Admin PPE sets a password once
    admin = await pages.new(width=360, height=780)
    await admin.goto(set_password_link)
    assert admin.url == f"{system.url}/atur-kata-sandi"
    await expect(admin.get_by_role("heading", level=1)).to_contain_text("kata sandi")
    await assert_fits(admin)
    await admin.screenshot(path=screenshot_path(tmp_path, "atur-kata-sandi"))
    await set_password(admin, NEW_PASSWORD)
    account = system.services.store.find_account(number, System.SPSE, AccountRole.ADMIN_PPE)
    assert account is not None and account.has_password

    # the same link again: refused, saying what happened and what to do next
    again = await pages.new()
    response = await again.goto(set_password_link)
    assert response is not None and response.status == 410
    await expect(again.get_by_role("main")).to_contain_text("Tautan ini sudah digunakan")
    await expect(again.get_by_role("main")).to_contain_text("Silakan login")
    assert_nothing_secret_logged(logs.getvalue(), ADMIN_NIK, NEW_PASSWORD, token_of(link), token_of(set_password_link))
