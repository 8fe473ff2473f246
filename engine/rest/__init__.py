"""Camunda 8.8's Orchestration Cluster REST API (`/v2`) over the engine, with Camunda's request and response shapes:
keys as strings, ISO 8601 dates in UTC, `filter`/`sort`/`page` searches (engine/search/), optional properties left
out rather than null, RFC 9457 problem details for every error.

One module per resource: cluster (topology, status, license, clock), deployments (and resources), process
instances, process definitions, element instances, jobs, user tasks, messages (and signals), incidents, variables;
unsupported answers the endpoints of what the engine does not have. app.py builds the aiohttp application with its
front door (security.py: Host, content types, CORS, authentication) and problem answers; http.py holds what the
handlers share."""

from typing import ClassVar

from aiohttp import web

from engine.auth import Authenticator
from engine.engine import Engine
from engine.rest.app import RestSettings, create_app
from engine.rest.conformance import ResponseCheck

__all__ = ["RestApi", "RestSettings"]


class RestApi:
    """Serves `/v2` over the engine on `host:port` (0: a free port)."""

    checks: ClassVar[list[ResponseCheck]] = []
    """Checks every answer goes through (the test suite's spec validation, engine/rest/openapi.py)."""

    def __init__(
        self,
        engine: Engine,
        host: str,
        port: int,
        grpc_port: int,
        *,
        settings: RestSettings | None = None,
        authenticator: Authenticator | None = None,
    ) -> None:
        self.engine = engine
        self.host = host
        self.port = port
        settings = settings or RestSettings()
        self.app = create_app(
            engine,
            host=host,
            grpc_port=grpc_port,
            settings=settings,
            authenticator=authenticator or Authenticator(settings.credentials),
            checks=list(RestApi.checks),
        )
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
