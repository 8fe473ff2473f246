"""Archiving a request: documents plus manifest (hashes, decision trail, retention), once, recorded, checked."""

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path
from types import MappingProxyType

import pytest

from tests.workers.conftest import admin_ppe_request_data
from workers.archive import Archiver, archive_number_for
from workers.documents import LocalDocumentStore
from workers.domain import REQUIRED_ADMIN_PPE_DOCUMENTS, DocumentType
from workers.errors import ArchiveError, DocumentIntegrityError
from workers.settings import Period, RetentionPolicy
from workers.store import DocumentRecord, Store

RETENTION = RetentionPolicy(
    default=Period(years=5),
    per_document_type=MappingProxyType(
        {DocumentType.SK_PEMBENTUKAN_LPSE: Period(years=10), DocumentType.KTP_ADMIN_PPE: Period(years=2)}
    ),
)


@pytest.fixture
def documents(store: Store, tmp_path: Path) -> LocalDocumentStore:
    """A document store under tmp_path."""
    return LocalDocumentStore(tmp_path / "dokumen", store)


@pytest.fixture
def archiver(store: Store, documents: LocalDocumentStore, tmp_path: Path) -> Archiver:
    """An archiver writing under tmp_path/arsip with per-type retention."""
    return Archiver(store, documents, tmp_path / "arsip", RETENTION)


@pytest.fixture
def request_with_documents(store: Store, documents: LocalDocumentStore) -> tuple[str, list[DocumentRecord]]:
    """An SOP 1 request with its four documents and a recorded decision."""
    number = store.create_admin_ppe_request(admin_ppe_request_data()).number
    records = [
        documents.put(
            number,
            kind,
            file_name=f"{kind.value.lower()}.pdf",
            media_type="application/pdf",
            content=f"%PDF isi {kind.value}".encode(),
        )
        for kind in REQUIRED_ADMIN_PPE_DOCUMENTS
    ]
    store.record_audit(number, "keputusan.berkas-lengkap", actor="pekerja", detail={"berkasLengkap": True})
    return number, records


def test_archive_holds_documents_and_a_manifest_of_hashes(
    archiver: Archiver, store: Store, request_with_documents: tuple[str, list[DocumentRecord]]
) -> None:
    """The zip holds every document and a manifest whose hashes match both the entries and the store's records."""
    number, records = request_with_documents
    record = archiver.archive(number)
    path = archiver.path_of(record)
    assert record.archive_number == archive_number_for(number) == f"ARSIP-{number}"
    assert record.document_count == 4
    assert hashlib.sha256(path.read_bytes()).hexdigest() == record.sha256
    assert store.get_archive(number) == record
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        entries = {entry["dokumenId"]: entry for entry in manifest["dokumen"]}
        for doc in records:
            entry = entries[doc.id]
            assert entry["sha256"] == doc.sha256
            assert hashlib.sha256(archive.read(entry["berkas"])).hexdigest() == doc.sha256
            assert (entry["jenis"], entry["ukuran"], entry["tipe"]) == (doc.document_type, doc.size, doc.media_type)
    assert manifest["nomorPermohonan"] == number
    assert manifest["nomorArsip"] == record.archive_number
    assert archiver.read_manifest(number) == manifest


def test_manifest_carries_the_decision_trail_and_retention(
    archiver: Archiver, request_with_documents: tuple[str, list[DocumentRecord]]
) -> None:
    """Retention per document type from the archive date (WITA), the archive kept as long as its longest one."""
    number, _ = request_with_documents
    record = archiver.archive(number)
    manifest = archiver.read_manifest(number)
    by_type = {entry["jenis"]: entry["retensiHingga"] for entry in manifest["dokumen"]}
    assert by_type == {
        "SK_PEMBENTUKAN_LPSE": "2036-03-02",
        "PROFIL_LPSE": "2031-03-02",
        "DATA_PERSONIL_ADMIN_PPE": "2031-03-02",
        "KTP_ADMIN_PPE": "2028-03-02",
    }
    assert record.retention_until == date(2036, 3, 2)
    assert manifest["retensiHingga"] == "2036-03-02"
    actions = [step["tindakan"] for step in manifest["jejakKeputusan"]]
    assert actions[0] == "permohonan.diajukan"
    assert actions.count("dokumen.diterima") == 4
    assert actions[-1] == "keputusan.berkas-lengkap"


def test_archiving_twice_gives_the_same_archive(
    archiver: Archiver, store: Store, tmp_path: Path, request_with_documents: tuple[str, list[DocumentRecord]]
) -> None:
    """A retried job gets the recorded archive back: one file, one record, one audit entry."""
    number, _ = request_with_documents
    first = archiver.archive(number)
    assert archiver.archive(number) == first
    assert [path.name for path in (tmp_path / "arsip").rglob("*") if path.is_file()] == [Path(first.location).name]
    assert [e.action for e in store.audit_trail(number)].count("arsip.dibuat") == 1


def test_archive_of_selected_documents(
    archiver: Archiver, request_with_documents: tuple[str, list[DocumentRecord]]
) -> None:
    """Only the listed documents (the current `dokumenPermohonan`) are archived; a foreign id is refused."""
    number, records = request_with_documents
    with pytest.raises(ArchiveError, match="bukan milik"):
        archiver.archive(number, [records[0].id, "dokumen-lain"])
    record = archiver.archive(number, [records[0].id, records[3].id])
    assert record.document_count == 2
    assert [e["jenis"] for e in archiver.read_manifest(number)["dokumen"]] == ["SK_PEMBENTUKAN_LPSE", "KTP_ADMIN_PPE"]


def test_tampered_document_is_not_archived(
    archiver: Archiver,
    store: Store,
    documents: LocalDocumentStore,
    request_with_documents: tuple[str, list[DocumentRecord]],
) -> None:
    """A document that no longer matches its hash stops archiving; no archive is recorded and no file is left."""
    number, records = request_with_documents
    (documents.root / records[2].storage_key).write_bytes(b"diubah")
    with pytest.raises(DocumentIntegrityError):
        archiver.archive(number)
    assert store.get_archive(number) is None
    assert [path for path in (documents.root.parent / "arsip").rglob("*") if path.is_file()] == []


def test_tampered_archive_is_reported(
    archiver: Archiver, request_with_documents: tuple[str, list[DocumentRecord]]
) -> None:
    """An archive file changed after recording fails verification, also when the job is retried."""
    number, _ = request_with_documents
    record = archiver.archive(number)
    archiver.path_of(record).write_bytes(b"bukan arsip")
    with pytest.raises(ArchiveError, match="SHA-256"):
        archiver.verify(number)
    with pytest.raises(ArchiveError):
        archiver.archive(number)
    archiver.path_of(record).unlink()
    with pytest.raises(ArchiveError, match="tidak ditemukan"):
        archiver.verify(number)


def test_leftover_from_a_dead_run_is_removed(
    archiver: Archiver, tmp_path: Path, request_with_documents: tuple[str, list[DocumentRecord]]
) -> None:
    """A zip written by a run that died before recording it does not stay next to the recorded archive."""
    number, _ = request_with_documents
    leftover = tmp_path / "arsip" / "2026" / f"{archive_number_for(number)}-0123456789abcdef.zip"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"setengah jadi")
    record = archiver.archive(number)
    assert [path for path in (tmp_path / "arsip").rglob("*") if path.is_file()] == [archiver.path_of(record)]
