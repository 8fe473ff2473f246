"""The local content-addressed document store: hashes, metadata, deduplication, size limit, tamper detection."""

import hashlib
from pathlib import Path

import pytest

from tests.workers.conftest import admin_ppe_request_data
from workers.documents import LocalDocumentStore, content_key
from workers.domain import DocumentType
from workers.errors import DocumentError, DocumentIntegrityError, DocumentTooLargeError, NotFoundError, is_transient
from workers.store import Store

PDF = b"%PDF-1.7\n% SK Pembentukan LPSE\n%%EOF\n"


@pytest.fixture
def documents(store: Store, tmp_path: Path) -> LocalDocumentStore:
    """A document store under tmp_path with a 1 KiB limit."""
    return LocalDocumentStore(tmp_path / "dokumen", store, max_size=1024)


@pytest.fixture
def number(store: Store) -> str:
    """The number of a fresh SOP 1 request."""
    return store.create_admin_ppe_request(admin_ppe_request_data()).number


def blob_files(root: Path) -> list[Path]:
    """Every content file under the store's root."""
    return [path for path in root.rglob("*") if path.is_file()]


def test_put_records_metadata_and_stores_content_by_hash(documents: LocalDocumentStore, number: str) -> None:
    """A stored document has type, cleaned file name, media type, size and SHA-256; its file is named by the hash."""
    digest = hashlib.sha256(PDF).hexdigest()
    record = documents.put(
        number,
        DocumentType.SK_PEMBENTUKAN_LPSE,
        file_name="C:\\Unduhan\\sk lpse.pdf",
        media_type="Application/PDF",
        content=PDF,
    )
    assert (record.document_type, record.file_name, record.media_type) == (
        DocumentType.SK_PEMBENTUKAN_LPSE,
        "sk lpse.pdf",
        "application/pdf",
    )
    assert (record.size, record.sha256, record.storage_key) == (len(PDF), digest, content_key(digest))
    assert (documents.root / "sha256" / digest[:2] / digest[2:4] / digest).read_bytes() == PDF
    assert documents.read(record.id) == PDF
    assert documents.metadata(record.id) == record
    assert documents.list_documents(number) == [record]
    assert record.as_variable() == {
        "jenis": "SK_PEMBENTUKAN_LPSE",
        "dokumenId": record.id,
        "sha256": digest,
        "ukuran": len(PDF),
        "tipe": "application/pdf",
    }


def test_equal_content_is_stored_once(documents: LocalDocumentStore, store: Store, number: str) -> None:
    """The same upload again returns the same record; the same bytes elsewhere get new metadata but no new file."""
    first = documents.put(
        number, DocumentType.PROFIL_LPSE, file_name="profil.pdf", media_type="application/pdf", content=PDF
    )
    again = documents.put(
        number, DocumentType.PROFIL_LPSE, file_name="profil.pdf", media_type="application/pdf", content=PDF
    )
    other_number = store.create_admin_ppe_request(admin_ppe_request_data()).number
    elsewhere = documents.put(
        other_number, DocumentType.PROFIL_LPSE, file_name="p.pdf", media_type="application/pdf", content=PDF
    )
    assert again == first
    assert elsewhere.id != first.id
    assert elsewhere.storage_key == first.storage_key
    assert len(blob_files(documents.root)) == 1
    assert [e.action for e in store.audit_trail(number)].count("dokumen.diterima") == 1


def test_changed_content_is_reported_not_served(documents: LocalDocumentStore, number: str) -> None:
    """A document whose file was altered fails read and verify with both hashes named."""
    record = documents.put(
        number,
        DocumentType.KTP_ADMIN_PPE,
        file_name="ktp.jpg",
        media_type="image/jpeg",
        content=b"\xff\xd8 foto KTP \xff\xd9",
    )
    (documents.root / record.storage_key).write_bytes(b"\xff\xd8 foto lain \xff\xd9")
    with pytest.raises(DocumentIntegrityError) as caught:
        documents.read(record.id)
    assert record.sha256 in str(caught.value)
    assert hashlib.sha256(b"\xff\xd8 foto lain \xff\xd9").hexdigest() in str(caught.value)
    assert not is_transient(caught.value)
    with pytest.raises(DocumentIntegrityError):
        documents.verify(record.id)


def test_missing_content_is_reported(documents: LocalDocumentStore, number: str) -> None:
    """A document whose file disappeared fails verify with an integrity error."""
    record = documents.put(
        number, DocumentType.PROFIL_LPSE, file_name="p.pdf", media_type="application/pdf", content=PDF
    )
    (documents.root / record.storage_key).unlink()
    with pytest.raises(DocumentIntegrityError, match="tidak ditemukan"):
        documents.verify(record.id)


def test_damaged_content_is_repaired_by_a_new_upload(documents: LocalDocumentStore, number: str) -> None:
    """Uploading the right bytes again rewrites a damaged content file, and reads work again."""
    record = documents.put(
        number, DocumentType.PROFIL_LPSE, file_name="p.pdf", media_type="application/pdf", content=PDF
    )
    (documents.root / record.storage_key).write_bytes(b"rusak")
    documents.put(number, DocumentType.PROFIL_LPSE, file_name="p.pdf", media_type="application/pdf", content=PDF)
    assert documents.read(record.id) == PDF


@pytest.mark.parametrize(
    ("content", "media_type", "error"),
    [
        (b"x" * 1025, "application/pdf", DocumentTooLargeError),
        (b"", "application/pdf", DocumentError),
        (PDF, "pdf", DocumentError),
    ],
)
def test_refused_uploads(
    documents: LocalDocumentStore, number: str, content: bytes, media_type: str, error: type[Exception]
) -> None:
    """Too large, empty or untyped uploads are refused permanently and nothing is stored."""
    with pytest.raises(error) as caught:
        documents.put(number, DocumentType.PROFIL_LPSE, file_name="p.pdf", media_type=media_type, content=content)
    assert not is_transient(caught.value)
    assert documents.list_documents(number) == []
    assert not documents.root.exists() or blob_files(documents.root) == []


def test_unknown_request_or_document(documents: LocalDocumentStore) -> None:
    """Documents of an unknown request are refused before anything is stored; an unknown id is NotFoundError."""
    with pytest.raises(NotFoundError):
        documents.put(
            "ADM-2026-999999", DocumentType.PROFIL_LPSE, file_name="p.pdf", media_type="application/pdf", content=PDF
        )
    assert not documents.root.exists()
    with pytest.raises(NotFoundError):
        documents.read("tidak-ada")
