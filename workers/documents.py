"""Document storage: content addressed by SHA-256, metadata (type, file name, media type, size, hash) in the store.

`DocumentStore` is what the workers use. `ContentAddressedDocumentStore` implements it over any `BlobStore` (bytes
by key: a local directory here; an S3 bucket maps onto the same four calls, keys `sha256/ab/cd/<hash>`), so equal
contents are kept once, and every read re-hashes the content: a changed or missing file is reported as
`DocumentIntegrityError`, never served. Methods are synchronous; async handlers call them via `asyncio.to_thread`.
"""

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from workers.domain import DocumentType
from workers.errors import (
    DocumentError,
    DocumentIntegrityError,
    DocumentStorageUnavailableError,
    DocumentTooLargeError,
)
from workers.settings import DEFAULT_DOCUMENT_MAX_SIZE
from workers.store import DocumentRecord, Store

_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class BlobStore(Protocol):
    """Bytes by key: the storage backend under a document store (a directory, an S3-compatible bucket)."""

    def put(self, key: str, content: bytes) -> None:
        """Store `content` under `key`, replacing what was there, atomically."""
        ...

    def get(self, key: str) -> bytes:
        """The content under `key`; `KeyError` if there is none."""
        ...

    def exists(self, key: str) -> bool:
        """Whether something is stored under `key`."""
        ...

    def delete(self, key: str) -> None:
        """Remove what is stored under `key`, if anything."""
        ...


class DocumentStore(Protocol):
    """Documents of requests: stored once per content, read back only when their SHA-256 still matches."""

    def put(
        self, request_number: str, document_type: DocumentType, *, file_name: str, media_type: str, content: bytes
    ) -> DocumentRecord:
        """Store a document of a request and record its metadata (idempotent for equal content and type)."""
        ...

    def metadata(self, document_id: str) -> DocumentRecord:
        """A document's metadata."""
        ...

    def list_documents(self, request_number: str) -> list[DocumentRecord]:
        """Every document of a request."""
        ...

    def read(self, document_id: str) -> bytes:
        """A document's content, verified against its recorded SHA-256."""
        ...

    def verify(self, document_id: str) -> DocumentRecord:
        """Check that a document's content is present and unchanged; raise `DocumentIntegrityError` if not."""
        ...


def sha256_hex(content: bytes) -> str:
    """The SHA-256 of `content` as 64 lowercase hex digits."""
    return hashlib.sha256(content).hexdigest()


def content_key(sha256: str) -> str:
    """The storage key of content with this SHA-256: `sha256/ab/cd/abcd…`."""
    if not _HEX64.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def clean_file_name(file_name: str) -> str:
    """The file name without directories or control characters, at most 255 characters, never empty."""
    name = _UNSAFE_NAME_CHARS.sub("_", file_name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return (name or "dokumen")[-255:]


class ContentAddressedDocumentStore:
    """`DocumentStore` over a `BlobStore` keyed by content hash, with metadata in the application store."""

    def __init__(self, blobs: BlobStore, store: Store, *, max_size: int = DEFAULT_DOCUMENT_MAX_SIZE) -> None:
        self._blobs = blobs
        self._store = store
        self._max_size = max_size

    def put(
        self, request_number: str, document_type: DocumentType, *, file_name: str, media_type: str, content: bytes
    ) -> DocumentRecord:
        """Store a document of a request and record its metadata (idempotent for equal content and type)."""
        if not content:
            raise DocumentError("Dokumen kosong tidak dapat disimpan.")
        if len(content) > self._max_size:
            raise DocumentTooLargeError(f"Ukuran dokumen {len(content)} bita melebihi batas {self._max_size} bita.")
        media_type = media_type.strip().lower()
        if not _MEDIA_TYPE.match(media_type):
            raise DocumentError(f"Tipe media {media_type!r} tidak sah.")
        self._store.get_request(request_number)  # an unknown request stores nothing
        digest = sha256_hex(content)
        key = content_key(digest)
        if not self._holds(key, digest):
            self._put_blob(key, content)
        return self._store.add_document(
            request_number,
            document_type,
            file_name=clean_file_name(file_name),
            media_type=media_type,
            size=len(content),
            sha256=digest,
            storage_key=key,
        )

    def metadata(self, document_id: str) -> DocumentRecord:
        """A document's metadata."""
        return self._store.get_document(document_id)

    def list_documents(self, request_number: str) -> list[DocumentRecord]:
        """Every document of a request."""
        return self._store.list_documents(request_number)

    def read(self, document_id: str) -> bytes:
        """A document's content, verified against its recorded SHA-256."""
        return self._read_verified(self._store.get_document(document_id))

    def verify(self, document_id: str) -> DocumentRecord:
        """Check that a document's content is present and unchanged; raise `DocumentIntegrityError` if not."""
        record = self._store.get_document(document_id)
        self._read_verified(record)
        return record

    def _read_verified(self, record: DocumentRecord) -> bytes:
        try:
            content = self._blobs.get(record.storage_key)
        except KeyError:
            raise DocumentIntegrityError(
                f"Isi dokumen {record.id} ({record.document_type}) tidak ditemukan di penyimpanan."
            ) from None
        except OSError as exc:
            raise DocumentStorageUnavailableError(f"Penyimpanan dokumen tidak dapat dibaca: {exc.strerror}") from exc
        actual = sha256_hex(content)
        if actual != record.sha256 or len(content) != record.size:
            raise DocumentIntegrityError(
                f"Isi dokumen {record.id} ({record.document_type}) tidak cocok dengan catatannya: "
                f"SHA-256 tercatat {record.sha256}, ditemukan {actual}."
            )
        return content

    def _holds(self, key: str, digest: str) -> bool:
        """Whether the intact content is already stored (a damaged copy is overwritten by the caller)."""
        try:
            return self._blobs.exists(key) and sha256_hex(self._blobs.get(key)) == digest
        except KeyError:
            return False
        except OSError as exc:
            raise DocumentStorageUnavailableError(f"Penyimpanan dokumen tidak dapat dibaca: {exc.strerror}") from exc

    def _put_blob(self, key: str, content: bytes) -> None:
        try:
            self._blobs.put(key, content)
        except OSError as exc:
            raise DocumentStorageUnavailableError(f"Dokumen tidak dapat disimpan: {exc.strerror}") from exc


class LocalBlobStore:
    """`BlobStore` in a local directory: one file per key, written atomically, readable by the owner only."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"invalid blob key {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, content: bytes) -> None:
        """Store `content` under `key`, replacing what was there, atomically."""
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
            try:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            except BaseException:
                handle.close()
                os.unlink(handle.name)
                raise
        os.replace(handle.name, path)

    def get(self, key: str) -> bytes:
        """The content under `key`; `KeyError` if there is none."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        """Whether something is stored under `key`."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove what is stored under `key`, if anything."""
        self._path(key).unlink(missing_ok=True)


class LocalDocumentStore(ContentAddressedDocumentStore):
    """The default document store: content files under `root` (e.g. `<PBJ_DATA_DIR>/dokumen`), metadata in `store`."""

    def __init__(self, root: Path, store: Store, *, max_size: int = DEFAULT_DOCUMENT_MAX_SIZE) -> None:
        super().__init__(LocalBlobStore(root), store, max_size=max_size)
        self.root = root
