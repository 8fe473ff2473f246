"""One test API over either engine: the embedded engine (the default) or a real Camunda 8.8 in Docker
(`pytest --engine=zeebe`).

`Backend` is what a backend-agnostic test may use, the end-to-end suite included:

- where the gateway is (`address`, `rest_url`); `deploy(paths)` (the code of `pbj deploy`, over gRPC);
- the application's commands: `start_instance` (gRPC `CreateProcessInstance`), `publish_message`
  (`POST /v2/messages/publication`);
- time: `current_time`, `pin_clock(moment)` (`PUT /v2/clock`), `increase_time(delta)`;
- waiting: `wait_for_workers(task_types)`, `wait_for_idle(served=...)`, and `eventually(probe, until)` for any other
  condition;
- Tasklist: `search_user_tasks`, `user_task_form`, `user_task_variables`, `assign_user_task`, `complete_user_task`
  (`/v2/user-tasks/…`, `/v2/user-tasks/{key}/completion`);
- Operate: `search_process_instances`, `process_instance`, `search_element_instances`, `active_element_ids`,
  `search_incidents`, `resolve_incident` (a job retry over gRPC, then `POST /v2/incidents/{key}/resolution`),
  `search_variables`, `variables` (`POST /v2/variables/search`), `instance` (a snapshot to assert on, see
  tests/backends/instance.py);
- `rest(...)` for anything else below `/v2`; `embedded`, the `EmbeddedEngine` or None, for the few checks only the
  embedded engine can make (a test names them so, see `SystemUnderTest.embedded_only` in the e2e harness).

The embedded engine and Camunda 8.8 serve the same `/v2` endpoints with the same shapes. Camunda's searches read its
secondary storage (Elasticsearch), filled a moment after the engine acts, so a test asks after `wait_for_idle` or
with `eventually(...)` rather than once.

- `EmbeddedBackend`: a fresh `EmbeddedEngine` per test; time moves with `EmbeddedEngine.increase_time`, idleness is
  exact (`EmbeddedEngine.wait_for_idle`, and no job of a type the test's workers serve left waiting), the workers'
  first polls are seen by the engine.
- `ZeebeBackend`: one `CamundaContainers` per test session – Elasticsearch and `camunda/camunda` with the tags of
  compose.env, started with `ZEEBE_CLOCK_CONTROLLED=true` so that `PUT /v2/clock` can pin the engine's clock: time
  moves by pinning it `delta` after the last pinned time (or now), then waiting. Idleness is best effort: the searches
  give the same answer for a while (Camunda cannot say whether a worker has polled yet, nor whether a job waits for
  one). Between tests every instance still active is cancelled.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import aiohttp
from lxml import etree
from pyzeebe import ZeebeClient, create_insecure_channel
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from engine.state import JobState
from engine.testing import EmbeddedEngine
from engine.testing.embedded import POLL_GRACE_SECONDS
from pbj.deploy import DeploymentResult, collect_resources, deploy_resources
from tests.backends.instance import InstanceState

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_ENV = ROOT / "compose.env"
T = TypeVar("T")

CAMUNDA_GRPC_PORT = 26500
CAMUNDA_REST_PORT = 8080
CAMUNDA_MANAGEMENT_PORT = 9600
ELASTICSEARCH_PORT = 9200
STARTUP_TIMEOUT_SECONDS = 300
PAGE_LIMIT = 100
BUSY_QUIET_FACTOR = 5
"""On Camunda, how many times longer the searches must stay unchanged while a job of a type the test's workers serve
is active (a worker may be at it)."""
ZEEBE_TASK_DEFINITION = "{http://camunda.org/schema/zeebe/1.0}taskDefinition"


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

    @property
    def embedded(self) -> EmbeddedEngine | None:
        """The embedded engine itself, for checks only it can make; None on Camunda."""
        ...

    async def deploy(self, *paths: str | Path) -> DeploymentResult:
        """Deploy the `.bpmn`, `.dmn` and `.form` files of `paths` in one deployment, as `pbj deploy` does."""
        ...

    async def start_instance(self, process_id: str, variables: Mapping[str, Any]) -> int:
        """Start the latest version of a process over gRPC, as the application does; the process instance key."""
        ...

    async def publish_message(self, name: str, correlation_key: str, variables: Mapping[str, Any]) -> None:
        """`POST /v2/messages/publication` (no time to live: only a waiting subscription takes it)."""
        ...

    @property
    def current_time(self) -> datetime:
        """The engine's time: what its timers, and the workers' services of a test, read."""
        ...

    async def pin_clock(self, moment: datetime) -> None:
        """Pin the engine's clock at `moment` (`PUT /v2/clock`); what falls due fires."""
        ...

    async def increase_time(self, delta: timedelta) -> None:
        """Move the engine's clock forward by `delta`; what falls due fires."""
        ...

    async def wait_for_workers(self, task_types: Iterable[str], timeout: float = 10.0) -> None:
        """Wait until workers poll for these task types (embedded: the engine has seen the polls; Zeebe: returns at
        once, Camunda does not tell – its long polls hand a job to a worker as soon as it asks)."""
        ...

    async def wait_for_idle(self, timeout: float = 30.0, *, served: Iterable[str] = ()) -> None:
        """Wait until the engine has nothing left to do and no job of the `served` task types waits for a worker
        (embedded: exactly; Zeebe: best effort, the searches stay unchanged for a while)."""
        ...

    async def rest(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Any other REST call below `rest_url` (`/v2/…`); the JSON answer."""
        ...

    async def search_process_instances(self, **filter: Any) -> list[dict[str, Any]]:
        """`POST /v2/process-instances/search` with this filter, every page."""
        ...

    async def process_instance(self, key: int) -> dict[str, Any]:
        """The instance from `POST /v2/process-instances/search`, waiting until the search has it."""
        ...

    async def search_element_instances(self, **filter: Any) -> list[dict[str, Any]]:
        """`POST /v2/element-instances/search` with this filter, every page, in the order they were entered."""
        ...

    async def active_element_ids(self, process_instance_key: int) -> list[str]:
        """Where the instance waits: the element ids of its active element instances, in the order entered."""
        ...

    async def search_incidents(self, **filter: Any) -> list[dict[str, Any]]:
        """`POST /v2/incidents/search` with this filter, every page."""
        ...

    async def resolve_incident(self, incident: Mapping[str, Any]) -> None:
        """What the operator does once the cause is fixed: a job incident's job gets one more retry (gRPC
        `UpdateJobRetries`), then `POST /v2/incidents/{key}/resolution`."""
        ...

    async def search_variables(self, **filter: Any) -> list[dict[str, Any]]:
        """`POST /v2/variables/search?truncateValues=false` with this filter, every page (values as JSON text)."""
        ...

    async def variables(self, process_instance_key: int) -> dict[str, Any]:
        """The process-level variables of an instance, decoded."""
        ...

    async def search_user_tasks(self, **filter: Any) -> list[dict[str, Any]]:
        """`POST /v2/user-tasks/search` with this filter, every page."""
        ...

    async def user_task_form(self, key: int | str) -> dict[str, Any]:
        """`GET /v2/user-tasks/{key}/form`: the linked form (its schema a JSON string)."""
        ...

    async def user_task_variables(self, key: int | str) -> list[dict[str, Any]]:
        """`POST /v2/user-tasks/{key}/variables/search`: what Tasklist shows of the task (values as JSON text)."""
        ...

    async def assign_user_task(self, key: int | str, assignee: str) -> None:
        """`POST /v2/user-tasks/{key}/assignment`."""
        ...

    async def complete_user_task(self, key: int | str, variables: Mapping[str, Any]) -> None:
        """`POST /v2/user-tasks/{key}/completion` with these variables."""
        ...

    async def instance(self, process_instance_key: int) -> InstanceState:
        """The instance as the searches show it now: state, element instances, variables, active incidents."""
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
        text = await self.rest_text(method, path, body)
        return json.loads(text) if text else None

    async def rest_text(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> str:
        """One REST call below `rest_url`; the answer's text. Raises on an HTTP error, with its body."""
        assert self._http is not None, "use the backend as an async context manager"
        async with self._http.request(method, f"{self.rest_url}{path}", json=body) as response:
            text = await response.text()
            if response.status >= 400:
                raise AssertionError(f"{method} {path} answered {response.status}: {text}")
            return text

    async def _search(self, resource: str, filter: Mapping[str, Any], query: str = "") -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page: dict[str, Any] = {"limit": PAGE_LIMIT}
        while True:
            body = {"filter": dict(filter), "page": page}
            answer = await self.rest("POST", f"/v2/{resource}/search{query}", body)
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

    async def process_instance(self, key: int) -> dict[str, Any]:
        """The instance as its search answers it, once the search has it (Camunda's trails a new instance)."""
        [found] = await eventually(
            lambda: self.search_process_instances(processInstanceKey=str(key)), bool, what=f"process instance {key}"
        )
        return found

    async def active_element_ids(self, process_instance_key: int) -> list[str]:
        active = await self.search_element_instances(processInstanceKey=str(process_instance_key), state="ACTIVE")
        return [e["elementId"] for e in active]

    async def search_variables(self, **filter: Any) -> list[dict[str, Any]]:
        found = await self._search("variables", filter, "?truncateValues=false")
        for variable in found:  # a Camunda that cuts values anyway answers the whole value by key
            if variable.get("isTruncated"):
                variable.update(await self.rest("GET", f"/v2/variables/{variable['variableKey']}"))
        return found

    async def variables(self, process_instance_key: int) -> dict[str, Any]:
        key = str(process_instance_key)
        found = await self.search_variables(processInstanceKey=key, scopeKey=key)
        return {v["name"]: json.loads(v["value"]) for v in found}

    async def search_user_tasks(self, **filter: Any) -> list[dict[str, Any]]:
        return await self._search("user-tasks", filter)

    async def user_task_form(self, key: int | str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.rest("GET", f"/v2/user-tasks/{key}/form")
        return answer

    async def user_task_variables(self, key: int | str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await self.rest("POST", f"/v2/user-tasks/{key}/variables/search", {}))["items"]
        return items

    async def assign_user_task(self, key: int | str, assignee: str) -> None:
        await self.rest("POST", f"/v2/user-tasks/{key}/assignment", {"assignee": assignee})

    async def complete_user_task(self, key: int | str, variables: Mapping[str, Any]) -> None:
        await self.rest("POST", f"/v2/user-tasks/{key}/completion", {"variables": dict(variables)})

    async def instance(self, process_instance_key: int) -> InstanceState:
        key = str(process_instance_key)
        return InstanceState(
            key=process_instance_key,
            process=await self.process_instance(process_instance_key),
            elements=[  # the process itself, should a search answer it, is no element the instance passes
                e for e in await self.search_element_instances(processInstanceKey=key) if e["type"] != "PROCESS"
            ],
            variables=await self.variables(process_instance_key),
            incidents=await self.search_incidents(processInstanceKey=key, state="ACTIVE"),
        )

    async def deploy(self, *paths: str | Path) -> DeploymentResult:
        channel = create_insecure_channel(grpc_address=self.address)
        try:
            return await deploy_resources(channel, collect_resources(paths))
        finally:
            await channel.close(grace=None)

    async def start_instance(self, process_id: str, variables: Mapping[str, Any]) -> int:
        channel = create_insecure_channel(grpc_address=self.address)
        try:
            created = await ZeebeClient(channel).run_process(process_id, dict(variables))
            return created.process_instance_key
        finally:
            await channel.close(grace=None)

    async def publish_message(self, name: str, correlation_key: str, variables: Mapping[str, Any]) -> None:
        body = {"name": name, "correlationKey": correlation_key, "variables": dict(variables)}
        await self.rest("POST", "/v2/messages/publication", body)

    async def resolve_incident(self, incident: Mapping[str, Any]) -> None:
        if incident.get("jobKey") is not None:
            channel = create_insecure_channel(grpc_address=self.address)
            try:
                gateway: Any = GatewayStub(channel)
                await gateway.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=int(incident["jobKey"]), retries=1))
            finally:
                await channel.close(grace=None)
        await self.rest("POST", f"/v2/incidents/{incident['incidentKey']}/resolution", {})

    async def pin_clock(self, moment: datetime) -> None:
        millis = int(moment.timestamp() * 1000)
        await self.rest("PUT", "/v2/clock", {"timestamp": millis})
        self._pinned(datetime.fromtimestamp(millis / 1000, UTC))  # what the engine was told, to the ms
        await self.wait_for_idle()

    def _pinned(self, moment: datetime) -> None:
        """Note the time the engine's clock was pinned to."""

    @property
    def embedded(self) -> EmbeddedEngine | None:
        return None

    @property
    def current_time(self) -> datetime:
        raise NotImplementedError

    async def wait_for_idle(self, timeout: float = 30.0, *, served: Iterable[str] = ()) -> None:
        raise NotImplementedError

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

    @property
    def embedded(self) -> EmbeddedEngine:
        return self.engine

    @property
    def current_time(self) -> datetime:
        return self.engine.current_time

    async def increase_time(self, delta: timedelta) -> None:
        await self.engine.increase_time(delta)
        await self.engine.wait_for_idle()

    async def wait_for_workers(self, task_types: Iterable[str], timeout: float = 10.0) -> None:
        wanted = frozenset(task_types)
        await eventually(
            lambda: _ready(wanted <= self.engine.engine.job_types_with_workers(POLL_GRACE_SECONDS)),
            bool,
            timeout=timeout,
            what=f"the engine to see a poll for each of {sorted(wanted)}",
        )

    async def wait_for_idle(self, timeout: float = 30.0, *, served: Iterable[str] = ()) -> None:
        """The engine is idle and no job of the `served` types waits: a worker's next poll may reach the engine a
        moment after a job was created, so idleness alone could come too early."""
        types = frozenset(served)

        async def waiting_jobs() -> list[str]:
            await self.engine.wait_for_idle(timeout=timeout)
            return self.jobs_left_waiting(types)

        await eventually(waiting_jobs, lambda jobs: not jobs, timeout=timeout, what="the jobs to be taken")

    def jobs_left_waiting(self, served: frozenset[str]) -> list[str]:
        """The jobs of these task types that a worker could take now (not backing off after a failure)."""
        now = self.engine.current_time
        return [
            f"{j.element_id} ({j.type})"
            for j in self.engine.jobs()
            if j.type in served
            and j.state is JobState.ACTIVATABLE
            and (j.backoff_until is None or j.backoff_until <= now)
        ]


async def _ready(value: bool) -> bool:
    return value


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
    basic_user: tuple[str, str] | None = None
    """A user (name, password) created at the first start and required on every API call – basic authentication
    with `CAMUNDA_SECURITY_AUTHENTICATION_UNPROTECTEDAPI=false`, as stack.yml says for production without an identity
    provider; None: the unprotected API of the local stack."""
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
        security: dict[str, str] = {"CAMUNDA_SECURITY_AUTHENTICATION_UNPROTECTEDAPI": "true"}
        topology = HttpWaitStrategy(CAMUNDA_REST_PORT, "/v2/topology").for_response_predicate(_partition_healthy)
        if self.basic_user is not None:
            name, password = self.basic_user
            security = {
                "CAMUNDA_SECURITY_AUTHENTICATION_UNPROTECTEDAPI": "false",
                "CAMUNDA_SECURITY_INITIALIZATION_USERS_0_USERNAME": name,
                "CAMUNDA_SECURITY_INITIALIZATION_USERS_0_PASSWORD": password,
                "CAMUNDA_SECURITY_INITIALIZATION_USERS_0_NAME": "Layanan PBJ",
                "CAMUNDA_SECURITY_INITIALIZATION_USERS_0_EMAIL": "layanan@pbj.localhost",
                "CAMUNDA_SECURITY_INITIALIZATION_DEFAULTROLES_ADMIN_USERS_0": name,
            }
            topology = topology.with_basic_credentials(name, password)
        camunda = (
            DockerContainer(f"camunda/camunda:{self.camunda_version}")
            .with_network(self._network)
            .with_envs(
                CAMUNDA_DATA_SECONDARYSTORAGE_TYPE="elasticsearch",
                CAMUNDA_DATA_SECONDARYSTORAGE_ELASTICSEARCH_URL="http://elasticsearch:9200",
                CAMUNDA_DATA_SECONDARYSTORAGE_ELASTICSEARCH_CLUSTERNAME="elasticsearch",
                CAMUNDA_DATABASE_INDEX_NUMBEROFREPLICAS="0",
                CAMUNDA_SECURITY_AUTHENTICATION_METHOD="basic",
                CAMUNDA_SECURITY_AUTHORIZATIONS_ENABLED="false",
                ZEEBE_CLOCK_CONTROLLED="true",
                JAVA_TOOL_OPTIONS="-Xms1g -Xmx1g",
                **security,
            )
            .with_exposed_ports(CAMUNDA_GRPC_PORT, CAMUNDA_REST_PORT, CAMUNDA_MANAGEMENT_PORT)
            .waiting_for(
                CompositeWaitStrategy(
                    HttpWaitStrategy(CAMUNDA_MANAGEMENT_PORT, "/actuator/health/readiness"),
                    topology,
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


@dataclass
class StandIn:
    """An embedded engine standing in for the Camunda containers (`pytest --engine=zeebe-stand-in`, and the tests of
    `ZeebeBackend` itself): its gateway, its REST API – the same `/v2` endpoints, a clock that `PUT /v2/clock` pins –
    and the time last pinned. It tries the Camunda path of the suite without Docker; it proves nothing about Camunda
    itself."""

    engine: EmbeddedEngine
    pinned: datetime | None = None

    @property
    def address(self) -> str:
        """The embedded gateway."""
        return self.engine.address

    @property
    def rest_url(self) -> str:
        """The embedded REST API."""
        return self.engine.rest_url


class ZeebeBackend(_RestBackend):
    """Camunda 8.8 in Docker, shared by the tests of a session; each test leaves no instance active behind it."""

    name = "zeebe"

    def __init__(self, containers: Cluster, *, quiet: float = 2.0) -> None:
        super().__init__()
        self.containers = containers
        self.quiet = quiet
        self._job_types: dict[str, dict[str, str]] = {}

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

    @property
    def current_time(self) -> datetime:
        """The time the clock was last pinned to (the session's pins), or now if it never was."""
        return self.containers.pinned or datetime.now(UTC)

    def _pinned(self, moment: datetime) -> None:
        self.containers.pinned = moment

    async def increase_time(self, delta: timedelta) -> None:
        """Pin the engine's clock `delta` after the last pinned time (or now), then wait for what fell due."""
        await self.pin_clock(self.current_time + delta)

    async def wait_for_workers(self, task_types: Iterable[str], timeout: float = 10.0) -> None:
        """Nothing to wait for that Camunda could show: a worker's long poll takes a job as soon as it asks."""

    async def job_types(self, process_definition_key: str) -> dict[str, str]:
        """The job type of every job-based element of a deployed process, by element id (read once from
        `GET /v2/process-definitions/{key}/xml`)."""
        types = self._job_types.get(process_definition_key)
        if types is None:
            xml = await self.rest_text("GET", f"/v2/process-definitions/{process_definition_key}/xml")
            root = etree.fromstring(xml.encode())
            types = {}
            for definition in root.iter(ZEEBE_TASK_DEFINITION):
                element = definition.getparent()
                element = element.getparent() if element is not None else None  # extensionElements → the task
                if element is not None and element.get("id") and definition.get("type"):
                    types[str(element.get("id"))] = str(definition.get("type"))
            self._job_types[process_definition_key] = types
        return types

    async def _fingerprint(self, served: frozenset[str]) -> tuple[tuple[Any, ...], bool]:
        """What the searches show (element instances, the active ones, incidents), and whether an active element's
        job is of a `served` type."""
        everything = await self.rest("POST", "/v2/element-instances/search", {"page": {"limit": 1}})
        active = await self.search_element_instances(state="ACTIVE")
        incidents = await self.rest("POST", "/v2/incidents/search", {"page": {"limit": 1}})
        busy = False
        for element in active if served else []:
            types = await self.job_types(str(element["processDefinitionKey"]))
            busy = busy or types.get(element["elementId"]) in served
        seen = (
            everything["page"]["totalItems"],
            tuple(e["elementInstanceKey"] for e in active),
            incidents["page"]["totalItems"],
        )
        return seen, busy

    async def wait_for_idle(self, timeout: float = 30.0, *, served: Iterable[str] = ()) -> None:
        """Best effort: the searches give the same answer for `quiet` seconds in a row (the exporter has caught up
        and nothing moves) – BUSY_QUIET_FACTOR times longer while an active element's job is of a `served` type,
        since Camunda does not tell whether a worker is at it or it backs off after a failure; TimeoutError if they
        keep changing."""
        wanted = frozenset(served)
        give_up = time.monotonic() + timeout
        last, busy = await self._fingerprint(wanted)
        calm_since = time.monotonic()
        while time.monotonic() - calm_since < self.quiet * (BUSY_QUIET_FACTOR if busy else 1):
            if time.monotonic() >= give_up:
                raise TimeoutError(f"Camunda did not become idle within {timeout} s")
            await asyncio.sleep(0.25)
            now, busy = await self._fingerprint(wanted)
            if now != last:
                last, calm_since = now, time.monotonic()
