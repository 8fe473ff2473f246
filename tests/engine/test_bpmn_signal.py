"""BPMN conformance, signal events and the BroadcastSignal RPC: start events (latest version only), intermediate
catch events across instances and processes, boundary and event sub-process starts (interrupting or not),
intermediate throw and end events broadcasting their input-mapped variables, FEEL signal names, and no buffering."""

import grpc
import pytest
from pyzeebe import ZeebeClient
from pyzeebe.proto import gateway_pb2 as pb

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
    bpmn,
    catch,
    end,
    io,
    service,
    signal,
    signal_ref,
    start,
    sub_process,
    throw,
)

SIGNALS = signal("Sig_Go", "go") + signal("Sig_Stop", "stop") + signal("Sig_Named", '="alarm-" + zone')


def waiting(process_id: str) -> tuple[str, ...]:
    """Start → WaitGo (signal `go`) → After (job `after`) → End."""
    return (
        process_id,
        start("Start"),
        catch("WaitGo", signal_ref("Sig_Go")),
        service("After", "after"),
        end("End"),
        chain("Start", "WaitGo", "After", "End"),
    )


async def test_broadcast_signal_starts_an_instance_of_every_process_with_a_signal_start(
    gw: Driver, engine: EmbeddedEngine, zeebe_client: ZeebeClient
) -> None:
    """BroadcastSignal (pyzeebe's broadcast_signal) answers with a key and starts one instance of each process
    whose signal start event has that name, with the signal's variables."""
    for process_id in ("startedA", "startedB"):
        await gw.deploy_bpmn(
            process_id,
            start("SignalStart", signal_ref("Sig_Go")),
            service("Work", "work"),
            chain("SignalStart", "Work"),
            extra=SIGNALS,
        )

    response = await zeebe_client.broadcast_signal("go", {"batch": 7})

    assert response.key > 0
    started = engine.process_instances()
    assert sorted(p.bpmn_process_id for p in started) == ["startedA", "startedB"]
    for pi in started:
        engine.assert_that(pi.key).is_waiting_exactly_at("Work").has_passed("SignalStart").has_variable("batch", 7)
    assert await gw.broadcast("no-such-signal") > 0
    assert len(engine.process_instances()) == 2


async def test_only_the_latest_version_has_the_signal_start_subscription(gw: Driver, engine: EmbeddedEngine) -> None:
    """Deploying a new version replaces the signal start subscription of the previous one; a version without a
    signal start event has none."""
    for start_id in ("V1Start", "V2Start"):
        await gw.deploy_bpmn(
            "versioned", start(start_id, signal_ref("Sig_Go")), end("End"), chain(start_id, "End"), extra=SIGNALS
        )
    await gw.broadcast("go")
    assert [(p.version, p.state) for p in engine.process_instances("versioned")] == [(2, "COMPLETED")]

    await gw.deploy_bpmn("versioned", start("Plain"), end("End"), chain("Plain", "End"))
    await gw.broadcast("go")
    assert len(engine.process_instances("versioned")) == 1


async def test_a_signal_reaches_every_waiting_instance_and_is_not_buffered(gw: Driver, engine: EmbeddedEngine) -> None:
    """One broadcast completes the signal catch events of all instances waiting for it, of any process, merging
    its variables; an instance that starts waiting afterwards does not get it."""
    await gw.deploy_bpmn(*waiting("waiterA"), extra=SIGNALS)
    await gw.deploy_bpmn(*waiting("waiterB"), extra=SIGNALS)
    first = await gw.start("waiterA")
    second = await gw.start("waiterB")

    await gw.broadcast("go", {"reason": "ready"})
    late = await gw.start("waiterA")

    for pi in (first, second):
        engine.assert_that(pi).has_passed("WaitGo").is_waiting_exactly_at("After").has_variable("reason", "ready")
    engine.assert_that(late).is_waiting_exactly_at("WaitGo")


async def test_a_feel_signal_name_is_evaluated_when_the_catch_event_is_entered(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A catch event's signal name `="alarm-" + zone` subscribes to the name it evaluates to at activation."""
    await gw.deploy_bpmn(
        "zoned",
        start("Start"),
        catch("WaitAlarm", signal_ref("Sig_Named")),
        end("End"),
        chain("Start", "WaitAlarm", "End"),
        extra=SIGNALS,
    )
    north = await gw.start("zoned", {"zone": "north"})
    south = await gw.start("zoned", {"zone": "south"})

    await gw.broadcast("alarm-south")

    engine.assert_that(south).is_completed()
    engine.assert_that(north).is_waiting_exactly_at("WaitAlarm")


async def test_signal_boundary_events_interrupting_and_not(gw: Driver, engine: EmbeddedEngine) -> None:
    """A non-interrupting signal boundary fires on every broadcast and keeps the task; an interrupting one
    terminates the task (and cancels its job)."""
    await gw.deploy_bpmn(
        "signalBoundaries",
        start("Start"),
        service("Work", "work"),
        end("End"),
        boundary("OnGo", "Work", signal_ref("Sig_Go"), interrupting=False),
        service("Note", "note"),
        boundary("OnStop", "Work", signal_ref("Sig_Stop")),
        service("Stopped", "stopped"),
        chain("Start", "Work", "End"),
        chain("OnGo", "Note"),
        chain("OnStop", "Stopped"),
        extra=SIGNALS,
    )
    pi = await gw.start("signalBoundaries")

    await gw.broadcast("go")
    await gw.broadcast("go")
    engine.assert_that(pi).is_waiting_exactly_at("Work", "Note", "Note").has_passed("OnGo", times=2)

    await gw.broadcast("stop")
    engine.assert_that(pi).has_terminated("Work").is_waiting_exactly_at("Note", "Note", "Stopped")
    assert engine.jobs("work") == []


async def test_signal_event_sub_processes_interrupting_and_not(gw: Driver, engine: EmbeddedEngine) -> None:
    """A non-interrupting signal event sub-process runs next to the process's path on each broadcast; an
    interrupting one ends the rest of the scope."""
    await gw.deploy_bpmn(
        "signalEsps",
        start("Start"),
        service("Work", "work"),
        end("End"),
        chain("Start", "Work", "End"),
        sub_process(
            "OnGo",
            start("GoStart", signal_ref("Sig_Go"), attrs='isInterrupting="false"')
            + service("Note", "note")
            + chain("GoStart", "Note"),
            event=True,
        ),
        sub_process(
            "OnStop",
            start("StopStart", signal_ref("Sig_Stop")) + service("Cleanup", "cleanup") + chain("StopStart", "Cleanup"),
            event=True,
        ),
        extra=SIGNALS,
    )
    pi = await gw.start("signalEsps")

    await gw.broadcast("go", {"seen": 1})
    engine.assert_that(pi).is_waiting_exactly_at("Work", "Note").has_variable("seen", 1)

    await gw.broadcast("stop")
    engine.assert_that(pi).has_terminated("Work", "Note").is_waiting_exactly_at("Cleanup")
    await gw.broadcast("go")
    engine.assert_that(pi).is_waiting_exactly_at("Cleanup")


async def test_throw_and_end_events_broadcast_with_their_input_mapped_variables(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A signal intermediate throw event broadcasts with its local variables (its input mappings) to other
    instances and goes on; a signal end event broadcasts and completes its path."""
    await gw.deploy_bpmn(*waiting("listener"), extra=SIGNALS)
    await gw.deploy_bpmn(
        "stopListener",
        start("Start"),
        catch("WaitStop", signal_ref("Sig_Stop")),
        end("End"),
        chain("Start", "WaitStop", "End"),
        extra=SIGNALS,
    )
    await gw.deploy_bpmn(
        "announcer",
        start("Start"),
        throw("AnnounceGo", signal_ref("Sig_Go"), io(inputs=(("=orderId", "order"),))),
        service("Work", "work"),
        end("AnnounceStop", signal_ref("Sig_Stop")),
        chain("Start", "AnnounceGo", "Work", "AnnounceStop"),
        extra=SIGNALS,
    )
    listener = await gw.start("listener")
    stop_listener = await gw.start("stopListener")

    announcer = await gw.start("announcer", {"orderId": "A-9", "private": True})

    engine.assert_that(listener).is_waiting_exactly_at("After").has_variable("order", "A-9").has_no_variable("private")
    engine.assert_that(announcer).has_passed("AnnounceGo").is_waiting_exactly_at("Work")
    engine.assert_that(stop_listener).is_waiting_exactly_at("WaitStop")

    await gw.complete(await gw.job("work"))
    engine.assert_that(announcer).is_completed().has_passed("AnnounceStop")
    engine.assert_that(stop_listener).is_completed()


async def test_a_signal_start_name_can_be_feel_evaluated_at_deploy(gw: Driver, engine: EmbeddedEngine) -> None:
    """A signal start event's name given as FEEL is evaluated once, without variables, when the process is
    deployed."""
    await gw.deploy(
        (
            "feelStart.bpmn",
            bpmn(
                "feelStart",
                start("SignalStart", signal_ref("Sig_Computed")),
                end("End"),
                chain("SignalStart", "End"),
                extra=signal("Sig_Computed", '="nightly-" + string(1 + 1)'),
            ),
        )
    )

    await gw.broadcast("nightly-2")

    [started] = engine.process_instances("feelStart")
    engine.assert_that(started.key).is_completed()


async def test_broadcast_signal_with_variables_that_are_not_a_json_object_is_invalid_argument(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """BroadcastSignal whose variables are not a JSON object answers INVALID_ARGUMENT and triggers nothing."""
    await gw.deploy_bpmn(*waiting("strict"), extra=SIGNALS)
    pi = await gw.start("strict")

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gw.stub.BroadcastSignal(pb.BroadcastSignalRequest(signalName="go", variables="[1, 2]"))

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    engine.assert_that(pi).is_waiting_exactly_at("WaitGo")


async def test_a_signal_start_name_that_needs_variables_is_refused_at_deploy(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A signal start event's FEEL name is evaluated at deploy without variables; if that fails, the deployment
    is refused with INVALID_ARGUMENT naming the file and the start event, and nothing is deployed."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gw.deploy_bpmn(
            "needsVars",
            start("SignalStart", signal_ref("Sig_Named")),
            end("End"),
            chain("SignalStart", "End"),
            extra=SIGNALS,
        )

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    details = raised.value.details() or ""
    assert "'needsVars.bpmn'" in details and "'SignalStart'" in details
    assert engine.engine.definitions == {}
