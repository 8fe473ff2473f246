"""Hostile input to the REST API, one test per finding of the security review: a `$like` pattern that makes a
backtracking matcher run for minutes, bodies that are not UTF-8 or name another charset, state-changing requests a
web page can send without asking (text/plain, forms), foreign `Host` names (DNS rebinding), foreign origins (CORS),
page sizes without a maximum, oversized bodies – and a search over a large state that must let others be served."""

import asyncio
import random
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from engine.rest import RestSettings
from engine.rest.http import MAX_BODY_BYTES
from engine.search.catalogue import VARIABLES
from engine.search.language import MAX_PAGE_SIZE, ROWS_PER_TURN, Search
from engine.search.like import LikePattern
from engine.testing import EmbeddedEngine
from tests.engine.rest_helpers import command, deploy, items, problem
from tests.engine.rpc_helpers import two_tasks


@pytest.fixture
async def http(engine: EmbeddedEngine) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=engine.rest_url) as session:
        yield session


# ---------------------------------------------------------------------- $like without backtracking
def reference_like(pattern: str, text: str) -> bool:
    """What `$like` means, as a regular expression (fine for the short texts it is compared on here)."""
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.fullmatch("".join(out), text, re.DOTALL) is not None


def test_like_matches_what_the_wildcards_mean() -> None:
    """The linear-time matcher agrees with the regular expression on thousands of small patterns and texts made of
    few letters (where stars overlap most), escapes included."""
    rng = random.Random(8)
    for _ in range(4000):
        pattern = "".join(rng.choice("ab*?\\") for _ in range(rng.randint(0, 7)))
        text = "".join(rng.choice("ab*?\\") for _ in range(rng.randint(0, 9)))
        assert LikePattern(pattern).matches(text) is reference_like(pattern, text), (pattern, text)


async def test_a_like_pattern_that_backtracks_elsewhere_answers_over_a_long_value(http: aiohttp.ClientSession) -> None:
    """`*a*a*a*a*a*b*` over a value of 200,000 `a`s – minutes for a backtracking matcher, which would stop every
    client – is answered (nothing matches), and the engine serves the next request."""
    await deploy(http, ("two.bpmn", two_tasks()))
    long_value = "a" * 200_000
    await command(
        http, "POST", "/v2/process-instances", {"processDefinitionId": "twoTasks", "variables": {"v": long_value}}
    )
    for pattern in ("*a*a*a*a*a*b*", "*a?a?a?a?a?b*", "a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"):
        for resource in ("variables", "process-instances"):
            search = (
                {"filter": {"value": {"$like": pattern}}}
                if resource == "variables"
                else {"filter": {"variables": [{"name": "v", "value": {"$like": pattern}}]}}
            )
            assert await items(http, resource, search) == []
    [found] = await items(http, "variables", {"filter": {"value": {"$like": '"a*a'}}})
    assert found["name"] == "v"
    async with http.post("/v2/variables/search", json={"filter": {"name": {"$like": "*" * 5000}}}) as response:
        assert "at most" in (await problem(response, 400))["detail"]


# ---------------------------------------------------------------------- bodies
@pytest.mark.parametrize(
    ("body", "content_type", "named"),
    [
        (b'{"name": "caf\xe9"}', "application/json", "UTF-8"),
        (b'{"name": "x"}', "application/json; charset=iso-8859-1", "iso-8859-1"),
        (b'{"name": "x"}', "application/json; charset=x-no-such-charset", "x-no-such-charset"),
        (b'{"name": ', "application/json", "JSON"),
        (b"[" * 100_000, "application/json", "JSON"),
        (b'["not an object"]', "application/json", "object"),
    ],
)
async def test_a_body_that_cannot_be_read_is_a_400_problem(
    http: aiohttp.ClientSession, body: bytes, content_type: str, named: str
) -> None:
    """Invalid UTF-8, another or an unknown charset, broken or too deeply nested JSON: 400, never 500."""
    async with http.post("/v2/messages/publication", data=body, headers={"Content-Type": content_type}) as response:
        assert named in (await problem(response, 400))["detail"]


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("POST", "/v2/process-instances", "text/plain"),
        ("POST", "/v2/messages/publication", "application/x-www-form-urlencoded"),
        ("POST", "/v2/deployments", "text/plain"),
        ("PUT", "/v2/clock", "text/plain;charset=UTF-8"),
        ("PATCH", "/v2/user-tasks/1", "text/plain"),
    ],
)
async def test_state_changing_requests_a_page_could_send_unasked_are_415(
    http: aiohttp.ClientSession, method: str, path: str, content_type: str
) -> None:
    """A web page sends text/plain and form bodies cross-site without a CORS preflight: refused before anything
    is read (415), whatever the body says."""
    body = b'{"processDefinitionId": "twoTasks", "name": "m", "timestamp": 0}'
    async with http.request(method, path, data=body, headers={"Content-Type": content_type}) as response:
        assert "application/json" in (await problem(response, 415))["detail"]


async def test_a_body_over_the_limit_is_a_413_problem(http: aiohttp.ClientSession) -> None:
    body = b'{"name": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    async with http.post("/v2/messages/publication", data=body, headers={"Content-Type": "application/json"}) as r:
        await problem(r, 413)


# ---------------------------------------------------------------------- Host and origins
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", ""])
async def test_a_host_name_the_engine_does_not_serve_is_refused(engine: EmbeddedEngine, host: str) -> None:
    """DNS rebinding: a page on another name that resolves to this machine gets 421 for every request."""
    async with aiohttp.ClientSession(base_url=engine.rest_url) as http:
        async with http.get("/v2/topology", headers={"Host": host}) as response:
            await problem(response, 421)
        async with http.post("/v2/messages/publication", json={"name": "x"}, headers={"Host": host}) as response:
            await problem(response, 421)


async def test_cors_is_closed_unless_an_origin_is_configured(engine: EmbeddedEngine) -> None:
    """A foreign origin's request and preflight are 403; a configured origin's preflight is answered and its
    requests carry Access-Control-Allow-Origin."""
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    async with aiohttp.ClientSession(base_url=engine.rest_url) as http:
        async with http.options("/v2/process-instances/search", headers=preflight) as response:
            await problem(response, 403)
        async with http.post("/v2/process-instances/search", json={}, headers={"Origin": preflight["Origin"]}) as r:
            await problem(r, 403)
    allowed = "https://pbj.kalbarprov.go.id"
    async with (
        EmbeddedEngine(settings=RestSettings(allowed_origins=frozenset({allowed}))) as configured,
        aiohttp.ClientSession(base_url=configured.rest_url) as http,
    ):
        async with http.options("/v2/process-instances/search", headers={**preflight, "Origin": allowed}) as response:
            assert (response.status, response.headers["Access-Control-Allow-Origin"]) == (204, allowed)
        async with http.post("/v2/process-instances/search", json={}, headers={"Origin": allowed}) as response:
            assert (response.status, response.headers["Access-Control-Allow-Origin"]) == (200, allowed)
        async with http.post("/v2/process-instances/search", json={}, headers={"Origin": preflight["Origin"]}) as r:
            await problem(r, 403)


# ---------------------------------------------------------------------- bounded searches
async def test_a_page_size_over_camundas_maximum_is_refused(http: aiohttp.ClientSession) -> None:
    """`page.limit` 10^9 (which once answered 47 MB and blocked everyone) is a 400 naming the maximum; the
    maximum itself is answered."""
    async with http.post("/v2/process-instances/search", json={"page": {"limit": 10**9}}) as response:
        assert str(MAX_PAGE_SIZE) in (await problem(response, 400))["detail"]
    answer = await command(http, "POST", "/v2/process-instances/search", {"page": {"limit": MAX_PAGE_SIZE}})
    assert answer["items"] == []


def test_a_long_in_list_costs_once_not_per_row() -> None:
    """`$in` with 100,000 values (a 1.5 MB body) over 5,000 rows: the values are looked up, not scanned per row."""
    wanted = [f"n{k}" for k in range(0, 200_000, 2)]
    rows = [
        {"variableKey": k, "name": f"n{k}", "value": "1", "scopeKey": 1, "processInstanceKey": 1} for k in range(5000)
    ]
    answer = Search.parse(VARIABLES, {"filter": {"name": {"$in": wanted}}, "page": {"limit": 1}}).run(rows)
    assert answer["page"]["totalItems"] == 2500


async def test_a_search_over_many_rows_lets_the_event_loop_serve_others() -> None:
    """A search over 20 × ROWS_PER_TURN rows gives the event loop back between each turn of rows: a task that
    counts loop turns runs many times before the search answers (deterministic: it counts yields, not time)."""
    rows = [
        {"variableKey": k, "name": f"n{k}", "value": '"x"', "scopeKey": 1, "processInstanceKey": 1, "tenantId": "t"}
        for k in range(20 * ROWS_PER_TURN)
    ]
    query = Search.parse(VARIABLES, {"filter": {"name": {"$like": "*9*"}}, "page": {"limit": 5}})
    turns = 0
    done = asyncio.Event()

    async def count_turns() -> None:
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_turns())
    await asyncio.sleep(0)
    answer = await query.run_async(rows)
    done.set()
    await counter
    assert answer["page"]["totalItems"] == sum("9" in f"n{k}" for k in range(20 * ROWS_PER_TURN))
    assert turns >= 20
