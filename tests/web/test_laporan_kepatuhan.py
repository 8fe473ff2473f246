"""The SOP compliance report in the browser (`/laporan/kepatuhan`): the scripted Monday of `tests.compliance.scenario`
(SOP 1, known durations, jobs completed by the test at known instants – no workers) gives exact figures on the page,
in both CSVs and in the XLSX read back with openpyxl; bad input is said on the page and nothing is computed."""

import asyncio
import csv
import io
from pathlib import Path

from openpyxl import load_workbook
from playwright.async_api import Download, expect

from engine.testing import EmbeddedEngine
from tests.compliance.scenario import REQUESTS, number, run_monday
from tests.engine.bpmn_harness import Driver
from tests.web.conftest import Pages, serving
from tests.web.harness import assert_fits, log_in, screenshot_path

PIMPINAN = "kepala.biro"
QUERY = "dari=2026-03-02&sampai=2026-03-02&provinsi=kaltim&sop=registrasiAdminPpe"
ROW2 = ["2", "Menerima dan memeriksa kelengkapan berkas", "10 menit", "13", "6,00", "12,00", "7", "53,85%", "1", "7"]
ROW5 = ["5", "Membuat akun Admin PPE pada SPSE", "30 menit", "13", "26,00", "26,00", "13", "100,00%", "0", "0"]
REQUESTS_ROW = ["–", "Seluruh permohonan", "–", "13", "32,00", "32,00", "7", "53,85%", "1", "7"]


async def _downloaded(download: Download) -> bytes:
    return await asyncio.to_thread(Path(await download.path()).read_bytes)


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


async def test_report_page_csv_and_xlsx(engine: EmbeddedEngine, gw: Driver, pages: Pages, tmp_path: Path) -> None:
    await run_monday(engine, gw)
    async with serving(engine, tmp_path, workers=False) as system:
        system.add_staff(PIMPINAN, "pimpinan", name="Kepala Biro PBJ")
        page = await pages.new(1024, 720)
        await log_in(page, system.url, PIMPINAN)
        await page.goto(system.url + "/laporan/kepatuhan")
        await page.get_by_label("Dari tanggal").fill("2026-03-02")
        await page.get_by_label("Sampai tanggal").fill("2026-03-02")
        await page.get_by_label("Provinsi").select_option(label="Kalimantan Timur")
        await page.get_by_label("SOP").select_option(value="registrasiAdminPpe")
        await page.get_by_role("button", name="Tampilkan laporan").click()
        await expect(page.locator('#per-langkah tr[data-baris="2"] td')).to_have_text(ROW2)
        await expect(page.locator('#per-langkah tr[data-baris="5"] td')).to_have_text(ROW5)
        await expect(page.locator('#per-langkah tr[data-baris="permohonan"] td')).to_have_text(REQUESTS_ROW)
        await expect(page.locator("#per-permohonan tbody tr")).to_have_count(REQUESTS)
        await expect(page.locator("figure.grafik svg rect")).not_to_have_count(0)
        await page.locator("section", has=page.locator("#per-langkah")).screenshot(
            path=str(screenshot_path(tmp_path, "laporan-kepatuhan"))
        )

        # the files: the same figures
        async with page.expect_download() as steps_download:
            await page.get_by_role("link", name="Unduh CSV per langkah").click()
        rows = _csv_rows(await _downloaded(await steps_download.value))
        by_row = {row[0]: row for row in rows[1:]}
        assert by_row["2"][3:] == ["13", "6,00", "12,00", "7", "53,85", "6", "1", "1", "7"]
        assert rows[-1][1:] == ["Seluruh permohonan", "", "13", "32,00", "32,00", "7", "53,85", "6", "1", "1", "7"]
        async with page.expect_download() as requests_download:
            await page.get_by_role("link", name="Unduh CSV per permohonan").click()
        request_rows = _csv_rows(await _downloaded(await requests_download.value))
        assert sorted(row[0] for row in request_rows[1:]) == [number(n) for n in range(REQUESTS)]
        async with page.expect_download() as workbook_download:
            await page.get_by_role("link", name="Unduh XLSX").click()
        download = await workbook_download.value
        assert download.suggested_filename == "kepatuhan-registrasiAdminPpe-2026-03-02-2026-03-02.xlsx"
        workbook = load_workbook(io.BytesIO(await _downloaded(download)))
        sheet = workbook["Per Langkah"]
        values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert values[2][3:6] == (13, 6, 12)
        assert values[2][6] == 7 and abs(values[2][7] - 7 / 13) < 1e-9  # type: ignore[operator]
        assert len(list(workbook["Per Permohonan"].iter_rows(min_row=2))) == REQUESTS

        # on a phone: nothing wider than the screen (the tables scroll inside their box)
        phone = page
        await phone.set_viewport_size({"width": 360, "height": 740})
        await phone.goto(system.url + "/laporan/kepatuhan?" + QUERY)
        await expect(phone.locator('#per-langkah tr[data-baris="2"] td').nth(7)).to_have_text("53,85%")
        await assert_fits(phone)
        await phone.goto(system.url + "/pantau")
        await expect(phone.locator("#diagram-registrasiAdminPpe")).to_have_attribute("data-siap", "true")
        await assert_fits(phone)

        # bad input: said on the page, nothing computed
        await page.goto(system.url + "/laporan/kepatuhan?dari=2026-03-06&sampai=2026-03-02&provinsi=kaltim&sop=x")
        problems = page.locator("#masalah")
        await expect(problems).to_contain_text("Periode laporan terbalik")
        await expect(problems).to_contain_text("SOP yang dipilih tidak dikenal")
        await expect(page.locator("#per-langkah")).to_have_count(0)
        refused = await page.request.get(
            system.url + "/laporan/kepatuhan.csv?" + QUERY.replace("kaltim", "kalbar"), max_redirects=0
        )
        assert refused.status == 400
        assert "tidak dijalankan oleh Provinsi Kalimantan Barat" in await refused.text()

        # staff only: without a login, the files lead to the login page
        stranger = await pages.new()
        answer = await stranger.request.get(system.url + "/laporan/kepatuhan.xlsx?" + QUERY, max_redirects=0)
        assert answer.status == 303
        assert answer.headers["location"].startswith("/masuk?lanjut=")
