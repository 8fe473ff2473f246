"""The REST API's aiohttp application: the routes of every resource module, the front door (engine/rest/
security.py), problem answers for every error – unknown paths and methods, bodies too large, anything unexpected –
and the hooks that check answers (engine/rest/conformance.py, switched on by the test suite)."""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from engine.auth import TOKEN_PATH, Authenticator, Credentials
from engine.durable.errors import DurableError
from engine.engine import Engine
from engine.errors import EngineError
from engine.rest import (
    cluster,
    decisions,
    deployments,
    element_instances,
    incidents,
    jobs,
    messages,
    process_definitions,
    process_instances,
    unsupported,
    user_tasks,
    variables,
)
from engine.rest.conformance import ResponseCheck, checks_from_environment
from engine.rest.context import Context
from engine.rest.http import (
    MAX_BODY_BYTES,
    UnauthorizedError,
    UnsupportedMediaTypeError,
    json_body,
    problem,
    status_of,
)
from engine.rest.security import host_name, served_hosts

log = logging.getLogger(__name__)

_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BODY_TYPES = ("application/json", "multipart/form-data")
_OPEN_PATHS = frozenset({TOKEN_PATH, "/v2/status"})  # a token is asked for with the secret; status is a health probe
_REALM = 'Basic realm="pbj", charset="UTF-8"'


@dataclass(frozen=True)
class RestSettings:
    """How the REST API guards itself (see engine/rest/security.py)."""

    credentials: Credentials = field(default_factory=Credentials)
    allowed_origins: frozenset[str] = frozenset()  # CORS: closed when empty
    extra_hosts: frozenset[str] = frozenset()  # host names besides the listening address (a DNS name)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> "RestSettings":
        """Credentials (engine/auth.py), PBJ_ENGINE_CORS_ORIGINS and PBJ_ENGINE_HOSTS (comma-separated); raises
        CredentialsError for incomplete credentials."""

        def listed(name: str) -> frozenset[str]:
            return frozenset(part.strip() for part in environ.get(name, "").split(",") if part.strip())

        return cls(
            Credentials.from_environment(environ),
            listed("PBJ_ENGINE_CORS_ORIGINS"),
            frozenset(name.lower() for name in listed("PBJ_ENGINE_HOSTS")),
        )


def create_app(
    engine: Engine,
    *,
    host: str,
    grpc_port: int,
    settings: RestSettings,
    authenticator: Authenticator,
    checks: list[ResponseCheck] | None = None,
) -> web.Application:
    context = Context(engine, host, grpc_port, authenticator)
    guard = _RequestGuard(served_hosts(host, settings.extra_hosts), settings.allowed_origins, authenticator)
    every_check = list(checks or []) or checks_from_environment()
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[*([_checked(every_check)] if every_check else []), _problems, guard.middleware],
    )
    for module in (
        cluster,
        deployments,
        process_instances,
        process_definitions,
        decisions,
        element_instances,
        jobs,
        user_tasks,
        messages,
        incidents,
        variables,
        unsupported,
    ):
        app.add_routes(module.routes(context))
    app.add_routes([web.post(TOKEN_PATH, context.issue_token)])
    return app


# ---------------------------------------------------------------------- errors
@web.middleware
async def _problems(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    """Every error as a problem answer: the engine's (mapped as Camunda maps its rejections), aiohttp's (an unknown
    path or method, a body too large) and anything unexpected (500, without internals)."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except EngineError as exc:
        status, title = status_of(exc)
        headers = {"WWW-Authenticate": _REALM} if isinstance(exc, UnauthorizedError) else None
        return problem(status, title, str(exc), request.path, headers)
    except DurableError as exc:
        return problem(503, "SERVICE_UNAVAILABLE", str(exc), request.path)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        detail = {
            404: f"No resource at {request.path}: see the Orchestration Cluster REST API (/v2) for the paths",
            405: f"The method {request.method} is not allowed for {request.path}",
            413: f"The request body is larger than {MAX_BODY_BYTES} bytes",
        }.get(exc.status, exc.text or exc.reason)
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return problem(exc.status, exc.reason.upper().replace(" ", "_"), detail, request.path, headers)
    except Exception:
        log.exception("REST %s %s failed", request.method, request.path)
        return problem(500, "INTERNAL_ERROR", "The engine could not answer this request; see its log", request.path)


# ---------------------------------------------------------------------- the front door
class _RequestGuard:
    def __init__(self, hosts: frozenset[str], origins: frozenset[str], authenticator: Authenticator) -> None:
        self.hosts = hosts
        self.origins = origins
        self.authenticator = authenticator

    @web.middleware
    async def middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        host = request.headers.get("Host")
        if host is None or host_name(host) not in self.hosts:
            return problem(
                421,
                "MISDIRECTED_REQUEST",
                f"The Host '{host or ''}' is not an address of this engine; use the address it listens on",
                request.path,
            )
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return self._preflight(request, origin)
        if origin is not None and origin not in self.origins and not _same_origin(origin, host):
            return problem(
                403, "FORBIDDEN", f"Requests from the web origin '{origin}' are not allowed (CORS)", request.path
            )
        if (
            request.method in _STATE_CHANGING
            and request.content_type not in _BODY_TYPES
            and request.path != TOKEN_PATH  # a form, as OAuth has it; it changes nothing and needs the secret
            and request.can_read_body  # without a body (a completion without variables) there is nothing to misread
        ):
            raise UnsupportedMediaTypeError(
                f"A {request.method} request must send its body as application/json (or multipart/form-data for "
                f"deployments), not '{request.content_type}'"
            )
        if (
            request.path not in _OPEN_PATHS
            and self.authenticator.required
            and not self.authenticator.accepts(request.headers.get("Authorization"))
        ):
            raise UnauthorizedError(
                "The request lacks valid authentication credentials: send a user's or API client's name and "
                "password (basic authentication) or a bearer token from /oauth/token"
            )
        response: web.StreamResponse = await handler(request)
        if origin is not None and origin in self.origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    def _preflight(self, request: web.Request, origin: str | None) -> web.StreamResponse:
        if origin is None or origin not in self.origins:
            return problem(
                403, "FORBIDDEN", f"Requests from the web origin '{origin}' are not allowed (CORS)", request.path
            )
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
                "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )


def _same_origin(origin: str, host: str) -> bool:
    """An `Origin` naming the engine itself (a page it served, or a client that sends its own address)."""
    return origin.split("://", 1)[-1].rstrip("/").lower() == host.strip().lower()


# ---------------------------------------------------------------------- answer checks
def _checked(checks: list[ResponseCheck]) -> Callable[..., Any]:
    @web.middleware
    async def check(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        body = response.body if isinstance(response, web.Response) else b""
        data = body if isinstance(body, bytes) else b""
        for each in checks:
            each(request.method, request.path, response.status, response.content_type, data)
        return response

    return check


__all__ = ["RestSettings", "create_app", "json_body"]
