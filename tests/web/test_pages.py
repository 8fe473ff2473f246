"""The pages themselves: usable on a 360 px phone and by keyboard alone, with the security headers and cookies
`web.md` asks for, and the health check."""

from pathlib import Path

from playwright.async_api import expect

from tests.web.conftest import Pages
from tests.web.harness import ADMIN_PPE_USER, STAFF_PASSWORD, WebSystem, assert_fits, log_in, screenshot_path
from web.security import CONTENT_SECURITY_POLICY


async def test_home_and_login_at_360_px_by_keyboard_alone(system: WebSystem, pages: Pages, tmp_path: Path) -> None:
    """At 360 px the home page and the login page fit the screen; the first Tab reaches "skip to content"; a staff
    member logs in with Tab, typing and Enter only and lands in the inbox."""
    system.add_staff(ADMIN_PPE_USER, "admin-ppe", name="Sri Rahayu")
    page = await pages.new(width=360, height=780)
    response = await page.goto(system.url + "/")
    assert response is not None
    await expect(page).to_have_title("Beranda – Layanan Akun Pengadaan")
    assert await page.get_attribute("html", "lang") == "id"
    await assert_fits(page)
    await page.screenshot(path=screenshot_path(tmp_path, "beranda"))
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Langsung ke isi halaman")).to_be_focused()

    await page.get_by_role("link", name="Masuk petugas").first.focus()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(system.url + "/masuk")
    await assert_fits(page)
    await page.get_by_label("Nama pengguna").focus()
    await page.keyboard.type(ADMIN_PPE_USER)
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Kata sandi")).to_be_focused()
    await page.keyboard.type(STAFF_PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(system.url + "/tugas")
    await expect(page.get_by_text("Tidak ada tugas terbuka untuk peran Anda.")).to_be_visible()
    await assert_fits(page)


async def test_security_headers_and_session_cookie(system: WebSystem, pages: Pages) -> None:
    """Every page carries the Content-Security-Policy (own assets only) and its companions; the session cookie is
    HttpOnly and SameSite=Lax; pages are not cached."""
    page = await pages.new()
    response = await page.goto(system.url + "/masuk")
    assert response is not None
    headers = await response.all_headers()
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert (headers["x-frame-options"], headers["x-content-type-options"]) == ("DENY", "nosniff")
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"
    [cookie] = await page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("pbj_sesi", True, "Lax")
    assets = await page.request.get(system.url + "/aset/dist/tugas.js")
    assert assets.status == 200 and "javascript" in assets.headers["content-type"]


async def test_health_says_what_answers(system: WebSystem, pages: Pages) -> None:
    """`/sehat`: 200 with the store, the Zeebe gateway and the REST API answering."""
    page = await pages.new()
    answer = await page.request.get(system.url + "/sehat")
    assert answer.status == 200
    assert await answer.json() == {"status": "baik", "basisData": "baik", "gatewayZeebe": "baik", "restApi": "baik"}


async def test_logout_and_a_disabled_account_end_the_staff_session(system: WebSystem, pages: Pages) -> None:
    """ "Keluar" ends the session (the inbox asks for a login again); an account disabled meanwhile (`pbj pengguna
    nonaktifkan`) loses its open session at the next page."""
    system.add_staff(ADMIN_PPE_USER, "admin-ppe", name="Sri Rahayu")
    page = await pages.new()
    await log_in(page, system.url, ADMIN_PPE_USER)
    await expect(page).to_have_url(system.url + "/tugas")
    await page.get_by_role("button", name="Keluar (Sri Rahayu)").click()
    await expect(page).to_have_url(system.url + "/")
    await page.goto(system.url + "/tugas")
    await expect(page).to_have_url(system.url + "/masuk?lanjut=/tugas")

    await log_in(page, system.url, ADMIN_PPE_USER)
    await expect(page).to_have_url(system.url + "/tugas")
    system.services.store.disable_staff_user(ADMIN_PPE_USER)
    await page.goto(system.url + "/tugas")
    await expect(page).to_have_url(system.url + "/masuk?lanjut=/tugas")
    await log_in(page, system.url, ADMIN_PPE_USER)
    await expect(page.get_by_role("alert")).to_contain_text("Nama pengguna atau kata sandi salah.")
