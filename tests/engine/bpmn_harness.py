"""Drives the embedded engine for the BPMN conformance tests through its ports only: the Zeebe gateway
gRPC API (raw `GatewayStub`) and the REST API (aiohttp). State is read through the EmbeddedEngine's read
API for assertions. Also small BPMN element builders, so each test shows the diagram it runs."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import aiohttp
import grpc
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from engine.state import Incident, IncidentState, ProcessInstance
from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import process

# ====================================================================== element builders


def start(element_id: str, definition: str = "", *, attrs: str = "") -> str:
    return f'<bpmn:startEvent id="{element_id}" {attrs}>{definition}</bpmn:startEvent>'


def end(element_id: str, definition: str = "") -> str:
    return f'<bpmn:endEvent id="{element_id}">{definition}</bpmn:endEvent>'


def ext(*parts: str) -> str:
    return f"<bpmn:extensionElements>{''.join(parts)}</bpmn:extensionElements>"


def task_def(job_type: str, retries: str | None = None) -> str:
    retries_attr = f" retries={quoteattr(retries)}" if retries is not None else ""
    return f"<zeebe:taskDefinition type={quoteattr(job_type)}{retries_attr} />"


def io(inputs: tuple[tuple[str, str], ...] = (), outputs: tuple[tuple[str, str], ...] = ()) -> str:
    """zeebe:ioMapping with (source, target) pairs."""
    body = "".join(f"<zeebe:input source={quoteattr(s)} target={quoteattr(t)} />" for s, t in inputs)
    body += "".join(f"<zeebe:output source={quoteattr(s)} target={quoteattr(t)} />" for s, t in outputs)
    return f"<zeebe:ioMapping>{body}</zeebe:ioMapping>"


def headers(**values: str) -> str:
    body = "".join(f"<zeebe:header key={quoteattr(k)} value={quoteattr(v)} />" for k, v in values.items())
    return f"<zeebe:taskHeaders>{body}</zeebe:taskHeaders>"


def service(
    element_id: str,
    job_type: str,
    *extensions: str,
    body: str = "",
    tag: str = "serviceTask",
    retries: str | None = None,
) -> str:
    """A job-worker task (service task by default) with its task definition and other extensions."""
    return f'<bpmn:{tag} id="{element_id}">{ext(task_def(job_type, retries), *extensions)}{body}</bpmn:{tag}>'


def multi_instance(
    input_collection: str,
    input_element: str | None = None,
    *,
    sequential: bool = False,
    output_collection: str | None = None,
    output_element: str | None = None,
    completion_condition: str | None = None,
) -> str:
    attrs = f"inputCollection={quoteattr(input_collection)}"
    if input_element:
        attrs += f" inputElement={quoteattr(input_element)}"
    if output_collection:
        attrs += f" outputCollection={quoteattr(output_collection)}"
    if output_element:
        attrs += f" outputElement={quoteattr(output_element)}"
    condition = (
        f"<bpmn:completionCondition>{escape(completion_condition)}</bpmn:completionCondition>"
        if completion_condition
        else ""
    )
    return (
        f'<bpmn:multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}">'
        f"{ext(f'<zeebe:loopCharacteristics {attrs} />')}{condition}"
        "</bpmn:multiInstanceLoopCharacteristics>"
    )


def timer(kind: str, value: str) -> str:
    """A timer event definition; kind is timeDuration, timeDate or timeCycle."""
    return (
        f'<bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(value)}'
        f"</bpmn:{kind}></bpmn:timerEventDefinition>"
    )


def message_ref(message_id: str) -> str:
    return f'<bpmn:messageEventDefinition messageRef="{message_id}" />'


def error_ref(error_id: str | None = None) -> str:
    if error_id is None:
        return "<bpmn:errorEventDefinition />"
    return f'<bpmn:errorEventDefinition errorRef="{error_id}" />'


def message(message_id: str, name: str, correlation_key: str | None = None) -> str:
    """A bpmn:message for the `extra` part of the document."""
    if correlation_key is None:
        return f'<bpmn:message id="{message_id}" name={quoteattr(name)} />'
    return (
        f'<bpmn:message id="{message_id}" name={quoteattr(name)}>'
        f"{ext(f'<zeebe:subscription correlationKey={quoteattr(correlation_key)} />')}</bpmn:message>"
    )


def error(error_id: str, code: str) -> str:
    return f'<bpmn:error id="{error_id}" errorCode={quoteattr(code)} />'


def boundary(element_id: str, attached_to: str, definition: str, *extensions: str, interrupting: bool = True) -> str:
    cancel = "" if interrupting else ' cancelActivity="false"'
    extension = ext(*extensions) if extensions else ""
    return (
        f'<bpmn:boundaryEvent id="{element_id}" attachedToRef="{attached_to}"{cancel}>'
        f"{extension}{definition}</bpmn:boundaryEvent>"
    )


def catch(element_id: str, definition: str, *extensions: str) -> str:
    extension = ext(*extensions) if extensions else ""
    return f'<bpmn:intermediateCatchEvent id="{element_id}">{extension}{definition}</bpmn:intermediateCatchEvent>'


def sub_process(element_id: str, body: str, *extensions: str, event: bool = False, loop: str = "") -> str:
    extension = ext(*extensions) if extensions else ""
    triggered = ' triggeredByEvent="true"' if event else ""
    return f'<bpmn:subProcess id="{element_id}"{triggered}>{extension}{loop}{body}</bpmn:subProcess>'


def call_activity(element_id: str, process_id: str, *extensions: str, attrs: str = "", loop: str = "") -> str:
    """A call activity; `attrs` adds zeebe:calledElement attributes (bindingType, propagate…)."""
    called = f"<zeebe:calledElement processId={quoteattr(process_id)} {attrs} />"
    return f'<bpmn:callActivity id="{element_id}">{ext(called, *extensions)}{loop}</bpmn:callActivity>'


def signal(signal_id: str, name: str) -> str:
    """A bpmn:signal for the `extra` part of the document."""
    return f'<bpmn:signal id="{signal_id}" name={quoteattr(name)} />'


def signal_ref(signal_id: str) -> str:
    return f'<bpmn:signalEventDefinition signalRef="{signal_id}" />'


def escalation(escalation_id: str, code: str) -> str:
    """A bpmn:escalation for the `extra` part of the document."""
    return f'<bpmn:escalation id="{escalation_id}" escalationCode={quoteattr(code)} />'


def escalation_ref(escalation_id: str | None = None) -> str:
    if escalation_id is None:
        return "<bpmn:escalationEventDefinition />"
    return f'<bpmn:escalationEventDefinition escalationRef="{escalation_id}" />'


def throw(element_id: str, definition: str = "", *extensions: str) -> str:
    extension = ext(*extensions) if extensions else ""
    return f'<bpmn:intermediateThrowEvent id="{element_id}">{extension}{definition}</bpmn:intermediateThrowEvent>'


def link(name: str) -> str:
    return f"<bpmn:linkEventDefinition name={quoteattr(name)} />"


def inclusive(element_id: str, default: str | None = None) -> str:
    default_attr = f' default="{default}"' if default else ""
    return f'<bpmn:inclusiveGateway id="{element_id}"{default_attr} />'


def event_gateway(element_id: str) -> str:
    return f'<bpmn:eventBasedGateway id="{element_id}" />'


def xor(element_id: str, default: str | None = None) -> str:
    default_attr = f' default="{default}"' if default else ""
    return f'<bpmn:exclusiveGateway id="{element_id}"{default_attr} />'


def fork(element_id: str) -> str:
    return f'<bpmn:parallelGateway id="{element_id}" />'


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def bpmn(process_id: str, *elements: str, extra: str = "") -> bytes:
    """A definitions document with one executable process made of `elements`."""
    return process(process_id, "\n".join(elements), extra=extra)


# ====================================================================== the driver


class Driver:
    """One test's hands on the engine: gRPC for commands, REST for user tasks, read API for assertions."""

    def __init__(self, engine: EmbeddedEngine, channel: grpc.aio.Channel, http: aiohttp.ClientSession) -> None:
        self.engine = engine
        # the generated stub is typed for sync channels; on an aio channel its calls are awaitable
        self.stub: Any = GatewayStub(channel)
        self.http = http

    # ------------------------------------------------------------------ deployment and instances
    async def deploy(self, *resources: tuple[str, bytes]) -> pb.DeployResourceResponse:
        request = pb.DeployResourceRequest(resources=[pb.Resource(name=n, content=c) for n, c in resources])
        response: pb.DeployResourceResponse = await self.stub.DeployResource(request)
        return response

    async def deploy_bpmn(self, process_id: str, *elements: str, extra: str = "") -> pb.DeployResourceResponse:
        return await self.deploy((f"{process_id}.bpmn", bpmn(process_id, *elements, extra=extra)))

    async def start(self, process_id: str, variables: dict[str, Any] | None = None) -> int:
        response = await self.stub.CreateProcessInstance(
            pb.CreateProcessInstanceRequest(bpmnProcessId=process_id, version=-1, variables=_json(variables))
        )
        return int(response.processInstanceKey)

    # ------------------------------------------------------------------ jobs
    async def activate(
        self, job_type: str, *, max_jobs: int = 100, fetch: tuple[str, ...] = ()
    ) -> list[pb.ActivatedJob]:
        """Activates the jobs of a type that are there now (no long polling)."""
        request = pb.ActivateJobsRequest(
            type=job_type,
            worker="conformance",
            timeout=600_000,
            maxJobsToActivate=max_jobs,
            fetchVariable=list(fetch),
            requestTimeout=-1,
        )
        jobs: list[pb.ActivatedJob] = []
        async for response in self.stub.ActivateJobs(request):
            jobs.extend(response.jobs)
        return jobs

    async def job(self, job_type: str) -> pb.ActivatedJob:
        """Activates the one job of this type that must be there."""
        jobs = await self.activate(job_type, max_jobs=1)
        assert len(jobs) == 1, f"expected a job of type '{job_type}', found none"
        return jobs[0]

    async def complete(self, job: pb.ActivatedJob | int, variables: dict[str, Any] | None = None) -> None:
        key = job if isinstance(job, int) else job.key
        await self.stub.CompleteJob(pb.CompleteJobRequest(jobKey=key, variables=_json(variables)))

    async def complete_all(self, job_type: str, variables: dict[str, Any] | None = None) -> int:
        jobs = await self.activate(job_type)
        for job in jobs:
            await self.complete(job, variables)
        return len(jobs)

    async def throw_error(
        self, job: pb.ActivatedJob, code: str, message: str = "", variables: dict[str, Any] | None = None
    ) -> None:
        await self.stub.ThrowError(
            pb.ThrowErrorRequest(jobKey=job.key, errorCode=code, errorMessage=message, variables=_json(variables))
        )

    # ------------------------------------------------------------------ messages, variables, incidents
    async def publish(
        self,
        name: str,
        correlation_key: str = "",
        variables: dict[str, Any] | None = None,
        *,
        ttl_ms: int = 0,
        message_id: str = "",
    ) -> int:
        response = await self.stub.PublishMessage(
            pb.PublishMessageRequest(
                name=name,
                correlationKey=correlation_key,
                timeToLive=ttl_ms,
                messageId=message_id,
                variables=_json(variables),
            )
        )
        return int(response.key)

    async def broadcast(self, name: str, variables: dict[str, Any] | None = None) -> int:
        response = await self.stub.BroadcastSignal(
            pb.BroadcastSignalRequest(signalName=name, variables=_json(variables))
        )
        return int(response.key)

    async def set_variables(self, element_instance_key: int, variables: dict[str, Any], *, local: bool = False) -> None:
        await self.stub.SetVariables(
            pb.SetVariablesRequest(elementInstanceKey=element_instance_key, variables=_json(variables), local=local)
        )

    async def resolve(self, incident_key: int) -> None:
        await self.stub.ResolveIncident(pb.ResolveIncidentRequest(incidentKey=incident_key))

    def incident(self, pi_key: int, error_type: str) -> Incident:
        """The one active incident of this type on the instance."""
        found = [
            i for i in self.engine.incidents(pi_key) if i.error_type == error_type and i.state is IncidentState.ACTIVE
        ]
        assert len(found) == 1, f"expected one active {error_type} incident, found {self.engine.incidents(pi_key)}"
        return found[0]

    def called(self, pi_key: int) -> list[ProcessInstance]:
        """The instances the call activities of this instance created, oldest first."""
        found = [p for p in self.engine.process_instances() if p.parent_process_instance_key == pi_key]
        return sorted(found, key=lambda p: p.key)

    def element_keys(self, pi_key: int, element_id: str) -> list[int]:
        return [e.key for e in self.engine.element_instances(pi_key, element_id)]

    # ------------------------------------------------------------------ REST: user tasks
    async def search_user_tasks(self, **filters: Any) -> list[dict[str, Any]]:
        async with self.http.post(f"{self.engine.rest_url}/v2/user-tasks/search", json={"filter": filters}) as response:
            assert response.status == 200, await response.text()
            body: dict[str, Any] = await response.json()
        return list(body["items"])

    async def complete_user_task(self, key: str | int, variables: dict[str, Any] | None = None) -> None:
        async with self.http.post(
            f"{self.engine.rest_url}/v2/user-tasks/{key}/completion", json={"variables": variables or {}}
        ) as response:
            assert response.status == 204, await response.text()


@asynccontextmanager
async def driving(engine: EmbeddedEngine, channel: grpc.aio.Channel) -> AsyncIterator[Driver]:
    async with aiohttp.ClientSession() as http:
        yield Driver(engine, channel, http)


def _json(variables: dict[str, Any] | None) -> str:
    return json.dumps(variables or {})
