"""BPMN conformance, gateways: exclusive (FEEL conditions in document order, default flow, CONDITION_ERROR
and its resolution) and parallel (fork and join)."""

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    end,
    flow,
    fork,
    service,
    start,
    xor,
)

# Start → Size? ─ amount > 100 → Big → EndBig
#               ├ amount > 10  → Medium → EndMedium   (declared first in the document: Flow_Z, then Flow_A)
#               └ default      → Small → EndSmall
SIZE_GATEWAY = (
    "sizeGateway",
    start("Start"),
    xor("Size", default="Flow_Default"),
    end("EndBig"),
    end("EndMedium"),
    end("EndSmall"),
    chain("Start", "Size"),
    flow("Flow_Z", "Size", "EndBig", "=amount > 100"),
    flow("Flow_A", "Size", "EndMedium", "=amount > 10"),
    flow("Flow_Default", "Size", "EndSmall"),
)


async def test_exclusive_gateway_takes_the_first_true_condition_in_document_order(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """With several true conditions the exclusive gateway takes the flow declared first, only that one."""
    await gw.deploy_bpmn(*SIZE_GATEWAY)

    big = await gw.start("sizeGateway", {"amount": 500})
    medium = await gw.start("sizeGateway", {"amount": 50})

    engine.assert_that(big).is_completed().has_passed("EndBig").has_not_passed("EndMedium", "EndSmall")
    engine.assert_that(medium).is_completed().has_passed("EndMedium").has_not_passed("EndBig", "EndSmall")


async def test_exclusive_gateway_takes_the_default_flow_when_no_condition_holds(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """When no condition is true the default flow is taken."""
    await gw.deploy_bpmn(*SIZE_GATEWAY)

    pi = await gw.start("sizeGateway", {"amount": 5})

    engine.assert_that(pi).is_completed().has_passed("EndSmall").has_not_passed("EndBig", "EndMedium")


async def test_exclusive_gateway_without_a_match_raises_condition_error_until_resolved(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """No true condition and no default flow: CONDITION_ERROR; SetVariables + ResolveIncident continue."""
    await gw.deploy_bpmn(
        "approvalGateway",
        start("Start"),
        xor("Approved"),
        service("Publish", "publish"),
        service("Reject", "reject"),
        chain("Start", "Approved"),
        flow("Flow_Yes", "Approved", "Publish", "=approved = true"),
        flow("Flow_No", "Approved", "Reject", "=approved = false and reason != null"),
    )
    pi = await gw.start("approvalGateway", {"approved": False, "reason": None})

    engine.assert_that(pi).is_active().has_incident("CONDITION_ERROR", "Approved")
    incident = gw.incident(pi, "CONDITION_ERROR")
    assert incident.error_message == ("Expected at least one condition to evaluate to true, or to have a default flow")
    assert await gw.activate("publish") == [] and await gw.activate("reject") == []

    await gw.set_variables(pi, {"reason": "incomplete"})
    await gw.resolve(incident.key)

    engine.assert_that(pi).has_no_incidents().is_waiting_exactly_at("Reject").has_passed("Approved")


async def test_parallel_gateway_forks_and_the_join_waits_for_every_branch(gw: Driver, engine: EmbeddedEngine) -> None:
    """A parallel fork activates every branch; the join fires once, only after the last branch arrives."""
    await gw.deploy_bpmn(
        "parallel",
        start("Start"),
        fork("Fork"),
        service("A", "task-a"),
        service("B", "task-b"),
        service("C", "task-c"),
        fork("Join"),
        service("After", "after"),
        end("End"),
        chain("Start", "Fork", "A", "Join", "After", "End"),
        chain("Fork", "B", "Join"),
        chain("Fork", "C", "Join"),
    )
    pi = await gw.start("parallel")
    engine.assert_that(pi).is_waiting_exactly_at("A", "B", "C")

    await gw.complete(await gw.job("task-a"), {"a": 1})
    await gw.complete(await gw.job("task-c"), {"c": 3})

    engine.assert_that(pi).is_waiting_exactly_at("B").has_not_passed("Join")
    assert await gw.activate("after") == []
    await gw.complete(await gw.job("task-b"), {"b": 2})
    engine.assert_that(pi).is_waiting_exactly_at("After").has_passed("Join", times=1)
    await gw.complete(await gw.job("after"))
    engine.assert_that(pi).is_completed().has_passed("End", times=1).has_variable("a", 1).has_variable(
        "b", 2
    ).has_variable("c", 3)


async def test_a_condition_that_is_not_a_boolean_raises_extract_value_error(gw: Driver, engine: EmbeddedEngine) -> None:
    """A script's FEEL null (a failed computation is null, not an error) stored as a variable makes the next
    condition non-boolean: EXTRACT_VALUE_ERROR at the gateway; SetVariables + ResolveIncident continue."""
    await gw.deploy_bpmn(
        "nonBoolean",
        start("Start"),
        '<bpmn:scriptTask id="Compute"><bpmn:extensionElements>'
        '<zeebe:script expression="=count(items) / divisor &gt; 1" resultVariable="many" />'
        "</bpmn:extensionElements></bpmn:scriptTask>",
        xor("Many", default="Flow_Few"),
        end("ManyEnd"),
        end("FewEnd"),
        chain("Start", "Compute", "Many"),
        flow("Flow_Many", "Many", "ManyEnd", "=many"),
        flow("Flow_Few", "Many", "FewEnd"),
    )
    pi = await gw.start("nonBoolean", {"items": [1, 2, 3], "divisor": "x"})

    engine.assert_that(pi).is_active().has_variable("many", None).has_incident("EXTRACT_VALUE_ERROR", "Many")
    assert "BOOLEAN" in gw.incident(pi, "EXTRACT_VALUE_ERROR").error_message
    await gw.set_variables(pi, {"many": True})
    await gw.resolve(gw.incident(pi, "EXTRACT_VALUE_ERROR").key)

    engine.assert_that(pi).is_completed().has_passed("ManyEnd").has_not_passed("FewEnd")
