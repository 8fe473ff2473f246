"""Conformance: PublishMessage – correlation, TTL buffering under the controlled clock, messageId de-duplication
and Zeebe's message cardinality (once per process)."""

import json
from datetime import timedelta
from typing import Any

import grpc
import pytest
from pyzeebe import ZeebeClient
from pyzeebe.errors import MessageAlreadyExistsError
from pyzeebe.proto import gateway_pb2 as pb

from engine.testing import EmbeddedEngine
from tests.engine.rpc_helpers import create, receive_task_process, rpc_error


@pytest.fixture
def waiting(engine: EmbeddedEngine) -> None:
    engine.engine.deploy([("wait.bpmn", receive_task_process())])


async def publish(
    gateway: Any,
    correlation_key: str,
    *,
    name: str = "payment-received",
    ttl_ms: int = 0,
    message_id: str = "",
    variables: dict[str, Any] | None = None,
) -> pb.PublishMessageResponse:
    response: pb.PublishMessageResponse = await gateway.PublishMessage(
        pb.PublishMessageRequest(
            name=name,
            correlationKey=correlation_key,
            timeToLive=ttl_ms,
            messageId=message_id,
            variables=json.dumps(variables or {}),
        )
    )
    return response


async def test_a_message_completes_the_waiting_receive_task_with_its_variables(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient, gateway: Any, waiting: None
) -> None:
    """A published message with the instance's correlation key completes its receive task; its variables land
    in the process instance."""
    pi_key = await create(gateway, "waitForPayment", {"orderId": "ORD-1"})
    engine.assert_that(pi_key).is_waiting_at("WaitForPayment")
    response = await zeebe_client.publish_message(
        "payment-received", "ORD-1", {"amount": 150_000}, time_to_live_in_milliseconds=0
    )
    assert response.key > 0
    engine.assert_that(pi_key).is_completed().has_passed("WaitForPayment").has_variable("amount", 150_000)


async def test_a_message_with_another_correlation_key_does_not_correlate(
    engine: EmbeddedEngine, gateway: Any, waiting: None
) -> None:
    """Name alone is not enough: a message for another correlation key leaves the instance waiting."""
    pi_key = await create(gateway, "waitForPayment", {"orderId": "ORD-1"})
    await publish(gateway, "ORD-2")
    await publish(gateway, "ORD-1", name="payment-refused")
    engine.assert_that(pi_key).is_active().is_waiting_at("WaitForPayment")


async def test_a_numeric_correlation_key_matches_its_string_form(
    engine: EmbeddedEngine, gateway: Any, waiting: None
) -> None:
    """A correlation key expression giving a number matches the message's key as a string, as in Zeebe."""
    pi_key = await create(gateway, "waitForPayment", {"orderId": 1234})
    await publish(gateway, "1234")
    engine.assert_that(pi_key).is_completed()


async def test_a_buffered_message_correlates_when_the_subscription_opens_later(
    engine: EmbeddedEngine, gateway: Any, waiting: None
) -> None:
    """A message published with a TTL before anyone waits is buffered and correlates when the instance arrives."""
    await publish(gateway, "ORD-7", ttl_ms=60_000, variables={"paidBy": "transfer"})
    await engine.increase_time(timedelta(seconds=30))
    pi_key = await create(gateway, "waitForPayment", {"orderId": "ORD-7"})
    engine.assert_that(pi_key).is_completed().has_variable("paidBy", "transfer")


async def test_a_buffered_message_expires_after_its_ttl(engine: EmbeddedEngine, gateway: Any, waiting: None) -> None:
    """Once the controlled clock passed the TTL, the buffered message is gone and no longer correlates."""
    await publish(gateway, "ORD-8", ttl_ms=10_000)
    assert len(engine.messages()) == 1
    await engine.increase_time(timedelta(seconds=11))
    assert engine.messages() == []
    pi_key = await create(gateway, "waitForPayment", {"orderId": "ORD-8"})
    engine.assert_that(pi_key).is_active().is_waiting_at("WaitForPayment")


async def test_a_message_without_ttl_is_not_buffered(engine: EmbeddedEngine, gateway: Any, waiting: None) -> None:
    """A message with TTL 0 correlates only to subscriptions open at publishing; later instances keep waiting."""
    await publish(gateway, "ORD-9", ttl_ms=0)
    assert engine.messages() == []
    pi_key = await create(gateway, "waitForPayment", {"orderId": "ORD-9"})
    engine.assert_that(pi_key).is_active().is_waiting_at("WaitForPayment")


async def test_a_message_correlates_once_per_process_not_to_every_waiting_instance(
    engine: EmbeddedEngine, gateway: Any, waiting: None
) -> None:
    """Zeebe's message cardinality: one message reaches one instance of a process, even if two instances wait
    with the same correlation key; a second message reaches the other."""
    first = await create(gateway, "waitForPayment", {"orderId": "SAME"})
    second = await create(gateway, "waitForPayment", {"orderId": "SAME"})
    await publish(gateway, "SAME")
    states = sorted(engine.process_instance(k).state for k in (first, second))
    assert states == ["ACTIVE", "COMPLETED"]
    await publish(gateway, "SAME")
    engine.assert_that(first).is_completed()
    engine.assert_that(second).is_completed()


async def test_a_buffered_message_is_not_correlated_twice_to_one_process(
    engine: EmbeddedEngine, gateway: Any, waiting: None
) -> None:
    """A buffered message that correlated to one instance is not correlated again to a later instance of the
    same process."""
    await publish(gateway, "ORD-10", ttl_ms=60_000)
    first = await create(gateway, "waitForPayment", {"orderId": "ORD-10"})
    second = await create(gateway, "waitForPayment", {"orderId": "ORD-10"})
    engine.assert_that(first).is_completed()
    engine.assert_that(second).is_active().is_waiting_at("WaitForPayment")


async def test_one_message_reaches_one_instance_of_each_waiting_process(engine: EmbeddedEngine, gateway: Any) -> None:
    """The cardinality is per process: instances of two different processes waiting for the message both get it."""
    engine.engine.deploy([("a.bpmn", receive_task_process("processA")), ("b.bpmn", receive_task_process("processB"))])
    a = await create(gateway, "processA", {"orderId": "X"})
    b = await create(gateway, "processB", {"orderId": "X"})
    await publish(gateway, "X")
    engine.assert_that(a).is_completed()
    engine.assert_that(b).is_completed()


async def test_a_duplicate_message_id_is_already_exists(
    engine: EmbeddedEngine, zeebe_client: ZeebeClient, gateway: Any
) -> None:
    """A second message with the same id, name and correlation key while the first is buffered is ALREADY_EXISTS
    naming the id; pyzeebe raises MessageAlreadyExistsError."""
    await publish(gateway, "ORD-11", ttl_ms=60_000, message_id="pay-11")
    error = await rpc_error(publish(gateway, "ORD-11", ttl_ms=60_000, message_id="pay-11"))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "'pay-11'" in (error.details() or "")
    with pytest.raises(MessageAlreadyExistsError):
        await zeebe_client.publish_message("payment-received", "ORD-11", message_id="pay-11")
    assert len(engine.messages()) == 1


async def test_the_message_id_is_unique_per_name_and_correlation_key(engine: EmbeddedEngine, gateway: Any) -> None:
    """The same message id under another correlation key or another name is a different message."""
    await publish(gateway, "ORD-12", ttl_ms=60_000, message_id="m-1")
    await publish(gateway, "ORD-13", ttl_ms=60_000, message_id="m-1")
    await publish(gateway, "ORD-12", name="other-message", ttl_ms=60_000, message_id="m-1")
    assert len(engine.messages()) == 3


async def test_a_message_id_can_be_reused_after_the_message_expired(engine: EmbeddedEngine, gateway: Any) -> None:
    """After the first message's TTL passed, its id may be published again."""
    await publish(gateway, "ORD-14", ttl_ms=5_000, message_id="again")
    await engine.increase_time(timedelta(seconds=6))
    response = await publish(gateway, "ORD-14", ttl_ms=5_000, message_id="again")
    assert response.key > 0


async def test_a_duplicate_message_does_not_correlate(engine: EmbeddedEngine, gateway: Any, waiting: None) -> None:
    """A refused duplicate does not reach an instance that started waiting after the original was correlated."""
    first = await create(gateway, "waitForPayment", {"orderId": "ORD-15"})
    await publish(gateway, "ORD-15", ttl_ms=60_000, message_id="once")
    engine.assert_that(first).is_completed()
    second = await create(gateway, "waitForPayment", {"orderId": "ORD-15"})
    error = await rpc_error(publish(gateway, "ORD-15", ttl_ms=60_000, message_id="once"))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    engine.assert_that(second).is_active().is_waiting_at("WaitForPayment")


@pytest.mark.parametrize("document", ["{nope", "[]"])
async def test_a_message_with_invalid_json_variables_is_invalid_argument(
    engine: EmbeddedEngine, gateway: Any, document: str
) -> None:
    """PublishMessage with variables that are not a JSON object is INVALID_ARGUMENT; nothing is published."""
    error = await rpc_error(
        gateway.PublishMessage(
            pb.PublishMessageRequest(name="payment-received", correlationKey="k", timeToLive=60_000, variables=document)
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'variables'" in (error.details() or "")
    assert engine.messages() == []


async def test_a_negative_time_to_live_is_invalid_argument_and_nothing_is_published(
    engine: EmbeddedEngine, gateway: Any
) -> None:
    """A message cannot expire before it was published: a negative TTL is refused, nothing is kept."""
    error = await rpc_error(publish(gateway, "ORD-99", ttl_ms=-1))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "time to live" in (error.details() or "")
    assert engine.messages() == []
