"""The service: `python -m workers` as a subprocess against a running embedded engine (SIGTERM drains and exits 0),
exit code 2 naming a malformed setting, `pbj workers`, and the choice of a plain or an OAuth channel."""

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from pyzeebe import ZeebeClient

import workers.channel
from engine.state import JobState
from engine.testing import EmbeddedEngine
from pbj.cli import main as pbj_main
from tests.workers.harness import (
    BPMN_DIR,
    KEPALA_EMAIL,
    ROOT,
    MailSink,
    seed_admin_ppe_request,
    settings_environ,
)
from workers.constants import TaskType
from workers.services import Services
from workers.settings import Settings, ZeebeSettings


async def start_workers(environ: dict[str, str]) -> asyncio.subprocess.Process:
    """`python -m workers` with exactly this environment (plus PATH), output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **environ},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_sigterm_finishes_the_running_job_takes_no_new_one_and_exits_0(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    services: Services,
    mail_sink: MailSink,
    tmp_path: Path,
    database_url: str,
) -> None:
    """The worker process runs SOP 1 up to the first e-mail, whose SMTP server holds the DATA; SIGTERM arrives while
    that job runs: the process keeps going until the server answers, completes the job, does not take the next
    step's job, and exits 0."""
    engine.deploy(BPMN_DIR)
    request, references = seed_admin_ppe_request(services)
    mail_sink.hold = asyncio.Event()
    environ = settings_environ(tmp_path / "data", database_url, mail_sink.port)
    process = await start_workers({**environ, "ZEEBE_ADDRESS": engine.address, "LOG_FORMAT": "json"})
    try:
        pi = (
            await zeebe_client.run_process(
                "registrasiAdminPpe", {"nomorPermohonan": request.number, "dokumenPermohonan": references}
            )
        ).process_instance_key
        await asyncio.wait_for(mail_sink.receiving.wait(), timeout=60)
        [running] = [j for j in engine.jobs(TaskType.KIRIM_EMAIL) if j.element_id == "KirimInformasiAkunTask"]
        assert running.state is JobState.ACTIVATED

        process.send_signal(signal.SIGTERM)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(process.wait(), timeout=1.0)  # still finishing the job
        mail_sink.hold.set()
        code = await asyncio.wait_for(process.wait(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.stderr is not None
    log = [json.loads(line) for line in (await process.stderr.read()).decode().splitlines() if line.startswith("{")]

    assert code == 0
    engine.assert_that(pi).has_passed("KirimInformasiAkunTask").is_waiting_exactly_at("SampaikanAkunKeAdminPpeTask")
    # the next step's first job, its start listener's (the deadline), was not taken
    [waiting] = [j for j in engine.jobs() if j.element_id == "SampaikanAkunKeAdminPpeTask"]
    assert (waiting.type, waiting.state, waiting.worker) == (TaskType.HITUNG_BATAS_WAKTU_SLA, JobState.ACTIVATABLE, "")
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[KEPALA_EMAIL]]
    events = [line["event"] for line in log]
    assert "Pekerja siap" in events
    assert "Pekerja berhenti menerima tugas dan menyelesaikan tugas yang sedang berjalan" in events
    assert events[-1] == "Pekerja berhenti"
    assert log[-1]["kode_keluar"] == 0


async def test_malformed_setting_exits_2_naming_it(tmp_path: Path) -> None:
    """A malformed setting stops the service before anything starts: exit code 2 and the setting's name."""
    process = await start_workers({"PBJ_DATA_DIR": str(tmp_path), "ZEEBE_ADDRESS": "localhost:port"})
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert stderr.decode().strip() == (
        "Pekerja tidak dapat dijalankan: Pengaturan ZEEBE_ADDRESS: 'port' bukan nomor port (1–65535)."
    )
    assert not (tmp_path / "pbj.sqlite3").exists()


def test_pbj_workers_reads_the_same_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pbj workers` is the same service: a missing companion setting is named, exit code 2."""
    monkeypatch.setenv("SMTP_USERNAME", "robot-pbj")
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    assert pbj_main(["workers"]) == 2
    assert "Pengaturan SMTP_PASSWORD: wajib diisi bila SMTP_USERNAME diisi." in capsys.readouterr().err


def test_channel_is_plain_without_oauth_and_oauth_with_client_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """ZEEBE_ADDRESS alone gives a plain channel; client credentials give pyzeebe's OAuth channel with them."""
    calls: dict[str, dict[str, Any]] = {}

    def fake(kind: str) -> Any:
        def create(**kwargs: Any) -> Any:
            calls[kind] = kwargs
            return kind

        return create

    monkeypatch.setattr(workers.channel, "create_insecure_channel", fake("plain"))
    monkeypatch.setattr(workers.channel, "create_oauth2_client_credentials_channel", fake("oauth"))
    assert workers.channel.create_channel(ZeebeSettings(address="zeebe:26500")) == "plain"  # type: ignore[comparison-overlap]
    assert calls == {"plain": {"grpc_address": "zeebe:26500"}}
    settings = Settings.from_env(
        {
            "ZEEBE_ADDRESS": "abc.bru-2.zeebe.camunda.io:443",
            "CAMUNDA_CLIENT_ID": "pekerja-pbj",
            "CAMUNDA_CLIENT_SECRET": "rahasia-klien",
            "CAMUNDA_OAUTH_URL": "https://login.cloud.camunda.io/oauth/token",
            "CAMUNDA_TOKEN_AUDIENCE": "zeebe.camunda.io",
        }
    )
    assert workers.channel.create_channel(settings.zeebe) == "oauth"  # type: ignore[comparison-overlap]
    assert calls["oauth"] == {
        "grpc_address": "abc.bru-2.zeebe.camunda.io:443",
        "client_id": "pekerja-pbj",
        "client_secret": "rahasia-klien",
        "authorization_server": "https://login.cloud.camunda.io/oauth/token",
        "audience": "zeebe.camunda.io",
        "channel_credentials": None,
    }
