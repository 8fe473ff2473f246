"""The SMTP server down past every retry, end to end: the failing e-mail step backs off (5 s, then 10 s) until an
incident stands; the operator finds it through REST `/v2/incidents/search`, brings the server back, gives the job a
retry over gRPC, resolves the incident over REST, and the request finishes with every e-mail sent exactly once.
"""

from datetime import timedelta

import pytest

from tests.e2e.harness import SystemUnderTest
from tests.workers.harness import ADMIN_EMAIL, BUREAU_HEAD_EMAIL, KEPALA_EMAIL, PM_LKPP_EMAIL, PPBJ_EMAIL
from workers.constants import DEFAULT_JOB_RETRIES
from workers.provisioning import hash_token

pytestmark = pytest.mark.e2e

BACKOFFS = (timedelta(seconds=5), timedelta(seconds=10))


async def spend_retries(system: SystemUnderTest) -> None:
    """Let the failing job's back-offs run out (its first attempt has failed already)."""
    for backoff in BACKOFFS:
        await system.advance(backoff)


async def test_smtp_down_through_an_sla_breach_two_incidents_resolved_and_the_request_finishes(
    system: SystemUnderTest,
) -> None:
    """SOP 1 with SMTP down: row 6 and then its SLA reminder each end in an incident; both resolved, all mail goes."""
    await system.smtp.stop()
    async with system.workers():
        number, pi = await system.submit_admin_ppe_request()
        await system.settle()
        await spend_retries(system)
        [incident] = await system.incidents(pi)
        assert (incident["errorType"], incident["elementId"]) == ("JOB_NO_RETRIES", "KirimInformasiAkunTask")
        assert "tidak dapat dikirim melalui server SMTP" in incident["errorMessage"]
        assert incident["errorMessage"].endswith("(SMTPConnectError).")
        (await system.instance(pi)).is_waiting_exactly_at("KirimInformasiAkunTask")

        await system.advance(timedelta(minutes=10) - sum(BACKOFFS, timedelta()))  # the row's standard time
        await spend_retries(system)
        incidents = await system.incidents(pi)
        assert sorted(i["elementId"] for i in incidents) == ["KirimInformasiAkunTask", "KirimNotifikasiSlaTask"]
        trail = [e.action for e in system.services.store.audit_trail(number)]
        assert (trail.count("sla.terlampaui"), trail.count("surel.terkirim")) == (1, 0)
        assert system.smtp.envelopes == []

        await system.smtp.start()
        for open_incident in incidents:
            await system.retry_and_resolve(open_incident)
        await system.settle()

    assert await system.incidents(pi) == []
    resolved = await system.rest(
        "POST", "/v2/incidents/search", {"filter": {"state": "RESOLVED", "processInstanceKey": str(pi)}}
    )
    assert len(resolved["items"]) == 2
    (await system.instance(pi)).is_completed().has_passed(
        "KirimInformasiAkunSlaTimer", "NotifikasiSlaTerkirimEndEvent", "AkunAdminPpeTerdaftarEndEvent"
    )
    assert sorted(m.to[0] for m in system.mails()) == sorted(
        [KEPALA_EMAIL, ADMIN_EMAIL, PM_LKPP_EMAIL, BUREAU_HEAD_EMAIL]
    )
    [reminder] = system.mails_to(PM_LKPP_EMAIL)
    assert reminder.subject.startswith('[Pengingat] Batas Waktu Tugas "Menginformasikan akun kepada Kepala LPSE"')
    trail = [e.action for e in system.services.store.audit_trail(number)]
    assert (trail.count("sla.terlampaui"), trail.count("surel.terkirim"), trail.count("akun.dibuat")) == (1, 4, 1)
    await system.assert_privacy()


async def test_smtp_down_at_the_form_link_an_incident_resolved_and_only_the_sent_link_works(
    system: SystemUnderTest,
) -> None:
    """SOP 2 with SMTP down at row 2's form link: an incident; once resolved, one e-mail whose link alone works."""
    await system.smtp.stop()
    async with system.workers():
        number, pi = await system.register_ppbj()
        await system.settle()
        engine = system.embedded_only("a failed job's retries left, read from the engine's job table")
        if engine is not None:
            [job] = [j for j in engine.jobs("kirim-email") if j.process_instance_key == pi]
            assert (job.element_id, job.retries) == ("KirimFormulirRegistrasiTask", DEFAULT_JOB_RETRIES - 1)
        await spend_retries(system)
        [incident] = await system.incidents(pi)
        assert (incident["errorType"], incident["elementId"]) == ("JOB_NO_RETRIES", "KirimFormulirRegistrasiTask")
        assert incident["jobKey"], incident
        if engine is not None:
            assert incident["jobKey"] == str(job.key)
        trail = [e.action for e in system.services.store.audit_trail(number)]
        # a link per attempt, each revoked when its e-mail could not be sent
        assert trail.count("akses.tautan-diterbitkan") == trail.count("akses.tautan-dicabut") == DEFAULT_JOB_RETRIES

        await system.smtp.start()
        await system.retry_and_resolve(incident)
        await system.drive(pi, until="IsiIdentitasPpbjReceiveTask")
        directory = (await system.variables(pi))["idAkun"]
        await system.drive(pi)

    (await system.instance(pi)).is_completed().has_no_incidents().has_passed("AkunPpbjAktifEndEvent")
    assert [m.to for m in system.mails()] == [(PPBJ_EMAIL,)] * 3  # the form link, the SK asked, the account active
    form, asked, active = system.mails()
    for mail in (form, asked):  # the applicant's links to the registration open it
        [token] = mail.tokens
        assert system.services.store.redeem_access_token(hash_token(token)).request_number == number
    trail = [e.action for e in system.services.store.audit_trail(number)]
    assert (trail.count("akses.tautan-diterbitkan"), trail.count("akses.tautan-dicabut")) == (
        DEFAULT_JOB_RETRIES + 2,  # the failed attempts', the form's, the SK request's
        DEFAULT_JOB_RETRIES,
    )
    [active_token] = active.tokens
    assert (await system.services.provisioning.verify_set_password_token(active_token)).account_id == directory
    await system.assert_privacy()
