"""`python -m workers` (and `pbj workers`): run every job worker until SIGTERM or SIGINT.

Start-up: the settings are read from the environment (a missing or malformed setting is named and the exit code
is 2), logging is configured (only here), the application store is migrated, and one ZeebeWorker with every router
connects to `ZEEBE_ADDRESS` (`workers.channel`: plain, TLS, basic authentication, or OAuth client credentials over
TLS). A gateway that refuses the credentials stops the workers with a log line naming the settings to check (exit
1); at start-up no job has been taken, so none is lost. On SIGTERM or SIGINT the worker stops activating jobs,
finishes the jobs it is running and the process exits 0; a second signal stops at once (exit 1, the unfinished jobs
time out in Zeebe and are handed out again).
"""

import asyncio
import signal
import sys
from collections.abc import Mapping

from workers.authorization import CREDENTIAL_SETTINGS, refusal
from workers.channel import create_channel
from workers.constants import JOB_TIMEOUT_MS
from workers.errors import SettingsError, WorkersError
from workers.logging import configure_logging, get_logger
from workers.services import Services
from workers.settings import Settings
from workers.worker import create_worker

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2


async def main(settings: Settings) -> int:
    """Run the workers with these settings until a signal stops them; the exit code."""
    log = get_logger("workers")
    services = await asyncio.to_thread(Services.from_settings, settings)
    channel = create_channel(settings.zeebe)
    worker = create_worker(channel, services)
    work = asyncio.create_task(worker.work())
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def on_signal(signum: signal.Signals) -> None:
        if stopping:
            log.warning("Sinyal kedua diterima; pekerja dihentikan segera", sinyal=signum.name)
            work.cancel()
            return
        log.info("Pekerja berhenti menerima tugas dan menyelesaikan tugas yang sedang berjalan", sinyal=signum.name)
        stopping.append(asyncio.create_task(worker.stop()))

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    slowest = max(settings.smtp.timeout, settings.provisioning.timeout)
    if slowest * 2 > JOB_TIMEOUT_MS / 1000:
        log.warning(
            "SMTP_TIMEOUT atau PROVISIONING_TIMEOUT terlalu dekat dengan batas waktu tugas; tugas yang lambat dapat "
            "diserahkan Zeebe ke pekerja lain sebelum selesai",
            batas_waktu_tugas_detik=JOB_TIMEOUT_MS / 1000,
        )
    if settings.zeebe.credentials_in_clear:
        log.warning(
            "Kata sandi mesin proses dikirim tanpa enkripsi ke host lain; hanya aman di jaringan privat (misalnya "
            "jaringan Docker Compose). Gunakan ZEEBE_TLS=true di belakang reverse proxy TLS untuk jaringan lain",
            zeebe=settings.zeebe.address,
        )
    log.info(
        "Pekerja siap",
        zeebe=settings.zeebe.address,
        tls=settings.zeebe.uses_tls,
        oauth=settings.zeebe.uses_oauth,
        autentikasi_dasar=settings.zeebe.username,
        basis_data=settings.database_url_for_display,
        tugas=sorted(task.type for task in worker.tasks),
    )
    code = EXIT_OK
    try:
        await work
    except asyncio.CancelledError:
        code = EXIT_FAILED
    except Exception as exc:
        refused = refusal(exc)
        if refused is None:
            log.exception("Pekerja berhenti karena kesalahan")
        else:  # a refused activation takes no job: they wait in the engine for a worker with valid credentials
            log.error(
                f"Mesin proses menolak kredensial pekerja; periksa {CREDENTIAL_SETTINGS}. Tugas yang belum "
                "dikerjakan tetap menunggu di mesin proses dan diambil setelah kredensial diperbaiki",
                kode=refused.name,
                zeebe=settings.zeebe.address,
            )
        code = EXIT_FAILED
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await channel.close(grace=None)
        await services.aclose()
    log.info("Pekerja berhenti", kode_keluar=code)
    return code


def run(environ: Mapping[str, str] | None = None) -> int:
    """Read the settings, set up logging and run the workers; the process exit code."""
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        print(f"Pekerja tidak dapat dijalankan: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    configure_logging(settings.log_level, settings.log_format)
    try:
        return asyncio.run(main(settings))
    except WorkersError as exc:
        get_logger("workers").error("Pekerja tidak dapat dijalankan", pesan=str(exc))
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(run())
