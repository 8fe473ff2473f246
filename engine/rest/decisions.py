"""Decision definitions and decision requirements (DMN): search, read, their DMN file, and the evaluation of a
decision by id or key – routed to engine/decisions/rest.py, which fills the answers as Zeebe 8.8 does; decision
instances (the decisions evaluations evaluated, engine/decisions/instances.py): search and read."""

from aiohttp import web

from engine.decisions import rest as decisions
from engine.decisions.instances import answered
from engine.errors import NotFoundError
from engine.rest.context import Context
from engine.rest.http import answer, json_body, path_key
from engine.rest.reading import search_answer
from engine.search import catalogue, rows
from engine.search.language import Search


def _dmn(resource: bytes) -> web.Response:
    return web.Response(body=resource, content_type="text/xml", charset="utf-8")


def routes(ctx: Context) -> list[web.RouteDef]:
    engine = ctx.engine

    async def search_definitions(request: web.Request) -> web.Response:
        query = Search.parse(catalogue.DECISION_DEFINITIONS, await json_body(request))
        return await search_answer(query, rows.decision_definition_rows(engine))

    async def get_definition(request: web.Request) -> web.Response:
        decision = decisions.find_decision(engine, path_key(request, "decisionDefinitionKey"))
        return answer(catalogue.DECISION_DEFINITIONS.to_json(rows.decision_definition_row(decision)))

    async def definition_xml(request: web.Request) -> web.Response:
        return _dmn(decisions.decision_definition_xml(engine, path_key(request, "decisionDefinitionKey")))

    async def evaluate(request: web.Request) -> web.Response:
        return answer(await decisions.evaluate_decision(engine, await json_body(request)))

    async def search_requirements(request: web.Request) -> web.Response:
        query = Search.parse(catalogue.DECISION_REQUIREMENTS, await json_body(request))
        return await search_answer(query, rows.decision_requirements_rows(engine))

    async def get_requirements(request: web.Request) -> web.Response:
        requirements = decisions.find_requirements(engine, path_key(request, "decisionRequirementsKey"))
        return answer(catalogue.DECISION_REQUIREMENTS.to_json(rows.decision_requirements_row(requirements)))

    async def requirements_xml(request: web.Request) -> web.Response:
        return _dmn(decisions.decision_requirements_xml(engine, path_key(request, "decisionRequirementsKey")))

    async def search_instances(request: web.Request) -> web.Response:
        query = Search.parse(catalogue.DECISION_INSTANCES, await json_body(request))
        return await search_answer(query, rows.decision_instance_rows(engine))

    async def get_instance(request: web.Request) -> web.Response:
        instance_id = request.match_info["decisionEvaluationInstanceKey"]
        row = engine.decision_store.instances.get(instance_id)
        if row is None:
            raise NotFoundError(f"Decision instance with key '{instance_id}' not found")
        found = catalogue.DECISION_INSTANCES.to_json(answered(row))
        found["evaluatedInputs"] = list(row["evaluatedInputs"])
        found["matchedRules"] = list(row["matchedRules"])
        return answer(found)

    return [
        web.post("/v2/decision-instances/search", search_instances),
        web.get("/v2/decision-instances/{decisionEvaluationInstanceKey}", get_instance),
        web.post("/v2/decision-definitions/search", search_definitions),
        web.post("/v2/decision-definitions/evaluation", evaluate),
        web.get("/v2/decision-definitions/{decisionDefinitionKey}", get_definition),
        web.get("/v2/decision-definitions/{decisionDefinitionKey}/xml", definition_xml),
        web.post("/v2/decision-requirements/search", search_requirements),
        web.get("/v2/decision-requirements/{decisionRequirementsKey}", get_requirements),
        web.get("/v2/decision-requirements/{decisionRequirementsKey}/xml", requirements_xml),
    ]
