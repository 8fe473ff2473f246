"""`pbj engine --ekspor BERKAS` and `pbj engine --impor BERKAS`: a data directory's state to a file and a file to a
new data directory (engine/durable/transfer.py). Operators read the messages, so they are in formal Indonesian."""

import sys
from pathlib import Path

from engine.durable import DurableError
from engine.durable.transfer import export_data_dir, import_file


def run_export(data_dir: Path, target: Path) -> int:
    """Exit code 0 when the file was written, 1 (with the reason on stderr) when not."""
    try:
        summary = export_data_dir(data_dir, target)
    except DurableError as exc:
        print(f"Ekspor tidak dilakukan: {exc}", file=sys.stderr)
        return 1
    print(
        f"Status mesin proses di {data_dir} diekspor ke {summary.path} ({summary.size} bita): "
        f"{summary.process_instances} instans proses, {summary.active} masih berjalan. Direktori data tidak diubah. "
        f"Impor ke direktori data baru dengan: pbj engine --impor {summary.path} --data-dir DIREKTORI_BARU",
        flush=True,
    )
    return 0


def run_import(source: Path, data_dir: Path) -> int:
    """Exit code 0 when the data directory was made, 1 (with the reason on stderr) when not."""
    try:
        summary = import_file(source, data_dir)
    except DurableError as exc:
        print(f"Impor tidak dilakukan: {exc}", file=sys.stderr)
        return 1
    print(
        f"Berkas {source} diimpor ke direktori data baru {summary.path}: {summary.process_instances} instans proses, "
        f"{summary.active} masih berjalan. Jalankan mesin dengan: pbj engine --data-dir {summary.path}",
        flush=True,
    )
    return 0
