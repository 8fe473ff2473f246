"""`hitung-batas-waktu-sla`: the working-time deadline of a timed step, for its SLA timer's `timeDate`.

A start execution listener on each timed step runs this job (docs/processes-design.md, "Standard times in working
time"). It reads the step's standard time (`slaBatasWaktu`, an ISO 8601 working duration such as `PT10M`, set by the
step's input mapping), the instant the step started (`slaMulai`, the input mapping `=now()`: the engine's clock at
the step's activation; without it, the instant the job was activated) and the SOP – hence the province – from the
request number the instance carries (`nomorPermohonan`: SOP 1, Kalimantan Timur, WITA; `nomorPendaftaran`: SOP 2,
Kalimantan Barat, WIB). It returns `slaBatasWaktuKerja`: the deadline in the province's working calendar
(`workers.working_time`), an ISO 8601 date-time with the province's offset, which the step's SLA timer takes as its
`timeDate`. Nothing is stored and nothing is sent, so a repeated job gives the same answer.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from pyzeebe import Job, ZeebeTaskRouter

from workers.constants import JOB_TIMEOUT_MS, TaskType, Var
from workers.domain import RequestKind
from workers.services import Services
from workers.tasks.common import JobDataError, new_router, require, task
from workers.working_time import WorkingTimeError, instant, timer_date


def create_router(services: Services) -> ZeebeTaskRouter:
    """The router of `hitung-batas-waktu-sla`."""
    router = new_router()
    working_time = services.settings.working_time

    @task(router, TaskType.HITUNG_BATAS_WAKTU_SLA)
    async def hitung_batas_waktu_sla(
        job: Job,
        nomorPermohonan: str | None = None,
        nomorPendaftaran: str | None = None,
        slaBatasWaktu: str | None = None,
        slaMulai: str | None = None,
    ) -> dict[str, Any]:
        kind = request_kind(job.type, nomorPermohonan, nomorPendaftaran)
        standard = require(slaBatasWaktu, Var.SLA_BATAS_WAKTU, job.type)
        try:
            started = instant(slaMulai) if slaMulai else activated_at(job)
            deadline = working_time.calendar(kind).deadline(started, str(standard))
        except WorkingTimeError as exc:
            raise JobDataError(f"{exc} (langkah {job.element_id}, tugas {job.type})") from None
        return {Var.SLA_BATAS_WAKTU_KERJA.value: timer_date(deadline)}

    return router


def request_kind(job_type: str, nomor_permohonan: str | None, nomor_pendaftaran: str | None) -> RequestKind:
    """The SOP of the instance, by which request number it carries: `nomorPermohonan` (SOP 1) or
    `nomorPendaftaran` (SOP 2)."""
    if nomor_permohonan and nomor_pendaftaran:
        raise JobDataError(
            f"Tugas {job_type} menerima {Var.NOMOR_PERMOHONAN} dan {Var.NOMOR_PENDAFTARAN} sekaligus; SOP-nya tidak "
            "dapat ditentukan."
        )
    if nomor_permohonan:
        return RequestKind.ADMIN_PPE
    if nomor_pendaftaran:
        return RequestKind.PPBJ
    raise JobDataError(
        f"Variabel proses {Var.NOMOR_PERMOHONAN} atau {Var.NOMOR_PENDAFTARAN} tidak tersedia pada tugas {job_type}."
    )


def activated_at(job: Job) -> datetime:
    """The engine's instant of the job's activation: its deadline less the time-out the worker asked for."""
    return datetime.fromtimestamp(job.deadline / 1000, UTC) - timedelta(milliseconds=JOB_TIMEOUT_MS)
