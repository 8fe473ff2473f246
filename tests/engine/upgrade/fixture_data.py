"""Reading the upgrade tests' fixtures: a fresh copy of a fixture's data directory for one test (the engine that
opens it writes to it), and an instance found by its `nomorPermohonan`."""

import shutil
from pathlib import Path

from engine.durable import DurableEngine


def copy_fixture(fixture: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(fixture, target)
    return target


def instance_numbered(engine: DurableEngine, number: str) -> int:
    """The key of the process instance whose `nomorPermohonan` is `number`."""
    return next(
        pi.key
        for pi in engine.process_instances.values()
        if engine.element_instance(pi.key).variables["nomorPermohonan"] == number  # type: ignore[union-attr]
    )
