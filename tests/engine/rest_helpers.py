"""Reading the engine's `/v2` REST API in tests: searches, gets and RFC 9457 problem answers."""

import json
from typing import Any

import aiohttp

UNKNOWN_KEY = "2251799813999999"
"""A key of the right shape that no test creates."""


async def ok(response: aiohttp.ClientResponse) -> Any:
    assert response.status == 200, await response.text()
    return await response.json()


async def search(http: aiohttp.ClientSession, resource: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    async with http.post(f"/v2/{resource}/search", json=body or {}) as response:
        result: dict[str, Any] = await ok(response)
        return result


async def items(http: aiohttp.ClientSession, resource: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await search(http, resource, body))["items"]
    return found


async def get(http: aiohttp.ClientSession, path: str) -> dict[str, Any]:
    async with http.get(path) as response:
        result: dict[str, Any] = await ok(response)
        return result


async def problem(response: aiohttp.ClientResponse, status: int) -> dict[str, Any]:
    """Checks an RFC 9457 problem answer and returns it."""
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json()
    assert (body["status"], body["instance"]) == (status, response.url.path)
    assert body["title"]
    assert body["detail"]
    return body


async def bad_search(http: aiohttp.ClientSession, resource: str, body: Any) -> str:
    """Searches with a bad body; returns the 400 problem's detail."""
    async with http.post(f"/v2/{resource}/search", json=body) as response:
        detail: str = (await problem(response, 400))["detail"]
        return detail


async def send(http: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A JSON request; the status and the JSON answer (None for an empty one)."""
    async with http.request(method, path, json=body) as response:
        text = await response.text()
        return response.status, (json.loads(text) if text else None)


async def command(http: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> Any:
    """A request that must succeed (200 or 204); its JSON answer, if any."""
    status, answer = await send(http, method, path, body)
    assert status in (200, 204), (status, answer)
    return answer


async def deploy(http: aiohttp.ClientSession, *resources: tuple[str, bytes]) -> dict[str, Any]:
    """POST /v2/deployments with one multipart `resources` part per file, as Camunda's clients send them."""
    form = aiohttp.FormData()
    for name, content in resources:
        form.add_field("resources", content, filename=name, content_type="application/octet-stream")
    async with http.post("/v2/deployments", data=form) as response:
        result: dict[str, Any] = await ok(response)
        return result
