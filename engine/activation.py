"""The executor: activating elements, one behaviour per kind, and multi-instance bodies."""

import copy
import functools
import json
from collections.abc import Callable
from typing import Any

from engine._base import _ACTIVATING, _LIVE_STATES, MAX_PROCESS_DEPTH, EngineBase
from engine.expressions import ExpressionError
from engine.model import BindingType, EventType, FlowNode, Kind, UserTaskDefinition
from engine.state import (
    ElementInstance,
    ElementState,
    Job,
    JobState,
    ProcessDefinition,
    UserTask,
    UserTaskState,
)
from engine.variables import _assign_path, _path_root


class ActivationMixin(EngineBase):
    # ================================================================== the executor: activation
    def _new_instance(self, node: FlowNode, scope: ElementInstance, kind: Kind | None = None) -> ElementInstance:
        key = self.keys.next()
        inst = ElementInstance(
            key,
            scope.process_instance_key,
            scope.process_definition_key,
            scope.bpmn_process_id,
            node.id,
            kind or node.kind,
            "MULTI_INSTANCE_BODY" if kind is Kind.MULTI_INSTANCE_BODY else node.bpmn_element_type,
            scope.key,
            ElementState.ACTIVATING,
            self._command_time or self.clock.now(),
        )
        self.element_instances[key] = inst
        self.process_instances[inst.process_instance_key].element_keys.append(key)
        if scope.children is None:
            scope.children = {key}
        else:
            scope.children.add(key)
        self._record_element(_ACTIVATING, inst)
        return inst

    def _schedule_activation(self, node: FlowNode, scope: ElementInstance, **options: Any) -> None:
        """Queues the activation of `node` in `scope`; until it runs, the scope counts it as a token, so the
        scope cannot complete between an element completing and its successor being activated."""
        scope.pending_activations += 1
        targets = scope.pending_targets
        targets[node.id] = targets.get(node.id, 0) + 1
        if options:
            self._steps.append(functools.partial(self._run_scheduled, node, scope, options))
        else:
            self._steps.append(functools.partial(self._run_scheduled, node, scope))

    def _run_scheduled(self, node: FlowNode, scope: ElementInstance, options: dict[str, Any] | None = None) -> None:
        scope.pending_activations -= 1
        targets = scope.pending_targets
        left = targets[node.id] - 1
        if left:
            targets[node.id] = left
        else:
            del targets[node.id]
        if options is None:
            self._activate(node, scope)
        else:
            self._activate(node, scope, **options)

    def _activate(
        self,
        node: FlowNode,
        scope: ElementInstance,
        *,
        event_variables: dict[str, Any] | None = None,
        event_locals: dict[str, Any] | None = None,
        loop_counter: int | None = None,
        loop_item: tuple[str | None, Any] | None = None,
        triggered: bool = False,
        join: bool = False,
    ) -> None:
        if scope.state not in _LIVE_STATES:
            return
        if join and not self._inclusive_join_ready(node, scope):
            self._complete_scope_if_done(scope)  # this token is gone without an element
            return
        if node.loop is not None and loop_counter is None:
            body = self._new_instance(node, scope, Kind.MULTI_INSTANCE_BODY)
            self._activate_body(body, node)
            return
        inst = self._new_instance(node, scope)
        if event_variables is not None:
            inst.event_variables = event_variables
        if event_locals is not None:
            inst.event_locals = event_locals
        if triggered:
            inst.triggered = True
        if loop_counter is not None:
            inst.loop_counter = loop_counter
            assert loop_item is not None
            name, item = loop_item
            if name:
                self._set_local(inst, name, item)
            self._set_local(inst, "loopCounter", loop_counter)
            output = _path_root(node.loop.output_element) if node.loop else None
            if output:
                # Zeebe creates the output element's variable (the root of `=x` or `=x.y`) as a local
                # variable of each inner instance, so that parallel instances do not overwrite each other
                self._set_local(inst, output, None)
        self._run_activation(inst, node)

    def _run_activation(self, inst: ElementInstance, node: FlowNode | None = None) -> None:
        """The element's activation behaviour; re-run by resolving an incident raised here."""
        if node is None:
            node = self.node_of(inst)
        try:
            if node.inputs:
                context = self.visible_variables(inst)
                for target, value in self._evaluate_mappings(inst, node.inputs, context):
                    self._set_local_path(inst, target, value)
            _ACTIVATION.get(node.kind._value_, ActivationMixin._activate_pass_through)(self, inst, node)
        except ExpressionError as exc:
            self._raise_incident(
                inst, "EXTRACT_VALUE_ERROR" if not node.inputs else "IO_MAPPING_ERROR", str(exc), "activate"
            )

    def _set_local_path(self, inst: ElementInstance, target: str, value: Any) -> None:
        head, _, rest = target.partition(".")
        if not rest:
            self._set_local(inst, head, value)
            return
        current = inst.variables.get(head)
        container = dict(current) if isinstance(current, dict) else {}
        _assign_path(container, rest, value)
        self._set_local(inst, head, container)

    def _mark_activated(self, inst: ElementInstance) -> None:
        self._transition(inst, ElementState.ACTIVATED)

    def _activate_pass_through(self, inst: ElementInstance, node: FlowNode) -> None:
        self._mark_activated(inst)
        self._complete(inst, node=node)

    def _activate_job_task(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.job is not None
        context = self.visible_variables(inst)
        job_type = self.expressions.string(node.job.type, context, self.now())
        retries = self.expressions.integer(node.job.retries, context, self.now())
        headers = dict(node.headers)
        if node.user_task is not None:  # a job-based user task
            headers.update(self._job_user_task_headers(inst, node.user_task, context))
        self._open_boundary_events(inst, node, context)
        self._mark_activated(inst)
        key = self.keys.next()
        job = Job(
            key=key,
            type=job_type,
            process_instance_key=inst.process_instance_key,
            element_instance_key=inst.key,
            element_id=inst.element_id,
            bpmn_process_id=inst.bpmn_process_id,
            process_definition_key=inst.process_definition_key,
            process_definition_version=self.definitions[inst.process_definition_key].version,
            custom_headers=headers,
            retries=retries,
            state=JobState.ACTIVATABLE,
            created_at=self.now(),
        )
        self.jobs[key] = job
        inst.job_key = key
        self._record("JOB", "CREATED", key, element=inst)
        self._touched_job_types.add(job_type)

    def _activate_script(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.script is not None
        context = self.visible_variables(inst)
        value = self.expressions.evaluate("=" + node.script.expression, context, self.now())
        self._mark_activated(inst)
        inst.event_variables = {node.script.result_variable: value}
        self._complete(inst, node=node)

    def _linked_form_key(self, inst: ElementInstance, form_id_text: str, context: dict[str, Any]) -> int:
        """The key of the latest deployed form with the (evaluated) id; FORM_NOT_FOUND if there is none."""
        form_id = self.expressions.string(form_id_text, context, self.now())
        form = self.latest_form(form_id)
        if form is None:
            self._raise_incident(
                inst,
                "FORM_NOT_FOUND",
                f"Expected to find a form with id '{form_id}', but no form with this id is found, "
                "at least a form with this id should be available. To resolve the Incident please deploy "
                "a form with the same id",
                "activate",
            )
        assert form is not None
        return form.key

    def _job_user_task_headers(
        self, inst: ElementInstance, definition: UserTaskDefinition, context: dict[str, Any]
    ) -> dict[str, str]:
        """The io.camunda.zeebe:* headers of a job-based user task, evaluated on activation as Zeebe does:
        candidate groups and users as a JSON list literal, a linked form (formId) as its form key."""
        now = self.now()
        headers: dict[str, str] = {}
        for header, text in (
            ("io.camunda.zeebe:assignee", definition.assignee),
            ("io.camunda.zeebe:dueDate", definition.due_date),
            ("io.camunda.zeebe:followUpDate", definition.follow_up_date),
        ):
            value = self.expressions.string(text, context, now) if text else ""
            if value:
                headers[header] = value
        for header, text in (
            ("io.camunda.zeebe:candidateGroups", definition.candidate_groups),
            ("io.camunda.zeebe:candidateUsers", definition.candidate_users),
        ):
            if text:
                values = self.expressions.string_list(text, context, now)
                headers[header] = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
        if definition.form_id:
            headers["io.camunda.zeebe:formKey"] = str(self._linked_form_key(inst, definition.form_id, context))
        elif definition.external_form_reference:
            headers["io.camunda.zeebe:formKey"] = self.expressions.string(
                definition.external_form_reference, context, now
            )
        return headers

    def _activate_user_task(self, inst: ElementInstance, node: FlowNode) -> None:
        definition = node.user_task
        assert definition is not None
        context = self.visible_variables(inst)
        now = self.now()

        def opt_string(text: str | None) -> str | None:
            return self.expressions.string(text, context, now) if text else None

        assignee = opt_string(definition.assignee)
        groups = (
            self.expressions.string_list(definition.candidate_groups, context, now)
            if (definition.candidate_groups)
            else []
        )
        users = (
            self.expressions.string_list(definition.candidate_users, context, now)
            if (definition.candidate_users)
            else []
        )
        due_date = opt_string(definition.due_date)
        follow_up = opt_string(definition.follow_up_date)
        priority = self.expressions.integer(definition.priority, context, now) if definition.priority else 50
        form_key: int | None = None
        if definition.form_id:
            form_key = self._linked_form_key(inst, definition.form_id, context)
        self._open_boundary_events(inst, node, context)
        self._mark_activated(inst)
        key = self.keys.next()
        task = UserTask(
            key=key,
            element_instance_key=inst.key,
            process_instance_key=inst.process_instance_key,
            process_definition_key=inst.process_definition_key,
            process_definition_version=self.definitions[inst.process_definition_key].version,
            bpmn_process_id=inst.bpmn_process_id,
            element_id=inst.element_id,
            name=node.name,
            state=UserTaskState.CREATED,
            creation_date=now,
            assignee=assignee or None,
            candidate_groups=groups,
            candidate_users=users,
            due_date=due_date,
            follow_up_date=follow_up,
            form_key=form_key,
            external_form_reference=opt_string(definition.external_form_reference),
            priority=priority,
            custom_headers=dict(node.headers),
        )
        self.user_tasks[key] = task
        inst.user_task_key = key
        self._record("USER_TASK", "CREATED", key, element=inst)

    def _activate_message_catch(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None and node.event.message is not None
        context = self.visible_variables(inst)
        name, key = self._subscription_target(node, context)
        self._open_boundary_events(inst, node, context)
        self._mark_activated(inst)
        self._open_subscription(inst, node.id, name, key, interrupting=True)

    def _activate_timer_catch(self, inst: ElementInstance, node: FlowNode) -> None:
        context = self.visible_variables(inst)
        due, repetitions, cycle = self._timer_schedule(node, context)
        self._mark_activated(inst)
        self._add_timer(node.id, inst, inst.process_definition_key, due, repetitions, cycle)

    def _activate_catch_event(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None
        if inst.triggered or node.event.type is EventType.LINK:
            # its event already occurred (it follows an event-based gateway), or a link throw event led here
            self._mark_activated(inst)
            self._complete(inst)
        elif node.event.type is EventType.TIMER:
            self._activate_timer_catch(inst, node)
        elif node.event.type is EventType.SIGNAL:
            name = self._signal_name(node, self.visible_variables(inst))
            self._mark_activated(inst)
            self._open_signal_subscription(inst, node.id, name, interrupting=True)
        else:
            self._activate_message_catch(inst, node)

    def _activate_throw_event(self, inst: ElementInstance, node: FlowNode) -> None:
        """Intermediate throw events: none and link (the link's catch event follows), signal, escalation."""
        assert node.event is not None
        if node.event.type is EventType.SIGNAL:
            self._throw_signal(inst, node)
        elif node.event.type is EventType.ESCALATION:
            code = self._escalation_code(inst, node)
            self._mark_activated(inst)
            if not self._throw_escalation(inst, code):
                return  # an interrupting catch event terminates the thrower's scope
        else:
            self._mark_activated(inst)
        self._complete(inst)

    def _throw_signal(self, inst: ElementInstance, node: FlowNode) -> None:
        """Broadcasts the signal of a throw or end event with its local variables (its input mappings), as a
        follow-up of its activation, as Zeebe writes a BROADCAST command."""
        name = self._signal_name(node, self.visible_variables(inst))
        variables = copy.deepcopy(inst.variables)
        self._steps.append(functools.partial(self._broadcast_step, name, variables))
        self._mark_activated(inst)

    def _escalation_code(self, inst: ElementInstance, node: FlowNode) -> str:
        assert node.event is not None and node.event.escalation_code is not None
        return self.expressions.string(node.event.escalation_code, self.visible_variables(inst), self.now())

    def _activate_call_activity(self, inst: ElementInstance, node: FlowNode) -> None:
        """Creates an instance of the called process at its none start event (input mappings were applied)."""
        called = node.called
        assert called is not None
        context = self.visible_variables(inst)
        process_id = self.expressions.string(called.process_id, context, self.now())
        definition = self._called_definition(inst, process_id, called.binding_type, called.version_tag)
        if definition.model.root.none_start is None:
            self._raise_incident(
                inst,
                "CALLED_ELEMENT_ERROR",
                f"Expected process with BPMN process id '{process_id}' to have a none start event, but not found.",
                "activate",
            )
        depth = 1
        pi = self.process_instances[inst.process_instance_key]
        while pi.parent_process_instance_key is not None:
            depth += 1
            pi = self.process_instances[pi.parent_process_instance_key]
        if depth >= MAX_PROCESS_DEPTH:
            self._raise_incident(
                inst,
                "CALLED_ELEMENT_ERROR",
                f"The call activity has reached the maximum depth of {MAX_PROCESS_DEPTH}. This is likely due to a "
                "recursive call. Cancel the root process instance if this was unintentional. Otherwise, consider "
                "increasing the maximum depth, or use process instance modification to adjust the process instance.",
                "activate",
            )
        self._open_boundary_events(inst, node, context)
        self._mark_activated(inst)
        if called.propagate_all_parent_variables:
            variables = copy.deepcopy(context)
        else:  # only the call activity's locals, i.e. what its input mappings created
            variables = copy.deepcopy(inst.variables) if node.inputs else {}
        root = definition.model.root
        assert root.none_start is not None
        self._start_instance(definition, variables, [root.none_start], parent=inst)

    def _called_definition(
        self, inst: ElementInstance, process_id: str, binding: BindingType, version_tag: str | None
    ) -> ProcessDefinition:
        """The process definition a call activity creates an instance of; CALLED_ELEMENT_ERROR if there is none."""
        found: ProcessDefinition | None
        if binding is BindingType.DEPLOYMENT:
            deployment_key = self.definitions[inst.process_definition_key].deployment_key
            found = next(
                (
                    d
                    for d in self.definitions.values()
                    if d.bpmn_process_id == process_id and d.deployment_key == deployment_key
                ),
                None,
            )
            message = (
                f"Expected to call process with BPMN process id '{process_id}' with binding type 'deployment', but "
                f"no such process found in the deployment with key {deployment_key} which contained the current "
                "process. To resolve this incident, migrate the process instance to a process definition that is "
                "deployed together with the intended process definition to call."
            )
        elif binding is BindingType.VERSION_TAG:
            tagged = [
                d
                for d in self.definitions.values()
                if d.bpmn_process_id == process_id and d.model.version_tag == version_tag
            ]
            found = max(tagged, key=lambda d: d.version) if tagged else None
            message = (
                f"Expected to call process with BPMN process id '{process_id}' and version tag '{version_tag}', but no "
                "such process found. To resolve this incident, deploy a process with the given process id and "
                "version tag."
            )
        else:
            found = self.latest_definition(process_id)
            message = f"Expected process with BPMN process id '{process_id}' to be deployed, but not found."
        if found is None:
            self._raise_incident(inst, "CALLED_ELEMENT_ERROR", message, "activate")
        assert found is not None
        return found

    def _called_process_completed(self, call_key: int, variables: dict[str, Any]) -> None:
        """The instance a call activity created has completed: the call activity completes with its variables,
        unless propagateAllChildVariables is off and there are no output mappings (then they are dropped)."""
        call = self.element_instances.get(call_key)
        if call is None or call.state is not ElementState.ACTIVATED:
            return
        node = self.node_of(call)
        assert node.called is not None
        call.called_instance_key = None
        if node.outputs or node.called.propagate_all_child_variables:
            call.event_variables = variables
        self._complete(call)

    def _activate_event_gateway(self, inst: ElementInstance, node: FlowNode) -> None:
        """Waits for the first of the events after it: opens a timer, message or signal subscription for each."""
        model = self.model_of(inst)
        context = self.visible_variables(inst)
        opens: list[Callable[[], None]] = []
        for flow_id in node.outgoing:
            target = model.elements[model.flows[flow_id].target]
            assert target.event is not None
            if target.event.type is EventType.TIMER:
                due, repetitions, cycle = self._timer_schedule(target, context)
                opens.append(
                    functools.partial(
                        self._add_timer, target.id, inst, inst.process_definition_key, due, repetitions, cycle
                    )
                )
            elif target.event.type is EventType.MESSAGE:
                name, key = self._subscription_target(target, context)
                opens.append(functools.partial(self._open_subscription, inst, target.id, name, key, interrupting=True))
            else:
                signal = self._signal_name(target, context)
                opens.append(
                    functools.partial(self._open_signal_subscription, inst, target.id, signal, interrupting=True)
                )
        self._mark_activated(inst)
        for open_ in opens:
            open_()

    def _activate_sub_process(self, inst: ElementInstance, node: FlowNode) -> None:
        context = self.visible_variables(inst)
        self._open_boundary_events(inst, node, context)
        self._open_event_sub_processes(inst)
        self._mark_activated(inst)
        assert node.none_start is not None
        start = self.model_of(inst).elements[node.none_start]
        self._schedule_activation(start, inst)

    def _activate_event_sub_process(self, inst: ElementInstance, node: FlowNode) -> None:
        self._mark_activated(inst)
        assert node.none_start is not None
        start = self.model_of(inst).elements[node.none_start]
        variables, locals_ = inst.event_variables, inst.event_locals
        inst.event_variables = inst.event_locals = None
        self._schedule_activation(start, inst, event_variables=variables, event_locals=locals_)

    def _activate_end_event(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.event is not None
        if node.event.type is EventType.SIGNAL:
            self._throw_signal(inst, node)
            self._complete(inst)
            return
        if node.event.type is EventType.ESCALATION:
            code = self._escalation_code(inst, node)
            self._mark_activated(inst)
            if self._throw_escalation(inst, code):
                self._complete(inst)
            return
        self._mark_activated(inst)
        if node.event.type is EventType.ERROR:
            assert node.event.error_code is not None
            self._throw_error(inst, node.event.error_code, "", {}, from_end_event=True)
            return
        if node.event.type is EventType.TERMINATE:
            scope = self.element_instances[inst.flow_scope_key or inst.process_instance_key]
            for child_key in sorted(scope.children or ()):
                child = self.element_instances[child_key]
                if child.key != inst.key and child.state.is_active:
                    self._terminate(child, check_scope=False)
            scope.join_tokens.clear()
            self._complete(inst, take_flows=False)
            return
        self._complete(inst, node=node)

    def _activate_gateway(self, inst: ElementInstance, node: FlowNode) -> None:
        self._mark_activated(inst)
        self._complete(inst, node=node)

    # ---------------------------------------------------------------- multi-instance
    def _activate_body(self, body: ElementInstance, node: FlowNode) -> None:
        assert node.loop is not None
        try:
            context = self.visible_variables(body)
            collection = self.expressions.array(node.loop.input_collection, context, self.now())
            self._open_boundary_events(body, node, context)
        except ExpressionError as exc:
            self._raise_incident(body, "EXTRACT_VALUE_ERROR", str(exc), "activate")
        body.mi_collection = collection
        if node.loop.output_collection:
            self._set_local(body, node.loop.output_collection, [None] * len(collection))
        self._mark_activated(body)
        if not collection:
            self._complete(body)
            return
        if node.loop.sequential:
            self._start_inner(body, node, 0)
        else:
            for index in range(len(collection)):
                self._start_inner(body, node, index)

    def _start_inner(self, body: ElementInstance, node: FlowNode, index: int) -> None:
        assert node.loop is not None and body.mi_collection is not None
        body.mi_next_index = index + 1
        item = body.mi_collection[index]
        self._schedule_activation(node, body, loop_counter=index + 1, loop_item=(node.loop.input_element, item))

    def _inner_finished(self, body: ElementInstance, node: FlowNode, inner: ElementInstance, completed: bool) -> None:
        assert node.loop is not None and body.mi_collection is not None
        if completed:
            body.mi_completed += 1
        else:
            body.mi_terminated += 1
        if not body.state.is_active or body.interrupted:
            return
        total = len(body.mi_collection)
        done = body.mi_completed + body.mi_terminated
        active = len([k for k in body.children or () if self.element_instances[k].state.is_active])
        if completed and node.loop.completion_condition:
            context = self.visible_variables(inner)
            context.update(
                numberOfInstances=total,
                numberOfActiveInstances=active,
                numberOfCompletedInstances=body.mi_completed,
                numberOfTerminatedInstances=body.mi_terminated,
                loopCounter=inner.loop_counter,
            )
            try:
                finished = self.expressions.boolean(node.loop.completion_condition, context, self.now())
            except ExpressionError as exc:
                self._raise_incident(body, "EXTRACT_VALUE_ERROR", str(exc), "complete")
                return
            if finished:
                for key in sorted(body.children or ()):
                    child = self.element_instances[key]
                    if child.state.is_active:
                        self._terminate(child, check_scope=False)
                self._complete(body)
                return
        if node.loop.sequential and body.mi_next_index < total:
            self._start_inner(body, node, body.mi_next_index)
        elif done >= total and active == 0:
            self._complete(body)


# by the Kind's plain string value: Enum members hash in Python, plain strings in C
_ACTIVATION: dict[str, Callable[[ActivationMixin, ElementInstance, FlowNode], None]] = {
    Kind.JOB_TASK.value: ActivationMixin._activate_job_task,
    Kind.SCRIPT_TASK.value: ActivationMixin._activate_script,
    Kind.USER_TASK.value: ActivationMixin._activate_user_task,
    Kind.RECEIVE_TASK.value: ActivationMixin._activate_message_catch,
    Kind.INTERMEDIATE_CATCH_EVENT.value: ActivationMixin._activate_catch_event,
    Kind.SUB_PROCESS.value: ActivationMixin._activate_sub_process,
    Kind.EVENT_SUB_PROCESS.value: ActivationMixin._activate_event_sub_process,
    Kind.END_EVENT.value: ActivationMixin._activate_end_event,
    Kind.EXCLUSIVE_GATEWAY.value: ActivationMixin._activate_gateway,
    Kind.PARALLEL_GATEWAY.value: ActivationMixin._activate_gateway,
    Kind.INCLUSIVE_GATEWAY.value: ActivationMixin._activate_gateway,
    Kind.EVENT_BASED_GATEWAY.value: ActivationMixin._activate_event_gateway,
    Kind.INTERMEDIATE_THROW_EVENT.value: ActivationMixin._activate_throw_event,
    Kind.CALL_ACTIVITY.value: ActivationMixin._activate_call_activity,
}
