"""What the commands print: plain text tables for people, JSON for scripts, times in the reader's zone."""

import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from workers.mail_templates import format_duration

EMPTY = "–"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Rows under headers, columns padded to their widest cell and separated by two spaces."""
    cells = [list(headers), *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    rule = ["-" * width for width in widths]
    lines = [cells[0], rule, *cells[1:]]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def write(text: str = "") -> None:
    """One block of text on stdout."""
    print(text, file=sys.stdout)


def warn(text: str) -> None:
    """A warning line on stderr (the command goes on)."""
    print(f"Peringatan: {text}", file=sys.stderr)


def write_json(value: Any) -> None:
    """A JSON document on stdout (UTF-8 text, not escaped)."""
    print(json.dumps(value, ensure_ascii=False, indent=2), file=sys.stdout)


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 date-time from the REST API (`…Z` or with an offset), or None."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def short_time(moment: datetime | None, zone: timezone) -> str:
    """`02-03-2026 09.00 WITA`: the moment in the zone, with its abbreviation."""
    if moment is None:
        return EMPTY
    local = moment.astimezone(zone)
    return f"{local:%d-%m-%Y %H.%M} {zone.tzname(None)}"


def iso_time(moment: datetime | None, zone: timezone) -> str | None:
    """ISO 8601 in the reader's zone (`2026-03-02T09:00:00+08:00`), for JSON."""
    return None if moment is None else moment.astimezone(zone).isoformat()


def duration_text(duration: str | None) -> str:
    """`PT10M` → `10 menit`; an unreadable duration as written; none as a dash."""
    if not duration:
        return EMPTY
    try:
        return format_duration(duration)
    except ValueError:
        return duration
