"""Process instances: create (also waiting for the result), cancel, modify, migrate, search and read – with their
call hierarchy, the sequence flows they took, per-element statistics and their incidents."""

from typing import Any

from aiohttp import web

from engine.errors import DeadlineExceededError, FailedPreconditionError, InvalidArgumentError, NotFoundError
from engine.processing.modification import ActivateInstruction
from engine.rest.context import Context
from engine.rest.http import (
    TENANT,
    answer,
    json_body,
    no_content,
    optional,
    optional_key,
    parse_key,
    path_key,
    required,
    tenant,
    variables_of,
)
from engine.rest.reading import element_statistics, search_answer, sequence_flows
from engine.search import catalogue, rows
from engine.search.language import Search

DEFAULT_RESULT_TIMEOUT_MS = 15_000
MAX_RESULT_TIMEOUT_MS = 24 * 3600 * 1000


def routes(ctx: Context) -> list[web.RouteDef]:
    engine = ctx.engine

    async def create(request: web.Request) -> web.Response:
        body = await json_body(request)
        tenant(body)
        definition_key = optional_key(body, "processDefinitionKey")
        process_id = optional(body, "processDefinitionId", str, "")
        if definition_key is None and not process_id:
            raise InvalidArgumentError("No process given: send a processDefinitionId or a processDefinitionKey")
        version = optional(body, "processDefinitionVersion", int, -1)
        starts = optional(body, "startInstructions", list, [])
        start_ids: list[str] = []
        for item in starts:
            if not isinstance(item, dict) or not isinstance(item.get("elementId"), str):
                raise InvalidArgumentError("Each of 'startInstructions' must be an object with an 'elementId'")
            start_ids.append(item["elementId"])
        if optional(body, "runtimeInstructions", list, []):
            raise InvalidArgumentError("runtimeInstructions (alpha) are not supported by the embedded engine")
        tags = optional(body, "tags", list, [])
        if len(tags) > 10 or not all(isinstance(t, str) and t[:1].isalpha() and len(t) <= 100 for t in tags):
            raise InvalidArgumentError("'tags' are at most 10 strings of up to 100 characters, starting with a letter")
        await_completion = optional(body, "awaitCompletion", bool, False)
        fetch = optional(body, "fetchVariables", list, [])
        timeout_ms = optional(body, "requestTimeout", int, 0) or DEFAULT_RESULT_TIMEOUT_MS
        if not 0 < timeout_ms <= MAX_RESULT_TIMEOUT_MS:
            raise InvalidArgumentError(f"'requestTimeout' must be between 1 and {MAX_RESULT_TIMEOUT_MS} ms")
        pi = engine.create_process_instance(
            bpmn_process_id=process_id,
            version=version,
            process_definition_key=definition_key or 0,
            variables=variables_of(body),
            start_element_ids=start_ids,
            tags=[str(t) for t in tags],
        )
        variables: dict[str, Any] = {}
        if await_completion:
            engine.inflight += 1
            try:
                done = await engine.wait_for_result(pi.key, timeout_ms / 1000)
            except TimeoutError:
                raise DeadlineExceededError(
                    f"Expected the process instance '{pi.key}' to complete within {timeout_ms} ms, but it did not"
                ) from None
            finally:
                engine.inflight -= 1
            if done.state != "COMPLETED":
                raise FailedPreconditionError(
                    f"Expected the process instance '{pi.key}' to complete, but it was terminated"
                )
            variables = dict(done.final_variables or {})
            if fetch:
                variables = {k: v for k, v in variables.items() if k in fetch}
        out: dict[str, Any] = {
            "processDefinitionId": pi.bpmn_process_id,
            "processDefinitionVersion": pi.version,
            "tenantId": TENANT,
            "variables": variables,
            "processDefinitionKey": str(pi.process_definition_key),
            "processInstanceKey": str(pi.key),
        }
        if pi.tags:
            out["tags"] = list(pi.tags)
        return answer(out)

    async def cancel(request: web.Request) -> web.Response:
        key = path_key(request, "processInstanceKey")
        await json_body(request)  # an optional operationReference
        engine.cancel_process_instance(key)
        return no_content()

    async def modify(request: web.Request) -> web.Response:
        key = path_key(request, "processInstanceKey")
        body = await json_body(request)
        activate: list[ActivateInstruction] = []
        for item in optional(body, "activateInstructions", list, []):
            if not isinstance(item, dict):
                raise InvalidArgumentError("Each of 'activateInstructions' must be an object")
            ancestor = item.get("ancestorElementInstanceKey")
            variables: list[tuple[str, dict[str, Any]]] = []
            for instruction in optional(item, "variableInstructions", list, []):
                if not isinstance(instruction, dict):
                    raise InvalidArgumentError("Each of 'variableInstructions' must be an object")
                variables.append((optional(instruction, "scopeId", str, ""), required(instruction, "variables", dict)))
            activate.append(
                ActivateInstruction(
                    required(item, "elementId", str),
                    None if ancestor in (None, "-1", -1) else parse_key(ancestor, "ancestorElementInstanceKey"),
                    tuple(variables),
                )
            )
        terminate: list[int] = []
        for item in optional(body, "terminateInstructions", list, []):
            if not isinstance(item, dict):
                raise InvalidArgumentError("Each of 'terminateInstructions' must be an object")
            terminate.append(parse_key(item.get("elementInstanceKey"), "elementInstanceKey"))
        engine.modify_process_instance(key, activate, terminate)
        return no_content()

    async def migrate(request: web.Request) -> web.Response:
        key = path_key(request, "processInstanceKey")
        body = await json_body(request)
        target = parse_key(required(body, "targetProcessDefinitionKey", str), "targetProcessDefinitionKey")
        mappings: dict[str, str] = {}
        for item in required(body, "mappingInstructions", list):
            if not isinstance(item, dict):
                raise InvalidArgumentError("Each of 'mappingInstructions' must be an object")
            source = required(item, "sourceElementId", str)
            if source in mappings:
                raise InvalidArgumentError(
                    f"Expected to migrate process instance '{key}' but the mapping instructions contain a source "
                    f"element id '{source}' twice"
                )
            mappings[source] = required(item, "targetElementId", str)
        engine.migrate_process_instance(key, target, mappings)
        return no_content()

    async def search(request: web.Request) -> web.Response:
        query = Search.parse(catalogue.PROCESS_INSTANCES, await json_body(request))
        return await search_answer(query, rows.process_instance_rows(engine, query.needs))

    def instance(key: int) -> dict[str, Any]:
        row = rows.find_process_instance(engine, key)
        if row is None:
            raise NotFoundError(f"Process instance with key '{key}' not found")
        return row

    async def get(request: web.Request) -> web.Response:
        return answer(catalogue.PROCESS_INSTANCES.to_json(instance(path_key(request, "processInstanceKey"))))

    async def call_hierarchy(request: web.Request) -> web.Response:
        """The instance and the instances that called it, the root first."""
        pi = engine.process_instances.get(path_key(request, "processInstanceKey"))
        if pi is None:
            raise NotFoundError(f"Process instance with key '{path_key(request, 'processInstanceKey')}' not found")
        chain = [pi]
        while chain[-1].parent_process_instance_key is not None:
            chain.append(engine.process_instances[chain[-1].parent_process_instance_key])
        items = []
        for each in reversed(chain):
            definition = engine.definitions.get(each.process_definition_key)
            items.append(
                {
                    "processInstanceKey": str(each.key),
                    "processDefinitionKey": str(each.process_definition_key),
                    "processDefinitionName": (definition.model.name if definition else None) or each.bpmn_process_id,
                }
            )
        return answer(items)

    async def flows(request: web.Request) -> web.Response:
        key = path_key(request, "processInstanceKey")
        pi = engine.process_instances.get(key)
        if pi is None:
            raise NotFoundError(f"Process instance with key '{key}' not found")
        taken = await sequence_flows(engine, key)
        return answer(
            {
                "items": [
                    {
                        "sequenceFlowId": flow_id,
                        "processInstanceKey": str(key),
                        "processDefinitionKey": str(pi.process_definition_key),
                        "processDefinitionId": pi.bpmn_process_id,
                        "elementId": flow_id,
                        "tenantId": TENANT,
                    }
                    for flow_id in taken
                ]
            }
        )

    async def statistics(request: web.Request) -> web.Response:
        key = path_key(request, "processInstanceKey")
        instance(key)
        return answer({"items": await element_statistics(engine, {key})})

    async def incidents(request: web.Request) -> web.Response:
        key = path_key(request, "processInstanceKey")
        instance(key)
        body = await json_body(request)
        if body.get("filter") is not None:
            raise InvalidArgumentError("This search takes sort and page only: the process instance is the filter")
        query = Search.parse(catalogue.INCIDENTS, {**body, "filter": {"processInstanceKey": key}})
        return await search_answer(query, rows.incident_rows(engine))

    return [
        web.post("/v2/process-instances", create),
        web.post("/v2/process-instances/search", search),
        web.get("/v2/process-instances/{processInstanceKey}", get),
        web.post("/v2/process-instances/{processInstanceKey}/cancellation", cancel),
        web.post("/v2/process-instances/{processInstanceKey}/modification", modify),
        web.post("/v2/process-instances/{processInstanceKey}/migration", migrate),
        web.get("/v2/process-instances/{processInstanceKey}/call-hierarchy", call_hierarchy),
        web.get("/v2/process-instances/{processInstanceKey}/sequence-flows", flows),
        web.get("/v2/process-instances/{processInstanceKey}/statistics/element-instances", statistics),
        web.post("/v2/process-instances/{processInstanceKey}/incidents/search", incidents),
    ]
