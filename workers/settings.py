"""The workers' settings: read once from the environment into one frozen object.

`Settings.from_env()` reads `os.environ` (or the mapping it is given), applies the defaults below, checks every
value and raises `SettingsError` naming the first setting that is missing or malformed. An empty value counts as
unset, so a copied `.env.example` with blank secrets works. Secrets are kept out of `repr()`. See `.env.example`.
"""

import calendar
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.utils import parseaddr
from pathlib import Path
from types import MappingProxyType
from typing import Literal, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from workers.authorization import basic_authorization, is_loopback_address
from workers.domain import DocumentType
from workers.errors import SettingsError
from workers.working_time import (
    DEFAULT_OFFICE_HOURS,
    PROVINCE_CODES,
    OfficeHours,
    WorkingTimeSettings,
    parse_closed_days,
)

T = TypeVar("T")

DEFAULT_DATA_DIR = ".data"
DEFAULT_ZEEBE_ADDRESS = "localhost:26500"
DEFAULT_MAIL_FROM = "Biro Pengadaan Barang/Jasa <no-reply@pbj.localhost>"
DEFAULT_APP_URL = "http://localhost:8000"
DEFAULT_SPSE_LOGIN_URL = "https://spse.inaproc.id"
DEFAULT_SIGNATURE_ADMIN_PPE = "PM Direktorat e-Procurement LKPP"
DEFAULT_SIGNATURE_PPBJ = "Admin PPE LPSE Provinsi Kalimantan Barat"
DEFAULT_DOCUMENT_MAX_SIZE = 10 * 1024 * 1024
DEFAULT_APPLICANT_LINK_TTL = timedelta(days=30)
SET_PASSWORD_PATH = "/atur-kata-sandi"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
BASIC_AUTH_USERNAME = "CAMUNDA_BASIC_AUTH_USERNAME"
BASIC_AUTH_PASSWORD = "CAMUNDA_BASIC_AUTH_PASSWORD"
"""Camunda's own clients' names (@camunda8/sdk, orchestration-cluster-api) for basic authentication; Camunda has
no `ZEEBE_` names for it, so neither do we."""

_TRUE = {"1", "true", "yes", "on", "ya"}
_FALSE = {"0", "false", "no", "off", "tidak"}
_SIZE = re.compile(r"^(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3}
_PERIOD = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_DURATION = re.compile(r"^P(?!$)(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_DOMAIN = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")


@dataclass(frozen=True)
class Period:
    """A calendar period (ISO 8601 `PnYnMnWnD`), added to dates the way people count years and months."""

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> "Period":
        """Parse `P5Y`, `P18M`, `P2W`, `P1Y6M`…; raise `ValueError` on anything else."""
        match = _PERIOD.match(text.strip().upper())
        if not match:
            raise ValueError(text)
        years, months, weeks, days = (int(group) if group else 0 for group in match.groups())
        return cls(years=years, months=months, days=weeks * 7 + days)

    def after(self, start: date) -> date:
        """The date this period after `start`; the 31st or 29 February fall back to the month's last day."""
        month_index = start.month - 1 + self.months
        year = start.year + self.years + month_index // 12
        month = month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return date(year, month, day) + timedelta(days=self.days)

    def __str__(self) -> str:
        """ISO 8601 form, e.g. `P5Y`."""
        parts = [f"{value}{unit}" for value, unit in ((self.years, "Y"), (self.months, "M"), (self.days, "D")) if value]
        return "P" + ("".join(parts) or "0D")


@dataclass(frozen=True)
class RetentionPolicy:
    """How long archived documents are kept: a default and optional periods per document type."""

    default: Period = Period(years=5)
    per_document_type: Mapping[DocumentType, Period] = field(default_factory=lambda: MappingProxyType({}))

    def period_for(self, document_type: str) -> Period:
        """The retention period of a document type."""
        try:
            return self.per_document_type.get(DocumentType(document_type), self.default)
        except ValueError:
            return self.default

    def until(self, document_type: str, start: date) -> date:
        """The last day a document of this type archived on `start` must be kept."""
        return self.period_for(document_type).after(start)


@dataclass(frozen=True)
class ZeebeSettings:
    """Where the Zeebe gateway is, whether it speaks TLS (and with which CA) and how clients authenticate: none,
    basic authentication (`CAMUNDA_BASIC_AUTH_USERNAME`/`CAMUNDA_BASIC_AUTH_PASSWORD`: the embedded engine, Camunda
    8.8 self-managed with basic authentication) or OAuth client credentials (Camunda SaaS, a cluster with an
    identity provider) – never both. The same credentials serve the gRPC gateway and the REST API."""

    address: str = DEFAULT_ZEEBE_ADDRESS
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    authorization_server_url: str | None = None
    token_audience: str | None = None
    tls: bool = False
    ca_certificate_path: Path | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def uses_oauth(self) -> bool:
        """Whether to connect with OAuth client credentials (a secure channel) instead of a plain channel."""
        return self.client_id is not None

    @property
    def uses_basic_auth(self) -> bool:
        """Whether every gRPC call and REST request carries a name and password (basic authentication)."""
        return self.username is not None

    @property
    def basic_authorization(self) -> str | None:
        """The `Authorization` value of basic authentication, or None without a name and password."""
        if self.username is None or self.password is None:
            return None
        return basic_authorization(self.username, self.password)

    @property
    def credentials_in_clear(self) -> bool:
        """Whether a password goes over plain text to a host beyond this machine (only on a private network)."""
        return self.uses_basic_auth and not self.tls and not is_loopback_address(self.address)

    @property
    def uses_tls(self) -> bool:
        """Whether the channel is encrypted: asked for with ZEEBE_TLS, and always with OAuth client credentials."""
        return self.tls or self.uses_oauth

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "ZeebeSettings":
        """Only the Zeebe settings (for `pbj deploy`), checked as `Settings.from_env` checks them."""
        return _zeebe(_Env(os.environ if environ is None else environ))


@dataclass(frozen=True)
class SmtpSettings:
    """The outgoing mail server and the sender address."""

    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    tls: bool = False
    timeout: float = 30.0
    mail_from: str = DEFAULT_MAIL_FROM


@dataclass(frozen=True)
class ProvisioningSettings:
    """Which provisioning adapter creates accounts, and how account holders set their password."""

    adapter: Literal["builtin", "http"] = "builtin"
    base_url: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    set_password_url: str | None = None
    """An outside page where holders set their password (with `PROVISIONING_ADAPTER=http`); None: the web
    application's `/atur-kata-sandi`."""
    token_lifetime: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Settings:
    """Every setting of the workers, read once at start-up."""

    data_dir: Path
    database_url: str = field(repr=False)
    zeebe: ZeebeSettings = ZeebeSettings()
    smtp: SmtpSettings = SmtpSettings()
    provisioning: ProvisioningSettings = ProvisioningSettings()
    app_url: str = DEFAULT_APP_URL
    applicant_link_ttl: timedelta = DEFAULT_APPLICANT_LINK_TTL
    spse_login_url: str = DEFAULT_SPSE_LOGIN_URL
    mail_signature_admin_ppe: str = DEFAULT_SIGNATURE_ADMIN_PPE
    mail_signature_ppbj: str = DEFAULT_SIGNATURE_PPBJ
    pm_lkpp_email: str | None = None
    lpse_admin_ppe_email: str | None = None
    document_max_size: int = DEFAULT_DOCUMENT_MAX_SIZE
    retention: RetentionPolicy = RetentionPolicy()
    bureau_head_email: str | None = None
    official_email_domains: tuple[str, ...] = ("go.id",)
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "console"
    working_time: WorkingTimeSettings = field(default_factory=WorkingTimeSettings)

    @property
    def documents_dir(self) -> Path:
        """Root of the local content-addressed document store."""
        return self.data_dir / "dokumen"

    @property
    def archive_dir(self) -> Path:
        """Where the per-request archives are written."""
        return self.data_dir / "arsip"

    @property
    def database_url_for_display(self) -> str:
        """The database URL with any password hidden, for start-up messages."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    def set_password_link(self, token: str) -> str:
        """The one-time set-password link for a raw token (goes into the holder's e-mail only)."""
        return _add_query(self.provisioning.set_password_url or self.app_link(SET_PASSWORD_PATH), t=token)

    def app_link(self, path: str, **query: str) -> str:
        """A page of the bureau's web application (`APP_URL` + `path`), e.g. `app_link("/permohonan/baru")`; the
        paths themselves are built in `workers.links`."""
        url = self.app_url.rstrip("/") + "/" + quote(path.lstrip("/"), safe="/-._~")
        return _add_query(url, **query) if query else url

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read and check every setting; raise `SettingsError` naming the first bad one."""
        env = _Env(os.environ if environ is None else environ)
        data_dir = Path(env.get("PBJ_DATA_DIR") or DEFAULT_DATA_DIR).expanduser().resolve()
        return cls(
            data_dir=data_dir,
            database_url=env.parse("DATABASE_URL", _database_url, default=default_database_url(data_dir)),
            zeebe=_zeebe(env),
            smtp=_smtp(env),
            provisioning=_provisioning(env),
            app_url=env.parse("APP_URL", _app_url, default=DEFAULT_APP_URL),
            applicant_link_ttl=env.parse("APPLICANT_LINK_TTL", parse_duration, default=DEFAULT_APPLICANT_LINK_TTL),
            spse_login_url=env.parse("SPSE_LOGIN_URL", _http_url, default=DEFAULT_SPSE_LOGIN_URL),
            mail_signature_admin_ppe=env.parse(
                "MAIL_SIGNATURE_ADMIN_PPE", _signature, default=DEFAULT_SIGNATURE_ADMIN_PPE
            ),
            mail_signature_ppbj=env.parse("MAIL_SIGNATURE_PPBJ", _signature, default=DEFAULT_SIGNATURE_PPBJ),
            pm_lkpp_email=env.parse("PM_LKPP_EMAIL", _mail_from, default=None),
            lpse_admin_ppe_email=env.parse("LPSE_ADMIN_PPE_EMAIL", _mail_from, default=None),
            document_max_size=env.parse("DOCUMENT_MAX_SIZE", _size, default=DEFAULT_DOCUMENT_MAX_SIZE),
            retention=RetentionPolicy(
                default=env.parse("DOCUMENT_RETENTION_DEFAULT", _period, default=Period(years=5)),
                per_document_type=env.parse("DOCUMENT_RETENTION", _retention_map, default=MappingProxyType({})),
            ),
            bureau_head_email=env.parse("BUREAU_HEAD_EMAIL", _email, default=None),
            official_email_domains=env.parse("OFFICIAL_EMAIL_DOMAINS", _domains, default=("go.id",)),
            log_level=env.parse("LOG_LEVEL", _log_level, default="INFO"),
            log_format=env.parse("LOG_FORMAT", _log_format, default="console"),
            working_time=_working_time(env),
        )


def default_database_url(data_dir: Path) -> str:
    """The default database: a SQLite file `pbj.sqlite3` in the data directory."""
    return URL.create("sqlite", database=str(data_dir / "pbj.sqlite3")).render_as_string()


class _Env:
    """Environment access that treats empty values as unset and turns parse failures into `SettingsError`."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, *names: str) -> str | None:
        """The first non-empty value among `names` (stripped), or None."""
        for name in names:
            value = self._environ.get(name, "").strip()
            if value:
                return value
        return None

    def secret(self, name: str) -> str | None:
        """A password exactly as given (spaces are part of it, as the engine reads its own); None when blank."""
        value = self._environ.get(name, "")
        return value if value.strip() else None

    def name_of(self, *names: str) -> str:
        """The name among `names` that is set, else the first one (for error messages)."""
        return next((name for name in names if self.get(name) is not None), names[0])

    def parse(self, name: str, parser: Callable[[str], T], *, default: T, aliases: tuple[str, ...] = ()) -> T:
        """Parse the setting with `parser` (which raises `ValueError` with a reason) or return `default`."""
        names = (*aliases, name) if aliases else (name,)
        raw = self.get(*names)
        if raw is None:
            return default
        try:
            return parser(raw)
        except ValueError as exc:
            raise SettingsError(self.name_of(*names), str(exc)) from None


def _database_url(raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ValueError(
            "bukan URL basis data yang sah (contoh: sqlite:///.data/pbj.sqlite3 atau "
            "postgresql+psycopg://pengguna@host/pbj)."
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return raw
    if backend == "postgresql":
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    raise ValueError(f"basis data {backend!r} tidak didukung; gunakan sqlite atau postgresql.")


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{raw!r} bukan URL http(s) yang sah.")
    return raw


def _app_url(raw: str) -> str:
    parts = urlsplit(_http_url(raw))
    if parts.query or parts.fragment:
        raise ValueError(f"{raw!r} tidak boleh memuat ? atau #: hanya alamat dan jalur aplikasi web.")
    return raw


def _port(raw: str) -> int:
    if raw.isdigit() and 1 <= int(raw) <= 65535:
        return int(raw)
    raise ValueError(f"{raw!r} bukan nomor port (1–65535).")


def _bool(raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValueError(f"{raw!r} bukan nilai ya/tidak (true/false, 1/0).")


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} bukan jumlah detik.") from None
    if not 0 < value <= 3600:
        raise ValueError(f"{raw!r} harus lebih dari 0 dan paling lama 3600 detik.")
    return value


def _size(raw: str) -> int:
    match = _SIZE.match(raw)
    if not match:
        raise ValueError(f"{raw!r} bukan ukuran berkas (contoh: 10MiB, 512KB, 1048576).")
    size = int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()]
    if size <= 0:
        raise ValueError("ukuran berkas harus lebih dari 0.")
    return size


def _period(raw: str) -> Period:
    try:
        period = Period.parse(raw)
    except ValueError:
        raise ValueError(f"{raw!r} bukan durasi ISO 8601 dalam tahun/bulan/minggu/hari (contoh: P5Y, P18M).") from None
    if period == Period():
        raise ValueError("masa retensi harus lebih dari 0.")
    return period


def parse_duration(raw: str) -> timedelta:
    """An ISO 8601 duration in days, hours, minutes and seconds between 5 minutes and 30 days (`PT24H`, `P2D`)."""
    match = _DURATION.match(raw.upper())
    if not match:
        raise ValueError(f"{raw!r} bukan durasi ISO 8601 dalam hari/jam/menit/detik (contoh: PT24H, P2D).")
    days, hours, minutes, seconds = (int(group) if group else 0 for group in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not timedelta(minutes=5) <= duration <= timedelta(days=30):
        raise ValueError(f"{raw!r} harus antara 5 menit (PT5M) dan 30 hari (P30D).")
    return duration


def _retention_map(raw: str) -> Mapping[DocumentType, Period]:
    result: dict[DocumentType, Period] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, value = item.partition("=")
        try:
            document_type = DocumentType(name.strip().upper())
        except ValueError:
            known = ", ".join(DocumentType)
            raise ValueError(f"jenis dokumen {name.strip()!r} tidak dikenal (yang dikenal: {known}).") from None
        if not sep:
            raise ValueError(f"{item!r} harus berbentuk JENIS=DURASI, contoh KTP_ADMIN_PPE=P2Y.")
        result[document_type] = _period(value.strip())
    return MappingProxyType(result)


def _email(raw: str) -> str:
    _, address = parseaddr(raw)
    local, at, domain = address.rpartition("@")
    if not at or not local or not _DOMAIN.match(domain.lower()) or "." not in domain or " " in local:
        raise ValueError("bukan alamat e-mail yang sah.")
    return address


def _mail_from(raw: str) -> str:
    _email(raw)
    return raw


def _signature(raw: str) -> str:
    if len(raw) > 200 or any(ch in raw for ch in "\r\n<>"):
        raise ValueError("harus satu baris teks tanpa tanda < atau >, paling panjang 200 karakter.")
    return raw


def _domains(raw: str) -> tuple[str, ...]:
    domains = tuple(part.strip().lower().strip(".") for part in raw.split(",") if part.strip())
    bad = [domain for domain in domains if not _DOMAIN.match(domain)]
    if bad or not domains:
        raise ValueError(f"{', '.join(bad) or raw!r} bukan daftar nama domain (contoh: go.id,kalbarprov.go.id).")
    return domains


def _log_level(raw: str) -> str:
    if raw.upper() not in LOG_LEVELS:
        raise ValueError(f"{raw!r} bukan tingkat log ({', '.join(LOG_LEVELS)}).")
    return raw.upper()


def _log_format(raw: str) -> Literal["json", "console"]:
    value = raw.lower()
    if value == "json":
        return "json"
    if value == "console":
        return "console"
    raise ValueError(f"{raw!r} bukan format log (json atau console).")


def _zeebe_address(raw: str) -> str:
    if any(ch.isspace() for ch in raw):
        raise ValueError(f"{raw!r} bukan alamat gateway Zeebe (contoh: localhost:26500).")
    if "://" not in raw:
        host, sep, port = raw.rpartition(":")
        if not sep or not host:
            raise ValueError(f"{raw!r} harus berbentuk host:port (contoh: localhost:26500).")
        _port(port)
    return raw


def _readable_file(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_file() or not os.access(path, os.R_OK):
        raise ValueError(f"berkas {raw!r} tidak ditemukan atau tidak dapat dibaca.")
    return path


def _zeebe(env: _Env) -> ZeebeSettings:
    client_id = env.get("CAMUNDA_CLIENT_ID", "ZEEBE_CLIENT_ID")
    client_secret = env.get("CAMUNDA_CLIENT_SECRET", "ZEEBE_CLIENT_SECRET")
    oauth_aliases = ("CAMUNDA_OAUTH_URL",)
    auth_url = env.parse("ZEEBE_AUTHORIZATION_SERVER_URL", _http_url, default=None, aliases=oauth_aliases)
    given = {
        "ZEEBE_CLIENT_ID": client_id,
        "ZEEBE_CLIENT_SECRET": client_secret,
        "ZEEBE_AUTHORIZATION_SERVER_URL": auth_url,
    }
    if any(given.values()):
        for name, value in given.items():
            if value is None:
                raise SettingsError(
                    name,
                    "wajib diisi bila kredensial OAuth Zeebe/Camunda digunakan "
                    "(ZEEBE_CLIENT_ID, ZEEBE_CLIENT_SECRET, ZEEBE_AUTHORIZATION_SERVER_URL "
                    "atau padanan CAMUNDA_*).",
                )
    username, password = env.get(BASIC_AUTH_USERNAME), env.secret(BASIC_AUTH_PASSWORD)
    if username and not password:
        raise SettingsError(BASIC_AUTH_PASSWORD, f"wajib diisi bila {BASIC_AUTH_USERNAME} diisi.")
    if password and not username:
        raise SettingsError(BASIC_AUTH_USERNAME, f"wajib diisi bila {BASIC_AUTH_PASSWORD} diisi.")
    if username and ":" in username:
        raise SettingsError(BASIC_AUTH_USERNAME, "tidak boleh memuat titik dua (:).")
    if username and client_id:
        raise SettingsError(
            BASIC_AUTH_USERNAME,
            "autentikasi dasar (CAMUNDA_BASIC_AUTH_USERNAME, CAMUNDA_BASIC_AUTH_PASSWORD) dan kredensial OAuth "
            "(ZEEBE_CLIENT_ID, ZEEBE_CLIENT_SECRET, ZEEBE_AUTHORIZATION_SERVER_URL) tidak dapat digunakan "
            "bersamaan; pilih salah satu.",
        )
    ca_path = env.parse("ZEEBE_CA_CERTIFICATE_PATH", _readable_file, default=None)
    tls = env.parse("ZEEBE_TLS", _bool, default=bool(client_id or ca_path))
    if not tls and client_id:
        raise SettingsError(
            "ZEEBE_TLS",
            "kredensial OAuth selalu dikirim melalui TLS; hapus ZEEBE_TLS=false. Mesin proses bawaan (pbj engine) "
            "tidak melayani TLS: gunakan CAMUNDA_BASIC_AUTH_USERNAME dan CAMUNDA_BASIC_AUTH_PASSWORD (id dan "
            "rahasia klien API juga diterima sebagai nama dan kata sandi).",
        )
    if not tls and ca_path:
        raise SettingsError("ZEEBE_TLS", "ZEEBE_CA_CERTIFICATE_PATH hanya berlaku dengan TLS; hapus ZEEBE_TLS=false.")
    return ZeebeSettings(
        address=env.parse("ZEEBE_ADDRESS", _zeebe_address, default=DEFAULT_ZEEBE_ADDRESS),
        client_id=client_id,
        client_secret=client_secret,
        authorization_server_url=auth_url,
        token_audience=env.get("CAMUNDA_TOKEN_AUDIENCE", "ZEEBE_TOKEN_AUDIENCE"),
        tls=tls,
        ca_certificate_path=ca_path,
        username=username,
        password=password,
    )


def _smtp(env: _Env) -> SmtpSettings:
    tls = env.parse("SMTP_TLS", _bool, default=False)
    starttls = env.parse("SMTP_STARTTLS", _bool, default=False)
    if tls and starttls:
        raise SettingsError(
            "SMTP_TLS",
            "SMTP_TLS (TLS langsung, biasanya port 465) dan SMTP_STARTTLS "
            "(biasanya port 587) tidak dapat diaktifkan bersamaan.",
        )
    username, password = env.get("SMTP_USERNAME"), env.get("SMTP_PASSWORD")
    if username and not password:
        raise SettingsError("SMTP_PASSWORD", "wajib diisi bila SMTP_USERNAME diisi.")
    if password and not username:
        raise SettingsError("SMTP_USERNAME", "wajib diisi bila SMTP_PASSWORD diisi.")
    default_port = 465 if tls else 587 if starttls else 25
    return SmtpSettings(
        host=env.get("SMTP_HOST") or "localhost",
        port=env.parse("SMTP_PORT", _port, default=default_port),
        username=username,
        password=password,
        starttls=starttls,
        tls=tls,
        timeout=env.parse("SMTP_TIMEOUT", _seconds, default=30.0),
        mail_from=env.parse("MAIL_FROM", _mail_from, default=DEFAULT_MAIL_FROM),
    )


def _provisioning(env: _Env) -> ProvisioningSettings:
    adapter = (env.get("PROVISIONING_ADAPTER") or "builtin").lower()
    if adapter not in ("builtin", "http"):
        raise SettingsError("PROVISIONING_ADAPTER", f"{adapter!r} tidak dikenal; pilih builtin atau http.")
    base_url = env.parse("PROVISIONING_BASE_URL", _http_url, default=None)
    if adapter == "http" and base_url is None:
        raise SettingsError("PROVISIONING_BASE_URL", "wajib diisi bila PROVISIONING_ADAPTER=http.")
    username, password = env.get("PROVISIONING_USERNAME"), env.get("PROVISIONING_PASSWORD")
    if username and not password:
        raise SettingsError("PROVISIONING_PASSWORD", "wajib diisi bila PROVISIONING_USERNAME diisi.")
    if password and not username:
        raise SettingsError("PROVISIONING_USERNAME", "wajib diisi bila PROVISIONING_PASSWORD diisi.")
    return ProvisioningSettings(
        adapter="http" if adapter == "http" else "builtin",
        base_url=base_url,
        username=username,
        password=password,
        timeout=env.parse("PROVISIONING_TIMEOUT", _seconds, default=10.0),
        set_password_url=env.parse("SET_PASSWORD_URL", _http_url, default=None),
        token_lifetime=env.parse("SET_PASSWORD_TOKEN_TTL", parse_duration, default=timedelta(hours=24)),
    )


def _working_time(env: _Env) -> WorkingTimeSettings:
    """Each province's office hours (`OFFICE_HOURS_KALTIM`, `OFFICE_HOURS_KALBAR`) and the bureau's additional
    closed days (`CLOSED_DAYS_KALTIM`, `CLOSED_DAYS_KALBAR`); see `workers.working_time`."""
    default_hours = OfficeHours.parse(DEFAULT_OFFICE_HOURS)
    return WorkingTimeSettings(
        office_hours=MappingProxyType(
            {
                kind: env.parse(f"OFFICE_HOURS_{code}", _office_hours, default=default_hours)
                for kind, code in PROVINCE_CODES.items()
            }
        ),
        closed_days=MappingProxyType(
            {
                kind: env.parse(f"CLOSED_DAYS_{code}", parse_closed_days, default=frozenset())
                for kind, code in PROVINCE_CODES.items()
            }
        ),
    )


def _office_hours(raw: str) -> OfficeHours:
    hours = OfficeHours.parse(raw)
    if not any(hours.days):
        raise ValueError("tidak ada hari kerja; contoh: Sen-Kam 07:30-16:00; Jum 07:30-16:30.")
    return hours


def _add_query(url: str, **params: str) -> str:
    """`url` with `params` added to its query string."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))
