"""The web application's settings: read once from the environment into one frozen object, like the workers'.

`WebSettings.from_env()` reads the workers' settings (`workers.settings.Settings`: Zeebe address and credentials,
database, data directory, `APP_URL`, document size limit, …), where Camunda's REST API is (`CAMUNDA_REST_ADDRESS`,
as the commands read it) and the web application's own:

- `WEB_HOST`, `WEB_PORT`: where `pbj web` listens (default `127.0.0.1:8000`; `0.0.0.0` in a container).
- `WEB_SECRET_KEY`: the key CSRF tokens are derived from, at least 32 characters. **Never a built-in default**: when
  it is not set, a random key is generated once and kept in `<PBJ_DATA_DIR>/web-secret-key` (created with mode
  0600, read again at every start), so each installation has its own and restarts keep sessions' forms valid.
  Several `pbj web` processes on one data directory share it; on several machines set it explicitly.
- `WEB_SESSION_TTL`: how long a browser session lasts without use (ISO 8601 duration, default `PT8H`).
- `WEB_TRUST_PROXY`: `true` when a reverse proxy in front sets `X-Forwarded-For`; rate limits then count per client
  address from that header instead of per proxy.
- `WEB_LOGIN_MAX_FAILURES` (default 5) failed logins in a row lock a staff account for `WEB_LOGIN_LOCKOUT`
  (default `PT15M`).

Cookies are `Secure` (and `__Host-` prefixed) when `APP_URL` is https, i.e. behind HTTPS.
"""

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from pbj.commands.settings import CommandSettings
from workers.errors import SettingsError
from workers.settings import Settings, parse_duration

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
SECRET_KEY_FILE = "web-secret-key"
MIN_SECRET_KEY_LENGTH = 32
DEFAULT_SESSION_TTL = timedelta(hours=8)
DEFAULT_MAX_FAILURES = 5
DEFAULT_LOCKOUT = timedelta(minutes=15)

_TRUE = {"1", "true", "yes", "on", "ya"}
_FALSE = {"0", "false", "no", "off", "tidak"}


@dataclass(frozen=True)
class WebSettings:
    """Everything the web application reads from the environment, once."""

    commands: CommandSettings
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    secret_key: bytes = field(default=b"", repr=False)
    session_ttl: timedelta = DEFAULT_SESSION_TTL
    trust_proxy: bool = False
    login_max_failures: int = DEFAULT_MAX_FAILURES
    login_lockout: timedelta = DEFAULT_LOCKOUT

    @property
    def app(self) -> Settings:
        """The workers' settings (store, documents, links, Zeebe)."""
        return self.commands.app

    @property
    def secure_cookies(self) -> bool:
        """Whether the application is reached over HTTPS (`APP_URL`), so cookies are sent only over HTTPS."""
        return urlsplit(self.app.app_url).scheme == "https"

    @property
    def base_path(self) -> str:
        """The path of `APP_URL` (empty, or e.g. `/layanan`): the application's pages live below it."""
        return urlsplit(self.app.app_url).path.rstrip("/")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "WebSettings":
        """Read and check the settings (generating the secret key if needed); `SettingsError` names a bad one."""
        env = os.environ if environ is None else environ
        return cls.around(CommandSettings.from_env(env), env)

    @classmethod
    def around(
        cls, commands: CommandSettings, environ: Mapping[str, str], *, host: str | None = None, port: int | None = None
    ) -> "WebSettings":
        """The web application's own settings (`WEB_*`) from `environ` around given command settings – `pbj up`
        gives its own engine's and mail server's; `host` and `port` override `WEB_HOST` and `WEB_PORT`."""
        env = environ
        return cls(
            commands=commands,
            host=host or _get(env, "WEB_HOST") or DEFAULT_HOST,
            port=port if port is not None else _port(_get(env, "WEB_PORT")),
            secret_key=secret_key(_get(env, "WEB_SECRET_KEY"), commands.app.data_dir),
            session_ttl=_duration("WEB_SESSION_TTL", _get(env, "WEB_SESSION_TTL"), DEFAULT_SESSION_TTL),
            trust_proxy=_bool("WEB_TRUST_PROXY", _get(env, "WEB_TRUST_PROXY")),
            login_max_failures=_count("WEB_LOGIN_MAX_FAILURES", _get(env, "WEB_LOGIN_MAX_FAILURES")),
            login_lockout=_duration("WEB_LOGIN_LOCKOUT", _get(env, "WEB_LOGIN_LOCKOUT"), DEFAULT_LOCKOUT),
        )


def secret_key(given: str | None, data_dir: Path) -> bytes:
    """`WEB_SECRET_KEY` if set (checked), else the installation's generated key in the data directory."""
    if given is not None:
        if len(given) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError("WEB_SECRET_KEY", f"minimal {MIN_SECRET_KEY_LENGTH} karakter acak.")
        return given.encode()
    path = data_dir / SECRET_KEY_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
        key = path.read_text().strip()
    except OSError as exc:
        raise SettingsError(
            "WEB_SECRET_KEY",
            f"tidak diatur dan kunci tidak dapat dibuat atau dibaca di {path} ({exc.strerror or exc}); atur "
            "WEB_SECRET_KEY atau perbaiki izin direktori data.",
        ) from None
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError("WEB_SECRET_KEY", f"berkas {path} tidak memuat kunci yang sah; hapus berkas itu.")
    return key.encode()


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _port(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PORT
    if raw.isdigit() and 0 < int(raw) <= 65535:
        return int(raw)
    raise SettingsError("WEB_PORT", f"{raw!r} bukan nomor port (1–65535).")


def _bool(name: str, raw: str | None) -> bool:
    if raw is None:
        return False
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise SettingsError(name, f"{raw!r} bukan nilai ya/tidak (true/false, 1/0).")


def _count(name: str, raw: str | None) -> int:
    if raw is None:
        return DEFAULT_MAX_FAILURES
    if raw.isdigit() and 1 <= int(raw) <= 100:
        return int(raw)
    raise SettingsError(name, f"{raw!r} harus bilangan 1–100.")


def _duration(name: str, raw: str | None, default: timedelta) -> timedelta:
    if raw is None:
        return default
    try:
        return parse_duration(raw)
    except ValueError as exc:
        raise SettingsError(name, str(exc)) from None
