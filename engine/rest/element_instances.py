"""Element instances: search, read, setting variables in an element instance's scope, and activating elements of a
running ad-hoc sub-process."""

from aiohttp import web

from engine.errors import NotFoundError
from engine.rest.context import Context
from engine.rest.http import answer, json_body, no_content, optional, path_key, required
from engine.rest.reading import search_answer
from engine.search import catalogue, rows
from engine.search.language import Search


def routes(ctx: Context) -> list[web.RouteDef]:
    engine = ctx.engine

    async def search(request: web.Request) -> web.Response:
        query = Search.parse(catalogue.ELEMENT_INSTANCES, await json_body(request))
        return await search_answer(query, rows.element_instance_rows(engine, query.needs))

    async def get(request: web.Request) -> web.Response:
        key = path_key(request, "elementInstanceKey")
        row = rows.find_element_instance(engine, key)
        if row is None:
            raise NotFoundError(f"Element instance with key '{key}' not found")
        return answer(catalogue.ELEMENT_INSTANCES.to_json(row))

    async def set_variables(request: web.Request) -> web.Response:
        """Zeebe's SetVariables: local to the scope, or propagated to the nearest scope that has each variable."""
        key = path_key(request, "elementInstanceKey")
        body = await json_body(request)
        engine.set_variables(key, required(body, "variables", dict), optional(body, "local", bool, False))
        return no_content()

    async def activate_ad_hoc_activities(request: web.Request) -> web.Response:
        """Zeebe's AD_HOC_SUB_PROCESS_INSTRUCTION ACTIVATE: `elements`, each an elementId with optional variables.
        `cancelRemainingInstances` is part of the instruction record, which Zeebe 8.8's ACTIVATE processor does not
        read: checked, and without effect, as there."""
        key = path_key(request, "adHocSubProcessInstanceKey")
        body = await json_body(request)
        optional(body, "cancelRemainingInstances", bool, False)
        engine.activate_ad_hoc_activities(key, required(body, "elements", list))
        return no_content()

    return [
        web.post("/v2/element-instances/search", search),
        web.post(
            "/v2/element-instances/ad-hoc-activities/{adHocSubProcessInstanceKey}/activation",
            activate_ad_hoc_activities,
        ),
        web.get("/v2/element-instances/{elementInstanceKey}", get),
        web.put("/v2/element-instances/{elementInstanceKey}/variables", set_variables),
    ]
