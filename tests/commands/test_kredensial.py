"""The operator's commands against an engine that asks for credentials (the engine on another host): with
`CAMUNDA_BASIC_AUTH_USERNAME` and `CAMUNDA_BASIC_AUTH_PASSWORD` set, `pbj deploy` (gRPC) and `pbj terlambat` (REST)
are served; without them both are refused with a message naming the settings, and nothing is deployed."""

import secrets
from collections.abc import AsyncIterator

import pytest

from engine.auth import Credentials
from engine.rest import RestSettings
from engine.testing import EmbeddedEngine
from tests.commands.harness import Cli
from tests.workers.harness import BPMN_DIR

USER, PASSWORD = "operator-pbj", secrets.token_urlsafe(16)  # a fresh secret per run, never a literal


@pytest.fixture
async def engine() -> AsyncIterator[EmbeddedEngine]:
    """The commands' engine, asking every client for credentials."""
    async with EmbeddedEngine(settings=RestSettings(credentials=Credentials(users={USER: PASSWORD}))) as secured:
        yield secured


async def test_commands_are_served_with_credentials_and_refused_without(
    engine: EmbeddedEngine, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = await cli("deploy", str(BPMN_DIR))
    assert refused.code == 1
    assert "Zeebe menolak kredensial (UNAUTHENTICATED" in refused.err
    assert "Periksa CAMUNDA_BASIC_AUTH_USERNAME dan CAMUNDA_BASIC_AUTH_PASSWORD" in refused.err
    assert not engine.engine.definitions
    refused = await cli("terlambat")
    assert refused.code == 1
    assert "Mesin proses menolak akses (HTTP 401" in refused.err
    assert "CAMUNDA_BASIC_AUTH_USERNAME" in refused.err

    monkeypatch.setenv("CAMUNDA_BASIC_AUTH_USERNAME", USER)
    monkeypatch.setenv("CAMUNDA_BASIC_AUTH_PASSWORD", PASSWORD)
    deployed = await cli("deploy", str(BPMN_DIR))
    assert deployed.code == 0, deployed.err
    assert f"(tanpa enkripsi, autentikasi dasar sebagai {USER})" in deployed.out
    assert {d.bpmn_process_id for d in engine.engine.definitions.values()} >= {"registrasiAdminPpe"}
    late = await cli("terlambat")
    assert (late.code, late.out.startswith("Tidak ada langkah")) == (0, True), (late.out, late.err)
    assert PASSWORD not in deployed.out + deployed.err + late.out + late.err
