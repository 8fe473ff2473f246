"""Helpers of the command tests: running `pbj …` in-process, document files, an applicant's command line, and
snapshots of the store, the document files and the engine (to prove that refused input changed nothing)."""

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.testing import EmbeddedEngine
from pbj.cli import main as pbj_main
from pbj.sample_documents import pdf_document, png_image
from tests.workers.harness import ADMIN_EMAIL, ADMIN_NIK, ADMIN_NIP, KEPALA_EMAIL, PPBJ_EMAIL, PPBJ_NIK, PPBJ_NIP, ROOT
from workers.services import Services
from workers.store.models import AuditEvent, Document, Person, Request

ADMIN_WA = "0812-3456-7890"
IDENTITY = [
    "--nik",
    PPBJ_NIK,
    "--nip",
    PPBJ_NIP,
    "--instansi",
    "Biro PBJ Setda Provinsi Kalimantan Barat",
    "--jabatan",
    "Pengelola Pengadaan Barang/Jasa Ahli Pertama",
]
"""`pbj ppbj identitas` options of a well-formed identity."""


@dataclass(frozen=True)
class Result:
    """What one command did: exit code, stdout, stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """Stdout as JSON."""
        return json.loads(self.out)


class Cli:
    """`pbj …` as a person runs it, in-process (in a thread, so the test's event loop keeps serving the engine)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    async def __call__(self, *argv: str) -> Result:
        """Run `pbj argv…`; its exit code and output (argparse's SystemExit becomes the exit code)."""
        self.capsys.readouterr()

        def run() -> int:
            try:
                return pbj_main(list(argv))
            except SystemExit as exc:
                return int(exc.code or 0)

        code = await asyncio.to_thread(run)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


async def run_pbj(environ: dict[str, str], *argv: str) -> Result:
    """`python -m pbj argv…` as a separate process with the test's settings (for commands running at once)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pbj",
        *argv,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **environ},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


class Files:
    """Document files in a folder of the test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, content: bytes) -> str:
        """A file with this content; its path as text."""
        path = self.folder / name
        path.write_bytes(content)
        return str(path)

    def pdf(self, name: str, title: str | None = None) -> str:
        """A well-formed one-page PDF titled `title` (default: the name)."""
        return self.write(name, pdf_document(title or name))

    def png(self, name: str, width: int = 64) -> str:
        """A real PNG image."""
        return self.write(name, png_image(width=width))

    def admin_ppe_documents(self, variant: str = "") -> dict[str, str]:
        """The four documents of SOP 1 row 1 (`variant` changes their content)."""
        return {
            "--sk": self.pdf(f"SK-Pembentukan-LPSE{variant}.pdf", f"SK Gubernur Pembentukan LPSE {variant}"),
            "--profil": self.pdf(f"Profil-LPSE{variant}.pdf", f"Profil LPSE Kaltim {variant}"),
            "--personil": self.pdf(f"Data-Personil{variant}.pdf", f"Data Personil Admin PPE {variant}"),
            "--ktp": self.png(f"KTP-Admin{variant}.png", width=64 + len(variant)),
        }


def ajukan_args(documents: dict[str, str], **overrides: str) -> list[str]:
    """`pbj permohonan ajukan` with a realistic Kaltim request; `overrides` replace options (`admin_nik="…"`)."""
    options = {
        "--lpse": "LPSE Provinsi Kalimantan Timur",
        "--kepala-lpse-nama": "Dr. H. Muhammad Ridwan, M.Si.",
        "--kepala-lpse-email": KEPALA_EMAIL,
        "--admin-nama": "Sari Wulandari, S.Kom.",
        "--admin-nik": ADMIN_NIK,
        "--admin-nip": ADMIN_NIP,
        "--admin-email": ADMIN_EMAIL,
        "--admin-wa": ADMIN_WA,
        **documents,
    }
    for name, value in overrides.items():
        options["--" + name.replace("_", "-")] = value
    argv = ["permohonan", "ajukan"]
    for option, value in options.items():
        argv += [option, value]
    return argv


async def register_until_review(cli: Cli, files: Files, engine: EmbeddedEngine) -> str:
    """daftar → identitas → penetapan, each step waited for; the registration number."""
    registered = await cli(
        "ppbj", "daftar", "--nama", "Rudi Hartono, S.E.", "--email", PPBJ_EMAIL, "--wa", "0813-5200-1234"
    )
    assert registered.code == 0, registered.err
    number = registered.out.split("dengan nomor ")[1].split(".")[0]
    await engine.wait_for_idle()
    identity = await cli("ppbj", "identitas", number, *IDENTITY)
    assert identity.code == 0, identity.err
    await engine.wait_for_idle()
    appointment = await cli("ppbj", "penetapan", number, "--sk", files.pdf("SK-Pengelola-PBJ.pdf"))
    assert appointment.code == 0, appointment.err
    await engine.wait_for_idle()
    return number


@dataclass(frozen=True)
class Snapshot:
    """Row counts of the store, the stored document files and what the engine holds."""

    store: dict[str, int]
    files: frozenset[str]
    engine: dict[str, int]


def snapshot(services: Services, engine: EmbeddedEngine) -> Snapshot:
    """The state a refused command must leave unchanged."""
    counts = {}
    with services.store.engine.connect() as connection:
        for model in (Request, Person, Document, AuditEvent):
            counts[model.__tablename__] = connection.execute(select(func.count()).select_from(model)).scalar_one()
    root = services.settings.documents_dir
    stored = (
        frozenset(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else frozenset()
    )
    held = {
        "process_instances": len(engine.process_instances()),
        "messages": len(engine.messages()),
        "open_user_tasks": sum(1 for t in engine.user_tasks() if t.state.value == "CREATED"),
        "records": len(engine.engine.records),
    }
    return Snapshot(counts, stored, held)
