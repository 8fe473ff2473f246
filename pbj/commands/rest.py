"""A small client of Camunda 8.8's Orchestration Cluster REST API (`/v2`), as the commands need it.

The same calls work against Camunda 8 and the embedded engine (which serves the same shapes). Searches page
through every result with Camunda's cursors. With a name and password in the settings (basic authentication:
`CAMUNDA_BASIC_AUTH_USERNAME`, `CAMUNDA_BASIC_AUTH_PASSWORD`) each call carries them; with OAuth client credentials,
a bearer token fetched with them (client-credentials grant) and reused until shortly before it expires.

Errors become `CommandError`s in Indonesian: an unreachable API names the address and the setting; a refusal names
Camunda's problem title and detail. A 404 is `RestNotFoundError`, so a caller can say what was not found.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from pbj.commands.errors import CommandError, CredentialsRefusedError
from pbj.commands.settings import CommandSettings

PAGE_SIZE = 100
TOKEN_LEEWAY_SECONDS = 60


class RestNotFoundError(CommandError):
    """The REST API answered 404 Not Found."""


@dataclass
class _Token:
    value: str
    expires_at: float


class CamundaRest:
    """Calls to `/v2` with the settings' address and credentials; use as an async context manager."""

    def __init__(self, settings: CommandSettings) -> None:
        self.settings = settings
        self.base = settings.rest.address
        self._session: aiohttp.ClientSession | None = None
        self._token: _Token | None = None

    async def __aenter__(self) -> "CamundaRest":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.settings.rest.timeout))
        return self._session

    # --- calls --------------------------------------------------------------------------------------------------

    async def get(self, path: str) -> Any:
        """GET a JSON resource."""
        return await self._call("GET", path)

    async def get_text(self, path: str) -> str:
        """GET a text resource (a BPMN XML)."""
        result = await self._call("GET", path, text=True)
        return str(result)

    async def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """POST a JSON body; the JSON answer, or None for 204 No Content."""
        return await self._call("POST", path, body=body or {})

    async def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        """PATCH a resource with a JSON body; the JSON answer, or None for 204 No Content."""
        return await self._call("PATCH", path, body=body)

    async def delete(self, path: str) -> Any:
        """DELETE a resource; the JSON answer, or None for 204 No Content."""
        return await self._call("DELETE", path)

    async def search(
        self, resource: str, filter: Mapping[str, Any], sort: list[dict[str, str]] | None = None
    ) -> list[dict[str, Any]]:
        """Every item of `POST /v2/<resource>/search` with this filter, following the cursors page by page."""
        items: list[dict[str, Any]] = []
        page: dict[str, Any] = {"limit": PAGE_SIZE}
        while True:
            body: dict[str, Any] = {"filter": dict(filter), "page": page}
            if sort:
                body["sort"] = sort
            answer = await self.post(f"/v2/{resource}/search", body)
            batch = answer.get("items") or []
            items.extend(batch)
            cursor = (answer.get("page") or {}).get("endCursor")
            if len(batch) < PAGE_SIZE or not cursor:
                return items
            page = {"limit": PAGE_SIZE, "after": cursor}

    async def find(self, path: str) -> Any | None:
        """GET a JSON resource, or None when it does not exist."""
        try:
            return await self.get(path)
        except RestNotFoundError:
            return None

    # --- plumbing -----------------------------------------------------------------------------------------------

    async def _call(self, method: str, path: str, *, body: Mapping[str, Any] | None = None, text: bool = False) -> Any:
        url = self.base + path
        headers = {"Accept": "application/xml, text/xml" if text else "application/json"}
        authorization = await self.authorization()
        if authorization is not None:
            headers["Authorization"] = authorization
        try:
            async with self._http().request(method, url, json=body, headers=headers) as response:
                if response.status >= 400:
                    raise await _problem(method, path, response)
                if response.status == 204:
                    return None
                if text:
                    return await response.text()
                return await response.json(content_type=None)
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise CommandError(
                f"REST API Camunda di {self.base} tidak dapat dihubungi ({_reason(exc)}). Periksa "
                "CAMUNDA_REST_ADDRESS dan pastikan mesin proses berjalan."
            ) from None
        except aiohttp.ContentTypeError:
            raise CommandError(
                f"REST API Camunda di {self.base} memberi jawaban yang bukan JSON untuk {path}."
            ) from None

    async def authorization(self) -> str | None:
        """The `Authorization` value of every call: basic authentication with the settings' name and password, a
        bearer token fetched with their OAuth client credentials, or None."""
        zeebe = self.settings.app.zeebe
        if zeebe.uses_basic_auth:
            return zeebe.basic_authorization
        token = await self._bearer()
        return None if token is None else f"Bearer {token}"

    async def _bearer(self) -> str | None:
        zeebe = self.settings.app.zeebe
        if not zeebe.uses_oauth:
            return None
        if self._token is not None and time.monotonic() < self._token.expires_at:
            return self._token.value
        form = {
            "grant_type": "client_credentials",
            "client_id": zeebe.client_id or "",
            "client_secret": zeebe.client_secret or "",
        }
        if self.settings.rest.token_audience:
            form["audience"] = self.settings.rest.token_audience
        server = zeebe.authorization_server_url or ""
        try:
            async with self._http().post(server, data=form, headers={"Accept": "application/json"}) as response:
                answer = await response.json(content_type=None) if response.status < 400 else None
                if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
                    raise CommandError(
                        f"Token akses tidak diperoleh dari {server} (HTTP {response.status}). Periksa "
                        "ZEEBE_CLIENT_ID, ZEEBE_CLIENT_SECRET dan ZEEBE_AUTHORIZATION_SERVER_URL."
                    )
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise CommandError(f"Server otorisasi {server} tidak dapat dihubungi ({_reason(exc)}).") from None
        lifetime = answer.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) else 300.0
        self._token = _Token(answer["access_token"], time.monotonic() + max(seconds - TOKEN_LEEWAY_SECONDS, 1.0))
        return self._token.value


async def _problem(method: str, path: str, response: aiohttp.ClientResponse) -> CommandError:
    """A CommandError for a refused call, with Camunda's problem title and detail when the body has them."""
    title, detail = response.reason or "", ""
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        body = None
    if isinstance(body, dict):
        title = str(body.get("title") or title)
        detail = str(body.get("detail") or "")
    if response.status == 404:
        return RestNotFoundError(f"Tidak ditemukan pada mesin proses: {method} {path}. {detail}".strip())
    if response.status in (401, 403):
        return CredentialsRefusedError(
            f"Mesin proses menolak akses (HTTP {response.status} {title}); periksa kredensial pada pengaturan: "
            "CAMUNDA_BASIC_AUTH_USERNAME dan CAMUNDA_BASIC_AUTH_PASSWORD, atau ZEEBE_CLIENT_ID dan ZEEBE_CLIENT_SECRET."
        )
    message = f"Mesin proses menolak permintaan {method} {path} (HTTP {response.status} {title})"
    return CommandError(f"{message}: {detail}" if detail else f"{message}.")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
