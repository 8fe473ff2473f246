"""Structured logging: request numbers and Zeebe keys stay readable, personal data and secrets never appear."""

import hashlib
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.suite_logging import log_warnings_to_stderr
from workers.logging import REDACTED, configure_logging, get_logger, redact_text
from workers.store import head_revision, upgrade

NIK = "6471014505900001"
EMAIL = "sari.wulandari@kaltimprov.go.id"
PHONE = "0812-3456-7890"
TOKEN = hashlib.sha256(b"token uji").hexdigest()  # a made-up set-password token
ZEEBE_KEY = 2251799813685249


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Capture log output; the suite's logging again afterwards (not structlog's defaults, which print on stdout)."""
    buffer = io.StringIO()
    yield buffer
    log_warnings_to_stderr()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    """The JSON log lines written so far."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def assert_clean(text: str) -> None:
    """No NIK, e-mail address, phone number or token in `text`."""
    for secret in (NIK, EMAIL, "sari.wulandari", "3456", TOKEN):
        assert secret not in text


def test_json_lines_redact_personal_data_and_secrets(stream: io.StringIO) -> None:
    """A worker's event with a NIK, an e-mail, a phone number and a token in values and keys shows none of them."""
    configure_logging("INFO", "json", stream)
    get_logger("workers.test").info(
        f"identitas {NIK} dari {EMAIL} diperiksa",
        nomor="ADM-2026-000123",
        job_key=ZEEBE_KEY,
        whatsapp=PHONE,
        token=TOKEN,
        detail={"password": "x", "kontak": [EMAIL, PHONE], "nik": int(NIK)},
        link=f"https://pbj.example.id/atur-kata-sandi?token={TOKEN}",
    )
    output = stream.getvalue()
    assert_clean(output)
    (line,) = lines(stream)
    assert line["nomor"] == "ADM-2026-000123"
    assert line["job_key"] == ZEEBE_KEY
    assert line["token"] == REDACTED
    assert line["detail"] == {
        "password": REDACTED,
        "kontak": ["***@kaltimprov.go.id", "[nomor telepon]"],
        "nik": "6471**********01",
    }
    assert line["event"] == "identitas 6471**********01 dari ***@kaltimprov.go.id diperiksa"
    assert line["level"] == "info"
    assert line["logger"] == "workers.test"


def test_standard_library_records_are_redacted_too(stream: io.StringIO) -> None:
    """Records of libraries that use `logging` (pyzeebe, aiohttp) pass the same redaction."""
    configure_logging("INFO", "json", stream)
    logging.getLogger("pyzeebe.worker").warning("job %s failed for %s with Bearer %s", ZEEBE_KEY, EMAIL, TOKEN)
    output = stream.getvalue()
    assert_clean(output)
    (line,) = lines(stream)
    assert line["event"] == f"job {ZEEBE_KEY} failed for ***@kaltimprov.go.id with Bearer {REDACTED}"


def test_console_tracebacks_are_redacted(stream: io.StringIO) -> None:
    """An exception whose message carries a NIK is rendered on the console without it."""
    configure_logging("INFO", "console", stream)
    try:
        raise ValueError(f"NIK {NIK} ditolak untuk {EMAIL}")
    except ValueError:
        get_logger("workers.test").exception("verifikasi gagal", nomor="PPBJ-2026-000045")
    output = stream.getvalue()
    assert_clean(output)
    assert "PPBJ-2026-000045" in output
    assert "ValueError: NIK 6471**********01 ditolak" in output


def test_json_tracebacks_are_redacted(stream: io.StringIO) -> None:
    """An exception in JSON mode is formatted into the line and redacted like any other value."""
    configure_logging("INFO", "json", stream)
    try:
        raise RuntimeError(f"password={TOKEN} untuk {PHONE}")
    except RuntimeError:
        get_logger().exception("gagal")
    assert_clean(stream.getvalue())
    assert "RuntimeError: password=" in lines(stream)[0]["exception"]  # type: ignore[operator]


def test_level_filters_below_configured_level(stream: io.StringIO) -> None:
    """Events below the configured level are not written."""
    configure_logging("WARNING", "json", stream)
    get_logger().info("tidak tampil")
    get_logger().warning("tampil")
    assert [line["event"] for line in lines(stream)] == ["tampil"]


def test_configuring_twice_keeps_one_handler(stream: io.StringIO) -> None:
    """Calling configure_logging again replaces its handler instead of doubling every line."""
    configure_logging("INFO", "json", io.StringIO())
    configure_logging("INFO", "json", stream)
    get_logger().info("sekali")
    assert len(lines(stream)) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NIK 6171 0145 0590 0001", "NIK 6171**********01"),
        ("NIP 19900505 201503 2 001 aktif", "NIP [NIP] aktif"),
        ("hubungi +62 812-3456-7890", "hubungi [nomor telepon]"),
        ("hubungi 6281234567890.", "hubungi [nomor telepon]."),
        ('{"token": "abc.def"}', '{"token": "[disembunyikan]"}'),
        ("Authorization: Basic cGJqOnJhaGFzaWE=", "Authorization: Basic [disembunyikan]"),
        ("kunci 4503599627370497 dan 2251799813685249", "kunci 4503599627370497 dan 2251799813685249"),
        ("ADM-2026-000123 pada 2026-03-02T08:00:00+08:00", "ADM-2026-000123 pada 2026-03-02T08:00:00+08:00"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    """Free text loses NIKs, NIPs, phone numbers and credentials; Zeebe keys, request numbers and times stay."""
    assert redact_text(text) == expected


def test_store_migration_logs_one_line_of_its_own_and_none_of_alembics(stream: io.StringIO, tmp_path: Path) -> None:
    """Migrating the store at start-up writes one line saying from which revision to which, in the operators'
    language, instead of Alembic's English narration of each step; an up-to-date store writes nothing."""
    configure_logging("INFO", "json", stream)
    database_url = f"sqlite:///{tmp_path / 'pbj.sqlite3'}"
    upgrade(database_url)
    upgrade(database_url)
    assert [(line["event"], line["logger"], line["dari_revisi"], line["ke_revisi"]) for line in lines(stream)] == [
        ("Skema basis data diperbarui", "workers.store.database", None, head_revision())
    ]
