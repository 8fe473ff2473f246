"""What a client sends to a secured engine: the one place that builds the `Authorization` value of basic
authentication and the gRPC channel that carries it.

Camunda 8.8 self-managed with basic authentication and the embedded engine (engine/auth.py, the server side) both
read `Authorization: Basic base64(name:password)` – as an HTTP header on the REST API and as `authorization`
metadata on every gRPC call. `authorized_channel` adds that metadata to every unary and streaming call of a
channel, plain or over TLS; `workers.channel.create_channel` builds every client's channel with it from
`ZeebeSettings`, and `pbj.commands.rest.CamundaRest` sends `basic_authorization` on REST.
"""

import base64
import ipaddress
from typing import Any
from urllib.parse import urlsplit

import grpc
from pyzeebe.channel.channel_options import get_channel_options


def basic_authorization(name: str, password: str) -> str:
    """The `Authorization` value of HTTP basic authentication (RFC 7617, UTF-8) for `name` and `password`."""
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode("ascii")


CREDENTIAL_SETTINGS = (
    "CAMUNDA_BASIC_AUTH_USERNAME dan CAMUNDA_BASIC_AUTH_PASSWORD (atau ZEEBE_CLIENT_ID, ZEEBE_CLIENT_SECRET dan "
    "ZEEBE_AUTHORIZATION_SERVER_URL)"
)
"""The settings an operator checks when the engine refuses a client's credentials (formal Indonesian)."""

_REFUSALS = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


def refusal(error: BaseException) -> grpc.StatusCode | None:
    """The gRPC status of a call the gateway refused for want of valid credentials, found in `error`, the pyzeebe
    error that wraps it or an exception group around either; None for any other failure."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, grpc.aio.AioRpcError) and current.code() in _REFUSALS:
            return current.code()
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None


def is_loopback(host: str) -> bool:
    """Whether a host name or address (`[::1]` too) is this machine only: a listening address that accepts
    connections from this machine alone, or a server that only this machine's connections reach."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_loopback_address(address: str) -> bool:
    """Whether a gateway address (`host:port`, `[::1]:port`, or a URL) names this machine only."""
    return is_loopback(urlsplit(address if "://" in address else f"//{address}").hostname or "")


class _Authorizing:
    """Adds `authorization` metadata to the calls of a gRPC channel."""

    def __init__(self, authorization: str) -> None:
        self.authorization = authorization

    def __repr__(self) -> str:  # the value is a secret
        return f"{type(self).__name__}(authorization=<verborgen>)"

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()), ("authorization", self.authorization))
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )


# grpc.aio files an interceptor under one kind of call only: one class per kind
class _AuthorizingUnary(_Authorizing, grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[type-arg]
    async def intercept_unary_unary(self, continuation: Any, details: grpc.aio.ClientCallDetails, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _AuthorizingStream(_Authorizing, grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[type-arg]
    async def intercept_unary_stream(self, continuation: Any, details: grpc.aio.ClientCallDetails, request: Any) -> Any:
        return await continuation(self._details(details), request)


def authorized_channel(
    address: str, authorization: str | None, *, tls: grpc.ChannelCredentials | None = None
) -> grpc.aio.Channel:
    """A channel to `address` – over TLS with `tls`, else plain text – whose calls carry `authorization` (None: no
    metadata is added), with pyzeebe's channel options (keep-alive) as its own channels have them."""
    interceptors: list[Any] = (
        [_AuthorizingUnary(authorization), _AuthorizingStream(authorization)] if authorization else []
    )
    if tls is not None:
        return grpc.aio.secure_channel(address, tls, options=get_channel_options(), interceptors=interceptors)
    return grpc.aio.insecure_channel(address, options=get_channel_options(), interceptors=interceptors)
