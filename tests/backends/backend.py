"""One test API over either engine: the embedded engine (the default) or a real Camunda 8.8 in Docker
(`pytest --engine=zeebe`).

`Backend` is what a backend-agnostic test may use: where the gateway is (`address`, `rest_url`), `deploy(paths)` (the
code of `pbj deploy`, over gRPC), `increase_time(delta)`, `wait_for_idle()`, `rest(...)`, and searches through the
Orchestration Cluster REST API – `/v2/process-instances/search`, `/v2/element-instances/search`,
`/v2/incidents/search` – which the embedded engine and Camunda 8.8 both serve. Camunda's searches read its secondary
storage (Elasticsearch), filled a moment after the engine acts, so a test asks with `eventually(...)` rather than
once.

- `EmbeddedBackend`: a fresh `EmbeddedEngine` per test; time moves with `EmbeddedEngine.increase_time`, idleness is
  exact (`EmbeddedEngine.wait_for_idle`).
- `ZeebeBackend`: one `CamundaContainers` per test session – Elasticsearch and `camunda/camunda` with the tags of
  compose.env, started with `ZEEBE_CLOCK_CONTROLLED=true` so that `PUT /v2/clock` can pin the engine's clock: time
  moves by pinning it `delta` after the last pinned time (or now), then waiting. Idleness is best effort: the searches
  give the same answer for a while. Between tests every instance still active is cancelled.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import aiohttp
from pyzeebe import ZeebeClient, create_insecure_channel

from engine.testing import EmbeddedEngine
from pbj.deploy import DeploymentResult, collect_resources, deploy_resources

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_ENV = ROOT / "compose.env"
T = TypeVar("T")

CAMUNDA_GRPC_PORT = 26500
CAMUNDA_REST_PORT = 8080
CAMUNDA_MANAGEMENT_PORT = 9600
ELASTICSEARCH_PORT = 9200
STARTUP_TIMEOUT_SECONDS = 300
PAGE_LIMIT = 100


class Backend(Protocol):
    """What a backend-agnostic test may use, whichever engine runs."""

    name: str

    @property
    def address(self) -> str:
        """host:port of the Zeebe gateway gRPC API."""
        ...

    @property
    def rest_url(self) -> str:
        """Base URL of the REST API (`…/v2/…` below it)."""
        ...

    async def deploy(self, *paths: str | Path) -> DeploymentResult:
        """Deploy the `.bpmn` and `.form` files of `paths` in one deployment, as `pbj deploy` does."""
        ...

    async def increase_time(self, delta: timedelta) -> None:
        """Move the engine's clock forward by `delta`; what falls due fires."""
        ...

    async def wait_for_idle(self, timeout: float = 30.0) -> None:
        """Wait until the engine has nothing left to do (embedded: exactly; Zeebe: best effort)."""
        ...

    async def rest(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Any other REST call below `rest_url` (`/v2/…`); the JSON answer."""
        ...

    async def search_process_instances(self, **filter: Any) -> list[dict[str, Any]]:
        """`POST /v2/process-instances/search` with this filter, every page."""
        ...

    async def search_element_instances(self, **filter: Any) -> list[dict[str, Any]]:
        """`POST /v2/element-instances/search` with this filter, every page."""
        ...

    async def search_incidents(self, **filter: Any) -> list[dict[str, Any]]:
        """`POST /v2/incidents/search` with this filter, every page."""
        ...


async def eventually(
    probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], *, timeout: float = 30.0, what: str = ""
) -> T:
    """Call `probe` until `until(result)` holds and return that result; TimeoutError with the last result if not."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while True:
        result = await probe()
        if until(result):
            return result
        if loop.time() >= give_up:
            raise TimeoutError(f"not within {timeout} s: {what or probe}; last answer: {result!r}")
        await asyncio.sleep(0.1)


class _RestBackend:
    """The parts both backends share: deploying over gRPC and the REST searches."""

    name = "?"

    def __init__(self) -> None:
        self._http: aiohttp.ClientSession | None = None

    @property
    def address(self) -> str:
        raise NotImplementedError

    @property
    def rest_url(self) -> str:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._http is not None:
            await self._http.close()

    async def rest(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """One REST call below `rest_url`; the JSON answer (None for 204). Raises on an HTTP error, with its body."""
        assert self._http is not None, "use the backend as an async context manager"
        async with self._http.request(method, f"{self.rest_url}{path}", json=body) as response:
            text = await response.text()
            if response.status >= 400:
                raise AssertionError(f"{method} {path} answered {response.status}: {text}")
            return json.loads(text) if text else None

    async def _search(self, resource: str, filter: Mapping[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page: dict[str, Any] = {"limit": PAGE_LIMIT}
        while True:
            answer = await self.rest("POST", f"/v2/{resource}/search", {"filter": dict(filter), "page": page})
            items.extend(answer["items"])
            cursor = answer.get("page", {}).get("endCursor")
            if len(answer["items"]) < PAGE_LIMIT or not cursor:
                return items
            page = {"limit": PAGE_LIMIT, "after": cursor}

    async def search_process_instances(self, **filter: Any) -> list[dict[str, Any]]:
        return await self._search("process-instances", filter)

    async def search_element_instances(self, **filter: Any) -> list[dict[str, Any]]:
        return sorted(await self._search("element-instances", filter), key=lambda e: int(e["elementInstanceKey"]))

    async def search_incidents(self, **filter: Any) -> list[dict[str, Any]]:
        return await self._search("incidents", filter)

    async def deploy(self, *paths: str | Path) -> DeploymentResult:
        channel = create_insecure_channel(grpc_address=self.address)
        try:
            return await deploy_resources(channel, collect_resources(paths))
        finally:
            await channel.close(grace=None)

    async def cancel_active_instances(self) -> None:
        """Cancel every process instance that is still active (a shared engine starts each test empty-handed)."""
        active = await self.search_process_instances(state="ACTIVE")
        channel = create_insecure_channel(grpc_address=self.address)
        try:
            client = ZeebeClient(channel)
            for instance in active:
                if instance.get("parentProcessInstanceKey") is None:
                    await client.cancel_process_instance(int(instance["processInstanceKey"]))
        finally:
            await channel.close(grace=None)


class EmbeddedBackend(_RestBackend):
    """The embedded engine of one test: exact idleness, the test's own clock."""

    name = "embedded"

    def __init__(self, engine: EmbeddedEngine) -> None:
        super().__init__()
        self.engine = engine

    @property
    def address(self) -> str:
        return self.engine.address

    @property
    def rest_url(self) -> str:
        return self.engine.rest_url

    async def increase_time(self, delta: timedelta) -> None:
        await self.engine.increase_time(delta)
        await self.engine.wait_for_idle()

    async def wait_for_idle(self, timeout: float = 30.0) -> None:
        await self.engine.wait_for_idle(timeout=timeout)


# --- Camunda 8.8 in Docker -------------------------------------------------------------------------------------------


def compose_versions(path: Path = COMPOSE_ENV) -> dict[str, str]:
    """The `NAME=value` lines of compose.env (the image tags the production stack pins)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def docker_problem() -> str | None:
    """Why no Docker engine can be used here (one line), or None when one answers."""
    try:
        from testcontainers.core.docker_client import DockerClient
    except ImportError as exc:
        return f"testcontainers is not installed ({exc}); pip install -e '.[dev]'"
    try:
        DockerClient().client.ping()
    except Exception as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    return None


def _partition_healthy(body: str) -> bool:
    """Whether a `/v2/topology` answer shows partition 1 with a healthy leader."""
    try:
        brokers = json.loads(body).get("brokers") or []
    except ValueError:
        return False
    return any(
        p.get("partitionId") == 1 and p.get("role") == "leader" and p.get("health") == "healthy"
        for broker in brokers
        for p in broker.get("partitions") or []
    )


@dataclass
class CamundaContainers:
    """Elasticsearch and Camunda 8.8 on one Docker network, the clock controllable; one per test session.

    The settings follow deploy/stack.yml (Camunda's lightweight compose file for 8.8): Elasticsearch as secondary
    storage, an unprotected API without authorizations; plus `ZEEBE_CLOCK_CONTROLLED=true` for `PUT /v2/clock`, as
    Camunda Process Test starts the same image."""

    camunda_version: str
    elasticsearch_version: str
    pinned: datetime | None = None
    _started: list[Any] = field(default_factory=list)
    _network: Any = None
    _camunda: Any = None

    @classmethod
    def from_compose_env(cls, path: Path = COMPOSE_ENV) -> "CamundaContainers":
        """The image tags of compose.env."""
        versions = compose_versions(path)
        return cls(versions["CAMUNDA_VERSION"], versions["ELASTICSEARCH_VERSION"])

    def start(self) -> None:
        """Start both containers and wait until Camunda's partition is healthy and its REST API answers."""
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.network import Network
        from testcontainers.core.wait_strategies import CompositeWaitStrategy, HttpWaitStrategy

        self._network = Network().create()
        elasticsearch = (
            DockerContainer(f"docker.elastic.co/elasticsearch/elasticsearch:{self.elasticsearch_version}")
            .with_network(self._network)
            .with_network_aliases("elasticsearch")
            .with_envs(
                **{
                    "discovery.type": "single-node",
                    "xpack.security.enabled": "false",
                    "cluster.routing.allocation.disk.threshold_enabled": "false",
                    "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
                }
            )
            .with_exposed_ports(ELASTICSEARCH_PORT)
            .waiting_for(
                HttpWaitStrategy(ELASTICSEARCH_PORT, "/_cluster/health").with_startup_timeout(STARTUP_TIMEOUT_SECONDS)
            )
        )
        self._started.append(elasticsearch.start())
        camunda = (
            DockerContainer(f"camunda/camunda:{self.camunda_version}")
            .with_network(self._network)
            .with_envs(
                CAMUNDA_DATA_SECONDARYSTORAGE_TYPE="elasticsearch",
                CAMUNDA_DATA_SECONDARYSTORAGE_ELASTICSEARCH_URL="http://elasticsearch:9200",
                CAMUNDA_DATA_SECONDARYSTORAGE_ELASTICSEARCH_CLUSTERNAME="elasticsearch",
                CAMUNDA_DATABASE_INDEX_NUMBEROFREPLICAS="0",
                CAMUNDA_SECURITY_AUTHENTICATION_METHOD="basic",
                CAMUNDA_SECURITY_AUTHENTICATION_UNPROTECTEDAPI="true",
                CAMUNDA_SECURITY_AUTHORIZATIONS_ENABLED="false",
                ZEEBE_CLOCK_CONTROLLED="true",
                JAVA_TOOL_OPTIONS="-Xms1g -Xmx1g",
            )
            .with_exposed_ports(CAMUNDA_GRPC_PORT, CAMUNDA_REST_PORT, CAMUNDA_MANAGEMENT_PORT)
            .waiting_for(
                CompositeWaitStrategy(
                    HttpWaitStrategy(CAMUNDA_MANAGEMENT_PORT, "/actuator/health/readiness"),
                    HttpWaitStrategy(CAMUNDA_REST_PORT, "/v2/topology").for_response_predicate(_partition_healthy),
                ).with_startup_timeout(STARTUP_TIMEOUT_SECONDS)
            )
        )
        self._camunda = camunda.start()
        self._started.append(self._camunda)

    def stop(self) -> None:
        """Remove the containers and the network (whatever of them was started)."""
        while self._started:
            self._started.pop().stop()
        if self._network is not None:
            self._network.remove()
            self._network = None

    def _mapped(self, port: int) -> str:
        return f"{self._camunda.get_container_host_ip()}:{self._camunda.get_exposed_port(port)}"

    @property
    def address(self) -> str:
        """host:port of Camunda's gateway gRPC API on this machine."""
        return self._mapped(CAMUNDA_GRPC_PORT)

    @property
    def rest_url(self) -> str:
        """http://host:port of Camunda's REST API on this machine."""
        return f"http://{self._mapped(CAMUNDA_REST_PORT)}"


class Cluster(Protocol):
    """Where a shared Camunda is, and the time its clock was last pinned to (kept across the tests of a session)."""

    pinned: datetime | None

    @property
    def address(self) -> str:
        """host:port of the gateway gRPC API."""
        ...

    @property
    def rest_url(self) -> str:
        """Base URL of the REST API."""
        ...


class ZeebeBackend(_RestBackend):
    """Camunda 8.8 in Docker, shared by the tests of a session; each test leaves no instance active behind it."""

    name = "zeebe"

    def __init__(self, containers: Cluster, *, quiet: float = 2.0) -> None:
        super().__init__()
        self.containers = containers
        self.quiet = quiet

    @property
    def address(self) -> str:
        return self.containers.address

    @property
    def rest_url(self) -> str:
        return self.containers.rest_url

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.cancel_active_instances()
        finally:
            await super().__aexit__(exc_type, exc, tb)

    async def increase_time(self, delta: timedelta) -> None:
        """Pin the engine's clock `delta` after the last pinned time (or now), then wait for what fell due."""
        millis = int(((self.containers.pinned or datetime.now(UTC)) + delta).timestamp() * 1000)
        await self.rest("PUT", "/v2/clock", {"timestamp": millis})
        self.containers.pinned = datetime.fromtimestamp(millis / 1000, UTC)  # what the engine was told, to the ms
        await self.wait_for_idle()

    async def _fingerprint(self) -> tuple[Any, ...]:
        everything = await self.rest("POST", "/v2/element-instances/search", {"page": {"limit": 1}})
        active = await self.search_element_instances(state="ACTIVE")
        incidents = await self.rest("POST", "/v2/incidents/search", {"page": {"limit": 1}})
        return (
            everything["page"]["totalItems"],
            tuple(e["elementInstanceKey"] for e in active),
            incidents["page"]["totalItems"],
        )

    async def wait_for_idle(self, timeout: float = 30.0) -> None:
        """Best effort: the searches give the same answer for `quiet` seconds in a row (the exporter has caught up
        and nothing moves); TimeoutError if they keep changing."""
        give_up = time.monotonic() + timeout
        last = await self._fingerprint()
        calm_since = time.monotonic()
        while time.monotonic() - calm_since < self.quiet:
            if time.monotonic() >= give_up:
                raise TimeoutError(f"Camunda did not become idle within {timeout} s")
            await asyncio.sleep(0.25)
            now = await self._fingerprint()
            if now != last:
                last, calm_since = now, time.monotonic()
