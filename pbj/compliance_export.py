"""The compliance figures (`pbj.compliance`) as files a bureau head opens: CSV and XLSX, headed in Indonesian.

CSV (stdlib `csv`): two tables – per step (with the requests' summary as its last row) and per request – each UTF-8
with a byte-order mark, `;` between columns and a decimal comma, which is how a spreadsheet set to Indonesian opens
a CSV without an import dialog. Working times in minutes with two decimals, shares in percent with two decimals,
instants in the province's zone (`06-03-2026 16.25 WITA`); an empty cell where there is no value (no step done).

XLSX (openpyxl): one workbook with the sheets `Per Langkah` (with a bar chart of the share within the standard per
step, below the table), `Per Permohonan` and `Keterangan` (the SOP, province, period, the instant of the report and
how the figures are defined); numbers stay numbers (minutes shown with two decimals, shares as percentages),
instants are the province's wall time.
"""

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pbj.compliance import ComplianceReport, Figures, RequestFigures, minutes
from workers.mail_templates import format_duration

STEP_HEADINGS = (
    "Baris SOP",
    "Kegiatan",
    "Waktu Standar (waktu kerja)",
    "Jumlah Selesai",
    "Median Waktu Kerja (menit)",
    "Persentil ke-90 Waktu Kerja (menit)",
    "Selesai Dalam Standar",
    "Persentase Dalam Standar (%)",
    "Selesai Melampaui Standar",
    "Sedang Berjalan",
    "Berjalan Melampaui Standar",
    "Jumlah Pelanggaran",
)
REQUEST_HEADINGS = (
    "Nomor",
    "Kunci Instans Proses",
    "Status",
    "Mulai",
    "Selesai",
    "Waktu Kerja (menit)",
    "Langkah Selesai",
    "Langkah Dalam Standar",
    "Jumlah Pelanggaran",
)
ALL_REQUESTS = "Seluruh permohonan"
"""The label of the summary row of the requests in the per-step table."""

DEFINITIONS = (
    "Waktu kerja dihitung hanya pada jam kerja kantor provinsi, di luar hari libur nasional, cuti bersama dan hari "
    "libur tambahan biro.",
    "Median dan persentil ke-90 dihitung dengan interpolasi linear antarperingkat (sama dengan PERCENTILE.INC atau "
    "PERSENTIL.INC pada Excel) atas langkah yang selesai dalam periode.",
    "Selesai: langkah yang selesai dalam periode. Sedang berjalan: belum selesai pada akhir periode atau saat laporan "
    "dibuat. Pelanggaran: selesai melampaui waktu standar ditambah sedang berjalan yang telah melampauinya.",
)


def step_rows(report: ComplianceReport) -> list[list[object]]:
    """The per-step table as values (minutes and shares as floats, None where there is none), summary row last."""
    rows: list[list[object]] = [
        [step.row, step.name, format_duration(step.standard), *_figure_values(step.figures)] for step in report.steps
    ]
    rows.append([None, ALL_REQUESTS, None, *_figure_values(report.request_figures)])
    return rows


def request_rows(report: ComplianceReport) -> list[list[object]]:
    """The per-request table as values (instants as aware datetimes in the province's zone)."""
    zone = report.kind.timezone
    return [
        [
            request.number,
            request.process_instance_key,
            _status(request),
            request.started.astimezone(zone),
            None if request.ended is None else request.ended.astimezone(zone),
            minutes(request.working_time),
            request.steps_done,
            request.steps_within,
            request.breaches,
        ]
        for request in report.requests
    ]


def steps_csv(report: ComplianceReport) -> bytes:
    """The per-step table as CSV (UTF-8 with BOM, `;`, decimal comma)."""
    return _csv(STEP_HEADINGS, step_rows(report), report)


def requests_csv(report: ComplianceReport) -> bytes:
    """The per-request table as CSV (UTF-8 with BOM, `;`, decimal comma)."""
    return _csv(REQUEST_HEADINGS, request_rows(report), report)


def workbook_bytes(report: ComplianceReport) -> bytes:
    """The whole report as an XLSX workbook."""
    workbook = Workbook()
    steps = workbook.active
    assert isinstance(steps, Worksheet)
    steps.title = "Per Langkah"
    _sheet(steps, STEP_HEADINGS, step_rows(report), percent_column=STEP_HEADINGS.index("Persentase Dalam Standar (%)"))
    _share_chart(steps, rows=len(report.steps))
    requests = workbook.create_sheet("Per Permohonan")
    _sheet(requests, REQUEST_HEADINGS, [_naive_times(row) for row in request_rows(report)], percent_column=None)
    about = workbook.create_sheet("Keterangan")
    zone_name = report.kind.zone
    for label, value in (
        ("SOP", report.kind.sop_name),
        ("Provinsi", report.province),
        ("Periode", f"{report.period.first:%d-%m-%Y} s.d. {report.period.last:%d-%m-%Y} ({zone_name})"),
        ("Keadaan per", f"{report.as_of.astimezone(report.kind.timezone):%d-%m-%Y %H.%M} {zone_name}"),
        *(("Definisi", text) for text in DEFINITIONS),
    ):
        about.append([label, value])
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 110
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- helpers -----------------------------------------------------------------------------------------------------


def _figure_values(figures: Figures) -> list[object]:
    share = figures.share_within
    return [
        figures.done,
        minutes(figures.median),
        minutes(figures.p90),
        figures.within,
        None if share is None else share,
        figures.over,
        figures.running,
        figures.running_over,
        figures.breaches,
    ]


def _status(request: RequestFigures) -> str:
    return "Selesai" if request.done else "Berjalan"


def _csv(headings: Sequence[str], rows: list[list[object]], report: ComplianceReport) -> bytes:
    percent_column = headings.index("Persentase Dalam Standar (%)") if headings is STEP_HEADINGS else None
    zone_name = report.kind.zone
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headings)
    for row in rows:
        writer.writerow(
            [_csv_cell(value, zone_name, percent=index == percent_column) for index, value in enumerate(row)]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: object, zone_name: str, *, percent: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d-%m-%Y %H.%M} {zone_name}"
    if isinstance(value, float):
        return f"{value * 100 if percent else value:.2f}".replace(".", ",")
    return str(value)


def _share_chart(sheet: Worksheet, *, rows: int) -> None:
    """A bar chart of the share within the standard per step, beside the table, to paste into a report."""
    if rows == 0:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Persentase langkah selesai dalam waktu standar"
    chart.y_axis.title = "Dalam standar"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.legend = None
    chart.x_axis.delete = False  # openpyxl 3.1 hides both axes unless told otherwise
    chart.y_axis.delete = False
    share = STEP_HEADINGS.index("Persentase Dalam Standar (%)") + 1
    chart.add_data(Reference(sheet, min_col=share, min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=STEP_HEADINGS.index("Kegiatan") + 1, min_row=2, max_row=rows + 1))
    chart.width, chart.height = 22, 2 + rows * 1.2
    sheet.add_chart(chart, f"A{rows + 4}")


def _naive_times(row: list[object]) -> list[object]:
    """Excel keeps no zone: the province's wall time (the headings and `Keterangan` name the zone)."""
    return [value.replace(tzinfo=None) if isinstance(value, datetime) else value for value in row]


def _sheet(sheet: Worksheet, headings: Sequence[str], rows: list[list[object]], *, percent_column: int | None) -> None:
    sheet.append(list(headings))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for row_cells in sheet.iter_rows(min_row=2):
        for index, cell in enumerate(row_cells):
            if isinstance(cell.value, float):
                cell.number_format = "0.00%" if index == percent_column else "0.00"
            elif isinstance(cell.value, datetime):
                cell.number_format = "DD-MM-YYYY HH:MM"
    for index, heading in enumerate(headings, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(heading) + 2)
    sheet.freeze_panes = "A2"
