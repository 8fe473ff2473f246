"""Settings of the commands: the workers' settings (`workers.settings.Settings`: Zeebe address and OAuth client
credentials, database, data directory, document size limit, links) plus where Camunda's REST API is.

- `CAMUNDA_REST_ADDRESS` (alias `ZEEBE_REST_ADDRESS`): base URL of the Orchestration Cluster REST API, without
  `/v2`; default `http://127.0.0.1:8080` (the embedded engine's `pbj engine`). The local Camunda stack publishes it
  on `http://localhost:8088`.
- `CAMUNDA_REST_TOKEN_AUDIENCE`: the audience of the REST API's OAuth token when it differs from the Zeebe one
  (`ZEEBE_TOKEN_AUDIENCE` / `CAMUNDA_TOKEN_AUDIENCE`). With OAuth client credentials set, every REST call carries a
  bearer token fetched with them from the authorization server.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from workers.authorization import is_loopback_address
from workers.errors import SettingsError
from workers.settings import Settings

DEFAULT_REST_ADDRESS = "http://127.0.0.1:8080"
REST_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class RestSettings:
    """Where the Orchestration Cluster REST API (`/v2`) is and which audience its OAuth token is for."""

    address: str = DEFAULT_REST_ADDRESS
    token_audience: str | None = None
    timeout: float = REST_TIMEOUT_SECONDS


@dataclass(frozen=True)
class CommandSettings:
    """Everything the commands read from the environment, once."""

    app: Settings
    rest: RestSettings

    @property
    def credentials_in_clear(self) -> bool:
        """Whether a password goes over plain text to another host, on gRPC or on REST (a private network only)."""
        zeebe = self.app.zeebe
        plain_rest = self.rest.address.startswith("http://") and not is_loopback_address(self.rest.address)
        return zeebe.credentials_in_clear or (zeebe.uses_basic_auth and plain_rest)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "CommandSettings":
        """Read and check the settings; `SettingsError` names the first one that is malformed."""
        env = os.environ if environ is None else environ
        app = Settings.from_env(env)
        name, raw = _first(env, "CAMUNDA_REST_ADDRESS", "ZEEBE_REST_ADDRESS")
        address = DEFAULT_REST_ADDRESS if raw is None else _rest_address(name, raw)
        audience = _first(env, "CAMUNDA_REST_TOKEN_AUDIENCE")[1] or app.zeebe.token_audience
        return cls(app=app, rest=RestSettings(address=address, token_audience=audience))


def _first(env: Mapping[str, str], *names: str) -> tuple[str, str | None]:
    """The first of `names` with a non-empty value, and the value (stripped); else the first name and None."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return name, value
    return names[0], None


def _rest_address(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(name, f"{raw!r} bukan URL http(s) REST API Camunda (contoh: http://localhost:8080).")
    address = raw.rstrip("/")
    return address[: -len("/v2")] if address.endswith("/v2") else address
