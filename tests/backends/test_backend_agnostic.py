"""Backend-agnostic tests: the same checks against the embedded engine (default) and Camunda 8.8 (`--engine=zeebe`).

They speak only through the `backend` protocol – gRPC for commands, the `/v2` searches for what happened – and ask
with `eventually`, since Camunda's searches trail the engine by a moment."""

import json
from datetime import timedelta
from typing import Any

import grpc
import pytest
from pyzeebe import ZeebeClient

from pbj.deploy import DeploymentResult
from tests.backends.backend import Backend, eventually
from tests.workers.harness import (
    ADMIN_EMAIL,
    BPMN_DIR,
    DEADLINES_ONLY,
    KEPALA_EMAIL,
    OFFICE_MORNING,
    PPBJ_EMAIL,
    MailSink,
    appointment_message,
    fill_identity,
    identity_message,
    running_worker,
    seed_admin_ppe_request,
    seed_ppbj_registration,
)
from workers.constants import Message, TaskType
from workers.services import Services

pytestmark = pytest.mark.zeebe

SOP1 = "registrasiAdminPpe"
SOP2 = "pendaftaranAkunPpbj"


@pytest.fixture(autouse=True)
async def _at_office_morning(backend: Backend) -> None:
    """The engine's clock at a working instant of both provinces: the SOPs' standard times count working time."""
    await backend.pin_clock(OFFICE_MORNING)


async def elements(backend: Backend, pi: int, element_id: str, state: str) -> list[dict[str, Any]]:
    """The instances of one element of a process instance in a state, once there is at least one."""
    return await eventually(
        lambda: backend.search_element_instances(processInstanceKey=str(pi), elementId=element_id, state=state),
        bool,
        what=f"{element_id} {state} in {pi}",
    )


async def element_ids(backend: Backend, pi: int) -> set[str]:
    """Every element the process instance has entered so far (REST element-instance search)."""
    return {e["elementId"] for e in await backend.search_element_instances(processInstanceKey=str(pi))}


async def start_sop1(client: ZeebeClient, number: str, documents: list[dict[str, Any]] | None = None) -> int:
    """Start SOP 1 for request `number`; the process instance key."""
    variables: dict[str, Any] = {"nomorPermohonan": number, "dokumenPermohonan": documents or []}
    return (await client.run_process(SOP1, variables)).process_instance_key


async def test_both_sop_diagrams_deploy_and_a_redeploy_keeps_their_versions(backend: Backend) -> None:
    """bpmn/ deploys both SOP processes and the form; deploying it unchanged again keeps every version and key."""
    first = await backend.deploy(BPMN_DIR)
    assert {(r.kind, r.id) for r in first.resources} == {
        ("proses", SOP1),
        ("proses", SOP2),
        ("formulir", "periksa-informasi-ppbj"),
    }
    again = await backend.deploy(BPMN_DIR)
    assert sorted((r.id, r.version, r.key) for r in again.resources) == sorted(
        (r.id, r.version, r.key) for r in first.resources
    )
    definitions = await eventually(
        lambda: backend.rest("POST", "/v2/process-definitions/search", {"filter": {"processDefinitionId": SOP1}}),
        lambda answer: any(int(d["processDefinitionKey"]) == _key(first, SOP1) for d in answer["items"]),
        what="the SOP 1 definition in the process-definition search",
    )
    assert {d["processDefinitionId"] for d in definitions["items"]} == {SOP1}


def _key(deployment: DeploymentResult, resource_id: str) -> int:
    """The key a deployment gave to a resource id."""
    return next(r.key for r in deployment.resources if r.id == resource_id)


async def test_sop1_instance_waits_at_the_file_check(backend: Backend, backend_client: ZeebeClient) -> None:
    """Without workers, a new SOP 1 request waits at PeriksaKelengkapanBerkasTask (seen through the REST search)."""
    await backend.deploy(BPMN_DIR)
    pi = await start_sop1(backend_client, "ADM-2026-900001")

    [waiting] = await elements(backend, pi, "PeriksaKelengkapanBerkasTask", "ACTIVE")
    assert waiting["type"] == "SERVICE_TASK"
    [instance] = await backend.search_process_instances(processInstanceKey=str(pi))
    assert (instance["processDefinitionId"], instance["state"]) == (SOP1, "ACTIVE")
    assert await element_ids(backend, pi) >= {"PermohonanDiajukanStartEvent", "PeriksaKelengkapanBerkasTask"}


async def test_sla_timer_fires_only_when_its_time_has_passed(
    backend: Backend, backend_client: ZeebeClient, backend_channel: grpc.aio.Channel, services: Services
) -> None:
    """The step's PT10M timer, at its working-time deadline (10 minutes on, from Monday 09.00 WITA): 9 minutes on,
    nothing; 2 more and the SLA notice task waits while the step goes on. Only the deadline listener works."""
    await backend.deploy(BPMN_DIR)
    async with running_worker(backend_channel, services, without=DEADLINES_ONLY):
        pi = await start_sop1(backend_client, "ADM-2026-900002")
        await elements(backend, pi, "PeriksaKelengkapanBerkasTask", "ACTIVE")
        await backend.wait_for_idle()

    await backend.increase_time(timedelta(minutes=9))
    assert "KirimNotifikasiSlaTask" not in await element_ids(backend, pi)

    await backend.increase_time(timedelta(minutes=2))
    await elements(backend, pi, "KirimNotifikasiSlaTask", "ACTIVE")
    await elements(backend, pi, "PeriksaKelengkapanBerkasSlaTimer", "COMPLETED")
    assert await backend.search_element_instances(
        processInstanceKey=str(pi), elementId="PeriksaKelengkapanBerkasTask", state="ACTIVE"
    )


async def test_sop1_runs_to_the_end_with_the_real_workers(
    backend: Backend,
    backend_client: ZeebeClient,
    backend_channel: grpc.aio.Channel,
    services: Services,
    mail_sink: MailSink,
) -> None:
    """The real workers carry a complete SOP 1 request to its end: account, two e-mails, archive; no incident."""
    await backend.deploy(BPMN_DIR)
    request, references = seed_admin_ppe_request(services)

    async with running_worker(backend_channel, services):
        pi = await start_sop1(backend_client, request.number, references)
        await eventually(
            lambda: backend.search_process_instances(processInstanceKey=str(pi)),
            lambda found: bool(found) and found[0]["state"] == "COMPLETED",
            timeout=60,
            what="SOP 1 completed",
        )
        await backend.wait_for_idle()

    passed = await element_ids(backend, pi)
    assert passed >= {
        "PeriksaKelengkapanBerkasTask",
        "BuatAkunAdminPpeTask",
        "KirimInformasiAkunTask",
        "SampaikanAkunKeAdminPpeTask",
        "ArsipkanDokumenTask",
        "AkunAdminPpeTerdaftarEndEvent",
    }
    assert "MintaKelengkapanBerkasTask" not in passed
    assert await backend.search_incidents(processInstanceKey=str(pi)) == []
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[KEPALA_EMAIL], [ADMIN_EMAIL]]
    assert len(services.store.list_accounts(request.number)) == 1


async def test_failing_job_becomes_an_incident_after_its_retries(
    backend: Backend, backend_client: ZeebeClient, backend_channel: grpc.aio.Channel, services: Services
) -> None:
    """An unknown request: the file check fails three times with back-off, then the incident search shows it."""
    await backend.deploy(BPMN_DIR)

    async with running_worker(backend_channel, services, without=[TaskType.KIRIM_NOTIFIKASI_SLA]):
        pi = await start_sop1(backend_client, "ADM-2026-999999")
        for _ in range(3):  # past the back-offs of 5 s and 10 s, well before the PT10M timer
            await backend.wait_for_idle()
            await backend.increase_time(timedelta(seconds=30))
        [incident] = await eventually(
            lambda: backend.search_incidents(processInstanceKey=str(pi)), bool, what="an incident", timeout=60
        )

    assert (incident["elementId"], incident["errorType"], incident["state"]) == (
        "PeriksaKelengkapanBerkasTask",
        "JOB_NO_RETRIES",
        "ACTIVE",
    )
    assert "Percobaan ulang tidak akan berhasil" in incident["errorMessage"]


async def waiting_at(backend: Backend, pi: int, element_id: str) -> None:
    """Wait until the timed step `element_id` waits (the REST searches): active, and its start listener done – its
    local deadline `slaBatasWaktuKerja` set –, since only then is it subscribed to its message (a message published
    without a time to live before that would be lost)."""
    [step] = await elements(backend, pi, element_id, "ACTIVE")
    await eventually(
        lambda: backend.search_variables(scopeKey=str(step["elementInstanceKey"]), name="slaBatasWaktuKerja"),
        bool,
        timeout=60,
        what=f"{pi} waiting at {element_id} with its deadline",
    )


async def test_sop2_through_messages_and_tasklist_with_the_protocol_alone(
    backend: Backend, backend_channel: grpc.aio.Channel, services: Services, mail_sink: MailSink
) -> None:
    """SOP 2 driven by the protocol only: start, two published messages, the review found, read and completed over
    /v2/user-tasks; the variables and the instance's path read back through the searches."""
    await backend.deploy(BPMN_DIR)
    number = seed_ppbj_registration(services).number

    async with running_worker(backend_channel, services):
        await backend.wait_for_workers([TaskType.KIRIM_EMAIL])
        pi = await backend.start_instance(SOP2, {"nomorPendaftaran": number})
        await waiting_at(backend, pi, "IsiIdentitasPpbjReceiveTask")
        await backend.publish_message(
            Message.IDENTITAS_PPBJ_DIISI, number, identity_message(fill_identity(services, number))
        )
        await waiting_at(backend, pi, "LengkapiInformasiPpbjReceiveTask")
        await backend.publish_message(Message.INFORMASI_PPBJ_DILENGKAPI, number, appointment_message(services, number))

        [task] = await eventually(
            lambda: backend.search_user_tasks(processInstanceKey=str(pi), state="CREATED"), bool, timeout=60
        )
        assert (task["elementId"], task["candidateGroups"]) == ("PeriksaInformasiPpbjUserTask", ["admin-ppe"])
        form = await backend.user_task_form(task["userTaskKey"])
        assert "hasilPemeriksaan" in json.dumps(form["schema"])  # an object (8.8's spec) or its JSON text
        shown = {v["name"]: v["value"] for v in await backend.user_task_variables(task["userTaskKey"])}
        assert shown["nomorPendaftaran"] == f'"{number}"'
        await backend.assign_user_task(task["userTaskKey"], "admin.ppe.kalbar")
        await backend.complete_user_task(
            task["userTaskKey"], {"hasilPemeriksaan": "lengkap", "butirPemeriksaan": ["dokumen-terbaca"]}
        )
        await eventually(
            lambda: backend.process_instance(pi), lambda p: p["state"] == "COMPLETED", timeout=60, what="completed"
        )
        await backend.wait_for_idle()

    state = await backend.instance(pi)
    state.is_completed().has_no_incidents().has_passed(
        "IsiIdentitasPpbjReceiveTask", "PeriksaInformasiPpbjUserTask", "AkunPpbjAktifEndEvent"
    ).has_passed("AktifkanAkunPpbjTask").has_variable("informasiLengkap", True).has_variable("nikTersamar")
    assert (await backend.variables(pi))["nomorPendaftaran"] == number
    [done] = await backend.search_user_tasks(processInstanceKey=str(pi))
    assert (done["state"], done["assignee"]) == ("COMPLETED", "admin.ppe.kalbar")
    scopes = {v["scopeKey"] for v in await backend.search_variables(processInstanceKey=str(pi))}
    assert str(pi) in scopes
    # The registration form, the request for the SK or Surat Tugas after the valid identity, the activation.
    assert [e.rcpt_tos for e in mail_sink.envelopes] == [[PPBJ_EMAIL]] * 3
    assert [subject.split(" ", 2)[:2] for subject in mail_sink.subjects()] == [
        ["Formulir", "Registrasi"],
        ["Permintaan", "Surat"],
        ["Akun", "Pengelola"],
    ]


async def test_a_resolved_incident_runs_its_job_again(
    backend: Backend, backend_channel: grpc.aio.Channel, services: Services
) -> None:
    """resolve_incident gives the job a retry and resolves the incident: the job runs (and fails) once more."""
    await backend.deploy(BPMN_DIR)
    async with running_worker(backend_channel, services, without=[TaskType.KIRIM_NOTIFIKASI_SLA]):
        pi = await backend.start_instance(SOP1, {"nomorPermohonan": "ADM-2026-999998", "dokumenPermohonan": []})
        for _ in range(3):
            await backend.wait_for_idle()
            await backend.increase_time(timedelta(seconds=30))
        [first] = await eventually(lambda: backend.search_incidents(processInstanceKey=str(pi)), bool, timeout=60)
        await backend.resolve_incident(first)
        incidents = await eventually(
            lambda: backend.search_incidents(processInstanceKey=str(pi)),
            lambda found: {i["state"] for i in found} == {"RESOLVED", "ACTIVE"},
            timeout=60,
            what="the first incident resolved, a second one",
        )

    [again] = [i for i in incidents if i["state"] == "ACTIVE"]
    assert again["incidentKey"] != first["incidentKey"]
    assert (again["elementId"], again["jobKey"]) == ("PeriksaKelengkapanBerkasTask", first["jobKey"])
    (await backend.instance(pi)).is_active().is_waiting_exactly_at("PeriksaKelengkapanBerkasTask")
