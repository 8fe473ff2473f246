"""Task listeners of Camunda user tasks (zeebe:taskListeners), as Zeebe 8.8 runs them: jobs of kind TASK_LISTENER with
the listener event type, one after the other in the diagram's order, blocking the user task's transition.

- creating: the task is created in CREATING; its listeners run; then it is CREATED.
- assigning (assign, claim, unassign), updating, completing: the command puts the task in ASSIGNING, UPDATING or
  COMPLETING with what it asked; after the last listener the transition is carried out (and the caller, waiting for
  it, is answered). A listener may deny it (not for creating): the task is CREATED again as it was and the caller
  gets the denial.
- A listener may correct assignee, dueDate, followUpDate, candidateGroups, candidateUsers and priority; its job may
  not be completed with variables.
- The job's headers carry the task's data (io.camunda.zeebe:assignee, …, userTaskKey, action, changedAttributes), and
  an activated job its UserTaskProperties.
- canceling: the user task's element is terminated (its process instance cancelled, an interrupting boundary event
  or event sub-process, a modification, a call activity terminated from above): the task is CANCELING, its
  listeners run while the element stays TERMINATING (engine/behaviors/transitions.py `terminate`), then the task is
  CANCELED and the termination goes on (`Transitions.finish_terminating`). A canceling listener may correct the task
  (its CANCELED record carries the corrections) but not deny; its job sees the element's variables, as every job.
"""

import dataclasses
import functools
import json
from typing import Any

from engine.behaviors.jobs import JobBehavior
from engine.behaviors.listeners import ExecutionListenerBehavior
from engine.errors import InvalidArgumentError
from engine.events.appliers import Appliers
from engine.expressions import Suspended
from engine.model import FlowNode, ListenerEvent
from engine.processing.steps import Steps
from engine.state.engine_state import EngineState
from engine.state.values import TASK_LISTENER, ElementInstance, ElementState, Job, UserTask, UserTaskState

# the incident phase whose resolution runs the task listeners of the task's current transition again from the first
TASK_LISTENERS = "task-listeners"

CORRECTABLE = ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority")
DENIABLE = (ListenerEvent.ASSIGNING, ListenerEvent.UPDATING, ListenerEvent.COMPLETING)

_EVENT_OF_STATE = {
    UserTaskState.CREATING: ListenerEvent.CREATING,
    UserTaskState.ASSIGNING: ListenerEvent.ASSIGNING,
    UserTaskState.UPDATING: ListenerEvent.UPDATING,
    UserTaskState.COMPLETING: ListenerEvent.COMPLETING,
    UserTaskState.CANCELING: ListenerEvent.CANCELING,
}
_DENIED = {
    ListenerEvent.ASSIGNING: ("ASSIGNMENT_DENIED", "Assignment"),
    ListenerEvent.UPDATING: ("UPDATE_DENIED", "Update"),
    ListenerEvent.COMPLETING: ("COMPLETION_DENIED", "Completion"),
}
_PREFIX = "io.camunda.zeebe:"


def _list_literal(values: list[str]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def changed_attributes(task: UserTask) -> list[str]:
    """What the transition in progress changes (the job's changedAttributes)."""
    pending = task.pending or {}
    if "changes" in pending:
        return sorted(pending["changes"])
    if "assignee" in pending:
        return ["assignee"]
    return []


def listened_assignee(task: UserTask) -> str | None:
    """The assignee a listener sees: during an assignment the one it assigns (Zeebe's ASSIGNING record), else the
    task's."""
    pending = task.pending or {}
    return pending.get("assignee", task.assignee)


def user_task_properties(task: UserTask) -> dict[str, Any]:
    """The user task's data as Zeebe 8.8's UserTaskProperties (ActivatedJob.userTask of a task listener job)."""
    return {
        "action": (task.pending or {}).get("action", ""),
        "assignee": listened_assignee(task),
        "candidateGroups": list(task.candidate_groups),
        "candidateUsers": list(task.candidate_users),
        "changedAttributes": changed_attributes(task),
        "dueDate": task.due_date,
        "followUpDate": task.follow_up_date,
        "formKey": task.form_key,
        "priority": task.priority,
        "userTaskKey": task.key,
    }


class TaskListenerBehavior:
    def __init__(
        self,
        state: EngineState,
        writer: Appliers,
        jobs: JobBehavior,
        listeners: ExecutionListenerBehavior,
        steps: Steps,
    ) -> None:
        self._state = state
        self._w = writer
        self._jobs = jobs
        self._properties = listeners.job_properties
        self._steps = steps
        self.complete_element: Any = None  # the token flow's completion of an element (set with the processors)
        self.finish_terminating: Any = None  # the termination going on after canceling listeners (likewise)
        # the transitions the running command decided: (user task key, None when carried out, else why not)
        self.outcomes: list[tuple[int, str | None]] = []
        steps.register(self.resume_task_listener)

    def task_of(self, inst: ElementInstance) -> UserTask:
        tasks = self._state.user_tasks
        return tasks.tasks[tasks.by_element[inst.key]]

    def create(self, inst: ElementInstance, node: FlowNode, task: UserTask, event: ListenerEvent, index: int) -> None:
        """Creates the job of the `index`-th task listener of `event`; an incident if its type or retries cannot be
        evaluated."""
        listener = node.task_listeners[event][index]
        try:
            job_type, retries = self._properties(inst, listener, TASK_LISTENERS)
        except Suspended as suspended:  # a costly type or retries expression goes on off the event loop
            raise suspended.at(functools.partial(self.resume_task_listener, inst, node, event.value, index)) from None
        version = self._state.deployments.definitions[inst.process_definition_key].version
        self._jobs.create(
            inst,
            job_type,
            retries,
            self._headers(node, task),
            version,
            kind=TASK_LISTENER,
            listener_event_type=event.job_value,
            listener_index=index,
        )

    def resume_task_listener(self, inst: ElementInstance, node: FlowNode, event: str, index: int) -> None:
        """A listener job's creation (suspended for an expression, or a canceling listener's first) goes on, unless
        the task left that transition meanwhile. A step registered by this name: ExecutionListenerBehavior has a
        `resume_create` of its own."""
        listener_event = ListenerEvent(event)
        tasks = self._state.user_tasks
        task_key = tasks.by_element.get(inst.key)
        task = tasks.tasks.get(task_key) if task_key is not None else None
        if task is None or _EVENT_OF_STATE.get(task.state) is not listener_event:
            return
        terminating = inst.state is ElementState.TERMINATING
        if inst.state.is_active or (listener_event is ListenerEvent.CANCELING and terminating):
            self.create(inst, node, task, listener_event, index)

    def _headers(self, node: FlowNode, task: UserTask) -> dict[str, Any]:
        """The element's task headers and the user task's data, as Zeebe's BpmnJobBehavior writes them."""
        headers: dict[str, Any] = dict(node.headers)
        action = (task.pending or {}).get("action")
        if action:
            headers[_PREFIX + "action"] = action
        changed = changed_attributes(task)
        if changed:
            headers[_PREFIX + "changedAttributes"] = _list_literal(changed)
        if task.priority > 0:
            headers[_PREFIX + "priority"] = str(task.priority)
        headers[_PREFIX + "userTaskKey"] = str(task.key)
        if task.form_key:
            headers[_PREFIX + "formKey"] = str(task.form_key)
        assignee = listened_assignee(task)
        if assignee:
            headers[_PREFIX + "assignee"] = assignee
        if task.candidate_groups:
            headers[_PREFIX + "candidateGroups"] = _list_literal(task.candidate_groups)
        if task.candidate_users:
            headers[_PREFIX + "candidateUsers"] = _list_literal(task.candidate_users)
        if task.due_date:
            headers[_PREFIX + "dueDate"] = task.due_date
        if task.follow_up_date:
            headers[_PREFIX + "followUpDate"] = task.follow_up_date
        return headers

    def check_result(self, job: Job, node: FlowNode, variables: dict[str, Any], result: dict[str, Any]) -> None:
        """Refuses a task listener job's completion as Zeebe 8.8's JobCompleteProcessor does."""
        key, what = job.key, f"job key '{job.key}', type '{job.type}', processInstanceKey '{job.process_instance_key}'"
        event = ListenerEvent(job.listener_event_type.lower())
        corrections: dict[str, Any] = result.get("corrections") or {}
        if variables:
            raise InvalidArgumentError(
                f"Task Listener job completion with variables payload provided is not yet supported ({what}). "
                "Support will be enabled with the resolution of issue #23702."
            )
        if result.get("denied") and event not in DENIABLE:
            raise InvalidArgumentError(
                f"Denying result is not supported for '{job.listener_event_type}' task listener jobs ({what}). "
                "Only the following listener event types support denying: [ASSIGNING, COMPLETING, UPDATING]."
            )
        if result.get("denied") and corrections:
            raise InvalidArgumentError(
                f"Expected to complete task listener job with corrections, but the job result is denied ({what}). "
                "The corrections would be reverted by the denial. Either complete the job with corrections without "
                "setting denied, or complete the job with a denied result but no corrections."
            )
        unknown = sorted(set(corrections) - set(CORRECTABLE))
        if unknown:
            raise InvalidArgumentError(
                f"Expected to complete task listener job with a corrections result, but property '{unknown[0]}' "
                f"cannot be corrected ({what}). Only the following properties can be corrected: "
                f"[{', '.join(CORRECTABLE)}]."
            )
        if event is ListenerEvent.CREATING and "assignee" in corrections and node.user_task and node.user_task.assignee:
            raise InvalidArgumentError(
                "Expected to complete task listener job, but correcting the assignee on 'CREATING' event is not "
                f"supported when the user task has an assignee defined in the model ({what}). Use the 'CREATING' "
                "event to set an assignee only if it was not defined. Use the 'ASSIGNING' event to correct an "
                "assignee that is already defined."
            )
        priority = corrections.get("priority")
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
            raise InvalidArgumentError(f"The corrected priority must be an integer 0–100, not {priority!r} (job {key})")
        if priority is not None and not 0 <= priority <= 100:
            raise InvalidArgumentError(f"The corrected priority must be an integer 0–100, not {priority} (job {key})")

    def completed(self, inst: ElementInstance, node: FlowNode, job: Job, result: dict[str, Any]) -> None:
        """The task listener job was completed (checked by `check_result`): the transition is denied, or corrected
        and the next listener's job created, or, after the last, carried out."""
        self._w.listener_job_completed(job)
        task = self.task_of(inst)
        event = ListenerEvent(job.listener_event_type.lower())
        if result.get("denied"):
            intent, what = _DENIED[event]
            self._w.user_task_denied(task, intent)
            reason = result.get("deniedReason") or ""
            self.outcomes.append(
                (
                    task.key,
                    f"{what} of the User Task with key '{task.key}' was denied by Task Listener. "
                    f"Reason to deny: '{reason}'",
                )
            )
            return
        corrections = result.get("corrections") or {}
        if corrections:
            self._w.user_task_corrected(task, dict(corrections))
        following = job.listener_index + 1
        if following < len(node.task_listeners.get(event, ())):
            self.create(inst, node, task, event, following)
        else:
            self.finish(inst, node, task, event)

    def finish(self, inst: ElementInstance, node: FlowNode, task: UserTask, event: ListenerEvent) -> None:
        """Carries out the transition the listeners approved."""
        pending = task.pending or {}
        if event is ListenerEvent.CREATING:
            initial = task.assignee if node.user_task is not None and node.user_task.assignee else None
            if initial:
                # as Zeebe 8.8: CREATED without the model's assignee, then assigned to it through the assigning
                # listeners (the stored task is replaced by the unassigned one, as a replay builds it)
                created = dataclasses.replace(task, assignee=None, pending=None)
                self._w.user_task_created(created, inst)
                self.outcomes.append((task.key, None))
                self.assign_initially(inst, node, created, initial)
                return
            self._w.user_task_created(task, inst)
        elif event is ListenerEvent.ASSIGNING:
            self._w.user_task_assigned(task, pending.get("assignee"))
        elif event is ListenerEvent.UPDATING:
            self._w.user_task_updated(task, dict(pending.get("changes") or {}))
        elif event is ListenerEvent.CANCELING:
            self._w.user_task_canceled(task, inst)
            self.finish_terminating(inst)
            return
        else:
            self._w.user_task_completed(task, dict(pending.get("variables") or {}))
            self.complete_element(inst)
        self.outcomes.append((task.key, None))

    def assign_initially(self, inst: ElementInstance, node: FlowNode, task: UserTask, assignee: str) -> None:
        """A task created with an assignee from the model (zeebe:assignmentDefinition) is assigned to it once it is
        CREATED, as Zeebe 8.8 does: ASSIGNING, its assigning listeners (action "", changedAttributes [assignee]),
        ASSIGNED – ASSIGNING and ASSIGNED at once without them."""
        self._w.user_task_transition(task, UserTaskState.ASSIGNING, {"action": "", "assignee": assignee})
        if ListenerEvent.ASSIGNING in node.task_listeners:
            self.create(inst, node, task, ListenerEvent.ASSIGNING, 0)
        else:
            self._w.user_task_assigned(task, assignee)

    def start_canceling(self, inst: ElementInstance, node: FlowNode) -> None:
        """The task of `inst` is CANCELING: its first canceling listener's job is created, as a step of its own (its
        type and retries are expressions: an incident or a suspension stops that step, not the termination)."""
        self._steps.queue.append(
            functools.partial(self.resume_task_listener, inst, node, ListenerEvent.CANCELING.value, 0)
        )

    def retry(self, inst: ElementInstance, node: FlowNode) -> None:
        """Resolving a task listener's EXTRACT_VALUE_ERROR runs the listeners of the task's transition again."""
        task = self.task_of(inst)
        event = _EVENT_OF_STATE.get(task.state)
        if event is not None:
            self.create(inst, node, task, event, 0)

    def canceled(self, task: UserTask) -> None:
        """The task's element ended while a transition waited for its listeners: whoever waits is told."""
        if task.state is not UserTaskState.CREATED and task.state.is_open:
            self.outcomes.append(
                (task.key, f"The user task with key '{task.key}' was canceled before its task listeners finished")
            )
