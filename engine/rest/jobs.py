"""Jobs: activation (long polling, as ActivateJobs over gRPC), completion, failure, errors, updates, search."""

import asyncio
import json
from typing import Any

from aiohttp import web

from engine.clock import to_millis
from engine.engine import ActivatedJob
from engine.errors import InvalidArgumentError
from engine.rest.context import Context
from engine.rest.http import TENANT, json_body, no_content, optional, path_key, required, variables_of
from engine.rest.reading import search_answer
from engine.search import catalogue, rows
from engine.search.language import Search

DEFAULT_LONG_POLL_MS = 10_000
MAX_LONG_POLL_MS = 10 * 60 * 1000
MAX_JOBS_TO_ACTIVATE = 1_000


def activated_job_json(activated: ActivatedJob) -> dict[str, object]:
    job = activated.job
    return {
        "type": job.type,
        "processDefinitionId": job.bpmn_process_id,
        "processDefinitionVersion": job.process_definition_version,
        "elementId": job.element_id,
        "customHeaders": job.custom_headers,
        "worker": job.worker,
        "retries": job.retries,
        "deadline": to_millis(job.deadline) if job.deadline else 0,
        "variables": activated.variables,
        "tenantId": TENANT,
        "jobKey": str(job.key),
        "processInstanceKey": str(job.process_instance_key),
        "processDefinitionKey": str(job.process_definition_key),
        "elementInstanceKey": str(job.element_instance_key),
        "kind": job.kind,
        "listenerEventType": job.listener_event_type,
    } | ({"userTask": rest_user_task(activated.user_task)} if activated.user_task is not None else {})


def rest_user_task(properties: dict[str, Any]) -> dict[str, Any]:
    """UserTaskProperties as the REST API writes them (keys as strings)."""
    out = dict(properties)
    out["userTaskKey"] = str(properties["userTaskKey"])
    if properties.get("formKey") is not None:
        out["formKey"] = str(properties["formKey"])
    else:
        out.pop("formKey", None)
    return out


def job_result(body: dict[str, Any]) -> dict[str, Any] | None:
    """A completion's `result` by the names the engine takes: of a user task listener (denied, deniedReason,
    corrections; null properties of the corrections are left out: they keep the task's value) or of an ad-hoc
    sub-process's job (type adHocSubProcess: activateElements, isCompletionConditionFulfilled,
    isCancelRemainingInstances)."""
    result = optional(body, "result", dict, None)
    if result is None:
        return None
    kind = optional(result, "type", str, "userTask")
    if kind == "adHocSubProcess":
        return {
            "type": kind,
            "activateElements": optional(result, "activateElements", list, []),
            "isCompletionConditionFulfilled": optional(result, "isCompletionConditionFulfilled", bool, False),
            "isCancelRemainingInstances": optional(result, "isCancelRemainingInstances", bool, False),
        }
    if kind != "userTask":
        raise InvalidArgumentError(f"Expected the job result's type to be userTask or adHocSubProcess, not '{kind}'")
    corrections = optional(result, "corrections", dict, {})
    return {
        "denied": optional(result, "denied", bool, False),
        "deniedReason": optional(result, "deniedReason", str, ""),
        "corrections": {name: value for name, value in corrections.items() if value is not None},
    }


def routes(ctx: Context) -> list[web.RouteDef]:
    engine = ctx.engine

    async def activate(request: web.Request) -> web.Response:
        """Held until jobs are there or `requestTimeout` runs out (negative: answer at once)."""
        body = await json_body(request)
        job_type = required(body, "type", str)
        worker = optional(body, "worker", str, "")
        timeout_ms = required(body, "timeout", int)
        max_jobs = required(body, "maxJobsToActivate", int)
        if max_jobs > MAX_JOBS_TO_ACTIVATE:
            raise InvalidArgumentError(f"'maxJobsToActivate' is at most {MAX_JOBS_TO_ACTIVATE}, not {max_jobs}")
        fetch = optional(body, "fetchVariable", list, [])
        if not all(isinstance(name, str) for name in fetch):
            raise InvalidArgumentError("'fetchVariable' must be an array of variable names")
        for tenant_id in optional(body, "tenantIds", list, []):
            if tenant_id != TENANT:
                raise InvalidArgumentError(
                    f"Expected tenant '{TENANT}' only (multi-tenancy is disabled), not {tenant_id!r}"
                )
        request_timeout = optional(body, "requestTimeout", int, 0)
        long_poll_ms = min(request_timeout if request_timeout > 0 else DEFAULT_LONG_POLL_MS, MAX_LONG_POLL_MS)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + long_poll_ms / 1000
        engine.poll_started(job_type)
        try:
            while True:
                jobs = engine.activate_jobs(job_type, worker, timeout_ms, max_jobs, list(fetch))
                remaining = give_up_at - loop.time()
                if jobs or request_timeout < 0 or remaining <= 0:
                    break
                waiter = engine.add_job_waiter(job_type)
                try:
                    await asyncio.wait_for(waiter, remaining)
                except TimeoutError:
                    jobs = []
                    break
                finally:
                    engine.remove_job_waiter(job_type, waiter)
        finally:
            engine.poll_ended(job_type)
        text = json.dumps({"jobs": [activated_job_json(j) for j in jobs]}, ensure_ascii=False)
        return web.Response(text=text, content_type="application/json")

    async def complete(request: web.Request) -> web.Response:
        key = path_key(request, "jobKey")
        body = await json_body(request)
        engine.complete_job(key, variables_of(body), job_result(body))
        return no_content()

    async def fail(request: web.Request) -> web.Response:
        key = path_key(request, "jobKey")
        body = await json_body(request)
        engine.fail_job(
            key,
            optional(body, "retries", int, 0),
            optional(body, "errorMessage", str, ""),
            optional(body, "retryBackOff", int, 0),
            variables_of(body),
        )
        return no_content()

    async def throw_error(request: web.Request) -> web.Response:
        key = path_key(request, "jobKey")
        body = await json_body(request)
        engine.throw_error(
            key, required(body, "errorCode", str), optional(body, "errorMessage", str, ""), variables_of(body)
        )
        return no_content()

    async def update(request: web.Request) -> web.Response:
        key = path_key(request, "jobKey")
        body = await json_body(request)
        changes = required(body, "changeset", dict)
        retries = optional(changes, "retries", int, None)
        timeout = optional(changes, "timeout", int, None)
        if retries is None and timeout is None:
            raise InvalidArgumentError("The changeset changes nothing: give 'retries' or 'timeout'")
        if retries is not None:
            engine.update_job_retries(key, retries)
        if timeout is not None:
            engine.update_job_timeout(key, timeout)
        return no_content()

    async def search(request: web.Request) -> web.Response:
        query = Search.parse(catalogue.JOBS, await json_body(request))
        return await search_answer(query, rows.job_rows(engine, query.needs))

    return [
        web.post("/v2/jobs/activation", activate),
        web.post("/v2/jobs/search", search),
        web.patch("/v2/jobs/{jobKey}", update),
        web.post("/v2/jobs/{jobKey}/completion", complete),
        web.post("/v2/jobs/{jobKey}/failure", fail),
        web.post("/v2/jobs/{jobKey}/error", throw_error),
    ]
