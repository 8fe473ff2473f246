"""The managers' monitor in the browser (`/pantau`, `/pantau/{key}`): a scripted Monday morning – two SOP 1 requests
waiting for the KTP, two SOP 2 registrations waiting for the identity past its 15-minute standard (their SLA
reminders sent), one SOP 1 instance whose check fails until Zeebe makes an incident – drawn on the diagrams with the
numbers the REST statistics give, the instances listed by a click, one instance's path and timeline, the incident
retried by a manager and refused to staff of the other SOP."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Page, expect

from pbj.commands.pemohon import register_ppbj
from tests.web.conftest import Pages
from tests.web.harness import WebSystem, log_in, screenshot_path, submit_request
from workers.domain import WITA, PersonData

MONDAY_0900 = datetime(2026, 3, 2, 9, 0, tzinfo=WITA)
PIMPINAN = "kepala.biro"
ADMIN_PPE = "sri.admin"
UNKNOWN_NUMBER = "ADM-2026-999999"


async def _scripted_run(system: WebSystem) -> dict[str, object]:
    system.engine.engine.clock.pin(MONDAY_0900.astimezone(UTC))
    sop1 = [
        await submit_request(
            system, nik=f"640101010190000{n}", kepala_email=f"kepala{n}@lpse.go.id", admin_email=f"admin{n}@lpse.go.id"
        )
        for n in (1, 2)
    ]
    sop2 = []
    for n in (1, 2):
        person = PersonData(name=f"PPBJ Uji {n}", email=f"ppbj{n}@kalbarprov.go.id", whatsapp=f"0812-0000-000{n}")
        sop2.append((await register_ppbj(system.webapp.context("uji"), person)).request)
    started = await system.rest(
        "POST",
        "/v2/process-instances",
        {"processDefinitionId": "registrasiAdminPpe", "variables": {"nomorPermohonan": UNKNOWN_NUMBER}},
    )
    await system.settle()
    for _ in range(4):  # the failing check's retries (5 s, 10 s back-off), then the SLA timers (10 and 15 minutes)
        await system.engine.increase_time(timedelta(minutes=5))
        await system.settle()
    system.add_staff(PIMPINAN, "pimpinan", name="Kepala Biro PBJ")
    system.add_staff(ADMIN_PPE, "admin-ppe", name="Sri Admin PPE")
    return {"sop1": sop1, "sop2": sop2, "failing": str(started["processInstanceKey"])}


def _row(page: Page, element_id: str) -> object:
    return page.locator(f'tr[data-elemen="{element_id}"] td')


async def test_monitor_instance_page_and_retry(system: WebSystem, pages: Pages, tmp_path: Path) -> None:
    run = await _scripted_run(system)
    failing = str(run["failing"])
    incidents = await system.rest("POST", "/v2/incidents/search", {"filter": {"processInstanceKey": failing}})
    [incident] = [i for i in incidents["items"] if i["elementId"] == "PeriksaKelengkapanBerkasTask"]

    # staff only: the login first, then back here
    page = await pages.new(1024, 720)
    await page.goto(system.url + "/pantau")
    await expect(page).to_have_url(system.url + "/masuk?lanjut=/pantau")
    await log_in(page, system.url, PIMPINAN)
    for path in ("/pantau/123456789", "/pantau/abc", "/pantau?proses=x&elemen=y", "/pantau/diagram/1"):
        answer = await page.request.get(system.url + path)
        assert answer.status == 404, path
    await page.goto(system.url + "/pantau")
    assert await page.locator('meta[http-equiv="refresh"]').get_attribute("content") == "30"
    # the numbers per element, server-rendered …
    await expect(page.locator('tr[data-elemen="LengkapiBerkasReceiveTask"] td')).to_have_text(
        ["Melengkapi kekurangan berkas", "2", "0", "0"], use_inner_text=True
    )
    await expect(page.locator('tr[data-elemen="IsiIdentitasPpbjReceiveTask"] td').nth(1)).to_have_text("2")
    await expect(page.locator('tr[data-elemen="IsiIdentitasPpbjReceiveTask"] td').nth(3)).to_have_text("2")
    checking = page.locator('tr[data-elemen="PeriksaKelengkapanBerkasTask"] td')
    await expect(checking.nth(2)).to_have_text("1")
    await expect(checking.nth(3)).to_have_text("1")
    # … and drawn on the diagrams by bpmn-js
    sop1 = page.locator("#diagram-registrasiAdminPpe")
    await expect(sop1).to_have_attribute("data-siap", "true")
    await expect(page.locator("#diagram-pendaftaranAkunPpbj")).to_have_attribute("data-siap", "true")
    await expect(sop1.locator('[data-container-id="LengkapiBerkasReceiveTask"] .lencana-menunggu')).to_have_text("2")
    await expect(sop1.locator('[data-container-id="PeriksaKelengkapanBerkasTask"] .lencana-insiden')).to_have_text("1")
    ppbj = page.locator("#diagram-pendaftaranAkunPpbj")
    await expect(ppbj.locator('[data-container-id="IsiIdentitasPpbjReceiveTask"] .lencana-terlambat')).to_have_text("2")
    await page.locator("#sop-registrasiAdminPpe").scroll_into_view_if_needed()
    await page.screenshot(path=str(screenshot_path(tmp_path, "pantau")))

    # a click on the element lists the instances waiting there
    await sop1.locator('g.djs-element[data-element-id="LengkapiBerkasReceiveTask"]').click()
    await expect(page).to_have_url(
        system.url + "/pantau?proses=registrasiAdminPpe&elemen=LengkapiBerkasReceiveTask#instans"
    )
    listed = page.locator("#instans tbody tr")
    await expect(listed).to_have_count(2)
    await expect(page.locator("#instans")).to_contain_text(str(run["sop1"][0]))  # type: ignore[index]

    # one registration: its path and its timeline against the standard times, the reminders sent
    registration = system.services.store.get_request(run["sop2"][0].number)  # type: ignore[index]
    await page.goto(system.url + f"/pantau/{registration.process_instance_key}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Pendaftaran {registration.number}")
    await expect(page.locator("#diagram-instans")).to_have_attribute("data-siap", "true")
    diagram = page.locator("#diagram-instans")
    await expect(
        diagram.locator('g.djs-element.dilalui[data-element-id="PendaftaranDimulaiStartEvent"]')
    ).to_have_count(1)
    await expect(diagram.locator('g.djs-element.aktif[data-element-id="IsiIdentitasPpbjReceiveTask"]')).to_have_count(1)
    waiting = page.locator('#linimasa tr[data-elemen="IsiIdentitasPpbjReceiveTask"] td')
    await expect(waiting.nth(0)).to_have_text("Mengisi identitas PPBJ")
    await expect(waiting.nth(3)).to_have_text("20 menit")
    await expect(waiting.nth(4)).to_have_text("15 menit")
    await expect(waiting.nth(5)).to_have_text("Melampaui standar")
    await expect(page.locator("#pelanggaran tbody tr")).to_have_count(1)
    await expect(page.locator("#pelanggaran tbody tr td").nth(1)).to_have_text("Mengisi identitas PPBJ")
    await expect(page.locator("#pengingat li")).to_contain_text(["kepada PPBJ"])
    await page.screenshot(path=str(screenshot_path(tmp_path, "pantau-instans")))

    # staff of the other SOP see the incident but may not retry it
    other = await pages.new()
    await log_in(other, system.url, ADMIN_PPE)
    await other.goto(system.url + f"/pantau/{failing}")
    await expect(other.locator("#insiden")).to_contain_text("PeriksaKelengkapanBerkasTask")
    await expect(other.get_by_role("button", name="Ulangi langkah")).to_have_count(0)
    token = await other.locator('input[name="csrf"]').first.get_attribute("value")
    refused = await other.request.post(
        system.url + f"/pantau/{failing}/insiden/{incident['incidentKey']}", form={"csrf": token or ""}
    )
    assert refused.status == 403
    answer = await system.rest("GET", f"/v2/incidents/{incident['incidentKey']}")
    assert answer["state"] == "ACTIVE"

    # the manager retries it: Zeebe resolves the incident (the job runs again)
    await page.goto(system.url + f"/pantau/{failing}")
    await (
        page.locator("#insiden li")
        .filter(has_text="PeriksaKelengkapanBerkasTask")
        .get_by_role("button", name="Ulangi langkah")
        .click()
    )
    await expect(page.get_by_role("status")).to_contain_text(f"Insiden {incident['incidentKey']} telah diulang")
    answer = await system.rest("GET", f"/v2/incidents/{incident['incidentKey']}")
    assert answer["state"] == "RESOLVED"
