"""Durable mode's key sequence: keys are reserved in blocks recorded before they are handed out, so no key – not even
one taken by a command the disk refused – is handed out twice, across restarts; and what was refused is never visible
through the gateway or the REST API, before the restart or after."""

import json
from pathlib import Path

import aiohttp
import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.durable import DurableEngine, StorageError, open_durable_engine
from engine.durable.store import Store
from engine.state import keys as key_module
from engine.state.keys import RESERVATION_BLOCK, ReservedKeys
from engine.testing import EmbeddedEngine
from tests.engine.rest_helpers import items, problem
from tests.engine.rpc_helpers import rpc_error, stub
from tests.engine.test_durable_replay import CHILD


@pytest.fixture
def handed_out(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every key the durable engines of the test hand out in memory, in order (observed, not changed)."""
    seen: list[int] = []
    take = ReservedKeys.next

    def observed(self: ReservedKeys) -> int:
        key = take(self)
        seen.append(key)
        return key

    monkeypatch.setattr(ReservedKeys, "next", observed)
    return seen


async def _visible_keys(embedded: EmbeddedEngine) -> set[int]:
    """Every key of an instance, an element instance or a job that the REST API shows."""
    async with aiohttp.ClientSession(base_url=embedded.rest_url) as http:
        found: set[int] = set()
        for resource, field in (
            ("process-instances", "processInstanceKey"),
            ("element-instances", "elementInstanceKey"),
            ("jobs", "jobKey"),
            ("variables", "variableKey"),
        ):
            found |= {int(item[field]) for item in await items(http, resource, {"page": {"limit": 1000}})}
        return found


async def _not_found_over_rest(embedded: EmbeddedEngine, keys: list[int]) -> None:
    async with aiohttp.ClientSession(base_url=embedded.rest_url) as http:
        for key in keys:
            for path in (f"/v2/process-instances/{key}", f"/v2/element-instances/{key}"):
                async with http.get(path) as response:
                    await problem(response, 404)


async def test_disk_full_during_a_command_its_keys_are_never_handed_out_again_nor_visible(
    tmp_path: Path, handed_out: list[int]
) -> None:
    """The disk fills up while an instance is created over gRPC: the creation is refused, none of its keys is
    visible through REST or gRPC, and after the restart (disk freed) new instances get keys beyond every key the
    refused command had taken in memory – none of them is ever seen again."""
    data_dir = tmp_path / "mesin"
    async with EmbeddedEngine(data_dir=data_dir) as embedded:
        channel = grpc.aio.insecure_channel(embedded.address)
        gateway = stub(channel)
        await gateway.DeployResource(pb.DeployResourceRequest(resources=[pb.Resource(name="c.bpmn", content=CHILD)]))
        created = await gateway.CreateProcessInstance(
            pb.CreateProcessInstanceRequest(bpmnProcessId="child", version=-1, variables=json.dumps({"id": 1}))
        )
        acknowledged = int(created.processInstanceKey)
        before = len(handed_out)
        assert isinstance(embedded.engine, DurableEngine)
        db = embedded.engine._durable_store._db
        db.execute(f"PRAGMA max_page_count={db.execute('PRAGMA page_count').fetchone()[0]}")
        refused = await rpc_error(
            gateway.CreateProcessInstance(
                pb.CreateProcessInstanceRequest(
                    bpmnProcessId="child", version=-1, variables=json.dumps({"id": 2, "berkas": "x" * 20_000})
                )
            )
        )
        assert "disk is full" in (refused.details() or "")
        refused_keys = handed_out[before:]
        assert refused_keys, "the refused creation took keys in memory"
        assert {acknowledged} == set(embedded.engine.process_instances)
        assert not set(refused_keys) & await _visible_keys(embedded)
        await _not_found_over_rest(embedded, refused_keys)
        await channel.close(grace=None)

    async with EmbeddedEngine(data_dir=data_dir) as restarted:
        channel = grpc.aio.insecure_channel(restarted.address)
        gateway = stub(channel)
        assert list(restarted.engine.process_instances) == [acknowledged]
        await _not_found_over_rest(restarted, refused_keys)
        after = len(handed_out)
        for n in range(3):
            await gateway.CreateProcessInstance(
                pb.CreateProcessInstanceRequest(bpmnProcessId="child", version=-1, variables=json.dumps({"id": n}))
            )
        new_keys = handed_out[after:]
        assert new_keys and min(new_keys) > max(refused_keys)
        visible = await _visible_keys(restarted)
        assert not set(refused_keys) & visible
        assert set(new_keys) <= visible | {r.key for r in restarted.engine.records}
        recorded = {r.key for r in restarted.engine.records} | {
            r.process_instance_key for r in restarted.engine.records
        }
        assert not set(refused_keys) & recorded
        await channel.close(grace=None)


async def test_a_reservation_that_cannot_be_written_refuses_the_command_and_the_restart_skips_its_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, handed_out: list[int]
) -> None:
    """The disk fills up just when a command needs the next block of keys: the reservation is not written, so the
    command is refused before the key beyond the block is handed out, and later commands are refused with what to
    do; after the restart the keys continue after the block recorded last – past every key handed out."""
    monkeypatch.setattr(key_module, "RESERVATION_BLOCK", 5)
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    engine.deploy([("child.bpmn", CHILD)])
    acknowledged = engine.create_process_instance(bpmn_process_id="child", variables={"id": 1}).key
    real_set_meta = Store.set_meta

    def disk_full(self: Store, name: str, value: bytes) -> None:
        if name == "keys":
            raise StorageError(f"Data mesin tidak dapat disimpan ke direktori data {tmp_path}: disk is full.")
        real_set_meta(self, name, value)

    monkeypatch.setattr(Store, "set_meta", disk_full)
    reserved = engine.state.keys.reserved
    before = len(handed_out)
    assert reserved - engine.keys.last < 5  # a creation takes more keys than are left in the block
    with pytest.raises(StorageError, match="disk is full"):
        engine.create_process_instance(bpmn_process_id="child", variables={"id": 2})
    assert list(engine.process_instances) == [acknowledged]
    assert max(handed_out) == reserved  # no key beyond the recorded reservation was handed out
    taken = handed_out[before:]
    with pytest.raises(StorageError, match="jalankan ulang mesin"):
        engine.create_process_instance(bpmn_process_id="child", variables={"id": 99})
    engine.close()
    monkeypatch.setattr(Store, "set_meta", real_set_meta)
    recovered = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        assert acknowledged in recovered.process_instances
        created = recovered.create_process_instance(bpmn_process_id="child", variables={"id": 3}).key
        assert created > max(taken) and created > reserved
    finally:
        recovered.close()


def test_one_reservation_is_written_per_block_of_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reserving is cheap: one small write per RESERVATION_BLOCK keys, not one per key or per command."""
    writes: list[int] = []
    real_set_meta = Store.set_meta

    def counted(self: Store, name: str, value: bytes) -> None:
        if name == "keys":
            writes.append(int(value))
        real_set_meta(self, name, value)

    monkeypatch.setattr(Store, "set_meta", counted)
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        engine.deploy([("child.bpmn", CHILD)])
        for n in range(400):
            engine.create_process_instance(bpmn_process_id="child", variables={"id": n})
        taken = engine.keys.last - key_module.KEY_BASE
        assert taken > 2 * RESERVATION_BLOCK
        assert len(writes) == -(-taken // RESERVATION_BLOCK)  # the blocks the keys taken reach into
        assert writes == sorted(writes) and writes[-1] >= engine.keys.last
    finally:
        engine.close()
