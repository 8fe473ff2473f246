"""Conformance: Topology, the gRPC health service and the RPCs the embedded engine does not implement."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyzeebe import ZeebeClient
from pyzeebe.grpc_internals.types import TopologyResponse
from pyzeebe.proto import gateway_pb2 as pb

from engine.testing import EmbeddedEngine
from tests.engine.rpc_helpers import rpc_error, stub


async def test_topology_describes_one_healthy_leader_partition(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient
) -> None:
    """Topology answers a one-broker, one-partition cluster whose partition is a healthy leader."""
    topology = await zeebe_client.topology()
    assert topology.cluster_size == 1
    assert topology.partitions_count == 1
    assert topology.replication_factor == 1
    assert topology.gateway_version
    [broker] = topology.brokers
    assert broker.node_id == 0
    [partition] = broker.partitions
    assert partition.partition_id == 1
    partition_info = TopologyResponse.BrokerInfo.Partition
    assert partition.role == partition_info.PartitionBrokerRole.LEADER
    assert partition.health == partition_info.PartitionBrokerHealth.HEALTHY


async def test_topology_over_a_raw_stub_names_the_broker_address(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """The raw TopologyResponse carries the broker's host and the gateway version on every broker."""
    response = await stub(zeebe_channel).Topology(pb.TopologyRequest())
    [broker] = response.brokers
    assert broker.host == engine.address.rpartition(":")[0]
    assert broker.version == response.gatewayVersion


async def test_health_check_of_the_gateway_service_is_serving(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """The standard gRPC health service answers SERVING for `gateway_protocol.Gateway` and the server."""
    health = health_pb2_grpc.HealthStub(zeebe_channel)
    for service in ("gateway_protocol.Gateway", ""):
        response = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_check_of_an_unknown_service_is_not_found(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel
) -> None:
    """Asking the health service about a service that is not served answers NOT_FOUND."""
    health = health_pb2_grpc.HealthStub(zeebe_channel)
    error = await rpc_error(health.Check(health_pb2.HealthCheckRequest(service="no.such.Service")))
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_pyzeebe_healthcheck_reports_serving(engine: EmbeddedEngine, zeebe_client: ZeebeClient) -> None:
    """pyzeebe's own healthcheck (the one its workers use) sees the gateway as SERVING."""
    response = await zeebe_client.healthcheck()
    assert response.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize(
    ("rpc", "request_message", "named"),
    [
        ("ModifyProcessInstance", pb.ModifyProcessInstanceRequest(processInstanceKey=1), "ModifyProcessInstance"),
        (
            "MigrateProcessInstance",
            pb.MigrateProcessInstanceRequest(processInstanceKey=1),
            "MigrateProcessInstance",
        ),
        ("DeleteResource", pb.DeleteResourceRequest(resourceKey=1), "DeleteResource"),
    ],
)
async def test_rpcs_outside_the_embedded_engine_answer_unimplemented_with_a_sentence(
    engine: EmbeddedEngine, zeebe_channel: grpc.aio.Channel, rpc: str, request_message: object, named: str
) -> None:
    """RPCs the embedded engine does not serve answer UNIMPLEMENTED with a sentence naming the RPC."""
    error = await rpc_error(getattr(stub(zeebe_channel), rpc)(request_message))
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    assert named in (error.details() or "")
    assert "not implemented by the embedded engine" in (error.details() or "")
