"""The endpoints of the 8.8 API for what the embedded engine does not have, answered as Camunda answers for a
capability it runs without (403 Forbidden, a problem naming what is missing and what to use instead): identity
management (its users and API clients are its settings), documents, batch operations, usage metrics, ad-hoc
sub-processes and the history of correlated messages."""

from aiohttp import web

from engine.rest.context import Context
from engine.rest.http import ForbiddenError, Handler

_IDENTITY = (
    "Identity management is not part of the embedded engine: its users and API clients are set when it starts "
    "(pbj engine: PBJ_ENGINE_USERNAME/PASSWORD, PBJ_ENGINE_CLIENT_ID/SECRET); Camunda 8 has Identity for this"
)
_MISSING: dict[str, str] = {
    "/v2/authorizations": _IDENTITY,
    "/v2/groups": _IDENTITY,
    "/v2/mapping-rules": _IDENTITY,
    "/v2/roles": _IDENTITY,
    "/v2/tenants": _IDENTITY + " (multi-tenancy is disabled: the only tenant is <default>)",
    "/v2/users": _IDENTITY,
    "/v2/setup": _IDENTITY,
    "/v2/documents": "The document store is not part of the embedded engine: the application keeps its documents",
    "/v2/batch-operations": "Batch operations are not supported by the embedded engine: act on each instance",
    "/v2/batch-operation-items": "Batch operations are not supported by the embedded engine: act on each instance",
    "/v2/system": "Usage metrics are not collected by the embedded engine",
    "/v2/element-instances/ad-hoc-activities": "Ad-hoc sub-processes are not supported by the embedded engine",
    "/v2/correlated-message-subscriptions": (
        "The embedded engine keeps no history of correlated message subscriptions: search the element instances "
        "of the catch events instead"
    ),
}
_BATCHES = ("cancellation", "incident-resolution", "migration", "modification")


def routes(ctx: Context) -> list[web.RouteDef]:
    def refuse(reason: str) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            raise ForbiddenError(reason)

        return handler

    out = [web.route("*", prefix + "{rest:(/.*)?}", refuse(reason)) for prefix, reason in _MISSING.items()]
    batch = _MISSING["/v2/batch-operations"]
    out += [web.post(f"/v2/process-instances/{name}", refuse(batch)) for name in _BATCHES]
    return out
