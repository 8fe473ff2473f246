"""The SOP compliance figures of a scripted week of SOP 1 (Kalimantan Timur, WITA) with known durations: per step and
per request the number done, median and 90th percentile of the working time, the share within the standard and the
breaches – asserted exactly, and again in the CSV and in the XLSX read back with openpyxl. The standard times are
those of the committed diagram (`read_standards`), the working time that of the province's calendar."""

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from pbj.commands.standar import read_standards
from pbj.compliance import ComplianceError, ElementRecord, Period, build_report, minutes, percentile
from pbj.compliance_export import REQUEST_HEADINGS, STEP_HEADINGS, requests_csv, steps_csv, workbook_bytes
from workers.domain import WITA, RequestKind
from workers.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
STANDARDS = {"": read_standards((ROOT / "bpmn" / "registrasi-admin-ppe.bpmn").read_bytes())}
KIND = RequestKind.ADMIN_PPE
CALENDAR = Settings.from_env({}).working_time.calendar(KIND)
PERIOD = Period(date(2026, 3, 2), date(2026, 3, 6))  # Monday to Friday
AS_OF = datetime(2026, 3, 9, 10, 0, tzinfo=WITA)  # the next Monday: the cut-off is the period's end
PERIKSA, MINTA, LENGKAPI = "PeriksaKelengkapanBerkasTask", "MintaKelengkapanBerkasTask", "LengkapiBerkasReceiveTask"
BUAT = "BuatAkunAdminPpeTask"


def at(day: int, hour: int, minute: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WITA)


def item(key: str, element_id: str, start: datetime, end: datetime | None, state: str | None = None) -> dict[str, Any]:
    """An element instance as POST /v2/element-instances/search returns it (UTC, keys as strings)."""

    def iso(moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return {
        "elementInstanceKey": f"{key}{len(element_id)}{start:%H%M}",
        "processInstanceKey": key,
        "processDefinitionKey": "2251799813685249",
        "processDefinitionId": "registrasiAdminPpe",
        "elementId": element_id,
        "type": "SERVICE_TASK",
        "state": state or ("ACTIVE" if end is None else "COMPLETED"),
        "startDate": iso(start),
        "endDate": None if end is None else iso(end),
    }


def request(key: str, *steps: tuple[str, datetime, datetime | None], state: str | None = None) -> list[dict[str, Any]]:
    """A request: its start event, its steps, and its end event when every step ended."""
    first = steps[0][1]
    items = [item(key, "PermohonanDiajukanStartEvent", first, first)]
    items += [item(key, element_id, start, end, state) for element_id, start, end in steps]
    ends = [end for _, _, end in steps]
    if all(ends):
        last = max(end for end in ends if end)
        items.append(item(key, "AkunAdminPpeTerdaftarEndEvent", last, last))
    return items


HISTORY = [
    # R1: row 2 in 4 minutes, row 5 in 25 – the request in 29, no breach
    *request("1", (PERIKSA, at(2, 8, 0), at(2, 8, 4)), (BUAT, at(2, 8, 4), at(2, 8, 29))),
    # R2: row 2 from Friday 16:28 to Monday 07:36 – 8 working minutes over the weekend; row 5 in 35 (a breach)
    *request("2", (PERIKSA, at(27, 16, 28, month=2), at(2, 7, 36)), (BUAT, at(2, 7, 36), at(2, 8, 11))),
    # R3: row 2 in 10 (exactly the standard: within), row 3 in 7 of 5 (a breach), row 4 untimed, 60 in all
    *request(
        "3",
        (PERIKSA, at(3, 10, 0), at(3, 10, 10)),
        (MINTA, at(3, 10, 10), at(3, 10, 17)),
        (LENGKAPI, at(3, 10, 17), at(3, 11, 0)),
    ),
    # R4: row 2 in 12 (a breach)
    *request("4", (PERIKSA, at(4, 13, 0), at(4, 13, 12))),
    # R5: row 2 from Thursday 15:50 to Friday 07:40 – 20 working minutes (a breach)
    *request("5", (PERIKSA, at(5, 15, 50), at(6, 7, 40))),
    # R6: row 2 still running since Friday 16:15 – 15 working minutes at the cut-off (running over)
    *request("6", (PERIKSA, at(6, 16, 15), None)),
    # R7: row 2 running since Friday 16:25 – 5 minutes (running within)
    *request("7", (PERIKSA, at(6, 16, 25), None)),
    # R8: row 2 from Friday 16:28, done Monday 07:35 – after the period: running at its end with 2 minutes
    *request("8", (PERIKSA, at(6, 16, 28), at(9, 7, 35))),
    # R9: done before the period: not in the report
    *request("9", (PERIKSA, at(25, 8, 0, month=2), at(25, 8, 30, month=2))),
    # R10: row 2 terminated (the request expired): neither done nor running; the request ended, no breach
    *request("10", (PERIKSA, at(3, 8, 0), at(3, 9, 0)), state="TERMINATED"),
    # another process's element: left out
    {**item("11", PERIKSA, at(3, 8, 0), at(3, 9, 0)), "processDefinitionId": "pendaftaranAkunPpbj"},
]
NUMBERS = {str(n): f"ADM-2026-{n:06d}" for n in range(1, 11)}


@pytest.fixture(scope="module")
def report() -> Any:
    return build_report(KIND, CALENDAR, PERIOD, AS_OF, HISTORY, STANDARDS, NUMBERS)


def test_per_step_figures(report: Any) -> None:
    """Row 2: done 4, 8, 10, 12, 20 → median 10, p90 16.8 (h = 3.6: 12 + 0.6 × 8), 3 of 5 within (60 %), 2 over,
    3 running of which 1 over: 3 breaches. Row 3: one done in 7 of 5. Row 5: 25 and 35 → median 30, p90 34, half
    within. Rows 6–8 of the diagram appear with nothing done."""
    rows = {step.row: step for step in report.steps}
    assert [step.row for step in report.steps] == [2, 3, 5, 6, 7, 8]
    periksa = rows[2].figures
    assert (rows[2].name, rows[2].standard) == ("Menerima dan memeriksa kelengkapan berkas", "PT10M")
    assert (periksa.done, periksa.within, periksa.over) == (5, 3, 2)
    assert minutes(periksa.median) == 10
    assert minutes(periksa.p90) == pytest.approx(16.8)
    assert periksa.share_within == 0.6
    assert (periksa.running, periksa.running_over, periksa.breaches) == (3, 1, 3)
    minta = rows[3].figures
    assert (minta.done, minta.within, minutes(minta.median), minutes(minta.p90), minta.breaches) == (1, 0, 7, 7, 1)
    buat = rows[5].figures
    assert (buat.done, buat.within, minutes(buat.median), minutes(buat.p90), buat.share_within) == (2, 1, 30, 34, 0.5)
    for row in (6, 7, 8):
        empty = rows[row].figures
        assert (empty.done, empty.median, empty.p90, empty.share_within, empty.breaches) == (0, None, None, None, 0)


def test_per_request_figures(report: Any) -> None:
    """Done: R1 29, R2 43 (2 + 41 over the weekend), R3 60, R4 12, R5 20, R10 60 → median 36 (29 + ½ × 14), p90 60;
    2 of 6 without a breach. Running at the cut-off: R6 (a breach), R7, R8. R9 and the other process are left out."""
    by_key = {r.process_instance_key: r for r in report.requests}
    assert list(by_key) == ["2", "1", "10", "3", "4", "5", "6", "7", "8"]  # by start
    assert {key: minutes(r.working_time) for key, r in by_key.items()} == {
        "1": 29,
        "2": 43,
        "3": 60,
        "4": 12,
        "5": 20,
        "6": 15,
        "7": 5,
        "8": 2,
        "10": 60,
    }
    assert {key: (r.steps_done, r.steps_within, r.breaches, r.done) for key, r in by_key.items()} == {
        "1": (2, 2, 0, True),
        "2": (2, 1, 1, True),
        "3": (2, 1, 1, True),
        "4": (1, 0, 1, True),
        "5": (1, 0, 1, True),
        "6": (0, 0, 1, False),
        "7": (0, 0, 0, False),
        "8": (0, 0, 0, False),
        "10": (0, 0, 0, True),
    }
    assert by_key["1"].number == "ADM-2026-000001"
    summary = report.request_figures
    assert (summary.done, summary.within, summary.over) == (6, 2, 4)
    assert (minutes(summary.median), minutes(summary.p90)) == (36, 60)
    assert summary.share_within == pytest.approx(1 / 3)
    assert (summary.running, summary.running_over, summary.breaches) == (3, 1, 5)


def test_the_csv_carries_the_same_figures(report: Any) -> None:
    """CSV with BOM, `;` and decimal comma, Indonesian headings; the requests' summary is the last step row."""
    steps_text = steps_csv(report)
    assert steps_text.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(steps_text.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(STEP_HEADINGS)
    assert rows[1] == [
        "2",
        "Menerima dan memeriksa kelengkapan berkas",
        "10 menit",
        "5",
        "10,00",
        "16,80",
        "3",
        "60,00",
        "2",
        "3",
        "1",
        "3",
    ]
    assert rows[2] == [
        "3",
        "Meminta kelengkapan berkas",
        "5 menit",
        "1",
        "7,00",
        "7,00",
        "0",
        "0,00",
        "1",
        "0",
        "0",
        "1",
    ]
    assert rows[3][:8] == ["5", "Membuat akun Admin PPE pada SPSE", "30 menit", "2", "30,00", "34,00", "1", "50,00"]
    assert rows[4] == [
        "6",
        "Menginformasikan akun kepada Kepala LPSE",
        "10 menit",
        "0",
        "",
        "",
        "0",
        "",
        "0",
        "0",
        "0",
        "0",
    ]
    assert rows[-1] == ["", "Seluruh permohonan", "", "6", "36,00", "60,00", "2", "33,33", "4", "3", "1", "5"]
    requests = list(csv.reader(io.StringIO(requests_csv(report).decode("utf-8-sig")), delimiter=";"))
    assert requests[0] == list(REQUEST_HEADINGS)
    assert requests[1] == [
        *("ADM-2026-000002", "2", "Selesai", "27-02-2026 16.28 WITA", "02-03-2026 08.11 WITA"),
        *("43,00", "2", "1", "1"),
    ]
    assert requests[-1] == ["ADM-2026-000008", "8", "Berjalan", "06-03-2026 16.28 WITA", "", "2,00", "0", "0", "0"]


def test_the_xlsx_carries_the_same_figures(report: Any) -> None:
    """The workbook read back: numbers as numbers (minutes, shares as fractions shown as percentages), the
    province's wall time, and a sheet saying what the figures mean."""
    workbook = load_workbook(io.BytesIO(workbook_bytes(report)))
    assert workbook.sheetnames == ["Per Langkah", "Per Permohonan", "Keterangan"]
    steps = [list(row) for row in workbook["Per Langkah"].iter_rows(values_only=True)]
    assert steps[0] == list(STEP_HEADINGS)
    assert steps[1] == [
        *(2, "Menerima dan memeriksa kelengkapan berkas", "10 menit", 5, 10, pytest.approx(16.8), 3),
        *(0.6, 2, 3, 1, 3),
    ]
    assert steps[-1] == [None, "Seluruh permohonan", None, 6, 36, 60, 2, pytest.approx(1 / 3), 4, 3, 1, 5]
    assert workbook["Per Langkah"].cell(row=2, column=8).number_format == "0.00%"
    requests = [list(row) for row in workbook["Per Permohonan"].iter_rows(values_only=True)]
    assert requests[0] == list(REQUEST_HEADINGS)
    assert requests[1] == [
        "ADM-2026-000002",
        "2",
        "Selesai",
        datetime(2026, 2, 27, 16, 28),
        datetime(2026, 3, 2, 8, 11),
        43,
        2,
        1,
        1,
    ]
    assert len(requests) == 1 + 9
    with zipfile.ZipFile(io.BytesIO(workbook_bytes(report))) as package:
        [chart] = [name for name in package.namelist() if name.startswith("xl/charts/chart")]
        chart_xml = package.read(chart).decode()
    assert "'Per Langkah'!$H$2:$H$7" in chart_xml  # the share of rows 2–8, the summary row left out
    assert "'Per Langkah'!$B$2:$B$7" in chart_xml
    about = {str(row[0]): row[1] for row in workbook["Keterangan"].iter_rows(max_row=4, values_only=True)}
    assert about == {
        "SOP": "Registrasi Admin PPE",
        "Provinsi": "Kalimantan Timur",
        "Periode": "02-03-2026 s.d. 06-03-2026 (WITA)",
        "Keadaan per": "09-03-2026 10.00 WITA",
    }


def test_percentile_is_percentile_inc() -> None:
    """Linear interpolation between closest ranks, as Excel's PERCENTILE.INC."""
    values = [timedelta(minutes=m) for m in (15, 20, 35, 40, 50)]
    assert percentile(values, 0.4) == timedelta(minutes=29)
    assert percentile(values, 0.9) == timedelta(minutes=46)
    assert percentile(values[:1], 0.9) == timedelta(minutes=15)
    assert percentile([], 0.5) is None


def test_bad_period_and_history_are_refused_in_indonesian() -> None:
    """A reversed period, a naive report instant, an element without its start are refused with the reason."""
    with pytest.raises(ComplianceError, match="Periode laporan terbalik"):
        Period(date(2026, 3, 6), date(2026, 3, 2))
    with pytest.raises(ComplianceError, match="zona waktu"):
        build_report(KIND, CALENDAR, PERIOD, datetime(2026, 3, 9), [], STANDARDS)
    with pytest.raises(ComplianceError, match="tidak lengkap atau tidak sah"):
        ElementRecord.from_rest({"elementId": PERIKSA, "processInstanceKey": "1", "state": "ACTIVE"})
    with pytest.raises(ComplianceError, match="tidak lengkap atau tidak sah"):
        ElementRecord.from_rest({"elementId": PERIKSA, "processInstanceKey": "1", "state": "ACTIVE", "startDate": "x"})


def test_standards_are_read_the_same_from_timers_at_their_working_time_deadline() -> None:
    """The SLA timers take `timeDate` = `slaBatasWaktuKerja`, so the standard time is read from the timer's
    `slaBatasWaktu` output: the same standards as from the wall-clock `timeDuration` of that literal."""
    xml = (ROOT / "bpmn" / "registrasi-admin-ppe.bpmn").read_text()
    assert xml.count('<bpmn:timeDate xsi:type="bpmn:tFormalExpression">=slaBatasWaktuKerja</bpmn:timeDate>') == 6
    wall_clock = re.sub(
        r'(<zeebe:output source="=&quot;(PT\d+M)&quot;" target="slaBatasWaktu"/>.*?)'
        r'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">=slaBatasWaktuKerja</bpmn:timeDate>',
        r'\1<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">\2</bpmn:timeDuration>',
        xml,
        flags=re.S,
    )
    assert "=slaBatasWaktuKerja" not in wall_clock
    assert read_standards(wall_clock) == STANDARDS[""]
    assert {step: standard.duration for step, standard in STANDARDS[""].items() if standard.duration} == {
        "PeriksaKelengkapanBerkasTask": "PT10M",
        "MintaKelengkapanBerkasTask": "PT5M",
        "BuatAkunAdminPpeTask": "PT30M",
        "KirimInformasiAkunTask": "PT10M",
        "SampaikanAkunKeAdminPpeTask": "PT5M",
        "ArsipkanDokumenTask": "PT10M",
    }
