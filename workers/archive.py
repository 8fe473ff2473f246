"""One archive per request (SOP 1 row 8): a zip of the documents with a `manifest.json`, recorded in the store.

The manifest lists every document with its type, file name, media type, size, SHA-256 and retention date, the
decision trail (the request's audit trail) and the archive's retention date: the latest of its documents'
(`DOCUMENT_RETENTION`, `DOCUMENT_RETENTION_DEFAULT`). Documents are read through the document store, so a
tampered document stops the archiving instead of being archived. Archiving is idempotent: a request that has an
archive gets the recorded one back (after checking the file is intact), and two concurrent runs leave one record
and one file: each writes a file named after its own content, and files other than the recorded one are removed.
"""

import json
import os
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from workers.documents import DocumentStore, clean_file_name, sha256_hex
from workers.errors import ArchiveError
from workers.settings import RetentionPolicy
from workers.store import ArchiveRecord, AuditRecord, DocumentRecord, Store

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "pbj-arsip/1"


def archive_number_for(request_number: str) -> str:
    """The archive number (`nomorArsip`) of a request: `ARSIP-ADM-2026-000123`."""
    return f"ARSIP-{request_number}"


class Archiver:
    """Writes and checks the per-request archives under `archive_dir` (e.g. `<PBJ_DATA_DIR>/arsip`)."""

    def __init__(self, store: Store, documents: DocumentStore, archive_dir: Path, retention: RetentionPolicy) -> None:
        self._store = store
        self._documents = documents
        self._archive_dir = archive_dir
        self._retention = retention

    def path_of(self, record: ArchiveRecord) -> Path:
        """Where an archive's file is."""
        return self._archive_dir.joinpath(*record.location.split("/"))

    def archive(self, request_number: str, document_ids: Sequence[str] | None = None) -> ArchiveRecord:
        """Archive the request's documents (all, or those listed) once; later calls return the same archive."""
        existing = self._store.get_archive(request_number)
        if existing is not None:
            return self.verify(request_number)
        request = self._store.get_request(request_number)
        documents = self._select(request_number, document_ids)
        created_at = self._store.now()
        archived_on = created_at.astimezone(request.kind.timezone).date()
        retention_dates = {doc.id: self._retention.until(doc.document_type, archived_on) for doc in documents}
        retention_until = max(retention_dates.values(), default=self._retention.default.after(archived_on))
        manifest: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "nomorArsip": archive_number_for(request_number),
            "nomorPermohonan": request_number,
            "jenisPermohonan": request.kind.value,
            "dibuatPada": created_at.isoformat(),
            "retensiHingga": retention_until.isoformat(),
            "dokumen": [],
            "jejakKeputusan": [_trail_entry(event) for event in self._store.audit_trail(request_number)],
        }
        directory = self._archive_dir / str(archived_on.year)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self._write_zip(directory, documents, manifest, retention_dates, created_at)
        digest = sha256_hex(temporary.read_bytes())
        final = directory / f"{archive_number_for(request_number)}-{digest[:16]}.zip"
        os.replace(temporary, final)
        record, _ = self._store.record_archive(
            request_number,
            archive_number=archive_number_for(request_number),
            location=final.relative_to(self._archive_dir).as_posix(),
            sha256=digest,
            size=final.stat().st_size,
            document_count=len(documents),
            retention_until=retention_until,
        )
        for leftover in directory.glob(f"{archive_number_for(request_number)}-*.zip"):
            if leftover != self.path_of(record):  # lost a race, or left by a run that died before recording
                leftover.unlink(missing_ok=True)
        return record

    def verify(self, request_number: str) -> ArchiveRecord:
        """The request's archive record, after checking its file is present and unchanged (`ArchiveError` if not)."""
        record = self._store.get_archive(request_number)
        if record is None:
            raise ArchiveError(f"Permohonan {request_number} belum diarsipkan.")
        try:
            content = self.path_of(record).read_bytes()
        except FileNotFoundError:
            raise ArchiveError(f"Berkas arsip {record.archive_number} tidak ditemukan ({record.location}).") from None
        if sha256_hex(content) != record.sha256:
            raise ArchiveError(f"Berkas arsip {record.archive_number} tidak cocok dengan SHA-256 yang tercatat.")
        return record

    def read_manifest(self, request_number: str) -> dict[str, Any]:
        """The manifest of the request's (verified) archive."""
        record = self.verify(request_number)
        with zipfile.ZipFile(self.path_of(record)) as archive:
            manifest: dict[str, Any] = json.loads(archive.read(MANIFEST_NAME))
        return manifest

    def _select(self, request_number: str, document_ids: Sequence[str] | None) -> list[DocumentRecord]:
        documents = self._documents.list_documents(request_number)
        if document_ids is None:
            return documents
        by_id = {doc.id: doc for doc in documents}
        unknown = [doc_id for doc_id in document_ids if doc_id not in by_id]
        if unknown:
            raise ArchiveError(f"Dokumen {', '.join(unknown)} bukan milik permohonan {request_number}.")
        return [by_id[doc_id] for doc_id in dict.fromkeys(document_ids)]

    def _write_zip(
        self,
        directory: Path,
        documents: list[DocumentRecord],
        manifest: dict[str, Any],
        retention_dates: dict[str, date],
        created_at: datetime,
    ) -> Path:
        """Write the zip to a temporary file in `directory` (removed again on failure) and return its path."""
        timestamp = (created_at.year, created_at.month, created_at.day, created_at.hour, created_at.minute, 0)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".zip")
        path = Path(temporary)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for index, doc in enumerate(documents, start=1):
                        entry_name = f"dokumen/{index:02d}-{doc.document_type}-{clean_file_name(doc.file_name)}"
                        archive.writestr(_entry(entry_name, timestamp), self._documents.read(doc.id))
                        manifest["dokumen"].append(_document_entry(doc, entry_name, retention_dates[doc.id]))
                    body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                    archive.writestr(_entry(MANIFEST_NAME, timestamp), body)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path


def _entry(name: str, timestamp: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    """A compressed zip entry readable by the owner only, dated like the archive (reproducible bytes)."""
    info = zipfile.ZipInfo(name, timestamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def _document_entry(doc: DocumentRecord, name: str, retention_until: date) -> dict[str, Any]:
    return {
        "dokumenId": doc.id,
        "jenis": doc.document_type.value,
        "namaBerkas": doc.file_name,
        "tipe": doc.media_type,
        "ukuran": doc.size,
        "sha256": doc.sha256,
        "berkas": name,
        "diterimaPada": doc.created_at.isoformat(),
        "retensiHingga": retention_until.isoformat(),
    }


def _trail_entry(event: AuditRecord) -> dict[str, Any]:
    return {"waktu": event.at.isoformat(), "pelaku": event.actor, "tindakan": event.action, "rincian": event.detail}
