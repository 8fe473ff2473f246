"""Helpers of the web application's tests: the whole system in this process (the embedded engine on a controlled
clock, the real workers, a loopback SMTP server, the web application on a free port), a Chromium shared per test
session and driven by Playwright, and what the tests read back: e-mails and their links, the process position
through the REST API, the store.

Chromium is Debian's (`/usr/bin/chromium`, or `CHROMIUM_PATH`), started once per test process with a DevTools port;
each test connects to it with Playwright over CDP and gets its own browser context (its own cookies). Without
Chromium the browser tests are skipped with one reason – except with `CI=true`, where they fail.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Page, expect

from engine.testing import EmbeddedEngine
from pbj.commands.files import DocumentFile
from pbj.commands.pemohon import submit_admin_ppe_request
from pbj.sample_documents import pdf_document
from tests.workers.harness import ADMIN_EMAIL, ADMIN_NIK, ADMIN_NIP, KEPALA_EMAIL, MailSink, text_of
from web.app import WebApp
from web.forms import admin_ppe_request
from web.passwords import hash_password
from workers.document_rules import check_upload
from workers.domain import DocumentType
from workers.links import TOKEN_PARAMETER
from workers.services import Services

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LINK = re.compile(r"https?://[^\s<>\"']+")
SCREENSHOTS = os.environ.get("PBJ_LAYAR")
"""With `PBJ_LAYAR=docs/layar`, the tests that take screenshots write them there (the README's pictures)."""

STAFF_PASSWORD = "kata-sandi-petugas-uji-2026"
ADMIN_PPE_USER = "sri.admin"
PM_USER = "pm.lkpp"


def chromium_path() -> str | None:
    """Debian's Chromium, or `CHROMIUM_PATH`."""
    given = os.environ.get("CHROMIUM_PATH")
    if given:
        return given if Path(given).exists() else None
    return shutil.which("chromium") or (str(Path("/usr/bin/chromium")) if Path("/usr/bin/chromium").exists() else None)


def require_chromium() -> str:
    """The browser, or skip (fail under CI) with one reason."""
    path = chromium_path()
    if path is None:
        reason = "Chromium not found (apt-get install chromium, or set CHROMIUM_PATH): browser tests skipped"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason.replace("skipped", "required with CI=true"))
        pytest.skip(reason)
    return path


@dataclass
class SharedChromium:
    """A headless Chromium with a DevTools endpoint, shared by the tests of one process."""

    process: subprocess.Popen[bytes]
    endpoint: str
    profile: str

    @classmethod
    def start(cls, path: str, timeout: float = 30.0) -> "SharedChromium":
        profile = tempfile.mkdtemp(prefix="pbj-chromium-")
        process = subprocess.Popen(
            [path, *CHROMIUM_ARGS, "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(profile) / "DevToolsActivePort"
        give_up = time.monotonic() + timeout
        while not port_file.exists() or not port_file.read_text().strip():
            if process.poll() is not None or time.monotonic() > give_up:
                process.kill()
                raise RuntimeError(f"Chromium did not start (exit {process.poll()})")
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        return cls(process, f"http://127.0.0.1:{port}", profile)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def free_socket() -> socket.socket:
    """A listening-ready socket bound to a free loopback port (so the address is known before the server starts)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class WebSystem:
    """The system under test and what tests read back from it."""

    engine: EmbeddedEngine
    services: Services
    mail: MailSink
    webapp: WebApp
    url: str
    staff: dict[str, str] = field(default_factory=dict)

    async def settle(self) -> None:
        """Until the engine and the workers have nothing left to do."""
        await self.engine.wait_for_idle()

    def mails_to(self, address: str) -> list[EmailMessage]:
        """The e-mails delivered to `address`, in order."""
        return self.mail.to(address)

    def last_mail_to(self, address: str, subject_start: str) -> EmailMessage:
        """The latest e-mail to `address` whose subject starts so."""
        found = [m for m in self.mails_to(address) if str(m["Subject"]).startswith(subject_start)]
        assert found, f"no e-mail {subject_start!r} to {address}: {[str(m['Subject']) for m in self.mails_to(address)]}"
        return found[-1]

    def link_in(self, message: EmailMessage, path: str) -> str:
        """The link of this application in the e-mail whose path starts with `path` (the only one)."""
        links = [str(link).rstrip(".,)") for link in LINK.findall(text_of(message))]
        mine = [link for link in links if link.startswith(self.url + path)]
        assert len(set(mine)) == 1, f"expected one link to {path} in {message['Subject']!r}: {links}"
        return mine[0]

    async def rest(self, method: str, path: str, body: Any = None) -> Any:
        """A call to the engine's REST API (as an outside observer, e.g. Operate, would make it)."""
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.engine.rest_url + path, json=body) as response,
        ):
            response.raise_for_status()
            return await response.json(content_type=None) if response.status != 204 else None

    async def active_steps(self, process_instance_key: int) -> list[str]:
        """The element ids active in the instance (the process position, read through `/v2`)."""
        answer = await self.rest(
            "POST",
            "/v2/element-instances/search",
            {"filter": {"processInstanceKey": str(process_instance_key), "state": "ACTIVE"}},
        )
        return sorted(str(item["elementId"]) for item in answer["items"] if item.get("type") != "PROCESS")

    async def instance_state(self, process_instance_key: int) -> str:
        """`ACTIVE`, `COMPLETED`, `TERMINATED`, through `/v2`."""
        answer = await self.rest("GET", f"/v2/process-instances/{process_instance_key}")
        return str(answer["state"])

    def add_staff(self, username: str, *roles: str, name: str | None = None) -> None:
        """A staff account (as `pbj pengguna buat` makes it)."""
        self.services.store.create_staff_user(
            username, display_name=name or username, roles=roles, password_hash=hash_password(STAFF_PASSWORD)
        )
        self.staff[username] = STAFF_PASSWORD


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """Where a screenshot goes: `PBJ_LAYAR` when set (the README's pictures), else the test's directory."""
    folder = ROOT / SCREENSHOTS if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


def iter_unique(items: list[str]) -> Iterator[str]:
    """Items in order, each once."""
    yield from dict.fromkeys(items)


async def log_in(page: Page, url: str, username: str, password: str = STAFF_PASSWORD) -> None:
    """Log in through `/masuk` as a staff member would."""
    await page.goto(url + "/masuk")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk").click()


async def submit_request(
    system: WebSystem,
    *,
    nik: str,
    kepala_email: str,
    admin_email: str,
    lpse: str = "LPSE Kabupaten Kutai Kartanegara",
) -> str:
    """A Kepala LPSE's request without the KTP, through the step the request page runs (as a quick set-up for the
    tests that look at something else); its number once row 3 asked for the KTP."""
    fields = {
        "lpse": lpse,
        "kepala_nama": "Kepala LPSE Uji",
        "kepala_email": kepala_email,
        "admin_nama": "Admin PPE Uji",
        "admin_nik": nik,
        "admin_nip": "199005052015032001",
        "admin_email": admin_email,
        "admin_wa": "0812-3456-7000",
    }
    data, checks = admin_ppe_request(fields, official_domains=("go.id",))
    assert data is not None, checks.problems
    files = [
        DocumentFile(
            option=kind.value,
            path=Path(f"{kind.value}.pdf"),
            document=check_upload(
                pdf_document(f"{kind.label} {lpse}"), document_type=kind, file_name=f"{kind.value}.pdf", max_size=10**6
            ),
        )
        for kind in (DocumentType.SK_PEMBENTUKAN_LPSE, DocumentType.PROFIL_LPSE, DocumentType.DATA_PERSONIL_ADMIN_PPE)
    ]
    submitted = await submit_admin_ppe_request(system.webapp.context("uji"), data, files)
    await system.settle()
    return submitted.request.number


def request_link(system: WebSystem, kepala_email: str, number: str) -> str:
    """The link to the request in the e-mail asking its Kepala LPSE for the missing documents."""
    asked = system.last_mail_to(kepala_email, "Permintaan Kelengkapan Dokumen")
    return system.link_in(asked, f"/permohonan/{number}?t=")


def pdf(name: str, title: str) -> dict[str, object]:
    """A PDF as a browser would send it."""
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_document(title)}


async def fill_request(page: Page, *, nik: str = ADMIN_NIK) -> None:
    """The request form of SOP 1 row 1, filled in as a Kepala LPSE would, without the KTP."""
    await page.get_by_label("Nama LPSE").fill("LPSE Provinsi Kalimantan Timur")
    await page.get_by_label("Nama Kepala LPSE").fill("Muhammad Ridwan")
    await page.get_by_label("E-mail Kepala LPSE").fill(KEPALA_EMAIL)
    await page.get_by_label("Nama Admin PPE").fill("Sari Wulandari")
    await page.get_by_label("NIK Admin PPE").fill(nik)
    await page.get_by_label("NIP Admin PPE").fill(ADMIN_NIP)
    await page.get_by_label("E-mail Admin PPE").fill(ADMIN_EMAIL)
    await page.get_by_label("Nomor WhatsApp Admin PPE").fill("0812-3456-7890")
    await page.get_by_label("SK Pembentukan dan Penunjukan Personil LPSE").set_input_files(
        pdf("SK-Pembentukan-LPSE.pdf", "SK Pembentukan LPSE")  # type: ignore[arg-type]
    )
    await page.get_by_label("Data Profil LPSE").set_input_files(
        pdf("Profil-LPSE.pdf", "Profil LPSE")  # type: ignore[arg-type]
    )
    await page.get_by_label("Data Personil Admin PPE").set_input_files(
        pdf("Data-Personil.pdf", "Data Personil Admin PPE")  # type: ignore[arg-type]
    )


async def assert_fits(page: Page) -> None:
    """Nothing on the page is wider than the screen (no sideways scrolling)."""
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None and width <= viewport["width"], f"{page.url}: {width} px wide"


def assert_nothing_secret_logged(output: str, *secrets: str) -> None:
    """The log holds the web application's request lines but none of `secrets` (NIKs, tokens, passwords) and no
    NIK-shaped number."""
    assert '"event": "Permintaan HTTP"' in output, "the web application's access log was not captured"
    for secret in secrets:
        assert secret not in output, "a secret in the log"
    assert not re.search(r"(?<!\d)(?:64|61)\d{14}(?!\d)", output), "a NIK-shaped number in the log"


def token_of(link: str) -> str:
    """The token a link carries."""
    return link.split(f"?{TOKEN_PARAMETER}=", 1)[1]


async def set_password(page: Page, password: str) -> None:
    """Fill in and send the one-time set-password page; it says the password was made."""
    await page.get_by_label("Kata sandi baru", exact=True).fill(password)
    await page.get_by_label("Ulangi kata sandi baru").fill(password)
    await page.get_by_role("button", name="Simpan kata sandi").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Kata sandi telah dibuat")
