"""Export and import: a data directory's state as one file, and that file as a new data directory.

The supported path for a data directory this release cannot (or the operator does not want to) migrate in place:
`pbj engine --ekspor BERKAS --data-dir DIR` writes the state of a stopped engine's directory – of this format, or
of format 1 read by the migration reader – and `pbj engine --impor BERKAS --data-dir DIR_BARU` makes a new data
directory of it. The source directory is only read.

The export file is one JSON document (EXPORT_KIND, EXPORT_FORMAT):

    {"document": "pbj-engine-export", "format": 1, "snapshot_format": 3, "data_format": <of the source>,
     "exported_at": "<ISO 8601, UTC>", "sha256": "<hex of the content as written>",
     "content": {"state": <the snapshot document, engine/durable/snapshot.py, holding the archive itself>,
                 "history": [<the history's sealed chunks>], "clock": [pinned, offset µs] | null,
                 "steps": [<steps a command left for a later turn, engine/durable/steps.py>]}}

`content` is written canonically (compact JSON, ASCII escapes), so reading the file and writing `content` again
gives the bytes its sha256 was taken of: a damaged or edited file is refused. A later release that changes the
snapshot document reads this one through its snapshot migrations and writes a higher `snapshot_format`; a file of
a format this release does not know is refused, naming the format. The key sequence exported is the end of the
source's last reserved block, so the new directory never hands out a key the old one may have handed out.

An import is built in a hidden directory next to the target and renamed into place when complete and read back,
so the target is either untouched or a complete data directory.
"""

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.durable import archive, migrations, snapshot
from engine.durable.archive import ArchiveMark
from engine.durable.engine import CLOCK_META, DurableEngine
from engine.durable.errors import DurableError
from engine.durable.steps import StepCodecError, decode_queue, encode_queue
from engine.durable.store import Store
from engine.engine import Engine
from engine.errors import EngineError
from engine.events.codec import decode_optional, dumps, encode_instant
from engine.state.engine_state import EngineState
from engine.state.history import RECORD_WIDTH
from engine.state.keys import KEY_BASE

EXPORT_KIND = "pbj-engine-export"
EXPORT_FORMAT = 1


class TransferError(DurableError):
    """An export or import that cannot be done; nothing was changed (the message says why, for the operator)."""


@dataclass(frozen=True)
class Summary:
    """What an export wrote or an import made."""

    path: Path
    process_instances: int
    active: int
    size: int  # bytes of the export file


# ====================================================================== export
def export_data_dir(data_dir: Path, target: Path) -> Summary:
    """Writes the state of the (stopped) engine's data directory to `target`, a new file."""
    if target.exists():
        raise _exists(target)
    store = Store(data_dir, create=False)  # refuses a directory in use, of a newer format, or not an engine's
    try:
        engine = DurableEngine(store, controlled_clock=True, read_only=True)
        content = {
            "state": snapshot.encode_state(engine.state),
            "history": [snapshot.encode_chunk(chunk) for chunk in engine.state.history.chunks],
            "clock": engine.saved_clock(),
            "steps": encode_queue(engine._steps),
        }
        data_format = store.format
    finally:
        store.close()
    body = _canonical(content)
    header = {
        "document": EXPORT_KIND,
        "format": EXPORT_FORMAT,
        "snapshot_format": snapshot.SNAPSHOT_FORMAT,
        "data_format": data_format,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    document = _canonical(header)[:-1] + b',"content":' + body + b"}"
    _write_new(target, document)
    return _summary(target, engine.state, len(document))


def _exists(target: Path) -> TransferError:
    return TransferError(f"Berkas {target} sudah ada; ekspor tidak menimpa berkas. Pilih nama berkas lain.")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode("ascii")


def _write_new(target: Path, data: bytes) -> None:
    """Writes the file completely (fsynced) under a temporary name, then links it to `target`, which must not exist
    yet: a crash leaves no half-written export behind under its name, and no file is overwritten."""
    try:
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".sementara")
    except OSError as exc:
        raise TransferError(f"Berkas ekspor {target} tidak dapat dibuat: {exc.strerror}.") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.link(temporary, target)
    except FileExistsError:
        raise _exists(target) from None
    except OSError as exc:
        raise TransferError(f"Berkas ekspor {target} tidak dapat ditulis: {exc.strerror}.") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _summary(path: Path, state: EngineState, size: int) -> Summary:
    instances = state.instances.process_instances.values()
    return Summary(path, len(instances), sum(1 for pi in instances if pi.state == "ACTIVE"), size)


# ====================================================================== import
def import_file(source: Path, data_dir: Path) -> Summary:
    """Makes a new data directory `data_dir` (absent or empty) of an export file."""
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise TransferError(f"Berkas ekspor {source} tidak dapat dibaca: {exc.strerror}.") from None
    content = _read_document(source, raw)
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise TransferError(
            f"Direktori data {data_dir} tidak kosong; impor hanya dilakukan ke direktori data baru yang kosong, "
            "agar tidak ada data yang tertimpa. Pilih direktori lain (misalnya --data-dir DIREKTORI_BARU)."
        )
    state = _decoded(source, content)
    try:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        building = data_dir.parent / f".{data_dir.name}.impor-{secrets.token_hex(4)}"
        building.mkdir()
    except OSError as exc:
        raise TransferError(f"Direktori data {data_dir} tidak dapat dibuat: {exc.strerror}.") from None
    try:
        _write_data_dir(building, state, content)
        _read_back(building, state)
        if data_dir.exists():
            data_dir.rmdir()  # empty (checked above)
        building.rename(data_dir)
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise TransferError(f"Direktori data {data_dir} tidak dapat ditulis: {exc.strerror}.") from None
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return _summary(data_dir, state, len(raw))


def _read_document(source: Path, raw: bytes) -> dict[str, Any]:
    """The export's content, after its kind, formats and checksum were checked."""
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise TransferError(
            f"Berkas {source} bukan berkas ekspor mesin proses yang utuh (JSON tidak terbaca: {exc}); berkas mungkin "
            "terpotong atau rusak. Ekspor ulang dari direktori data asalnya."
        ) from None
    if not isinstance(document, dict) or document.get("document") != EXPORT_KIND:
        raise TransferError(f"Berkas {source} bukan berkas ekspor mesin proses (pbj engine --ekspor).")
    export_format, snapshot_format = document.get("format"), document.get("snapshot_format")
    for name, found, known in (
        ("format ekspor", export_format, EXPORT_FORMAT),
        ("format snapshot", snapshot_format, snapshot.SNAPSHOT_FORMAT),
    ):
        if not isinstance(found, int) or isinstance(found, bool) or found < 1:
            raise TransferError(f"Berkas {source} memakai {name} yang tidak dikenal ({found!r}).")
        if found > known:
            raise TransferError(
                f"Berkas {source} ditulis oleh versi pbj yang lebih baru ({name} {found}; versi ini membaca sampai "
                f"{known}). Impor dengan versi pbj yang mengekspornya atau yang lebih baru."
            )
        if found != known and not (name == "format snapshot" and found == migrations.SNAPSHOT_FORMAT_2):
            raise TransferError(
                f"Berkas {source} memakai {name} {found}, yang tidak dapat dibaca versi ini (hanya {known})."
            )
    content = document.get("content")
    try:
        digest = hashlib.sha256(_canonical(content)).hexdigest()
    except (ValueError, RecursionError):  # a value JSON cannot hold (NaN), a nesting too deep to write again
        digest = None
    if not isinstance(content, dict) or document.get("sha256") != digest:
        raise TransferError(
            f"Isi berkas {source} tidak cocok dengan checksum-nya: berkas rusak atau telah diubah. Ekspor ulang dari "
            "direktori data asalnya."
        )
    return content


def _decoded(source: Path, content: dict[str, Any]) -> EngineState:
    """The exported state, read into the stores (every process parsed again): a document this release cannot read
    is refused before anything is written."""
    reader = Engine()
    state = reader.state
    try:
        _check_shape(content)
        state.history.chunks = [snapshot.decode_chunk(chunk) for chunk in content["history"]]
        snapshot.decode_state(content["state"], state, reader._load_model)
        decode_queue(reader._steps, state, content["steps"])
        clock = content["clock"]
        if clock is not None:
            pinned, offset = clock
            decode_optional(pinned)
            if not isinstance(offset, int):
                raise TypeError(f"clock offset {offset!r}")
    except (LookupError, TypeError, ValueError, AttributeError, StopIteration, RecursionError, snapshot.SnapshotError,
            StepCodecError, EngineError) as exc:  # fmt: skip
        reason = "proses yang tercatat tidak ada di sumber dayanya" if isinstance(exc, StopIteration) else exc
        raise TransferError(
            f"Isi berkas {source} tidak dapat dibaca sebagai status mesin proses ({type(exc).__name__}: {reason}). "
            "Ekspor ulang dari direktori data asalnya."
        ) from None
    return state


def _check_shape(content: dict[str, Any]) -> None:
    """What decoding would take without a complaint but the engine could not run on: the key sequence and the
    history's record layout."""
    keys = content["state"]["keys"]
    if not isinstance(keys, int) or isinstance(keys, bool) or not KEY_BASE <= keys < 1 << 63:
        raise ValueError(f"the key sequence {keys!r} is no Zeebe key")
    for fields in [*content["history"], content["state"]["history"]["open"]]:
        if not isinstance(fields, list) or len(fields) % RECORD_WIDTH:
            raise ValueError("a part of the history does not hold whole records")


def _write_data_dir(data_dir: Path, state: EngineState, content: dict[str, Any]) -> None:
    """The state as the snapshot of a new data directory (with the steps left pending, if any, as its one log
    entry), the clock, and the key reservation the exported sequence ends at."""
    store = Store(data_dir)
    try:
        chunks = [dumps(chunk).encode() for chunk in content["history"]]
        archived, sealed = archive.seal(state, ArchiveMark())
        document = dumps(snapshot.encode_state(state, sealed)).encode()
        store.save_snapshot(document, 0, chunks, 0, (archived,) if archived is not None else ())
        if content["steps"]:
            store.append(
                dumps(
                    {"c": "impor", "t": encode_instant(datetime.now(UTC)), "k": state.keys.last, "e": [],
                     "q": content["steps"]}
                ).encode()
            )  # fmt: skip
        if content["clock"] is not None:
            store.set_meta(CLOCK_META, dumps(content["clock"]).encode())
    finally:
        store.close()


def _read_back(data_dir: Path, expected: EngineState) -> None:
    """Opens the new data directory as an engine would and compares the state it recovers with the one imported."""
    store = Store(data_dir, create=False)
    try:
        engine = DurableEngine(store, controlled_clock=True, read_only=True)
        if snapshot.encode_state(engine.state) != snapshot.encode_state(expected):
            raise TransferError(f"Direktori data {data_dir} yang dibuat tidak memuat status yang diimpor.")
    finally:
        store.close()
