"""Submitting twice never makes two requests or starts two processes: the store's submission keys (also under
concurrent transactions and after the earlier request expired), the process-instance link that is set once, and
`start_once` when a start failed, lost its answer, or was claimed by a command that died."""

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import pbj.commands.context
from engine.testing import EmbeddedEngine
from pbj.commands.errors import CommandError
from pbj.commands.zeebe import Gateway
from tests.commands.harness import Cli, Files, ajukan_args
from tests.workers.harness import ADMIN_NIK
from workers.constants import STATUS_EXPIRED
from workers.domain import PersonData, PersonRole, RequestKind
from workers.services import Services
from workers.store import Store

SOP1 = "registrasiAdminPpe"


def applicant(name: str = "Rudi Hartono") -> PersonData:
    """A PPBJ applicant."""
    return PersonData(name=name, email="rudi@kalbarprov.go.id", whatsapp="+6281352001234")


def test_a_submission_key_makes_one_request_until_that_request_is_closed(tmp_path: Path) -> None:
    """A submission key answers with its request until the request expires; then it makes one new request."""
    with Store.open(f"sqlite:///{tmp_path / 'pbj.sqlite3'}") as store:
        first, created = store.submit_ppbj_registration(applicant(), submission_key="kunci-a")
        again, created_again = store.submit_ppbj_registration(applicant("Rudi H."), submission_key="kunci-a")
        assert (created, created_again) == (True, False)
        assert again == first
        assert store.find_submission("kunci-a") == first
        assert store.find_submission("kunci-b") is None

        store.set_request_status(first.number, STATUS_EXPIRED)
        assert store.find_submission("kunci-a") is None
        renewed, created_renewed = store.submit_ppbj_registration(applicant(), submission_key="kunci-a")
        assert created_renewed and renewed.number != first.number
        assert store.find_submission("kunci-a") == renewed
        assert store.submit_ppbj_registration(applicant(), submission_key="kunci-a") == (renewed, False)


def test_concurrent_submissions_with_one_key_make_one_request(tmp_path: Path) -> None:
    """Eight threads submitting one key at once make one request and all get its number."""
    url = f"sqlite:///{tmp_path / 'pbj.sqlite3'}"
    Store.open(url).close()
    results: list[tuple[str, bool]] = []
    barrier = threading.Barrier(8)

    def submit() -> None:
        with Store.open(url, migrate=False) as store:
            barrier.wait()
            record, created = store.submit_ppbj_registration(applicant(), submission_key="serentak")
            results.append((record.number, created))

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({number for number, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    with Store.open(url, migrate=False) as store:
        assert store.get_request(results[0][0]).kind is RequestKind.PPBJ


def test_a_request_is_linked_to_one_process_instance_only(tmp_path: Path) -> None:
    """The first link wins; a second key is not linked and the record names the first."""
    with Store.open(f"sqlite:///{tmp_path / 'pbj.sqlite3'}") as store:
        request, _ = store.submit_ppbj_registration(applicant(), submission_key="k")
        assert store.link_process_instance(request.number, 11)[1] is True
        linked, won = store.link_process_instance(request.number, 22)
        assert (won, linked.process_instance_key) == (False, 11)
        assert store.find_requests_by_process_instance([11, 22]) == {11: linked}


def test_an_audit_claim_is_won_once(tmp_path: Path) -> None:
    """`record_audit_once` writes an event key once and tells the caller whether it was the one."""
    with Store.open(f"sqlite:///{tmp_path / 'pbj.sqlite3'}") as store:
        request, _ = store.submit_ppbj_registration(applicant(), submission_key="k")
        first, won = store.record_audit_once(request.number, "uji", event_key="klaim:1", detail={"n": 1})
        second, won_again = store.record_audit_once(request.number, "uji", event_key="klaim:1", detail={"n": 2})
        assert (won, won_again) == (True, False)
        assert second.detail == {"n": 1} == first.detail


async def test_a_failed_start_is_finished_by_submitting_again(
    deployed: EmbeddedEngine, cli: Cli, files: Files, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start the gateway refused leaves the request without a process; submitting again starts it once."""
    real_start = Gateway.start

    async def refuse(self: Gateway, process_id: str, variables: dict[str, Any]) -> int:
        raise CommandError("Proses tidak dapat dimulai: gateway sedang tidak tersedia.")

    monkeypatch.setattr(Gateway, "start", refuse)
    documents = files.admin_ppe_documents()
    failed = await cli(*ajukan_args(documents))
    assert failed.code == 1 and "Proses tidak dapat dimulai" in failed.err
    assert deployed.process_instances(SOP1) == []

    monkeypatch.setattr(Gateway, "start", real_start)
    retried = await cli(*ajukan_args(documents), "--json")

    assert retried.code == 0, retried.err
    answer = retried.json()
    assert (answer["baru"], answer["prosesDimulai"]) == (False, True)
    [instance] = deployed.process_instances(SOP1)
    assert services.store.get_request(answer["nomorPermohonan"]).process_instance_key == instance.key
    events = [e.action for e in services.store.audit_trail(answer["nomorPermohonan"])]
    assert events.count("proses.gagal-dimulai") == 1 and events.count("proses.memulai") == 2


async def test_a_start_whose_answer_was_lost_is_found_not_repeated(
    deployed: EmbeddedEngine, cli: Cli, files: Files, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start whose answer was lost is found by the request number on the next try, not repeated."""
    real_start = Gateway.start

    async def start_then_lose_answer(self: Gateway, process_id: str, variables: dict[str, Any]) -> int:
        await real_start(self, process_id, variables)
        raise CommandError("Proses tidak dapat dimulai: koneksi terputus.")

    monkeypatch.setattr(Gateway, "start", start_then_lose_answer)
    documents = files.admin_ppe_documents()
    assert (await cli(*ajukan_args(documents))).code == 1
    monkeypatch.setattr(Gateway, "start", real_start)

    retried = await cli(*ajukan_args(documents), "--json")

    assert retried.code == 0, retried.err
    [instance] = deployed.process_instances(SOP1)
    assert retried.json()["processInstanceKey"] == str(instance.key)
    assert retried.json()["prosesDimulai"] is False


async def test_a_start_claimed_by_a_command_that_died_is_taken_over_after_the_lease(
    deployed: EmbeddedEngine, cli: Cli, files: Files, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start claimed by a dead command holds off repeats until its lease is over, then is taken over."""
    real_start = Gateway.start
    documents = files.admin_ppe_documents()

    async def die(self: Gateway, process_id: str, variables: dict[str, Any]) -> int:
        raise KeyboardInterrupt  # the command is killed in the middle of the start

    monkeypatch.setattr(Gateway, "start", die)
    assert (await cli(*ajukan_args(documents))).code == 130
    [request] = services.store.find_requests_by_person(PersonRole.ADMIN_PPE, nik=ADMIN_NIK)
    # what a killed process leaves behind: the claim, without a recorded failure
    trail = services.store.audit_trail(request.number)
    failure = [e for e in trail if e.action == "proses.gagal-dimulai"]
    assert len(failure) == 1  # an interrupted start is recorded as failed when the command can still do so
    monkeypatch.setattr(Gateway, "start", real_start)
    # the claim of a command that died meanwhile, on the commands' clock (the real one, not the engine's)
    with Store.open(services.settings.database_url, migrate=False) as commands_store:
        commands_store.record_audit_once(
            request.number, "proses.memulai", event_key=f"proses-memulai:{request.number}:2"
        )
    monkeypatch.setattr(pbj.commands.context, "START_WAIT_SECONDS", 0.0)

    waiting = await cli(*ajukan_args(documents))
    assert waiting.code == 1 and "sedang dimulai oleh perintah lain" in waiting.err
    assert deployed.process_instances(SOP1) == []

    monkeypatch.setattr(pbj.commands.context, "START_LEASE", timedelta(0))
    taken_over = await cli(*ajukan_args(documents), "--json")

    assert taken_over.code == 0, taken_over.err
    assert len(deployed.process_instances(SOP1)) == 1
    assert taken_over.json()["prosesDimulai"] is True
