"""The local mail server of `pbj up`: SMTP on loopback (aiosmtpd) that delivers nothing and keeps every message.

Each accepted message becomes one file `<folder>/<UTC time>-<Message-ID>.eml`, exactly as received (any mail program
opens it), and one row in `<folder>/indeks.csv`: when it arrived, the file, the Message-ID, the envelope sender and
recipients, the subject. A message is written under a temporary name and renamed, and its index row is appended
after that, so a reader never sees half a message nor a row without its file. When the folder cannot be written the
server answers 451 and the sender (the workers) tries again later.
"""

import asyncio
import csv
import logging
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

INDEX_NAME = "indeks.csv"
INDEX_COLUMNS = ("diterima", "berkas", "message_id", "dari", "kepada", "subjek")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


@dataclass(frozen=True)
class StoredMail:
    """One message kept by the local mail server (its file, and what the index row says)."""

    path: Path
    received_at: datetime
    message_id: str
    mail_from: str
    rcpt_tos: tuple[str, ...] = field(repr=False)
    subject: str


class MailFolder:
    """A folder of `.eml` files with an index `indeks.csv`."""

    def __init__(self, root: Path) -> None:
        """Keep messages under `root` (created on the first message)."""
        self.root = root

    @property
    def index_path(self) -> Path:
        """The index: one CSV row per message, with a header row."""
        return self.root / INDEX_NAME

    def save(
        self, content: bytes, *, mail_from: str, rcpt_tos: Sequence[str], received_at: datetime | None = None
    ) -> StoredMail:
        """Write the message as a file and append its index row."""
        received_at = (received_at or datetime.now(UTC)).astimezone(UTC)
        headers = BytesHeaderParser(policy=policy.default).parsebytes(content)
        message_id = str(headers.get("Message-ID") or "").strip()
        subject = " ".join(str(headers.get("Subject") or "").split())
        name_id = _UNSAFE.sub("_", message_id.strip("<>"))[:150] or f"tanpa-message-id-{uuid.uuid4().hex[:12]}"
        self.root.mkdir(parents=True, exist_ok=True)
        stem = f"{received_at:%Y%m%dT%H%M%S.%f}Z-{name_id}"
        path = self.root / f"{stem}.eml"
        counter = 1
        while path.exists():
            counter += 1
            path = self.root / f"{stem}-{counter}.eml"
        partial = path.with_name(f".{path.name}.sebagian")
        partial.write_bytes(content)
        os.replace(partial, path)
        new_index = not self.index_path.exists()
        with self.index_path.open("a", encoding="utf-8", newline="") as index:
            writer = csv.writer(index)
            if new_index:
                writer.writerow(INDEX_COLUMNS)
            writer.writerow(
                [
                    received_at.isoformat(timespec="seconds"),
                    path.name,
                    message_id,
                    mail_from,
                    " ".join(rcpt_tos),
                    subject,
                ]
            )
        return StoredMail(path, received_at, message_id, mail_from, tuple(rcpt_tos), subject)

    def read_index(self) -> list[dict[str, str]]:
        """The index rows, oldest first (empty before the first message)."""
        if not self.index_path.exists():
            return []
        with self.index_path.open(encoding="utf-8", newline="") as index:
            return list(csv.DictReader(index))


class LocalSmtpServer:
    """An SMTP server on `host` that keeps every message in a `MailFolder` and sends nothing on."""

    def __init__(self, folder: MailFolder, *, host: str = "127.0.0.1", port: int = 1025) -> None:
        """Listen on `host:port` once started; port 0 picks a free port."""
        self.folder = folder
        self.host = host
        self.port = port
        self.received: list[StoredMail] = []
        self._server: asyncio.Server | None = None

    @property
    def address(self) -> str:
        """host:port the server listens on."""
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        """Start listening; `OSError` when the port is taken."""
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per connection: the files say more
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="localhost", ident="PBJ server surel lokal"), host=self.host, port=self.port
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """aiosmtpd's hook: keep the message, or ask the sender to try again when it cannot be written."""
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        if content is None:
            return "554 5.6.0 Pesan kosong"
        try:
            stored = self.folder.save(content, mail_from=envelope.mail_from or "", rcpt_tos=envelope.rcpt_tos)
        except OSError:
            return "451 4.3.0 Pesan tidak dapat disimpan; coba lagi nanti"
        self.received.append(stored)
        return "250 Pesan disimpan"
