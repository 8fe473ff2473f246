"""Deployments (multipart, as Camunda Modeler and the SDKs send them) and deployed resources: reading and deleting
them."""

from aiohttp import BodyPartReader, web

from engine.decisions import rest as decisions
from engine.engine import Deployment
from engine.errors import InvalidArgumentError, NotFoundError
from engine.rest.context import Context
from engine.rest.http import (
    MAX_BODY_BYTES,
    TENANT,
    PayloadTooLargeError,
    answer,
    json_body,
    path_key,
    tenant,
)

MAX_RESOURCES = 100
"""Resources in one deployment (a Modeler deploys one diagram and its forms)."""


def deployment_json(deployment: Deployment) -> dict[str, object]:
    """DeploymentResult: the deployed processes, decisions, decision requirements and forms, in that order (the
    engine's, which is Zeebe's)."""
    items: list[dict[str, object]] = []
    for res in deployment.resources:
        decision_entry = decisions.deployment_entry(res)
        if decision_entry is not None:
            items.append(decision_entry)
        elif res.kind == "form":
            items.append(
                {
                    "form": {
                        "formId": res.id,
                        "version": res.version,
                        "resourceName": res.resource_name,
                        "tenantId": TENANT,
                        "formKey": str(res.key),
                    }
                }
            )
        else:
            items.append(
                {
                    "processDefinition": {
                        "processDefinitionId": res.id,
                        "processDefinitionVersion": res.version,
                        "resourceName": res.resource_name,
                        "tenantId": TENANT,
                        "processDefinitionKey": str(res.key),
                    }
                }
            )
    return {"tenantId": TENANT, "deploymentKey": str(deployment.key), "deployments": items}


async def read_resources(request: web.Request) -> list[tuple[str, bytes]]:
    """The `resources` parts of a multipart body (each a file with its name), at most MAX_BODY_BYTES in all; a
    `tenantId` part must name the default tenant."""
    if request.content_type != "multipart/form-data":
        raise InvalidArgumentError(
            "A deployment is sent as multipart/form-data with one 'resources' part per file (its filename the "
            "resource name)"
        )
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError) as exc:
        raise InvalidArgumentError(f"The multipart body could not be read: {exc}") from None
    resources: list[tuple[str, bytes]] = []
    total = 0
    while True:
        try:
            part = await reader.next()
        except (ValueError, AssertionError) as exc:
            raise InvalidArgumentError(f"The multipart body could not be read: {exc}") from None
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise InvalidArgumentError("Nested multipart bodies are not accepted")
        chunks: list[bytes] = []
        while chunk := await part.read_chunk(64 * 1024):
            total += len(chunk)
            if total > MAX_BODY_BYTES:
                raise PayloadTooLargeError(f"The deployment is larger than {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
        data = b"".join(chunks)
        if part.name == "tenantId":
            tenant({"tenantId": data.decode("utf-8", "replace")})
        elif part.name == "resources":
            if not part.filename:
                raise InvalidArgumentError("Each 'resources' part needs a filename: the resource's name")
            resources.append((part.filename, data))
            if len(resources) > MAX_RESOURCES:
                raise InvalidArgumentError(f"A deployment holds at most {MAX_RESOURCES} resources")
        else:
            raise InvalidArgumentError(f"Unknown part '{part.name}': send 'resources' (and 'tenantId')")
    if not resources:
        raise InvalidArgumentError("No resources provided: send at least one 'resources' part")
    return resources


def routes(ctx: Context) -> list[web.RouteDef]:
    engine = ctx.engine

    async def create(request: web.Request) -> web.Response:
        resources = await read_resources(request)
        return answer(deployment_json(engine.deploy(resources)))

    def resource(key: int) -> dict[str, object]:
        definition = engine.definitions.get(key)
        if definition is not None:
            out: dict[str, object] = {
                "resourceName": definition.resource_name,
                "version": definition.version,
                "resourceId": definition.bpmn_process_id,
                "tenantId": TENANT,
                "resourceKey": str(key),
            }
            if definition.model.version_tag:
                out["versionTag"] = definition.model.version_tag
            return out
        form = engine.forms.get(key)
        if form is not None:
            return {
                "resourceName": form.resource_name,
                "version": form.version,
                "resourceId": form.form_id,
                "tenantId": TENANT,
                "resourceKey": str(key),
            }
        raise NotFoundError(f"Resource with key '{key}' not found")

    async def get(request: web.Request) -> web.Response:
        return answer(resource(path_key(request, "resourceKey")))

    async def content(request: web.Request) -> web.Response:
        key = path_key(request, "resourceKey")
        resource(key)
        definition = engine.definitions.get(key)
        if definition is not None:
            return web.Response(body=definition.resource, content_type="text/xml", charset="utf-8")
        return web.Response(text=engine.forms[key].schema, content_type="application/json")

    async def delete(request: web.Request) -> web.Response:
        key = path_key(request, "resourceKey")
        await json_body(request)  # an optional operationReference
        engine.delete_resource(key)
        return web.Response(status=200)

    return [
        web.post("/v2/deployments", create),
        web.get("/v2/resources/{resourceKey}", get),
        web.get("/v2/resources/{resourceKey}/content", content),
        web.post("/v2/resources/{resourceKey}/deletion", delete),
    ]
