"""BPMN conformance, execution listeners (zeebe:executionListeners) as Zeebe 8.8 runs them: jobs of kind
EXECUTION_LISTENER, start listeners after the input mappings and before the element's behaviour, end listeners after
the output mappings and before the element completes, one after the other; their variables, incidents and the
deploy-time refusals. Cases from Camunda's documentation "Execution listeners" (8.8)."""

import json
from datetime import UTC, datetime
from xml.sax.saxutils import quoteattr

import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.protocol_fields import read_activated_job_fields
from engine.state.values import ElementState
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
    catch,
    end,
    error,
    error_ref,
    ext,
    io,
    message,
    message_ref,
    multi_instance,
    service,
    start,
    sub_process,
    timer,
)
from tests.engine.test_corpus import corpus_dir


def listeners(*pairs: tuple[str, str], retries: str | None = None) -> str:
    """zeebe:executionListeners with (eventType, type) pairs, in order."""
    retries_attr = f" retries={quoteattr(retries)}" if retries is not None else ""
    body = "".join(
        f"<zeebe:executionListener eventType={quoteattr(event)} type={quoteattr(job_type)}{retries_attr} />"
        for event, job_type in pairs
    )
    return f"<zeebe:executionListeners>{body}</zeebe:executionListeners>"


async def test_start_listeners_run_in_order_before_the_task_with_its_input_variables(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Start listeners are jobs of kind EXECUTION_LISTENER / START, run one after the other after the input mappings;
    the task's own job comes only after the last one. A start listener's variables are local to the element."""
    await gw.deploy_bpmn(
        "startListeners",
        start("Start"),
        service(
            "Work",
            "do-work",
            io(inputs=(("=order * 2", "doubled"),)),
            listeners(("start", "check-first"), ("start", "check-second")),
        ),
        end("End"),
        chain("Start", "Work", "End"),
    )
    pi = await gw.start("startListeners", {"order": 21})

    first = await gw.job("check-first")
    assert read_activated_job_fields(first)[:2] == ("EXECUTION_LISTENER", "START")
    assert json.loads(first.variables) == {"order": 21, "doubled": 42}
    assert (first.elementId, first.retries, json.loads(first.customHeaders)) == ("Work", 3, {})
    assert await gw.activate("check-second") == [] and await gw.activate("do-work") == []
    (work,) = engine.element_instances(pi, "Work")
    assert work.state is ElementState.ACTIVATING
    await gw.complete(first, {"checked": "first"})

    second = await gw.job("check-second")
    assert json.loads(second.variables)["checked"] == "first"
    await gw.complete(second, {"limit": 7})

    job = await gw.job("do-work")
    assert read_activated_job_fields(job)[:2] == ("BPMN_ELEMENT", "UNSPECIFIED")
    assert json.loads(job.variables) == {"order": 21, "doubled": 42, "checked": "first", "limit": 7}
    await gw.complete(job)
    # the listeners' variables were local to the task: they did not reach the process
    engine.assert_that(pi).is_completed().has_no_variable("checked").has_no_variable("limit")


async def test_end_listeners_run_after_the_output_mappings_and_set_variables_in_the_flow_scope(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """End listeners run after the output mappings, while the element is completing; their variables go to the
    element's flow scope, and the element leaves only after the last one."""
    await gw.deploy_bpmn(
        "endListeners",
        start("Start"),
        service(
            "Work",
            "do-work",
            io(outputs=(("=result + 1", "mapped"),)),
            listeners(("end", "audit"), ("end", "notify")),
        ),
        service("Next", "next-work"),
        end("End"),
        chain("Start", "Work", "Next", "End"),
    )
    pi = await gw.start("endListeners")
    await gw.complete(await gw.job("do-work"), {"result": 1})

    audit = await gw.job("audit")
    assert read_activated_job_fields(audit)[:2] == ("EXECUTION_LISTENER", "END")
    assert json.loads(audit.variables)["mapped"] == 2
    (work,) = engine.element_instances(pi, "Work")
    assert work.state is ElementState.COMPLETING
    assert await gw.activate("next-work") == []
    await gw.complete(audit, {"audited": True})
    await gw.complete(await gw.job("notify"))

    await gw.complete(await gw.job("next-work"))
    engine.assert_that(pi).is_completed().has_variable("audited", True).has_variable("mapped", 2)


async def test_a_start_listener_computes_the_deadline_a_timer_reads(gw: Driver, engine: EmbeddedEngine) -> None:
    """The use the SOP's standard times in working time need: a start listener of a timer catch event sets the
    variable its timeDate reads (the timer is created only after the listener)."""
    await gw.deploy_bpmn(
        "deadline",
        start("Start"),
        catch(
            "Wait",
            timer("timeDate", "=batasWaktu"),
            listeners(("start", "hitung-batas-waktu")),
        ),
        end("End"),
        chain("Start", "Wait", "End"),
    )
    pi = await gw.start("deadline")
    (wait,) = engine.element_instances(pi, "Wait")
    assert engine.engine.timers_of(wait.key) == []
    job = await gw.job("hitung-batas-waktu")
    await gw.complete(job, {"batasWaktu": "2099-01-02T08:00:00+07:00"})

    (timer_key,) = engine.engine.timers_of(wait.key)
    assert engine.engine.timers[timer_key].due == datetime(2099, 1, 2, 1, 0, tzinfo=UTC)
    (wait,) = engine.element_instances(pi, "Wait")
    assert wait.state is ElementState.ACTIVATED and wait.variables == {"batasWaktu": "2099-01-02T08:00:00+07:00"}


async def test_a_listener_without_retries_raises_an_incident_and_resolving_it_retries_only_that_listener(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A failed listener job is retried; without retries left it is an EXECUTION_LISTENER_NO_RETRIES incident, and
    after updating the retries and resolving it the same listener's job is activatable again."""
    await gw.deploy_bpmn(
        "failingListener",
        start("Start"),
        service("Work", "do-work", listeners(("start", "first"), ("start", "flaky"), retries="2")),
        end("End"),
        chain("Start", "Work", "End"),
    )
    pi = await gw.start("failingListener")
    await gw.complete(await gw.job("first"))
    flaky = await gw.job("flaky")
    assert flaky.retries == 2
    await gw.stub.FailJob(pb.FailJobRequest(jobKey=flaky.key, retries=1, errorMessage="busy"))
    flaky = await gw.job("flaky")
    await gw.stub.FailJob(pb.FailJobRequest(jobKey=flaky.key, retries=0, errorMessage="service down"))

    incident = gw.incident(pi, "EXECUTION_LISTENER_NO_RETRIES")
    assert (incident.error_message, incident.job_key, incident.element_id) == ("service down", flaky.key, "Work")
    await gw.stub.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=flaky.key, retries=1))
    await gw.resolve(incident.key)

    again = await gw.job("flaky")
    assert again.key == flaky.key
    assert await gw.activate("first") == []  # the completed listener does not run again
    await gw.complete(again)
    await gw.complete(await gw.job("do-work"))
    engine.assert_that(pi).is_completed()


async def test_a_listener_type_that_cannot_be_evaluated_is_an_incident_and_its_listeners_run_again(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The job type may be FEEL; failing to evaluate it is an EXTRACT_VALUE_ERROR incident, and resolving it runs
    the element's listeners of that event again from the first (Camunda's docs, "Expression evaluation failure")."""
    await gw.deploy_bpmn(
        "listenerType",
        start("Start"),
        service("Work", "do-work", listeners(("start", "first"), ("start", '=kind + "-check"'))),
        end("End"),
        chain("Start", "Work", "End"),
    )
    pi = await gw.start("listenerType")
    await gw.complete(await gw.job("first"))

    incident = gw.incident(pi, "EXTRACT_VALUE_ERROR")
    assert incident.element_id == "Work"
    await gw.set_variables(pi, {"kind": "credit"})
    await gw.resolve(incident.key)

    await gw.complete(await gw.job("first"))  # the first listener again
    await gw.complete(await gw.job("credit-check"))
    await gw.complete(await gw.job("do-work"))
    engine.assert_that(pi).is_completed()


async def test_a_listener_job_cannot_throw_a_bpmn_error(gw: Driver, engine: EmbeddedEngine) -> None:
    """Throwing a BPMN error from an execution listener job is rejected, as Zeebe rejects it; the job stays."""
    await gw.deploy_bpmn(
        "listenerError",
        start("Start"),
        service("Work", "do-work", listeners(("start", "check"))),
        boundary("Caught", "Work", error_ref("Err")),
        end("End"),
        end("Handled"),
        chain("Start", "Work", "End"),
        chain("Caught", "Handled"),
        extra=error("Err", "FAILED"),
    )
    pi = await gw.start("listenerError")
    job = await gw.job("check")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await gw.throw_error(job, "FAILED")
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "Cannot throw BPMN error from EXECUTION_LISTENER job" in str(refused.value.details())
    await gw.complete(job)
    await gw.complete(await gw.job("do-work"))
    engine.assert_that(pi).is_completed().has_not_passed("Caught")


async def test_cancelling_the_instance_cancels_the_listener_job(gw: Driver, engine: EmbeddedEngine) -> None:
    await gw.deploy_bpmn(
        "cancelListener",
        start("Start"),
        service("Work", "do-work", listeners(("start", "check"))),
        end("End"),
        chain("Start", "Work", "End"),
    )
    pi = await gw.start("cancelListener")
    job = await gw.job("check")
    await gw.stub.CancelProcessInstance(pb.CancelProcessInstanceRequest(processInstanceKey=pi))

    engine.assert_that(pi).is_terminated()
    assert job.key not in engine.engine.jobs
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await gw.complete(job)
    assert gone.value.code() is grpc.StatusCode.NOT_FOUND


async def test_listeners_of_the_process_a_sub_process_a_boundary_event_and_a_gateway(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Start and end listeners of a sub-process, an end listener of a boundary event, a start listener of a gateway
    and an end listener of the process itself (its variables stay in the process): each waits for its job."""
    inner = (
        start("SubStart")
        + service("Inner", "inner-work")
        + boundary("Late", "Inner", message_ref("Msg"), listeners(("end", "late-end")), interrupting=False)
        + end("SubEnd")
        + end("LateEnd")
        + chain("SubStart", "Inner", "SubEnd")
        + chain("Late", "LateEnd")
    )
    await gw.deploy_bpmn(
        "scopes",
        ext(listeners(("end", "process-end"))),
        start("Start"),
        sub_process("Sub", inner, listeners(("start", "sub-start"), ("end", "sub-end"))),
        '<bpmn:exclusiveGateway id="Choice">' + ext(listeners(("start", "choice-start"))) + "</bpmn:exclusiveGateway>",
        end("End"),
        chain("Start", "Sub", "Choice", "End"),
        extra=message("Msg", "late", '="k"'),
    )
    pi = await gw.start("scopes")
    await gw.complete(await gw.job("sub-start"), {"inSub": 1})
    await gw.publish("late", "k")
    late = await gw.job("late-end")
    assert (read_activated_job_fields(late)[:2], late.elementId) == (("EXECUTION_LISTENER", "END"), "Late")
    await gw.complete(late)
    engine.assert_that(pi).has_passed("LateEnd")
    await gw.complete(await gw.job("inner-work"))
    sub_end = await gw.job("sub-end")
    assert json.loads(sub_end.variables)["inSub"] == 1
    await gw.complete(sub_end, {"fromSub": True})
    choice = await gw.job("choice-start")
    assert choice.elementId == "Choice"
    await gw.complete(choice)

    process_end = await gw.job("process-end")
    assert process_end.elementId == "scopes"
    engine.assert_that(pi).is_active()
    await gw.complete(process_end, {"closed": "yes"})
    engine.assert_that(pi).is_completed().has_variable("fromSub", True).has_variable("closed", "yes")
    engine.assert_that(pi).has_no_variable("inSub")


async def test_start_listeners_run_for_each_instance_of_a_multi_instance_activity(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Listeners belong to the activity: each inner instance runs them, with its input element visible."""
    await gw.deploy_bpmn(
        "manyListeners",
        start("Start"),
        service(
            "Work",
            "do-work",
            listeners(("start", "before-each")),
            body=multi_instance("=items", "item"),
        ),
        end("End"),
        chain("Start", "Work", "End"),
    )
    pi = await gw.start("manyListeners", {"items": [1, 2]})
    jobs = await gw.activate("before-each")
    assert sorted(json.loads(j.variables)["item"] for j in jobs) == [1, 2]
    for job in jobs:
        await gw.complete(job)
    assert await gw.complete_all("do-work") == 2
    engine.assert_that(pi).is_completed()


async def test_the_corpus_diagrams_with_execution_listeners_deploy_and_wait_for_the_listener(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Camunda's examples with an end listener on their start event deploy and start; the instance waits for the
    listener's job, and completing it lets the process go on."""
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip("the shared corpus is not beside this checkout (PBJ_CORPUS_DIR names it)")
    for name, listener_type, start_message in (
        ("ex--event-processing--eventHandler.bpmn", "correlated", "random"),
        ("ex--ProcessMetadataListener--test.bpmn", "metadata", None),
    ):
        path = corpus / name
        response = await gw.deploy((name, path.read_bytes()))
        process_id = response.deployments[0].process.bpmnProcessId
        if start_message is None:
            pi = await gw.start(process_id)
        else:  # a message start event
            await gw.publish(start_message, "")
            (instance,) = engine.process_instances(process_id)
            pi = instance.key
        job = await gw.job(listener_type)
        assert (read_activated_job_fields(job)[:2], job.elementId) == (("EXECUTION_LISTENER", "END"), "StartEvent_1")
        await gw.complete(job)
        engine.assert_that(pi).has_passed("StartEvent_1")


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        (
            start("S2", ext(listeners(("start", "x")))),
            "Execution listeners of type 'start' are not supported by start events",
        ),
        (
            boundary("B", "Work", timer("timeDuration", "PT1H"), listeners(("start", "x"))),
            "Execution listeners of type 'start' are not supported by boundary events",
        ),
        (
            end("E2", error_ref("Err") + ext(listeners(("end", "x")))),
            "Execution listeners of type 'end' are not supported by error end events",
        ),
        (
            '<bpmn:exclusiveGateway id="G">' + ext(listeners(("end", "x"))) + "</bpmn:exclusiveGateway>",
            "Execution listeners of type 'end' are not supported by gateways",
        ),
        (
            service("T2", "t", listeners(("start", "x"), ("start", "x"))),
            "Found '2' duplicates based on eventType[start] and type[x], these combinations should be unique.",
        ),
        (
            service("T3", "t", listeners(("begin", "x"))),
            "the eventType of an execution listener must be start or end, not 'begin'",
        ),
    ],
)
async def test_listeners_zeebe_refuses_are_refused_at_deploy(gw: Driver, element: str, reason: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await gw.deploy_bpmn(
            "refused",
            start("Start"),
            service("Work", "w"),
            end("End"),
            chain("Start", "Work", "End"),
            element,
            extra=error("Err", "E"),
        )
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert reason in str(refused.value.details())


async def test_the_rest_job_api_carries_the_listener_fields(gw: Driver, engine: EmbeddedEngine) -> None:
    """REST activation and job search answer a listener job's kind and listenerEventType (as the 8.8 spec has
    them; every answer of the suite is checked against it)."""
    await gw.deploy_bpmn(
        "restListener",
        start("Start"),
        service("Work", "do-work", listeners(("start", "rest-check"))),
        end("End"),
        chain("Start", "Work", "End"),
    )
    await gw.start("restListener")
    body = {"type": "rest-check", "worker": "uji", "timeout": 60_000, "maxJobsToActivate": 5, "requestTimeout": -1}
    async with gw.http.post(f"{engine.rest_url}/v2/jobs/activation", json=body) as response:
        assert response.status == 200
        (job,) = (await response.json())["jobs"]
    assert (job["kind"], job["listenerEventType"], job["elementId"]) == ("EXECUTION_LISTENER", "START", "Work")
    search = {"filter": {"type": "rest-check"}}
    async with gw.http.post(f"{engine.rest_url}/v2/jobs/search", json=search) as response:
        assert response.status == 200
        (found,) = (await response.json())["items"]
    assert (found["kind"], found["listenerEventType"]) == ("EXECUTION_LISTENER", "START")


async def test_the_sla_wiring_a_boundary_timer_reads_the_deadline_its_hosts_start_listener_set(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """docs/processes-design.md, "Standard times in working time": the step's input mappings, then its start
    listener (reading them) sets the local deadline, then the boundary events are subscribed – the SLA timer's
    timeDate reads that deadline."""
    await gw.deploy_bpmn(
        "slaWiring",
        start("Start"),
        service(
            "Periksa",
            "periksa-kelengkapan-berkas",
            listeners(("start", "hitung-batas-waktu-sla")),
            io(inputs=(('="PT10M"', "slaBatasWaktu"),)),
        ),
        boundary("PeriksaSlaTimer", "Periksa", timer("timeDate", "=slaBatasWaktuKerja"), interrupting=False),
        end("End"),
        end("Reminded"),
        chain("Start", "Periksa", "End"),
        chain("PeriksaSlaTimer", "Reminded"),
    )
    pi = await gw.start("slaWiring")
    listener = await gw.job("hitung-batas-waktu-sla")
    assert json.loads(listener.variables) == {"slaBatasWaktu": "PT10M"}
    (step,) = engine.element_instances(pi, "Periksa")
    assert engine.engine.timers_of(step.key) == []  # no boundary event before the listener is done
    await gw.complete(listener, {"slaBatasWaktuKerja": "2099-03-09T07:35:00+08:00"})

    (timer_key,) = engine.engine.timers_of(step.key)
    assert engine.engine.timers[timer_key].due == datetime(2099, 3, 8, 23, 35, tzinfo=UTC)
    work = await gw.job("periksa-kelengkapan-berkas")
    assert json.loads(work.variables)["slaBatasWaktuKerja"] == "2099-03-09T07:35:00+08:00"
    await gw.complete(work)
    engine.assert_that(pi).is_completed().has_no_variable("slaBatasWaktuKerja")


async def test_start_listeners_of_the_process_run_before_it_starts(gw: Driver, engine: EmbeddedEngine) -> None:
    """A process's start listeners run while the instance is ACTIVATING, before its start event; their variables
    are the process instance's. Started by a message, what the message delivered still reaches the process."""
    await gw.deploy_bpmn(
        "processStart",
        ext(listeners(("start", "open-file"), ("start", "number-it"))),
        start("Start", message_ref("Go")),
        service("Work", "do-work"),
        end("End"),
        chain("Start", "Work", "End"),
        extra=message("Go", "go"),
    )
    await gw.publish("go", "", {"fromMessage": 1})
    (instance,) = engine.process_instances("processStart")
    first = await gw.job("open-file")
    assert (first.elementId, read_activated_job_fields(first)[:2]) == ("processStart", ("EXECUTION_LISTENER", "START"))
    assert engine.element_instances(instance.key, "Start") == []
    (root,) = engine.element_instances(instance.key, "processStart")
    assert root.state is ElementState.ACTIVATING
    await gw.complete(first, {"berkas": "B-1"})
    second = await gw.job("number-it")
    assert json.loads(second.variables) == {"berkas": "B-1"}
    await gw.complete(second, {"nomor": 7})

    work = await gw.job("do-work")
    assert json.loads(work.variables) == {"berkas": "B-1", "nomor": 7, "fromMessage": 1}
    await gw.complete(work)
    engine.assert_that(instance.key).is_completed().has_variable("nomor", 7)
