"""The SOP compliance report (`/laporan/kepatuhan`) and its downloads (`.csv`, `.xlsx`, the chart as `.svg`).

For a period (whole days), a province and an SOP: per step and per request the figures of `pbj.compliance`
(`fetch_report`: the process history over `/v2`, the standards of the deployed diagrams, the province's working
calendar), as tables on the page, a bar chart of the share within the standard per step (SVG drawn here) and files
(`pbj.compliance_export`). Bad input – a date that is not one, a period reversed, an unknown SOP or province, an SOP
the province does not run – is said on the page, in Indonesian, and nothing is computed. Any logged-in staff member
may read it; it carries no personal data beyond request numbers.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from pbj.compliance import ComplianceError, ComplianceReport, Period, fetch_report, minutes
from pbj.compliance_export import requests_csv, steps_csv, workbook_bytes
from web.app import WebApp, app_of, in_thread, session_of
from web.authz import require_staff
from web.charts import percent, share_chart
from web.pages.tasks import login_redirect
from workers.domain import RequestKind
from workers.mail_templates import format_duration

routes = web.RouteTableDef()
REPORT = "/laporan/kepatuhan"
PROVINCES = {"kaltim": "Kalimantan Timur", "kalbar": "Kalimantan Barat"}
SOPS = {kind.process_id: kind for kind in RequestKind}
TABLES = {"langkah": steps_csv, "permohonan": requests_csv}


@dataclass(frozen=True)
class Choice:
    """What the form asked for, as given (to show it again), and the problems with it."""

    first: str
    last: str
    province: str
    sop: str
    problems: tuple[str, ...] = ()
    kind: RequestKind | None = None
    period: Period | None = None

    def query(self, **extra: str) -> str:
        """The choice as a query string (for the download links)."""
        return urlencode({"dari": self.first, "sampai": self.last, "provinsi": self.province, "sop": self.sop, **extra})


def read_choice(query: Any, today: date) -> Choice:
    """The form's values, checked; defaults (this month so far, SOP 1) when nothing was asked."""
    first = str(query.get("dari", today.replace(day=1).isoformat()))[:20]
    last = str(query.get("sampai", today.isoformat()))[:20]
    province = str(query.get("provinsi", "kaltim"))[:20]
    sop = str(query.get("sop", RequestKind.ADMIN_PPE.process_id))[:40]
    problems: list[str] = []
    dates: list[date] = []
    for label, text in (("awal", first), ("akhir", last)):
        try:
            dates.append(date.fromisoformat(text))
        except ValueError:
            problems.append(f"Tanggal {label} periode tidak sah: isi dengan tanggal (hari-bulan-tahun).")
    kind = SOPS.get(sop)
    if kind is None:
        problems.append("SOP yang dipilih tidak dikenal: pilih Registrasi Admin PPE atau Pendaftaran Akun PPBJ.")
    if province not in PROVINCES:
        problems.append("Provinsi yang dipilih tidak dikenal: pilih Kalimantan Timur atau Kalimantan Barat.")
    elif kind is not None and kind.province != PROVINCES[province]:
        problems.append(
            f"SOP {kind.sop_name} tidak dijalankan oleh Provinsi {PROVINCES[province]}, melainkan oleh "
            f"Provinsi {kind.province}."
        )
    period = None
    if len(dates) == 2:
        try:
            period = Period(dates[0], dates[1])
        except ComplianceError as exc:
            problems.append(str(exc))
    return Choice(first, last, province, sop, tuple(problems), kind if not problems else None, period)


async def _report(webapp: WebApp, choice: Choice) -> ComplianceReport:
    assert choice.kind is not None and choice.period is not None
    calendar = webapp.settings.app.working_time.calendar(choice.kind)
    return await fetch_report(webapp.rest, choice.kind, calendar, choice.period, webapp.store.now())


def _chart(report: ComplianceReport) -> str:
    title = f"Persentase langkah selesai dalam waktu standar – {report.kind.sop_name}"
    return share_chart(title, [(step.name, step.figures.share_within) for step in report.steps])


def _staff(request: web.Request) -> None:
    session = session_of(request)
    if session.staff is None:
        raise login_redirect(app_of(request), request)
    require_staff(session)


def _choice(request: web.Request) -> Choice:
    return read_choice(request.query, app_of(request).store.now().date())


@routes.get(REPORT)
async def kepatuhan(request: web.Request) -> web.Response:
    """The form and, once asked, the figures."""
    webapp = app_of(request)
    _staff(request)
    choice = _choice(request)
    asked = "sop" in request.query
    report = await _report(webapp, choice) if asked and not choice.problems else None
    return _page(request, choice, report, asked=asked)


def _page(request: web.Request, choice: Choice, report: ComplianceReport | None, *, asked: bool) -> web.Response:
    return app_of(request).render(
        request,
        "laporan_kepatuhan.html",
        status=400 if asked and choice.problems else 200,
        pilihan=choice,
        provinsi=PROVINCES,
        sop={key: kind.sop_name for key, kind in SOPS.items()},
        laporan=report,
        masalah=choice.problems if asked else (),
        grafik=Markup(_chart(report)) if report is not None else None,
        format_durasi=format_duration,
        persen=percent,
        menit=_minutes,
        zona="" if report is None else report.kind.zone,
    )


def _minutes(value: timedelta | None) -> str:
    """Working minutes with two decimals and a decimal comma (as the CSV), `–` where there is none."""
    amount = minutes(value)
    return "–" if amount is None else f"{amount:.2f}".replace(".", ",")


async def _download(request: web.Request) -> tuple[Choice, ComplianceReport]:
    """The choice and its figures for a file; bad input answers with the page saying why (400), no file."""
    _staff(request)
    choice = _choice(request)
    if choice.problems:
        page = _page(request, choice, None, asked=True)
        raise web.HTTPBadRequest(text=page.text, content_type="text/html")
    return choice, await _report(app_of(request), choice)


def _file_name(choice: Choice, suffix: str) -> str:
    return f"kepatuhan-{choice.sop}-{choice.first}-{choice.last}{suffix}"


def _attachment(body: bytes, content_type: str, name: str) -> web.Response:
    response = web.Response(body=body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@routes.get(REPORT + ".csv")
async def kepatuhan_csv(request: web.Request) -> web.Response:
    """A table of the report as CSV: per step (`tabel=langkah`, the default) or per request (`tabel=permohonan`)."""
    choice, report = await _download(request)
    table = request.query.get("tabel", "langkah")
    writer = TABLES.get(table, steps_csv)
    name = _file_name(choice, f"-{table if table in TABLES else 'langkah'}.csv")
    response = _attachment(await in_thread(writer, report), "text/csv", name)
    response.charset = "utf-8"
    return response


@routes.get(REPORT + ".xlsx")
async def kepatuhan_xlsx(request: web.Request) -> web.Response:
    """The whole report as an XLSX workbook."""
    choice, report = await _download(request)
    body = await in_thread(workbook_bytes, report)
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _attachment(body, kind, _file_name(choice, ".xlsx"))


@routes.get(REPORT + ".svg")
async def kepatuhan_svg(request: web.Request) -> web.Response:
    """The chart of the share within the standard per step, as an SVG file."""
    choice, report = await _download(request)
    return _attachment(_chart(report).encode(), "image/svg+xml", _file_name(choice, ".svg"))
