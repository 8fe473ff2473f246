"""Ad-hoc sub-processes (Zeebe 8.8's AdHocSubProcessProcessor and BpmnAdHocSubProcessBehavior).

Its activities are its elements without incoming sequence flows. Each activation of one creates an inner instance
(an element instance of `<id>#innerInstance`, the scope of what the activated element's flows lead to and of the
variables given with the activation) and activates the element in it. What activates them:
- the BPMN implementation: the activeElementsCollection (FEEL, a list of element ids) when the sub-process is
  activated; the completion condition is evaluated whenever an inner instance completes (without one, the
  sub-process completes once nothing is left in it);
- the job-worker implementation (zeebe:taskDefinition, as Camunda's AI agent uses it): a job of kind
  AD_HOC_SUB_PROCESS, created at activation and again whenever an inner instance completes (the previous one is
  canceled: one job at a time); its worker completes it with a job result of type ad-hoc sub-process naming the
  elements to activate (with their variables) and whether the completion condition is fulfilled;
- the REST API (POST /v2/element-instances/ad-hoc-activities/{key}/activation).
When an inner instance completes, the outputElement is evaluated in it and appended to the outputCollection (a local
variable of the sub-process, propagated when it completes)."""

from dataclasses import dataclass
from typing import Any

from engine.behaviors import BpmnBehaviors
from engine.behaviors.incidents import ACTIVATE
from engine.bpmn.element import ElementProcessor
from engine.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from engine.expressions import ExpressionError
from engine.model import AD_HOC_INNER_INSTANCE_SUFFIX, AdHocDefinition, FlowNode, Kind
from engine.state.values import AD_HOC_SUB_PROCESS, ElementInstance, ElementState, Job

# the variable with the activities' metadata an ad-hoc sub-process gets when it is activated
ELEMENTS_VARIABLE = "adHocSubProcessElements"

_ACTIVATED = ElementState.ACTIVATED


@dataclass(frozen=True)
class PathOutcome:
    """What the completion of an inner instance decided before anything changed: the output collection with the
    inner instance's output element appended (None without one), the completion condition's value (None without
    one) and the next job's type and retries (job-worker implementation)."""

    collection: list[Any] | None
    condition: bool | None
    job: tuple[str, int] | None


def _definition(node: FlowNode) -> AdHocDefinition:
    assert node.ad_hoc is not None
    return node.ad_hoc


class AdHocSubProcessProcessor(ElementProcessor):
    def __init__(self, behaviors: BpmnBehaviors) -> None:
        super().__init__(behaviors)
        behaviors.transitions.continuations["complete_ad_hoc"] = self._complete

    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        ad_hoc = _definition(node)
        context = self._variables.visible(inst)
        now = self.now()
        element_ids: list[str] = []
        job: tuple[str, int] | None = None
        if ad_hoc.job is not None:
            job = (
                self._expressions.string(ad_hoc.job.type, context, now),
                self._expressions.integer(ad_hoc.job.retries, context, now),
            )
        elif ad_hoc.active_elements_collection is not None:
            try:
                collection = self._expressions.array(ad_hoc.active_elements_collection, context, now)
            except ExpressionError as exc:
                raise self._incident(inst, f"Failed to activate ad-hoc elements. {exc}") from None
            if not all(isinstance(item, str) for item in collection):
                raise self._incident(
                    inst,
                    "Failed to activate ad-hoc elements. Expected the activeElementsCollection to be a list of "
                    f"element ids (strings), but it was {collection!r}.",
                )
            element_ids = collection
            missing = [i for i in element_ids if i not in ad_hoc.activities]
            if missing:
                listed = ", ".join(f"'{i}'" for i in missing)
                raise self._incident(
                    inst, f"Failed to activate ad-hoc elements. No BPMN elements found with ids: {listed}."
                )
        opens = self._subscriptions.boundary_opens(inst, node, context)
        opens += self._subscriptions.event_sub_process_opens(inst)
        # the decisions are made: from here on, what they change
        variables = self._variables
        variables.set_local(inst, ELEMENTS_VARIABLE, [dict(e) for e in ad_hoc.elements])
        if ad_hoc.output_collection:
            variables.set_local(inst, ad_hoc.output_collection, [])
        for open_ in opens:
            open_()
        self._transitions.activated(inst)
        if job is not None:
            self._create_job(inst, *job)
        for element_id in element_ids:
            self.activate_element(inst, node, element_id, None)

    def _incident(self, inst: ElementInstance, message: str) -> Exception:
        return self.b.incidents.raise_(inst, "EXTRACT_VALUE_ERROR", message, ACTIVATE)

    def _create_job(self, inst: ElementInstance, job_type: str, retries: int) -> Job:
        node = self._transitions.node_of(inst)
        version = self._state.deployments.definitions[inst.process_definition_key].version
        return self.b.jobs.create(inst, job_type, retries, dict(node.headers), version, kind=AD_HOC_SUB_PROCESS)

    def activate_element(
        self, inst: ElementInstance, node: FlowNode, element_id: str, variables: dict[str, Any] | None
    ) -> None:
        """Creates an inner instance (with `variables` as its local variables) and queues the activation of the
        element in it."""
        model = self._transitions.model_of(inst)
        inner_node = model.elements[node.id + AD_HOC_INNER_INSTANCE_SUFFIX]
        writer = self.b.writer
        inner = writer.element_activating(self._state.keys.next(), inner_node, inst)
        writer.element_activated(inner)
        for name, value in (variables or {}).items():
            self._variables.set_local(inner, name, value)
        self._transitions.schedule_activation(model.elements[element_id], inner)

    # ------------------------------------------------------------------ an inner instance completes
    def before_path_completed(self, inner: ElementInstance) -> PathOutcome:
        """Evaluated in the completing phase of an inner instance, before anything changes (an expression that fails
        is an incident of the inner instance; resolving it completes it again): the output element, the completion
        condition (with the updated output collection), the next job's type and retries."""
        ad_hoc_inst = self._state.instances.live[inner.flow_scope_key]  # type: ignore[index]
        ad_hoc = _definition(self._transitions.node_of(ad_hoc_inst))
        now = self.now()
        collection: list[Any] | None = None
        if ad_hoc.output_collection and ad_hoc.output_element:
            value = self._expressions.evaluate(ad_hoc.output_element, self._variables.visible(inner), now)
            current = ad_hoc_inst.variables.get(ad_hoc.output_collection)
            if not isinstance(current, list):
                raise ExpressionError(
                    f"The output collection has the wrong type. Expected ARRAY but was {type(current).__name__}."
                )
            collection = [*current, value]
        context: dict[str, Any] | None = None
        condition: bool | None = None
        if ad_hoc.job is None and ad_hoc.completion_condition is not None:
            context = self._context(ad_hoc_inst, ad_hoc, collection)
            try:
                condition = self._expressions.boolean(ad_hoc.completion_condition, context, now)
            except ExpressionError as exc:
                raise ExpressionError(f"Failed to evaluate completion condition. {exc}") from None
        job: tuple[str, int] | None = None
        if ad_hoc.job is not None and ad_hoc_inst.key not in self._state.flow.ad_hoc_fulfilled:
            context = self._context(ad_hoc_inst, ad_hoc, collection)
            job = (
                self._expressions.string(ad_hoc.job.type, context, now),
                self._expressions.integer(ad_hoc.job.retries, context, now),
            )
        return PathOutcome(collection, condition, job)

    def _context(
        self, ad_hoc_inst: ElementInstance, ad_hoc: AdHocDefinition, collection: list[Any] | None
    ) -> dict[str, Any]:
        context = self._variables.visible(ad_hoc_inst)
        if collection is not None and ad_hoc.output_collection:
            context[ad_hoc.output_collection] = collection
        return context

    def path_completed(self, ad_hoc_inst: ElementInstance, outcome: PathOutcome) -> None:
        """An inner instance has completed (Zeebe's afterExecutionPathCompleted)."""
        if ad_hoc_inst.state is not _ACTIVATED:
            return
        node = self._transitions.node_of(ad_hoc_inst)
        ad_hoc = _definition(node)
        if outcome.collection is not None and ad_hoc.output_collection:
            self._variables.set_local(ad_hoc_inst, ad_hoc.output_collection, outcome.collection)
        if ad_hoc.job is not None:
            # one job at a time: the one still open is canceled before the next is created
            self.b.jobs.cancel_of(ad_hoc_inst)
            if ad_hoc_inst.key in self._state.flow.ad_hoc_fulfilled:
                self.completion_fulfilled(ad_hoc_inst, ad_hoc.cancel_remaining_instances)
            elif outcome.job is not None:
                self._create_job(ad_hoc_inst, *outcome.job)
            return
        if outcome.condition is None:
            if self._can_complete(ad_hoc_inst):
                self._complete(ad_hoc_inst)
        elif outcome.condition:
            self.completion_fulfilled(ad_hoc_inst, ad_hoc.cancel_remaining_instances)

    def child_terminated(self, ad_hoc_inst: ElementInstance) -> None:
        """An inner instance was terminated on its own (not with the sub-process): the sub-process completes if
        nothing is left in it (Zeebe's onChildTerminated)."""
        if ad_hoc_inst.state is _ACTIVATED and self._can_complete(ad_hoc_inst):
            self._complete(ad_hoc_inst)

    def completion_fulfilled(self, ad_hoc_inst: ElementInstance, cancel_remaining: bool) -> None:
        """The completion condition holds: the remaining inner instances are terminated (or, without
        cancelRemainingInstances, left to finish) and the sub-process completes once nothing is left in it."""
        live = self._state.instances.live
        active = [live[k] for k in sorted(ad_hoc_inst.children or ()) if live[k].state.is_active]
        if cancel_remaining:
            ended = True
            for child in active:
                ended = self._transitions.terminate(child, check_scope=False) and ended
            if ended:
                self._complete(ad_hoc_inst)
            else:  # canceling task listeners of inner user tasks run first
                self._transitions.await_terminations(ad_hoc_inst, ["complete_ad_hoc"])
        elif self._can_complete(ad_hoc_inst):
            self._complete(ad_hoc_inst)

    def _can_complete(self, ad_hoc_inst: ElementInstance) -> bool:
        live = self._state.instances.live
        if any(live[k].state.is_active for k in ad_hoc_inst.children or ()):
            return False
        return ad_hoc_inst.key not in self.b.steps.pending

    def _complete(self, ad_hoc_inst: ElementInstance) -> None:
        """Completes the sub-process; its output collection goes to its flow scope (Zeebe's onComplete)."""
        ad_hoc = _definition(self._transitions.node_of(ad_hoc_inst))
        if ad_hoc.output_collection and ad_hoc_inst.flow_scope_key is not None:
            scope = self._state.instances.live[ad_hoc_inst.flow_scope_key]
            self._variables.set_propagating(
                scope, ad_hoc.output_collection, ad_hoc_inst.variables.get(ad_hoc.output_collection)
            )
        self._transitions.complete(ad_hoc_inst)

    # ------------------------------------------------------------------ commands
    def check_activation(self, ad_hoc_inst: ElementInstance, element_ids: list[str]) -> None:
        """Zeebe's checks of elements to activate in a running ad-hoc sub-process (the job result's and the REST
        API's): each an activity of it."""
        ad_hoc = _definition(self._transitions.node_of(ad_hoc_inst))
        missing = [i for i in element_ids if i not in ad_hoc.activities]
        if missing:
            listed = "[" + ", ".join(missing) + "]"
            raise NotFoundError(
                f"Expected to activate activities for ad-hoc sub-process with key '{ad_hoc_inst.key}', but the given "
                f"elements {listed} do not exist."
            )

    def activate_command(self, key: int, given: list[dict[str, Any]]) -> None:
        """The REST API's activation of elements in a running ad-hoc sub-process, refused as Zeebe's
        AdHocSubProcessInstructionActivateProcessor refuses it."""
        ad_hoc_inst = self._state.instances.live.get(key)
        if ad_hoc_inst is None or ad_hoc_inst.kind is not Kind.AD_HOC_SUB_PROCESS:
            raise NotFoundError(
                "Expected to activate activities for ad-hoc sub-process but no ad-hoc sub-process instance found "
                f"with key '{key}'."
            )
        if ad_hoc_inst.state is not _ACTIVATED:
            raise FailedPreconditionError(
                f"Expected to activate activities for ad-hoc sub-process with key '{key}', but it is not active."
            )
        elements = activate_elements_of({"activateElements": given})
        ids = [e for e, _ in elements]
        if len(set(ids)) != len(ids):
            raise InvalidArgumentError(
                f"Expected to activate activities for ad-hoc sub-process with key '{key}', but duplicate activities "
                "were given."
            )
        self.check_activation(ad_hoc_inst, ids)
        self.activate_elements(ad_hoc_inst, elements)

    def activate_elements(
        self, ad_hoc_inst: ElementInstance, elements: list[tuple[str, dict[str, Any] | None]]
    ) -> None:
        """Activates the elements (checked) and writes the instruction's ACTIVATED record."""
        node = self._transitions.node_of(ad_hoc_inst)
        for element_id, variables in elements:
            self.activate_element(ad_hoc_inst, node, element_id, variables)
        self.b.writer.ad_hoc_activated(self._state.keys.next(), ad_hoc_inst, [e for e, _ in elements])

    def job_completed(self, inst: ElementInstance, job: Job, variables: dict[str, Any], result: dict[str, Any]) -> None:
        """The worker of an ad-hoc sub-process's job completed it (Zeebe's JobCompleteProcessor for a job of kind
        AD_HOC_SUB_PROCESS): its variables are merged into the sub-process's scope, the elements it names are
        activated, and a fulfilled completion condition completes the sub-process."""
        elements = activate_elements_of(result)
        if inst.state is not _ACTIVATED:
            raise FailedPreconditionError(
                f"Expected to complete ad-hoc sub-process job, but the ad-hoc sub-process instance is not active "
                f"(job key '{job.key}', type '{job.type}', processInstanceKey '{job.process_instance_key}')"
            )
        self.check_activation(inst, [e for e, _ in elements])
        writer = self.b.writer
        writer.listener_job_completed(job)  # the job is gone; what it carried is written below
        if variables:
            self._variables.merge_propagating(inst, variables)
        if elements:
            self.activate_elements(inst, elements)
        if result.get("isCompletionConditionFulfilled"):
            writer.ad_hoc_completed(self._state.keys.next(), inst)
            self.completion_fulfilled(inst, bool(result.get("isCancelRemainingInstances")))


def activate_elements_of(result: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    """The elements a job result (or an activation request) names, with their variables, checked: each an element
    id with an object of variables (or none)."""
    given = result.get("activateElements") or []
    if not isinstance(given, list):
        raise InvalidArgumentError("Expected activateElements to be a list of elements to activate")
    elements: list[tuple[str, dict[str, Any] | None]] = []
    for element in given:
        if not isinstance(element, dict) or not isinstance(element.get("elementId"), str) or not element["elementId"]:
            raise InvalidArgumentError("Expected each element to activate to have an elementId")
        variables = element.get("variables")
        if variables is not None and not isinstance(variables, dict):
            raise InvalidArgumentError(
                f"Expected the variables of the element '{element['elementId']}' to activate to be a JSON object"
            )
        elements.append((element["elementId"], variables or None))
    return elements
