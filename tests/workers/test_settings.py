"""Settings from the environment: defaults, every setting parsed, every malformed value named in the error."""

import base64
import dataclasses
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path

import pytest

from pbj.commands.settings import CommandSettings
from workers.domain import DocumentType
from workers.errors import SettingsError
from workers.settings import Period, Settings

ROOT = Path(__file__).resolve().parents[2]


class RecordingEnv(Mapping[str, str]):
    """An environment that remembers which names were looked up."""

    def __init__(self, data: dict[str, str]) -> None:
        self.data = data
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def env_example() -> dict[str, str]:
    """The assignments of `.env.example` as an environment."""
    values: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_defaults_work_without_any_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty environment gives a complete, local configuration: SQLite under ./.data, embedded engine, builtin."""
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.data_dir == tmp_path / ".data"
    assert settings.database_url == f"sqlite:///{tmp_path / '.data' / 'pbj.sqlite3'}"
    assert settings.documents_dir == tmp_path / ".data" / "dokumen"
    assert settings.archive_dir == tmp_path / ".data" / "arsip"
    assert settings.zeebe.address == "localhost:26500"
    assert not settings.zeebe.uses_oauth
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.starttls, settings.smtp.tls) == (
        "localhost",
        25,
        False,
        False,
    )
    assert settings.provisioning.adapter == "builtin"
    assert settings.provisioning.token_lifetime == timedelta(hours=24)
    assert settings.document_max_size == 10 * 1024 * 1024
    assert settings.retention.period_for(DocumentType.KTP_ADMIN_PPE) == Period(years=5)
    assert settings.official_email_domains == ("go.id",)
    assert settings.bureau_head_email is None
    assert (settings.pm_lkpp_email, settings.lpse_admin_ppe_email) == (None, None)
    assert settings.app_link("/permohonan/ADM-2026-000001") == "http://localhost:8000/permohonan/ADM-2026-000001"
    assert settings.set_password_link("abc") == "http://localhost:8000/atur-kata-sandi?t=abc"
    assert settings.applicant_link_ttl == timedelta(days=30)
    assert settings.mail_signature_admin_ppe == "PM Direktorat e-Procurement LKPP"
    assert (settings.log_level, settings.log_format) == ("INFO", "console")


def test_every_setting_is_read(tmp_path: Path) -> None:
    """Each variable lands in its field, parsed: ports, booleans, sizes, durations, periods, lists."""
    settings = Settings.from_env(
        {
            "PBJ_DATA_DIR": str(tmp_path / "d"),
            "DATABASE_URL": "postgresql://pbj:rahasia@db:5432/pbj",
            "ZEEBE_ADDRESS": "zeebe:26500",
            "ZEEBE_CLIENT_ID": "workers",
            "ZEEBE_CLIENT_SECRET": "s3",
            "ZEEBE_AUTHORIZATION_SERVER_URL": "https://login.example.id/token",
            "ZEEBE_TOKEN_AUDIENCE": "zeebe-api",
            "SMTP_HOST": "mail.example.id",
            "SMTP_STARTTLS": "ya",
            "SMTP_USERNAME": "robot",
            "SMTP_PASSWORD": "pw",
            "SMTP_TIMEOUT": "12.5",
            "MAIL_FROM": "Biro PBJ <pbj@kalbarprov.go.id>",
            "BUREAU_HEAD_EMAIL": "kepala.biro@kalbarprov.go.id",
            "OFFICIAL_EMAIL_DOMAINS": "go.id, kalbarprov.go.id",
            "PROVISIONING_ADAPTER": "HTTP",
            "PROVISIONING_BASE_URL": "https://akun.example.id/api",
            "PROVISIONING_USERNAME": "pbj",
            "PROVISIONING_PASSWORD": "pw",
            "PROVISIONING_TIMEOUT": "3",
            "SET_PASSWORD_URL": "https://pbj.example.id/atur-kata-sandi?bahasa=id",
            "SET_PASSWORD_TOKEN_TTL": "P2DT12H",
            "APPLICANT_LINK_TTL": "P14D",
            "DOCUMENT_MAX_SIZE": "512 KiB",
            "DOCUMENT_RETENTION_DEFAULT": "P10Y",
            "DOCUMENT_RETENTION": "ktp_admin_ppe=P2Y, SK=P1Y6M",
            "LOG_LEVEL": "debug",
            "LOG_FORMAT": "JSON",
            "APP_URL": "https://pbj.kalbarprov.go.id/layanan/",
            "SPSE_LOGIN_URL": "https://spse.inaproc.id/kalbarprov",
            "MAIL_SIGNATURE_ADMIN_PPE": "Direktorat Pengembangan Sistem Pengadaan Secara Elektronik LKPP",
            "MAIL_SIGNATURE_PPBJ": "Admin PPE LPSE Provinsi Kalimantan Barat",
            "PM_LKPP_EMAIL": "PM e-Procurement <pm.eproc@lkpp.go.id>",
            "LPSE_ADMIN_PPE_EMAIL": "admin.ppe@kalbarprov.go.id",
        }
    )
    assert settings.data_dir == tmp_path / "d"
    assert settings.database_url == "postgresql+psycopg://pbj:rahasia@db:5432/pbj"
    assert settings.zeebe.uses_oauth
    assert settings.zeebe.authorization_server_url == "https://login.example.id/token"
    assert settings.zeebe.token_audience == "zeebe-api"
    assert (settings.smtp.port, settings.smtp.starttls, settings.smtp.timeout) == (587, True, 12.5)
    assert settings.smtp.mail_from == "Biro PBJ <pbj@kalbarprov.go.id>"
    assert settings.bureau_head_email == "kepala.biro@kalbarprov.go.id"
    assert settings.official_email_domains == ("go.id", "kalbarprov.go.id")
    assert settings.provisioning.adapter == "http"
    assert settings.provisioning.timeout == 3.0
    assert settings.provisioning.token_lifetime == timedelta(days=2, hours=12)
    assert settings.document_max_size == 512 * 1024
    assert settings.retention.period_for(DocumentType.KTP_ADMIN_PPE) == Period(years=2)
    assert settings.retention.period_for(DocumentType.SK) == Period(years=1, months=6)
    assert settings.retention.period_for(DocumentType.PROFIL_LPSE) == Period(years=10)
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    assert settings.set_password_link("a b") == "https://pbj.example.id/atur-kata-sandi?bahasa=id&t=a+b"
    assert settings.app_link("/pendaftaran/PPBJ-2026-000001", t="x/y") == (
        "https://pbj.kalbarprov.go.id/layanan/pendaftaran/PPBJ-2026-000001?t=x%2Fy"
    )
    assert settings.applicant_link_ttl == timedelta(days=14)
    assert settings.spse_login_url == "https://spse.inaproc.id/kalbarprov"
    assert settings.mail_signature_admin_ppe.startswith("Direktorat Pengembangan")
    assert settings.pm_lkpp_email == "PM e-Procurement <pm.eproc@lkpp.go.id>"
    assert settings.lpse_admin_ppe_email == "admin.ppe@kalbarprov.go.id"


def test_camunda_names_win_over_zeebe_names() -> None:
    """The CAMUNDA_* OAuth variables are accepted and take precedence, as in pyzeebe."""
    settings = Settings.from_env(
        {
            "CAMUNDA_CLIENT_ID": "camunda-id",
            "ZEEBE_CLIENT_ID": "zeebe-id",
            "CAMUNDA_CLIENT_SECRET": "s",
            "CAMUNDA_OAUTH_URL": "https://login.cloud.camunda.io/oauth/token",
            "CAMUNDA_TOKEN_AUDIENCE": "zeebe.camunda.io",
        }
    )
    assert settings.zeebe.client_id == "camunda-id"
    assert settings.zeebe.authorization_server_url == "https://login.cloud.camunda.io/oauth/token"
    assert settings.zeebe.token_audience == "zeebe.camunda.io"


def test_empty_values_count_as_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copied .env with blank entries means defaults, not errors."""
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({"SMTP_PORT": "", "SMTP_USERNAME": " ", "DATABASE_URL": ""}) == Settings.from_env({})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "::nonsense::"),
        ("DATABASE_URL", "mysql://pbj@db/pbj"),
        ("ZEEBE_ADDRESS", "localhost"),
        ("ZEEBE_ADDRESS", "localhost:99999"),
        ("ZEEBE_ADDRESS", "local host:26500"),
        ("ZEEBE_AUTHORIZATION_SERVER_URL", "ftp://login.example.id"),
        ("CAMUNDA_OAUTH_URL", "not a url"),
        ("SMTP_PORT", "smtp"),
        ("SMTP_PORT", "0"),
        ("SMTP_STARTTLS", "mungkin"),
        ("SMTP_TLS", "2"),
        ("SMTP_TIMEOUT", "-1"),
        ("SMTP_TIMEOUT", "lama"),
        ("MAIL_FROM", "Biro PBJ"),
        ("BUREAU_HEAD_EMAIL", "kepala.biro"),
        ("OFFICIAL_EMAIL_DOMAINS", "go id"),
        ("PROVISIONING_ADAPTER", "ldap"),
        ("PROVISIONING_BASE_URL", "akun.example.id"),
        ("PROVISIONING_TIMEOUT", "0"),
        ("SET_PASSWORD_URL", "/atur-kata-sandi"),
        ("SET_PASSWORD_TOKEN_TTL", "24"),
        ("SET_PASSWORD_TOKEN_TTL", "PT1M"),
        ("SET_PASSWORD_TOKEN_TTL", "P1Y"),
        ("APPLICANT_LINK_TTL", "P60D"),
        ("DOCUMENT_MAX_SIZE", "10 XB"),
        ("DOCUMENT_MAX_SIZE", "0"),
        ("DOCUMENT_RETENTION_DEFAULT", "5 tahun"),
        ("DOCUMENT_RETENTION_DEFAULT", "P0D"),
        ("DOCUMENT_RETENTION", "PASPOR=P1Y"),
        ("DOCUMENT_RETENTION", "KTP_ADMIN_PPE"),
        ("DOCUMENT_RETENTION", "KTP_ADMIN_PPE=selamanya"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
        ("APP_URL", "pbj.kalbarprov.go.id"),
        ("APP_URL", "https://pbj.kalbarprov.go.id/?a=1"),
        ("SPSE_LOGIN_URL", "spse"),
        ("MAIL_SIGNATURE_PPBJ", "Admin <PPE>"),
        ("PM_LKPP_EMAIL", "PM LKPP"),
        ("LPSE_ADMIN_PPE_EMAIL", "admin.ppe"),
    ],
)
def test_malformed_value_names_the_setting(name: str, value: str) -> None:
    """Every malformed value raises SettingsError whose `setting` and message name the variable."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({name: value})
    assert caught.value.setting == name
    assert name in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({"PROVISIONING_ADAPTER": "http"}, "PROVISIONING_BASE_URL"),
        ({"SMTP_USERNAME": "robot"}, "SMTP_PASSWORD"),
        ({"SMTP_PASSWORD": "pw"}, "SMTP_USERNAME"),
        ({"PROVISIONING_USERNAME": "pbj"}, "PROVISIONING_PASSWORD"),
        ({"PROVISIONING_PASSWORD": "pw"}, "PROVISIONING_USERNAME"),
        ({"ZEEBE_CLIENT_ID": "workers"}, "ZEEBE_CLIENT_SECRET"),
        ({"CAMUNDA_CLIENT_ID": "workers", "CAMUNDA_CLIENT_SECRET": "s"}, "ZEEBE_AUTHORIZATION_SERVER_URL"),
        ({"SMTP_TLS": "true", "SMTP_STARTTLS": "true"}, "SMTP_TLS"),
        ({"CAMUNDA_BASIC_AUTH_USERNAME": "pekerja"}, "CAMUNDA_BASIC_AUTH_PASSWORD"),
        ({"CAMUNDA_BASIC_AUTH_PASSWORD": "pw"}, "CAMUNDA_BASIC_AUTH_USERNAME"),
        ({"CAMUNDA_BASIC_AUTH_USERNAME": "a:b", "CAMUNDA_BASIC_AUTH_PASSWORD": "pw"}, "CAMUNDA_BASIC_AUTH_USERNAME"),
    ],
)
def test_missing_companion_setting_is_named(environ: dict[str, str], missing: str) -> None:
    """A setting that another one makes necessary is reported by name when it is absent or contradictory."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)
    assert caught.value.setting == missing
    assert missing in str(caught.value)


def test_secrets_stay_out_of_repr_and_errors() -> None:
    """Passwords and client secrets never show in repr(settings) or in the error of a malformed secret's neighbour."""
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql+psycopg://pbj:dbsecret1@db/pbj",
            "SMTP_USERNAME": "robot",
            "SMTP_PASSWORD": "smtpsecret2",
            "ZEEBE_CLIENT_ID": "workers",
            "ZEEBE_CLIENT_SECRET": "zeebesecret3",
            "ZEEBE_AUTHORIZATION_SERVER_URL": "https://login.example.id/token",
            "PROVISIONING_USERNAME": "pbj",
            "PROVISIONING_PASSWORD": "provsecret4",
        }
    )
    text = repr(settings)
    for secret in ("dbsecret1", "smtpsecret2", "zeebesecret3", "provsecret4"):
        assert secret not in text
    assert "dbsecret1" not in settings.database_url_for_display


def test_basic_authentication_for_the_engine_and_camunda_self_managed() -> None:
    """CAMUNDA_BASIC_AUTH_USERNAME/PASSWORD (the names of Camunda's own clients) give one `Authorization` value for
    gRPC and REST; the password stays out of repr(); credentials in clear beyond loopback are flagged (a private
    network only), on loopback or over TLS they are not."""
    credentials = {"CAMUNDA_BASIC_AUTH_USERNAME": "pekerja-pbj", "CAMUNDA_BASIC_AUTH_PASSWORD": "rahasia:sandi5"}
    remote = Settings.from_env({**credentials, "ZEEBE_ADDRESS": "mesin-proses:26500"}).zeebe
    assert (remote.uses_basic_auth, remote.uses_oauth, remote.uses_tls) == (True, False, False)
    assert remote.basic_authorization == "Basic " + base64.b64encode(b"pekerja-pbj:rahasia:sandi5").decode()
    assert "rahasia" not in repr(remote) and "pekerja-pbj" in repr(remote)
    assert remote.credentials_in_clear
    assert not Settings.from_env(credentials).zeebe.credentials_in_clear  # localhost:26500
    over_tls = Settings.from_env({**credentials, "ZEEBE_ADDRESS": "pbj.example.id:443", "ZEEBE_TLS": "true"})
    assert not over_tls.zeebe.credentials_in_clear
    assert Settings.from_env({}).zeebe.basic_authorization is None
    spaced = Settings.from_env({**credentials, "CAMUNDA_BASIC_AUTH_PASSWORD": " sandi dengan spasi "}).zeebe
    assert spaced.password == " sandi dengan spasi "  # as the engine reads PBJ_ENGINE_CLIENT_SECRET: not stripped


def test_commands_flag_a_password_in_clear_on_grpc_or_rest() -> None:
    """`pbj web` warns when the password goes in clear to another host: a plain gateway or a plain REST address."""
    credentials = {"CAMUNDA_BASIC_AUTH_USERNAME": "layanan", "CAMUNDA_BASIC_AUTH_PASSWORD": "rahasia"}
    local = {"ZEEBE_ADDRESS": "127.0.0.1:26500", "CAMUNDA_REST_ADDRESS": "http://127.0.0.1:8080"}
    assert not CommandSettings.from_env({**credentials, **local}).credentials_in_clear
    assert not CommandSettings.from_env({**local, "CAMUNDA_REST_ADDRESS": "http://mesin:8080"}).credentials_in_clear
    remote_rest = {**credentials, **local, "CAMUNDA_REST_ADDRESS": "http://mesin:8080"}
    assert CommandSettings.from_env(remote_rest).credentials_in_clear
    behind_tls = {**remote_rest, "ZEEBE_ADDRESS": "mesin:443", "ZEEBE_TLS": "true"}
    assert not CommandSettings.from_env({**behind_tls, "CAMUNDA_REST_ADDRESS": "https://mesin"}).credentials_in_clear
    assert CommandSettings.from_env({**behind_tls, "ZEEBE_TLS": "false"}).credentials_in_clear


def test_basic_authentication_and_oauth_exclude_each_other() -> None:
    """Both kinds of credentials at once: refused, naming both sets of settings."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "CAMUNDA_BASIC_AUTH_USERNAME": "pekerja",
                "CAMUNDA_BASIC_AUTH_PASSWORD": "pw",
                "ZEEBE_CLIENT_ID": "workers",
                "ZEEBE_CLIENT_SECRET": "s",
                "ZEEBE_AUTHORIZATION_SERVER_URL": "https://login.example.id/token",
            }
        )
    assert caught.value.setting == "CAMUNDA_BASIC_AUTH_USERNAME"
    assert "tidak dapat digunakan bersamaan" in str(caught.value) and "ZEEBE_CLIENT_ID" in str(caught.value)


def test_oauth_without_tls_points_to_basic_authentication() -> None:
    """The embedded engine serves no TLS, and OAuth secrets never go over plain text, not even on loopback: the
    error says to use basic authentication (an API client's id and secret work as name and password)."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "ZEEBE_ADDRESS": "127.0.0.1:26500",
                "ZEEBE_TLS": "false",
                "ZEEBE_CLIENT_ID": "pekerja",
                "ZEEBE_CLIENT_SECRET": "s",
                "ZEEBE_AUTHORIZATION_SERVER_URL": "http://127.0.0.1:8080/oauth/token",
            }
        )
    assert caught.value.setting == "ZEEBE_TLS"
    assert "CAMUNDA_BASIC_AUTH_USERNAME" in str(caught.value)


def test_settings_are_frozen() -> None:
    """The settings object cannot be changed after it was read."""
    settings = Settings.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


def test_env_example_is_valid_and_documents_every_setting() -> None:
    """`.env.example` loads as is, and every variable `from_env` reads is mentioned in it."""
    values = env_example()
    recorder = RecordingEnv(values)
    Settings.from_env(recorder)
    text = (ROOT / ".env.example").read_text()
    assert recorder.read
    assert sorted(name for name in recorder.read if name not in text) == []


@pytest.mark.parametrize(
    ("period", "start", "expected"),
    [
        ("P5Y", date(2026, 3, 2), date(2031, 3, 2)),
        ("P1Y", date(2028, 2, 29), date(2029, 2, 28)),
        ("P1M", date(2026, 1, 31), date(2026, 2, 28)),
        ("P1Y6M", date(2026, 9, 15), date(2028, 3, 15)),
        ("P2W3D", date(2026, 12, 25), date(2027, 1, 11)),
    ],
)
def test_retention_periods_count_calendar_years_and_months(period: str, start: date, expected: date) -> None:
    """Retention periods add calendar years and months, clamping to the month's end, then weeks and days."""
    assert Period.parse(period).after(start) == expected
