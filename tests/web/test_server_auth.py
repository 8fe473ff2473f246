"""`pbj web` as a service beside an engine that asks for credentials: with `CAMUNDA_BASIC_AUTH_USERNAME` and
`CAMUNDA_BASIC_AUTH_PASSWORD` its Zeebe gateway (gRPC) and REST clients are served – its health check says both
answer and a user task waiting in the engine reaches the staff inbox's REST search – and without them the engine
refuses both, and its health check says so."""

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.auth import Credentials
from engine.rest import RestSettings
from engine.testing import EmbeddedEngine
from pbj.commands.errors import CommandError
from tests.engine.bpmn_builder import chain, process
from tests.web.test_server import ROOT, WAIT, free_port
from web.app import WebApp
from web.settings import WebSettings

USER, PASSWORD = "aplikasi-web", "rahasia-aplikasi-web"
PERIKSA = process(
    "periksaBerkas",
    '<bpmn:startEvent id="Mulai" /><bpmn:userTask id="Periksa" name="Periksa berkas"><bpmn:extensionElements>'
    '<zeebe:userTask /><zeebe:assignmentDefinition candidateGroups="verifikator" /></bpmn:extensionElements>'
    '</bpmn:userTask><bpmn:endEvent id="Selesai" />' + chain("Mulai", "Periksa", "Selesai"),
)


@pytest.fixture
async def secured() -> AsyncIterator[EmbeddedEngine]:
    async with EmbeddedEngine(settings=RestSettings(credentials=Credentials(users={USER: PASSWORD}))) as engine:
        yield engine


def environ(engine: EmbeddedEngine, data: Path, **credentials: str) -> dict[str, str]:
    return {
        "PBJ_DATA_DIR": str(data),
        "ZEEBE_ADDRESS": engine.address,
        "CAMUNDA_REST_ADDRESS": engine.rest_url,
        "WEB_PORT": str(free_port()),
        **credentials,
    }


async def health_of_pbj_web(env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Start `pbj web` with exactly this environment, ask its health check, stop it with SIGTERM."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pbj",
        "web",
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        ready = (await asyncio.wait_for(process.stdout.readline(), WAIT)).decode()
        found = re.search(r"siap di (http://\S+) ", ready)
        assert found, ready
        async with aiohttp.ClientSession() as http, http.get(found.group(1) + "/sehat") as response:
            answer = (response.status, await response.json())
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), WAIT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    return answer


async def test_pbj_web_with_credentials_is_served_over_grpc_and_rest_and_refused_without(
    secured: EmbeddedEngine, tmp_path: Path
) -> None:
    credentials = {"CAMUNDA_BASIC_AUTH_USERNAME": USER, "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD}
    status, health = await health_of_pbj_web(environ(secured, tmp_path / "data", **credentials))
    assert (status, health["gatewayZeebe"], health["restApi"]) == (200, "baik", "baik")
    status, health = await health_of_pbj_web(environ(secured, tmp_path / "data"))
    assert (status, health["gatewayZeebe"], health["restApi"]) == (503, "kredensial ditolak", "kredensial ditolak")


async def test_the_web_applications_clients_read_the_inbox_with_credentials(
    secured: EmbeddedEngine, tmp_path: Path
) -> None:
    """The clients `pbj web` opens from its settings: a process started over the gateway (gRPC) and the staff
    inbox's user-task search (REST) pass with the credentials; without them both are refused, naming the settings."""
    secured.engine.deploy([("periksa.bpmn", PERIKSA)])
    credentials = {"CAMUNDA_BASIC_AUTH_USERNAME": USER, "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD}
    webapp = WebApp.open(WebSettings.from_env(environ(secured, tmp_path / "data", **credentials)))
    try:
        key = await webapp.gateway.start("periksaBerkas", {})
        inbox = await webapp.rest.search("user-tasks", {"state": "CREATED", "candidateGroup": "verifikator"})
    finally:
        await webapp.aclose()
    assert [(task["name"], task["processInstanceKey"]) for task in inbox] == [("Periksa berkas", str(key))]

    anonymous = WebApp.open(WebSettings.from_env(environ(secured, tmp_path / "data")))
    try:
        with pytest.raises(CommandError, match=r"menolak akses.*CAMUNDA_BASIC_AUTH_USERNAME"):
            await anonymous.rest.search("user-tasks", {"state": "CREATED"})
        with pytest.raises(CommandError, match=r"menolak akses \(UNAUTHENTICATED\)"):
            await anonymous.gateway.start("periksaBerkas", {})
    finally:
        await anonymous.aclose()
    assert len(secured.process_instances("periksaBerkas")) == 1
