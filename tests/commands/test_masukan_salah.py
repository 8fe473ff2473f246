"""Bad input is answered with one clear Indonesian line on stderr, exit code 1 (2 for a wrong command line), and
changes nothing: no row in the store, no document file, nothing in the engine."""

from collections.abc import Callable

import grpc
import pytest

from engine.testing import EmbeddedEngine
from pbj.sample_documents import pdf_document, png_image
from tests.commands.harness import IDENTITY, Cli, Files, Result, ajukan_args, register_until_review, snapshot
from tests.workers.harness import MailSink, running_worker
from workers.constants import TaskType
from workers.services import Services


def refused(result: Result, code: int = 1) -> str:
    """The one line a refused command printed on stderr (nothing on stdout)."""
    assert result.code == code, (result.code, result.out, result.err)
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 or code == 2, result.err
    return result.err


BAD_FILES: dict[str, tuple[Callable[[Files], str], str]] = {
    "missing": (lambda f: str(f.folder / "tidak-ada.pdf"), "tidak ditemukan"),
    "word-document": (lambda f: f.write("SK.docx", b"PK\x03\x04" + b"\x00" * 200), "bukan PDF, JPG, atau PNG"),
    "text-named-pdf": (lambda f: f.write("SK.pdf", b"Surat Keputusan" * 20), "bukan PDF, JPG, atau PNG"),
    "png-named-pdf": (lambda f: f.write("SK.pdf", png_image()), "berakhiran .pdf, tetapi isinya PNG"),
    "truncated-pdf": (lambda f: f.write("SK.pdf", pdf_document("SK")[:300]), "rusak atau terpotong"),
    "empty": (lambda f: f.write("SK.pdf", b""), "kosong"),
    "too-large": (lambda f: f.write("SK.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024) + b"\n%%EOF\n"), "melebihi batas"),
    "a-directory": (lambda f: str(f.folder), "bukan berkas biasa"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
async def test_a_bad_document_file_is_refused_before_anything_is_stored(
    case: str, deployed: EmbeddedEngine, cli: Cli, files: Files, services: Services
) -> None:
    """A missing, empty, oversized, non-PDF/image, mislabelled or truncated SK file is named with its option."""
    make, reason = BAD_FILES[case]
    documents = files.admin_ppe_documents()
    documents["--sk"] = make(files)
    before = snapshot(services, deployed)

    err = refused(await cli(*ajukan_args(documents)))

    assert reason in err and "(--sk)" in err
    assert snapshot(services, deployed) == before


async def test_the_same_file_for_two_documents_is_refused(
    deployed: EmbeddedEngine, cli: Cli, files: Files, services: Services
) -> None:
    """One PDF given as both the SK and the LPSE profile is refused: each document must be its own file."""
    documents = files.admin_ppe_documents()
    documents["--profil"] = documents["--sk"]
    before = snapshot(services, deployed)

    err = refused(await cli(*ajukan_args(documents)))

    assert "berisi dokumen yang sama" in err
    assert snapshot(services, deployed) == before


@pytest.mark.parametrize(
    ("overrides", "reasons"),
    [
        ({"admin_nik": "647101450590001"}, ["NIK Admin PPE (--admin-nik): NIK harus terdiri atas 16 digit angka."]),
        ({"admin_nik": "6471014505900000"}, ["Nomor urut pada NIK (empat digit terakhir) tidak boleh 0000."]),
        ({"admin_nik": "64710145O5900001"}, ["NIK harus terdiri atas 16 digit angka."]),
        ({"admin_nip": "199005052015132001"}, ["NIP Admin PPE (--admin-nip): Bulan pengangkatan"]),
        ({"admin_email": "sari.wulandari@"}, ["E-mail Admin PPE (--admin-email): Alamat e-mail tidak valid."]),
        (
            {"admin_wa": "021-555-1234", "kepala_lpse_nama": " "},
            ["(--admin-wa)", "Nama Kepala LPSE (--kepala-lpse-nama) wajib"],
        ),
    ],
)
async def test_malformed_identifiers_are_refused_with_every_reason(
    overrides: dict[str, str], reasons: list[str], deployed: EmbeddedEngine, cli: Cli, files: Files, services: Services
) -> None:
    """A malformed NIK, NIP, e-mail, WhatsApp number or a blank name is refused with every reason."""
    before = snapshot(services, deployed)

    err = refused(await cli(*ajukan_args(files.admin_ppe_documents(), **overrides)))

    assert err.startswith("Data tidak valid – ")
    for reason in reasons:
        assert reason in err
    assert snapshot(services, deployed) == before


async def test_a_missing_option_is_a_usage_error(
    deployed: EmbeddedEngine, cli: Cli, files: Files, services: Services
) -> None:
    """Without --admin-nik the command line is incomplete: exit code 2 and argparse's usage, nothing changed (a
    document may come later, the Admin PPE's identifiers may not)."""
    argv = ajukan_args(files.admin_ppe_documents())
    at = argv.index("--admin-nik")
    before = snapshot(services, deployed)

    result = await cli(*argv[:at], *argv[at + 2 :])

    assert refused(result, code=2).count("--admin-nik") >= 1
    assert snapshot(services, deployed) == before


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["permohonan", "lengkapi", "ADM-2026-999999", "--ktp", "@png"], "Nomor ADM-2026-999999 tidak ditemukan"),
        (["ppbj", "identitas", "PPBJ-2026-999999", *IDENTITY], "Nomor PPBJ-2026-999999 tidak ditemukan"),
        (["ppbj", "penetapan", "PPBJ-2026-999999", "--sk", "@pdf"], "Nomor PPBJ-2026-999999 tidak ditemukan"),
        (["status", "ADM-2026-999999"], "Nomor ADM-2026-999999 tidak ditemukan"),
        (["status", "bukan-nomor"], "Nomor bukan-nomor tidak ditemukan"),
    ],
)
async def test_an_unknown_request_number_is_refused(
    argv: list[str], reason: str, deployed: EmbeddedEngine, cli: Cli, files: Files, services: Services
) -> None:
    """A number the store does not know is named as not found."""
    paths = {"@png": files.png("KTP.png"), "@pdf": files.pdf("SK.pdf")}
    before = snapshot(services, deployed)

    err = refused(await cli(*[paths.get(arg, arg) for arg in argv]))

    assert reason in err
    assert snapshot(services, deployed) == before


async def test_numbers_of_the_other_sop_and_steps_not_waited_for_are_refused(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """A number of the other SOP, and input for a step not waited for, are refused naming the current step."""
    async with running_worker(zeebe_channel, services, without=[TaskType.PERIKSA_KELENGKAPAN_BERKAS]):
        adm = (await cli(*ajukan_args(files.admin_ppe_documents()), "--json")).json()["nomorPermohonan"]
        ppbj = (
            await cli(
                "ppbj", "daftar", "--nama", "Rudi", "--email", "rudi@kalbarprov.go.id", "--wa", "081352001234", "--json"
            )
        ).json()["nomorPendaftaran"]
        await deployed.wait_for_idle()
        before = snapshot(services, deployed)

        other_sop = refused(await cli("permohonan", "lengkapi", ppbj, "--ktp", files.png("KTP.png")))
        too_early = refused(await cli("permohonan", "lengkapi", adm, "--ktp", files.png("KTP-baru.png", width=80)))
        sk_first = refused(await cli("ppbj", "penetapan", ppbj, "--sk", files.pdf("SK.pdf")))

    assert f"Nomor {ppbj} adalah nomor pendaftaran PPBJ, bukan permohonan Admin PPE." in other_sop
    assert "tidak sedang menunggu kelengkapan berkas" in too_early and "Memeriksa kelengkapan berkas" in too_early
    assert "tidak sedang menunggu kelengkapan informasi" in sk_first and "Mengisi identitas PPBJ" in sk_first
    assert snapshot(services, deployed) == before


async def test_a_malformed_identity_is_refused_and_the_registration_keeps_waiting(
    deployed: EmbeddedEngine, cli: Cli, services: Services, zeebe_channel: grpc.aio.Channel, mail_sink: MailSink
) -> None:
    """An identity with a 15-digit NIK or a NIP with month 13 is refused; the registration still waits at row 3."""
    async with running_worker(zeebe_channel, services):
        number = (
            await cli(
                "ppbj", "daftar", "--nama", "Rudi", "--email", "rudi@kalbarprov.go.id", "--wa", "081352001234", "--json"
            )
        ).json()["nomorPendaftaran"]
        await deployed.wait_for_idle()
        before = snapshot(services, deployed)
        identity = dict(zip(IDENTITY[::2], IDENTITY[1::2], strict=True))

        short_nik = refused(await cli("ppbj", "identitas", number, *_flat({**identity, "--nik": "617101120485000"})))
        bad_nip = refused(await cli("ppbj", "identitas", number, *_flat({**identity, "--nip": "198504122010131003"})))

    assert "NIK (--nik): NIK harus terdiri atas 16 digit angka." in short_nik
    assert "NIP (--nip): Bulan pengangkatan pada NIP" in bad_nip
    assert snapshot(services, deployed) == before
    [instance] = deployed.process_instances("pendaftaranAkunPpbj")
    deployed.assert_that(instance.key).is_waiting_exactly_at("IsiIdentitasPpbjReceiveTask")


def _flat(options: dict[str, str]) -> list[str]:
    return [part for pair in options.items() for part in pair]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ([], "“Hasil pemeriksaan” (--hasil) wajib diisi."),
        (["--hasil", "oke"], "Nilai 'oke' untuk “Hasil pemeriksaan” (--hasil) tidak dikenal"),
        (["--hasil", "belum-lengkap"], "(--catatan) wajib diisi."),
        (["--hasil", "belum-lengkap", "--catatan", "kurang"], "(--catatan) sekurang-kurangnya 10 karakter."),
        (
            ["--hasil", "lengkap", "--catatan", "Semua sudah lengkap."],
            "(--catatan) tidak ditampilkan untuk jawaban ini",
        ),
        (["--hasil", "lengkap", "--butir", "ktp-asli"], "Nilai 'ktp-asli' untuk “Butir pemeriksaan yang terpenuhi”"),
        (["--hasil", "lengkap", "--isian", "nilai=9"], "tidak memiliki isian nilai"),
    ],
)
async def test_a_review_completed_against_its_form_is_refused_and_the_task_stays_open(
    extra: list[str],
    reason: str,
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """Values breaking the linked form's rules are refused with the rule, and the review task stays open."""
    async with running_worker(zeebe_channel, services):
        await register_until_review(cli, files, deployed)
        [task] = [t for t in deployed.user_tasks() if t.state.value == "CREATED"]
        before = snapshot(services, deployed)

        err = refused(await cli("tugas", "selesaikan", str(task.key), *extra))

    assert err.startswith(("Isian formulir belum benar – ", "Formulir periksa-informasi-ppbj"))
    assert reason in err
    assert snapshot(services, deployed) == before
    assert task.state.value == "CREATED"


async def test_unknown_and_finished_tasks_are_refused(
    deployed: EmbeddedEngine,
    cli: Cli,
    files: Files,
    services: Services,
    zeebe_channel: grpc.aio.Channel,
    mail_sink: MailSink,
) -> None:
    """An unknown task key, a key that is no number and a task already completed are refused."""
    async with running_worker(zeebe_channel, services):
        await register_until_review(cli, files, deployed)
        [task] = [t for t in deployed.user_tasks() if t.state.value == "CREATED"]
        assert (await cli("tugas", "selesaikan", str(task.key), "--hasil", "lengkap")).code == 0
        await deployed.wait_for_idle()
        before = snapshot(services, deployed)

        unknown = refused(await cli("tugas", "lihat", "2251799813999999"))
        not_a_key = refused(await cli("tugas", "lihat", "PPBJ-2026-000001"), code=2)
        again = refused(await cli("tugas", "selesaikan", str(task.key), "--hasil", "lengkap"))

    assert "Tugas 2251799813999999 tidak ditemukan" in unknown
    assert "harus berupa angka" in not_a_key
    assert f"Tugas {task.key} tidak dapat diselesaikan" in again
    assert snapshot(services, deployed) == before


async def test_an_undeployed_process_or_an_unreachable_engine_changes_nothing(
    engine: EmbeddedEngine, cli: Cli, files: Files, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An undeployed process or an unreachable REST API is refused, naming the remedy, before anything is stored."""
    before = snapshot(services, engine)

    not_deployed = refused(
        await cli("ppbj", "daftar", "--nama", "Rudi", "--email", "rudi@kalbarprov.go.id", "--wa", "081352001234")
    )
    monkeypatch.setenv("CAMUNDA_REST_ADDRESS", "http://127.0.0.1:9")
    unreachable = refused(await cli(*ajukan_args(files.admin_ppe_documents())))

    assert "Proses pendaftaranAkunPpbj belum di-deploy" in not_deployed and "pbj deploy" in not_deployed
    assert "REST API Camunda di http://127.0.0.1:9 tidak dapat dihubungi" in unreachable
    assert "CAMUNDA_REST_ADDRESS" in unreachable
    assert snapshot(services, engine) == before


async def test_a_malformed_setting_is_named_with_exit_code_2(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A REST address that is not an http(s) URL stops the command before it runs, naming the setting."""
    monkeypatch.setenv("CAMUNDA_REST_ADDRESS", "localhost:8080")

    err = refused(await cli("terlambat"), code=2)

    assert err.startswith("Perintah tidak dapat dijalankan: Pengaturan CAMUNDA_REST_ADDRESS:")
