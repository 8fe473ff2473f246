"""Tests of workers.mail against a real aiosmtpd SMTP server on loopback (plain, STARTTLS, implicit TLS, login)."""

import asyncio
import secrets
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.workers.mail_examples import CONTEXTS
from workers.errors import WorkersError, is_transient
from workers.mail import MailAddressError, MailDeliveryError, Mailer, SmtpConfig, message_id_for
from workers.mail_templates import RenderedMessage, render
from workers.settings import Settings

SENDER = "Biro Pengadaan Barang/Jasa Setda Provinsi Kalimantan Timur <no-reply@kaltimprov.go.id>"
RECIPIENT = "siti.rahmawati@kaltimprov.go.id"
KEY = "ADM-2025-000123:akun-admin-ppe-dibuat:kepala-lpse"
USER = "mailer-pbj"
PASSWORD = secrets.token_urlsafe(16)  # fresh each run
FIXED_NOW = datetime(2025, 11, 21, 3, 30, tzinfo=UTC)


@dataclass
class Inbox:
    """aiosmtpd handler keeping every accepted envelope; optionally refusing every recipient."""

    messages: list[Envelope] = field(default_factory=list)
    logged_in: list[bool] = field(default_factory=list)
    refuse_recipients: bool = False

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        """Accept the recipient, or refuse it echoing the address as real servers do."""
        if self.refuse_recipients:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Keep the message and whether the client had logged in."""
        self.messages.append(envelope)
        self.logged_in.append(bool(session.authenticated))
        return "250 Message accepted for delivery"

    def parsed(self, index: int = -1) -> EmailMessage:
        """A received message parsed with the modern e-mail API."""
        content = self.messages[index].content
        assert isinstance(content, bytes)
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    """Accept exactly USER / PASSWORD (handled=False: aiosmtpd itself answers 235 or 535)."""
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class Server:
    """A running loopback SMTP server and its inbox."""

    port: int
    inbox: Inbox


ServerFactory = Callable[..., Any]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command line)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
async def smtp_server() -> AsyncIterator[Callable[..., Any]]:
    """Start aiosmtpd servers on free loopback ports on demand; close them all afterwards."""
    servers: list[asyncio.Server] = []

    async def start(
        *, inbox: Inbox | None = None, server_tls: ssl.SSLContext | None = None, **smtp_options: Any
    ) -> Server:
        inbox = inbox or Inbox()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(inbox, hostname="localhost", **smtp_options), host="127.0.0.1", port=0, ssl=server_tls
        )
        servers.append(server)
        return Server(port=server.sockets[0].getsockname()[1], inbox=inbox)

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def config(port: int, **overrides: Any) -> SmtpConfig:
    """A plain SMTP configuration for a loopback server."""
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "use_tls": False,
        "username": None,
        "password": None,
        "sender": SENDER,
        "timeout": 10.0,
    }
    return SmtpConfig(**{**values, **overrides})


def account_created() -> RenderedMessage:
    """The Kepala LPSE's "account created" mail, rendered from the real template."""
    return render("akun-admin-ppe-dibuat", CONTEXTS["akun-admin-ppe-dibuat"])


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """The server side TLS context for the test certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_message_arrives_with_both_parts_and_headers(smtp_server: ServerFactory) -> None:
    """A sent mail arrives as multipart/alternative text + HTML with From, To, Subject, Date and Message-ID."""
    server = await smtp_server()
    message = account_created()
    mailer = Mailer(config(server.port), clock=lambda: FIXED_NOW)
    message_id = await mailer.send(to=RECIPIENT, message=message, idempotency_key=KEY)

    assert len(server.inbox.messages) == 1
    envelope = server.inbox.messages[0]
    assert envelope.mail_from == "no-reply@kaltimprov.go.id"
    assert envelope.rcpt_tos == [RECIPIENT]
    received = server.inbox.parsed()
    assert received.get_content_type() == "multipart/alternative"
    assert received["Subject"] == message.subject
    assert received["From"] == SENDER
    assert received["To"] == RECIPIENT
    assert received["Message-ID"] == message_id
    assert received["Date"] == "Fri, 21 Nov 2025 03:30:00 +0000"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Content-Language"] == "id"
    parts = [part for part in received.iter_parts() if isinstance(part, EmailMessage)]
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().replace("\r\n", "\n") == message.text
    assert parts[1].get_content().replace("\r\n", "\n") == message.html
    assert "Segera Login dan Ganti Kata Sandi" in received["Subject"]


async def test_a_long_subject_with_an_en_dash_arrives_as_written(smtp_server: ServerFactory) -> None:
    """A subject past 78 characters with the en dash domain.md's subjects use arrives exactly, with single spaces."""
    server = await smtp_server()
    subject = "Formulir Registrasi Akun Pengelola Pengadaan Barang/Jasa – Pendaftaran No. PPBJ-2026-000001"
    message = replace(account_created(), subject=subject)
    await Mailer(config(server.port)).send(to=RECIPIENT, message=message, idempotency_key=KEY)
    assert server.inbox.parsed()["Subject"] == subject


async def test_message_id_is_stable_for_the_same_idempotency_key(smtp_server: ServerFactory) -> None:
    """A resend with the same key carries the same Message-ID; another key gives another one."""
    server = await smtp_server()
    mailer = Mailer(config(server.port))
    first = await mailer.send(to=RECIPIENT, message=account_created(), idempotency_key=KEY)
    again = await mailer.send(to=RECIPIENT, message=account_created(), idempotency_key=KEY)
    other = await mailer.send(to=RECIPIENT, message=account_created(), idempotency_key=KEY + ":2")
    ids = [server.inbox.parsed(i)["Message-ID"] for i in range(3)]
    assert ids == [first, again, other]
    assert first == again != other
    assert first.endswith("@kaltimprov.go.id>")
    assert first == message_id_for(KEY, "kaltimprov.go.id")
    assert "ADM-2025-000123" not in first


async def test_server_down_is_a_transient_error_without_personal_data() -> None:
    """No server listening: MailDeliveryError, transient, naming neither the recipient nor the body."""
    port = free_port()
    mailer = Mailer(config(port))
    message = account_created()
    with pytest.raises(MailDeliveryError) as caught:
        await mailer.send(to=RECIPIENT, message=message, idempotency_key=KEY)
    error = caught.value
    assert error.transient
    assert isinstance(error, WorkersError)
    assert is_transient(error)
    assert f"127.0.0.1:{port}" in str(error)
    assert RECIPIENT not in str(error)
    assert "adminppe.kaltim01" not in str(error)
    assert error.__cause__ is None
    assert error.__suppress_context__


async def test_refused_recipient_is_reported_without_the_address(smtp_server: ServerFactory) -> None:
    """A server refusing the recipient (and echoing it) gives an error that does not repeat the address."""
    server = await smtp_server(inbox=Inbox(refuse_recipients=True))
    with pytest.raises(MailDeliveryError) as caught:
        await Mailer(config(server.port)).send(to=RECIPIENT, message=account_created(), idempotency_key=KEY)
    assert "menolak penerima" in str(caught.value)
    assert RECIPIENT not in str(caught.value)
    assert "siti.rahmawati" not in repr(caught.value)
    assert server.inbox.messages == []


async def test_login_with_credentials(smtp_server: ServerFactory) -> None:
    """With a username and password the mailer logs in and the mail is accepted."""
    server = await smtp_server(authenticator=authenticate, auth_require_tls=False)
    mailer = Mailer(config(server.port, username=USER, password=PASSWORD))
    await mailer.send(to=RECIPIENT, message=account_created(), idempotency_key=KEY)
    assert server.inbox.logged_in == [True]


async def test_wrong_password_is_a_delivery_error_with_the_smtp_code(smtp_server: ServerFactory) -> None:
    """A refused login is a MailDeliveryError carrying the server's reply code, not the password."""
    server = await smtp_server(authenticator=authenticate, auth_require_tls=False)
    mailer = Mailer(config(server.port, username=USER, password="salah"))
    with pytest.raises(MailDeliveryError) as caught:
        await mailer.send(to=RECIPIENT, message=account_created(), idempotency_key=KEY)
    assert caught.value.smtp_code == 535
    assert "salah" not in str(caught.value)
    assert server.inbox.messages == []


async def test_starttls(smtp_server: ServerFactory, certificate: tuple[Path, Path]) -> None:
    """With STARTTLS the mailer upgrades the connection (the server requires it) and logs in over TLS."""
    server = await smtp_server(
        tls_context=server_context(certificate), require_starttls=True, authenticator=authenticate
    )
    mailer = Mailer(config(server.port, starttls=True, username=USER, password=PASSWORD, ca_file=str(certificate[0])))
    await mailer.send(to=RECIPIENT, message=account_created(), idempotency_key=KEY)
    assert server.inbox.logged_in == [True]


async def test_plain_connection_to_a_starttls_only_server_fails(
    smtp_server: ServerFactory, certificate: tuple[Path, Path]
) -> None:
    """Without STARTTLS a server that requires it refuses the mail: a MailDeliveryError with its code."""
    server = await smtp_server(tls_context=server_context(certificate), require_starttls=True)
    with pytest.raises(MailDeliveryError) as caught:
        await Mailer(config(server.port)).send(to=RECIPIENT, message=account_created(), idempotency_key=KEY)
    assert caught.value.smtp_code == 530


async def test_implicit_tls(smtp_server: ServerFactory, certificate: tuple[Path, Path]) -> None:
    """With implicit TLS (port 465 style) the mailer connects over TLS from the first byte."""
    server = await smtp_server(server_tls=server_context(certificate))
    mailer = Mailer(config(server.port, use_tls=True, ca_file=str(certificate[0])))
    await mailer.send(to=RECIPIENT, message=account_created(), idempotency_key=KEY)
    assert len(server.inbox.messages) == 1


async def test_untrusted_certificate_is_a_delivery_error(
    smtp_server: ServerFactory, certificate: tuple[Path, Path]
) -> None:
    """A server certificate the mailer does not trust stops delivery with a MailDeliveryError."""
    server = await smtp_server(server_tls=server_context(certificate))
    with pytest.raises(MailDeliveryError):
        await Mailer(config(server.port, use_tls=True)).send(
            to=RECIPIENT, message=account_created(), idempotency_key=KEY
        )
    assert server.inbox.messages == []


def test_config_rejects_both_tls_modes_and_hides_the_password() -> None:
    """SmtpConfig refuses STARTTLS together with implicit TLS, half credentials, no sender; repr hides the password."""
    with pytest.raises(ValueError, match="tidak keduanya"):
        config(25, starttls=True, use_tls=True)
    with pytest.raises(ValueError, match="bersama-sama"):
        config(25, username=USER)
    with pytest.raises(ValueError, match="pengirim"):
        config(25, sender="Biro PBJ")
    with pytest.raises(ValueError, match="port"):
        config(0)
    assert PASSWORD not in repr(config(587, starttls=True, username=USER, password=PASSWORD))


def test_build_refuses_a_header_injection_without_echoing_it() -> None:
    """A recipient with a line break (or no address) is refused before any connection, without repeating it."""
    mailer = Mailer(config(25))
    for bad in (RECIPIENT + "\r\nBcc: x@example.org", "Siti Rahmawati"):
        with pytest.raises(MailAddressError, match="Alamat penerima") as caught:
            mailer.build(to=bad, message=account_created(), idempotency_key=KEY)
        assert bad not in str(caught.value)


def test_empty_idempotency_key_is_refused() -> None:
    """A Message-ID needs a key: an empty one is a ValueError."""
    with pytest.raises(ValueError, match="kunci idempotensi"):
        message_id_for(" ", "kaltimprov.go.id")


def test_a_bad_recipient_is_a_permanent_workers_error() -> None:
    """A malformed recipient is a MailError the workers treat as permanent (retrying cannot fix the address)."""
    with pytest.raises(MailAddressError) as caught:
        Mailer(config(25)).build(to="bukan alamat", message=account_created(), idempotency_key=KEY)
    assert isinstance(caught.value, WorkersError)
    assert not is_transient(caught.value)


def test_smtp_config_from_settings() -> None:
    """The workers' SMTP settings map onto SmtpConfig in one place: TLS mode, credentials, sender, timeout."""
    settings = Settings.from_env(
        {
            "SMTP_HOST": "mail.kaltimprov.go.id",
            "SMTP_TLS": "true",
            "SMTP_USERNAME": USER,
            "SMTP_PASSWORD": PASSWORD,
            "SMTP_TIMEOUT": "7",
            "MAIL_FROM": SENDER,
        }
    )
    smtp = SmtpConfig.from_settings(settings.smtp)
    assert (smtp.host, smtp.port, smtp.use_tls, smtp.starttls) == ("mail.kaltimprov.go.id", 465, True, False)
    assert (smtp.username, smtp.password, smtp.sender, smtp.timeout) == (USER, PASSWORD, SENDER, 7.0)
    assert smtp.sender_domain == "kaltimprov.go.id"
