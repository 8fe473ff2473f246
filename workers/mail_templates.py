"""The e-mail templates: a Jinja2 environment over `templates/` rendering one message into subject, text and HTML.

Each message is a folder `templates/<name>/` with `subject.txt`, `body.txt` and `body.html`; the bodies extend the
shared layouts in `templates/_layout/` (salutation, closing, signature, footer). HTML is autoescaped, text is not;
every variable must be given (`StrictUndefined`). Filters for the templates: `waktu` (an aware datetime in the
reader's zone with its abbreviation), `durasi` (an ISO-8601 duration in Indonesian), `nama_dokumen`,
`nama_sistem` and `status_akun` (codes to Indonesian labels). Errors are `WorkersError`s with messages in formal
Indonesian (operators read them in Operate's incidents); they name variables, never their values.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

import jinja2

from workers import document_rules
from workers.domain import TIME_ZONES
from workers.errors import WorkersError

__all__ = [
    "DEFAULT_TEMPLATE_DIR",
    "TIME_ZONES",
    "MailTemplateError",
    "MailTemplates",
    "RenderedMessage",
    "TemplateRenderError",
    "UnknownTemplateError",
    "format_duration",
    "format_time",
    "render",
    "zone_for_province",
]

DEFAULT_TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
"""`templates/` at the repository root."""

_ZONE_BY_PROVINCE_PREFIX = {"1": "WIB", "2": "WIB", "3": "WIB", "5": "WITA", "7": "WITA", "8": "WIT", "9": "WIT"}
_ZONE_BY_PROVINCE = {"61": "WIB", "62": "WIB", "63": "WITA", "64": "WITA", "65": "WITA"}

_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
_DURATION = re.compile(
    r"^P(?:(?P<tahun>\d+)Y)?(?:(?P<bulan>\d+)M)?(?:(?P<minggu>\d+)W)?(?:(?P<hari>\d+)D)?"
    r"(?:T(?:(?P<jam>\d+)H)?(?:(?P<menit>\d+)M)?(?:(?P<detik>\d+)S)?)?$"
)
_SYSTEM_LABELS = {
    "SiRUP": "SiRUP (Sistem Informasi Rencana Umum Pengadaan)",
    "SPSE": "SPSE (Sistem Pengadaan Secara Elektronik)",
    "SiPRAJA": "SiPRAJA (sistem informasi pengadaan Provinsi Kalimantan Barat)",
}
_STATUS_LABELS = {"ACTIVE": "aktif", "AKTIF": "aktif", "PENDING": "menunggu aktivasi"}
_LAYOUT_DIR = "_layout"
_PARTS = ("subject.txt", "body.txt", "body.html")


class MailTemplateError(WorkersError):
    """Base of the template errors: a bad template name or context is a defect, so retrying cannot help."""


class UnknownTemplateError(MailTemplateError):
    """The template name is not a folder under `templates/`; the message lists the known ones."""


class TemplateRenderError(MailTemplateError):
    """A template could not be rendered (a missing variable, a bad value for a filter)."""


@dataclass(frozen=True)
class RenderedMessage:
    """One rendered e-mail: a single-line subject, the plain-text body and the HTML body."""

    subject: str
    text: str
    html: str


def zone_for_province(province_code: str) -> str:
    """The zone abbreviation (WIB, WITA, WIT) for a two-digit province code (NIK digits 1–2), e.g. 61 → WIB."""
    if province_code in _ZONE_BY_PROVINCE:
        return _ZONE_BY_PROVINCE[province_code]
    try:
        return _ZONE_BY_PROVINCE_PREFIX[province_code[:1]]
    except KeyError:
        raise ValueError(f"kode provinsi {province_code!r} tidak dikenal") from None


def _zone(zona: str) -> timezone:
    """The fixed-offset zone for an abbreviation, or a ValueError naming the valid ones."""
    try:
        return TIME_ZONES[zona]
    except KeyError:
        raise ValueError(
            f"zona waktu {zona!r} tidak dikenal; gunakan salah satu dari {', '.join(TIME_ZONES)}"
        ) from None


def format_time(value: datetime | str, zona: str) -> str:
    """`Jumat, 21 November 2025 pukul 14.30 WIB`: an aware datetime (or ISO-8601 string) in the reader's zone."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("waktu dalam e-mail harus memuat zona waktu (timezone-aware); waktu tanpa zona bermakna ganda")
    local = moment.astimezone(_zone(zona))
    return (
        f"{_DAYS[local.weekday()]}, {local.day} {_MONTHS[local.month - 1]} {local.year} "
        f"pukul {local.hour:02d}.{local.minute:02d} {zona}"
    )


def format_duration(value: str) -> str:
    """An ISO-8601 duration in Indonesian: `PT10M` → `10 menit`, `P14D` → `14 hari`, `PT1H30M` → `1 jam 30 menit`."""
    match = _DURATION.fullmatch(value.strip())
    parts = [f"{int(n)} {unit}" for unit, n in match.groupdict().items() if n is not None] if match else []
    if not parts or value.strip().endswith("T"):
        raise ValueError(f"{value!r} bukan durasi ISO-8601")
    return " ".join(parts)


def _label(labels: Mapping[str, str]) -> Callable[[str], str]:
    """A filter mapping a code to its label, passing unknown codes through."""

    def apply(code: str) -> str:
        return labels.get(code, code)

    return apply


class MailTemplates:
    """The message templates under one directory, rendered with a shared strict environment."""

    def __init__(self, directory: Path | None = None) -> None:
        """Load templates from `directory` (default: `templates/` at the repository root)."""
        self.directory = directory or DEFAULT_TEMPLATE_DIR
        if not self.directory.is_dir():
            raise MailTemplateError(f"Direktori templat e-mail {self.directory} tidak ada.")
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.directory),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.environment.filters.update(
            waktu=format_time,
            durasi=format_duration,
            nama_dokumen=document_rules.label,
            nama_sistem=_label(_SYSTEM_LABELS),
            status_akun=_label(_STATUS_LABELS),
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The known message names: folders holding all three parts, layouts excluded, sorted."""
        return tuple(
            sorted(
                path.name
                for path in self.directory.iterdir()
                if path.is_dir() and not path.name.startswith("_") and all((path / part).is_file() for part in _PARTS)
            )
        )

    def render(self, template_name: str, context: Mapping[str, object]) -> RenderedMessage:
        """Render one message; raise UnknownTemplateError or TemplateRenderError with the reason."""
        known = self.names
        if template_name not in known:
            raise UnknownTemplateError(
                f"Templat e-mail {template_name!r} tidak dikenal; templat yang tersedia: {', '.join(known)}."
            )
        try:
            subject = " ".join(self._render(template_name, "subject.txt", context).split())
            variables = {"subjek": subject, **context}
            text = _tidy_text(self._render(template_name, "body.txt", variables))
            html = self._render(template_name, "body.html", variables)
        except jinja2.UndefinedError as exc:
            raise TemplateRenderError(f"Templat e-mail {template_name!r}: {_undefined(exc)}.") from exc
        except (ValueError, TypeError, jinja2.TemplateError) as exc:
            raise TemplateRenderError(f"Templat e-mail {template_name!r} tidak dapat disusun: {exc}.") from exc
        return RenderedMessage(subject=subject, text=text, html=html)

    def _render(self, template_name: str, part: str, context: Mapping[str, object]) -> str:
        """Render one part of a message."""
        return self.environment.get_template(f"{template_name}/{part}").render(context)


def _undefined(exc: jinja2.UndefinedError) -> str:
    """Jinja's "'x' is undefined" / "'dict object' has no attribute 'x'" in Indonesian."""
    message = exc.message or ""
    match = re.fullmatch(r"'([^']+)' is undefined", message)
    if match:
        return f"variabel '{match.group(1)}' tidak tersedia"
    match = re.fullmatch(r"'[^']+' has no attribute '([^']+)'", message)
    if match:
        return f"atribut '{match.group(1)}' tidak tersedia"
    return f"variabel tidak tersedia ({message})"


def _tidy_text(text: str) -> str:
    """Trailing spaces dropped, at most one blank line in a row, exactly one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


@cache
def _default() -> MailTemplates:
    """The templates under the default directory, loaded once."""
    return MailTemplates()


def render(template_name: str, context: Mapping[str, object]) -> RenderedMessage:
    """Render a message from `templates/` at the repository root (see MailTemplates.render)."""
    return _default().render(template_name, context)
