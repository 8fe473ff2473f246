"""Who may call the engine, over REST and gRPC.

`Credentials` are Camunda 8.8 self-managed's, embedded-sized: users with a password (HTTP basic authentication,
as Camunda's `basic` method) and API clients with an id and a secret (for workers and tools: basic authentication
too, or OAuth 2.0 client credentials – the engine is its own authorization server at `POST /oauth/token` and
answers a bearer token, which pyzeebe's and the Camunda SDKs' OAuth paths fetch and renew). No credentials
configured: nobody is asked, and `pbj engine` refuses to listen beyond loopback (pbj/access.py). The secrets are
compared in constant time and never logged; tokens are signed with a key drawn when the engine starts (after a
restart the clients fetch a new one by themselves). `Authenticator` checks an `Authorization` value for both the REST
API (engine/rest/app.py) and the gRPC gateway (engine/server.py's interceptor). The client side – what a client
sends – is workers/authorization.py's.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

TOKEN_LIFETIME_SECONDS = 3600
TOKEN_PATH = "/oauth/token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class CredentialsError(ValueError):
    """The credentials in the environment are incomplete; the message is for the operator (formal Indonesian)."""


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

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> "Credentials":
        """One user (PBJ_ENGINE_USERNAME, PBJ_ENGINE_PASSWORD) and one API client (PBJ_ENGINE_CLIENT_ID,
        PBJ_ENGINE_CLIENT_SECRET), each optional; a name without its secret raises CredentialsError."""
        users: dict[str, str] = {}
        clients: dict[str, str] = {}
        for table, name_variable, secret_variable in (
            (users, "PBJ_ENGINE_USERNAME", "PBJ_ENGINE_PASSWORD"),
            (clients, "PBJ_ENGINE_CLIENT_ID", "PBJ_ENGINE_CLIENT_SECRET"),
        ):
            name, secret = environ.get(name_variable, "").strip(), environ.get(secret_variable, "")
            if bool(name) != bool(secret):
                raise CredentialsError(
                    f"{name_variable} dan {secret_variable} harus diisi keduanya atau tidak sama sekali."
                )
            if ":" in name:
                raise CredentialsError(f"{name_variable} tidak boleh memuat titik dua (:).")
            if name:
                table[name] = secret
        return cls(users, clients)

    def check_client(self, client_id: str, client_secret: str) -> bool:
        expected = self.clients.get(client_id)
        return expected is not None and hmac.compare_digest(expected.encode(), client_secret.encode())


class TokenIssuer:
    """Bearer tokens for API clients (OAuth 2.0 client credentials grant): JSON Web Tokens (RFC 7519, HS256) signed
    with a key this engine process draws at random, so they are checked without being stored and stop working when
    the engine restarts (clients then fetch a new one). The Camunda SDKs read a token's `exp` to renew it in time."""

    def __init__(self, credentials: Credentials, lifetime: int = TOKEN_LIFETIME_SECONDS) -> None:
        self.credentials = credentials
        self.lifetime = lifetime
        self._key = secrets.token_bytes(32)

    def issue(self, client_id: str, client_secret: str) -> str | None:
        """A new token for a client whose secret is right, else None."""
        if not self.credentials.check_client(client_id, client_secret):
            return None
        now = int(time.time())
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        claims = {"sub": client_id, "iat": now, "exp": now + self.lifetime, "jti": secrets.token_urlsafe(12)}
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        return f"{header}.{payload}.{self._signature(header, payload)}"

    def check(self, token: str) -> bool:
        """Whether the token is one this engine issued, unexpired, for a client it still has."""
        parts = token.split(".")
        if len(parts) != 3 or len(token) > 2048:
            return False
        header, payload, signature = parts
        if not hmac.compare_digest(signature, self._signature(header, payload)):
            return False
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, binascii.Error):
            return False
        return (
            isinstance(claims, dict)
            and isinstance(claims.get("exp"), int)
            and claims["exp"] > time.time()
            and claims.get("sub") in self.credentials.clients
        )

    def _signature(self, header: str, payload: str) -> str:
        return _b64url(hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


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


def own_login(credentials: Credentials) -> tuple[str, str] | None:
    """The name and password a process that runs the engine gives its own clients (pbj up's workers, web application
    and demo), which send them as basic authentication (workers.authorization): its first API client's id and
    secret, else its first user's; None when nobody is asked."""
    for table in (credentials.clients, credentials.users):
        for name, secret in table.items():
            return name, secret
    return None
