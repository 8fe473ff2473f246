"""Who may call the engine, over REST and gRPC.

`Credentials` are Camunda 8.8 self-managed's, embedded-sized: users with a password (HTTP basic authentication,
as Camunda's `basic` method) and API clients with an id and a secret (for workers and tools: basic authentication
too, or OAuth 2.0 client credentials – the engine is its own authorization server at `POST /oauth/token` and
answers a bearer token, which pyzeebe's and the Camunda SDKs' OAuth paths fetch and renew). No credentials
configured: nobody is asked (`pbj engine` then listens on loopback only, unless told otherwise, with a warning).
The secrets are compared in constant time and never logged; tokens live in memory only (a restarted engine asks
for a new one, which the clients do by themselves). `Authenticator` checks an `Authorization` value for both the
REST API (engine/rest/app.py) and the gRPC gateway (engine/server.py's interceptor).
"""

import base64
import binascii
import hmac
import ipaddress
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

TOKEN_LIFETIME_SECONDS = 3600
TOKEN_PATH = "/oauth/token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    """Whether a listening address accepts connections from this machine only."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Credentials:
    """Users (basic authentication) and API clients (basic, or OAuth client credentials); empty: no authentication."""

    users: Mapping[str, str] = field(default_factory=dict)
    clients: Mapping[str, str] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return bool(self.users or self.clients)

    def check_password(self, name: str, password: str) -> bool:
        """Whether `name`/`password` is a user's or an API client's (id and secret)."""
        found = False
        for table in (self.users, self.clients):
            expected = table.get(name)
            if expected is not None and hmac.compare_digest(expected.encode(), password.encode()):
                found = True
        return found

    def check_client(self, client_id: str, client_secret: str) -> bool:
        expected = self.clients.get(client_id)
        return expected is not None and hmac.compare_digest(expected.encode(), client_secret.encode())


class TokenIssuer:
    """Bearer tokens for API clients (OAuth 2.0 client credentials grant), kept in memory until they expire."""

    def __init__(self, credentials: Credentials, lifetime: int = TOKEN_LIFETIME_SECONDS) -> None:
        self.credentials = credentials
        self.lifetime = lifetime
        self._tokens: dict[str, tuple[str, float]] = {}

    def issue(self, client_id: str, client_secret: str) -> str | None:
        """A new token for a client whose secret is right, else None."""
        if not self.credentials.check_client(client_id, client_secret):
            return None
        now = time.monotonic()
        self._tokens = {t: (c, exp) for t, (c, exp) in self._tokens.items() if exp > now}  # drop the expired
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (client_id, now + self.lifetime)
        return token

    def check(self, token: str) -> bool:
        entry = self._tokens.get(token)
        return entry is not None and entry[1] > time.monotonic()


class Authenticator:
    """Checks an `Authorization` header value: `Basic` with a user's or client's password, `Bearer` with a token
    the engine issued. Shared by the REST API and the gRPC interceptor."""

    def __init__(self, credentials: Credentials, tokens: TokenIssuer | None = None) -> None:
        self.credentials = credentials
        self.tokens = tokens or TokenIssuer(credentials)

    @property
    def required(self) -> bool:
        return self.credentials.required

    def accepts(self, authorization: str | None) -> bool:
        if not self.required:
            return True
        if not authorization:
            return False
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            pair = decode_basic(value)
            return pair is not None and self.credentials.check_password(*pair)
        if scheme.lower() == "bearer":
            return bool(value) and self.tokens.check(value)
        return False


def decode_basic(value: str) -> tuple[str, str] | None:
    try:
        text = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    name, colon, password = text.partition(":")
    return (name, password) if colon else None
