"""What happens when a job handler raises: the job fails with a clear message and a back-off, Zeebe retries it.

`on_job_failure` is the pyzeebe exception handler of every router and of the worker. The diagrams model no BPMN
errors, so every exception fails the job (`FailJob` with `retries - 1`): Zeebe hands it out again after the
back-off – 5 s after the first failure, doubling each time, at most 5 minutes – and raises an incident when no
retries are left. An operator then fixes the cause and gives the job new retries (Operate, or UpdateJobRetries +
ResolveIncident). A `BusinessError` would be thrown as a BPMN error, but no handler raises one.

The failure message is what Operate shows: formal Indonesian, naming the request and what to check, never
personal data (the workers' errors carry none; the text is redacted again to be sure). An unexpected exception is
reported by its type only; its details go to the worker's log.
"""

from datetime import timedelta

from pyzeebe import Job, JobController
from pyzeebe.errors import BusinessError

from workers.constants import DEFAULT_JOB_RETRIES, RETRY_BACKOFF_BASE, RETRY_BACKOFF_MAX
from workers.errors import WorkersError, is_transient
from workers.logging import get_logger, redact_text

log = get_logger(__name__)

MAX_MESSAGE_LENGTH = 500


def retry_backoff(retries_left: int) -> timedelta:
    """The back-off before the next attempt of a job that had `retries_left` retries when it failed."""
    failures_before = max(0, DEFAULT_JOB_RETRIES - retries_left)
    return min(RETRY_BACKOFF_BASE * (1 << min(failures_before, 16)), RETRY_BACKOFF_MAX)


def failure_message(exc: BaseException, job: Job) -> str:
    """The message a failed job carries into Operate (formal Indonesian, no personal data)."""
    if isinstance(exc, WorkersError):
        text = str(exc).strip() or type(exc).__name__
        hint = "" if is_transient(exc) else " Percobaan ulang tidak akan berhasil sebelum penyebabnya diperbaiki."
        return redact_text(text + hint)[:MAX_MESSAGE_LENGTH]
    return (
        f"Terjadi kesalahan tak terduga pada pekerja tugas {job.type} ({type(exc).__name__}); "
        "rincian tercatat di log pekerja."
    )


async def on_job_failure(exc: Exception, job: Job, job_controller: JobController) -> None:
    """pyzeebe exception handler: fail the job with a message and an exponential back-off (or throw a BPMN error)."""
    if isinstance(exc, BusinessError):
        log.warning("Tugas melempar galat BPMN", kode=exc.error_code)
        await job_controller.set_error_status(f"Galat bisnis {exc.error_code}", error_code=exc.error_code)
        return
    message = failure_message(exc, job)
    backoff = retry_backoff(job.retries)
    retries_left = max(0, job.retries - 1)
    log.warning(
        "Tugas gagal" + ("; Zeebe akan mencoba lagi" if retries_left else "; percobaan habis, Zeebe membuat insiden"),
        pesan=message,
        sisa_percobaan=retries_left,
        jeda_detik=backoff.total_seconds() if retries_left else None,
        sementara=is_transient(exc),
        exc_info=not isinstance(exc, WorkersError),
    )
    await job_controller.set_failure_status(message, retry_back_off_ms=int(backoff.total_seconds() * 1000))
