"""The fields of Zeebe 8.8's gateway protocol that the generated `gateway_protocol` pyzeebe ships (the gateway's
messages, engine/gateway.py) lacks: ActivatedJob's `userTask` (15), `kind` (16) and `listenerEventType` (17), and
CompleteJobRequest's `result` (3, a JobResult with `denied`, `corrections`, `deniedReason`, `type` and, for the job
of an ad-hoc sub-process, `activateElements`, `isCompletionConditionFulfilled`, `isCancelRemainingInstances`).

They are declared here, with their 8.8 field numbers, in a descriptor pool of their own (a second `gateway_protocol`
in the default pool would collide with pyzeebe's). Protocol buffers' wire format makes the rest simple: a message's
serialized fields can be appended to another serialized message of the same type, and a parser keeps the fields it
does not know and writes them out again. So an ActivatedJob gets its 8.8 fields appended (clients with the 8.8
protocol read them, older ones skip them), and a CompleteJobRequest's `result` is read from the bytes pyzeebe's
class kept as unknown fields.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

from engine.errors import InvalidArgumentError

_T = descriptor_pb2.FieldDescriptorProto
_OPTIONAL = _T.LABEL_OPTIONAL
_REPEATED = _T.LABEL_REPEATED

# the enums of ActivatedJob in Zeebe 8.8's gateway.proto (numbers as declared there)
JOB_KINDS = {"BPMN_ELEMENT": 0, "EXECUTION_LISTENER": 1, "TASK_LISTENER": 2, "AD_HOC_SUB_PROCESS": 3}
LISTENER_EVENT_TYPES = {
    "ASSIGNING": 0,
    "CANCELING": 1,
    "COMPLETING": 2,
    "CREATING": 3,
    "END": 4,
    "START": 5,
    "UNSPECIFIED": 6,
    "UPDATING": 7,
}


def _field(
    message: Any,
    name: str,
    number: int,
    kind: int,
    label: int = _OPTIONAL,
    type_name: str = "",
    proto3_optional: bool = False,
) -> None:
    f = message.field.add(name=name, number=number, type=kind, label=label)
    if type_name:
        f.type_name = type_name
    if proto3_optional:
        f.proto3_optional = True
        f.oneof_index = len(message.oneof_decl)
        message.oneof_decl.add(name=f"_{name}")


def _build() -> descriptor_pool.DescriptorPool:
    file = descriptor_pb2.FileDescriptorProto(name="pbj_gateway_fields.proto", package="pbj_gateway", syntax="proto3")
    string_list = file.message_type.add(name="StringList")
    _field(string_list, "values", 1, _T.TYPE_STRING, _REPEATED)
    props = file.message_type.add(name="UserTaskProperties")
    _field(props, "action", 1, _T.TYPE_STRING, proto3_optional=True)
    _field(props, "assignee", 2, _T.TYPE_STRING, proto3_optional=True)
    _field(props, "candidateGroups", 3, _T.TYPE_STRING, _REPEATED)
    _field(props, "candidateUsers", 4, _T.TYPE_STRING, _REPEATED)
    _field(props, "changedAttributes", 5, _T.TYPE_STRING, _REPEATED)
    _field(props, "dueDate", 6, _T.TYPE_STRING, proto3_optional=True)
    _field(props, "followUpDate", 7, _T.TYPE_STRING, proto3_optional=True)
    _field(props, "formKey", 8, _T.TYPE_INT64, proto3_optional=True)
    _field(props, "priority", 9, _T.TYPE_INT32, proto3_optional=True)
    _field(props, "userTaskKey", 10, _T.TYPE_INT64, proto3_optional=True)
    job = file.message_type.add(name="ActivatedJobFields")  # ActivatedJob's fields 15–17
    _field(job, "userTask", 15, _T.TYPE_MESSAGE, type_name=".pbj_gateway.UserTaskProperties", proto3_optional=True)
    _field(job, "kind", 16, _T.TYPE_INT32)  # an enum on the wire is a varint: int32 reads and writes it alike
    _field(job, "listenerEventType", 17, _T.TYPE_INT32)
    corrections = file.message_type.add(name="JobResultCorrections")
    _field(corrections, "assignee", 1, _T.TYPE_STRING, proto3_optional=True)
    _field(corrections, "dueDate", 2, _T.TYPE_STRING, proto3_optional=True)
    _field(corrections, "followUpDate", 3, _T.TYPE_STRING, proto3_optional=True)
    _field(corrections, "candidateUsers", 4, _T.TYPE_MESSAGE, type_name=".pbj_gateway.StringList", proto3_optional=True)
    _field(
        corrections, "candidateGroups", 5, _T.TYPE_MESSAGE, type_name=".pbj_gateway.StringList", proto3_optional=True
    )
    _field(corrections, "priority", 6, _T.TYPE_INT32, proto3_optional=True)
    result = file.message_type.add(name="JobResult")
    _field(result, "denied", 1, _T.TYPE_BOOL, proto3_optional=True)
    _field(
        result, "corrections", 2, _T.TYPE_MESSAGE, type_name=".pbj_gateway.JobResultCorrections", proto3_optional=True
    )
    _field(result, "deniedReason", 3, _T.TYPE_STRING, proto3_optional=True)
    _field(result, "type", 4, _T.TYPE_STRING, proto3_optional=True)
    _field(result, "activateElements", 5, _T.TYPE_MESSAGE, _REPEATED, type_name=".pbj_gateway.JobResultActivateElement")
    _field(result, "isCompletionConditionFulfilled", 6, _T.TYPE_BOOL, proto3_optional=True)
    _field(result, "isCancelRemainingInstances", 7, _T.TYPE_BOOL, proto3_optional=True)
    activate = file.message_type.add(name="JobResultActivateElement")
    _field(activate, "elementId", 1, _T.TYPE_STRING)
    _field(activate, "variables", 2, _T.TYPE_STRING)  # a JSON document
    complete = file.message_type.add(name="CompleteJobRequestFields")  # CompleteJobRequest's field 3
    _field(complete, "result", 3, _T.TYPE_MESSAGE, type_name=".pbj_gateway.JobResult", proto3_optional=True)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return pool


_POOL = _build()
# message classes made at run time: typed Any (there are no generated stubs for them)
_ActivatedJobFields: Any = message_factory.GetMessageClass(
    _POOL.FindMessageTypeByName("pbj_gateway.ActivatedJobFields")
)
_CompleteJobRequestFields: Any = message_factory.GetMessageClass(
    _POOL.FindMessageTypeByName("pbj_gateway.CompleteJobRequestFields")
)
_UserTaskProperties: Any = message_factory.GetMessageClass(
    _POOL.FindMessageTypeByName("pbj_gateway.UserTaskProperties")
)


def activated_job_fields(kind: str, listener_event_type: str, user_task: dict[str, Any] | None = None) -> bytes:
    """The serialized 8.8 fields of an ActivatedJob (to append to the rest of it). `user_task`: the
    UserTaskProperties of a task listener job, by their 8.8 names."""
    fields = _ActivatedJobFields(
        kind=JOB_KINDS[kind], listenerEventType=LISTENER_EVENT_TYPES.get(listener_event_type, 6)
    )
    if user_task is not None:
        fields.userTask.CopyFrom(_UserTaskProperties(**{k: v for k, v in user_task.items() if v is not None}))
    data: bytes = fields.SerializeToString()
    return data


@dataclass(frozen=True)
class JobResult:
    """A CompleteJobRequest's result, as Zeebe 8.8 defines it for user task listeners: `corrections` holds only the
    attributes the worker set (candidate lists as lists)."""

    denied: bool = False
    denied_reason: str = ""
    corrections: dict[str, Any] = field(default_factory=dict)
    present: bool = False  # whether the request had a result at all
    type: str = "userTask"
    # the job of an ad-hoc sub-process: the elements to activate ({"elementId", "variables"}), its completion
    activate_elements: list[dict[str, Any]] = field(default_factory=list)
    completion_condition_fulfilled: bool = False
    cancel_remaining_instances: bool = False

    @property
    def ad_hoc(self) -> bool:
        """Whether it is the result of an ad-hoc sub-process's job (8.8 spells its type adHocSubProcess in the REST
        API and adHocSubprocess in gateway.proto's comment: either is taken)."""
        return self.type.lower() == "adhocsubprocess"

    def as_command(self) -> dict[str, Any]:
        """The result by the names Engine.complete_job takes (the REST API's)."""
        if self.ad_hoc:
            return {
                "type": "adHocSubProcess",
                "activateElements": self.activate_elements,
                "isCompletionConditionFulfilled": self.completion_condition_fulfilled,
                "isCancelRemainingInstances": self.cancel_remaining_instances,
            }
        return {"denied": self.denied, "deniedReason": self.denied_reason, "corrections": self.corrections}


def complete_job_result(request: Message) -> JobResult:
    """The `result` of a CompleteJobRequest parsed by pyzeebe's class (which kept it as an unknown field)."""
    try:
        fields = _CompleteJobRequestFields.FromString(request.SerializeToString())
    except DecodeError:
        raise InvalidArgumentError("Expected the job result to be a JobResult message, but it is malformed") from None
    if not fields.HasField("result"):
        return JobResult()
    result = fields.result
    corrections: dict[str, Any] = {}
    if result.HasField("corrections"):
        given = result.corrections
        for name in ("assignee", "dueDate", "followUpDate", "priority"):
            if given.HasField(name):
                corrections[name] = getattr(given, name)
        for name in ("candidateUsers", "candidateGroups"):
            if given.HasField(name):
                corrections[name] = list(getattr(given, name).values)
    elements: list[dict[str, Any]] = []
    for element in result.activateElements:
        variables: Any = None
        if element.variables.strip():
            try:
                variables = json.loads(element.variables)
            except ValueError:
                raise InvalidArgumentError(
                    f"Expected the variables of the element '{element.elementId}' to activate to be a JSON document"
                ) from None
        elements.append({"elementId": element.elementId, "variables": variables})
    return JobResult(
        denied=result.denied,
        denied_reason=result.deniedReason,
        corrections=corrections,
        present=True,
        type=result.type or "userTask",
        activate_elements=elements,
        completion_condition_fulfilled=result.isCompletionConditionFulfilled,
        cancel_remaining_instances=result.isCancelRemainingInstances,
    )


def read_activated_job_fields(job: Message) -> tuple[str, str, dict[str, Any] | None]:
    """An ActivatedJob's 8.8 kind, listenerEventType and userTask (as a dict, None when absent), read as a client with
    the 8.8 protocol reads them."""
    fields = _ActivatedJobFields.FromString(job.SerializeToString())
    kinds = {number: name for name, number in JOB_KINDS.items()}
    events = {number: name for name, number in LISTENER_EVENT_TYPES.items()}
    user_task: dict[str, Any] | None = None
    if fields.HasField("userTask"):
        props = fields.userTask
        user_task = {f.name: (list(v) if f.is_repeated else v) for f, v in props.ListFields()}
    return kinds[fields.kind], events[fields.listenerEventType], user_task


def encode_job_result(
    denied: bool = False, denied_reason: str = "", corrections: dict[str, Any] | None = None
) -> bytes:
    """CompleteJobRequest's `result` field as a client with the 8.8 protocol sends it (to append to a serialized
    CompleteJobRequest)."""
    fields = _CompleteJobRequestFields()
    result = fields.result
    result.denied = denied
    if denied_reason:
        result.deniedReason = denied_reason
    if corrections is not None:
        given = result.corrections
        given.SetInParent()
        for name, value in corrections.items():
            if name in ("candidateUsers", "candidateGroups"):
                getattr(given, name).values.extend(value)
            else:
                setattr(given, name, value)
    data: bytes = fields.SerializeToString()
    return data


def encode_ad_hoc_job_result(
    activate_elements: list[tuple[str, dict[str, Any] | None]],
    completion_condition_fulfilled: bool = False,
    cancel_remaining_instances: bool = False,
) -> bytes:
    """CompleteJobRequest's `result` of an ad-hoc sub-process's job, as a client with the 8.8 protocol sends it (to
    append to a serialized CompleteJobRequest)."""
    fields = _CompleteJobRequestFields()
    result = fields.result
    result.type = "adHocSubProcess"
    for element_id, variables in activate_elements:
        element = result.activateElements.add(elementId=element_id)
        if variables is not None:
            element.variables = json.dumps(variables)
    result.isCompletionConditionFulfilled = completion_condition_fulfilled
    result.isCancelRemainingInstances = cancel_remaining_instances
    data: bytes = fields.SerializeToString()
    return data
