"""`arsipkan-dokumen` (SOP 1 row 8): one archive of the request's accepted documents, returned as `nomorArsip`.

The documents archived are the ones `dokumenPermohonan` refers to (after a `berkas-dilengkapi` loop: the
completed set). `Archiver.archive` is idempotent – a request that has an archive gets the recorded one back after
its file is checked – so a job delivered twice writes one archive. Row 8 is the SOP's last step: the request's
status becomes `SELESAI` (idempotent too). A document whose content no longer matches its
hash stops the archiving (the job fails and, when retries run out, an incident shows why).
"""

import asyncio
from collections.abc import Mapping
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from workers.constants import STATUS_COMPLETED, TaskType, Var
from workers.logging import get_logger
from workers.services import Services
from workers.tasks.common import JobDataError, new_router, require, task

log = get_logger(__name__)


def create_router(services: Services) -> ZeebeTaskRouter:
    """The router of `arsipkan-dokumen`."""
    router = new_router()

    @task(router, TaskType.ARSIPKAN_DOKUMEN)
    async def arsipkan_dokumen(
        job: Job, nomorPermohonan: str | None = None, dokumenPermohonan: list[Any] | None = None
    ) -> dict[str, Any]:
        number = require(nomorPermohonan, Var.NOMOR_PERMOHONAN, job.type)
        document_ids = None if dokumenPermohonan is None else _document_ids(dokumenPermohonan)
        record = await asyncio.to_thread(services.archiver.archive, number, document_ids)
        log.info("Dokumen diarsipkan", nomor_arsip=record.archive_number, jumlah_dokumen=record.document_count)
        await asyncio.to_thread(services.store.set_request_status, number, STATUS_COMPLETED)
        return {Var.NOMOR_ARSIP: record.archive_number}

    return router


def _document_ids(references: Any) -> list[str]:
    if not isinstance(references, list) or not all(
        isinstance(item, Mapping) and item.get("dokumenId") for item in references
    ):
        raise JobDataError(f"Variabel proses {Var.DOKUMEN_PERMOHONAN} harus berupa daftar rujukan dokumen (dokumenId).")
    return [str(item["dokumenId"]) for item in references]
