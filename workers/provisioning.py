"""Account provisioning: an adapter interface, the built-in account directory and an HTTP adapter.

No public API creates accounts in SPSE, SiRUP or INAPROC, so `buat-akun` and `aktifkan-akun` talk to a
`ProvisioningAdapter`. `AccountDirectory` (the default) keeps accounts in the application store; the
`HttpProvisioningAdapter` calls a real integration service with this contract (JSON bodies, HTTP Basic auth):

    PUT  {base}/accounts/{requestNumber}/{system}/{role}   {status, displayName, email[, userId]} -> 200/201 account
    GET  {base}/accounts/{requestNumber}/{system}/{role}   -> 200 account | 404
    POST {base}/accounts/{accountId}/activate               -> 200 account
    POST {base}/accounts/{accountId}/set-password-tokens    -> 201 {token, expiresAt}
    POST {base}/set-password-tokens/verify                  {token} -> 200 account | 400/404/410
    POST {base}/set-password-tokens/consume                 {token, newPassword} -> 200 account | 400/404/410

    account = {accountId, requestNumber, system, role, status, userId, mustChangePassword}

Creation is idempotent by (request number, system, role) in both. A set-password token is returned raw exactly
once, to be put into the account holder's own e-mail; only its hash is stored, it expires, works once, and
issuing a new one revokes the older ones. Passwords never appear in a variable, a log or an e-mail; an account
must change its password at first login until its holder has set one through the link.
"""

import asyncio
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import quote

import aiohttp

from workers.domain import AccountRole, AccountStatus, System
from workers.errors import ProvisioningError, ProvisioningUnavailableError, TokenError
from workers.logging import redact_text
from workers.settings import ProvisioningSettings
from workers.store import AccountRecord, Store

MIN_PASSWORD_LENGTH = 12
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
_TOKEN_STATUSES = frozenset({400, 404, 410})


@dataclass(frozen=True)
class AccountRequest:
    """What to provision: the account of a request in a system with a role, and how to address its holder."""

    request_number: str
    system: System
    role: AccountRole
    display_name: str = field(repr=False)
    email: str | None = field(default=None, repr=False)
    status: AccountStatus = AccountStatus.ACTIVE
    user_id: str | None = None
    """The user id to give the account (e.g. the holder's directory account's); None: the adapter chooses one."""


@dataclass(frozen=True)
class ProvisionedAccount:
    """An account as an adapter reports it; safe to log and to put into variables (`idAkun`, `statusAkun`)."""

    account_id: str
    request_number: str
    system: System
    role: AccountRole
    status: AccountStatus
    user_id: str
    must_change_password: bool


@dataclass(frozen=True)
class SetPasswordToken:
    """A freshly issued one-time set-password token; `token` is the only copy of the raw value."""

    account_id: str
    token: str = field(repr=False)
    expires_at: datetime


class ProvisioningAdapter(Protocol):
    """Creates and activates accounts and runs the one-time set-password flow."""

    async def create_account(self, request: AccountRequest) -> ProvisionedAccount:
        """Create the account, or return the existing one of (request number, system, role)."""
        ...

    async def find_account(self, request_number: str, system: System, role: AccountRole) -> ProvisionedAccount | None:
        """The account of (request number, system, role), if any."""
        ...

    async def activate_account(self, account_id: str) -> ProvisionedAccount:
        """Make the account active (idempotent)."""
        ...

    async def issue_set_password_token(self, account_id: str) -> SetPasswordToken:
        """Issue a one-time set-password token (revoking older ones); the raw token is returned only here."""
        ...

    async def verify_set_password_token(self, token: str) -> ProvisionedAccount:
        """The account a usable token belongs to; `TokenError` if it is unknown, expired, revoked or used."""
        ...

    async def consume_set_password_token(self, token: str, new_password: str) -> ProvisionedAccount:
        """Use the token once to set the holder's password; `TokenError` if the token is not usable."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def parse_system(value: str | None) -> System:
    """The `sistem` task header as a `System`; absent means the bureau's own account directory."""
    if value is None or not value.strip():
        return System.DIREKTORI
    try:
        return System(value.strip())
    except ValueError:
        raise ProvisioningError(f"Sistem {value!r} tidak dikenal (yang dikenal: {', '.join(System)}).") from None


def parse_role(value: str | None) -> AccountRole:
    """The `peran` task header as an `AccountRole`."""
    try:
        return AccountRole((value or "").strip())
    except ValueError:
        raise ProvisioningError(f"Peran {value!r} tidak dikenal (yang dikenal: {', '.join(AccountRole)}).") from None


def parse_status(value: str | None) -> AccountStatus:
    """The `status` task header as an `AccountStatus`; absent means active."""
    if value is None or not value.strip():
        return AccountStatus.ACTIVE
    try:
        return AccountStatus(value.strip().upper())
    except ValueError:
        raise ProvisioningError(f"Status akun {value!r} tidak dikenal (PENDING atau ACTIVE).") from None


def hash_token(token: str) -> str:
    """The stored form of a set-password token (SHA-256; the token is random, so no salt or stretching is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    """A salted scrypt hash of a password: `scrypt$n$r$p$salt$hash` (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash made by `hash_password`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def check_password_policy(password: str) -> None:
    """Refuse passwords shorter than `MIN_PASSWORD_LENGTH` characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ProvisioningError(f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter.")


def _provisioned(record: AccountRecord) -> ProvisionedAccount:
    return ProvisionedAccount(
        account_id=record.id,
        request_number=record.request_number,
        system=record.system,
        role=record.role,
        status=record.status,
        user_id=record.user_id,
        must_change_password=record.must_change_password,
    )


class AccountDirectory:
    """The built-in account directory: accounts per system and role in the application store."""

    def __init__(self, store: Store, *, token_lifetime: timedelta = timedelta(hours=24)) -> None:
        self._store = store
        self._token_lifetime = token_lifetime

    async def create_account(self, request: AccountRequest) -> ProvisionedAccount:
        """Create the account, or return the existing one of (request number, system, role)."""
        record = await asyncio.to_thread(
            self._store.create_account,
            request.request_number,
            request.system,
            request.role,
            status=request.status,
            display_name=request.display_name,
            email=request.email,
            user_id=request.user_id,
        )
        return _provisioned(record)

    async def find_account(self, request_number: str, system: System, role: AccountRole) -> ProvisionedAccount | None:
        """The account of (request number, system, role), if any."""
        record = await asyncio.to_thread(self._store.find_account, request_number, system, role)
        return None if record is None else _provisioned(record)

    async def activate_account(self, account_id: str) -> ProvisionedAccount:
        """Make the account active (idempotent)."""
        return _provisioned(await asyncio.to_thread(self._store.activate_account, account_id))

    async def issue_set_password_token(self, account_id: str) -> SetPasswordToken:
        """Issue a one-time set-password token (revoking older ones); the raw token is returned only here."""
        token = secrets.token_urlsafe(32)
        expires_at = self._store.now() + self._token_lifetime
        await asyncio.to_thread(self._store.add_set_password_token, account_id, hash_token(token), expires_at)
        return SetPasswordToken(account_id=account_id, token=token, expires_at=expires_at)

    async def verify_set_password_token(self, token: str) -> ProvisionedAccount:
        """The account a usable token belongs to; `TokenError` if it is unknown, expired, revoked or used."""
        return _provisioned(await asyncio.to_thread(self._store.check_set_password_token, hash_token(token)))

    async def consume_set_password_token(self, token: str, new_password: str) -> ProvisionedAccount:
        """Use the token once to set the holder's password (scrypt hash); `TokenError` if it is not usable."""
        check_password_policy(new_password)
        password_hash = await asyncio.to_thread(hash_password, new_password)
        record = await asyncio.to_thread(self._store.use_set_password_token, hash_token(token), password_hash)
        return _provisioned(record)

    async def close(self) -> None:
        """Nothing to release: the store is closed by its owner."""


class HttpProvisioningAdapter:
    """Provisioning through an integration service over HTTP (contract in the module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": _basic_auth(username, password or "")} if username else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._owns_session = session is None

    @classmethod
    def from_settings(cls, settings: ProvisioningSettings) -> "HttpProvisioningAdapter":
        """An adapter for `PROVISIONING_BASE_URL` with the configured credentials and timeout."""
        if settings.base_url is None:
            raise ProvisioningError("PROVISIONING_BASE_URL belum diatur.")
        return cls(settings.base_url, username=settings.username, password=settings.password, timeout=settings.timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this adapter opened it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    async def create_account(self, request: AccountRequest) -> ProvisionedAccount:
        """Create the account, or return the existing one of (request number, system, role)."""
        body = {"status": request.status.value, "displayName": request.display_name, "email": request.email}
        if request.user_id is not None:
            body["userId"] = request.user_id
        path = _account_path(request.request_number, request.system, request.role)
        return _parse_account(await self._call("PUT", path, body))

    async def find_account(self, request_number: str, system: System, role: AccountRole) -> ProvisionedAccount | None:
        """The account of (request number, system, role), if any."""
        data = await self._call("GET", _account_path(request_number, system, role), missing_ok=True)
        return None if data is None else _parse_account(data)

    async def activate_account(self, account_id: str) -> ProvisionedAccount:
        """Make the account active (idempotent on the service's side)."""
        return _parse_account(await self._call("POST", f"/accounts/{quote(account_id, safe='')}/activate"))

    async def issue_set_password_token(self, account_id: str) -> SetPasswordToken:
        """Ask the service for a one-time set-password token."""
        data = await self._call("POST", f"/accounts/{quote(account_id, safe='')}/set-password-tokens")
        try:
            return SetPasswordToken(
                account_id=account_id, token=str(data["token"]), expires_at=datetime.fromisoformat(data["expiresAt"])
            )
        except (KeyError, TypeError, ValueError):
            raise ProvisioningError("Layanan penyediaan akun mengirim token dalam format yang tidak dikenal.") from None

    async def verify_set_password_token(self, token: str) -> ProvisionedAccount:
        """The account a usable token belongs to; `TokenError` if the service does not accept it."""
        data = await self._call("POST", "/set-password-tokens/verify", {"token": token}, token_call=True)
        return _parse_account(data)

    async def consume_set_password_token(self, token: str, new_password: str) -> ProvisionedAccount:
        """Use the token once to set the holder's password at the service."""
        check_password_policy(new_password)
        body = {"token": token, "newPassword": new_password}
        return _parse_account(await self._call("POST", "/set-password-tokens/consume", body, token_call=True))

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._owns_session = True
        return self._session

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        missing_ok: bool = False,
        token_call: bool = False,
    ) -> Any:
        """One request; transport failures, timeouts, 5xx and 429 are transient, other refusals permanent."""
        url = self._base_url + path
        what = f"{method} {path}"
        try:
            async with self._client().request(
                method, url, json=body, headers=self._headers, timeout=self._timeout, allow_redirects=False
            ) as response:
                status = response.status
                if missing_ok and status == 404:
                    return None
                if 200 <= status < 300:
                    try:
                        return await response.json(content_type=None)
                    except ValueError:
                        raise ProvisioningError(
                            f"Layanan penyediaan akun mengirim jawaban yang bukan JSON ({what})."
                        ) from None
                reason = await _reason(response)
        except TimeoutError as exc:
            raise ProvisioningUnavailableError(
                f"Layanan penyediaan akun tidak menjawab dalam {self._timeout.total:g} detik ({what})."
            ) from exc
        except aiohttp.ClientError as exc:
            raise ProvisioningUnavailableError(
                f"Layanan penyediaan akun tidak dapat dihubungi ({what}): {type(exc).__name__}."
            ) from exc
        if status >= 500 or status in _TRANSIENT_STATUSES:
            raise ProvisioningUnavailableError(
                f"Layanan penyediaan akun sedang gangguan: HTTP {status} ({what}){reason}"
            )
        if status in (401, 403):
            raise ProvisioningError(
                f"Layanan penyediaan akun menolak kredensial: HTTP {status} ({what}); "
                "periksa PROVISIONING_USERNAME dan PROVISIONING_PASSWORD."
            )
        if token_call and status in _TOKEN_STATUSES:
            raise TokenError(f"Tautan pengaturan kata sandi tidak dapat digunakan: HTTP {status}{reason}")
        raise ProvisioningError(f"Layanan penyediaan akun menolak permintaan: HTTP {status} ({what}){reason}")


def _basic_auth(username: str, password: str) -> str:
    """An HTTP Basic `Authorization` value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _account_path(request_number: str, system: System, role: AccountRole) -> str:
    segments = (quote(part, safe="") for part in (request_number, system.value, role.value))
    return "/accounts/" + "/".join(segments)


async def _reason(response: aiohttp.ClientResponse) -> str:
    """The service's short explanation (`message` or `error` of a JSON body), redacted, or nothing."""
    try:
        data = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return "."
    message = data.get("message") or data.get("error") if isinstance(data, dict) else None
    if not isinstance(message, str) or not message.strip():
        return "."
    return ": " + redact_text(message.strip())[:200]


def _parse_account(data: Any) -> ProvisionedAccount:
    try:
        return ProvisionedAccount(
            account_id=str(data["accountId"]),
            request_number=str(data["requestNumber"]),
            system=System(data["system"]),
            role=AccountRole(data["role"]),
            status=AccountStatus(data["status"]),
            user_id=str(data["userId"]),
            must_change_password=bool(data["mustChangePassword"]),
        )
    except (KeyError, TypeError, ValueError):
        raise ProvisioningError("Layanan penyediaan akun mengirim data akun dalam format yang tidak dikenal.") from None


def create_provisioning_adapter(settings: ProvisioningSettings, store: Store) -> ProvisioningAdapter:
    """The adapter `PROVISIONING_ADAPTER` selects: the built-in directory (default) or the HTTP integration."""
    if settings.adapter == "http":
        return HttpProvisioningAdapter.from_settings(settings)
    return AccountDirectory(store, token_lifetime=settings.token_lifetime)
