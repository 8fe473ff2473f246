"""Incidents: search, read, resolve."""

from aiohttp import web

from engine.errors import NotFoundError
from engine.rest.context import Context
from engine.rest.http import answer, json_body, no_content, path_key
from engine.rest.reading import search_answer
from engine.search import catalogue, rows
from engine.search.language import Search


def routes(ctx: Context) -> list[web.RouteDef]:
    engine = ctx.engine

    async def search(request: web.Request) -> web.Response:
        query = Search.parse(catalogue.INCIDENTS, await json_body(request))
        return await search_answer(query, rows.incident_rows(engine, query.needs))

    async def get(request: web.Request) -> web.Response:
        key = path_key(request, "incidentKey")
        incident = engine.incidents.get(key)
        if incident is None:
            raise NotFoundError(f"Incident with key '{key}' not found")
        return answer(catalogue.INCIDENTS.to_json(rows.incident_row(incident)))

    async def resolve(request: web.Request) -> web.Response:
        key = path_key(request, "incidentKey")
        await json_body(request)  # an optional operationReference; the embedded engine has no use for it
        engine.resolve_incident(key)
        return no_content()

    return [
        web.post("/v2/incidents/search", search),
        web.get("/v2/incidents/{incidentKey}", get),
        web.post("/v2/incidents/{incidentKey}/resolution", resolve),
    ]
