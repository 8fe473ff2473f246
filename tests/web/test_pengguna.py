"""`pbj pengguna`: staff accounts created (argon2id hash only), listed, disabled (their sessions end); bad input
refused with a clear message and nothing changed."""

import io
import json
from pathlib import Path

import pytest

from pbj.cli import main
from web.passwords import verify_password
from workers.store import Store

PASSWORD = "kata-sandi-petugas-uji-2026"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite store named by the environment, as an operator's shell would."""
    url = f"sqlite:///{tmp_path / 'pbj.sqlite3'}"
    monkeypatch.setenv("PBJ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def run(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["pengguna", *args])


def test_create_list_and_disable_a_staff_account(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Created with two roles and an argon2id hash (never the password), listed as active, then disabled: its
    browser sessions are gone and it is listed as disabled."""
    create = ("buat", "Sri.Admin", "--nama", "Sri  Rahayu", "--peran", "admin-ppe", "--peran", "pimpinan")
    assert run(monkeypatch, *create, "--kata-sandi-stdin", stdin=PASSWORD + "\n") == 0
    # (the store may log its first migration before: the command's own line comes last)
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Akun petugas sri.admin (Sri Rahayu) dibuat dengan peran: Admin PPE, Pimpinan."
    )
    with Store.open(database) as store:
        user = store.find_staff_user("sri.admin")
        assert user is not None and user.roles == ("admin-ppe", "pimpinan")
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        assert verify_password(user.password_hash, PASSWORD)
        store.create_web_session("sesi-uji", staff_user_id=user.id, expires_at=store.now().replace(year=2100))

    assert run(monkeypatch, "daftar", "--json") == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["namaPengguna"], listed["peran"], listed["status"]) == (
        "sri.admin",
        ["admin-ppe", "pimpinan"],
        "aktif",
    )

    assert run(monkeypatch, "nonaktifkan", "sri.admin") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Akun petugas sri.admin dinonaktifkan; sesinya diakhiri."
    assert run(monkeypatch, "daftar") == 0
    assert "nonaktif" in capsys.readouterr().out
    with Store.open(database) as store:
        assert store.get_web_session("sesi-uji") is None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("buat", "x", "--nama", "X", "--peran", "pm-lkpp"), PASSWORD, "Nama pengguna 'x' tidak sah"),
        (("buat", "pm.lkpp", "--nama", "PM", "--peran", "pm-lkpp"), "pendek", "Kata sandi minimal 12 karakter."),
        (("nonaktifkan", "tidak.ada"), "", "Pengguna tidak.ada tidak ditemukan; tidak ada yang diubah."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    stdin: str,
    message: str,
) -> None:
    """An invalid user name, a short password, an unknown account: one Indonesian line, a non-zero exit, no account."""
    extra = ("--kata-sandi-stdin",) if args[0] == "buat" else ()
    assert run(monkeypatch, *args, *extra, stdin=stdin + "\n") != 0
    assert message in capsys.readouterr().err
    with Store.open(database) as store:
        assert store.list_staff_users() == []


def test_a_second_account_with_the_same_name_is_refused(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same user name twice: refused, the first account unchanged."""
    create = ("buat", "pm.lkpp", "--nama", "PM LKPP", "--peran", "pm-lkpp", "--kata-sandi-stdin")
    assert run(monkeypatch, *create, stdin=PASSWORD + "\n") == 0
    assert run(monkeypatch, *create, stdin="kata-sandi-lain-sekali\n") == 1
    assert "Pengguna pm.lkpp sudah ada; tidak ada yang diubah." in capsys.readouterr().err
    with Store.open(database) as store:
        user = store.find_staff_user("pm.lkpp")
        assert user is not None and verify_password(user.password_hash, PASSWORD)
