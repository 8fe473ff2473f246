"""The cluster: topology, status, license, the caller's authentication, and the clock (pin and reset, when the
engine runs with a controlled clock)."""

from aiohttp import web

from engine.auth import decode_basic
from engine.clock import from_millis
from engine.errors import InvalidArgumentError
from engine.gateway import GATEWAY_VERSION
from engine.rest.context import Context
from engine.rest.http import ForbiddenError, UnauthorizedError, answer, json_body, no_content, optional, problem

# Camunda answers the license it runs under; the embedded engine is no Camunda distribution and has none
LICENSE = {"validLicense": False, "licenseType": "unknown", "isCommercial": False}


def routes(ctx: Context) -> list[web.RouteDef]:
    async def topology(request: web.Request) -> web.Response:
        return answer(
            {
                "brokers": [
                    {
                        "nodeId": 0,
                        "host": ctx.host,
                        "port": ctx.grpc_port,
                        "partitions": [{"partitionId": 1, "role": "leader", "health": "healthy"}],
                        "version": GATEWAY_VERSION,
                    }
                ],
                "clusterSize": 1,
                "partitionsCount": 1,
                "replicationFactor": 1,
                "gatewayVersion": GATEWAY_VERSION,
                "lastCompletedChangeId": "-1",  # no cluster change ever ran (Camunda's answer for a fresh cluster)
            }
        )

    async def status(request: web.Request) -> web.Response:
        """204 while the engine takes commands (Camunda: a partition is healthy), else a 503 problem saying why."""
        reason = ctx.engine.unavailable
        if reason is not None:
            return problem(503, "SERVICE_UNAVAILABLE", reason, request.path)
        return no_content()

    async def license_(request: web.Request) -> web.Response:
        return answer(LICENSE)

    async def me(request: web.Request) -> web.Response:
        """The caller, as far as the engine knows it: a basic-authentication user or client by its name."""
        header = request.headers.get("Authorization", "")
        pair = decode_basic(header[6:].strip()) if header.lower().startswith("basic ") else None
        if not ctx.authenticator.required:
            raise UnauthorizedError("The engine runs without authentication: there is no authenticated user")
        username = pair[0] if pair is not None else None
        body = {
            "authorizedComponents": ["*"],
            "tenants": [],
            "groups": [],
            "roles": [],
            "salesPlanType": "",
            "c8Links": {},
            "canLogout": False,
        }
        if username:
            body = {"username": username, "displayName": username, **body}
        return answer(body)

    def controlled() -> None:
        if not ctx.engine.clock.controlled:
            raise ForbiddenError(
                "The engine clock is not controlled: pinning and resetting it is for tests only; start the engine "
                "with a controlled clock (EmbeddedEngine(), or pbj engine --controlled-clock)"
            )

    async def pin_clock(request: web.Request) -> web.Response:
        controlled()
        body = await json_body(request)
        if body.get("timestamp") is None:
            raise InvalidArgumentError("No timestamp provided: 'timestamp' must be the time in epoch milliseconds")
        timestamp = optional(body, "timestamp", int, 0)
        if not 0 <= timestamp <= 253402300799000:  # up to the end of the year 9999
            raise InvalidArgumentError(f"The value for timestamp is '{timestamp}' but must be a time in epoch millis")
        ctx.engine.clock.pin(from_millis(timestamp))
        ctx.engine.process_due()  # what fell due fires; the engine's change hook wakes the scheduler
        return no_content()

    async def reset_clock(request: web.Request) -> web.Response:
        controlled()
        ctx.engine.clock.reset()
        ctx.engine.process_due()
        return no_content()

    return [
        web.get("/v2/topology", topology),
        web.get("/v2/status", status),
        web.get("/v2/license", license_),
        web.get("/v2/authentication/me", me),
        web.put("/v2/clock", pin_clock),
        web.post("/v2/clock/reset", reset_clock),
    ]
