"""The Zeebe side of the workers: the gRPC channel from the settings and one ZeebeWorker with every router.

`create_channel` opens a plain channel to `ZEEBE_ADDRESS` (the embedded engine, a local Zeebe), or – when OAuth
client credentials are configured (Camunda SaaS, a secured self-managed cluster) – a TLS channel that fetches and
renews its access token with pyzeebe's client-credentials plugin. `create_worker(channel, services)` combines the
routers of `workers.tasks` into one worker whose failures go through `workers.failures.on_job_failure` and whose
log lines carry the job's key, type, element and request number.
"""

import socket

import grpc
import structlog
from pyzeebe import Job, ZeebeWorker, create_insecure_channel, create_oauth2_client_credentials_channel

from workers.constants import Var
from workers.failures import on_job_failure
from workers.services import Services
from workers.settings import ZeebeSettings
from workers.tasks import ROUTER_FACTORIES


def create_channel(settings: ZeebeSettings) -> grpc.aio.Channel:
    """A channel to the Zeebe gateway: OAuth client credentials over TLS when configured, else plain."""
    if settings.uses_oauth:
        return create_oauth2_client_credentials_channel(
            grpc_address=settings.address,
            client_id=settings.client_id or "",
            client_secret=settings.client_secret or "",
            authorization_server=settings.authorization_server_url or "",
            audience=settings.token_audience,
        )
    return create_insecure_channel(grpc_address=settings.address)


async def bind_job_log_context(job: Job) -> Job:
    """Before every job: bind its keys and request number to the log context of the job's own asyncio task."""
    number = job.variables.get(Var.NOMOR_PERMOHONAN) or job.variables.get(Var.NOMOR_PENDAFTARAN)
    structlog.contextvars.bind_contextvars(
        tugas=job.type, job=job.key, elemen=job.element_id, instance=job.process_instance_key, nomor=number
    )
    return job


def create_worker(channel: grpc.aio.Channel, services: Services, *, name: str | None = None) -> ZeebeWorker:
    """One worker handling every task type of the diagrams; it keeps reconnecting while the gateway is away."""
    worker = ZeebeWorker(
        channel,
        name=name or f"pbj-workers@{socket.gethostname()}",
        before=[bind_job_log_context],
        exception_handler=on_job_failure,
        max_connection_retries=-1,
    )
    worker.include_router(*(create(services) for create in ROUTER_FACTORIES))
    return worker
