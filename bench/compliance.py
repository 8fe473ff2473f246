"""Figures for the compliance report and the working calendar: prints a markdown table; never a timed assertion.

    .venv/bin/python -m bench.compliance            # a year of SOP 1: 5,000 requests, 35,000 element instances
    .venv/bin/python -m bench.compliance --quick    # 500 requests

What it measures (issue 15): how long `pbj.compliance.build_report` takes over a year of history as the `/v2`
element-instance search returns it (every request through rows 2, 5, 6, 7, 8 with durations spread over office
hours, nights and weekends, some still running), and how long one `WorkingCalendar.deadline` takes for a standard
time of ten minutes, of five working days, and of 15,000 working hours (years away: bounded day steps).
"""

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pbj.commands.standar import read_standards
from pbj.compliance import Period, build_report
from workers.domain import WITA, RequestKind
from workers.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
STEPS: tuple[str, ...] = ("PeriksaKelengkapanBerkasTask", "BuatAkunAdminPpeTask", "KirimInformasiAkunTask")
STEPS += ("SampaikanAkunKeAdminPpeTask", "ArsipkanDokumenTask")


def history(requests: int, seed: int = 15) -> list[dict[str, Any]]:
    """Element instances of `requests` SOP 1 requests spread over 2026, as the REST search returns them."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    for key in range(requests):
        moment = datetime(2026, 1, 1, tzinfo=WITA) + timedelta(minutes=rng.randrange(365 * 24 * 60))
        elements = [("PermohonanDiajukanStartEvent", timedelta(0)), ("BerkasLengkapGateway", timedelta(0))]
        elements += [(step, timedelta(minutes=rng.choice((2, 5, 9, 14, 40, 600, 3000)))) for step in STEPS]
        running = rng.random() < 0.02
        for index, (element_id, duration) in enumerate(elements):
            end = None if running and index == len(elements) - 1 else moment + duration
            items.append(
                {
                    "processInstanceKey": str(key),
                    "processDefinitionId": "registrasiAdminPpe",
                    "elementId": element_id,
                    "state": "ACTIVE" if end is None else "COMPLETED",
                    "startDate": moment.astimezone(UTC).isoformat(),
                    "endDate": None if end is None else end.astimezone(UTC).isoformat(),
                }
            )
            moment = end or moment
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 requests instead of 5,000")
    args = parser.parse_args()
    requests = 500 if args.quick else 5000
    calendar = Settings.from_env({}).working_time.calendar(RequestKind.ADMIN_PPE)
    standards = {"": read_standards((ROOT / "bpmn" / "registrasi-admin-ppe.bpmn").read_bytes())}
    items = history(requests)
    as_of = datetime(2027, 1, 15, tzinfo=WITA)

    rows = []
    began = time.perf_counter()
    report = build_report(
        RequestKind.ADMIN_PPE, calendar, Period(date(2026, 1, 1), date(2026, 12, 31)), as_of, items, standards
    )
    rows.append((f"build_report, {requests} requests, {len(items)} element instances", time.perf_counter() - began))
    assert report.request_figures.done + report.request_figures.running == requests
    start = datetime(2026, 3, 6, 16, 25, tzinfo=WITA)
    for standard, repeat in (("PT10M", 2000), ("P5D", 2000), ("PT15000H", 5)):
        began = time.perf_counter()
        for _ in range(repeat):
            calendar.deadline(start, standard)
        rows.append((f"WorkingCalendar.deadline {standard} (mean of {repeat})", (time.perf_counter() - began) / repeat))

    print("| what | seconds |\n|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.6f} |")


if __name__ == "__main__":
    main()
