"""The project's clients against real Camunda 8.8 self-managed with basic authentication and a protected API
(`--engine=zeebe`, Docker; its own containers): with `CAMUNDA_BASIC_AUTH_USERNAME`/`CAMUNDA_BASIC_AUTH_PASSWORD` the
gRPC channel of the workers and `pbj deploy` and the commands' REST client are served, without them refused – the
same `Authorization: Basic` the embedded engine checks (tests/engine/test_rest_auth.py)."""

import io
import secrets
from collections.abc import Iterator
from dataclasses import replace

import pytest
from pyzeebe import ZeebeClient

from pbj.commands.errors import CredentialsRefusedError
from pbj.commands.rest import CamundaRest
from pbj.commands.settings import CommandSettings, RestSettings
from pbj.commands.zeebe import Gateway
from pbj.deploy import deploy
from tests.backends.backend import CamundaContainers, docker_problem
from tests.workers.harness import BPMN_DIR
from workers.channel import create_channel
from workers.settings import Settings, ZeebeSettings

USER, PASSWORD = "layanan-pbj", secrets.token_urlsafe(16)  # a fresh secret per run, never a literal


@pytest.fixture(scope="module")
def protected(request: pytest.FixtureRequest) -> Iterator[CamundaContainers]:
    """Camunda 8.8 whose API asks for a user's name and password (skipped but under --engine=zeebe with Docker)."""
    if request.config.getoption("engine") != "zeebe":
        pytest.skip("Camunda 8.8 dengan autentikasi basic hanya diuji dengan --engine=zeebe (Docker)")
    problem = docker_problem()
    if problem is not None:
        pytest.skip(f"Docker tidak tersedia: {problem}")
    containers = replace(CamundaContainers.from_compose_env(), basic_user=(USER, PASSWORD))
    try:
        containers.start()
        yield containers
    finally:
        containers.stop()


@pytest.mark.timeout(600)
async def test_clients_are_served_with_basic_credentials_and_refused_without(protected: CamundaContainers) -> None:
    anonymous = ZeebeSettings(address=protected.address)
    zeebe = replace(anonymous, username=USER, password=PASSWORD)
    app = Settings.from_env({})
    rest = RestSettings(address=protected.rest_url)

    refused = Gateway(anonymous)
    try:
        with pytest.raises(CredentialsRefusedError):
            await refused.check()
    finally:
        await refused.close()
    async with CamundaRest(CommandSettings(app=replace(app, zeebe=anonymous), rest=rest)) as client:
        with pytest.raises(CredentialsRefusedError):
            await client.search("process-definitions", {})

    result = await deploy([BPMN_DIR], zeebe, out=io.StringIO())
    assert {resource.id for resource in result.resources} >= {"registrasiAdminPpe", "pendaftaranAkunPpbj"}
    async with create_channel(zeebe) as channel:
        assert (await ZeebeClient(channel).topology()).cluster_size == 1
    async with CamundaRest(CommandSettings(app=replace(app, zeebe=zeebe), rest=rest)) as client:
        assert (await client.get("/v2/topology"))["clusterSize"] == 1
