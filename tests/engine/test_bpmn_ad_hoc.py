"""BPMN conformance, ad-hoc sub-processes as Zeebe 8.8 runs them: the activities activated at the start
(activeElementsCollection), flows between activities inside, the completion condition with and without
cancelRemainingInstances, the output collection, boundary events, Zeebe's deploy refusals and incidents; the job-worker
implementation Camunda's AI agent uses (a job of kind AD_HOC_SUB_PROCESS, completed with a job result naming the
elements to activate, over gRPC and REST, one job at a time, AD_HOC_SUB_PROCESS_NO_RETRIES); and the REST activation
of elements in a running ad-hoc sub-process with Zeebe's refusals. Cases follow Zeebe's AdHocSubProcessTest and
the 8.8 documentation "Ad-hoc subprocess"; under `pytest --durable` every test's log is replayed and compared."""

import json
from typing import Any
from xml.sax.saxutils import quoteattr

import grpc
import pytest
from pyzeebe.proto import gateway_pb2 as pb

from engine.ad_hoc_parameters import ParameterError, from_ai_parameters
from engine.durable.snapshot import decode_state, encode_state
from engine.engine import Engine
from engine.errors import InvalidArgumentError
from engine.parser import BpmnParser, escape_line_breaks_in_strings
from engine.processing.modification import ActivateInstruction
from engine.protocol_fields import encode_ad_hoc_job_result, read_activated_job_fields
from engine.state import ElementState
from engine.state.engine_state import EngineState
from engine.testing import EmbeddedEngine
from engine.testing.consistency import assert_consistent
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    boundary,
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
    task_def,
)

AGENT = "io.camunda.agenticai:aiagent-job-worker:1"


def ad_hoc(
    element_id: str,
    body: str,
    *extensions: str,
    active: str | None = None,
    condition: str | None = None,
    cancel: bool | None = None,
    output: tuple[str, str] | None = None,
) -> str:
    """A bpmn:adHocSubProcess: zeebe:adHoc with the activeElementsCollection and the outputCollection/outputElement
    pair, a completionCondition, cancelRemainingInstances."""
    attrs = ""
    if active is not None:
        attrs += f" activeElementsCollection={quoteattr(active)}"
    if output is not None:
        attrs += f" outputCollection={quoteattr(output[0])} outputElement={quoteattr(output[1])}"
    zeebe = f"<zeebe:adHoc{attrs} />" if attrs else ""
    cancel_attr = "" if cancel is None else f' cancelRemainingInstances="{str(cancel).lower()}"'
    completion = (
        f'<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">{condition}</bpmn:completionCondition>'
        if condition is not None
        else ""
    )
    extension = ext(zeebe, *extensions) if zeebe or extensions else ""
    return f'<bpmn:adHocSubProcess id="{element_id}"{cancel_attr}>{extension}{body}{completion}</bpmn:adHocSubProcess>'


def tool(element_id: str, job_type: str, *extensions: str, name: str = "", doc: str = "") -> str:
    name_attr = f" name={quoteattr(name)}" if name else ""
    documentation = f"<bpmn:documentation>{doc}</bpmn:documentation>" if doc else ""
    return (
        f'<bpmn:serviceTask id="{element_id}"{name_attr}>{documentation}{ext(task_def(job_type), *extensions)}'
        "</bpmn:serviceTask>"
    )


async def deploy_around(gw: Driver, process_id: str, sub: str, *more: str, extra: str = "") -> None:
    """Start → the ad-hoc sub-process "AdHoc" → End."""
    await gw.deploy_bpmn(
        process_id, start("Start"), sub, end("End"), chain("Start", "AdHoc", "End"), *more, extra=extra
    )


async def deploy_with_boundary(gw: Driver, process_id: str, sub: str, catch: str, *, extra: str) -> None:
    """Start → the ad-hoc sub-process "AdHoc" → End, and its boundary event "Caught" (with the `catch` definition)
    → "Handled"."""
    await gw.deploy_bpmn(
        process_id,
        start("Start"),
        sub,
        boundary("Caught", "AdHoc", catch),
        end("End"),
        end("Handled"),
        chain("Start", "AdHoc", "End"),
        chain("Caught", "Handled"),
        extra=extra,
    )


async def complete_with_ad_hoc_result(
    gw: Driver,
    job: pb.ActivatedJob,
    elements: list[tuple[str, dict[str, Any] | None]],
    *,
    fulfilled: bool = False,
    cancel: bool = False,
    variables: dict[str, Any] | None = None,
) -> None:
    """CompleteJob with the 8.8 JobResult of an ad-hoc sub-process, as the AI agent's job worker sends it."""
    base = pb.CompleteJobRequest(jobKey=job.key, variables=json.dumps(variables or {})).SerializeToString()
    extra = encode_ad_hoc_job_result(elements, fulfilled, cancel)
    await gw.stub.CompleteJob(pb.CompleteJobRequest.FromString(base + extra))


async def rest(gw: Driver, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    async with gw.http.request(method, f"{gw.engine.rest_url}{path}", json=body) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


def states(engine: EmbeddedEngine, pi: int, element_id: str) -> list[ElementState]:
    return [e.state for e in engine.element_instances(pi, element_id)]


# ====================================================================== the BPMN implementation


async def test_active_elements_start_with_their_flows_and_the_sub_process_completes_when_nothing_is_left(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """activeElementsCollection ["A", "C"]: A and C are activated, each in an inner instance; B follows A by a
    sequence flow; without a completion condition the sub-process completes once B and C are done."""
    body = (
        tool("A", "a", name="Cari data", doc="Mencari data pemohon")
        + tool("B", "b")
        + tool("C", "c")
        + tool("D", "d")
        + chain("A", "B")
    )
    await deploy_around(gw, "adhocStart", ad_hoc("AdHoc", body, active='=["A", "C"]'))
    pi = await gw.start("adhocStart")

    [ad_hoc_key] = gw.element_keys(pi, "AdHoc")
    elements = engine.variables(ad_hoc_key)["adHocSubProcessElements"]
    assert elements == [
        {"elementId": "A", "elementName": "Cari data", "documentation": "Mencari data pemohon"},
        {"elementId": "C"},
        {"elementId": "D"},
    ]  # B has an incoming flow: not an activity of its own
    inner = engine.element_instances(pi, "AdHoc#innerInstance")
    assert [(i.bpmn_element_type, i.flow_scope_key) for i in inner] == [
        ("AD_HOC_SUB_PROCESS_INNER_INSTANCE", ad_hoc_key)
    ] * 2
    assert [i.flow_scope_key for i in engine.element_instances(pi, "A") + engine.element_instances(pi, "C")] == [
        i.key for i in inner
    ]
    assert {j.type for j in engine.jobs()} == {"a", "c"}

    await gw.complete(await gw.job("a"))
    assert states(engine, pi, "AdHoc") == [ElementState.ACTIVATED]
    await gw.complete(await gw.job("b"), {"hasil": "b"})
    await gw.complete(await gw.job("c"))
    engine.assert_that(pi).is_completed().has_variable("hasil", "b")
    assert states(engine, pi, "D") == []
    assert states(engine, pi, "AdHoc") == [ElementState.COMPLETED]


async def test_completion_condition_cancels_the_remaining_instances(gw: Driver, engine: EmbeddedEngine) -> None:
    """The completion condition is evaluated when an inner instance completes; true: the other activities are
    terminated (cancelRemainingInstances defaults to true) and the sub-process completes."""
    body = tool("A", "a") + tool("B", "b")
    await deploy_around(gw, "adhocCond", ad_hoc("AdHoc", body, active='=["A", "B"]', condition="=selesai"))
    pi = await gw.start("adhocCond", {"selesai": False})

    await gw.complete(await gw.job("a"), {"selesai": True})
    engine.assert_that(pi).is_completed()
    assert states(engine, pi, "B") == [ElementState.TERMINATED]
    assert engine.jobs("b") == []


async def test_completion_condition_without_cancelling_waits_for_the_remaining_instances(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """cancelRemainingInstances="false": the condition holds, yet the running activity finishes first."""
    body = tool("A", "a") + tool("B", "b")
    sub = ad_hoc("AdHoc", body, active='=["A", "B"]', condition="=selesai", cancel=False)
    await deploy_around(gw, "adhocKeep", sub)
    pi = await gw.start("adhocKeep", {"selesai": False})

    await gw.complete(await gw.job("a"), {"selesai": True})
    assert states(engine, pi, "AdHoc") == [ElementState.ACTIVATED]
    await gw.complete(await gw.job("b"))
    engine.assert_that(pi).is_completed()
    assert states(engine, pi, "B") == [ElementState.COMPLETED]


async def test_a_false_completion_condition_keeps_the_sub_process_waiting(gw: Driver, engine: EmbeddedEngine) -> None:
    """With a completion condition that does not hold the sub-process stays active when nothing runs in it: it
    waits for elements activated later (here through the REST API)."""
    body = tool("A", "a") + tool("B", "b")
    await deploy_around(gw, "adhocWait", ad_hoc("AdHoc", body, active='=["A"]', condition="=selesai = true"))
    pi = await gw.start("adhocWait")

    await gw.complete(await gw.job("a"))
    [ad_hoc_key] = gw.element_keys(pi, "AdHoc")
    assert states(engine, pi, "AdHoc") == [ElementState.ACTIVATED]
    status, _ = await rest(
        gw,
        "POST",
        f"/v2/element-instances/ad-hoc-activities/{ad_hoc_key}/activation",
        {"elements": [{"elementId": "B"}]},
    )
    assert status == 204
    await gw.complete(await gw.job("b"), {"selesai": True})
    engine.assert_that(pi).is_completed()


async def test_output_collection_gathers_the_output_element_of_each_inner_instance(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """outputCollection/outputElement: the output element is evaluated in each completing inner instance and
    appended; the collection is propagated when the sub-process completes."""
    body = tool("A", "a") + tool("B", "b")
    sub = ad_hoc("AdHoc", body, active='=["A", "B"]', output=("hasilSemua", "=hasil"))
    await deploy_around(gw, "adhocOutput", sub)
    pi = await gw.start("adhocOutput")

    [ad_hoc_key] = gw.element_keys(pi, "AdHoc")
    assert engine.variables(ad_hoc_key)["hasilSemua"] == []
    await gw.complete(await gw.job("b"), {"hasil": "dari B"})
    assert engine.variables(ad_hoc_key)["hasilSemua"] == ["dari B"]
    await gw.complete(await gw.job("a"), {"hasil": "dari A"})
    engine.assert_that(pi).is_completed().has_variable("hasilSemua", ["dari B", "dari A"])


async def test_an_interrupting_boundary_event_terminates_the_sub_process_and_its_activities(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A message boundary event on the ad-hoc sub-process: its activities, inner instances and jobs end with it."""
    body = tool("A", "a") + tool("B", "b")
    sub = ad_hoc("AdHoc", body, active='=["A", "B"]')
    await deploy_with_boundary(
        gw, "adhocBoundary", sub, message_ref("MsgBatal"), extra=message("MsgBatal", "batal", "=nomorPermohonan")
    )
    pi = await gw.start("adhocBoundary", {"nomorPermohonan": "P-1"})

    await gw.publish("batal", "P-1")
    engine.assert_that(pi).is_completed()
    assert states(engine, pi, "AdHoc") == [ElementState.TERMINATED]
    assert set(states(engine, pi, "AdHoc#innerInstance")) == {ElementState.TERMINATED}
    assert engine.jobs() == []
    assert states(engine, pi, "Handled") == [ElementState.COMPLETED]


async def test_unknown_active_elements_are_an_incident_resolved_by_fixing_the_variable(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An id that is not an activity of the sub-process: EXTRACT_VALUE_ERROR with Zeebe's message; once the
    variable is fixed and the incident resolved, the activation is evaluated again."""
    body = tool("A", "a") + tool("B", "b")
    await deploy_around(gw, "adhocUnknown", ad_hoc("AdHoc", body, active="=pilihan"))
    pi = await gw.start("adhocUnknown", {"pilihan": ["A", "X", "Y"]})

    incident = gw.incident(pi, "EXTRACT_VALUE_ERROR")
    assert incident.error_message == "Failed to activate ad-hoc elements. No BPMN elements found with ids: 'X', 'Y'."
    await gw.set_variables(pi, {"pilihan": ["B"]})
    await gw.resolve(incident.key)
    await gw.complete(await gw.job("b"))
    engine.assert_that(pi).is_completed()


@pytest.mark.parametrize(
    ("sub", "reason"),
    [
        (ad_hoc("AdHoc", start("S") + tool("A", "a")), "Must not contain a start event."),
        (ad_hoc("AdHoc", tool("A", "a") + end("E")), "Must not contain an end event."),
        (ad_hoc("AdHoc", ""), "Must have at least one activity."),
        (
            ad_hoc("AdHoc", tool("A", "a"), task_def(AGENT), condition="=true"),
            "Must not define completionCondition in combination with zeebe:taskDefinition.",
        ),
        (
            ad_hoc("AdHoc", tool("A", "a"), task_def(AGENT), cancel=False),
            "Must not define cancelRemainingInstances in combination with zeebe:taskDefinition.",
        ),
        (
            ad_hoc("AdHoc", tool("A", "a"), task_def(AGENT), active='=["A"]'),
            "Must not define activeElementsCollection in combination with zeebe:taskDefinition.",
        ),
        (
            ad_hoc("AdHoc", tool("A", "a"), "<zeebe:adHoc outputElement='=x' />"),
            "OutputElement and OutputCollection must both be set, or neither of them set. outputElement:=x and "
            "outputCollection:None.",
        ),
        (ad_hoc("AdHoc", tool("A", "a"), active="=[1,"), "the activeElementsCollection is not a valid FEEL"),
        (
            ad_hoc("AdHoc", tool("A", "a", io(inputs=(('=fromAi("url")', "url"),)))),
            "Failed to extract ad-hoc activity parameters for element 'A'. Expected fromAi() parameter 'value' to be "
            "a reference (e.g. 'toolCall.customParameter'), but received string 'url'.",
        ),
        (
            ad_hoc("AdHoc", tool("A", "a", io(inputs=(("=fromAi(toolCall.url, 42)", "url"),)))),
            "Expected fromAi() parameter 'description' to be a string, but received '42'.",
        ),
    ],
)
async def test_deploy_refuses_what_zeebe_refuses(gw: Driver, sub: str, reason: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await deploy_around(gw, "adhocRefused", sub)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = refused.value.details() or ""
    assert reason in details
    assert "'AdHoc'" in details


# ====================================================================== the job-worker implementation (AI agent)


def agent_sub(*, output: bool = True) -> str:
    """The AI agent's ad-hoc sub-process as Camunda's template models it: a job worker decides which tools to call;
    each tool reads its arguments from toolCall and its result goes to toolCallResult."""
    tools = tool(
        "CariPemohon",
        "cari-pemohon",
        io(
            inputs=(('=fromAi(toolCall.nomorPermohonan, "Nomor permohonan yang dicari", "string")', "nomor"),),
            outputs=(("=hasilCari", "toolCallResult"),),
        ),
        name="Cari pemohon",
        doc="Mencari pemohon menurut nomor permohonan",
    ) + tool("KirimSurel", "kirim-surel", name="Kirim surel")
    return ad_hoc(
        "AdHoc",
        tools,
        task_def(AGENT, "2"),
        output=("toolCallResults", "={id: toolCall._meta.id, content: toolCallResult}") if output else None,
    )


async def test_the_agent_job_activates_tools_and_completes_the_sub_process(gw: Driver, engine: EmbeddedEngine) -> None:
    """The agent's job (kind AD_HOC_SUB_PROCESS) sees the tools with the parameters their fromAi() calls describe;
    its result activates one with its toolCall (a local of the tool's inner instance; fromAi gives the value); when
    the tool is done the agent gets a new job with the tool's result in the output collection, and completes the
    sub-process by its completion condition."""
    await deploy_around(gw, "agen", agent_sub())
    pi = await gw.start("agen", {"pertanyaan": "status P-7?"})

    first = await gw.job(AGENT)
    assert read_activated_job_fields(first)[0] == "AD_HOC_SUB_PROCESS"
    seen = json.loads(first.variables)
    assert seen["pertanyaan"] == "status P-7?"
    assert seen["toolCallResults"] == []
    assert seen["adHocSubProcessElements"] == [
        {
            "elementId": "CariPemohon",
            "elementName": "Cari pemohon",
            "documentation": "Mencari pemohon menurut nomor permohonan",
            "parameters": [
                {"name": "nomorPermohonan", "description": "Nomor permohonan yang dicari", "type": "string"}
            ],
        },
        {"elementId": "KirimSurel", "elementName": "Kirim surel"},
    ]
    call = {"nomorPermohonan": "P-7", "_meta": {"id": "call-1", "name": "CariPemohon"}}
    await complete_with_ad_hoc_result(gw, first, [("CariPemohon", {"toolCall": call})], variables={"agent": {"n": 1}})

    [inner] = engine.element_instances(pi, "AdHoc#innerInstance")
    assert engine.variables(inner.key) == {"toolCall": call}
    [ad_hoc_key] = gw.element_keys(pi, "AdHoc")
    assert engine.variables(pi)["agent"] == {"n": 1}  # the job's variables: merged from the sub-process's scope up
    cari = await gw.job("cari-pemohon")
    assert json.loads(cari.variables)["nomor"] == "P-7"
    assert engine.jobs(AGENT) == []  # no job while the tool runs
    await gw.complete(cari, {"hasilCari": {"status": "diproses"}})

    second = await gw.job(AGENT)
    assert second.key != first.key
    assert json.loads(second.variables)["toolCallResults"] == [{"id": "call-1", "content": {"status": "diproses"}}]
    await complete_with_ad_hoc_result(gw, second, [], fulfilled=True, cancel=True, variables={"jawaban": "Diproses"})
    engine.assert_that(pi).is_completed().has_variable("jawaban", "Diproses")
    assert engine.variables(pi)["toolCallResults"] == [{"id": "call-1", "content": {"status": "diproses"}}]
    assert states(engine, pi, "AdHoc") == [ElementState.COMPLETED]
    assert ad_hoc_key


async def test_one_agent_job_at_a_time_each_finished_tool_replaces_it(gw: Driver, engine: EmbeddedEngine) -> None:
    """Two tools activated at once: when the first finishes the agent gets a job; when the second finishes before
    that job is done, the job is canceled and a new one created (Zeebe cancels the open job first)."""
    await deploy_around(gw, "agenDua", agent_sub(output=False))
    pi = await gw.start("agenDua")

    await complete_with_ad_hoc_result(gw, await gw.job(AGENT), [("CariPemohon", {}), ("KirimSurel", None)])
    await gw.complete(await gw.job("kirim-surel"))
    [open_job] = engine.jobs(AGENT)
    await gw.complete(await gw.job("cari-pemohon"), {"hasilCari": 1})
    [replacing] = engine.jobs(AGENT)
    assert replacing.key != open_job.key
    assert_consistent(engine.engine)
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await gw.complete(open_job.key)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    await complete_with_ad_hoc_result(gw, await gw.job(AGENT), [], fulfilled=True)
    engine.assert_that(pi).is_completed()


async def test_fulfilled_without_cancelling_lets_the_running_tools_finish(gw: Driver, engine: EmbeddedEngine) -> None:
    """isCompletionConditionFulfilled without isCancelRemainingInstances: the tool still running finishes, then the
    sub-process completes – without a new agent job. The fulfilled flag is part of the snapshot."""
    await deploy_around(gw, "agenSelesai", agent_sub(output=False))
    pi = await gw.start("agenSelesai")

    await complete_with_ad_hoc_result(gw, await gw.job(AGENT), [("CariPemohon", {}), ("KirimSurel", {})])
    await gw.complete(await gw.job("kirim-surel"))
    await complete_with_ad_hoc_result(gw, await gw.job(AGENT), [], fulfilled=True, cancel=False)
    [ad_hoc_key] = gw.element_keys(pi, "AdHoc")
    assert states(engine, pi, "AdHoc") == [ElementState.ACTIVATED]
    assert engine.engine.state.flow.ad_hoc_fulfilled == {ad_hoc_key}
    decoded = EngineState()
    decode_state(encode_state(engine.engine.state), decoded, engine.engine._load_model)
    assert decoded.flow.ad_hoc_fulfilled == {ad_hoc_key}

    await gw.complete(await gw.job("cari-pemohon"), {"hasilCari": 1})
    engine.assert_that(pi).is_completed()
    assert engine.jobs(AGENT) == []
    assert engine.engine.state.flow.ad_hoc_fulfilled == set()


async def test_the_agent_job_is_completed_over_rest_with_an_ad_hoc_result(gw: Driver, engine: EmbeddedEngine) -> None:
    """The agent's job activated over REST (kind AD_HOC_SUB_PROCESS) and completed by POST /v2/jobs/{key}/completion
    with result.type adHocSubProcess; an element that is not a tool is refused (404) and nothing changes."""
    await deploy_around(gw, "agenRest", agent_sub(output=False))
    pi = await gw.start("agenRest")
    status, activated = await rest(
        gw, "POST", "/v2/jobs/activation", {"type": AGENT, "timeout": 60_000, "maxJobsToActivate": 1, "worker": "agen"}
    )
    assert status == 200
    [job] = activated["jobs"]
    assert (job["kind"], job["listenerEventType"], job["elementId"]) == ("AD_HOC_SUB_PROCESS", "UNSPECIFIED", "AdHoc")
    assert [e["elementId"] for e in job["variables"]["adHocSubProcessElements"]] == ["CariPemohon", "KirimSurel"]

    status, problem = await rest(
        gw,
        "POST",
        f"/v2/jobs/{job['jobKey']}/completion",
        {"result": {"type": "adHocSubProcess", "activateElements": [{"elementId": "Bukan"}]}},
    )
    assert status == 404, problem
    assert "but the given elements [Bukan] do not exist" in problem["detail"]
    assert [str(j.key) for j in engine.jobs(AGENT)] == [job["jobKey"]]

    status, _ = await rest(
        gw,
        "POST",
        f"/v2/jobs/{job['jobKey']}/completion",
        {
            "variables": {"langkah": 1},
            "result": {
                "type": "adHocSubProcess",
                "activateElements": [{"elementId": "KirimSurel", "variables": {"kepada": "pemohon@contoh.id"}}],
            },
        },
    )
    assert status == 204
    surel = await gw.job("kirim-surel")
    assert json.loads(surel.variables)["kepada"] == "pemohon@contoh.id"
    await gw.complete(surel)
    status, _ = await rest(
        gw,
        "POST",
        f"/v2/jobs/{(await gw.job(AGENT)).key}/completion",
        {"result": {"type": "adHocSubProcess", "isCompletionConditionFulfilled": True}},
    )
    assert status == 204
    engine.assert_that(pi).is_completed().has_variable("langkah", 1)


async def test_an_agent_job_without_retries_is_an_ad_hoc_incident(gw: Driver, engine: EmbeddedEngine) -> None:
    """The agent's job failed with no retries left: AD_HOC_SUB_PROCESS_NO_RETRIES; retries given back and the
    incident resolved, the job is there again."""
    await deploy_around(gw, "agenGagal", agent_sub(output=False))
    pi = await gw.start("agenGagal")
    job = await gw.job(AGENT)
    assert job.retries == 2

    await gw.stub.FailJob(pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage="model tidak menjawab"))
    incident = gw.incident(pi, "AD_HOC_SUB_PROCESS_NO_RETRIES")
    assert incident.error_message == "model tidak menjawab"
    await gw.stub.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=job.key, retries=1))
    await gw.resolve(incident.key)
    await complete_with_ad_hoc_result(gw, await gw.job(AGENT), [], fulfilled=True)
    engine.assert_that(pi).is_completed()


# ====================================================================== REST activation


async def test_rest_activation_activates_elements_with_their_variables_and_refuses_as_zeebe(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """POST /v2/element-instances/ad-hoc-activities/{key}/activation: 204 and the elements run, each in an inner
    instance holding its variables; Zeebe's refusals: no such ad-hoc sub-process (404), duplicate elements (400),
    elements that are not its activities (404), an ad-hoc sub-process that is not active (409)."""
    body = tool("A", "a") + tool("B", "b")
    await deploy_around(gw, "adhocRest", ad_hoc("AdHoc", body, condition="=count(hasil) >= 2"))
    pi = await gw.start("adhocRest", {"hasil": []})
    [ad_hoc_key] = gw.element_keys(pi, "AdHoc")
    path = f"/v2/element-instances/ad-hoc-activities/{ad_hoc_key}/activation"

    status, problem = await rest(gw, "POST", "/v2/element-instances/ad-hoc-activities/123/activation", {"elements": []})
    assert (status, problem["title"]) == (404, "NOT_FOUND")
    assert "no ad-hoc sub-process instance found with key '123'" in problem["detail"]
    status, problem = await rest(
        gw, "POST", f"/v2/element-instances/ad-hoc-activities/{pi}/activation", {"elements": [{"elementId": "A"}]}
    )
    assert status == 404  # a process instance is not an ad-hoc sub-process
    status, problem = await rest(gw, "POST", path, {"elements": [{"elementId": "A"}, {"elementId": "A"}]})
    assert (status, problem["title"]) == (400, "INVALID_ARGUMENT")
    assert "duplicate activities were given" in problem["detail"]
    status, problem = await rest(gw, "POST", path, {"elements": [], "cancelRemainingInstances": "ya"})
    assert (status, problem["title"]) == (400, "INVALID_ARGUMENT")
    status, problem = await rest(gw, "POST", path, {"elements": [{"elementId": "A"}, {"elementId": "Z"}]})
    assert (status, problem["title"]) == (404, "NOT_FOUND")
    assert "the given elements [Z] do not exist" in problem["detail"]
    assert engine.jobs() == []

    status, _ = await rest(
        gw,
        "POST",
        path,
        {
            "elements": [{"elementId": "A", "variables": {"x": 1}}, {"elementId": "B"}],
            "cancelRemainingInstances": False,
        },
    )
    assert status == 204
    assert_consistent(engine.engine)
    a = await gw.job("a")
    assert json.loads(a.variables)["x"] == 1
    b = await gw.job("b")
    assert "x" not in json.loads(b.variables)
    await gw.complete(a, {"hasil": [1]})
    await gw.complete(b, {"hasil": [1, 2]})
    engine.assert_that(pi).is_completed()
    recorded = [r for r in engine.engine.records if r.value_type == "AD_HOC_SUB_PROCESS_INSTRUCTION"]
    assert [(r.intent, r.element_id) for r in recorded] == [("ACTIVATED", "AdHoc")]


def test_an_ad_hoc_sub_process_parses_with_its_activities_and_inner_instance_element() -> None:
    """The model: activities are the elements without incoming flows (boundary events aside); the inner instance
    element is the ad-hoc sub-process's scope child."""
    xml = (
        b'<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        b'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'id="d"><bpmn:process id="p" isExecutable="true">'
        + (start("S") + ad_hoc("AdHoc", tool("A", "a") + tool("B", "b") + chain("A", "B")) + end("E")).encode()
        + chain("S", "AdHoc", "E").encode()
        + b"</bpmn:process></bpmn:definitions>"
    )
    [model] = BpmnParser(lambda _: None, lambda _t, _v: None).parse("p.bpmn", xml)
    node = model.elements["AdHoc"]
    assert node.ad_hoc is not None and node.ad_hoc.activities == ("A",)
    assert model.elements["AdHoc#innerInstance"].bpmn_element_type == "AD_HOC_SUB_PROCESS_INNER_INSTANCE"
    with pytest.raises(InvalidArgumentError):
        Engine().deploy(
            [("q.bpmn", xml.replace(b'<bpmn:serviceTask id="B"', b'<bpmn:startEvent id="X"/><bpmn:serviceTask id="B"'))]
        )


def test_from_ai_parameters_are_read_from_positional_and_named_arguments() -> None:
    """fromAi() calls as the AI agent's tools write them: positional or named arguments, schema and options as
    contexts, several calls in one mapping, the name of a string that mentions fromAi( ignored."""
    expression = (
        '{url: fromAi(toolCall.url, "Alamat"), jumlah: fromAi(value: toolCall.order.jumlah, type: "number", '
        'description: "Jumlah barang", schema: {minimum: 1, "enum": [1, 2.5, true, null]}, options: {required: '
        'false}), catatan: "fromAi(bukan panggilan)"}'
    )
    assert from_ai_parameters(expression) == [
        {"name": "url", "description": "Alamat"},
        {
            "name": "jumlah",
            "type": "number",
            "description": "Jumlah barang",
            "schema": {"minimum": 1, "enum": [1, 2.5, True, None]},
            "options": {"required": False},
        },
    ]
    assert from_ai_parameters("toolCall.url") == []
    with pytest.raises(ParameterError, match="to be a context"):
        from_ai_parameters('fromAi(toolCall.a, "d", "string", "bukan konteks")')
    with pytest.raises(ParameterError, match="not closed"):
        from_ai_parameters('fromAi(toolCall.a, "d"')


async def test_a_multi_line_string_in_a_mapping_keeps_its_line_breaks(gw: Driver, engine: EmbeddedEngine) -> None:
    """Camunda takes a FEEL string spanning lines (the AI agent template's system prompt is one): the line breaks
    are part of the value."""
    await gw.deploy_bpmn(
        "multiLine",
        start("Start"),
        service("Tugas", "tugas", io(inputs=(('="Baris satu\nbaris \\"dua\\"\n" + nama', "teks"),))),
        end("End"),
        chain("Start", "Tugas", "End"),
    )
    pi = await gw.start("multiLine", {"nama": "Ani"})
    job = await gw.job("tugas")
    assert json.loads(job.variables)["teks"] == 'Baris satu\nbaris "dua"\nAni'
    assert escape_line_breaks_in_strings('"a\nb" +\n"c"') == '"a\\nb" +\n"c"'
    await gw.complete(job)
    engine.assert_that(pi).is_completed()


async def test_an_error_of_an_activity_is_caught_by_the_boundary_event_of_the_sub_process(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A BPMN error thrown by an activity's worker leaves its inner instance and the ad-hoc sub-process for the
    error boundary event on it; the other activity is terminated."""
    body = tool("A", "a") + tool("B", "b")
    sub = ad_hoc("AdHoc", body, active='=["A", "B"]')
    await deploy_with_boundary(gw, "adhocError", sub, error_ref("Err"), extra=error("Err", "DITOLAK"))
    pi = await gw.start("adhocError")

    await gw.throw_error(await gw.job("a"), "DITOLAK")
    engine.assert_that(pi).is_completed()
    assert states(engine, pi, "B") == [ElementState.TERMINATED]
    assert states(engine, pi, "Handled") == [ElementState.COMPLETED]


async def test_an_interrupting_event_sub_process_inside_completes_the_sub_process(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """An error event sub-process of the ad-hoc sub-process catches an activity's error, terminates the other
    activities; when it is done the ad-hoc sub-process completes and the process goes on."""
    esp = (
        '<bpmn:subProcess id="Tangani" triggeredByEvent="true">'
        + start("TangkapGalat", error_ref("Err"))
        + service("Catat", "catat")
        + end("SelesaiTangani")
        + chain("TangkapGalat", "Catat", "SelesaiTangani")
        + "</bpmn:subProcess>"
    )
    body = tool("A", "a") + tool("B", "b") + esp
    await deploy_around(gw, "adhocEsp", ad_hoc("AdHoc", body, active='=["A", "B"]'), extra=error("Err", "DITOLAK"))
    pi = await gw.start("adhocEsp")

    await gw.throw_error(await gw.job("a"), "DITOLAK")
    assert states(engine, pi, "B") == [ElementState.TERMINATED]
    await gw.complete(await gw.job("catat"))
    engine.assert_that(pi).is_completed()
    assert states(engine, pi, "AdHoc") == [ElementState.COMPLETED]


async def test_modification_and_migration_of_ad_hoc_elements_are_refused_with_their_reason(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The embedded engine activates the elements of an ad-hoc sub-process only as Zeebe's ad-hoc instructions do
    (each in an inner instance): a modification activating one, or a migration of an instance inside one, is refused
    and changes nothing."""
    body = tool("A", "a") + tool("B", "b")
    await deploy_around(gw, "adhocModify", ad_hoc("AdHoc", body, active='=["A"]'))
    pi = await gw.start("adhocModify")
    definition = engine.process_instance(pi).process_definition_key

    with pytest.raises(InvalidArgumentError, match="inside an ad-hoc sub-process"):
        engine.engine.modify_process_instance(pi, [ActivateInstruction("B")], [])
    with pytest.raises(InvalidArgumentError, match="ad-hoc sub-process: the embedded engine cannot migrate it"):
        engine.engine.migrate_process_instance(
            pi, definition, {"AdHoc": "AdHoc", "AdHoc#innerInstance": "AdHoc#innerInstance", "A": "A"}
        )
    assert {j.type for j in engine.jobs()} == {"a"}
    await gw.complete(await gw.job("a"))
    engine.assert_that(pi).is_completed()


async def test_the_agent_job_may_throw_a_bpmn_error_caught_on_the_sub_process(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A BPMN error thrown by the agent's worker is the ad-hoc sub-process's (Zeebe rejects errors only from
    execution listener jobs): its error boundary event takes over, the running tool is terminated."""
    await deploy_with_boundary(
        gw, "agenGalat", agent_sub(output=False), error_ref("Err"), extra=error("Err", "MODEL_GAGAL")
    )
    pi = await gw.start("agenGalat")
    await complete_with_ad_hoc_result(gw, await gw.job(AGENT), [("CariPemohon", {}), ("KirimSurel", {})])
    await gw.complete(await gw.job("kirim-surel"))

    await gw.throw_error(await gw.job(AGENT), "MODEL_GAGAL", "batas token")
    engine.assert_that(pi).is_completed()
    assert states(engine, pi, "CariPemohon") == [ElementState.TERMINATED]
    assert states(engine, pi, "Handled") == [ElementState.COMPLETED]
    assert engine.jobs() == []


async def test_a_failing_completion_condition_is_an_incident_resolved_by_fixing_the_variable(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A completion condition that is not a boolean: EXTRACT_VALUE_ERROR on the completing inner instance with
    Zeebe's prefix; fixed and resolved, the inner instance completes and the condition is evaluated again."""
    body = tool("A", "a") + tool("B", "b")
    await deploy_around(gw, "adhocBadCond", ad_hoc("AdHoc", body, active='=["A", "B"]', condition="=selesai"))
    pi = await gw.start("adhocBadCond")

    await gw.complete(await gw.job("a"))
    incident = gw.incident(pi, "EXTRACT_VALUE_ERROR")
    assert incident.error_message.startswith("Failed to evaluate completion condition. ")
    assert incident.element_id == "AdHoc#innerInstance"
    await gw.set_variables(pi, {"selesai": True})
    await gw.resolve(incident.key)
    engine.assert_that(pi).is_completed()
    assert states(engine, pi, "B") == [ElementState.TERMINATED]


async def test_a_multi_instance_ad_hoc_sub_process_runs_once_per_item(gw: Driver, engine: EmbeddedEngine) -> None:
    """A parallel multi-instance ad-hoc sub-process: each inner instance of the body is an ad-hoc sub-process of its
    own, with its item, its activities and its output collection."""
    loop = multi_instance("=daftar", "dokumen", output_collection="semua", output_element="=hasilPeriksa")
    body = tool("Periksa", "periksa") + loop
    sub = ad_hoc("AdHoc", body, active='=["Periksa"]', output=("hasilPeriksa", "=dokumen"))
    await deploy_around(gw, "adhocMulti", sub)
    pi = await gw.start("adhocMulti", {"daftar": ["KTP", "NPWP"]})

    jobs = await gw.activate("periksa")
    assert sorted(json.loads(j.variables)["dokumen"] for j in jobs) == ["KTP", "NPWP"]
    assert len(engine.element_instances(pi, "AdHoc#innerInstance")) == 2
    for job in jobs:
        await gw.complete(job)
    engine.assert_that(pi).is_completed().has_variable("semua", [["KTP"], ["NPWP"]])


async def test_mappings_of_the_sub_process_are_its_local_variables_and_its_results(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Input mappings of the ad-hoc sub-process are locals its job and activities see; its output mappings read the
    output collection when it completes (the AI agent template maps its prompt in and its result out this way)."""
    sub = ad_hoc(
        "AdHoc",
        tool("CariPemohon", "cari-pemohon"),
        task_def(AGENT),
        io(inputs=(("=pertanyaan", "prompt"),), outputs=(("=count(toolCallResults)", "jumlahPanggilan"),)),
        output=("toolCallResults", "=hasilCari"),
    )
    await deploy_around(gw, "agenMapping", sub)
    pi = await gw.start("agenMapping", {"pertanyaan": "status P-9?"})
    [ad_hoc_key] = gw.element_keys(pi, "AdHoc")

    first = await gw.job(AGENT)
    assert json.loads(first.variables)["prompt"] == "status P-9?"
    assert engine.variables(ad_hoc_key)["prompt"] == "status P-9?"
    await complete_with_ad_hoc_result(gw, first, [("CariPemohon", None)])
    cari = await gw.job("cari-pemohon")
    assert json.loads(cari.variables)["prompt"] == "status P-9?"
    await gw.complete(cari, {"hasilCari": "diproses"})
    await complete_with_ad_hoc_result(gw, await gw.job(AGENT), [], fulfilled=True)
    engine.assert_that(pi).is_completed().has_variable("jumlahPanggilan", 1).has_no_variable("prompt")
