"""Claim-check, proven: after both SOPs ran through the real workers (an identity corrected on the way, the SMTP
server requiring a login, an account holder setting a password through the link), no process variable and no
captured log line holds a full NIK, a NIP, an e-mail address, a password or a set-password token."""

import base64
import dataclasses
import io
import json
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pyzeebe import ZeebeClient

from engine.testing import EmbeddedEngine
from tests.workers.conftest import FakeClock
from tests.workers.harness import (
    ADMIN_EMAIL,
    ADMIN_NIK,
    ADMIN_NIP,
    BPMN_DIR,
    KEPALA_EMAIL,
    PPBJ_EMAIL,
    PPBJ_NIK,
    PPBJ_NIP,
    MailSink,
    appointment_message,
    capture_logs,
    complete_review,
    fill_identity,
    identity_message,
    running_worker,
    seed_admin_ppe_request,
    seed_ppbj_registration,
    text_of,
)
from workers.constants import Message
from workers.services import Services
from workers.settings import Settings

SMTP_USER = "robot-pbj"
SMTP_PASSWORD = secrets.token_urlsafe(16)  # fresh each run
NEW_PASSWORD = secrets.token_urlsafe(16)
WRONG_NIK = "6171011204850000"
TOKEN = re.compile(r"[?&]t=([A-Za-z0-9_-]{20,})")
SET_PASSWORD_TOKEN = re.compile(r"atur-kata-sandi\?t=([A-Za-z0-9_-]{20,})")


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    """The SMTP server accepts exactly the workers' credentials."""
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Everything the workers log at DEBUG, as the service writes it (JSON lines); restored afterwards."""
    with capture_logs() as buffer:
        yield buffer


@pytest.fixture
async def login_services(
    worker_settings: Settings, clock: FakeClock, captured_logs: io.StringIO
) -> AsyncIterator[tuple[Services, MailSink]]:
    """Services whose SMTP server requires a login with a password."""
    sink = MailSink(options={"authenticator": authenticate, "auth_require_tls": False})
    await sink.start()
    smtp = dataclasses.replace(worker_settings.smtp, port=sink.port, username=SMTP_USER, password=SMTP_PASSWORD)
    services = Services.from_settings(dataclasses.replace(worker_settings, smtp=smtp), clock=clock)
    yield services, sink
    await services.aclose()
    await sink.stop()


async def test_no_variable_and_no_log_line_holds_a_nik_a_password_or_a_token(
    engine: EmbeddedEngine,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    login_services: tuple[Services, MailSink],
    captured_logs: io.StringIO,
) -> None:
    """Both SOPs end to end; then every variable of every scope and every log line is searched for the secrets."""
    services, sink = login_services
    engine.deploy(BPMN_DIR)
    request, references = seed_admin_ppe_request(services)
    registration = seed_ppbj_registration(services)
    number = registration.number

    async with running_worker(zeebe_channel, services):
        sop1 = await zeebe_client.run_process(
            "registrasiAdminPpe", {"nomorPermohonan": request.number, "dokumenPermohonan": references}
        )
        sop2 = await zeebe_client.run_process("pendaftaranAkunPpbj", {"nomorPendaftaran": number})
        await engine.wait_for_idle()
        for nik in (WRONG_NIK, PPBJ_NIK):
            person = fill_identity(services, number, nik=nik)
            await zeebe_client.publish_message(Message.IDENTITAS_PPBJ_DIISI, number, identity_message(person))
            await engine.wait_for_idle()
        await zeebe_client.publish_message(
            Message.INFORMASI_PPBJ_DILENGKAPI, number, appointment_message(services, number)
        )
        await engine.wait_for_idle()
        await complete_review(engine.rest_url, sop2.process_instance_key, {"hasilPemeriksaan": "lengkap"})
        await engine.wait_for_idle()
    engine.assert_that(sop1.process_instance_key).is_completed().has_no_incidents()
    engine.assert_that(sop2.process_instance_key).is_completed().has_no_incidents()
    engine.assert_that(sop2.process_instance_key).has_variable("nikTersamar", "6171**********03")

    set_password_tokens = [t for m in sink.messages() for t in SET_PASSWORD_TOKEN.findall(text_of(m))]
    link_tokens = [t for m in sink.messages() for t in TOKEN.findall(text_of(m))]
    assert len(set_password_tokens) == 2  # the Admin PPE's invitation, the PPBJ's account active
    for token in set_password_tokens:
        await services.provisioning.consume_set_password_token(token, NEW_PASSWORD)
    assert len(sink.envelopes) == 6  # SOP 1: account, invitation; SOP 2: form, correction, SK asked, active
    assert len(link_tokens) == 5  # the two set-password links, the form's, the correction's, the SK request's
    for token in link_tokens:  # each token is in exactly one e-mail: its holder's
        assert sum(token in text_of(message) for message in sink.messages()) == 1

    secrets = {
        "NIK": [ADMIN_NIK, PPBJ_NIK, WRONG_NIK],
        "NIP": [ADMIN_NIP, PPBJ_NIP.replace(" ", ""), PPBJ_NIP],
        "e-mail": [ADMIN_EMAIL, KEPALA_EMAIL, PPBJ_EMAIL],
        "password": [SMTP_PASSWORD, NEW_PASSWORD, base64.b64encode(SMTP_PASSWORD.encode()).decode()],
        "token": link_tokens,
    }
    variables = engine.all_variables()
    assert len(variables) > 40
    for scope, name, value in variables:
        text = json.dumps(value, ensure_ascii=False)
        for kind, values in secrets.items():
            assert not any(secret in text for secret in values), f"{kind} in variable {name} of scope {scope}"
        assert not re.search(r"pass|token|sandi|otp", name, re.IGNORECASE), name

    output = captured_logs.getvalue()
    lines = output.splitlines()
    assert sum('"event": "E-mail terkirim"' in line for line in lines) == 6
    assert any("Got job" in line for line in lines), "pyzeebe's DEBUG lines (with job variables) were captured"
    for kind in ("NIK", "password", "token", "e-mail"):
        for secret in secrets[kind]:
            assert secret not in output, f"a {kind} in the log"
    assert not re.search(r"(?<!\d)(?:64|61)\d{14}(?!\d)", output), "a NIK-shaped number in the log"
