"""Process definitions: search, read, their XML and start form, and per-element statistics (what a monitor draws
on the diagram)."""

from aiohttp import web

from engine.errors import NotFoundError
from engine.rest.context import Context
from engine.rest.http import answer, json_body, no_content, path_key
from engine.rest.reading import element_statistics, matching, search_answer
from engine.search import catalogue, rows
from engine.search.language import Row, Search


def routes(ctx: Context) -> list[web.RouteDef]:
    engine = ctx.engine

    def definition(key: int) -> Row:
        row = rows.find_process_definition(engine, key)
        if row is None:
            raise NotFoundError(f"Process definition with key '{key}' not found")
        return row

    async def search(request: web.Request) -> web.Response:
        query = Search.parse(catalogue.PROCESS_DEFINITIONS, await json_body(request))
        return await search_answer(query, rows.process_definition_rows(engine, query.needs))

    async def get(request: web.Request) -> web.Response:
        return answer(catalogue.PROCESS_DEFINITIONS.to_json(definition(path_key(request, "processDefinitionKey"))))

    async def xml(request: web.Request) -> web.Response:
        key = path_key(request, "processDefinitionKey")
        definition(key)
        return web.Response(body=engine.definitions[key].resource, content_type="text/xml", charset="utf-8")

    async def start_form(request: web.Request) -> web.Response:
        definition(path_key(request, "processDefinitionKey"))
        return no_content()  # start forms are not supported: user tasks link their forms

    async def statistics(request: web.Request) -> web.Response:
        """Per element, over the instances of this definition that match the filter (process instance filters)."""
        key = path_key(request, "processDefinitionKey")
        definition(key)
        body = await json_body(request)
        filters = dict(body.get("filter") or {})
        filters["processDefinitionKey"] = key
        query = Search.parse(catalogue.PROCESS_INSTANCES, {"filter": filters})
        keys = await matching(query, rows.process_instance_rows(engine, query.needs), "processInstanceKey")
        return answer({"items": await element_statistics(engine, keys)})

    return [
        web.post("/v2/process-definitions/search", search),
        web.get("/v2/process-definitions/{processDefinitionKey}", get),
        web.get("/v2/process-definitions/{processDefinitionKey}/xml", xml),
        web.get("/v2/process-definitions/{processDefinitionKey}/form", start_form),
        web.post("/v2/process-definitions/{processDefinitionKey}/statistics/element-instances", statistics),
    ]
