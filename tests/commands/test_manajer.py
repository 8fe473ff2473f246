"""The managers' commands: `pbj status` and `pbj terlambat` after the engine's clock passed a step's standard time
(read from the deployed diagram) while the step's worker was stopped – in WITA for SOP 1, WIB for SOP 2."""

from datetime import UTC, datetime, timedelta

import grpc

from engine.testing import EmbeddedEngine
from tests.commands.harness import Cli, Files, ajukan_args, register_until_review
from tests.workers.harness import MailSink, running_worker
from workers.constants import TaskType
from workers.domain import WIB, WITA
from workers.services import Services


async def test_a_step_past_its_standard_time_is_late_in_status_and_in_the_overdue_list(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """Row 2 unworked past 10 minutes: late in `status` and `terlambat` (WITA); once done, only in the history."""
    async with running_worker(zeebe_channel, services, without=[TaskType.PERIKSA_KELENGKAPAN_BERKAS]):
        submitted = await cli(*ajukan_args(files.admin_ppe_documents()), "--json")
        number = submitted.json()["nomorPermohonan"]
        await deployed.wait_for_idle()

        waiting = await cli("status", number)
        assert waiting.code == 0, waiting.err
        assert "Memeriksa kelengkapan berkas" in waiting.out and "10 menit" in waiting.out and "PM LKPP" in waiting.out
        assert "WITA" in waiting.out and "TERLAMBAT" not in waiting.out
        assert (await cli("terlambat")).out.startswith("Tidak ada langkah")

        await deployed.increase_time(timedelta(minutes=11))
        await deployed.wait_for_idle()

        late = await cli("status", number, "--json")
        overdue = await cli("terlambat")
        overdue_json = await cli("terlambat", "--json")
        only_ppbj = await cli("terlambat", "--sop", "ppbj")

    assert late.code == 0, late.err
    [step] = late.json()["proses"]["menungguDi"]
    assert (step["elementId"], step["barisSop"], step["pelaksana"], step["standarWaktu"], step["terlambat"]) == (
        "PeriksaKelengkapanBerkasTask",
        2,
        "pm-lkpp",
        "PT10M",
        True,
    )
    started, deadline = datetime.fromisoformat(step["sejak"]), datetime.fromisoformat(step["batasWaktu"])
    assert deadline - started == timedelta(minutes=10)
    assert started.utcoffset() == timedelta(hours=8)
    assert late.json()["zonaWaktu"] == "WITA"
    assert overdue.code == 0, overdue.err
    assert number in overdue.out and "Memeriksa kelengkapan berkas" in overdue.out and "WITA" in overdue.out
    assert "1 langkah melewati standar waktu." in overdue.out
    assert [(row["nomor"], row["elementId"]) for row in overdue_json.json()] == [
        (number, "PeriksaKelengkapanBerkasTask")
    ]
    assert only_ppbj.out.startswith("Tidak ada langkah")

    async with running_worker(zeebe_channel, services):
        await deployed.wait_for_idle()
    after = await cli("status", number)
    assert "  Status        : selesai – Akun Admin PPE terdaftar" in after.out
    assert (await cli("status", number, "--json")).json()["keadaan"] == "selesai – Akun Admin PPE terdaftar"
    assert "Batas waktu yang pernah terlampaui" in after.out and "Memeriksa kelengkapan berkas" in after.out
    assert (await cli("terlambat")).out.startswith("Tidak ada langkah")


async def test_the_deadline_shown_counts_working_time_from_a_step_started_late_on_friday(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """Row 2 (10 minutes) reached on Friday at 16.25 WITA, five minutes before the office closes: `status` and
    `terlambat` give its deadline on Monday at 07.35 WITA – five minutes on Friday, five after Monday's opening – and
    the step is not late at 16.35 on Friday nor over the weekend, only once Monday's 07.35 has passed."""
    deployed.engine.clock.pin(datetime(2026, 3, 6, 16, 25, tzinfo=WITA).astimezone(UTC))
    async with running_worker(zeebe_channel, services, without=[TaskType.PERIKSA_KELENGKAPAN_BERKAS]):
        submitted = await cli(*ajukan_args(files.admin_ppe_documents()), "--json")
        number = submitted.json()["nomorPermohonan"]
        await deployed.wait_for_idle()
        status = await cli("status", number, "--json")
        text = await cli("status", number)
        await deployed.increase_time(timedelta(minutes=11))  # Friday 16.36: ten minutes of wall-clock time are up
        await deployed.wait_for_idle()
        friday_evening = await cli("terlambat")
        await deployed.increase_time(datetime(2026, 3, 9, 7, 35, tzinfo=WITA) - deployed.current_time)
        await deployed.wait_for_idle()
        monday = await cli("status", number, "--json")

    assert status.code == 0, status.err
    [step] = status.json()["proses"]["menungguDi"]
    assert (step["elementId"], step["standarWaktu"], step["terlambat"]) == (
        "PeriksaKelengkapanBerkasTask",
        "PT10M",
        False,
    )
    assert step["sejak"] == "2026-03-06T16:25:00+08:00"
    assert step["batasWaktu"] == "2026-03-09T07:35:00+08:00"
    assert "TERLAMBAT" not in text.out and "09-03-2026 07.35" in text.out, text.out
    assert friday_evening.out.startswith("Tidak ada langkah"), friday_evening.out
    [late] = monday.json()["proses"]["menungguDi"]
    assert (late["terlambat"], late["terlampauiPada"]) == (True, "2026-03-09T07:35:00+08:00")


async def test_a_review_past_its_standard_time_is_late_for_the_staff_and_the_managers_in_wib(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """The review left open past its 15 minutes is late in the task list and the only overdue SOP 2 step (WIB)."""
    async with running_worker(zeebe_channel, services):
        number = await register_until_review(cli, files, deployed)
        await deployed.increase_time(timedelta(minutes=16))
        await deployed.wait_for_idle()

        tasks = await cli("tugas", "daftar", "--grup", "admin-ppe", "--json")
        overdue = await cli("terlambat", "--sop", "ppbj", "--json")
        status = await cli("status", number)

    [task] = tasks.json()
    assert (task["nomor"], task["terlambat"], task["standarWaktu"]) == (number, True, "PT15M")
    assert task["batasWaktu"].endswith("+07:00")
    [row] = overdue.json()
    assert (row["nomor"], row["elementId"], row["pelaksana"]) == (number, "PeriksaInformasiPpbjUserTask", "admin-ppe")
    assert "Memeriksa informasi PPBJ" in status.out and "TERLAMBAT" in status.out and "WIB" in status.out


async def test_status_says_where_a_finished_or_an_expired_registration_ended(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """While it runs a registration is "sedang diproses"; one left unanswered for 14 days is closed and `status` says
    where it ended (the expiry, not "diajukan"); a registration run to its end is "selesai" at the active account."""
    async with running_worker(zeebe_channel, services):
        registered = await cli(
            "ppbj",
            "daftar",
            "--nama",
            "Sari Dewi",
            "--email",
            "sari.dewi@kalbarprov.go.id",
            "--wa",
            "0813-5200-9876",
            "--json",
        )
        left = registered.json()["nomorPendaftaran"]
        await deployed.wait_for_idle()
        running = await cli("status", left)
        finished = await register_until_review(cli, files, deployed)
        [task] = (await cli("tugas", "daftar", "--json")).json()
        assert (await cli("tugas", "selesaikan", task["userTaskKey"], "--hasil", "lengkap")).code == 0
        await deployed.wait_for_idle()
        await deployed.increase_time(timedelta(days=14))
        await deployed.wait_for_idle()
        expired = await cli("status", left)
        completed = await cli("status", finished, "--json")

    assert "  Status        : sedang diproses" in running.out
    assert "  Status        : ditutup (kedaluwarsa) – Pendaftaran kedaluwarsa" in expired.out
    assert "diajukan" not in expired.out
    assert (completed.json()["status"], completed.json()["keadaan"]) == ("SELESAI", "selesai – Akun PPBJ aktif")


async def test_the_activation_on_three_systems_is_one_step_timed_in_working_time(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """SOP 2 row 7 reached on Friday at 16.28 WIB with the activation worker stopped: `status` shows it once – the
    sub-process timing the three systems' activation, not each system – with 5 minutes due on Monday at 07.33 WIB
    (two on Friday, three after Monday's opening); it is not overdue over the weekend, and is at 07.33 on Monday."""
    deployed.engine.clock.pin(datetime(2026, 3, 6, 16, 28, tzinfo=WIB).astimezone(UTC))
    async with running_worker(zeebe_channel, services, without=[TaskType.AKTIFKAN_AKUN]):
        number = await register_until_review(cli, files, deployed)
        [task] = (await cli("tugas", "daftar", "--json")).json()
        assert (await cli("tugas", "selesaikan", task["userTaskKey"], "--hasil", "lengkap")).code == 0
        await deployed.wait_for_idle()
        friday = await cli("status", number, "--json")
        text = await cli("status", number)
        await deployed.increase_time(timedelta(minutes=6))  # 16.34: five minutes of wall-clock time are up
        await deployed.wait_for_idle()
        weekend = await cli("terlambat", "--sop", "ppbj")
        await deployed.increase_time(datetime(2026, 3, 9, 7, 33, tzinfo=WIB) - deployed.current_time)
        await deployed.wait_for_idle()
        overdue = await cli("terlambat", "--sop", "ppbj", "--json")

    [step] = friday.json()["proses"]["menungguDi"]
    assert (step["elementId"], step["langkah"], step["barisSop"], step["pelaksana"], step["standarWaktu"]) == (
        "AktifkanAkunPpbjSubProcess",
        "Mengaktifkan akun PPBJ",
        7,
        "admin-ppe",
        "PT5M",
    )
    assert (step["sejak"], step["batasWaktu"], step["terlambat"]) == (
        "2026-03-06T16:28:00+07:00",
        "2026-03-09T07:33:00+07:00",
        False,
    )
    assert text.out.count("Mengaktifkan akun PPBJ") == 1 and "09-03-2026 07.33" in text.out, text.out
    assert weekend.out.startswith("Tidak ada langkah"), weekend.out
    [row] = overdue.json()
    assert (row["nomor"], row["elementId"], row["terlambat"], row["terlampauiPada"]) == (
        number,
        "AktifkanAkunPpbjSubProcess",
        True,
        "2026-03-09T07:33:00+07:00",
    )
