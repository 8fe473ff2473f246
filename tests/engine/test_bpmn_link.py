"""BPMN conformance, link events: a link throw event continues at the link catch event of the same name in the
same scope, as if a sequence flow joined them – to skip ahead, to loop back, from several throw events."""

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    catch,
    end,
    flow,
    link,
    service,
    start,
    sub_process,
    throw,
    xor,
)


async def test_a_link_throw_event_continues_at_its_catch_event(gw: Driver, engine: EmbeddedEngine) -> None:
    """Start → Before → throw 'ToPacking' … catch 'ToPacking' → Pack: the path goes on at the catch event, with no
    sequence flow between the two events."""
    await gw.deploy_bpmn(
        "linked",
        start("Start"),
        service("Before", "before"),
        throw("GoPack", link("ToPacking")),
        catch("PackHere", link("ToPacking")),
        service("Pack", "pack"),
        end("End"),
        chain("Start", "Before", "GoPack"),
        chain("PackHere", "Pack", "End"),
    )
    pi = await gw.start("linked")

    await gw.complete(await gw.job("before"), {"weight": 3})

    engine.assert_that(pi).has_passed("GoPack", "PackHere").is_waiting_exactly_at("Pack").has_variable("weight", 3)
    flows_taken = [
        r for r in engine.engine.records if r.intent == "SEQUENCE_FLOW_TAKEN" and r.process_instance_key == pi
    ]
    assert len(flows_taken) == 3  # Start → Before → GoPack and PackHere → Pack: the link itself takes none


async def test_a_link_can_loop_back_and_several_throw_events_can_share_a_catch_event(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A retry loop through a link pair: the exclusive gateway either links back to the task or goes on; two throw
    events lead to the same catch event."""
    await gw.deploy_bpmn(
        "retryLoop",
        start("Start"),
        throw("FirstTry", link("Attempt")),
        catch("AttemptHere", link("Attempt")),
        service("Try", "try"),
        xor("Worked", default="Flow_Retry"),
        throw("TryAgain", link("Attempt")),
        end("End"),
        chain("Start", "FirstTry"),
        chain("AttemptHere", "Try", "Worked"),
        flow("Flow_Done", "Worked", "End", "=ok"),
        flow("Flow_Retry", "Worked", "TryAgain"),
    )
    pi = await gw.start("retryLoop")

    await gw.complete(await gw.job("try"), {"ok": False})
    await gw.complete(await gw.job("try"), {"ok": True})

    engine.assert_that(pi).is_completed().has_passed("Try", times=2).has_passed("AttemptHere", times=2)
    engine.assert_that(pi).has_passed("FirstTry", "TryAgain", "End")


async def test_links_pair_within_their_own_scope(gw: Driver, engine: EmbeddedEngine) -> None:
    """A link pair inside a sub-process works there; the same link name outside is another pair."""
    await gw.deploy_bpmn(
        "scopedLinks",
        start("Start"),
        sub_process(
            "Sub",
            start("SubStart")
            + throw("InnerGo", link("Next"))
            + catch("InnerNext", link("Next"))
            + service("Inner", "inner")
            + end("SubEnd")
            + chain("SubStart", "InnerGo")
            + chain("InnerNext", "Inner", "SubEnd"),
        ),
        throw("OuterGo", link("Next")),
        catch("OuterNext", link("Next")),
        service("Outer", "outer"),
        end("End"),
        chain("Start", "Sub", "OuterGo"),
        chain("OuterNext", "Outer", "End"),
    )
    pi = await gw.start("scopedLinks")

    engine.assert_that(pi).is_waiting_exactly_at("Inner")
    await gw.complete(await gw.job("inner"))
    engine.assert_that(pi).has_passed("Sub", "OuterGo", "OuterNext").is_waiting_exactly_at("Outer")
