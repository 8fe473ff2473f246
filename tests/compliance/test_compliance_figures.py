"""The SOP compliance figures of a scripted week of SOP 1 (Kalimantan Timur, WITA) with known durations: per step and
per request the number done, median and 90th percentile of the working time, the share within the standard and the
breaches – asserted exactly, and again in the CSV and in the XLSX read back with openpyxl. The standard times are
those of the committed diagram (`read_standards`), the working time that of the province's calendar."""

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from pbj.commands.standar import read_standards
from pbj.compliance import ComplianceError, ElementRecord, Period, build_report, minutes, percentile
from pbj.compliance_export import REQUEST_HEADINGS, STEP_HEADINGS, requests_csv, steps_csv, workbook_bytes
from workers.domain import WIB, WITA, RequestKind
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


# --- SOP 2 row 7: the sub-process around the multi-instance activation is the step --------------------------------

SOP2_XML = (ROOT / "bpmn" / "pendaftaran-akun-ppbj.bpmn").read_bytes()
OLD_VERSION, NEW_VERSION = "2251799813685260", "2251799813685300"
ACTIVATION, BODY = "AktifkanAkunPpbjSubProcess", "AktifkanAkunPpbjTask"
NEW_STANDARDS = read_standards(SOP2_XML)
OLD_STANDARDS = {  # an earlier version timed the multi-instance task itself (its body), with the same timer
    **{step: standard for step, standard in NEW_STANDARDS.items() if step != ACTIVATION},
    BODY: replace(NEW_STANDARDS[ACTIVATION], element_id=BODY, covers=frozenset()),
}
SOP2_STANDARDS = {OLD_VERSION: OLD_STANDARDS, NEW_VERSION: NEW_STANDARDS}


def at_wib(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=WIB)


def sop2_item(
    key: str, element_id: str, kind: str, start: datetime, end: datetime | None, version: str = NEW_VERSION
) -> dict[str, Any]:
    """An element instance of SOP 2 as `/v2/element-instances/search` returns it."""
    return {
        **item(key, element_id, start, end),
        "elementInstanceKey": f"{key}{element_id}{kind}{start:%H%M%S}",
        "processDefinitionKey": version,
        "processDefinitionId": "pendaftaranAkunPpbj",
        "type": kind,
    }


def activation(key: str, start: datetime, end: datetime | None, body_end: datetime | None) -> list[dict[str, Any]]:
    """Row 7 of one registration on the current diagram: the sub-process from `start` to `end`, inside it its start
    event, the multi-instance body (ending at `body_end`) and one activation per system, each shorter than the body;
    then the activation e-mail and the end when the sub-process ended."""
    systems = [
        sop2_item(key, BODY, "SERVICE_TASK", start, None if body_end is None else body_end - timedelta(seconds=n))
        for n in (30, 20, 10)
    ]
    items = [
        sop2_item(key, "PendaftaranDimulaiStartEvent", "START_EVENT", start, start),
        sop2_item(key, ACTIVATION, "SUB_PROCESS", start, end),
        sop2_item(key, "AktivasiAkunPpbjDimulaiStartEvent", "START_EVENT", start, start),
        sop2_item(key, BODY, "MULTI_INSTANCE_BODY", start, body_end),
        *systems,
    ]
    if end is not None:
        items += [
            sop2_item(key, "AktivasiAkunPpbjSelesaiEndEvent", "END_EVENT", end, end),
            sop2_item(key, "KirimInformasiAkunAktifTask", "SERVICE_TASK", end, end),
            sop2_item(key, "AkunPpbjAktifEndEvent", "END_EVENT", end, end),
        ]
    return items


SOP2_HISTORY = [
    # P1: the sub-process 4 working minutes (within); its body and the systems ended a minute earlier – not counted
    *activation("21", at_wib(2, 8, 0), at_wib(2, 8, 4), at_wib(2, 8, 3)),
    # P2: from Monday 15.58 to Tuesday 07.36 WIB – 2 + 6 = 8 working minutes over the night (a breach)
    *activation("22", at_wib(2, 15, 58), at_wib(3, 7, 36), at_wib(3, 7, 36)),
    # P3: still running at the period's end since Friday 16.27 – 3 working minutes (running within)
    *activation("23", at_wib(6, 16, 27), None, None),
    # P4: the earlier version, where the multi-instance body carried the timer: 6 minutes (a breach)
    sop2_item("24", "PendaftaranDimulaiStartEvent", "START_EVENT", at_wib(3, 10, 0), at_wib(3, 10, 0), OLD_VERSION),
    sop2_item("24", BODY, "MULTI_INSTANCE_BODY", at_wib(3, 10, 0), at_wib(3, 10, 6), OLD_VERSION),
    *(sop2_item("24", BODY, "SERVICE_TASK", at_wib(3, 10, 0), at_wib(3, 10, 1, n), OLD_VERSION) for n in (1, 2, 3)),
    sop2_item("24", "AkunPpbjAktifEndEvent", "END_EVENT", at_wib(3, 10, 6), at_wib(3, 10, 6), OLD_VERSION),
    # P5: exactly the standard, 5 minutes (within)
    *activation("25", at_wib(4, 9, 0), at_wib(4, 9, 5), at_wib(4, 9, 5)),
]


def test_row_7_is_measured_by_its_sub_process_in_working_time() -> None:
    """SOP 2 row 7 in Kalimantan Barat (WIB), Monday 2 to Friday 6 March: done in 4, 8 (over the night), 6 (on the
    version that timed the task's body) and 5 working minutes – median 5.5, p90 7.4 (h = 2.7: 6 + 0.7 × 2), 2 of 4
    within, 2 breaches – and one running within the standard, in one row whatever version timed it. The figures are
    the sub-process's: its body and the activation per system are part of the step, not counted apart."""
    calendar = Settings.from_env({}).working_time.calendar(RequestKind.PPBJ)
    report = build_report(
        RequestKind.PPBJ, calendar, PERIOD, datetime(2026, 3, 9, 10, 0, tzinfo=WIB), SOP2_HISTORY, SOP2_STANDARDS
    )
    assert [step.row for step in report.steps] == [2, 3, 4, 5, 6, 7]
    row7 = report.steps[-1]
    assert (row7.element_id, row7.name, row7.standard) == (ACTIVATION, "Mengaktifkan akun PPBJ", "PT5M")
    figures = row7.figures
    assert (figures.done, figures.within, figures.over, figures.share_within) == (4, 2, 2, 0.5)
    assert minutes(figures.median) == 5.5
    assert minutes(figures.p90) == pytest.approx(7.4)
    assert (figures.running, figures.running_over, figures.breaches) == (1, 0, 2)
    by_key = {r.process_instance_key: r for r in report.requests}
    assert {key: (r.steps_done, r.steps_within, r.breaches, r.done) for key, r in by_key.items()} == {
        "21": (1, 1, 0, True),
        "22": (1, 0, 1, True),
        "23": (0, 0, 0, False),
        "24": (1, 0, 1, True),
        "25": (1, 1, 0, True),
    }
    assert minutes(by_key["21"].working_time) == 4
    rows = list(csv.reader(io.StringIO(steps_csv(report).decode("utf-8-sig")), delimiter=";"))
    assert rows[6] == ["7", "Mengaktifkan akun PPBJ", "5 menit", "4", "5,50", "7,40", "2", "50,00", "2", "1", "0", "2"]
