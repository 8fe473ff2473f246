"""`buat-akun` (SOP 1 row 5, SOP 2 row 2) and `aktifkan-akun` (SOP 2 row 7) through the provisioning adapter.

`buat-akun` reads the headers `sistem` (absent: the bureau's own account directory), `peran` and `status` (absent:
active) and creates the account of the request's holder (the Admin PPE, or the PPBJ) – idempotent by (request,
system, role), so a job delivered twice still makes one account. It returns `idAkun` (the adapter's account id,
a reference) and `statusAkun`. No password is set: the holder sets one through a one-time link (`kirim-email`).

`aktifkan-akun` runs once per system (`sistem`: SiRUP, SPSE, SiPRAJA) in a parallel multi-instance. It creates
the PPBJ's account on that system with the user id of the PPBJ's directory account (one person, one user id),
activates it, activates the pending directory account too (idempotent), and returns only `statusAktivasi`
(`{sistem, status, idAkunSistem}`), which Zeebe collects into `hasilAktivasi`.

An unreachable account service fails the job (retried with back-off, then an incident); a refused request too.
"""

from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from workers.constants import Header, TaskType, Var
from workers.domain import AccountStatus, System
from workers.errors import ProvisioningError
from workers.logging import get_logger
from workers.outbox import request_person
from workers.provisioning import AccountRequest, parse_role, parse_status, parse_system
from workers.services import Services
from workers.tasks.common import HOLDER_ROLES, load_request, new_router, number_of, require, task

log = get_logger(__name__)


def create_router(services: Services) -> ZeebeTaskRouter:
    """The router of `buat-akun` and `aktifkan-akun`."""
    router = new_router()

    @task(router, TaskType.BUAT_AKUN)
    async def buat_akun(
        job: Job, nomorPermohonan: str | None = None, nomorPendaftaran: str | None = None
    ) -> dict[str, Any]:
        request = await load_request(services, number_of(job.type, nomorPermohonan, nomorPendaftaran))
        headers = job.custom_headers
        system = parse_system(headers.get(Header.SISTEM))
        role = parse_role(headers.get(Header.PERAN))
        status = parse_status(headers.get(Header.STATUS))
        holder = await request_person(services, request, HOLDER_ROLES[role])
        account = await services.provisioning.create_account(
            AccountRequest(
                request_number=request.number,
                system=system,
                role=role,
                display_name=holder.name,
                email=holder.email,
                status=status,
            )
        )
        log.info("Akun tersedia", sistem=system, peran=role, status=account.status, id_akun=account.account_id)
        return {Var.ID_AKUN: account.account_id, Var.STATUS_AKUN: account.status.value}

    @task(router, TaskType.AKTIFKAN_AKUN)
    async def aktifkan_akun(job: Job, nomorPendaftaran: str | None = None, sistem: str | None = None) -> dict[str, Any]:
        request = await load_request(services, require(nomorPendaftaran, Var.NOMOR_PENDAFTARAN, job.type))
        system = parse_system(require(sistem, Var.SISTEM, job.type))
        if system is System.DIREKTORI:
            raise ProvisioningError(f"Sistem {sistem!r} bukan sistem tujuan aktivasi akun.")
        role = parse_role(job.custom_headers.get(Header.PERAN))
        provisioning = services.provisioning
        directory = await provisioning.find_account(request.number, System.DIREKTORI, role)
        if directory is None:
            raise ProvisioningError(
                f"Akun {role.value} untuk permohonan {request.number} belum dibuat di direktori akun; "
                "aktivasi tidak dapat dilakukan."
            )
        holder = await request_person(services, request, HOLDER_ROLES[role])
        account = await provisioning.create_account(
            AccountRequest(
                request_number=request.number,
                system=system,
                role=role,
                display_name=holder.name,
                email=holder.email,
                status=AccountStatus.ACTIVE,
                user_id=directory.user_id,
            )
        )
        if account.status is not AccountStatus.ACTIVE:
            account = await provisioning.activate_account(account.account_id)
        if directory.status is not AccountStatus.ACTIVE:
            await provisioning.activate_account(directory.account_id)
        log.info("Akun diaktifkan", sistem=system, peran=role, id_akun=account.account_id)
        status = {"sistem": system.value, "status": account.status.value, "idAkunSistem": account.account_id}
        return {Var.STATUS_AKTIVASI: status}

    return router
