"""The worker service against an engine that asks for credentials, as a bureau runs it with the engine on another
host: `python -m workers` with `CAMUNDA_BASIC_AUTH_USERNAME`/`CAMUNDA_BASIC_AUTH_PASSWORD` completes SOP 1's
first e-mail job; without them the engine refuses it, its log says which settings to check, and no job is lost."""

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pyzeebe import ZeebeClient

from engine.auth import Credentials
from engine.rest import RestSettings
from engine.state import JobState
from engine.testing import EmbeddedEngine
from tests.workers.harness import BPMN_DIR, KEPALA_EMAIL, MailSink, seed_admin_ppe_request, settings_environ
from tests.workers.test_service import start_workers
from workers.channel import create_channel
from workers.services import Services
from workers.settings import ZeebeSettings

CLIENT, SECRET = "pekerja-pbj", "rahasia-pekerja"


@pytest.fixture
async def secured() -> AsyncIterator[EmbeddedEngine]:
    """An embedded engine that asks every client for credentials, with SOP 1 deployed."""
    credentials = Credentials(clients={CLIENT: SECRET})
    async with EmbeddedEngine(settings=RestSettings(credentials=credentials)) as engine:
        engine.deploy(BPMN_DIR)
        yield engine


def log_of(stderr: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]


async def test_workers_with_credentials_complete_a_job_and_without_are_refused_losing_nothing(
    secured: EmbeddedEngine, services: Services, mail_sink: MailSink, tmp_path: Path, database_url: str
) -> None:
    request, references = seed_admin_ppe_request(services)
    operator = ZeebeSettings(address=secured.address, username=CLIENT, password=SECRET)
    async with create_channel(operator) as channel:
        created = await ZeebeClient(channel).run_process(
            "registrasiAdminPpe", {"nomorPermohonan": request.number, "dokumenPermohonan": references}
        )
    environ = {
        **settings_environ(tmp_path / "data", database_url, mail_sink.port),
        "ZEEBE_ADDRESS": secured.address,
        "LOG_FORMAT": "json",
    }

    refused = await start_workers(environ)
    _, stderr = await asyncio.wait_for(refused.communicate(), timeout=60)
    assert refused.returncode == 1
    [line] = [entry for entry in log_of(stderr) if entry["level"] == "error"]
    assert line["event"].startswith("Mesin proses menolak kredensial pekerja; periksa CAMUNDA_BASIC_AUTH_USERNAME")
    assert (line["kode"], line["zeebe"]) == ("UNAUTHENTICATED", secured.address)
    assert all(job.state is JobState.ACTIVATABLE and job.worker == "" for job in secured.jobs())
    assert secured.jobs() and not mail_sink.envelopes

    admitted = await start_workers(
        {**environ, "CAMUNDA_BASIC_AUTH_USERNAME": CLIENT, "CAMUNDA_BASIC_AUTH_PASSWORD": SECRET}
    )
    try:
        await asyncio.wait_for(mail_sink.receiving.wait(), timeout=60)
        admitted.send_signal(signal.SIGTERM)  # drains: the running e-mail job is completed first
        _, stderr = await asyncio.wait_for(admitted.communicate(), timeout=60)
    finally:
        if admitted.returncode is None:
            admitted.kill()
            await admitted.wait()
    assert admitted.returncode == 0
    secured.assert_that(created.process_instance_key).has_passed("KirimInformasiAkunTask")
    assert mail_sink.envelopes[0].rcpt_tos == [KEPALA_EMAIL]
    ready = next(entry for entry in log_of(stderr) if entry["event"] == "Pekerja siap")
    assert ready["autentikasi_dasar"] == CLIENT
    assert SECRET not in stderr.decode()
