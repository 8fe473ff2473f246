"""User tasks: search by every filter of the spec, read, the linked form, the variables the task sees, assign,
unassign, update (`PATCH`) and complete."""

import json

from aiohttp import web

from engine.errors import InvalidArgumentError, NotFoundError
from engine.rest.context import Context
from engine.rest.http import TENANT, answer, json_body, no_content, optional, path_key
from engine.rest.reading import search_answer
from engine.rest.variables import truncate_values
from engine.search import catalogue, rows
from engine.search.language import Search
from engine.state import UserTask

# how long an assignment, update or completion waits for the task's listeners before it is answered 504 (the task
# stays in its transition: the listeners' jobs go on)
LISTENER_TIMEOUT = 30.0


def routes(ctx: Context) -> list[web.RouteDef]:
    engine = ctx.engine

    def task_of(request: web.Request) -> UserTask:
        key = path_key(request, "userTaskKey")
        task = engine.user_tasks.get(key)
        if task is None:
            raise NotFoundError(f"User task with key '{key}' not found")
        return task

    async def search(request: web.Request) -> web.Response:
        query = Search.parse(catalogue.USER_TASKS, await json_body(request))
        return await search_answer(query, rows.user_task_rows(engine, query.needs))

    async def get(request: web.Request) -> web.Response:
        return answer(catalogue.USER_TASKS.to_json(rows.user_task_row(engine, task_of(request))))

    async def form(request: web.Request) -> web.Response:
        task = task_of(request)
        if task.form_key is None or task.form_key not in engine.forms:
            return no_content()
        linked = engine.forms[task.form_key]
        return answer(
            {
                "tenantId": TENANT,
                "formId": linked.form_id,
                "schema": json.loads(linked.schema),
                "version": linked.version,
                "formKey": str(linked.key),
            }
        )

    async def variables(request: web.Request) -> web.Response:
        task = task_of(request)
        truncate = truncate_values(request)
        query = Search.parse(catalogue.USER_TASK_VARIABLES, await json_body(request))
        inst = engine.element_instance(task.element_instance_key)
        found = rows.visible_variable_rows(engine, inst, truncate=truncate) if inst is not None else []
        return await search_answer(query, found)

    async def assign(request: web.Request) -> web.Response:
        key = path_key(request, "userTaskKey")
        body = await json_body(request)
        assignee = body.get("assignee")
        if not isinstance(assignee, str) or not assignee.strip():
            raise InvalidArgumentError("No assignee provided: 'assignee' must be a non-empty string")
        engine.assign_user_task(
            key, assignee, optional(body, "allowOverride", bool, True), optional(body, "action", str, "") or ""
        )
        await engine.user_task_decided(key, LISTENER_TIMEOUT)
        return no_content()

    async def unassign(request: web.Request) -> web.Response:
        key = path_key(request, "userTaskKey")
        engine.assign_user_task(key, None)
        await engine.user_task_decided(key, LISTENER_TIMEOUT)
        return no_content()

    async def update(request: web.Request) -> web.Response:
        key = path_key(request, "userTaskKey")
        body = await json_body(request)
        changes = optional(body, "changeset", dict, {})
        engine.update_user_task(key, {name: value for name, value in changes.items() if value is not None})
        await engine.user_task_decided(key, LISTENER_TIMEOUT)
        return no_content()

    async def complete(request: web.Request) -> web.Response:
        key = path_key(request, "userTaskKey")
        body = await json_body(request)
        engine.complete_user_task(key, optional(body, "variables", dict, {}), optional(body, "action", str, "") or "")
        await engine.user_task_decided(key, LISTENER_TIMEOUT)
        return no_content()

    return [
        web.post("/v2/user-tasks/search", search),
        web.get("/v2/user-tasks/{userTaskKey}", get),
        web.patch("/v2/user-tasks/{userTaskKey}", update),
        web.get("/v2/user-tasks/{userTaskKey}/form", form),
        web.post("/v2/user-tasks/{userTaskKey}/variables/search", variables),
        web.post("/v2/user-tasks/{userTaskKey}/assignment", assign),
        web.delete("/v2/user-tasks/{userTaskKey}/assignee", unassign),
        web.post("/v2/user-tasks/{userTaskKey}/completion", complete),
    ]
