"""Sending the rendered e-mails over SMTP with aiosmtplib.

One message per recipient, multipart/alternative (plain text first, then HTML). The Message-ID is derived from an
idempotency key the caller gives (`workers.store.mail_idempotency_key`: element instance, template, recipient
role), so a retried job sends the same logical mail with the same Message-ID. Every SMTP or connection failure
becomes a `MailDeliveryError`: a transient `WorkersError`, the job fails and Zeebe retries it. Its message is in
formal Indonesian for operators (Operate shows it) and never names the recipient or quotes the body; the
underlying exception is not chained because SMTP errors often echo the address. `SmtpConfig.from_settings` is the
one place where the workers' settings (`SMTP_*`, `MAIL_FROM`) become a mailer configuration.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib

from workers.errors import TransientError, WorkersError
from workers.mail_templates import RenderedMessage
from workers.settings import SmtpSettings

__all__ = [
    "MailAddressError",
    "MailDeliveryError",
    "MailError",
    "Mailer",
    "SmtpConfig",
    "message_id_for",
    "message_reference",
]


WIRE_POLICY = policy.SMTP.clone(max_line_length=998)
"""How a message is written on the wire: CRLF, and headers folded only beyond RFC 5322's 998 characters. At 78
(aiosmtplib's `send_message` default) CPython folds a long subject before an encoded word (the en dash of every
subject) and keeps the space, so readers saw "Barang/Jasa  – Pendaftaran" with two spaces."""


class MailError(WorkersError):
    """Base of the mailer's errors."""


class MailAddressError(MailError, ValueError):
    """The recipient is not exactly one e-mail address (bad data: retrying cannot help)."""


class MailDeliveryError(MailError, TransientError):
    """The SMTP server could not be reached or refused the message; retrying later may succeed."""

    def __init__(self, message: str, *, smtp_code: int | None = None) -> None:
        """Keep the SMTP reply code (if any) for the caller; the message carries no personal data."""
        super().__init__(message)
        self.smtp_code = smtp_code


@dataclass(frozen=True)
class SmtpConfig:
    """Outgoing mail server: STARTTLS or implicit TLS (not both), optional credentials, the sender (`From`)."""

    host: str
    port: int
    starttls: bool
    use_tls: bool
    username: str | None
    password: str | None = field(repr=False)
    sender: str
    timeout: float = 30.0
    ca_file: str | None = None

    def __post_init__(self) -> None:
        """Reject contradictory or incomplete settings early, naming the field."""
        if self.starttls and self.use_tls:
            raise ValueError("SmtpConfig: pilih STARTTLS atau TLS langsung, tidak keduanya bersamaan.")
        if not 0 < self.port < 65536:
            raise ValueError(f"SmtpConfig: port {self.port} di luar rentang 1–65535.")
        if (self.username is None) != (self.password is None):
            raise ValueError("SmtpConfig: nama pengguna dan kata sandi harus diisi bersama-sama.")
        if "@" not in parseaddr(self.sender)[1]:
            raise ValueError("SmtpConfig: pengirim (sender) harus memuat alamat e-mail.")

    @classmethod
    def from_settings(cls, settings: SmtpSettings) -> "SmtpConfig":
        """The mailer configuration for the workers' SMTP settings (`SMTP_*`, `MAIL_FROM`)."""
        return cls(
            host=settings.host,
            port=settings.port,
            starttls=settings.starttls,
            use_tls=settings.tls,
            username=settings.username,
            password=settings.password,
            sender=settings.mail_from,
            timeout=settings.timeout,
        )

    @property
    def sender_domain(self) -> str:
        """The domain of the sender address, used on the right of every Message-ID."""
        return parseaddr(self.sender)[1].rpartition("@")[2].lower()


def message_id_for(idempotency_key: str, domain: str) -> str:
    """The Message-ID for a logical mail: a hash of the key (no personal data) at the sender's domain."""
    if not idempotency_key.strip():
        raise ValueError("Message-ID memerlukan kunci idempotensi yang tidak kosong.")
    digest = hashlib.sha256(f"pbj-mail:{idempotency_key}".encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def message_reference(message_id: str) -> str:
    """The hash part of a Message-ID (`<hash@domain>`): enough to find the mail, not shaped like an address."""
    return message_id.strip("<>").partition("@")[0]


class Mailer:
    """Builds and sends one message per call over a fresh SMTP connection."""

    def __init__(self, config: SmtpConfig, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        """Keep the configuration and the clock used for the `Date` header."""
        self.config = config
        self._clock = clock

    def build(self, *, to: str, message: RenderedMessage, idempotency_key: str) -> EmailMessage:
        """The MIME message: headers, a text/plain part and a text/html alternative."""
        if "\r" in to or "\n" in to or "@" not in parseaddr(to)[1]:
            raise MailAddressError("Alamat penerima bukan satu alamat e-mail yang sah; e-mail tidak dikirim.")
        mail = EmailMessage()
        mail["From"] = self.config.sender
        mail["To"] = to
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(self._clock().astimezone(UTC))
        mail["Message-ID"] = message_id_for(idempotency_key, self.config.sender_domain)
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Auto-Response-Suppress"] = "All"
        mail.set_content(message.text, subtype="plain", charset="utf-8")
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
        mail["Content-Language"] = "id"  # after the content: set_content() clears Content-* headers
        return mail

    async def send(self, *, to: str, message: RenderedMessage, idempotency_key: str) -> str:
        """Send one message to one recipient; return its Message-ID or raise MailDeliveryError."""
        mail = self.build(to=to, message=message, idempotency_key=idempotency_key)
        message_id = str(mail["Message-ID"])
        reference = message_reference(message_id)
        config = self.config
        where = f"{config.host}:{config.port}"
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            use_tls=config.use_tls,
            start_tls=config.starttls,
            username=config.username,
            password=config.password,
            timeout=config.timeout,
            cert_bundle=config.ca_file,
        )
        failure: MailDeliveryError
        try:
            async with client:
                await client.sendmail(parseaddr(config.sender)[1], [to], mail.as_bytes(policy=WIRE_POLICY))
        except aiosmtplib.SMTPRecipientsRefused:
            failure = MailDeliveryError(f"Server SMTP {where} menolak penerima e-mail {reference}.")
        except aiosmtplib.SMTPAuthenticationError as exc:
            failure = MailDeliveryError(
                f"Server SMTP {where} menolak login (kode {exc.code}); e-mail {reference} tidak terkirim. "
                "Periksa SMTP_USERNAME dan SMTP_PASSWORD.",
                smtp_code=exc.code,
            )
        except aiosmtplib.SMTPResponseException as exc:
            failure = MailDeliveryError(
                f"Server SMTP {where} menjawab dengan kode {exc.code}; e-mail {reference} tidak terkirim.",
                smtp_code=exc.code,
            )
        except aiosmtplib.SMTPTimeoutError:
            failure = MailDeliveryError(
                f"Server SMTP {where} tidak menjawab dalam batas waktu; e-mail {reference} tidak terkirim."
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            failure = MailDeliveryError(
                f"E-mail {reference} tidak dapat dikirim melalui server SMTP {where} ({type(exc).__name__})."
            )
        else:
            return message_id
        raise failure from None
