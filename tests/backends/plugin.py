"""pytest plugin: `--engine=embedded|zeebe|zeebe-stand-in` and the `backend` fixture that honours it.

`--engine=embedded` (the default) gives each test a fresh embedded engine; `--engine=zeebe` gives the tests marked
`zeebe` or `e2e` (the end-to-end suite, tests/e2e) one Camunda 8.8 in Docker for the session (testcontainers; the
image tags of compose.env, clock controlled). Where no Docker engine answers, those tests are skipped with one line:
"Docker tidak tersedia: …". Only tests so marked take the `backend` fixture, and every test so marked must take it,
so that none passes silently on the embedded engine under `--engine=zeebe`. Tests that use the `engine` fixture
directly always run on the embedded engine.

`--engine=zeebe-stand-in` runs the same tests through the Zeebe backend's code with a fresh embedded engine standing
in for Camunda: a check of the suite's Camunda path (REST only, best-effort idleness, the embedded-only checks left
out) where there is no Docker – not a check of Camunda itself.
"""

from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from pyzeebe import ZeebeClient, create_insecure_channel

from engine.testing import EmbeddedEngine
from tests.backends.backend import (
    Backend,
    CamundaContainers,
    EmbeddedBackend,
    StandIn,
    ZeebeBackend,
    docker_problem,
)

ENGINES = ("embedded", "zeebe", "zeebe-stand-in")
BACKEND_MARKERS = ("zeebe", "e2e")
"""The markers of the tests that run on the engine `--engine` chose."""
ZEEBE_TEST_TIMEOUT_SECONDS = 900
STAND_IN_QUIET_SECONDS = 0.3
"""How long the searches must stay unchanged to count as idle when the embedded engine stands in for Camunda (no
exporter lag to wait out)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--engine`: which engine the backend-agnostic tests (marked `zeebe`) run against."""
    parser.addoption(
        "--engine",
        choices=ENGINES,
        default="embedded",
        help=(
            "engine of the tests marked 'zeebe' or 'e2e': embedded (default), zeebe (Camunda 8.8 in Docker, "
            "testcontainers) or zeebe-stand-in (the Zeebe backend's code over an embedded engine)"
        ),
    )


def pytest_report_header(config: pytest.Config) -> str:
    """Say which engine the backend-agnostic tests use."""
    return f"engine of the tests marked zeebe or e2e: {config.getoption('engine')}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked `zeebe` or `e2e` must take the `backend` fixture, and only such a test may. Against Camunda in
    Docker such a test gets a longer time limit: the first one also pulls the images and starts the containers."""
    for item in items:
        marked = any(item.get_closest_marker(name) is not None for name in BACKEND_MARKERS)
        uses = "backend" in getattr(item, "fixturenames", ())
        if marked != uses:
            raise pytest.UsageError(
                f"{item.nodeid}: a test marked 'zeebe' or 'e2e' takes the 'backend' fixture, and only such a test does"
            )
        if marked and config.getoption("engine") == "zeebe":
            item.add_marker(pytest.mark.timeout(ZEEBE_TEST_TIMEOUT_SECONDS))


@pytest.fixture(scope="session")
def camunda_containers() -> Iterator[CamundaContainers]:
    """Camunda 8.8 and Elasticsearch in Docker for the whole session; skips the tests when Docker is not there."""
    problem = docker_problem()
    if problem is not None:
        pytest.skip(f"Docker tidak tersedia: {problem}")
    containers = CamundaContainers.from_compose_env()
    try:
        containers.start()
        yield containers
    finally:
        containers.stop()


@pytest.fixture
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """The engine chosen with --engine: a fresh embedded engine, the session's Camunda (active instances are
    cancelled after the test), or the Zeebe backend over a fresh embedded engine standing in for Camunda."""
    if request.config.getoption("engine") == "zeebe":
        containers: CamundaContainers = request.getfixturevalue("camunda_containers")
        async with ZeebeBackend(containers) as zeebe:
            yield zeebe
        return
    if request.config.getoption("engine") == "zeebe-stand-in":
        async with EmbeddedEngine() as engine, ZeebeBackend(StandIn(engine), quiet=STAND_IN_QUIET_SECONDS) as zeebe:
            yield zeebe
        return
    async with EmbeddedEngine() as engine, EmbeddedBackend(engine) as embedded:
        yield embedded


@pytest.fixture
async def backend_channel(backend: Backend) -> AsyncIterator[grpc.aio.Channel]:
    """A plain gRPC channel to the backend's gateway."""
    channel = create_insecure_channel(grpc_address=backend.address)
    yield channel
    await channel.close(grace=None)


@pytest.fixture
def backend_client(backend_channel: grpc.aio.Channel) -> ZeebeClient:
    """A pyzeebe client of the backend's gateway."""
    return ZeebeClient(backend_channel)
