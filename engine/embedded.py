"""EmbeddedEngine: an engine with its gRPC and REST server in this process (on free loopback ports by default),
clock controllable – what `pbj up` runs, and what the test API (engine/testing) builds on."""

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from engine.clock import Clock
from engine.durable import DurableEngine, open_durable_engine
from engine.engine import Deployment, Engine
from engine.model import Kind
from engine.rest import RestSettings
from engine.server import EngineServer
from engine.state import ElementInstance, ElementState, Incident, Job, JobState, Message, ProcessInstance, UserTask

POLL_GRACE_SECONDS = 0.25
_RESOURCE_SUFFIXES = frozenset({".bpmn", ".dmn", ".form"})


class EmbeddedEngine:
    """Starts an engine serving gRPC (and REST) on loopback; the clock is controlled unless told otherwise."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rest_port: int | None = 0,
        controlled_clock: bool = True,
        data_dir: Path | None = None,
        settings: RestSettings | None = None,
    ) -> None:
        """In memory unless `data_dir` is given: then durable, its state kept in (and recovered from) that directory
        (raises `engine.durable.DurableError` when the directory is locked by another engine or not readable).
        `settings`: credentials, CORS origins and host names (engine/rest/app.py)."""
        self.engine: Engine = (
            Engine(clock=Clock(controlled=controlled_clock))
            if data_dir is None
            else open_durable_engine(data_dir, controlled_clock=controlled_clock)
        )
        self.server = EngineServer(self.engine, host=host, port=port, rest_port=rest_port, settings=settings)
        self.workers_running: set[str] = set()
        """Job types whose worker runs now (the test harness's `running_worker` sets them): their waiting jobs keep
        `wait_for_idle` busy even between two polls, however long a loaded machine makes that gap."""

    async def __aenter__(self) -> "EmbeddedEngine":
        await self.server.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.server.stop(grace=0.2)
        self.close()

    def close(self) -> None:
        """Releases a durable engine's data directory after a last snapshot (nothing to do in memory); call it after
        the server stopped."""
        if isinstance(self.engine, DurableEngine):
            self.engine.close()

    # ------------------------------------------------------------------ where it is
    @property
    def address(self) -> str:
        """host:port of the Zeebe gateway gRPC API."""
        return self.server.address

    @property
    def rest_url(self) -> str:
        url = self.server.rest_url
        if url is None:
            raise RuntimeError("the REST API is not enabled for this engine")
        return url

    # ------------------------------------------------------------------ time
    @property
    def current_time(self) -> datetime:
        return self.engine.now()

    async def increase_time(self, delta: timedelta) -> None:
        """Moves the clock forward and fires exactly what fell due (timers, job time-outs, back-offs, TTLs)."""
        self.engine.clock.increase(delta)
        self.engine.process_due()
        self.server.wake()
        await asyncio.sleep(0)

    async def wait_for_idle(self, timeout: float = 10.0, quiet: float = 0.05) -> None:
        """Waits until nothing is left to do: no request in flight, no job at a worker, no job waiting for a
        worker that polls its type, nothing due – for `quiet` seconds in a row. Raises TimeoutError saying
        what is still busy."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + timeout
        calm_since: float | None = None
        commands = self.engine.commands
        while True:
            reason = self.busy_reason()
            if reason is None and self.engine.commands == commands:
                calm_since = calm_since if calm_since is not None else loop.time()
                if loop.time() - calm_since >= quiet:
                    return
            else:
                calm_since = None
                commands = self.engine.commands
            if loop.time() >= give_up:
                raise TimeoutError(f"the engine did not become idle within {timeout} s: {reason or 'still busy'}")
            await asyncio.sleep(0.005)

    def busy_reason(self) -> str | None:
        engine = self.engine
        if engine.inflight:
            return f"{engine.inflight} request(s) in flight"
        if engine.evaluating_off_loop:
            return "an expression is still being evaluated (off the event loop)"
        if engine.steps_deferred:
            return "an instance is still running steps (a loop without a wait state?)"
        now = engine.now()
        due = engine.next_due()
        if due is not None and due <= now:
            return "timers or deadlines are due"
        polled = engine.job_types_with_workers(POLL_GRACE_SECONDS) | self.workers_running
        for job in engine.jobs.values():
            if job.state is JobState.ACTIVATED:
                return f"job {job.key} ({job.type}) is at worker '{job.worker}'"
            if (
                job.state is JobState.ACTIVATABLE
                and job.type in polled
                and (job.backoff_until is None or job.backoff_until <= now)
            ):
                return f"job {job.key} ({job.type}) waits for its worker"
        return None

    # ------------------------------------------------------------------ convenience
    def deploy(self, *paths: str | Path) -> Deployment:
        """Deploys BPMN, DMN and form files (or every such file in a directory)."""
        resources: list[tuple[str, bytes]] = []
        for raw in paths:
            path = Path(raw)
            files = sorted(p for p in path.rglob("*") if p.suffix in _RESOURCE_SUFFIXES) if path.is_dir() else [path]
            resources.extend((f.name, f.read_bytes()) for f in files)
        return self.engine.deploy(resources)

    # ------------------------------------------------------------------ what happened
    def process_instances(self, bpmn_process_id: str | None = None) -> list[ProcessInstance]:
        return [
            p
            for p in self.engine.process_instances.values()
            if bpmn_process_id is None or p.bpmn_process_id == bpmn_process_id
        ]

    def process_instance(self, key: int) -> ProcessInstance:
        return self.engine.process_instances[key]

    def element_instances(self, process_instance_key: int, element_id: str | None = None) -> list[ElementInstance]:
        return sorted(
            (
                e
                for e in self.engine.all_element_instances()
                if e.process_instance_key == process_instance_key and (element_id is None or e.element_id == element_id)
            ),
            key=lambda e: e.key,
        )

    def variables(self, scope_key: int) -> dict[str, Any]:
        """The variables of one scope (a process instance key or an element instance key)."""
        pi = self.engine.process_instances.get(scope_key)
        if pi is not None and pi.final_variables is not None:
            return dict(pi.final_variables)
        inst = self.engine.element_instance(scope_key)
        if inst is None:
            raise KeyError(scope_key)
        return dict(inst.variables)

    def all_variables(self) -> list[tuple[int, str, Any]]:
        """Every variable of every scope, live or finished: (scope key, name, value)."""
        out = [(e.key, n, v) for e in self.engine.all_element_instances() for n, v in e.variables.items()]
        out += [
            (p.key, n, v) for p in self.engine.process_instances.values() for n, v in (p.final_variables or {}).items()
        ]
        return out

    def jobs(self, job_type: str | None = None) -> list[Job]:
        return [j for j in self.engine.jobs.values() if job_type is None or j.type == job_type]

    def incidents(self, process_instance_key: int | None = None) -> list[Incident]:
        return [
            i
            for i in self.engine.incidents.values()
            if process_instance_key is None or i.process_instance_key == process_instance_key
        ]

    def messages(self) -> list[Message]:
        return list(self.engine.messages.values())

    def user_tasks(self, process_instance_key: int | None = None) -> list[UserTask]:
        return [
            t
            for t in self.engine.user_tasks.values()
            if process_instance_key is None or t.process_instance_key == process_instance_key
        ]

    def active_elements(self, process_instance_key: int) -> list[str]:
        """The ids of the elements the instance is at now, in the order entered (the process itself left out)."""
        return [e.element_id for e in self._elements(process_instance_key) if e.state.is_active]

    def passed_elements(self, process_instance_key: int) -> list[str]:
        """The ids of the elements the instance has completed, in the order entered."""
        return [e.element_id for e in self._elements(process_instance_key) if e.state is ElementState.COMPLETED]

    def _elements(self, process_instance_key: int) -> list[ElementInstance]:
        return [e for e in self.element_instances(process_instance_key) if e.kind is not Kind.PROCESS]
