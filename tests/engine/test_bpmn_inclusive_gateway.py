"""BPMN conformance, inclusive gateways: the fork takes every flow whose condition holds, else the default flow,
else raises an incident; the join waits, as in Zeebe 8.8, for the tokens that can still reach it – evaluated
each time a token arrives, and only then."""

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    end,
    flow,
    fork,
    inclusive,
    service,
    start,
    xor,
)


def courses(process_id: str) -> tuple[str, ...]:
    """Start → Courses (fork: pasta, steak, default salad) → three tasks → Join → Serve (job) → End."""
    return (
        process_id,
        start("Start"),
        inclusive("Courses", default="Flow_Salad"),
        service("Pasta", "pasta"),
        service("Steak", "steak"),
        service("Salad", "salad"),
        inclusive("Join"),
        service("Serve", "serve"),
        end("End"),
        chain("Start", "Courses"),
        flow("Flow_Pasta", "Courses", "Pasta", '=list contains(menu, "pasta")'),
        flow("Flow_Steak", "Courses", "Steak", '=list contains(menu, "steak")'),
        flow("Flow_Salad", "Courses", "Salad", "=true"),
        chain("Pasta", "Join"),
        chain("Steak", "Join"),
        chain("Salad", "Join"),
        chain("Join", "Serve", "End"),
    )


async def test_the_fork_takes_every_flow_whose_condition_holds(gw: Driver, engine: EmbeddedEngine) -> None:
    """With pasta and steak chosen the gateway takes both conditional flows, not the default flow (whose own
    condition, `=true`, is never evaluated)."""
    await gw.deploy_bpmn(*courses("both"))
    pi = await gw.start("both", {"menu": ["pasta", "steak"]})

    engine.assert_that(pi).is_waiting_exactly_at("Pasta", "Steak").has_passed("Courses")


async def test_the_default_flow_is_taken_when_no_condition_holds(gw: Driver, engine: EmbeddedEngine) -> None:
    """With nothing chosen the default flow is taken (a condition on the default flow is allowed, as in Zeebe)."""
    await gw.deploy_bpmn(*courses("fallback"))
    pi = await gw.start("fallback", {"menu": []})

    engine.assert_that(pi).is_waiting_exactly_at("Salad").has_no_incidents()


async def test_the_join_waits_for_every_taken_branch_then_continues_once(gw: Driver, engine: EmbeddedEngine) -> None:
    """The join waits while a taken branch is still running and continues once, when the last one arrives."""
    await gw.deploy_bpmn(*courses("joined"))
    pi = await gw.start("joined", {"menu": ["pasta", "steak"]})

    await gw.complete(await gw.job("pasta"))
    engine.assert_that(pi).is_waiting_exactly_at("Steak").has_not_passed("Join")
    await gw.complete(await gw.job("steak"))

    engine.assert_that(pi).has_passed("Join", times=1).is_waiting_exactly_at("Serve")
    await gw.complete(await gw.job("serve"))
    engine.assert_that(pi).is_completed()


async def test_the_join_does_not_wait_for_branches_the_fork_did_not_take(gw: Driver, engine: EmbeddedEngine) -> None:
    """With one branch taken, its token passes the join at once: no other token can reach it."""
    await gw.deploy_bpmn(*courses("single"))
    pi = await gw.start("single", {"menu": ["steak"]})

    await gw.complete(await gw.job("steak"))

    engine.assert_that(pi).has_passed("Join", times=1).is_waiting_exactly_at("Serve")


async def test_no_condition_and_no_default_is_an_incident_resolved_after_fixing_the_variables(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Without a true condition or a default flow the gateway raises a CONDITION_ERROR incident; after setting a
    variable and resolving, the flows are chosen again."""
    await gw.deploy_bpmn(
        "noDefault",
        start("Start"),
        inclusive("Split"),
        service("A", "a"),
        service("B", "b"),
        chain("Start", "Split"),
        flow("Flow_A", "Split", "A", "=x > 1"),
        flow("Flow_B", "Split", "B", "=x > 5"),
    )
    pi = await gw.start("noDefault", {"x": 0})

    incident = gw.incident(pi, "CONDITION_ERROR")
    assert incident.element_id == "Split"
    assert incident.error_message == "Expected at least one condition to evaluate to true, or to have a default flow"
    await gw.set_variables(pi, {"x": 10})
    await gw.resolve(incident.key)

    engine.assert_that(pi).has_no_incidents().is_waiting_exactly_at("A", "B")


async def test_the_join_ignores_an_active_element_that_cannot_reach_it(gw: Driver, engine: EmbeddedEngine) -> None:
    """A parallel fork feeds the join from two branches and runs a third task that only leads to an end event:
    the join does not wait for that task."""
    await gw.deploy_bpmn(
        "elsewhere",
        start("Start"),
        fork("Fork"),
        service("A", "a"),
        service("B", "b"),
        service("Other", "other"),
        inclusive("Join"),
        service("Next", "next"),
        end("OtherEnd"),
        chain("Start", "Fork"),
        chain("Fork", "A", "Join"),
        flow("Flow_Fork_B", "Fork", "B"),
        chain("B", "Join"),
        flow("Flow_Fork_Other", "Fork", "Other"),
        chain("Other", "OtherEnd"),
        chain("Join", "Next"),
    )
    pi = await gw.start("elsewhere")

    await gw.complete(await gw.job("a"))
    engine.assert_that(pi).is_waiting_exactly_at("B", "Other")
    await gw.complete(await gw.job("b"))

    engine.assert_that(pi).has_passed("Join", times=1).is_waiting_exactly_at("Other", "Next")


async def test_the_join_waits_for_an_element_that_may_loop_back_towards_it(gw: Driver, engine: EmbeddedEngine) -> None:
    """A task whose exclusive gateway may loop back to it still has a path to the join, so the join waits for it;
    when it reaches the join, the join continues once."""
    await gw.deploy_bpmn(
        "loopy",
        start("Start"),
        fork("Fork"),
        service("A", "a"),
        service("Retry", "retry"),
        xor("Again", default="Flow_Again_Join"),
        inclusive("Join"),
        service("Next", "next"),
        chain("Start", "Fork"),
        chain("Fork", "A", "Join"),
        flow("Flow_Fork_Retry", "Fork", "Retry"),
        chain("Retry", "Again"),
        flow("Flow_Again_Retry", "Again", "Retry", "=tries < 2"),
        flow("Flow_Again_Join", "Again", "Join"),
        chain("Join", "Next"),
    )
    pi = await gw.start("loopy", {"tries": 0})

    await gw.complete(await gw.job("a"))
    await gw.complete(await gw.job("retry"), {"tries": 1})
    engine.assert_that(pi).is_waiting_exactly_at("Retry").has_not_passed("Join")
    await gw.complete(await gw.job("retry"), {"tries": 2})

    engine.assert_that(pi).has_passed("Join", times=1).is_waiting_exactly_at("Next")


async def test_one_gateway_can_join_and_fork(gw: Driver, engine: EmbeddedEngine) -> None:
    """An inclusive gateway with several incoming and outgoing flows first joins, then forks by its conditions."""
    await gw.deploy_bpmn(
        "joinFork",
        start("Start"),
        fork("Fork"),
        service("A", "a"),
        service("B", "b"),
        inclusive("Both"),
        service("C", "c"),
        service("D", "d"),
        chain("Start", "Fork"),
        chain("Fork", "A", "Both"),
        flow("Flow_Fork_B", "Fork", "B"),
        chain("B", "Both"),
        flow("Flow_C", "Both", "C", "=size > 0"),
        flow("Flow_D", "Both", "D", "=size > 5"),
    )
    pi = await gw.start("joinFork", {"size": 3})

    await gw.complete(await gw.job("a"))
    await gw.complete(await gw.job("b"))

    engine.assert_that(pi).has_passed("Both", times=1).is_waiting_exactly_at("C")


async def test_a_waiting_join_is_not_re_evaluated_when_the_other_token_ends_elsewhere(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Zeebe 8.8 evaluates a join only when a token arrives at it (camunda/camunda#19460): if the token it waits
    for then ends at an end event, the join keeps waiting and the instance stays active, as in Zeebe."""
    await gw.deploy_bpmn(
        "strandedJoin",
        start("Start"),
        fork("Fork"),
        service("A", "a"),
        service("B", "b"),
        xor("Decide", default="Flow_Decide_Join"),
        inclusive("Join"),
        end("Elsewhere"),
        end("End"),
        chain("Start", "Fork"),
        chain("Fork", "A", "Join"),
        flow("Flow_Fork_B", "Fork", "B"),
        chain("B", "Decide"),
        flow("Flow_Decide_End", "Decide", "Elsewhere", "=skip"),
        flow("Flow_Decide_Join", "Decide", "Join"),
        chain("Join", "End"),
    )
    pi = await gw.start("strandedJoin", {"skip": True})

    await gw.complete(await gw.job("a"))
    await gw.complete(await gw.job("b"))

    engine.assert_that(pi).is_active().has_passed("Elsewhere").has_not_passed("Join")
    assert engine.engine.join_tokens(pi) == {"Join": {"Flow_A_Join": 1}}
