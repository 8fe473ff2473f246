"""Variables: every scope's, live or finished, the value as JSON text (cut at 8,191 characters unless
`?truncateValues=false`)."""

from aiohttp import web

from engine.errors import InvalidArgumentError, NotFoundError
from engine.rest.context import Context
from engine.rest.http import answer, json_body, path_key
from engine.rest.reading import search_answer
from engine.search import catalogue, rows
from engine.search.language import Search


def truncate_values(request: web.Request) -> bool:
    raw = request.query.get("truncateValues", "true").lower()
    if raw not in ("true", "false"):
        raise InvalidArgumentError(f"The value for truncateValues is '{raw}' but must be true or false")
    return raw == "true"


def routes(ctx: Context) -> list[web.RouteDef]:
    engine = ctx.engine

    async def search(request: web.Request) -> web.Response:
        truncate = truncate_values(request)
        query = Search.parse(catalogue.VARIABLES, await json_body(request))
        return await search_answer(query, rows.variable_rows(engine, truncate=truncate))

    async def get(request: web.Request) -> web.Response:
        key = path_key(request, "variableKey")
        row = rows.find_variable(engine, key)
        if row is None:
            raise NotFoundError(f"Variable with key '{key}' not found")
        whole = catalogue.VARIABLES.to_json(row)
        del whole["isTruncated"]  # a variable read by its key is never cut, and the spec's answer has no flag
        return answer(whole)

    return [
        web.post("/v2/variables/search", search),
        web.get("/v2/variables/{variableKey}", get),
    ]
