"""Conformance: the variables of the Orchestration Cluster REST API – `POST /v2/variables/search` and
`GET /v2/variables/{variableKey}` – with Camunda 8.8's shapes: one item per scope and name (process-level and local),
the value as JSON text, string keys, truncation of long values unless `truncateValues=false`, filters, sort and
paging as every search, RFC 9457 problems."""

import json
from typing import Any

import aiohttp
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.search.catalogue import VARIABLE_VALUE_LIMIT
from engine.testing import EmbeddedEngine
from tests.engine.rest_helpers import UNKNOWN_KEY, bad_search, get, items, problem, search
from tests.engine.rpc_helpers import activate_one, complete, create
from tests.engine.test_rest_api import http

__all__ = ["http"]  # the fixture of test_rest_api.py: a REST session with its processes deployed

FIELDS = ["variableKey", "name", "value", "scopeKey", "processInstanceKey", "tenantId", "isTruncated"]


async def review_with_local_note(gateway: Any) -> tuple[int, int]:
    """A review instance with `requestId` and `documents` at process level, `check` completed with `checked: true`,
    and a local `note` on the archive task's element instance; (process instance key, archive element key)."""
    pi = await create(gateway, "review", {"requestId": "R-1", "documents": [{"id": 1}, {"id": 2}]})
    await complete(gateway, (await activate_one(gateway, "check")).key, {"checked": True})
    archive = await activate_one(gateway, "archive")
    await gateway.SetVariables(
        pb.SetVariablesRequest(
            elementInstanceKey=archive.elementInstanceKey, variables=json.dumps({"note": "ditunda"}), local=True
        )
    )
    return pi, archive.elementInstanceKey


async def test_variable_search_answers_every_scope_with_camundas_fields(
    http: aiohttp.ClientSession, gateway: Any
) -> None:
    """Process-level and local variables, each once with its scope, the value as JSON text and string keys."""
    pi, archive = await review_with_local_note(gateway)
    found = await items(http, "variables", {"filter": {"processInstanceKey": str(pi)}, "sort": [{"field": "name"}]})
    assert [sorted(v) for v in found] == [sorted(FIELDS)] * 4
    assert [(v["name"], v["value"], v["scopeKey"]) for v in found] == [
        ("checked", "true", str(pi)),
        ("documents", '[{"id": 1}, {"id": 2}]', str(pi)),
        ("note", '"ditunda"', str(archive)),
        ("requestId", '"R-1"', str(pi)),
    ]
    assert {(v["processInstanceKey"], v["tenantId"], v["isTruncated"]) for v in found} == {
        (str(pi), "<default>", False)
    }
    assert len({v["variableKey"] for v in found}) == 4
    assert all(int(v["variableKey"]) > 0 for v in found)


async def test_variable_keys_stay_and_get_answers_the_whole_value(http: aiohttp.ClientSession, gateway: Any) -> None:
    """A variable keeps its key after an update and after the instance ends; GET answers it, 404 for another key."""
    pi = await create(gateway, "review", {"requestId": "R-1"})
    [before] = await items(http, "variables", {"filter": {"name": "requestId"}})
    await complete(gateway, (await activate_one(gateway, "check")).key, {"requestId": "R-1b"})
    await complete(gateway, (await activate_one(gateway, "archive")).key)
    [after] = await items(http, "variables", {"filter": {"name": "requestId", "processInstanceKey": str(pi)}})
    assert (after["variableKey"], after["value"]) == (before["variableKey"], '"R-1b"')
    whole = {name: value for name, value in after.items() if name != "isTruncated"}  # GET never cuts: no flag
    assert await get(http, f"/v2/variables/{after['variableKey']}") == whole
    async with http.get(f"/v2/variables/{UNKNOWN_KEY}") as response:
        assert "not found" in (await problem(response, 404))["detail"]


async def test_long_values_are_truncated_unless_asked_whole(
    engine: EmbeddedEngine, http: aiohttp.ClientSession, gateway: Any
) -> None:
    """Past Camunda's threshold a value is cut and marked truncated; `truncateValues=false` and GET answer it whole."""
    long_text = "x" * (VARIABLE_VALUE_LIMIT + 10)
    await create(gateway, "review", {"requestId": long_text})
    body = {"filter": {"name": "requestId"}}
    [cut] = (await search(http, "variables", body))["items"]
    assert (len(cut["value"]), cut["isTruncated"]) == (VARIABLE_VALUE_LIMIT, True)
    assert cut["value"] == json.dumps(long_text)[:VARIABLE_VALUE_LIMIT]
    async with http.post("/v2/variables/search?truncateValues=false", json=body) as response:
        [whole] = (await response.json())["items"]
    assert (json.loads(whole["value"]), whole["isTruncated"]) == (long_text, False)
    assert (await get(http, f"/v2/variables/{cut['variableKey']}"))["value"] == whole["value"]
    truncated = await items(http, "variables", {"filter": {"isTruncated": True}})
    assert [v["name"] for v in truncated] == ["requestId"]
    async with http.post("/v2/variables/search?truncateValues=maybe", json=body) as response:
        assert "truncateValues" in (await problem(response, 400))["detail"]


async def test_variable_filters_sort_and_page(http: aiohttp.ClientSession, gateway: Any) -> None:
    """Filters on scope, name and value text with operators; sort by name descending; cursor paging; bad ones 400."""
    pi, archive = await review_with_local_note(gateway)
    local = await items(http, "variables", {"filter": {"scopeKey": str(archive)}})
    assert [v["name"] for v in local] == ["note"]
    named = await items(http, "variables", {"filter": {"name": {"$in": ["checked", "note"]}}})
    assert sorted(v["name"] for v in named) == ["checked", "note"]
    valued = await items(http, "variables", {"filter": {"value": {"$like": '"R-*'}}})
    assert [v["name"] for v in valued] == ["requestId"]
    ordered = {"filter": {"processInstanceKey": str(pi)}, "sort": [{"field": "name", "order": "DESC"}]}
    assert [v["name"] for v in await items(http, "variables", ordered)] == ["requestId", "note", "documents", "checked"]
    first = await search(http, "variables", {**ordered, "page": {"limit": 3}})
    rest = await search(http, "variables", {**ordered, "page": {"limit": 3, "after": first["page"]["endCursor"]}})
    assert [v["name"] for v in first["items"] + rest["items"]] == ["requestId", "note", "documents", "checked"]
    assert first["page"]["totalItems"] == 4
    assert "elementId" in await bad_search(http, "variables", {"filter": {"elementId": "CheckTask"}})


@pytest.mark.parametrize("path", ["/v2/variables/abc", "/v2/variables/0"])
async def test_bad_variable_keys_are_400_problems(http: aiohttp.ClientSession, path: str) -> None:
    """A key that is not a positive number is a 400 problem."""
    async with http.get(path) as response:
        await problem(response, 400)
