"""The supported path for a data directory that is not migrated in place: `pbj engine --ekspor BERKAS` writes its
state as the versioned JSON snapshot document (the source only read), `pbj engine --impor BERKAS` makes a new data
directory of it, and the engine started there finishes the instances. Whatever is refused – a non-empty target, a
file of a newer or unknown format, a damaged file, an existing export file, a directory in use – is refused with one
clear message and changes nothing."""

import asyncio
import base64
import hashlib
import json
import re
import shlex
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.durable import DataDirLockedError, IncompatibleDataDirError, open_durable_engine
from engine.durable.snapshot import SNAPSHOT_FORMAT
from engine.durable.store import DATABASE_NAME
from engine.durable.transfer import EXPORT_FORMAT, TransferError, export_data_dir, import_file
from engine.durable.verify import full_state
from pbj.cli import build_parser, main
from tests.engine.test_durable_replay import CHILD, ENDLESS, WORKLOAD_START, jobs_of, workload
from tests.engine.upgrade.test_upgrade_v1 import FIXTURE, _format, assert_as_written, finish_waiting


def _digest(directory: Path) -> dict[str, str]:
    """The content of every file of a directory but the lock file (which holds the pid of whoever opened it)."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
        if path.name != "engine.lock"
    }


@pytest.fixture
def v1_dir(tmp_path: Path) -> Path:
    target = tmp_path / "lama"
    shutil.copytree(FIXTURE, target)
    return target


def test_the_previous_release_s_directory_exported_and_imported_finishes_its_instances(
    v1_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A clean format-1 directory is exported through the migration reader without being changed; the new
    directory made of the file starts with every instance where it waited, and they finish."""
    before = _digest(v1_dir)
    export = tmp_path / "ekspor.json"
    assert main(["engine", "--ekspor", str(export), "--data-dir", str(v1_dir)]) == 0
    assert "7 instans proses, 5 masih berjalan" in capsys.readouterr().out
    assert _digest(v1_dir) == before and _format(v1_dir) == 1
    document = json.loads(export.read_bytes())
    assert (document["document"], document["format"], document["data_format"]) == ("pbj-engine-export", 1, 1)
    assert document["content"]["state"]["format"] == document["snapshot_format"] == SNAPSHOT_FORMAT

    new_dir = tmp_path / "baru"
    assert main(["engine", "--impor", str(export), "--data-dir", str(new_dir)]) == 0
    out = capsys.readouterr().out
    assert f"pbj engine --data-dir {new_dir}" in out
    engine = open_durable_engine(new_dir, controlled_clock=True)
    try:
        assert_as_written(engine)
        finish_waiting(engine)
    finally:
        engine.close()


async def test_a_live_directory_exported_and_imported_has_the_same_state_and_goes_on(tmp_path: Path) -> None:
    """A format-2 directory with a workload of every kind of command (timers, messages, incidents, user tasks, call
    activities, job streams, a controlled clock): the imported directory recovers exactly the state, the history
    and the clock; its key sequence goes on after the source's reserved block; its waiting instances finish."""
    source = tmp_path / "mesin"
    engine = open_durable_engine(source, controlled_clock=True)
    workload(engine, lambda: None)
    engine.deploy([("child.bpmn", CHILD)])
    waiting = [engine.create_process_instance(bpmn_process_id="child", variables={"id": n}).key for n in range(3)]
    expected = full_state(engine)
    reserved = engine.state.keys.reserved
    engine.close(snapshot=False)  # as if killed: the export applies the log
    export = tmp_path / "mesin.json"
    summary = export_data_dir(source, export)
    assert summary.process_instances == len(expected["process_instances"])

    target = tmp_path / "kosong"
    target.mkdir()  # an empty directory may be the target
    import_file(export, target)
    imported = open_durable_engine(target, controlled_clock=True)
    try:
        assert imported.now() == expected["clock"]
        actual = full_state(imported)
        for name in expected:
            assert actual[name] == expected[name], name
        for job in imported.activate_jobs("child-work", "w", 60_000, 10, []):
            imported.complete_job(job.job.key, {})
        assert [imported.process_instances[key].state for key in waiting] == ["COMPLETED"] * 3
        assert jobs_of(imported, "child-work") == []
        last_position = expected["history"][-1][0]
        created = [r.key for r in imported.records if r.position > last_position and r.intent == "ELEMENT_ACTIVATING"]
        assert created and min(created) > reserved  # after every key the source may have handed out
    finally:
        imported.close()


async def test_steps_a_command_left_for_later_are_carried_over(tmp_path: Path) -> None:
    """An instance looping without a wait state runs in turns; exported in the middle, the imported engine resumes
    the loop where it was, and it can be cancelled there."""
    source = tmp_path / "mesin"
    engine = open_durable_engine(source, controlled_clock=True)
    engine.clock.pin(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    engine.deploy([("endless.bpmn", ENDLESS)])
    looping = engine.create_process_instance(bpmn_process_id="endless").key
    await asyncio.sleep(0)
    assert engine.steps_deferred
    expected = full_state(engine)
    engine.close()
    export_data_dir(source, tmp_path / "mesin.json")
    import_file(tmp_path / "mesin.json", tmp_path / "baru")
    imported = open_durable_engine(tmp_path / "baru", controlled_clock=True)
    try:
        assert full_state(imported)["history"] == expected["history"]
        assert imported.steps_deferred
        for _ in range(2):
            await asyncio.sleep(0)
        assert imported.records[-1].position > expected["history"][-1][0]
        imported.cancel_process_instance(looping)
        for _ in range(3):
            await asyncio.sleep(0)
        assert imported.process_instances[looping].state == "TERMINATED"
    finally:
        imported.close()


# ---------------------------------------------------------------------- refusals
@pytest.fixture
def export(tmp_path: Path) -> Path:
    """An export of a small live directory."""
    engine = open_durable_engine(tmp_path / "asal", controlled_clock=True)
    engine.clock.pin(WORKLOAD_START)
    engine.deploy([("child.bpmn", CHILD)])
    engine.create_process_instance(bpmn_process_id="child", variables={"id": 1, "catatan": "ä ✓ 😀"})
    engine.close()
    path = tmp_path / "asal.json"
    export_data_dir(tmp_path / "asal", path)
    return path


def _rewritten(path: Path, change: dict[str, object]) -> Path:
    document = json.loads(path.read_bytes())
    document.update(change)
    changed = path.with_name("diubah.json")
    changed.write_text(json.dumps(document), encoding="utf-8")
    return changed


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".impor-" in p.name or p.name.endswith(".sementara")]


def test_an_import_into_a_directory_that_is_not_empty_is_refused(export: Path, tmp_path: Path) -> None:
    target = tmp_path / "terisi"
    target.mkdir()
    (target / "catatan.txt").write_text("milik operator")
    with pytest.raises(TransferError, match="tidak kosong"):
        import_file(export, target)
    assert [p.name for p in target.iterdir()] == ["catatan.txt"]
    with pytest.raises(TransferError, match="tidak kosong"):
        import_file(export, tmp_path / "asal")  # a live data directory, too
    assert not _leftovers(tmp_path)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"format": EXPORT_FORMAT + 1}, "versi pbj yang lebih baru (format ekspor 2"),
        ({"snapshot_format": SNAPSHOT_FORMAT + 1}, f"versi pbj yang lebih baru (format snapshot {SNAPSHOT_FORMAT + 1}"),
        ({"format": "satu"}, "format ekspor yang tidak dikenal"),
        ({"snapshot_format": 1}, "format snapshot 1, yang tidak dapat dibaca"),
        ({"document": "something-else"}, "bukan berkas ekspor mesin proses"),
    ],
)
def test_a_file_of_a_newer_or_unknown_format_is_refused(
    export: Path, tmp_path: Path, change: dict[str, object], said: str
) -> None:
    target = tmp_path / "baru"
    with pytest.raises(TransferError, match=said.replace("(", r"\(")):
        import_file(_rewritten(export, change), target)
    assert not target.exists() and not _leftovers(tmp_path)


def test_a_damaged_file_is_refused(export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Truncated (a copy that stopped halfway), edited (a value changed, the checksum kept), or emptied: refused with
    what to do, through the command too (exit code 1, the reason on stderr), and no directory is made."""
    data = export.read_bytes()
    truncated = tmp_path / "terpotong.json"
    truncated.write_bytes(data[: len(data) // 2])
    target = tmp_path / "baru"
    assert main(["engine", "--impor", str(truncated), "--data-dir", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Impor tidak dilakukan:") and "terpotong atau rusak" in err
    document = json.loads(data)
    document["content"]["state"]["keys"] -= 5
    edited = tmp_path / "diedit.json"
    edited.write_text(json.dumps(document))
    with pytest.raises(TransferError, match="checksum"):
        import_file(edited, target)
    document["content"] = {"state": {}, "history": [], "clock": None, "steps": []}
    document["sha256"] = hashlib.sha256(
        json.dumps(document["content"], separators=(",", ":")).encode("ascii")
    ).hexdigest()  # consistent, but no state in it
    hollow = tmp_path / "kosong.json"
    hollow.write_text(json.dumps(document))
    with pytest.raises(TransferError, match="tidak dapat dibaca sebagai status mesin proses"):
        import_file(hollow, target)
    with pytest.raises(TransferError, match="tidak dapat dibaca"):
        import_file(tmp_path / "tidak-ada.json", target)
    assert not target.exists() and not _leftovers(tmp_path)


def test_an_export_refuses_to_overwrite_a_file_a_directory_in_use_and_what_is_no_data_directory(
    export: Path, tmp_path: Path
) -> None:
    before = export.read_bytes()
    with pytest.raises(TransferError, match="sudah ada"):
        export_data_dir(tmp_path / "asal", export)
    assert export.read_bytes() == before
    running = open_durable_engine(tmp_path / "asal", controlled_clock=True)
    try:
        with pytest.raises(DataDirLockedError, match="sedang dipakai"):
            export_data_dir(tmp_path / "asal", tmp_path / "lain.json")
    finally:
        running.close()
    with pytest.raises(IncompatibleDataDirError, match="bukan direktori data mesin proses"):
        export_data_dir(tmp_path / "tidak-ada", tmp_path / "lain.json")
    assert not (tmp_path / "tidak-ada").exists() and not (tmp_path / "lain.json").exists()
    assert not _leftovers(tmp_path)


def test_an_unmigratable_directory_is_refused_naming_the_supported_path(
    v1_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A format-1 directory whose log still holds commands is neither started, migrated nor exported; the message
    says what to do – the old release's clean stop, then this release's start or export and import – as commands
    `pbj engine` takes."""
    with sqlite3.connect(v1_dir / DATABASE_NAME) as db:
        db.execute("INSERT INTO log (seq, entry) VALUES (22, x'00')")
    db.close()
    before = _digest(v1_dir)
    export = tmp_path / "ekspor.json"
    assert main(["engine", "--ekspor", str(export), "--data-dir", str(v1_dir)]) == 1
    err = capsys.readouterr().err
    assert "hentikan dengan bersih" in err
    assert f"`pbj engine --ekspor BERKAS --data-dir {v1_dir}`" in err
    assert "`pbj engine --impor BERKAS --data-dir DIREKTORI_BARU`" in err
    assert not export.exists() and _digest(v1_dir) == before
    for named in re.findall(r"`pbj ([^`]+)`", err):  # each one a command `pbj` takes as written
        build_parser().parse_args(shlex.split(named))


def test_the_readme_s_export_and_import_commands_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's "Export and import" block, run line by line in a checkout's place (its relative paths): the
    export and the import succeed, and the start line names the directory the import made, which opens with the
    instances of the source."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("**Export and import.**") :].split("```")[1]
    lines = [shlex.split(line) for line in block.strip().splitlines()]
    assert [line[:3] for line in lines] == [[".venv/bin/pbj", "engine", "--ekspor"], [".venv/bin/pbj", "engine",
            "--impor"], [".venv/bin/pbj", "engine", "--data-dir"]]  # fmt: skip
    monkeypatch.chdir(tmp_path)
    engine = open_durable_engine(Path(".data/mesin"), controlled_clock=True)
    engine.deploy([("child.bpmn", CHILD)])
    created = engine.create_process_instance(bpmn_process_id="child", variables={"id": 1}).key
    engine.close()
    for line in lines[:2]:
        assert main(line[1:]) == 0, capsys.readouterr().err
    started = Path(lines[2][lines[2].index("--data-dir") + 1])
    assert str(started) in capsys.readouterr().out  # the import's message names the start command's directory
    imported = open_durable_engine(started, controlled_clock=True)
    try:
        assert list(imported.process_instances) == [created]
    finally:
        imported.close()


def _set(path: list[object], value: object) -> Callable[[dict[str, Any]], None]:
    def change(content: dict[str, Any]) -> None:
        where: Any = content
        for step in path[:-1]:
            where = where[step]
        where[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (_set(["state", "processes", 0, 1], "lain"), "proses yang tercatat tidak ada di sumber dayanya"),
        (_set(["state", "processes", 0, 7], base64.b64encode(b"<bukan-bpmn/>").decode()), "InvalidArgumentError"),
        (_set(["state", "elements", 0, 5], "BUKAN_JENIS"), "is not a valid Kind"),
        (_set(["state", "keys"], "x"), "no Zeebe key"),
        (_set(["state", "keys"], -1), "no Zeebe key"),
        (_set(["history"], [[1, 2]]), "whole records"),
        (_set(["steps"], [["bukan_langkah", []]]), "unknown step"),
        (_set(["clock"], [1, 2, 3]), "too many values"),
    ],
    ids=["process-id", "resource", "element-kind", "keys", "negative-keys", "history", "steps", "clock"],
)
def test_a_consistent_file_whose_state_this_release_cannot_run_is_refused(
    export: Path, tmp_path: Path, change: Callable[[dict[str, Any]], None], said: str
) -> None:
    """Edited by hand with the checksum computed again: still refused, before anything is written."""
    document = json.loads(export.read_bytes())
    change(document["content"])
    document["sha256"] = hashlib.sha256(
        json.dumps(document["content"], separators=(",", ":")).encode("ascii")
    ).hexdigest()
    edited = tmp_path / "diedit.json"
    edited.write_text(json.dumps(document))
    target = tmp_path / "baru"
    with pytest.raises(TransferError, match=re.escape(said)):
        import_file(edited, target)
    assert not target.exists() and not _leftovers(tmp_path)
