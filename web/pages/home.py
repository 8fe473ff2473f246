"""The home page (`/`) and the health check (`/sehat`)."""

import asyncio
from typing import Any

from aiohttp import web
from sqlalchemy import text

from pbj.commands.errors import CredentialsRefusedError
from web.app import app_of, in_thread
from workers.links import Path

routes = web.RouteTableDef()
HEALTH_TIMEOUT_SECONDS = 5.0


@routes.get(Path.HOME)
async def beranda(request: web.Request) -> web.Response:
    """What this service is; start a request or a registration; staff login."""
    return app_of(request).render(request, "beranda.html")


@routes.get(Path.HEALTH)
async def sehat(request: web.Request) -> web.Response:
    """200 when the store, the Zeebe gateway and the REST API answer; 503 naming what does not, and which of them
    refuse the application's credentials (CAMUNDA_BASIC_AUTH_* or the OAuth client)."""
    webapp = app_of(request)

    def store_answers() -> None:
        with webapp.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    checks: dict[str, Any] = {
        "basisData": in_thread(store_answers),
        "gatewayZeebe": webapp.gateway.check(),
        "restApi": webapp.rest.get("/v2/topology"),
    }
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, HEALTH_TIMEOUT_SECONDS)
        except CredentialsRefusedError:
            results[name] = "kredensial ditolak"
        except Exception:  # any other failure of a dependency counts as "not answering"
            results[name] = "tidak menjawab"
        else:
            results[name] = "baik"
    healthy = all(value == "baik" for value in results.values())
    return web.json_response({"status": "baik" if healthy else "terganggu", **results}, status=200 if healthy else 503)
