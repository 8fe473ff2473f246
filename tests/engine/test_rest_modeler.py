"""Camunda Modeler's "Deploy and start" against the engine's REST address, replayed byte for byte.

The bytes are written from the Modeler's source (camunda/camunda-modeler, 5.50, read at commit
6bf14d710c2d8cf17016b34c4bc2d319719b8101; nothing of it is copied here):
- app/lib/zeebe-api/camunda-client-factory.js (`_getProtocol`, `_canConnectWithProtocol`, `_getClientConfig`): for
  an `http://` URL it first asks REST `GET /v2/topology` and uses REST when that answers; the client is
  @camunda8/sdk's CamundaRestClient with ZEEBE_REST_ADDRESS = the URL without `/v2`, OAuth disabled for
  Self-Managed without authentication;
- app/lib/zeebe-api/zeebe-api.js (`deploy`, `_getCamundaResources`, `startInstance`): each file as
  `{content: <the file's bytes>, name: <base name + ".bpmn">}` to `deployResources`; then `createProcessInstance`
  with `{variables, startInstructions, runtimeInstructions, businessId, processDefinitionId}` (the unset ones
  dropped when the body is written as JSON);
- client/src/plugins/zeebe-plugin/start-instance-plugin/StartInstancePluginOverlay.js: deploy, then start by the
  process id found in the deployment's answer.
@camunda8/sdk 8.8.11 (the Modeler's package-lock.json) builds the requests in dist/c8/lib/CamundaRestClient.js:
headers `content-type: application/json`, `user-agent: camunda8-sdk-nodejs/8.8.11`; `deployResources` appends each
resource to a `form-data` FormData as field `resources` with its filename, then `tenantId` (the SDK's default
CAMUNDA_TENANT_ID, `<default>`), and sends the form's own content type with `Accept: application/json`; form-data
(lib/form_data.js) writes a part as `--<boundary>\\r\\nContent-Disposition: form-data; name="…"; filename="…"\\r\\n
Content-Type: application/octet-stream\\r\\n\\r\\n<bytes>\\r\\n` (octet-stream: no MIME type is known for .bpmn),
a plain field without the filename and content type, and ends with `--<boundary>--\\r\\n`; its boundary is 26
dashes and 24 hex digits. `createProcessInstance` adds `tenantId` to the body.

The requests go over a plain TCP connection exactly as written below (Node's own transport headers – Host,
Content-Length, Connection – included), and every answer is checked against the 8.8 spec like any other."""

import asyncio
import json

import pytest

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain, process

SDK_USER_AGENT = "camunda8-sdk-nodejs/8.8.11"
BOUNDARY = "--------------------------" + "5f1c9a0e7b3d2a4c6e8f0a1b"
DIAGRAM = process(
    "pengadaanModeler",
    '<bpmn:startEvent id="Mulai" />'
    '<bpmn:userTask id="PeriksaTask" name="Periksa"><bpmn:extensionElements><zeebe:userTask />'
    "</bpmn:extensionElements></bpmn:userTask>"
    '<bpmn:endEvent id="Selesai" />' + chain("Mulai", "PeriksaTask", "Selesai"),
)


def multipart_body(filename: str, content: bytes) -> bytes:
    """The body form-data writes for one resource and the tenant id."""
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="resources"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="tenantId"\r\n\r\n<default>\r\n'
        f"--{BOUNDARY}--\r\n".encode()
    )


def request(method: str, path: str, host: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"host: {host}", *(f"{name}: {value}" for name, value in headers)]
    if body or method != "GET":
        lines.append(f"content-length: {len(body)}")
    lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends `raw` on a new connection; the answer's status, headers (lower-case names) and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_the_modelers_deploy_and_start_works_on_the_rest_address(engine: EmbeddedEngine, host: str) -> None:
    """Topology (the Modeler's REST check), the multipart deployment and the start by process id all succeed, on
    the name the Modeler's default URL uses (localhost) and on the address; the instance waits at its user task."""
    port = engine.server.ports.rest
    assert port is not None
    authority = f"{host}:{port}"
    sdk_headers = [("content-type", "application/json"), ("user-agent", SDK_USER_AGENT)]

    status, headers, body = await exchange(
        port, request("GET", "/v2/topology", authority, [*sdk_headers, ("accept", "application/json")])
    )
    assert (status, headers["content-type"].split(";")[0]) == (200, "application/json")
    assert json.loads(body)["gatewayVersion"]

    deploy_headers = [
        ("content-type", f"multipart/form-data; boundary={BOUNDARY}"),
        ("user-agent", SDK_USER_AGENT),
        ("Accept", "application/json"),
    ]
    payload = multipart_body("pengadaan.bpmn", DIAGRAM)
    status, _, body = await exchange(port, request("POST", "/v2/deployments", authority, deploy_headers, payload))
    assert status == 200, body
    deployment = json.loads(body)
    [deployed] = deployment["deployments"]
    definition = deployed["processDefinition"]
    assert (definition["processDefinitionId"], definition["resourceName"]) == ("pengadaanModeler", "pengadaan.bpmn")
    assert deployment["tenantId"] == "<default>"

    start = json.dumps(
        {"variables": {"nomorPermohonan": "M-1"}, "processDefinitionId": "pengadaanModeler", "tenantId": "<default>"},
        separators=(",", ":"),
    ).encode()
    status, _, body = await exchange(port, request("POST", "/v2/process-instances", authority, sdk_headers, start))
    assert status == 200, body
    created = json.loads(body)
    assert created["processDefinitionKey"] == definition["processDefinitionKey"]
    key = int(created["processInstanceKey"])
    [task] = engine.user_tasks(key)
    assert task.element_id == "PeriksaTask"
    assert engine.variables(key) == {"nomorPermohonan": "M-1"}
