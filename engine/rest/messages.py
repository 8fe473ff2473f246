"""Messages (publication and correlation), their subscriptions, and signals."""

from aiohttp import web

from engine.errors import InvalidArgumentError
from engine.rest.context import Context
from engine.rest.http import TENANT, answer, json_body, optional, required, tenant, variables_of
from engine.rest.reading import search_answer
from engine.search import catalogue, rows
from engine.search.language import Search


def routes(ctx: Context) -> list[web.RouteDef]:
    engine = ctx.engine

    async def publish(request: web.Request) -> web.Response:
        body = await json_body(request)
        tenant(body)
        name = body.get("name")
        if not isinstance(name, str):
            raise InvalidArgumentError("No name provided: 'name' must be the message name (a string)")
        ttl = optional(body, "timeToLive", int, 0)
        if ttl < 0:
            raise InvalidArgumentError(f"The value for timeToLive is '{ttl}' but must be non-negative")
        key = engine.publish_message(
            name,
            optional(body, "correlationKey", str, ""),
            ttl,
            optional(body, "messageId", str, ""),
            variables_of(body),
        )
        return answer({"tenantId": TENANT, "messageKey": str(key)})

    async def correlate(request: web.Request) -> web.Response:
        body = await json_body(request)
        tenant(body)
        message_key, process_instance_key = engine.correlate_message(
            required(body, "name", str), optional(body, "correlationKey", str, ""), variables_of(body)
        )
        return answer(
            {
                "tenantId": TENANT,
                "messageKey": str(message_key),
                "processInstanceKey": str(process_instance_key),
            }
        )

    async def subscriptions(request: web.Request) -> web.Response:
        query = Search.parse(catalogue.MESSAGE_SUBSCRIPTIONS, await json_body(request))
        return await search_answer(query, rows.message_subscription_rows(engine, query.needs))

    async def broadcast(request: web.Request) -> web.Response:
        body = await json_body(request)
        tenant(body)
        name = required(body, "signalName", str)
        if not name.strip():
            raise InvalidArgumentError("Expected a signal name, but it is blank")
        key = engine.broadcast_signal(name, variables_of(body))
        return answer({"tenantId": TENANT, "signalKey": str(key)})

    return [
        web.post("/v2/messages/publication", publish),
        web.post("/v2/messages/correlation", correlate),
        web.post("/v2/message-subscriptions/search", subscriptions),
        web.post("/v2/signals/broadcast", broadcast),
    ]
