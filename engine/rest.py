"""A subset of Camunda 8.8's Orchestration Cluster REST API (`/v2`) with Camunda's request and response shapes:
keys as strings, ISO 8601 dates, `filter`/`sort`/`page` searches (engine/queries.py), RFC 9457 problem details on
errors. User tasks for the human steps; process instances, element instances, incidents, variables, process
definitions, decisions (engine/decisions/rest.py) and messages for tools and tests; the clock (pin and reset) when the
engine runs with a controlled clock."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from engine import json_documents, queries
from engine.clock import from_millis
from engine.decisions import rest as decisions
from engine.engine import Engine
from engine.errors import (
    AlreadyExistsError,
    EngineError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from engine.gateway import GATEWAY_VERSION, TENANT
from engine.state import UserTask


class ForbiddenError(EngineError):
    """The request is valid but this engine does not allow it (the clock of an engine not in test mode)."""


_HTTP_STATUS: list[tuple[type[EngineError], int, str]] = [
    (InvalidArgumentError, 400, "INVALID_ARGUMENT"),
    (ForbiddenError, 403, "FORBIDDEN"),
    (NotFoundError, 404, "NOT_FOUND"),
    (FailedPreconditionError, 409, "INVALID_STATE"),
    (AlreadyExistsError, 409, "ALREADY_EXISTS"),
]

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _problem(status: int, title: str, detail: str, instance: str) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance}
    return web.json_response(body, status=status, content_type="application/problem+json")


def _errors(handler: RouteHandler) -> RouteHandler:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except EngineError as exc:
            for cls, status, title in _HTTP_STATUS:
                if isinstance(exc, cls):
                    return _problem(status, title, str(exc), request.path)
            return _problem(500, "INTERNAL_ERROR", str(exc), request.path)

    return wrapper


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    text = await request.text()
    if not text.strip():
        return {}
    try:
        value = json_documents.loads(text)
    except json_documents.JsonDocumentError as exc:
        raise InvalidArgumentError(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidArgumentError("The request body must be a JSON object")
    return value


def _key(request: web.Request, name: str = "key") -> int:
    raw = request.match_info[name]
    try:
        value = int(raw)
    except ValueError:
        raise InvalidArgumentError(f"The key '{raw}' is not a number") from None
    if value <= 0:
        raise InvalidArgumentError(f"The key '{raw}' must be a positive number")
    return value


class RestApi:
    """Serves the `/v2` subset over the engine (the routes are listed in `__init__`)."""

    def __init__(self, engine: Engine, host: str, port: int, grpc_port: int) -> None:
        self.engine = engine
        self.grpc_port = grpc_port
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self.app = web.Application()
        self.app.add_routes(
            [
                web.get("/v2/topology", _errors(self.topology)),
                web.post("/v2/user-tasks/search", _errors(self.search_user_tasks)),
                web.get("/v2/user-tasks/{key}", _errors(self.get_user_task)),
                web.get("/v2/user-tasks/{key}/form", _errors(self.get_user_task_form)),
                web.post("/v2/user-tasks/{key}/variables/search", _errors(self.search_user_task_variables)),
                web.post("/v2/user-tasks/{key}/assignment", _errors(self.assign_user_task)),
                web.delete("/v2/user-tasks/{key}/assignee", _errors(self.unassign_user_task)),
                web.post("/v2/user-tasks/{key}/completion", _errors(self.complete_user_task)),
                web.post("/v2/process-instances/search", _errors(self.search_process_instances)),
                web.get("/v2/process-instances/{key}", _errors(self.get_process_instance)),
                web.post("/v2/element-instances/search", _errors(self.search_element_instances)),
                web.get("/v2/element-instances/{key}", _errors(self.get_element_instance)),
                web.post("/v2/incidents/search", _errors(self.search_incidents)),
                web.get("/v2/incidents/{key}", _errors(self.get_incident)),
                web.post("/v2/incidents/{key}/resolution", _errors(self.resolve_incident)),
                web.post("/v2/variables/search", _errors(self.search_variables)),
                web.get("/v2/variables/{key}", _errors(self.get_variable)),
                web.post("/v2/process-definitions/search", _errors(self.search_process_definitions)),
                web.get("/v2/process-definitions/{key}", _errors(self.get_process_definition)),
                web.get("/v2/process-definitions/{key}/xml", _errors(self.get_process_definition_xml)),
                web.post("/v2/decision-definitions/search", _errors(self.search_decision_definitions)),
                web.post("/v2/decision-definitions/evaluation", _errors(self.evaluate_decision)),
                web.get("/v2/decision-definitions/{key}", _errors(self.get_decision_definition)),
                web.get("/v2/decision-definitions/{key}/xml", _errors(self.get_decision_definition_xml)),
                web.post("/v2/decision-requirements/search", _errors(self.search_decision_requirements)),
                web.get("/v2/decision-requirements/{key}", _errors(self.get_decision_requirements)),
                web.get("/v2/decision-requirements/{key}/xml", _errors(self.get_decision_requirements_xml)),
                web.post("/v2/messages/publication", _errors(self.publish_message)),
                web.put("/v2/clock", _errors(self.pin_clock)),
                web.post("/v2/clock/reset", _errors(self.reset_clock)),
            ]
        )

    async def start(self) -> int:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ topology
    async def topology(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "brokers": [
                    {
                        "nodeId": 0,
                        "host": self.host,
                        "port": self.grpc_port,
                        "version": GATEWAY_VERSION,
                        "partitions": [{"partitionId": 1, "role": "leader", "health": "healthy"}],
                    }
                ],
                "clusterSize": 1,
                "partitionsCount": 1,
                "replicationFactor": 1,
                "gatewayVersion": GATEWAY_VERSION,
            }
        )

    # ------------------------------------------------------------------ user tasks
    def _task(self, key: int) -> UserTask:
        task = self.engine.user_tasks.get(key)
        if task is None:
            raise NotFoundError(f"User task with key '{key}' not found")
        return task

    async def search_user_tasks(self, request: web.Request) -> web.Response:
        body = await _body(request)
        return web.json_response(queries.search(queries.USER_TASKS, queries.user_task_rows(self.engine), body))

    async def get_user_task(self, request: web.Request) -> web.Response:
        task = self._task(_key(request))
        return web.json_response(queries.USER_TASKS.to_json(queries.user_task_row(self.engine, task)))

    async def get_user_task_form(self, request: web.Request) -> web.Response:
        task = self._task(_key(request))
        if task.form_key is None:
            return web.Response(status=204)
        form = self.engine.forms[task.form_key]
        return web.json_response(
            {
                "formKey": str(form.key),
                "formId": form.form_id,
                "version": form.version,
                "schema": form.schema,
                "tenantId": TENANT,
            }
        )

    async def search_user_task_variables(self, request: web.Request) -> web.Response:
        task = self._task(_key(request))
        body = await _body(request)
        names = (body.get("filter") or {}).get("name")
        inst = self.engine.element_instance(task.element_instance_key)
        variables = self.engine.visible_variables(inst) if inst is not None else {}
        items = [
            {
                "name": name,
                "value": json.dumps(value, ensure_ascii=False),
                "isTruncated": False,
                "processInstanceKey": str(task.process_instance_key),
                "tenantId": TENANT,
            }
            for name, value in sorted(variables.items())
            if names is None or name == names or (isinstance(names, dict) and name in names.get("$in", []))
        ]
        return web.json_response({"items": items, "page": {"totalItems": len(items)}})

    async def assign_user_task(self, request: web.Request) -> web.Response:
        key = _key(request)
        body = await _body(request)
        assignee = body.get("assignee")
        if not isinstance(assignee, str) or not assignee.strip():
            raise InvalidArgumentError("No assignee provided: 'assignee' must be a non-empty string")
        self.engine.assign_user_task(key, assignee, bool(body.get("allowOverride", True)))
        return web.Response(status=204)

    async def unassign_user_task(self, request: web.Request) -> web.Response:
        self.engine.assign_user_task(_key(request), None)
        return web.Response(status=204)

    async def complete_user_task(self, request: web.Request) -> web.Response:
        key = _key(request)
        body = await _body(request)
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            raise InvalidArgumentError("'variables' must be a JSON object")
        self.engine.complete_user_task(key, variables)
        return web.Response(status=204)

    # ------------------------------------------------------------------ process instances
    async def search_process_instances(self, request: web.Request) -> web.Response:
        body = await _body(request)
        rows = queries.process_instance_rows(self.engine)
        return web.json_response(queries.search(queries.PROCESS_INSTANCES, rows, body))

    async def get_process_instance(self, request: web.Request) -> web.Response:
        key = _key(request)
        row = queries.find_process_instance(self.engine, key)
        if row is None:
            raise NotFoundError(f"Process instance with key '{key}' not found")
        return web.json_response(queries.PROCESS_INSTANCES.to_json(row))

    # ------------------------------------------------------------------ element instances
    async def search_element_instances(self, request: web.Request) -> web.Response:
        body = await _body(request)
        rows = queries.element_instance_rows(self.engine)
        return web.json_response(queries.search(queries.ELEMENT_INSTANCES, rows, body))

    async def get_element_instance(self, request: web.Request) -> web.Response:
        key = _key(request)
        row = queries.find_element_instance(self.engine, key)
        if row is None:
            raise NotFoundError(f"Element instance with key '{key}' not found")
        return web.json_response(queries.ELEMENT_INSTANCES.to_json(row))

    # ------------------------------------------------------------------ incidents
    async def search_incidents(self, request: web.Request) -> web.Response:
        body = await _body(request)
        return web.json_response(queries.search(queries.INCIDENTS, queries.incident_rows(self.engine), body))

    async def get_incident(self, request: web.Request) -> web.Response:
        key = _key(request)
        incident = self.engine.incidents.get(key)
        if incident is None:
            raise NotFoundError(f"Incident with key '{key}' not found")
        return web.json_response(queries.INCIDENTS.to_json(queries.incident_row(incident)))

    async def resolve_incident(self, request: web.Request) -> web.Response:
        key = _key(request)
        await _body(request)  # an optional operationReference; the embedded engine has no use for it
        self.engine.resolve_incident(key)
        return web.Response(status=204)

    # ------------------------------------------------------------------ variables
    async def search_variables(self, request: web.Request) -> web.Response:
        body = await _body(request)
        raw = request.query.get("truncateValues", "true").lower()
        if raw not in ("true", "false"):
            raise InvalidArgumentError(f"The value for truncateValues is '{raw}' but must be true or false")
        rows = queries.variable_rows(self.engine, truncate=raw == "true")
        return web.json_response(queries.search(queries.VARIABLES, rows, body))

    async def get_variable(self, request: web.Request) -> web.Response:
        key = _key(request)
        row = queries.find_variable(self.engine, key)
        if row is None:
            raise NotFoundError(f"Variable with key '{key}' not found")
        return web.json_response(queries.VARIABLES.to_json(row))

    # ------------------------------------------------------------------ process definitions
    async def search_process_definitions(self, request: web.Request) -> web.Response:
        body = await _body(request)
        rows = queries.process_definition_rows(self.engine)
        return web.json_response(queries.search(queries.PROCESS_DEFINITIONS, rows, body))

    def _definition_row(self, key: int) -> queries.Row:
        for row in queries.process_definition_rows(self.engine):
            if row["processDefinitionKey"] == key:
                return row
        raise NotFoundError(f"Process definition with key '{key}' not found")

    async def get_process_definition(self, request: web.Request) -> web.Response:
        row = self._definition_row(_key(request))
        return web.json_response(queries.PROCESS_DEFINITIONS.to_json(row))

    async def get_process_definition_xml(self, request: web.Request) -> web.Response:
        key = _key(request)
        self._definition_row(key)
        return web.Response(body=self.engine.definitions[key].resource, content_type="text/xml", charset="utf-8")

    # ------------------------------------------------------------------ decisions (engine/decisions/rest.py)
    async def search_decision_definitions(self, request: web.Request) -> web.Response:
        return web.json_response(decisions.search_decision_definitions(self.engine, await _body(request)))

    async def evaluate_decision(self, request: web.Request) -> web.Response:
        return web.json_response(decisions.evaluate_decision(self.engine, await _body(request)))

    async def get_decision_definition(self, request: web.Request) -> web.Response:
        return web.json_response(decisions.decision_definition(self.engine, _key(request)))

    async def get_decision_definition_xml(self, request: web.Request) -> web.Response:
        xml = decisions.decision_definition_xml(self.engine, _key(request))
        return web.Response(body=xml, content_type="text/xml", charset="utf-8")

    async def search_decision_requirements(self, request: web.Request) -> web.Response:
        return web.json_response(decisions.search_decision_requirements(self.engine, await _body(request)))

    async def get_decision_requirements(self, request: web.Request) -> web.Response:
        return web.json_response(decisions.decision_requirements(self.engine, _key(request)))

    async def get_decision_requirements_xml(self, request: web.Request) -> web.Response:
        xml = decisions.decision_requirements_xml(self.engine, _key(request))
        return web.Response(body=xml, content_type="text/xml", charset="utf-8")

    # ------------------------------------------------------------------ messages
    async def publish_message(self, request: web.Request) -> web.Response:
        body = await _body(request)
        name = body.get("name")
        if not isinstance(name, str):
            raise InvalidArgumentError("No name provided: 'name' must be the message name (a string)")
        correlation_key = _optional(body, "correlationKey", str, "")
        ttl = _optional(body, "timeToLive", int, 0)
        if ttl < 0:
            raise InvalidArgumentError(f"The value for timeToLive is '{ttl}' but must be non-negative")
        message_id = _optional(body, "messageId", str, "")
        variables = _optional(body, "variables", dict, {})
        tenant = _optional(body, "tenantId", str, TENANT)
        if tenant != TENANT:
            raise InvalidArgumentError(
                f"Expected to publish a message for tenant '{tenant}', but multi-tenancy is disabled: the only "
                f"tenant is '{TENANT}'"
            )
        key = self.engine.publish_message(name, correlation_key, ttl, message_id, variables)
        return web.json_response({"tenantId": TENANT, "messageKey": str(key)})

    # ------------------------------------------------------------------ clock
    def _controlled_clock(self) -> None:
        if not self.engine.clock.controlled:
            raise ForbiddenError(
                "The engine clock is not controlled: pinning and resetting it is for tests only; start the engine "
                "with a controlled clock (EmbeddedEngine(), or pbj engine --controlled-clock)"
            )

    async def pin_clock(self, request: web.Request) -> web.Response:
        self._controlled_clock()
        body = await _body(request)
        if body.get("timestamp") is None:
            raise InvalidArgumentError("No timestamp provided: 'timestamp' must be the time in epoch milliseconds")
        timestamp = _optional(body, "timestamp", int, 0)
        if timestamp < 0:
            raise InvalidArgumentError(f"The value for timestamp is '{timestamp}' but must be non-negative")
        self.engine.clock.pin(from_millis(timestamp))
        self._clock_moved()
        return web.Response(status=204)

    async def reset_clock(self, request: web.Request) -> web.Response:
        self._controlled_clock()
        self.engine.clock.reset()
        self._clock_moved()
        return web.Response(status=204)

    def _clock_moved(self) -> None:
        """Fires what fell due at the new time; the engine's change hook then wakes the server's scheduler, which
        plans its next wake-up by the new time."""
        self.engine.process_due()


def _optional(body: dict[str, Any], name: str, kind: type[Any], default: Any) -> Any:
    """`body[name]` if it is a `kind` (JSON null or absent: `default`), else a 400 naming the property."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        what = {str: "a string", int: "an integer", dict: "a JSON object"}.get(kind, kind.__name__)
        raise InvalidArgumentError(f"'{name}' must be {what}, not {value!r}")
    return value
