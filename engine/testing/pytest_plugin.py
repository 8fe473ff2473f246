"""pytest fixtures: `engine` (an EmbeddedEngine with a controlled clock), `zeebe_channel`, `zeebe_client` – and the
REST answers' conformance to Camunda's 8.8 OpenAPI spec, checked in every test.

Enable with `pytest_plugins = ["engine.testing.pytest_plugin"]` in a conftest.py. With `pytest --durable` the
`engine` fixture is a durable engine on a temporary data directory, and after each test its log is replayed into a
fresh engine that must have exactly the same state: the whole suite then checks durable mode.

Every REST server a test starts – in the test's process, or in a process it starts (`pbj up`, `pbj engine`, which
read PBJ_REST_CONFORMANCE_LOG) – checks each answer it gives against the spec (engine/rest/openapi.py), whoever
asked: the workers, the `pbj` commands, a browser, the Node clients. A test that received an answer the spec does
not allow fails, naming the operation and the property. Without node or the pinned package the check is skipped
with a warning, except under CI, where the session stops.
"""

import os
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
from pyzeebe import ZeebeClient, create_insecure_channel

from engine.durable import DurableEngine
from engine.rest import RestApi
from engine.rest.conformance import LOG_VARIABLE
from engine.rest.openapi import Conformance, SpecUnavailableError, load_spec
from engine.testing.embedded import EmbeddedEngine


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--durable",
        action="store_true",
        help="run the engine fixture durable and check after each test that replaying its log gives the same state",
    )


@pytest.fixture
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EmbeddedEngine]:
    """A fresh embedded engine on free loopback ports, clock under the test's control."""
    durable = bool(request.config.getoption("--durable"))
    async with EmbeddedEngine(data_dir=tmp_path / "engine-data" if durable else None) as embedded:
        yield embedded
        if isinstance(embedded.engine, DurableEngine):
            await embedded.server.stop(grace=0.2)
            from engine.durable.verify import replay_differences

            differences = replay_differences(embedded.engine)
            assert not differences, f"replaying the command log gave a different {', '.join(differences)}"


@pytest.fixture
async def zeebe_channel(engine: EmbeddedEngine) -> AsyncIterator[grpc.aio.Channel]:
    channel = create_insecure_channel(grpc_address=engine.address)
    yield channel
    await channel.close(grace=None)


@pytest.fixture
def zeebe_client(zeebe_channel: grpc.aio.Channel) -> ZeebeClient:
    return ZeebeClient(zeebe_channel)


@pytest.fixture(scope="session")
def rest_conformance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Conformance | None]:
    """The session's spec check, installed for every REST server started in this process; engines in processes the
    session starts append their violations to the file PBJ_REST_CONFORMANCE_LOG names (set for the whole session,
    so that a server started by a module-scoped fixture checks too; each test reads what was appended meanwhile)."""
    try:
        conformance = Conformance(load_spec())
    except SpecUnavailableError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.exit(f"the REST answers cannot be checked against Camunda's spec: {exc}", returncode=3)
        warnings.warn(f"REST answers are not checked against Camunda's 8.8 spec here: {exc}", stacklevel=1)
        yield None
        return
    log = tmp_path_factory.mktemp("rest-conformance") / "violations.log"
    log.touch()
    conformance.log = log
    previous = os.environ.get(LOG_VARIABLE)
    os.environ[LOG_VARIABLE] = str(log)
    RestApi.checks.append(conformance.check)
    try:
        yield conformance
    finally:
        RestApi.checks.remove(conformance.check)
        if previous is None:
            os.environ.pop(LOG_VARIABLE, None)
        else:
            os.environ[LOG_VARIABLE] = previous


@pytest.fixture(autouse=True)
def _rest_answers_conform(rest_conformance: Conformance | None) -> Iterator[None]:
    """Fails the test when a REST server answered something Camunda's 8.8 spec does not allow."""
    if rest_conformance is None or rest_conformance.log is None:
        yield
        return
    log = rest_conformance.log
    start = log.stat().st_size
    rest_conformance.found.clear()
    yield
    found = list(rest_conformance.found)
    rest_conformance.found.clear()
    with log.open("rb") as appended:
        appended.seek(start)
        found += appended.read().decode("utf-8", "replace").splitlines()
    assert not found, "REST answers that Camunda's 8.8 OpenAPI spec does not allow:\n" + "\n".join(found[:30])
