"""`pbj pengguna`: the web application's staff accounts – create, list, disable.

    pbj pengguna buat NAMA --nama "…" --peran admin-ppe [--peran pimpinan]   (the password is asked twice, hidden;
                                                                              --kata-sandi-stdin reads one line)
    pbj pengguna daftar [--json]
    pbj pengguna nonaktifkan NAMA

Roles: `pm-lkpp` (PM Direktorat e-Procurement LKPP, SOP 1), `admin-ppe` (Admin PPE, SOP 2; the candidate group of
its user task), `pimpinan` (managers). Passwords are hashed with argon2id (`web.passwords`); the store keeps only
the hash. Disabling ends the account's sessions at once. The settings are the workers' (`DATABASE_URL`,
`PBJ_DATA_DIR`); operators read every message, so they are in formal Indonesian.
"""

import argparse
import getpass
import json
import re
import sys

from pbj.invocation import command
from web.authz import StaffRole
from web.passwords import hash_password, password_problem
from workers.errors import NotFoundError, SettingsError, StaffUserExistsError, WorkersError
from workers.mail_templates import format_time
from workers.settings import Settings
from workers.store import StaffUserRecord, Store

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`pbj pengguna buat|daftar|nonaktifkan`."""
    pengguna = sub.add_parser(
        "pengguna",
        help="akun petugas aplikasi web (PM LKPP, Admin PPE, pimpinan)",
        description="Membuat, menampilkan, dan menonaktifkan akun petugas aplikasi web.",
    )
    actions = pengguna.add_subparsers(dest="tindakan", required=True, metavar="TINDAKAN")
    buat = actions.add_parser("buat", help="membuat akun petugas", description="Membuat akun petugas baru.")
    buat.add_argument("nama_pengguna", metavar="NAMA_PENGGUNA", help="huruf kecil, angka, titik, garis; 3–64 karakter")
    buat.add_argument("--nama", required=True, help="nama lengkap petugas, ditampilkan di aplikasi")
    buat.add_argument(
        "--peran",
        required=True,
        action="append",
        choices=[role.value for role in StaffRole],
        help="peran (dapat diulang): pm-lkpp, admin-ppe, pimpinan",
    )
    buat.add_argument(
        "--kata-sandi-stdin",
        action="store_true",
        help="membaca kata sandi dari satu baris masukan standar (untuk skrip) alih-alih menanyakannya",
    )
    daftar = actions.add_parser("daftar", help="daftar akun petugas", description="Menampilkan semua akun petugas.")
    daftar.add_argument("--json", action="store_true", help="keluaran JSON untuk skrip")
    nonaktifkan = actions.add_parser(
        "nonaktifkan",
        help="menonaktifkan akun petugas",
        description="Menonaktifkan akun petugas; sesi yang sedang berjalan diakhiri saat itu juga.",
    )
    nonaktifkan.add_argument("nama_pengguna", metavar="NAMA_PENGGUNA")


def run(args: argparse.Namespace) -> int:
    """Run the chosen action; its exit code."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"Perintah tidak dapat dijalankan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with Store.open(settings.database_url) as store:
            if args.tindakan == "buat":
                return _create(store, args)
            if args.tindakan == "daftar":
                return _list(store, args)
            return _disable(store, args)
    except WorkersError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED


def _create(store: Store, args: argparse.Namespace) -> int:
    username = args.nama_pengguna.strip().lower()
    if not USERNAME.match(username):
        print(
            f"Nama pengguna {args.nama_pengguna!r} tidak sah: 3–64 karakter huruf kecil, angka, titik, garis bawah, "
            "atau tanda hubung, diawali huruf atau angka.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    name = " ".join(args.nama.split())
    if not name or len(name) > 255:
        print("Nama lengkap wajib diisi, paling panjang 255 karakter.", file=sys.stderr)
        return EXIT_USAGE
    if store.find_staff_user(username) is not None:
        print(f"Pengguna {username} sudah ada; tidak ada yang diubah.", file=sys.stderr)
        return EXIT_FAILED
    if args.kata_sandi_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        problem = password_problem(password)
    else:
        password = getpass.getpass("Kata sandi: ")
        problem = password_problem(password, getpass.getpass("Ulangi kata sandi: "))
    if problem is not None:
        print(f"{problem} Akun tidak dibuat.", file=sys.stderr)
        return EXIT_USAGE
    try:
        user = store.create_staff_user(
            username, display_name=name, roles=args.peran, password_hash=hash_password(password)
        )
    except StaffUserExistsError:
        print(f"Pengguna {username} sudah ada; tidak ada yang diubah.", file=sys.stderr)
        return EXIT_FAILED
    roles = ", ".join(StaffRole(role).label for role in user.roles)
    print(f"Akun petugas {user.username} ({user.display_name}) dibuat dengan peran: {roles}.")
    return EXIT_OK


def _status(user: StaffUserRecord, store: Store) -> str:
    if user.disabled_at is not None:
        return "nonaktif"
    if user.locked_at(store.now()) and user.locked_until is not None:
        return f"terkunci hingga {format_time(user.locked_until, 'WIB')}"
    return "aktif"


def _list(store: Store, args: argparse.Namespace) -> int:
    users = store.list_staff_users()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "namaPengguna": u.username,
                        "nama": u.display_name,
                        "peran": list(u.roles),
                        "status": _status(u, store),
                        "terakhirMasuk": u.last_login_at.isoformat() if u.last_login_at else None,
                    }
                    for u in users
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    if not users:
        print(
            f"Belum ada akun petugas. Buat dengan: {command('pengguna', 'buat')} NAMA_PENGGUNA --nama … "
            "--peran admin-ppe"
        )
        return EXIT_OK
    from pbj.commands.output import table

    rows = [
        [
            u.username,
            u.display_name,
            ", ".join(u.roles),
            _status(u, store),
            format_time(u.last_login_at, "WIB") if u.last_login_at else "–",
        ]
        for u in users
    ]
    print(table(["NAMA PENGGUNA", "NAMA", "PERAN", "STATUS", "TERAKHIR MASUK"], rows))
    return EXIT_OK


def _disable(store: Store, args: argparse.Namespace) -> int:
    username = args.nama_pengguna.strip().lower()
    try:
        user = store.disable_staff_user(username)
    except NotFoundError:
        print(f"Pengguna {username} tidak ditemukan; tidak ada yang diubah.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Akun petugas {user.username} dinonaktifkan; sesinya diakhiri.")
    return EXIT_OK
