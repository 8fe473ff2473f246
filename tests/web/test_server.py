"""`pbj web` as an operator runs it, and its settings: read once from the environment into a frozen object, the
secret key generated once per installation when not given, bad values named; the process serves its pages, stops
cleanly on SIGTERM, and refuses a bad setting with exit 2."""

import dataclasses
import os
import signal
import socket
import stat
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from pbj.cli import main
from web.settings import SECRET_KEY_FILE, WebSettings
from workers.errors import SettingsError

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0


def test_settings_from_the_environment_with_a_generated_secret_key(tmp_path: Path) -> None:
    """Defaults 127.0.0.1:8000; without WEB_SECRET_KEY a random key is made once in the data directory (mode 0600)
    and read again; cookies are Secure behind an https APP_URL, whose path the pages live below."""
    environ = {"PBJ_DATA_DIR": str(tmp_path), "APP_URL": "https://pbj.kaltimprov.go.id/layanan/"}
    first = WebSettings.from_env(environ)
    assert (first.host, first.port, first.session_ttl) == ("127.0.0.1", 8000, timedelta(hours=8))
    key_file = tmp_path / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 32 and first.secret_key.decode() not in repr(first)
    assert WebSettings.from_env(environ).secret_key == first.secret_key
    assert (first.secure_cookies, first.base_path) == (True, "/layanan")
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEB_PORT", "80000", "bukan nomor port"),
        ("WEB_SECRET_KEY", "pendek", "minimal 32 karakter"),
        ("WEB_TRUST_PROXY", "mungkin", "bukan nilai ya/tidak"),
        ("WEB_LOGIN_MAX_FAILURES", "0", "harus bilangan 1–100"),
        ("WEB_SESSION_TTL", "delapan jam", "WEB_SESSION_TTL"),
    ],
)
def test_a_bad_setting_is_named(tmp_path: Path, name: str, value: str, message: str) -> None:
    """Each malformed value: `SettingsError` naming the setting and what is wrong."""
    with pytest.raises(SettingsError, match=name) as raised:
        WebSettings.from_env({"PBJ_DATA_DIR": str(tmp_path), name: value})
    assert message in str(raised.value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_pbj_web_serves_its_pages_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """`pbj web` on a free port prints where it is ready, serves the home page, and on SIGTERM stops with exit 0."""
    port = free_port()
    environ = {"PATH": os.environ.get("PATH", ""), "PBJ_DATA_DIR": str(tmp_path), "WEB_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pbj", "web"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert ready.startswith(f"Aplikasi web siap di http://127.0.0.1:{port} (dibuka pengguna sebagai "), ready
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=WAIT) as response:
            assert "Layanan akun pengadaan secara elektronik" in response.read().decode()
        process.send_signal(signal.SIGTERM)
        rest, errors = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, errors
    assert rest.splitlines()[-1] == "Aplikasi web dihentikan."
    assert "Traceback" not in errors


def test_pbj_web_refuses_a_bad_setting_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed setting: one line naming it, exit 2, nothing started."""
    monkeypatch.setenv("PBJ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WEB_SECRET_KEY", "pendek")
    assert main(["web"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("Aplikasi web tidak dapat dijalankan: ") and "WEB_SECRET_KEY" in error
