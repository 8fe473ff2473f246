"""Runs an Engine behind its ports: the Zeebe gateway gRPC API, the gRPC health service, the REST API,
and the scheduler that fires timers, job time-outs, back-offs and message expiries by the engine clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from engine.auth import Authenticator
from engine.engine import Engine
from engine.gateway import GatewayService, add_gateway_to_server
from engine.rest import RestApi, RestSettings

GATEWAY_SERVICE = "gateway_protocol.Gateway"
MAX_SLEEP_SECONDS = 30.0


@dataclass(frozen=True)
class Ports:
    grpc: int
    rest: int | None


class PortUnavailableError(OSError):
    """A port the server was asked to listen on could not be bound (in use, or not allowed)."""

    def __init__(self, service: str, host: str, port: int) -> None:
        super().__init__(f"cannot listen on {host}:{port} ({service}): the port is in use or not allowed")
        self.service = service
        self.host = host
        self.port = port


class _Authentication(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Every gateway call must carry an `authorization` metadata value the authenticator accepts (basic, or a
    bearer token from the REST API's /oauth/token); the health service stays open."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        method = details.method or ""
        if method.startswith("/grpc.health.v1.Health/") or not self.authenticator.required:
            return await continuation(details)
        metadata = dict(details.invocation_metadata or ())
        value = metadata.get("authorization")
        if self.authenticator.accepts(value.decode("latin-1") if isinstance(value, bytes) else value):
            return await continuation(details)
        handler = await continuation(details)
        return _refusal(handler)


def _refusal(handler: grpc.RpcMethodHandler[Any, Any] | None) -> grpc.RpcMethodHandler[Any, Any]:
    message = (
        "Expected valid credentials: send 'authorization: Basic …' with a user's or API client's name and password, "
        "or 'authorization: Bearer …' with a token from the engine's /oauth/token"
    )

    async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    async def stream(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
        yield None  # pragma: no cover - abort raises

    deserializer = handler.request_deserializer if handler is not None else None
    if handler is not None and handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(stream, request_deserializer=deserializer)
    return grpc.unary_unary_rpc_method_handler(unary, request_deserializer=deserializer)


class EngineServer:
    """One engine served on `host`; port 0 picks a free port."""

    def __init__(
        self,
        engine: Engine,
        *,
        host: str = "127.0.0.1",
        port: int = 26500,
        rest_port: int | None = 8080,
        settings: RestSettings | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings or RestSettings()
        self.authenticator = Authenticator(self.settings.credentials)
        self.host = host
        self._requested_port = port
        self._requested_rest_port = rest_port
        self._server: grpc.aio.Server | None = None
        self._health = health.aio.HealthServicer() if hasattr(health, "aio") else health.HealthServicer()
        self._rest: RestApi | None = None
        self._wake = asyncio.Event()
        self._scheduler: asyncio.Task[None] | None = None
        self._stopping = False
        self.ports = Ports(port, rest_port)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.ports.grpc}"

    @property
    def rest_url(self) -> str | None:
        return f"http://{self.host}:{self.ports.rest}" if self.ports.rest is not None else None

    async def start(self) -> None:
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)], interceptors=[_Authentication(self.authenticator)])
        address = f"{self.host}:{self._requested_port}"
        try:
            grpc_port = server.add_insecure_port(address)
        except RuntimeError:  # grpcio raises where older versions returned 0
            grpc_port = 0
        if grpc_port == 0:
            raise PortUnavailableError("gRPC", self.host, self._requested_port)
        add_gateway_to_server(GatewayService(self.engine, self.host, grpc_port), server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        await server.start()
        self._server = server
        rest_port: int | None = None
        if self._requested_rest_port is not None:
            self._rest = RestApi(
                self.engine,
                self.host,
                self._requested_rest_port,
                grpc_port,
                settings=self.settings,
                authenticator=self.authenticator,
            )
            try:
                rest_port = await self._rest.start()
            except OSError:
                await server.stop(None)
                raise PortUnavailableError("REST", self.host, self._requested_rest_port) from None
        self.ports = Ports(grpc_port, rest_port)
        for service in ("", GATEWAY_SERVICE):
            await _maybe_await(self._health.set(service, health_pb2.HealthCheckResponse.SERVING))
        self.engine.on_change = self._wake.set
        self._stopping = False
        self._scheduler = asyncio.create_task(self._run_scheduler(), name="engine-scheduler")

    async def stop(self, grace: float = 1.0) -> None:
        for service in ("", GATEWAY_SERVICE):
            await _maybe_await(self._health.set(service, health_pb2.HealthCheckResponse.NOT_SERVING))
        if self._scheduler is not None:
            # the flag ends the scheduler even if the cancellation met it just as it woke; waiting with
            # asyncio.wait leaves a cancellation of this stop itself to its caller (suppressing CancelledError
            # around `await self._scheduler` swallowed it)
            self._stopping = True
            self._wake.set()
            self._scheduler.cancel()
            await asyncio.wait({self._scheduler})
        if self._server is not None:
            await self._server.stop(grace)
        if self._rest is not None:
            await self._rest.stop()
        self.engine.on_change = None

    def wake(self) -> None:
        """Makes the scheduler look at the clock again (after the clock moved or a timer was added)."""
        self._wake.set()

    async def _run_scheduler(self) -> None:
        engine = self.engine
        while not self._stopping:
            self._wake.clear()
            due = engine.next_due()
            if due is not None and due <= engine.now():
                engine.process_due()
                await asyncio.sleep(
                    0
                )  # what is due at once for ever (a loop through a zero timer) must not starve the rest
                continue
            timeout = MAX_SLEEP_SECONDS if due is None else _seconds_until(due, engine.now())
            # asyncio.timeout, not wait_for: Python 3.11's wait_for returns the result when a cancellation arrives
            # together with the wake-up, and the cancelled scheduler slept on (EngineServer.stop waited for ever)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()


def _seconds_until(due: datetime, now: datetime) -> float:
    return max(0.0, min(MAX_SLEEP_SECONDS, (due - now).total_seconds()))


async def _maybe_await(value: object) -> None:
    if asyncio.iscoroutine(value):
        await value
