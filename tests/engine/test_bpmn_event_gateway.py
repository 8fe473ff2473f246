"""BPMN conformance, event-based gateways: the gateway waits for the timer, message and signal catch events after
it; the first event wins, continues at its catch event with its variables, and closes the others."""

from datetime import timedelta

from pyzeebe.proto import gateway_pb2 as pb

from engine.state import ElementState
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    catch,
    end,
    event_gateway,
    flow,
    message,
    message_ref,
    service,
    signal,
    signal_ref,
    start,
    timer,
)

RACE = (
    "race",
    start("Start"),
    event_gateway("Race"),
    catch("Paid", message_ref("Msg_Paid")),
    catch("Timeout", timer("timeDuration", "PT1H")),
    catch("Cancelled", signal_ref("Sig_Cancel")),
    service("Ship", "ship"),
    service("Remind", "remind"),
    service("Refund", "refund"),
    end("ShipEnd"),
    end("RemindEnd"),
    end("RefundEnd"),
    flow("Flow_Start", "Start", "Race"),
    flow("Flow_Paid", "Race", "Paid"),
    flow("Flow_Timeout", "Race", "Timeout"),
    flow("Flow_Cancelled", "Race", "Cancelled"),
    chain("Paid", "Ship", "ShipEnd"),
    chain("Timeout", "Remind", "RemindEnd"),
    chain("Cancelled", "Refund", "RefundEnd"),
)
EXTRA = message("Msg_Paid", "paid", "=orderId") + signal("Sig_Cancel", "cancel")


async def test_the_gateway_waits_with_a_subscription_per_event(gw: Driver, engine: EmbeddedEngine) -> None:
    """Entered, the gateway is active and holds a timer, a message subscription and a signal subscription; none
    of the catch events is active yet."""
    await gw.deploy_bpmn(*RACE, extra=EXTRA)
    pi = await gw.start("race", {"orderId": "A-1"})

    engine.assert_that(pi).is_waiting_exactly_at("Race")
    [gateway] = engine.element_instances(pi, "Race")
    state = engine.engine
    waits = (
        state.timers_of(gateway.key),
        state.subscriptions_of(gateway.key),
        state.signal_subscriptions_of(gateway.key),
    )
    assert [len(keys) for keys in waits] == [1, 1, 1]
    assert gateway.bpmn_element_type == "EVENT_BASED_GATEWAY"


async def test_a_message_first_wins_and_closes_the_timer_and_the_signal(gw: Driver, engine: EmbeddedEngine) -> None:
    """The message arrives first: the process goes on at its catch event with the message's variables; the
    timer is cancelled and a later signal or time passing changes nothing."""
    await gw.deploy_bpmn(*RACE, extra=EXTRA)
    pi = await gw.start("race", {"orderId": "A-1"})

    await gw.publish("paid", "A-1", {"amount": 10})
    await engine.increase_time(timedelta(hours=2))
    await gw.broadcast("cancel")

    engine.assert_that(pi).has_passed("Race", "Paid").is_waiting_exactly_at("Ship").has_variable("amount", 10)
    engine.assert_that(pi).has_not_passed("Timeout", "Cancelled")
    assert engine.engine.timers == {} and engine.engine.subscriptions == {}
    assert engine.engine.signal_subscriptions == {}


async def test_the_timer_first_wins_and_a_later_message_stays_buffered(gw: Driver, engine: EmbeddedEngine) -> None:
    """The timer fires first: the process goes on at the timer catch event; a message published afterwards is
    not correlated to this instance."""
    await gw.deploy_bpmn(*RACE, extra=EXTRA)
    pi = await gw.start("race", {"orderId": "A-2"})

    await engine.increase_time(timedelta(hours=1))
    await gw.publish("paid", "A-2", ttl_ms=60_000)

    engine.assert_that(pi).has_passed("Race", "Timeout").is_waiting_exactly_at("Remind").has_not_passed("Paid")
    [buffered] = engine.messages()
    assert buffered.correlated_process_instances == set()


async def test_a_signal_wins_with_its_variables(gw: Driver, engine: EmbeddedEngine) -> None:
    """A broadcast signal wins the race and its variables land in the process."""
    await gw.deploy_bpmn(*RACE, extra=EXTRA)
    pi = await gw.start("race", {"orderId": "A-3"})

    await gw.broadcast("cancel", {"by": "customer"})

    engine.assert_that(pi).has_passed("Cancelled").is_waiting_exactly_at("Refund").has_variable("by", "customer")


async def test_a_buffered_message_wins_as_soon_as_the_gateway_is_entered(gw: Driver, engine: EmbeddedEngine) -> None:
    """A message published before the gateway is reached, still alive, is correlated when the gateway opens its
    subscription, so the process passes straight through."""
    await gw.deploy_bpmn(*RACE, extra=EXTRA)
    await gw.publish("paid", "A-4", {"early": True}, ttl_ms=60_000)

    pi = await gw.start("race", {"orderId": "A-4"})

    engine.assert_that(pi).has_passed("Race", "Paid").is_waiting_exactly_at("Ship").has_variable("early", True)


async def test_cancelling_the_instance_at_the_gateway_closes_every_subscription(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Cancelling an instance waiting at the gateway terminates it and removes its timer and subscriptions."""
    await gw.deploy_bpmn(*RACE, extra=EXTRA)
    pi = await gw.start("race", {"orderId": "A-5"})

    await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi))

    engine.assert_that(pi).is_terminated()
    [gateway] = engine.element_instances(pi, "Race")
    assert gateway.state is ElementState.TERMINATED
    assert (engine.engine.timers, engine.engine.subscriptions, engine.engine.signal_subscriptions) == ({}, {}, {})
