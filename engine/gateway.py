"""The Zeebe gateway gRPC protocol (`gateway_protocol.Gateway`) served over the engine.

It reuses the generated code that pyzeebe ships: a second copy of `gateway_protocol` in one process
would collide in protobuf's descriptor pool.
"""

import asyncio
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import grpc
from google.protobuf import message_factory
from google.protobuf.message import DecodeError, Message
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto import gateway_pb2_grpc as pb_grpc

from engine.clock import to_millis
from engine.decisions import grpc as decision_messages
from engine.engine import ActivatedJob, Engine, parse_variables
from engine.errors import (
    AlreadyExistsError,
    DeadlineExceededError,
    EngineError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    UnimplementedError,
)
from engine.protocol_fields import activated_job_fields, complete_job_result

GATEWAY_VERSION = "8.8.0"
TENANT = "<default>"
DEFAULT_LONG_POLL_MS = 10_000
DEFAULT_RESULT_TIMEOUT_MS = 15_000
# what one message to a client may hold: gRPC clients' default inbound limit (pyzeebe, the Java and JS clients); a
# batch of jobs is cut to fit, as Zeebe's gateway does, instead of the client failing with RESOURCE_EXHAUSTED
CLIENT_MESSAGE_LIMIT = 4 * 1024 * 1024

_STATUS = {
    InvalidArgumentError: grpc.StatusCode.INVALID_ARGUMENT,
    NotFoundError: grpc.StatusCode.NOT_FOUND,
    FailedPreconditionError: grpc.StatusCode.FAILED_PRECONDITION,
    AlreadyExistsError: grpc.StatusCode.ALREADY_EXISTS,
    ResourceExhaustedError: grpc.StatusCode.RESOURCE_EXHAUSTED,
    DeadlineExceededError: grpc.StatusCode.DEADLINE_EXCEEDED,
    UnimplementedError: grpc.StatusCode.UNIMPLEMENTED,
}

R = TypeVar("R")
Handler = Callable[[Any, Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[R]]


def _status_of(exc: EngineError) -> grpc.StatusCode:
    for cls, code in _STATUS.items():
        if isinstance(exc, cls):
            return code
    return grpc.StatusCode.INTERNAL


def _unary(handler: Handler[R]) -> Handler[R]:
    """Turns engine errors into the gRPC status Zeebe answers with."""

    @wraps(handler)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> R:
        self.engine.inflight += 1
        try:
            return await handler(self, request, context)
        except EngineError as exc:
            await context.abort(_status_of(exc), str(exc))
            raise  # unreachable: abort raises
        finally:
            self.engine.inflight -= 1

    return wrapper


def _variables(document: str, what: str = "variables") -> dict[str, Any]:
    return parse_variables(document, what)


def _tenant(rpc: str, tenant_id: str) -> None:
    """A request's tenant: none given, or the default one (multi-tenancy is disabled, as in Zeebe's default)."""
    if tenant_id and tenant_id != TENANT:
        raise InvalidArgumentError(
            f"Expected to handle gRPC request {rpc} with tenant identifier '{tenant_id}', but multi-tenancy is disabled"
        )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def activated_job_message(activated: ActivatedJob) -> pb.ActivatedJob:
    job = activated.job
    message = pb.ActivatedJob(
        key=job.key,
        type=job.type,
        processInstanceKey=job.process_instance_key,
        bpmnProcessId=job.bpmn_process_id,
        processDefinitionVersion=job.process_definition_version,
        processDefinitionKey=job.process_definition_key,
        elementId=job.element_id,
        elementInstanceKey=job.element_instance_key,
        customHeaders=_json(job.custom_headers),
        worker=job.worker,
        retries=job.retries,
        deadline=to_millis(job.deadline) if job.deadline else 0,
        variables=activated.variables_json if activated.variables_json is not None else _json(activated.variables),
        tenantId=TENANT,
    )
    # Zeebe 8.8's kind, listenerEventType (and userTask), which pyzeebe's gateway_protocol has no fields for
    if activated.user_task is None:
        message.MergeFromString(_listener_fields(job.kind, job.listener_event_type))
    else:
        message.MergeFromString(activated_job_fields(job.kind, job.listener_event_type, activated.user_task))
    return message


@functools.cache
def _listener_fields(kind: str, listener_event_type: str) -> bytes:
    return activated_job_fields(kind, listener_event_type)


class GatewayService(pb_grpc.GatewayServicer):
    """Implements every RPC the SOP workers and clients need; the rest answer UNIMPLEMENTED."""

    def __init__(self, engine: Engine, host: str, port: int) -> None:
        self.engine = engine
        self.host = host
        self.port = port

    # ------------------------------------------------------------------ cluster
    @_unary
    async def Topology(self, request: pb.TopologyRequest, context: Any) -> pb.TopologyResponse:
        partition = pb.Partition(partitionId=1, role=pb.Partition.LEADER, health=pb.Partition.HEALTHY)
        broker = pb.BrokerInfo(
            nodeId=0, host=self.host, port=self.port, partitions=[partition], version=GATEWAY_VERSION
        )
        return pb.TopologyResponse(
            brokers=[broker],
            clusterSize=1,
            partitionsCount=1,
            replicationFactor=1,
            gatewayVersion=GATEWAY_VERSION,
        )

    # ------------------------------------------------------------------ deployment
    @_unary
    async def DeployResource(self, request: pb.DeployResourceRequest, context: Any) -> pb.DeployResourceResponse:
        deployment = self.engine.deploy([(r.name, bytes(r.content)) for r in request.resources])
        out = []
        for res in deployment.resources:
            if res.kind == "form":
                out.append(
                    pb.Deployment(
                        form=pb.FormMetadata(
                            formId=res.id,
                            version=res.version,
                            formKey=res.key,
                            resourceName=res.resource_name,
                            tenantId=TENANT,
                        )
                    )
                )
            elif res.kind in ("decision", "decisionRequirements"):
                out.append(decision_messages.deployment_message(res))
            else:
                out.append(
                    pb.Deployment(
                        process=pb.ProcessMetadata(
                            bpmnProcessId=res.id,
                            version=res.version,
                            processDefinitionKey=res.key,
                            resourceName=res.resource_name,
                            tenantId=TENANT,
                        )
                    )
                )
        return pb.DeployResourceResponse(key=deployment.key, deployments=out, tenantId=TENANT)

    @_unary
    async def DeployProcess(self, request: pb.DeployProcessRequest, context: Any) -> pb.DeployProcessResponse:
        deployment = self.engine.deploy([(p.name, bytes(p.definition)) for p in request.processes])
        processes = [
            pb.ProcessMetadata(
                bpmnProcessId=r.id,
                version=r.version,
                processDefinitionKey=r.key,
                resourceName=r.resource_name,
                tenantId=TENANT,
            )
            for r in deployment.resources
            if r.kind == "process"
        ]
        return pb.DeployProcessResponse(key=deployment.key, processes=processes)

    # ------------------------------------------------------------------ decisions
    @_unary
    async def EvaluateDecision(self, request: pb.EvaluateDecisionRequest, context: Any) -> pb.EvaluateDecisionResponse:
        _tenant("EvaluateDecision", request.tenantId)
        evaluation = await self.engine.evaluate_decision_off_loop(
            request.decisionId, request.decisionKey, _variables(request.variables)
        )
        return decision_messages.evaluation_response(evaluation)

    # ------------------------------------------------------------------ process instances
    def _create(self, request: pb.CreateProcessInstanceRequest) -> Any:
        return self.engine.create_process_instance(
            bpmn_process_id=request.bpmnProcessId,
            version=request.version,  # as in Zeebe: -1 is the latest, any other number that version (0: none)
            process_definition_key=request.processDefinitionKey,
            variables=_variables(request.variables),
            start_element_ids=[i.elementId for i in request.startInstructions],
        )

    @_unary
    async def CreateProcessInstance(
        self, request: pb.CreateProcessInstanceRequest, context: Any
    ) -> pb.CreateProcessInstanceResponse:
        pi = self._create(request)
        return pb.CreateProcessInstanceResponse(
            processDefinitionKey=pi.process_definition_key,
            bpmnProcessId=pi.bpmn_process_id,
            version=pi.version,
            processInstanceKey=pi.key,
            tenantId=TENANT,
        )

    @_unary
    async def CreateProcessInstanceWithResult(
        self, request: pb.CreateProcessInstanceWithResultRequest, context: Any
    ) -> pb.CreateProcessInstanceWithResultResponse:
        pi = self._create(request.request)
        timeout_ms = request.requestTimeout if request.requestTimeout > 0 else DEFAULT_RESULT_TIMEOUT_MS
        try:
            done = await self.engine.wait_for_result(pi.key, timeout_ms / 1000)
        except TimeoutError:
            raise DeadlineExceededError(
                f"Expected the process instance '{pi.key}' to complete within {timeout_ms} ms, but it did not"
            ) from None
        if done.state != "COMPLETED":
            raise FailedPreconditionError(
                f"Expected the process instance '{pi.key}' to complete, but it was terminated"
            )
        variables = done.final_variables or {}
        if request.fetchVariables:
            variables = {k: v for k, v in variables.items() if k in request.fetchVariables}
        return pb.CreateProcessInstanceWithResultResponse(
            processDefinitionKey=pi.process_definition_key,
            bpmnProcessId=pi.bpmn_process_id,
            version=pi.version,
            processInstanceKey=pi.key,
            variables=_json(variables),
            tenantId=TENANT,
        )

    @_unary
    async def CancelProcessInstance(
        self, request: pb.CancelProcessInstanceRequest, context: Any
    ) -> pb.CancelProcessInstanceResponse:
        self.engine.cancel_process_instance(request.processInstanceKey)
        return pb.CancelProcessInstanceResponse()

    @_unary
    async def SetVariables(self, request: pb.SetVariablesRequest, context: Any) -> pb.SetVariablesResponse:
        key = self.engine.set_variables(request.elementInstanceKey, _variables(request.variables), request.local)
        return pb.SetVariablesResponse(key=key)

    @_unary
    async def ResolveIncident(self, request: pb.ResolveIncidentRequest, context: Any) -> pb.ResolveIncidentResponse:
        self.engine.resolve_incident(request.incidentKey)
        return pb.ResolveIncidentResponse()

    # ------------------------------------------------------------------ messages
    @_unary
    async def PublishMessage(self, request: pb.PublishMessageRequest, context: Any) -> pb.PublishMessageResponse:
        key = self.engine.publish_message(
            request.name,
            request.correlationKey,
            request.timeToLive,
            request.messageId,
            _variables(request.variables),
        )
        return pb.PublishMessageResponse(key=key, tenantId=TENANT)

    @_unary
    async def BroadcastSignal(self, request: pb.BroadcastSignalRequest, context: Any) -> pb.BroadcastSignalResponse:
        key = self.engine.broadcast_signal(request.signalName, _variables(request.variables))
        return pb.BroadcastSignalResponse(key=key, tenantId=TENANT)

    # ------------------------------------------------------------------ jobs
    async def ActivateJobs(
        self, request: pb.ActivateJobsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[pb.ActivateJobsResponse]:
        """Long polling: the request is held until jobs are there or its requestTimeout runs out."""
        engine = self.engine
        fetch = list(request.fetchVariable)
        loop = asyncio.get_running_loop()
        long_poll_ms = request.requestTimeout if request.requestTimeout > 0 else DEFAULT_LONG_POLL_MS
        give_up_at = loop.time() + long_poll_ms / 1000
        engine.poll_started(request.type)
        try:
            while True:
                try:
                    jobs = engine.activate_jobs(
                        request.type,
                        request.worker,
                        request.timeout,
                        request.maxJobsToActivate,
                        fetch,
                        CLIENT_MESSAGE_LIMIT,
                    )
                except EngineError as exc:
                    await context.abort(_status_of(exc), str(exc))
                    return
                if jobs:
                    yield pb.ActivateJobsResponse(jobs=[activated_job_message(j) for j in jobs])
                    return
                remaining = give_up_at - loop.time()
                if request.requestTimeout < 0 or remaining <= 0:
                    return
                waiter = engine.add_job_waiter(request.type)
                try:
                    await asyncio.wait_for(waiter, remaining)
                except TimeoutError:
                    return
                finally:
                    engine.remove_job_waiter(request.type, waiter)
        finally:
            engine.poll_ended(request.type)

    async def StreamActivatedJobs(
        self, request: pb.StreamActivatedJobsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[pb.ActivatedJob]:
        """Pushes jobs to the worker as they become activatable, until the client closes the stream."""
        try:
            stream = self.engine.open_job_stream(
                request.type, request.worker, request.timeout, list(request.fetchVariable), CLIENT_MESSAGE_LIMIT
            )
        except EngineError as exc:
            await context.abort(_status_of(exc), str(exc))
            return
        self.engine.poll_started(request.type)
        try:
            while True:
                activated = await stream.queue.get()
                yield activated_job_message(activated)
        finally:
            self.engine.poll_ended(request.type)
            self.engine.close_job_stream(stream)

    @_unary
    async def CompleteJob(self, request: pb.CompleteJobRequest, context: Any) -> pb.CompleteJobResponse:
        result = complete_job_result(request)
        given = result.as_command() if result.present else None
        self.engine.complete_job(request.jobKey, _variables(request.variables), given)
        return pb.CompleteJobResponse()

    @_unary
    async def FailJob(self, request: pb.FailJobRequest, context: Any) -> pb.FailJobResponse:
        self.engine.fail_job(
            request.jobKey,
            request.retries,
            request.errorMessage,
            request.retryBackOff,
            _variables(request.variables),
        )
        return pb.FailJobResponse()

    @_unary
    async def ThrowError(self, request: pb.ThrowErrorRequest, context: Any) -> pb.ThrowErrorResponse:
        self.engine.throw_error(request.jobKey, request.errorCode, request.errorMessage, _variables(request.variables))
        return pb.ThrowErrorResponse()

    @_unary
    async def UpdateJobRetries(self, request: pb.UpdateJobRetriesRequest, context: Any) -> pb.UpdateJobRetriesResponse:
        self.engine.update_job_retries(request.jobKey, request.retries)
        return pb.UpdateJobRetriesResponse()

    @_unary
    async def UpdateJobTimeout(self, request: pb.UpdateJobTimeoutRequest, context: Any) -> pb.UpdateJobTimeoutResponse:
        self.engine.update_job_timeout(request.jobKey, request.timeout)
        return pb.UpdateJobTimeoutResponse()

    # ------------------------------------------------------------------ not implemented here
    async def _unimplemented(self, context: grpc.aio.ServicerContext[Any, Any], what: str) -> None:
        await context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            f"{what} is not implemented by the embedded engine; use Camunda 8 for it",
        )

    async def ModifyProcessInstance(self, request: Any, context: Any) -> Any:
        await self._unimplemented(context, "ModifyProcessInstance")

    async def MigrateProcessInstance(self, request: Any, context: Any) -> Any:
        await self._unimplemented(context, "MigrateProcessInstance")

    async def DeleteResource(self, request: Any, context: Any) -> Any:
        await self._unimplemented(context, "DeleteResource")


# ---------------------------------------------------------------------- registration
@dataclass(frozen=True)
class MalformedRequest:
    """A request payload that is not a valid message of the RPC's request type."""

    message: str


def _lenient_deserializer(message_class: type[Message]) -> Callable[[bytes], Message | MalformedRequest]:
    """Parses a request payload; a payload that is not a valid message becomes a MalformedRequest, which the
    handler answers with INVALID_ARGUMENT (a deserializer that raises makes grpcio answer UNKNOWN)."""
    name = message_class.DESCRIPTOR.full_name

    def deserialize(payload: bytes) -> Message | MalformedRequest:
        try:
            return message_class.FromString(payload)
        except (DecodeError, ValueError, RecursionError) as exc:
            return MalformedRequest(f"Expected a valid {name} message, but the request could not be parsed: {exc}")

    return deserialize


def _guarded_unary(method: Callable[[Any, Any], Awaitable[Any]]) -> Callable[[Any, Any], Awaitable[Any]]:
    async def handle(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        if isinstance(request, MalformedRequest):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
        return await method(request, context)

    return handle


def _guarded_stream(method: Callable[[Any, Any], AsyncIterator[Any]]) -> Callable[[Any, Any], AsyncIterator[Any]]:
    async def handle(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        if isinstance(request, MalformedRequest):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.message)
            return
        async for response in method(request, context):
            yield response

    return handle


def add_gateway_to_server(service: GatewayService, server: grpc.aio.Server) -> None:
    """Serves every RPC of `gateway_protocol.Gateway` (taken from the service descriptor) with `service`, like the
    generated `add_GatewayServicer_to_server`, but a malformed request payload is answered INVALID_ARGUMENT."""
    descriptor = pb.DESCRIPTOR.services_by_name["Gateway"]
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
    for method in descriptor.methods:
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        implementation = getattr(service, method.name)
        if method.server_streaming:
            handlers[method.name] = grpc.unary_stream_rpc_method_handler(
                _guarded_stream(implementation),
                request_deserializer=_lenient_deserializer(request_class),
                response_serializer=response_class.SerializeToString,
            )
        else:
            handlers[method.name] = grpc.unary_unary_rpc_method_handler(
                _guarded_unary(implementation),
                request_deserializer=_lenient_deserializer(request_class),
                response_serializer=response_class.SerializeToString,
            )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(descriptor.full_name, handlers),))
