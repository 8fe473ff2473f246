"""What the web application refuses, in a real browser: a form without its CSRF token, another requester's page, a
staff page of another role, a used or expired link, an oversized or disguised upload, a locked-out login. Each is
refused with a clear Indonesian page and changes nothing: the store, the documents and the process position are
asserted unchanged."""

import dataclasses
from datetime import timedelta
from pathlib import Path

from playwright.async_api import expect

from pbj.commands.files import DocumentFile
from pbj.commands.pemohon import fill_in_identity, register_ppbj, send_appointment
from pbj.sample_documents import pdf_document
from tests.web.conftest import Pages
from tests.web.harness import (
    ADMIN_PPE_USER,
    PM_USER,
    STAFF_PASSWORD,
    WebSystem,
    fill_request,
    log_in,
    request_link,
    submit_request,
)
from tests.workers.harness import ADMIN_EMAIL, ADMIN_NIK, KEPALA_EMAIL, PPBJ_EMAIL, PPBJ_NIK, PPBJ_NIP
from web.security import RateLimiter
from workers.document_rules import check_upload
from workers.domain import (
    AccountRole,
    AccountStatus,
    DocumentType,
    PersonData,
    PersonRole,
    PpbjIdentityData,
    System,
)

OTHER_KEPALA = "kepala.lpse@kukarkab.go.id"
OTHER_ADMIN = "admin.ppe@kukarkab.go.id"
OTHER_NIK = "6402014505900002"


async def test_a_form_without_its_csrf_token_changes_nothing(system: WebSystem, pages: Pages) -> None:
    """The request form posted without its token: 403, "Formulir kedaluwarsa", no request stored, no process."""
    page = await pages.new()
    await page.goto(system.url + "/permohonan/baru")
    await fill_request(page)
    await page.locator("input[name=csrf]").evaluate("element => element.remove()")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.get_by_role("button", name="Ajukan permohonan").click()
    assert (await posted.value).status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Formulir kedaluwarsa")
    await expect(page.get_by_role("alert")).to_contain_text("Tidak ada yang disimpan")
    assert system.services.store.find_requests_by_person(PersonRole.ADMIN_PPE, nik=ADMIN_NIK) == []
    assert (await system.rest("POST", "/v2/process-instances/search", {}))["items"] == []


async def test_another_requesters_page_documents_and_upload_are_refused(system: WebSystem, pages: Pages) -> None:
    """The Kepala LPSE of one request cannot open, read the documents of, or upload to another's request – not even
    with their own link pointed at it; the other request is untouched."""
    mine = await submit_request(system, nik=ADMIN_NIK, kepala_email=KEPALA_EMAIL, admin_email=ADMIN_EMAIL)
    theirs = await submit_request(
        system, nik=OTHER_NIK, kepala_email=OTHER_KEPALA, admin_email=OTHER_ADMIN, lpse="LPSE Kukar"
    )
    [their_document, *_] = system.services.documents.list_documents(theirs)
    page = await pages.new()
    my_link = request_link(system, KEPALA_EMAIL, mine)
    await page.goto(my_link)
    assert page.url == f"{system.url}/permohonan/{mine}"

    response = await page.goto(f"{system.url}/permohonan/{theirs}")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("alert")).to_contain_text("hanya dapat dibuka melalui tautan dalam e-mail")
    assert "LPSE Kukar" not in await page.content()
    response = await page.goto(f"{system.url}/permohonan/{theirs}/dokumen/{their_document.id}")
    assert response is not None and response.status == 403
    response = await page.goto(my_link.replace(f"/permohonan/{mine}?", f"/permohonan/{theirs}?"))
    assert response is not None and response.status == 403
    await expect(page.get_by_role("alert")).to_contain_text("Tautan ini bukan untuk halaman ini")

    # an upload posted to their request from my page (the form's action changed): refused, nothing stored
    await page.goto(f"{system.url}/permohonan/{mine}")
    await page.locator("form[enctype]").evaluate(
        "(form, other) => { form.action = form.action.replace(/permohonan\\/[^/]+\\//, `permohonan/${other}/`) }",
        theirs,
    )
    ktp = {"name": "KTP.pdf", "mimeType": "application/pdf", "buffer": pdf_document("KTP")}
    await page.get_by_label("KTP Admin PPE").set_input_files(ktp)  # type: ignore[arg-type]
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.get_by_role("button", name="Kirim dokumen").click()
    assert (await posted.value).status == 403
    assert len(system.services.documents.list_documents(theirs)) == 3
    pi = system.services.store.get_request(theirs).process_instance_key
    assert pi is not None and await system.active_steps(pi) == ["LengkapiBerkasReceiveTask"]


async def registration_at_review(system: WebSystem) -> tuple[str, int]:
    """An SOP 2 registration waiting for the Admin PPE's check (through the steps the pages run)."""
    context = system.webapp.context("uji")
    submitted = await register_ppbj(
        context, PersonData(name="Rudi Hartono", email=PPBJ_EMAIL, whatsapp="0813-5200-1234")
    )
    await system.settle()
    request = system.services.store.get_request(submitted.request.number)
    identity = PpbjIdentityData(nik=PPBJ_NIK, nip=PPBJ_NIP, institution="Dinas PU", position="Pengelola PBJ")
    await fill_in_identity(context, request, identity)
    await system.settle()
    sk = check_upload(pdf_document("SK"), document_type=DocumentType.SK, file_name="SK.pdf", max_size=10**6)
    await send_appointment(context, request, DocumentFile("berkas", Path("SK.pdf"), sk))
    await system.settle()
    pi = request.process_instance_key
    assert pi is not None and await system.active_steps(pi) == ["PeriksaInformasiPpbjUserTask"]
    return request.number, pi


async def test_staff_of_another_role_cannot_open_claim_or_complete_a_task(system: WebSystem, pages: Pages) -> None:
    """The PM of LKPP (role pm-lkpp) does not see the Admin PPE's check in the inbox, cannot open it, its
    registration's data, or claim or complete it; without a login the inbox sends to the login page."""
    number, pi = await registration_at_review(system)
    [task] = (await system.rest("POST", "/v2/user-tasks/search", {"filter": {"processInstanceKey": str(pi)}}))["items"]
    key = task["userTaskKey"]
    system.add_staff(PM_USER, "pm-lkpp", name="PM LKPP")

    anonymous = await pages.new()
    await anonymous.goto(f"{system.url}/tugas/{key}")
    assert anonymous.url == f"{system.url}/masuk?lanjut=/tugas/{key}"

    page = await pages.new()
    await log_in(page, system.url, PM_USER)
    await expect(page.get_by_text("Tidak ada tugas terbuka untuk peran Anda.")).to_be_visible()
    response = await page.goto(f"{system.url}/tugas/{key}")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("alert")).to_contain_text("Tugas ini bukan untuk peran akun Anda.")
    response = await page.goto(f"{system.url}/pemeriksaan/{number}")
    assert response is not None and response.status == 403
    assert PPBJ_NIK[-6:] not in await page.content()

    # a claim posted by hand (with this session's own CSRF token) is refused too
    csrf = await page.evaluate("() => document.querySelector('input[name=csrf]').value")
    for action in ("ambil", "selesai"):
        answer = await page.request.post(
            f"{system.url}/tugas/{key}/{action}",
            form={"csrf": csrf, "isian": '{"hasilPemeriksaan": "lengkap"}'},
            headers={"Origin": system.url},
        )
        assert answer.status == 403, action
    task = await system.rest("GET", f"/v2/user-tasks/{key}")
    assert (task["state"], task.get("assignee")) == ("CREATED", None)
    assert await system.active_steps(pi) == ["PeriksaInformasiPpbjUserTask"]


async def test_oversized_and_disguised_uploads_are_refused_and_nothing_is_stored(
    system: WebSystem, pages: Pages
) -> None:
    """A program renamed .pdf and a file over DOCUMENT_MAX_SIZE (1 MiB here): each refused with the reason, the
    request's documents and its position unchanged."""
    number = await submit_request(system, nik=ADMIN_NIK, kepala_email=KEPALA_EMAIL, admin_email=ADMIN_EMAIL)
    pi = system.services.store.get_request(number).process_instance_key
    assert pi is not None
    page = await pages.new(width=360, height=780)
    await page.goto(request_link(system, KEPALA_EMAIL, number))

    program = {"name": "KTP-Admin-PPE.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\x00" * 4000}
    await page.get_by_label("KTP Admin PPE").set_input_files(program)  # type: ignore[arg-type]
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.get_by_role("button", name="Kirim dokumen").click()
    assert (await posted.value).status == 400
    await expect(page.locator("#ktp-pesan")).to_contain_text("bukan PDF, JPG, atau PNG (isinya program Windows (.exe))")
    await expect(page.locator("#ringkasan-salah")).to_contain_text("tidak ada yang disimpan")

    huge = pdf_document("KTP")[:-6] + b"0" * (1024 * 1024) + b"\n%%EOF\n"
    too_large = {"name": "KTP-Admin-PPE.pdf", "mimeType": "application/pdf", "buffer": huge}
    await page.get_by_label("KTP Admin PPE").set_input_files(too_large)  # type: ignore[arg-type]
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.get_by_role("button", name="Kirim dokumen").click()
    assert (await posted.value).status == 413
    await expect(page.get_by_role("alert")).to_contain_text("melebihi batas ukuran 1,0 MB per dokumen")

    assert len(system.services.documents.list_documents(number)) == 3
    assert await system.active_steps(pi) == ["LengkapiBerkasReceiveTask"]
    assert not list((system.services.settings.data_dir / "dokumen").rglob("*KTP*"))


async def test_expired_links_say_so_and_what_to_do_next(system: WebSystem, pages: Pages) -> None:
    """A request link past APPLICANT_LINK_TTL (30 days) and a set-password link past SET_PASSWORD_TOKEN_TTL (24
    hours) are refused as expired, each saying what to do next; the session the request link opened earlier does
    not outlive it; no password is set."""
    number = await submit_request(system, nik=ADMIN_NIK, kepala_email=KEPALA_EMAIL, admin_email=ADMIN_EMAIL)
    link = request_link(system, KEPALA_EMAIL, number)
    earlier = await pages.new()
    await earlier.goto(link)
    account = system.services.store.create_account(
        number, System.SPSE, AccountRole.ADMIN_PPE, status=AccountStatus.ACTIVE, display_name="Uji", email=ADMIN_EMAIL
    )
    issued = await system.services.provisioning.issue_set_password_token(account.id)
    await system.engine.increase_time(timedelta(days=31))
    await system.settle()

    page = await pages.new()
    response = await page.goto(link)
    assert response is not None and response.status == 410
    await expect(page.get_by_role("heading", level=1)).to_have_text("Tautan tidak dapat digunakan lagi")
    await expect(page.get_by_role("alert")).to_contain_text("Tautan ini sudah kedaluwarsa. Tidak ada yang diubah.")
    await expect(page.get_by_role("alert")).to_contain_text("e-mail terbaru")
    response = await earlier.goto(f"{system.url}/permohonan/{number}")
    assert response is not None and response.status == 403

    response = await page.goto(system.services.settings.set_password_link(issued.token))
    assert response is not None and response.status == 410
    await expect(page.get_by_role("alert")).to_contain_text("Tautan ini sudah kedaluwarsa.")
    await expect(page.get_by_role("alert")).to_contain_text("Mintalah tautan baru")
    stored = system.services.store.find_account(number, System.SPSE, AccountRole.ADMIN_PPE)
    assert stored is not None and not stored.has_password


async def test_a_locked_out_login_is_refused_even_with_the_right_password(system: WebSystem, pages: Pages) -> None:
    """WEB_LOGIN_MAX_FAILURES (here 3) wrong passwords in a row lock the account for WEB_LOGIN_LOCKOUT: the right
    password is then refused too, no session is made, and the page says until when."""
    system.webapp.settings = dataclasses.replace(system.webapp.settings, login_max_failures=3)
    system.add_staff(ADMIN_PPE_USER, "admin-ppe")
    page = await pages.new()
    for _ in range(2):
        await log_in(page, system.url, ADMIN_PPE_USER, "salah-" + STAFF_PASSWORD)
        await expect(page.get_by_role("alert")).to_contain_text("Nama pengguna atau kata sandi salah.")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await log_in(page, system.url, ADMIN_PPE_USER, "salah-" + STAFF_PASSWORD)
    assert (await posted.value).status == 423
    await expect(page.get_by_role("alert")).to_contain_text("Akun ini dikunci sementara")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await log_in(page, system.url, ADMIN_PPE_USER)
    assert (await posted.value).status == 423
    await page.goto(system.url + "/tugas")
    assert page.url.startswith(system.url + "/masuk")
    user = system.services.store.find_staff_user(ADMIN_PPE_USER)
    assert user is not None and user.locked_until is not None and user.last_login_at is None


async def test_login_and_link_pages_are_rate_limited_per_address(system: WebSystem, pages: Pages) -> None:
    """More logins or link openings a minute from one address than the limits (10 and 30; 4 and 6 here): 429 with
    Retry-After, the account store untouched by the refused attempts."""
    system.webapp.login_limit = RateLimiter(limit=4, window=60.0)
    system.webapp.link_limit = RateLimiter(limit=6, window=60.0)
    system.add_staff(ADMIN_PPE_USER, "admin-ppe")
    page = await pages.new()
    await page.goto(system.url + "/masuk")
    csrf = await page.evaluate("() => document.querySelector('input[name=csrf]').value")
    statuses = []
    for attempt in range(5):
        answer = await page.request.post(
            system.url + "/masuk",
            form={"csrf": csrf, "pengguna": f"tidak.ada.{attempt}", "kata_sandi": "salah"},
            headers={"Origin": system.url},
        )
        statuses.append(answer.status)
    assert statuses == [401] * 4 + [429]
    assert int(answer.headers["retry-after"]) > 0
    assert "Terlalu banyak percobaan" in await answer.text()
    refused = await page.request.post(
        system.url + "/masuk",
        form={"csrf": csrf, "pengguna": ADMIN_PPE_USER, "kata_sandi": STAFF_PASSWORD},
        headers={"Origin": system.url},
    )
    assert refused.status == 429
    user = system.services.store.find_staff_user(ADMIN_PPE_USER)
    assert user is not None and (user.failed_logins, user.last_login_at) == (0, None)

    opened = [(await page.request.get(f"{system.url}/atur-kata-sandi?t=tidak-dikenal-{n}")).status for n in range(7)]
    assert opened == [404] * 6 + [429]


async def test_a_requests_data_and_documents_open_only_for_the_staff_of_its_sop(
    system: WebSystem, pages: Pages
) -> None:
    """The PM of LKPP opens an SOP 1 request's data (masked NIK) and documents; the Admin PPE (SOP 2) gets 403."""
    number = await submit_request(system, nik=ADMIN_NIK, kepala_email=KEPALA_EMAIL, admin_email=ADMIN_EMAIL)
    [document, *_] = system.services.documents.list_documents(number)
    system.add_staff(PM_USER, "pm-lkpp", name="PM LKPP")
    system.add_staff(ADMIN_PPE_USER, "admin-ppe", name="Sri Rahayu")

    pm = await pages.new()
    await log_in(pm, system.url, PM_USER)
    await pm.goto(f"{system.url}/pemeriksaan/{number}")
    await expect(pm.get_by_text("6471**********01")).to_be_visible()
    assert ADMIN_NIK not in await pm.content()
    opened = await pm.request.get(f"{system.url}/pemeriksaan/{number}/dokumen/{document.id}")
    assert opened.status == 200 and (await opened.body()).startswith(b"%PDF-")
    assert opened.headers["content-security-policy"].startswith("default-src 'none'")

    admin = await pages.new()
    await log_in(admin, system.url, ADMIN_PPE_USER)
    response = await admin.goto(f"{system.url}/pemeriksaan/{number}")
    assert response is not None and response.status == 403
    refused = await admin.request.get(f"{system.url}/pemeriksaan/{number}/dokumen/{document.id}")
    assert refused.status == 403
