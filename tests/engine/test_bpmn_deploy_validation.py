"""BPMN conformance, deploy-time refusals: a diagram the engine could not run is refused by DeployResource
with INVALID_ARGUMENT naming the file, the element id, its type and the reason – never accepted and then
stuck at run time."""

from typing import Any

import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.expressions import DEPLOY_EVALUATION_LIMIT
from engine.feel import FeelinEvaluator, FeelResult
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
    bpmn,
    catch,
    end,
    flow,
    io,
    message,
    message_ref,
    service,
    signal,
    signal_ref,
    start,
    sub_process,
    task_def,
    throw,
    timer,
    xor,
)

SIGNAL = '<bpmn:signal id="Signal_Go" name="go" />'
# Book with a compensation boundary event associated with its handler Unbook
COMPENSABLE_BOOK = (
    service("Book", "book"),
    boundary("OnUndo", "Book", "<bpmn:compensateEventDefinition />"),
    '<bpmn:serviceTask id="Unbook" isForCompensation="true"><bpmn:extensionElements>'
    '<zeebe:taskDefinition type="unbook" /></bpmn:extensionElements></bpmn:serviceTask>',
    '<bpmn:association id="Undo" associationDirection="One" sourceRef="OnUndo" targetRef="Unbook" />',
)

# (case id, diagram elements, extra definitions, element id, element type, a fragment of the reason)
REFUSALS = [
    (
        "service task without taskDefinition",
        (start("Start"), '<bpmn:serviceTask id="Work" />', end("End"), chain("Start", "Work", "End")),
        "",
        "Work",
        "serviceTask",
        "zeebe:taskDefinition",
    ),
    (
        "call activity without zeebe:calledElement",
        (
            start("Start"),
            '<bpmn:callActivity id="CallChild" />',
            end("End"),
            chain("Start", "CallChild", "End"),
        ),
        "",
        "CallChild",
        "callActivity",
        "a call activity needs a zeebe:calledElement with a processId",
    ),
    (
        "call activity bound to a version tag without one",
        (
            start("Start"),
            '<bpmn:callActivity id="CallChild"><bpmn:extensionElements>'
            '<zeebe:calledElement processId="child" bindingType="versionTag" /></bpmn:extensionElements>'
            "</bpmn:callActivity>",
            end("End"),
            chain("Start", "CallChild", "End"),
        ),
        "",
        "CallChild",
        "callActivity",
        "bindingType versionTag needs a versionTag",
    ),
    (
        "complex gateway",
        (start("Start"), '<bpmn:complexGateway id="Split" />', end("End"), chain("Start", "Split", "End")),
        "",
        "Split",
        "complexGateway",
        "complex gateways are not supported by Zeebe",
    ),
    (
        "transaction",
        (
            start("Start"),
            sub_process("Pay", start("PayStart") + end("PayEnd") + chain("PayStart", "PayEnd")).replace(
                "bpmn:subProcess", "bpmn:transaction"
            ),
            end("End"),
            chain("Start", "Pay", "End"),
        ),
        "",
        "Pay",
        "transaction",
        "transactions are not supported by Zeebe",
    ),
    (
        "ad-hoc sub-process with a start event",
        (
            start("Start"),
            '<bpmn:adHocSubProcess id="Research"><bpmn:startEvent id="Begin" /><bpmn:task id="Read" />'
            "</bpmn:adHocSubProcess>",
            end("End"),
            chain("Start", "Research", "End"),
        ),
        "",
        "Research",
        "adHocSubProcess",
        "Must not contain a start event.",  # Zeebe's AdHocSubProcessValidator
    ),
    (
        "compensation boundary event without an association to a handler",
        (
            start("Start"),
            service("Book", "book"),
            boundary("Undo", "Book", "<bpmn:compensateEventDefinition />"),
            end("End"),
            chain("Start", "Book", "End"),
        ),
        "",
        "Undo",
        "boundaryEvent",
        "Compensation boundary events must have a compensation association and no outgoing sequence flows",
    ),
    (
        "compensation boundary event with an outgoing flow",
        (
            start("Start"),
            *COMPENSABLE_BOOK,
            end("End"),
            end("UndoEnd"),
            chain("Start", "Book", "End"),
            flow("Astray", "OnUndo", "UndoEnd"),
        ),
        "",
        "OnUndo",
        "boundaryEvent",
        "Compensation boundary events must have a compensation association and no outgoing sequence flows",
    ),
    (
        "compensation handler with an incoming flow",
        (start("Start"), *COMPENSABLE_BOOK, end("End"), chain("Start", "Book", "End"), flow("In", "Book", "Unbook")),
        "",
        "Unbook",
        "serviceTask",
        "A compensation handler should have no incoming sequence flows",
    ),
    (
        "compensation handler with an outgoing flow",
        (start("Start"), *COMPENSABLE_BOOK, end("End"), chain("Start", "Book", "End"), flow("Out", "Unbook", "End")),
        "",
        "Unbook",
        "serviceTask",
        "A compensation handler should have no outgoing sequence flows",
    ),
    (
        "compensation handler with a boundary event",
        (
            start("Start"),
            *COMPENSABLE_BOOK,
            boundary("Late", "Unbook", timer("timeDuration", "PT1H")),
            end("End"),
            end("LateEnd"),
            chain("Start", "Book", "End"),
            flow("LateFlow", "Late", "LateEnd"),
        ),
        "",
        "Unbook",
        "serviceTask",
        "A compensation handler should have no boundary events",
    ),
    (
        "compensation boundary event associated with an activity not marked for compensation",
        (
            start("Start"),
            service("Book", "book"),
            boundary("OnUndo", "Book", "<bpmn:compensateEventDefinition />"),
            service("Unbook", "unbook"),
            '<bpmn:association id="Undo" sourceRef="OnUndo" targetRef="Unbook" />',
            end("End"),
            chain("Start", "Book", "End"),
        ),
        "",
        "OnUndo",
        "boundaryEvent",
        "the compensation handler 'Unbook' must be marked isForCompensation",
    ),
    (
        "business rule task as compensation handler",
        (
            start("Start"),
            service("Book", "book"),
            boundary("OnUndo", "Book", "<bpmn:compensateEventDefinition />"),
            '<bpmn:businessRuleTask id="Decide" isForCompensation="true"><bpmn:extensionElements>'
            '<zeebe:taskDefinition type="decide" /></bpmn:extensionElements></bpmn:businessRuleTask>',
            '<bpmn:association id="Undo" sourceRef="OnUndo" targetRef="Decide" />',
            end("End"),
            chain("Start", "Book", "End"),
        ),
        "",
        "Decide",
        "businessRuleTask",
        "Compensation task must be one of: service task, user task, send task, script task, manual task",
    ),
    (
        "compensation boundary event with execution listeners",
        (
            start("Start"),
            service("Book", "book"),
            boundary(
                "OnUndo",
                "Book",
                "<bpmn:compensateEventDefinition />",
                '<zeebe:executionListeners><zeebe:executionListener eventType="end" type="audit" />'
                "</zeebe:executionListeners>",
            ),
            COMPENSABLE_BOOK[2],
            COMPENSABLE_BOOK[3],
            end("End"),
            chain("Start", "Book", "End"),
        ),
        "",
        "OnUndo",
        "boundaryEvent",
        "Execution listeners of type 'start' and 'end' are not supported by [compensation] boundary events",
    ),
    (
        "compensation intermediate throw event that does not wait for completion",
        (
            start("Start"),
            *COMPENSABLE_BOOK,
            throw("Compensate", '<bpmn:compensateEventDefinition waitForCompletion="false" />'),
            end("End"),
            chain("Start", "Book", "Compensate", "End"),
        ),
        "",
        "Compensate",
        "intermediateThrowEvent",
        "A compensation intermediate throwing event waitForCompletion attribute must be true or not present",
    ),
    (
        "compensation throw event referring to no activity",
        (
            start("Start"),
            *COMPENSABLE_BOOK,
            end("Compensate", '<bpmn:compensateEventDefinition activityRef="Nothing" />'),
            chain("Start", "Book", "Compensate"),
        ),
        "",
        "Compensate",
        "endEvent",
        "The referenced compensation activity 'Nothing' doesn't exist",
    ),
    (
        "compensation throw event referring to an activity without compensation",
        (
            start("Start"),
            *COMPENSABLE_BOOK,
            service("Pay", "pay"),
            end("Compensate", '<bpmn:compensateEventDefinition activityRef="Pay" />'),
            chain("Start", "Book", "Pay", "Compensate"),
        ),
        "",
        "Compensate",
        "endEvent",
        "The referenced compensation activity 'Pay' must have either a compensation boundary event or be a subprocess",
    ),
    (
        "compensation throw event referring to an activity of another scope",
        (
            start("Start"),
            sub_process(
                "Booking",
                start("BookingStart")
                + "".join(COMPENSABLE_BOOK)
                + end("BookingEnd")
                + chain("BookingStart", "Book", "BookingEnd"),
            ),
            end("Compensate", '<bpmn:compensateEventDefinition activityRef="Book" />'),
            chain("Start", "Booking", "Compensate"),
        ),
        "",
        "Compensate",
        "endEvent",
        "The referenced compensation activity 'Book' must be in the same scope as the compensation throw event",
    ),
    (
        "compensation event sub-process",
        (
            start("Start"),
            *COMPENSABLE_BOOK,
            end("End"),
            chain("Start", "Book", "End"),
            sub_process(
                "OnCompensation",
                start("CompensationStart", "<bpmn:compensateEventDefinition />")
                + end("CompensationEnd")
                + chain("CompensationStart", "CompensationEnd"),
                event=True,
            ),
        ),
        "",
        "CompensationStart",
        "startEvent",
        "compensation start events (compensation event sub-processes) are not supported by Zeebe 8.8",
    ),
    (
        "conditional catch event",
        (
            start("Start"),
            catch(
                "WaitTrue",
                '<bpmn:conditionalEventDefinition><bpmn:condition xsi:type="bpmn:tFormalExpression">=x &gt; 1'
                "</bpmn:condition></bpmn:conditionalEventDefinition>",
            ),
            end("End"),
            chain("Start", "WaitTrue", "End"),
        ),
        "",
        "WaitTrue",
        "intermediateCatchEvent",
        "conditional events are not supported by Zeebe 8.8",
    ),
    (
        "signal event without a signal name",
        (
            start("Start"),
            catch("WaitSignal", '<bpmn:signalEventDefinition signalRef="Signal_Missing" />'),
            end("End"),
            chain("Start", "WaitSignal", "End"),
        ),
        SIGNAL,
        "WaitSignal",
        "intermediateCatchEvent",
        "a signal event needs a signalRef to a bpmn:signal with a name",
    ),
    (
        "escalation boundary event on a service task",
        (
            start("Start"),
            service("Work", "work"),
            boundary("Escalated", "Work", "<bpmn:escalationEventDefinition />"),
            end("End"),
            end("EscEnd"),
            chain("Start", "Work", "End"),
            chain("Escalated", "EscEnd"),
        ),
        "",
        "Escalated",
        "boundaryEvent",
        "an escalation boundary event should only be attached to a subprocess, or a call activity",
    ),
    (
        "escalation throw event without an escalation",
        (
            start("Start"),
            '<bpmn:intermediateThrowEvent id="Escalate"><bpmn:escalationEventDefinition />'
            "</bpmn:intermediateThrowEvent>",
            end("End"),
            chain("Start", "Escalate", "End"),
        ),
        "",
        "Escalate",
        "intermediateThrowEvent",
        "an escalation throw event must reference an escalation",
    ),
    (
        "two catch-all escalation boundary events on one activity",
        (
            start("Start"),
            sub_process("Sub", start("SubStart") + end("SubEnd") + chain("SubStart", "SubEnd")),
            boundary("CatchOne", "Sub", "<bpmn:escalationEventDefinition />"),
            boundary("CatchTwo", "Sub", "<bpmn:escalationEventDefinition />"),
            end("End"),
            end("OneEnd"),
            end("TwoEnd"),
            chain("Start", "Sub", "End"),
            chain("CatchOne", "OneEnd"),
            chain("CatchTwo", "TwoEnd"),
        ),
        "",
        "Sub",
        "subProcess",
        "more than one escalation catch event without escalation code",
    ),
    (
        "link throw event without a catch event",
        (
            start("Start"),
            '<bpmn:intermediateThrowEvent id="GoToB"><bpmn:linkEventDefinition name="B" />'
            "</bpmn:intermediateThrowEvent>",
            chain("Start", "GoToB"),
        ),
        "",
        "GoToB",
        "intermediateThrowEvent",
        "there is no link catch event named 'B' in the same scope",
    ),
    (
        "two link catch events with the same name in one scope",
        (
            start("Start"),
            '<bpmn:intermediateThrowEvent id="GoToB"><bpmn:linkEventDefinition name="B" />'
            "</bpmn:intermediateThrowEvent>",
            '<bpmn:intermediateCatchEvent id="HereB"><bpmn:linkEventDefinition name="B" />'
            "</bpmn:intermediateCatchEvent>",
            '<bpmn:intermediateCatchEvent id="AlsoB"><bpmn:linkEventDefinition name="B" />'
            "</bpmn:intermediateCatchEvent>",
            end("End"),
            end("AlsoEnd"),
            chain("Start", "GoToB"),
            chain("HereB", "End"),
            chain("AlsoB", "AlsoEnd"),
        ),
        "",
        "refused",
        "process",
        "multiple intermediate catch link events with the same name 'B' are not allowed",
    ),
    (
        "two signal boundary events with the same name on one task",
        (
            start("Start"),
            service("Work", "work"),
            boundary("OnGo", "Work", '<bpmn:signalEventDefinition signalRef="Signal_Go" />', interrupting=False),
            boundary("AlsoOnGo", "Work", '<bpmn:signalEventDefinition signalRef="Signal_Go" />'),
            end("End"),
            chain("Start", "Work", "End"),
        ),
        SIGNAL,
        "Work",
        "serviceTask",
        "multiple signal event definitions with the same name 'go' are not allowed",
    ),
    (
        "event-based gateway followed by a task",
        (
            start("Start"),
            '<bpmn:eventBasedGateway id="Race" />',
            service("Work", "work"),
            catch("Later", timer("timeDuration", "PT1H")),
            end("End"),
            chain("Start", "Race", "Work", "End"),
            flow("Flow_Later", "Race", "Later"),
            flow("Flow_LaterEnd", "Later", "End"),
        ),
        "",
        "Race",
        "eventBasedGateway",
        "must not have an outgoing sequence flow to other elements than message, timer or signal",
    ),
    (
        "exclusive gateway flow without condition",
        (
            start("Start"),
            xor("Decide"),
            end("Yes"),
            end("No"),
            chain("Start", "Decide"),
            flow("Flow_Yes", "Decide", "Yes", "=approved"),
            flow("Flow_No", "Decide", "No"),
        ),
        "",
        "Flow_No",
        "sequenceFlow",
        "an outgoing flow of the exclusive gateway 'Decide' must have a condition or be the default flow",
    ),
    (
        "FEEL syntax error in a condition",
        (
            start("Start"),
            xor("Decide", default="Flow_No"),
            end("Yes"),
            end("No"),
            chain("Start", "Decide"),
            flow("Flow_Yes", "Decide", "Yes", "=amount >"),
            flow("Flow_No", "Decide", "No"),
        ),
        "",
        "Flow_Yes",
        "sequenceFlow",
        "the condition is not a valid FEEL expression",
    ),
    (
        "FEEL syntax error in an input mapping",
        (
            start("Start"),
            service("Work", "work", io(inputs=(("=amount *", "total"),))),
            end("End"),
            chain("Start", "Work", "End"),
        ),
        "",
        "Work",
        "serviceTask",
        "the source of the mapping to 'total' is not a valid FEEL expression",
    ),
    (
        "invalid static timer",
        (
            start("Start"),
            catch("Wait", timer("timeDuration", "PTX")),
            end("End"),
            chain("Start", "Wait", "End"),
        ),
        "",
        "Wait",
        "intermediateCatchEvent",
        "the timeDuration 'PTX' is invalid",
    ),
    (
        "interrupting timer boundary with a cycle",
        (
            start("Start"),
            service("Work", "work"),
            boundary("Every", "Work", timer("timeCycle", "R3/PT10M")),
            end("End"),
            end("Late"),
            chain("Start", "Work", "End"),
            chain("Every", "Late"),
        ),
        "",
        "Every",
        "boundaryEvent",
        "an interrupting timer event cannot have a timeCycle",
    ),
    (
        "interrupting timer event sub-process with a cycle",
        (
            start("Start"),
            service("Work", "work"),
            chain("Start", "Work"),
            sub_process(
                "Every",
                start("EveryStart", timer("timeCycle", "R/PT1H")) + end("EveryEnd") + chain("EveryStart", "EveryEnd"),
                event=True,
            ),
        ),
        "",
        "Every",
        "subProcess",
        "an interrupting timer event cannot have a timeCycle",
    ),
    (
        "timer catch event with a cycle",
        (
            start("Start"),
            catch("Wait", timer("timeCycle", "R2/PT1H")),
            end("End"),
            chain("Start", "Wait", "End"),
        ),
        "",
        "Wait",
        "intermediateCatchEvent",
        "an intermediate timer catch event must have a timeDuration or a timeDate",
    ),
    (
        "message catch without correlation key",
        (
            start("Start"),
            catch("WaitMsg", message_ref("Msg_Paid")),
            end("End"),
            chain("Start", "WaitMsg", "End"),
        ),
        message("Msg_Paid", "paid"),
        "WaitMsg",
        "intermediateCatchEvent",
        "correlation key",
    ),
    (
        "message event sub-process without correlation key",
        (
            start("Start"),
            service("Work", "work"),
            chain("Start", "Work"),
            sub_process(
                "OnCancel",
                start("CancelStart", message_ref("Msg_Paid")) + end("CancelEnd") + chain("CancelStart", "CancelEnd"),
                event=True,
            ),
        ),
        message("Msg_Paid", "paid"),
        "CancelStart",
        "startEvent",
        "a message start event of an event sub-process needs a correlation key",
    ),
    (
        "message throw event whose messageRef refers to nothing",
        (
            start("Start"),
            throw("Notify", '<bpmn:messageEventDefinition messageRef="Msg_Nope" />', task_def("notify")),
            end("End"),
            chain("Start", "Notify", "End"),
        ),
        "",
        "Notify",
        "intermediateThrowEvent",
        "messageRef 'Msg_Nope' does not refer to a bpmn:message of this document",
    ),
    (
        "message end event without a job worker",
        (start("Start"), end("End", "<bpmn:messageEventDefinition />"), chain("Start", "End")),
        "",
        "End",
        "endEvent",
        "must have a zeebe:taskDefinition with a job type",
    ),
    (
        "receive task without correlation key",
        (
            start("Start"),
            '<bpmn:receiveTask id="WaitDocs" messageRef="Msg_Paid" />',
            end("End"),
            chain("Start", "WaitDocs", "End"),
        ),
        message("Msg_Paid", "paid"),
        "WaitDocs",
        "receiveTask",
        "correlation key",
    ),
]


@pytest.mark.parametrize(
    ("elements", "extra", "element_id", "element_type", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSALS],
)
async def test_unsupported_or_broken_diagrams_are_refused_at_deploy(
    gw: Driver,
    engine: EmbeddedEngine,
    elements: tuple[str, ...],
    extra: str,
    element_id: str,
    element_type: str,
    reason: str,
) -> None:
    """DeployResource refuses the diagram with INVALID_ARGUMENT naming file, element, type and reason;
    nothing is deployed, so no instance can be created from it."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gw.deploy(("refused.bpmn", bpmn("refused", *elements, extra=extra)))

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    details = raised.value.details() or ""
    assert "'refused.bpmn'" in details
    assert f"'{element_id}' (bpmn:{element_type})" in details
    assert reason in details
    assert engine.engine.definitions == {}
    with pytest.raises(grpc.aio.AioRpcError) as not_found:
        await gw.stub.CreateProcessInstance(pb.CreateProcessInstanceRequest(bpmnProcessId="refused"))
    assert not_found.value.code() is grpc.StatusCode.NOT_FOUND


async def test_every_problem_of_a_diagram_is_reported_at_once(gw: Driver, engine: EmbeddedEngine) -> None:
    """A diagram with several problems is refused listing every one of them with its line."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gw.deploy_bpmn(
            "manyProblems",
            start("Start"),
            '<bpmn:serviceTask id="NoType" />',
            catch("BadTimer", timer("timeDuration", "PTX")),
            '<bpmn:complexGateway id="Split" />',
            end("End"),
            chain("Start", "NoType", "BadTimer", "Split", "End"),
        )

    details = raised.value.details() or ""
    for fragment in ("'NoType' (bpmn:serviceTask)", "'BadTimer' (bpmn:intermediateCatchEvent)", "'Split'"):
        assert fragment in details
    assert details.count("(line ") >= 3


async def test_a_valid_diagram_deploys_next_to_a_refused_one_only_when_sent_alone(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A deployment is all or nothing: with one refused resource the good one is not deployed either."""
    good = ("good.bpmn", bpmn("good", start("Start"), service("Work", "w"), chain("Start", "Work")))
    bad = ("bad.bpmn", bpmn("bad", start("Start"), '<bpmn:serviceTask id="Work" />', chain("Start", "Work")))

    with pytest.raises(grpc.aio.AioRpcError):
        await gw.deploy(good, bad)
    assert engine.engine.definitions == {}

    deployed = await gw.deploy(good)
    assert [d.process.bpmnProcessId for d in deployed.deployments] == ["good"]


COSTLY = "=count(for i in 1..1000000000 return i) > 0"  # runs for minutes in any FEEL implementation


async def test_conditions_that_run_for_ever_do_not_hold_the_deployment(engine: EmbeddedEngine) -> None:
    """The deploy-time check runs an expression within a short limit; one still running then has parsed, so the
    diagram is accepted (before, each such condition held every client for the whole FEEL time limit, and was then
    refused as if it were broken)."""
    diagram = bpmn(
        "costly",
        start("Start"),
        '<bpmn:exclusiveGateway id="Which" />',
        end("A"),
        end("B"),
        flow("f0", "Start", "Which"),
        flow("fa", "Which", "A", COSTLY),
        flow("fb", "Which", "B", COSTLY.replace("> 0", "> 1")),
    )
    deployment = engine.engine.deploy([("costly.bpmn", diagram)])
    assert [(r.kind, r.id) for r in deployment.resources] == [("process", "costly")]


class _CountingEvaluator(FeelinEvaluator):
    """The FEEL evaluator, counting the expressions it runs in V8."""

    runs = 0

    def _run(self, *args: Any) -> FeelResult:
        self.runs += 1
        return super()._run(*args)


async def test_a_diagram_with_many_costly_conditions_is_checked_without_running_any(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The deploy-time check parses and compiles each expression, and runs none: a diagram with a hundred
    conditions that would each run for minutes deploys as fast as one with cheap conditions, and holds no other
    client for their run."""
    counting = _CountingEvaluator()
    original, engine.engine.expressions.feel = engine.engine.expressions.feel, counting
    branches = [
        part
        for n in range(100)
        for part in (end(f"Akhir{n}"), flow(f"Ke{n}", "Which", f"Akhir{n}", COSTLY.replace("> 0", f"> {n}")))
    ]
    diagram = bpmn(
        "manyCostly", start("Start"), xor("Which", default="KeLain"), end("Lain"), flow("f0", "Start", "Which"),
        flow("KeLain", "Which", "Lain"), *branches,
    )  # fmt: skip
    deployed = await gw.deploy(("many.bpmn", diagram))
    assert [d.process.bpmnProcessId for d in deployed.deployments] == ["manyCostly"]
    assert counting.runs == 0
    engine.engine.expressions.feel = original
    counting.close()


async def test_a_signal_start_name_that_runs_too_long_at_deploy_is_refused(gw: Driver, engine: EmbeddedEngine) -> None:
    """A signal start event's FEEL name is evaluated at deploy (without variables, as Zeebe does) within a bounded
    time: one that would run for minutes refuses the deployment with INVALID_ARGUMENT saying so, instead of holding
    every other client for it."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gw.deploy(
            (
                "slowName.bpmn",
                bpmn(
                    "slowName",
                    start("SignalStart", signal_ref("Sig_Slow")),
                    end("End"),
                    chain("SignalStart", "End"),
                    extra=signal("Sig_Slow", "=string(count(for i in 1..1000000000 return i))"),
                ),
            )
        )
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    details = raised.value.details() or ""
    assert "'slowName.bpmn'" in details and "'SignalStart'" in details
    assert f"take {DEPLOY_EVALUATION_LIMIT:g} s at most" in details
    assert engine.engine.definitions == {}
    assert (await gw.stub.Topology(pb.TopologyRequest())).brokers  # the engine goes on serving


ADHOC = (
    '<bpmn:adHocSubProcess id="Agent"><bpmn:serviceTask id="Tool"><bpmn:extensionElements>'
    '<zeebe:taskDefinition type="tool" /></bpmn:extensionElements></bpmn:serviceTask><bpmn:endEvent id="Done" />'
    "</bpmn:adHocSubProcess>"
)


@pytest.mark.parametrize(
    ("elements", "extra", "expected"),
    [
        pytest.param(
            (
                start("Start"),
                ADHOC,
                boundary("Late", "Agent", timer("timeDuration", "PT1H")),
                end("End"),
                end("LateEnd"),
                chain("Start", "Agent", "End"),
                flow("LateFlow", "Late", "LateEnd"),
            ),
            "",
            ["'Agent' (bpmn:adHocSubProcess) (line 6): Must not contain an end event."],
            id="ad-hoc sub-process with flows and a boundary event",
        ),
        pytest.param(
            (
                start("Start"),
                *COMPENSABLE_BOOK,
                end("End"),
                chain("Start", "Book", "End"),
                flow("In", "Book", "Unbook"),
                flow("Out", "Unbook", "End"),
            ),
            "",
            [
                "'Unbook' (bpmn:serviceTask) (line 8): A compensation handler should have no incoming sequence flows",
                "'Unbook' (bpmn:serviceTask) (line 8): A compensation handler should have no outgoing sequence flows",
            ],
            id="compensation handler with flows",
        ),
        pytest.param(
            (
                start("Start"),
                '<bpmn:eventBasedGateway id="Wait" />',
                catch("Paid", "<bpmn:messageEventDefinition />"),
                catch("Timeout", timer("timeDuration", "PT1H")),
                end("End"),
                chain("Start", "Wait"),
                flow("ToPaid", "Wait", "Paid"),
                flow("ToTimeout", "Wait", "Timeout"),
                flow("PaidEnd", "Paid", "End"),
            ),
            "",
            ["'Paid' (bpmn:intermediateCatchEvent) (line 7): a message event needs a messageRef"],
            id="event-based gateway to a broken catch event",
        ),
        pytest.param(
            (
                start("Start"),
                sub_process(
                    "Inner",
                    start("InnerStart", "<bpmn:conditionalEventDefinition />")
                    + end("InnerEnd")
                    + chain("InnerStart", "InnerEnd"),
                ),
                end("End"),
                chain("Start", "Inner", "End"),
            ),
            "",
            ["'InnerStart' (bpmn:startEvent) (line 6): conditional events are not supported by Zeebe 8.8"],
            id="sub-process with a broken start event",
        ),
        pytest.param(
            (
                start("Start"),
                service("Work", "work"),
                chain("Start", "Work"),
                sub_process(
                    "OnCancel",
                    start("CancelStart", "<bpmn:messageEventDefinition />")
                    + end("CancelEnd")
                    + chain("CancelStart", "CancelEnd"),
                    event=True,
                ),
            ),
            "",
            ["'CancelStart' (bpmn:startEvent) (line 8): a message event needs a messageRef"],
            id="event sub-process with a broken start event",
        ),
        pytest.param(
            (start("Start"), end("End"), chain("Start", "End"), flow("Astray", "Start", "Nowhere")),
            "",
            ["'Astray' (bpmn:sequenceFlow) (line 8): refers to 'Nowhere', which is not a flow node of this process"],
            id="a flow to an element that does not exist",
        ),
    ],
)
async def test_each_cause_is_reported_once_without_follow_on_errors(
    gw: Driver, engine: EmbeddedEngine, elements: tuple[str, ...], extra: str, expected: list[str]
) -> None:
    """One problem per cause, with its element, type, line and reason: what refers to a refused element (its
    sequence flows, its boundary events) or reads a definition already reported is not reported again."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gw.deploy(("causes.bpmn", bpmn("causes", *elements, extra=extra)))

    lines = [line for line in (raised.value.details() or "").splitlines() if line.startswith("- ")]
    assert len(lines) == len(expected), lines
    for line, fragment in zip(lines, expected, strict=True):
        assert fragment in line
