"""Provisioning: the built-in account directory on the store, and the HTTP adapter against a loopback server."""

import asyncio
import base64
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from tests.workers.conftest import FakeClock, admin_ppe_request_data
from workers.domain import AccountRole, AccountStatus, PersonData, System
from workers.errors import ProvisioningError, ProvisioningUnavailableError, TokenError, is_transient
from workers.provisioning import (
    AccountDirectory,
    AccountRequest,
    HttpProvisioningAdapter,
    create_provisioning_adapter,
    hash_token,
    parse_role,
    parse_status,
    parse_system,
    verify_password,
)
from workers.settings import Settings
from workers.store import Store

NEW_PASSWORD = "sandi baru yang cukup panjang"


@pytest.fixture
def directory(store: Store) -> AccountDirectory:
    """The built-in directory with one-hour set-password links."""
    return AccountDirectory(store, token_lifetime=timedelta(hours=1))


@pytest.fixture
def number(store: Store) -> str:
    """The number of a fresh SOP 1 request."""
    return store.create_admin_ppe_request(admin_ppe_request_data()).number


def admin_request(number: str, status: AccountStatus = AccountStatus.ACTIVE) -> AccountRequest:
    """An SPSE Admin PPE account for the request."""
    return AccountRequest(number, System.SPSE, AccountRole.ADMIN_PPE, "Sari Wulandari", "sari@kaltimprov.go.id", status)


def database_bytes(tmp_path: Path) -> bytes:
    """Everything SQLite wrote: the database file and its write-ahead log (nothing on PostgreSQL)."""
    return b"".join(path.read_bytes() for path in (tmp_path / "data").glob("pbj.sqlite3*"))


async def test_directory_creation_is_idempotent(directory: AccountDirectory, store: Store, number: str) -> None:
    """A job delivered twice gets the same account back; the account must change its password at first login."""
    first, second = await asyncio.gather(
        directory.create_account(admin_request(number)), directory.create_account(admin_request(number))
    )
    assert first == second
    assert first.status is AccountStatus.ACTIVE
    assert first.must_change_password
    assert await directory.find_account(number, System.SPSE, AccountRole.ADMIN_PPE) == first
    assert len(store.list_accounts(number)) == 1


async def test_directory_pending_then_active(directory: AccountDirectory, store: Store) -> None:
    """A pending PPBJ account in the bureau's directory is activated, idempotently."""
    number = store.create_ppbj_registration(PersonData(name="Ani")).number
    pending = await directory.create_account(
        AccountRequest(number, System.DIREKTORI, AccountRole.PPBJ, "Ani", None, AccountStatus.PENDING)
    )
    assert pending.status is AccountStatus.PENDING
    active = await directory.activate_account(pending.account_id)
    assert active.status is AccountStatus.ACTIVE
    assert await directory.activate_account(pending.account_id) == active


async def test_token_is_returned_once_and_stored_only_as_hash(
    directory: AccountDirectory, store: Store, number: str, tmp_path: Path, clock: FakeClock
) -> None:
    """The raw token exists only in the return value: the database holds its SHA-256 and an expiry, nothing else."""
    account = await directory.create_account(admin_request(number))
    issued = await directory.issue_set_password_token(account.account_id)
    assert issued.expires_at == clock.current + timedelta(hours=1)
    assert issued.token not in repr(issued)
    with store.engine.connect() as connection:
        hashes = connection.execute(text("SELECT token_hash FROM set_password_tokens")).scalars().all()
    assert hashes == [hashlib.sha256(issued.token.encode()).hexdigest()] == [hash_token(issued.token)]
    assert issued.token.encode() not in database_bytes(tmp_path)
    assert issued.token not in repr(store.audit_trail(number))


async def test_token_works_once_and_sets_a_hashed_password(
    directory: AccountDirectory, store: Store, number: str, tmp_path: Path
) -> None:
    """Consuming the token sets the password (scrypt hash only) and lifts the forced change; a second use fails."""
    account = await directory.create_account(admin_request(number))
    issued = await directory.issue_set_password_token(account.account_id)
    assert await directory.verify_set_password_token(issued.token) == account
    updated = await directory.consume_set_password_token(issued.token, NEW_PASSWORD)
    assert not updated.must_change_password
    with pytest.raises(TokenError, match="sudah digunakan"):
        await directory.consume_set_password_token(issued.token, NEW_PASSWORD)
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM accounts")).scalar_one()
    assert verify_password(NEW_PASSWORD, stored)
    assert not verify_password("sandi lain yang juga panjang", stored)
    assert NEW_PASSWORD.encode() not in database_bytes(tmp_path)


async def test_token_expires(directory: AccountDirectory, number: str, clock: FakeClock) -> None:
    """A token is usable until its lifetime has passed, and refused from then on."""
    account = await directory.create_account(admin_request(number))
    issued = await directory.issue_set_password_token(account.account_id)
    clock.advance(timedelta(minutes=59))
    await directory.verify_set_password_token(issued.token)
    clock.advance(timedelta(minutes=1))
    with pytest.raises(TokenError, match="kedaluwarsa"):
        await directory.consume_set_password_token(issued.token, NEW_PASSWORD)


async def test_new_token_revokes_older_ones(directory: AccountDirectory, number: str) -> None:
    """Only the newest link works: issuing a token revokes the unused earlier ones."""
    account = await directory.create_account(admin_request(number))
    old = await directory.issue_set_password_token(account.account_id)
    new = await directory.issue_set_password_token(account.account_id)
    with pytest.raises(TokenError, match="lebih baru"):
        await directory.verify_set_password_token(old.token)
    await directory.verify_set_password_token(new.token)
    with pytest.raises(TokenError, match="tidak dikenal"):
        await directory.verify_set_password_token("tebakan")


async def test_short_password_is_refused(directory: AccountDirectory, number: str) -> None:
    """A password shorter than the minimum is refused and the token stays usable."""
    account = await directory.create_account(admin_request(number))
    issued = await directory.issue_set_password_token(account.account_id)
    with pytest.raises(ProvisioningError, match="minimal"):
        await directory.consume_set_password_token(issued.token, "pendek")
    await directory.verify_set_password_token(issued.token)


def test_task_headers_parse() -> None:
    """Header values map to the domain: no `sistem` is the bureau's directory, no `status` is active."""
    assert parse_system(None) is System.DIREKTORI
    assert parse_system("SiRUP") is System.SIRUP
    assert parse_role("ADMIN_PPE") is AccountRole.ADMIN_PPE
    assert parse_status(None) is AccountStatus.ACTIVE
    assert parse_status("pending") is AccountStatus.PENDING
    for bad in (lambda: parse_system("LPSE"), lambda: parse_role(None), lambda: parse_status("AKTIF")):
        with pytest.raises(ProvisioningError):
            bad()


def test_settings_choose_the_adapter(store: Store) -> None:
    """PROVISIONING_ADAPTER selects the built-in directory or the HTTP adapter."""
    assert isinstance(create_provisioning_adapter(Settings.from_env({}).provisioning, store), AccountDirectory)
    settings = Settings.from_env({"PROVISIONING_ADAPTER": "http", "PROVISIONING_BASE_URL": "http://127.0.0.1:9/api"})
    assert isinstance(create_provisioning_adapter(settings.provisioning, store), HttpProvisioningAdapter)


# --- the HTTP adapter against a real aiohttp server on loopback ------------------------------------------------

CREDENTIALS = ("pbj-pekerja", "kredensial-uji")


class FakeIntegration:
    """A small integration service implementing the adapter's contract, with switches for failures."""

    def __init__(self) -> None:
        self.accounts: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}
        self.used: set[str] = set()
        self.fail_with: int | None = None
        self.fail_message = ""
        self.hang = asyncio.Event()
        self.hanging = False
        self.seen_auth: list[str | None] = []
        self.garbage = False

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(middlewares=[self.middleware])
        app.router.add_put("/api/accounts/{number}/{system}/{role}", self.put_account)
        app.router.add_get("/api/accounts/{number}/{system}/{role}", self.get_account)
        app.router.add_post("/api/accounts/{id}/activate", self.activate)
        app.router.add_post("/api/accounts/{id}/set-password-tokens", self.issue)
        app.router.add_post("/api/set-password-tokens/{action}", self.use_token)
        return app

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Check Basic auth and apply the failure switches."""
        self.seen_auth.append(request.headers.get("Authorization"))
        expected = "Basic " + base64.b64encode(":".join(CREDENTIALS).encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"message": "unauthorised"}, status=401)
        if self.hanging:
            await self.hang.wait()
        if self.fail_with is not None:
            return web.json_response({"message": self.fail_message}, status=self.fail_with)
        if self.garbage:
            return web.Response(text="<html>proxy</html>", content_type="text/html")
        response: web.StreamResponse = await handler(request)
        return response

    def _by_id(self, account_id: str) -> dict[str, Any]:
        return next(a for a in self.accounts.values() if a["accountId"] == account_id)

    async def put_account(self, request: web.Request) -> web.Response:
        """Create or return the account of the natural key."""
        key = (request.match_info["number"], request.match_info["system"], request.match_info["role"])
        body = await request.json()
        created = key not in self.accounts
        if created:
            self.accounts[key] = {
                "accountId": str(uuid.uuid4()),
                "requestNumber": key[0],
                "system": key[1],
                "role": key[2],
                "status": body["status"],
                "userId": body.get("userId") or f"u{len(self.accounts) + 1}",
                "mustChangePassword": True,
            }
        return web.json_response(self.accounts[key], status=201 if created else 200)

    async def get_account(self, request: web.Request) -> web.Response:
        """The account of the natural key, or 404."""
        key = (request.match_info["number"], request.match_info["system"], request.match_info["role"])
        if key not in self.accounts:
            return web.json_response({"message": "not found"}, status=404)
        return web.json_response(self.accounts[key])

    async def activate(self, request: web.Request) -> web.Response:
        """Activate an account."""
        account = self._by_id(request.match_info["id"])
        account["status"] = "ACTIVE"
        return web.json_response(account)

    async def issue(self, request: web.Request) -> web.Response:
        """Issue a token."""
        token = uuid.uuid4().hex
        self.tokens[token] = request.match_info["id"]
        return web.json_response({"token": token, "expiresAt": "2026-03-03T01:00:00+00:00"}, status=201)

    async def use_token(self, request: web.Request) -> web.Response:
        """Verify or consume a token."""
        body = await request.json()
        token = body["token"]
        if token not in self.tokens or token in self.used:
            return web.json_response({"message": "gone"}, status=410)
        account = self._by_id(self.tokens[token])
        if request.match_info["action"] == "consume":
            self.used.add(token)
            account["mustChangePassword"] = False
        return web.json_response(account)


@pytest.fixture
async def integration() -> AsyncIterator[tuple[FakeIntegration, str]]:
    """The fake integration service on 127.0.0.1 and its base URL."""
    fake = FakeIntegration()
    async with TestServer(fake.app(), host="127.0.0.1") as server:
        yield fake, str(server.make_url("/api"))
        fake.hang.set()


@pytest.fixture
async def adapter(integration: tuple[FakeIntegration, str]) -> AsyncIterator[HttpProvisioningAdapter]:
    """An HTTP adapter with the right credentials and a short timeout."""
    async with HttpProvisioningAdapter(
        integration[1], username=CREDENTIALS[0], password=CREDENTIALS[1], timeout=0.5
    ) as client:
        yield client


async def test_http_adapter_full_flow(
    adapter: HttpProvisioningAdapter, integration: tuple[FakeIntegration, str]
) -> None:
    """Create twice (one account), find, activate, issue and consume a token – with Basic auth on every call."""
    fake, _ = integration
    request = AccountRequest("PPBJ-2026-000045", System.SIRUP, AccountRole.PPBJ, "Ani", None, AccountStatus.PENDING)
    first = await adapter.create_account(request)
    assert await adapter.create_account(request) == first
    assert len(fake.accounts) == 1
    assert await adapter.find_account("PPBJ-2026-000045", System.SIRUP, AccountRole.PPBJ) == first
    assert await adapter.find_account("PPBJ-2026-000045", System.SPSE, AccountRole.PPBJ) is None
    assert (await adapter.activate_account(first.account_id)).status is AccountStatus.ACTIVE
    issued = await adapter.issue_set_password_token(first.account_id)
    assert (await adapter.verify_set_password_token(issued.token)).account_id == first.account_id
    assert not (await adapter.consume_set_password_token(issued.token, NEW_PASSWORD)).must_change_password
    with pytest.raises(TokenError):
        await adapter.consume_set_password_token(issued.token, NEW_PASSWORD)
    assert all(header is not None and header.startswith("Basic ") for header in fake.seen_auth)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_http_server_errors_are_transient(
    adapter: HttpProvisioningAdapter, integration: tuple[FakeIntegration, str], status: int
) -> None:
    """5xx and 429 answers raise a transient error, so the job is retried."""
    integration[0].fail_with = status
    with pytest.raises(ProvisioningUnavailableError) as caught:
        await adapter.create_account(admin_request("ADM-2026-000001"))
    assert is_transient(caught.value)
    assert f"HTTP {status}" in str(caught.value)


async def test_http_refusal_is_permanent_and_redacted(
    adapter: HttpProvisioningAdapter, integration: tuple[FakeIntegration, str]
) -> None:
    """A 4xx answer is a permanent error quoting the service's reason without the personal data it echoes."""
    integration[0].fail_with = 422
    integration[0].fail_message = "email sari.wulandari@kaltimprov.go.id sudah terdaftar"
    with pytest.raises(ProvisioningError) as caught:
        await adapter.create_account(admin_request("ADM-2026-000001"))
    assert not is_transient(caught.value)
    assert "HTTP 422" in str(caught.value)
    assert "sari.wulandari" not in str(caught.value)
    assert "***@kaltimprov.go.id sudah terdaftar" in str(caught.value)


async def test_http_wrong_credentials_name_the_settings(integration: tuple[FakeIntegration, str]) -> None:
    """A 401 is permanent and tells the operator which settings to check."""
    async with HttpProvisioningAdapter(integration[1], username="salah", password="salah", timeout=0.5) as client:
        with pytest.raises(ProvisioningError, match="PROVISIONING_USERNAME") as caught:
            await client.find_account("ADM-2026-000001", System.SPSE, AccountRole.ADMIN_PPE)
    assert not is_transient(caught.value)


async def test_http_timeout_is_transient(
    adapter: HttpProvisioningAdapter, integration: tuple[FakeIntegration, str]
) -> None:
    """A service that does not answer within the timeout raises a transient error."""
    integration[0].hanging = True
    with pytest.raises(ProvisioningUnavailableError, match="tidak menjawab"):
        await adapter.activate_account("akun-1")


async def test_http_unreachable_service_is_transient() -> None:
    """A refused connection raises a transient error."""
    server = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with HttpProvisioningAdapter(f"http://127.0.0.1:{port}", timeout=0.5) as client:
        with pytest.raises(ProvisioningUnavailableError, match="tidak dapat dihubungi"):
            await client.activate_account("akun-1")


async def test_http_garbage_answer_is_permanent(
    adapter: HttpProvisioningAdapter, integration: tuple[FakeIntegration, str]
) -> None:
    """A 2xx answer that is not the contract's JSON is a permanent error."""
    integration[0].garbage = True
    with pytest.raises(ProvisioningError, match="bukan JSON") as caught:
        await adapter.activate_account("akun-1")
    assert not is_transient(caught.value)


async def test_http_adapter_passes_a_chosen_user_id(adapter: HttpProvisioningAdapter) -> None:
    """An AccountRequest with a user id asks the service to give the account that user id."""
    request = AccountRequest(
        "PPBJ-2026-000045", System.SPSE, AccountRole.PPBJ, "Ani", None, AccountStatus.ACTIVE, user_id="ppbj.k7m2q9xa"
    )
    assert (await adapter.create_account(request)).user_id == "ppbj.k7m2q9xa"
