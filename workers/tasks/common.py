"""Helpers shared by the task modules: a router with the workers' failure handling, variables, the request."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pyzeebe import ZeebeTaskRouter

from workers.constants import JOB_TIMEOUT_MS, TaskType, Var
from workers.domain import AccountRole, PersonRole
from workers.errors import WorkersError
from workers.failures import on_job_failure
from workers.services import Services
from workers.store import RequestRecord

HOLDER_ROLES = {AccountRole.ADMIN_PPE: PersonRole.ADMIN_PPE, AccountRole.PPBJ: PersonRole.PPBJ}
"""Whose account an account role is: the person of the request with the matching role."""


class JobDataError(WorkersError):
    """A job lacks a variable or header it needs, or carries a malformed one (a modelling or application defect)."""


Handler = TypeVar("Handler", bound=Callable[..., Awaitable[dict[str, Any]]])


def new_router() -> ZeebeTaskRouter:
    """A router whose tasks fail jobs through `on_job_failure`."""
    return ZeebeTaskRouter(exception_handler=on_job_failure)


def task(router: ZeebeTaskRouter, task_type: TaskType) -> Callable[[Handler], Handler]:
    """`@router.task(task_type, timeout_ms=JOB_TIMEOUT_MS)` for an async handler returning a dict, typed for mypy.

    pyzeebe fetches the variables named by the handler's parameters and recognises the `Job` parameter by its
    annotation; the handler's dict becomes the job's result variables.
    """

    def register(handler: Handler) -> Handler:
        # pyzeebe's overloads of `task` do not accept an async handler under mypy --strict.
        router.task(task_type=task_type.value, timeout_ms=JOB_TIMEOUT_MS)(handler)  # type: ignore[arg-type]
        return handler

    return register


def require(value: Any, name: str, job_type: str) -> Any:
    """`value`, or `JobDataError` naming the variable when it is missing."""
    if value is None or value == "":
        raise JobDataError(f"Variabel proses {name} tidak tersedia pada tugas {job_type}.")
    return value


def number_of(job_type: str, nomor_permohonan: str | None, nomor_pendaftaran: str | None) -> str:
    """The request number of SOP 1 (`nomorPermohonan`) or SOP 2 (`nomorPendaftaran`)."""
    number = nomor_permohonan or nomor_pendaftaran
    if not number:
        raise JobDataError(
            f"Variabel proses {Var.NOMOR_PERMOHONAN} atau {Var.NOMOR_PENDAFTARAN} tidak tersedia pada tugas {job_type}."
        )
    return str(number)


async def load_request(services: Services, number: str) -> RequestRecord:
    """The request with this number from the store (`NotFoundError` if there is none)."""
    return await asyncio.to_thread(services.store.get_request, number)
