"""Authentication, as Camunda 8.8 self-managed offers it, embedded-sized: with credentials configured, every REST
request and every gRPC call without them is refused, and accepted with them – a user's name and password (basic),
an API client's id and secret (basic, or an OAuth token from the engine's /oauth/token) – for pyzeebe, the Node
clients and plain HTTP alike. Beyond loopback `pbj engine` does not start without credentials."""

import base64
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import grpc
import pytest
from pyzeebe import ZeebeClient, create_insecure_channel, create_oauth2_client_credentials_channel
from pyzeebe.proto import gateway_pb2 as pb

from engine.auth import Credentials, CredentialsError, own_login
from engine.rest import RestSettings
from engine.testing import EmbeddedEngine
from pbj.access import access_line, exposure
from pbj.cli import EngineOptions, run_engine
from pbj.commands.errors import CommandError
from pbj.commands.rest import CamundaRest
from pbj.commands.settings import CommandSettings
from pbj.commands.settings import RestSettings as CommandRest
from pbj.commands.zeebe import Gateway
from tests.engine.bpmn_builder import simple_service_process
from tests.engine.clients.node import node_or_skip, run_node
from tests.engine.clients.test_js_sdk_client import run_grpc_script
from tests.engine.clients.test_rest_clients import (
    DIAGRAM,
    LIFECYCLE,
    ORCHESTRATION_API,
    WORKER,
    check_lifecycle,
    check_worker,
    lifecycle_env,
    worker_env,
)
from tests.engine.rest_helpers import problem
from tests.engine.rpc_helpers import stub
from workers.channel import create_channel
from workers.settings import Settings, ZeebeSettings

USER, PASSWORD = "demo", secrets.token_urlsafe(16)  # fresh secrets per run, never literals
CLIENT, SECRET = "pekerja", secrets.token_urlsafe(16)
CREDENTIALS = Credentials(users={USER: PASSWORD}, clients={CLIENT: SECRET})


def basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


@pytest.fixture
async def secured() -> AsyncIterator[EmbeddedEngine]:
    async with EmbeddedEngine(settings=RestSettings(credentials=CREDENTIALS)) as engine:
        yield engine


async def token(http: aiohttp.ClientSession, client_id: str, secret: str) -> tuple[int, dict[str, Any]]:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    async with http.post("/oauth/token", data=form) as response:
        return response.status, await response.json()


# ---------------------------------------------------------------------- REST
async def test_rest_refuses_requests_without_valid_credentials(secured: EmbeddedEngine) -> None:
    async with aiohttp.ClientSession(base_url=secured.rest_url) as http:
        for headers in ({}, {"Authorization": basic(USER, "salah")}, {"Authorization": "Bearer tebakan"}):
            async with http.get("/v2/topology", headers=headers) as response:
                await problem(response, 401)
                assert response.headers["WWW-Authenticate"].startswith("Basic")
            async with http.post("/v2/process-instances/search", json={}, headers=headers) as response:
                await problem(response, 401)
        async with http.get("/v2/status") as response:  # a health probe needs no credentials
            assert response.status == 204


async def test_rest_accepts_a_users_password_and_a_clients_token(secured: EmbeddedEngine) -> None:
    async with aiohttp.ClientSession(base_url=secured.rest_url) as http:
        for name, password in ((USER, PASSWORD), (CLIENT, SECRET)):
            async with http.get("/v2/topology", headers={"Authorization": basic(name, password)}) as response:
                assert response.status == 200
        status, issued = await token(http, CLIENT, SECRET)
        assert (status, issued["token_type"]) == (200, "Bearer")
        bearer = {"Authorization": f"Bearer {issued['access_token']}"}
        async with http.post("/v2/process-instances/search", json={}, headers=bearer) as response:
            assert response.status == 200
        async with http.get("/v2/authentication/me", headers={"Authorization": basic(USER, PASSWORD)}) as response:
            assert (response.status, (await response.json())["username"]) == (200, USER)
        assert (await token(http, CLIENT, "salah"))[0] == 401
        assert (await token(http, USER, PASSWORD))[0] == 401  # tokens are for API clients


# ---------------------------------------------------------------------- gRPC
async def test_grpc_refuses_calls_without_credentials_and_accepts_basic(secured: EmbeddedEngine) -> None:
    async with grpc.aio.insecure_channel(secured.address) as channel:
        gateway = stub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await gateway.Topology(pb.TopologyRequest())
        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
        request = pb.ActivateJobsRequest(type="x", maxJobsToActivate=1, timeout=1000, requestTimeout=10)
        with pytest.raises(grpc.aio.AioRpcError) as refused_stream:
            await anext(aiter(gateway.ActivateJobs(request)))
        assert refused_stream.value.code() is grpc.StatusCode.UNAUTHENTICATED
        answer = await gateway.Topology(pb.TopologyRequest(), metadata=[("authorization", basic(USER, PASSWORD))])
        assert answer.clusterSize == 1
    client = ZeebeClient(create_insecure_channel(grpc_address=secured.address))
    with pytest.raises(Exception, match=r"UNAUTHENTICATED|credentials"):
        await client.topology()


async def test_pyzeebe_over_its_oauth_path_deploys_and_runs_a_job(
    secured: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyzeebe's OAuth channel fetches a token from the engine's /oauth/token (plain HTTP on loopback, which
    oauthlib allows only when told to) and sends it with every call: deploy, create, activate and complete."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    channel = create_oauth2_client_credentials_channel(
        grpc_address=secured.address,
        client_id=CLIENT,
        client_secret=SECRET,
        authorization_server=f"{secured.rest_url}/oauth/token",
        scope=None,
        audience=None,
        channel_credentials=grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP),
    )
    try:
        gateway = stub(channel)
        resource = pb.Resource(name="simple.bpmn", content=simple_service_process())
        await gateway.DeployResource(pb.DeployResourceRequest(resources=[resource]))
        created = await gateway.CreateProcessInstance(
            pb.CreateProcessInstanceRequest(bpmnProcessId="simple", version=-1)
        )
        request = pb.ActivateJobsRequest(type="do-work", maxJobsToActivate=1, timeout=10_000, requestTimeout=5_000)
        jobs = [job async for response in gateway.ActivateJobs(request) for job in response.jobs]
        await gateway.CompleteJob(pb.CompleteJobRequest(jobKey=jobs[0].key, variables="{}"))
    finally:
        await channel.close(grace=None)
    assert secured.process_instance(created.processInstanceKey).state == "COMPLETED"


async def test_the_engines_own_clients_authenticate_on_an_authorized_channel(secured: EmbeddedEngine) -> None:
    """pbj up's workers use the engine's own credentials (an API client's first) as basic authentication on the
    clients' one channel builder: unary and streaming calls pass."""
    assert own_login(CREDENTIALS) == (CLIENT, SECRET)
    zeebe = ZeebeSettings(address=secured.address, username=CLIENT, password=SECRET)
    assert zeebe.basic_authorization == basic(CLIENT, SECRET)
    async with create_channel(zeebe) as channel:
        client = ZeebeClient(channel)
        assert (await client.topology()).cluster_size == 1
        gateway = stub(channel)
        resource = pb.Resource(name="simple.bpmn", content=simple_service_process())
        await gateway.DeployResource(pb.DeployResourceRequest(resources=[resource]))
        await client.run_process("simple")
        request = pb.ActivateJobsRequest(type="do-work", maxJobsToActivate=1, timeout=10_000, requestTimeout=5_000)
        jobs = [job async for response in gateway.ActivateJobs(request) for job in response.jobs]
        assert len(jobs) == 1
    assert own_login(Credentials()) is None


async def test_the_commands_clients_send_the_settings_credentials(secured: EmbeddedEngine) -> None:
    """The commands' and the web application's REST and gRPC clients carry the settings' name and password (as
    under `pbj up`, whose settings hold the engine's own): refused without them, served with them."""
    assert secured.rest_url is not None
    anonymous_zeebe = replace(ZeebeSettings(), address=secured.address)
    zeebe = replace(anonymous_zeebe, username=CLIENT, password=SECRET)
    app = Settings.from_env({})
    anonymous = CommandSettings(app=replace(app, zeebe=anonymous_zeebe), rest=CommandRest(secured.rest_url))
    commands = CommandSettings(app=replace(app, zeebe=zeebe), rest=CommandRest(secured.rest_url))
    async with CamundaRest(anonymous) as rest:
        with pytest.raises(CommandError, match="CAMUNDA_BASIC_AUTH_USERNAME"):
            await rest.post("/v2/process-definitions/search", {})
    async with CamundaRest(commands) as rest:
        assert (await rest.post("/v2/process-definitions/search", {}))["items"] == []
    refused = Gateway(anonymous_zeebe)
    try:
        with pytest.raises(CommandError, match=r"menolak akses \(UNAUTHENTICATED\).*CAMUNDA_BASIC_AUTH_USERNAME"):
            await refused.check()
    finally:
        await refused.close()
    gateway = Gateway(zeebe)
    try:
        await gateway.check()
    finally:
        await gateway.close()


# ---------------------------------------------------------------------- the Node clients
async def test_the_node_clients_are_refused_without_credentials(secured: EmbeddedEngine) -> None:
    node = node_or_skip(ORCHESTRATION_API)
    assert secured.rest_url is not None
    observed = await run_node(node, LIFECYCLE, str(DIAGRAM), env=lifecycle_env(secured.rest_url))
    assert {e["step"] for e in observed["errors"]} >= {"topology", "deployment", "createdA"}
    assert not secured.engine.definitions


async def test_the_orchestration_api_client_with_basic_authentication(secured: EmbeddedEngine) -> None:
    node = node_or_skip(ORCHESTRATION_API)
    assert secured.rest_url is not None
    auth = {
        "CAMUNDA_AUTH_STRATEGY": "BASIC",
        "CAMUNDA_BASIC_AUTH_USERNAME": USER,
        "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD,
    }
    observed = await run_node(node, LIFECYCLE, str(DIAGRAM), env=lifecycle_env(secured.rest_url, **auth))
    check_lifecycle(secured, observed)


async def test_the_sdk_grpc_client_with_basic_authentication(secured: EmbeddedEngine) -> None:
    """@camunda8/sdk's Zeebe gRPC client sends the user's name and password with every call: its whole script runs."""
    node = node_or_skip("@camunda8/sdk")
    auth = {
        "CAMUNDA_AUTH_STRATEGY": "BASIC",
        "CAMUNDA_BASIC_AUTH_USERNAME": USER,
        "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD,
    }
    observed = await run_grpc_script(node, secured.address, **auth)
    assert observed["errors"] == []
    assert observed["resultB"]["variables"]["orderTotal"] == 2100


async def test_the_sdk_rest_worker_with_an_oauth_client(secured: EmbeddedEngine) -> None:
    node = node_or_skip("@camunda8/sdk")
    assert secured.rest_url is not None
    auth = {
        "CAMUNDA_AUTH_STRATEGY": "OAUTH",
        "ZEEBE_CLIENT_ID": CLIENT,
        "ZEEBE_CLIENT_SECRET": SECRET,
        "CAMUNDA_OAUTH_URL": f"{secured.rest_url}/oauth/token",
        "CAMUNDA_TOKEN_DISK_CACHE_DISABLE": "true",
    }
    observed = await run_node(node, WORKER, str(DIAGRAM), "2", env=worker_env(secured.rest_url, **auth))
    check_worker(secured, observed, 2)


# ---------------------------------------------------------------------- pbj engine beyond loopback
async def test_pbj_engine_beyond_loopback_needs_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    """Without credentials `pbj engine --host 0.0.0.0` does not start and says what to set; loopback, credentials or
    --tanpa-autentikasi (with a warning) let it start."""
    assert await run_engine(EngineOptions(host="0.0.0.0", port=0, rest_port=0)) == 2
    message = capsys.readouterr().err
    assert "PBJ_ENGINE_USERNAME" in message
    assert "--tanpa-autentikasi" in message
    assert exposure("127.0.0.1", Credentials(), allow_open=False).refusal is None
    assert exposure("0.0.0.0", CREDENTIALS, allow_open=False) == exposure("::1", Credentials(), allow_open=False)
    warned = exposure("192.168.1.10", Credentials(), allow_open=True)
    assert warned.refusal is None
    assert warned.warning is not None
    assert "TANPA AUTENTIKASI" in warned.warning
    assert access_line(Credentials(), "127.0.0.1") == "tanpa autentikasi (hanya dari mesin ini)"
    assert "TANPA AUTENTIKASI" in access_line(Credentials(), "0.0.0.0")
    assert "basic" in access_line(CREDENTIALS, "0.0.0.0")
    assert "TANPA TLS" in access_line(CREDENTIALS, "0.0.0.0") and "CAMUNDA_BASIC_AUTH_USERNAME" in access_line(
        CREDENTIALS, "0.0.0.0"
    )
    assert "TLS" not in access_line(CREDENTIALS, "127.0.0.1")


def test_incomplete_credentials_in_the_environment_are_refused() -> None:
    with pytest.raises(CredentialsError, match="PBJ_ENGINE_PASSWORD"):
        Credentials.from_environment({"PBJ_ENGINE_USERNAME": "demo"})
    read = RestSettings.from_environment(
        {
            "PBJ_ENGINE_CLIENT_ID": CLIENT,
            "PBJ_ENGINE_CLIENT_SECRET": SECRET,
            "PBJ_ENGINE_CORS_ORIGINS": "https://a.example, https://b.example",
            "PBJ_ENGINE_HOSTS": "Mesin.Pbj.Local",
        }
    )
    assert read.credentials.clients == {CLIENT: SECRET}
    assert read.allowed_origins == {"https://a.example", "https://b.example"}
    assert read.extra_hosts == {"mesin.pbj.local"}
