"""The exception handler of every job: messages for Operate, the exponential back-off, BPMN errors."""

from datetime import timedelta
from typing import Any

import pytest
from pyzeebe import Job
from pyzeebe.errors import BusinessError

from workers.errors import NotFoundError, StoreUnavailableError
from workers.failures import failure_message, on_job_failure, retry_backoff
from workers.mail import MailDeliveryError


def job(retries: int = 3) -> Job:
    """A kirim-email job as pyzeebe hands it over."""
    return Job(
        key=2251799813685270,
        type="kirim-email",
        process_instance_key=2251799813685253,
        bpmn_process_id="registrasiAdminPpe",
        process_definition_version=1,
        process_definition_key=2251799813685251,
        element_id="KirimInformasiAkunTask",
        element_instance_key=2251799813685269,
        custom_headers={"template": "akun-admin-ppe-dibuat", "penerima": "kepala-lpse"},
        worker="pekerja-uji",
        retries=retries,
        deadline=0,
        variables={"nomorPermohonan": "ADM-2026-000001"},
    )


class Recorder:
    """Stands in for pyzeebe's JobController and records what the handler asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def set_failure_status(self, message: str, retry_back_off_ms: int = 0, variables: Any = None) -> None:
        self.calls.append(("fail", {"message": message, "retry_back_off_ms": retry_back_off_ms}))

    async def set_error_status(self, message: str, error_code: str = "", variables: Any = None) -> None:
        self.calls.append(("error", {"message": message, "error_code": error_code}))


@pytest.mark.parametrize(
    ("retries", "backoff"),
    [(3, timedelta(seconds=5)), (2, timedelta(seconds=10)), (1, timedelta(seconds=20)), (8, timedelta(seconds=5))],
)
def test_backoff_doubles_from_five_seconds(retries: int, backoff: timedelta) -> None:
    """5 s after the first failure of a default job (3 retries), then 10 s, then 20 s; more retries start at 5 s."""
    assert retry_backoff(retries) == backoff


def test_backoff_is_capped_at_five_minutes() -> None:
    """An operator who gave a job fewer retries than it failed times still waits at most 5 minutes."""
    assert retry_backoff(-30) == timedelta(minutes=5)


def test_transient_error_message_is_the_errors_own() -> None:
    """A transient error's message goes to Operate as is (formal Indonesian from the foundation)."""
    error = MailDeliveryError("Server SMTP 127.0.0.1:25 tidak menjawab dalam batas waktu; e-mail 1a2b tidak terkirim.")
    assert failure_message(error, job()) == str(error)


def test_permanent_error_message_says_retrying_will_not_help() -> None:
    """A permanent error tells the operator that the cause must be fixed first."""
    message = failure_message(NotFoundError("Permohonan ADM-2026-000099 tidak ditemukan."), job())
    assert message == (
        "Permohonan ADM-2026-000099 tidak ditemukan. "
        "Percobaan ulang tidak akan berhasil sebelum penyebabnya diperbaiki."
    )


def test_personal_data_in_an_error_is_redacted_and_an_unexpected_error_shows_its_type_only() -> None:
    """A database error that echoes a value is redacted; an unexpected exception is named by its type only."""
    echoed = StoreUnavailableError("Basis data tidak dapat diakses: Key (email)=(sari.wulandari@kaltimprov.go.id)")
    assert "sari.wulandari" not in failure_message(echoed, job())
    unexpected = failure_message(KeyError("6471014505900001"), job())
    assert unexpected == (
        "Terjadi kesalahan tak terduga pada pekerja tugas kirim-email (KeyError); rincian tercatat di log pekerja."
    )


async def test_handler_fails_the_job_with_message_and_backoff() -> None:
    """on_job_failure fails the job (pyzeebe decrements the retries) with the message and the back-off in ms."""
    recorder = Recorder()
    error = MailDeliveryError("Server SMTP 127.0.0.1:25 menjawab dengan kode 451; e-mail 1a2b tidak terkirim.")
    await on_job_failure(error, job(retries=2), recorder)  # type: ignore[arg-type]
    assert recorder.calls == [("fail", {"message": str(error), "retry_back_off_ms": 10_000})]


async def test_business_error_is_thrown_as_a_bpmn_error() -> None:
    """A BusinessError (none is modelled today) would be thrown with its code instead of failing the job."""
    recorder = Recorder()
    await on_job_failure(BusinessError("BERKAS_DITOLAK"), job(), recorder)  # type: ignore[arg-type]
    assert recorder.calls == [("error", {"message": "Galat bisnis BERKAS_DITOLAK", "error_code": "BERKAS_DITOLAK"})]
