"""Deploying BPMN processes, DMN decisions (engine/processing/decisions.py) and forms: checked whole before anything
is stored, versioned together."""

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from engine import json_documents
from engine.behaviors import BpmnBehaviors
from engine.behaviors.subscriptions import TimerSchedule
from engine.dmn import DecisionRequirementsGraph, InvalidDmnError
from engine.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from engine.expressions import DEPLOY_EVALUATION_LIMIT, ExpressionError
from engine.model import ProcessModel
from engine.parser import BpmnParser
from engine.processing.decisions import DecisionProcessor
from engine.state.values import ProcessDefinition

_ERRORS = "Expected to deploy new resources, but encountered the following errors:\n"

# the kinds of deployed resources, in the order Zeebe lists them in a deployment's answer
KIND_ORDER = ("process", "decision", "decisionRequirements", "form")


@dataclass(frozen=True)
class DeployedResource:
    """What DeployResource answers for one deployed process, decision, decision requirements graph or form."""

    kind: str  # one of KIND_ORDER
    key: int
    id: str
    version: int
    resource_name: str
    name: str | None = None  # of a decision or a decision requirements graph
    # of a decision: the id and key of its decision requirements graph
    requirements_id: str | None = None
    requirements_key: int | None = None


@dataclass(frozen=True)
class Deployment:
    key: int
    resources: list[DeployedResource]


# what a resource of a deployment parses into: (resource name, content, its BPMN processes, its DMN graph, its form's
# (id, schema)) – one of the three
_Parsed = tuple[str, bytes, list[ProcessModel] | None, DecisionRequirementsGraph | None, tuple[str, str] | None]


class DeploymentProcessor:
    def __init__(
        self, behaviors: BpmnBehaviors, parser: Callable[[], BpmnParser], decisions: DecisionProcessor
    ) -> None:
        self.b = behaviors
        self._state = behaviors.state
        self._w = behaviors.writer
        self._parser = parser
        self._decisions = decisions

    def deploy(self, resources: list[tuple[str, bytes]]) -> Deployment:
        if not resources:
            raise InvalidArgumentError("Expected to deploy at least one resource, but none given")
        parsed = self._parse(resources)
        seen_ids: dict[str, str] = {}
        for name, _, models, _graph, _form in parsed:
            for model in models or []:
                if model.bpmn_process_id in seen_ids:
                    raise InvalidArgumentError(
                        f"Expected the process ids to be unique within a deployment, but found a duplicated "
                        f"process id '{model.bpmn_process_id}' in '{seen_ids[model.bpmn_process_id]}' and '{name}'"
                    )
                seen_ids[model.bpmn_process_id] = name
        signal_names, start_timers = self._start_events(parsed)
        checksums = [hashlib.sha256(content).hexdigest() for _, content, _, _, _ in parsed]
        # Zeebe versions the resources of one deployment together: unless every one is a duplicate of its
        # latest version (same checksum and resource name), every one of them becomes a new version
        fresh = not all(
            self._is_duplicate(name, checksum, models, graph, form)
            for (name, _, models, graph, form), checksum in zip(parsed, checksums, strict=True)
        )
        deployment_key = self._state.keys.next()
        out: list[DeployedResource] = []
        for (name, content, models, graph, form), checksum in zip(parsed, checksums, strict=True):
            if form is not None:
                out.append(self._deploy_form(name, checksum, form, deployment_key, fresh))
                continue
            if graph is not None:
                out += self._deploy_decisions(name, content, checksum, graph, deployment_key, fresh)
                continue
            for model in models or []:
                out.append(
                    self._deploy_process(
                        name, content, checksum, model, deployment_key, fresh, signal_names, start_timers
                    )
                )
        self._w.deployment_created(deployment_key)
        out.sort(key=lambda r: KIND_ORDER.index(r.kind))  # stable: in the order of the resources within a kind
        return Deployment(deployment_key, out)

    def _parse(self, resources: list[tuple[str, bytes]]) -> list[_Parsed]:
        parsed: list[_Parsed] = []
        problems: list[str] = []
        parser = self._parser()
        for name, content in resources:
            if name.endswith((".bpmn", ".xml")):
                try:
                    parsed.append((name, content, parser.parse(name, content), None, None))
                except InvalidArgumentError as exc:
                    problems.append(str(exc).split("errors:\n", 1)[-1])
            elif name.endswith(".form"):
                try:
                    schema = json_documents.loads(content.decode("utf-8"))
                except (UnicodeDecodeError, json_documents.JsonDocumentError) as exc:
                    problems.append(f"'{name}': the form is not valid JSON: {exc}")
                    continue
                if not isinstance(schema, dict) or not isinstance(schema.get("id"), str) or not schema["id"]:
                    problems.append(f"'{name}': a form needs a non-empty string 'id' at its root")
                    continue
                parsed.append((name, content, None, None, (schema["id"], content.decode("utf-8"))))
            elif name.endswith(".dmn"):
                try:
                    parsed.append((name, content, None, self._decisions.parse(name, content), None))
                except InvalidDmnError as exc:
                    problems.append(str(exc).split("errors:\n", 1)[-1])
            else:
                problems.append(
                    f"'{name}': expected a resource ending in .bpmn, .xml, .dmn or .form, but the file type is unknown"
                )
        if problems:
            raise InvalidArgumentError(_ERRORS + "\n".join(problems))
        problems = _duplicate_decision_ids(parsed)
        if problems:
            raise InvalidArgumentError(_ERRORS + "\n".join(problems))
        return parsed

    def _start_events(
        self, parsed: list[_Parsed]
    ) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], TimerSchedule]]:
        """The names of signal start events and the schedules of timer start events, evaluated at deploy (without
        variables), as in Zeebe – all of them within DEPLOY_EVALUATION_LIMIT: a deployment cannot be suspended as a
        step can, and one still running when it is spent is refused rather than hold every other client."""
        with self.b.expressions.limited(DEPLOY_EVALUATION_LIMIT):
            return self._evaluate_start_events(parsed)

    def _evaluate_start_events(
        self, parsed: list[_Parsed]
    ) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], TimerSchedule]]:
        subscriptions = self.b.subscriptions
        signal_names: dict[tuple[str, str], str] = {}
        start_timers: dict[tuple[str, str], TimerSchedule] = {}
        problems: list[str] = []
        for name, _, models, _graph, _form in parsed:
            for model in models or []:
                for start_id in model.signal_starts:
                    try:
                        signal_names[(model.bpmn_process_id, start_id)] = subscriptions.signal_name(
                            model.elements[start_id], {}
                        )
                    except ExpressionError as exc:
                        problems.append(
                            f"'{name}': the signal name of the start event '{start_id}' could not be evaluated "
                            f"without variables: {exc}"
                        )
                for start_id in model.timer_starts:
                    # a start timer whose expression needs variables cannot be scheduled (refused at deploy)
                    with contextlib.suppress(ExpressionError):
                        start_timers[(model.bpmn_process_id, start_id)] = subscriptions.timer_schedule(
                            model.elements[start_id], {}
                        )
        if problems:
            raise InvalidArgumentError(_ERRORS + "\n".join(problems))
        return signal_names, start_timers

    def _is_duplicate(
        self,
        name: str,
        checksum: str,
        models: list[ProcessModel] | None,
        graph: DecisionRequirementsGraph | None,
        form: tuple[str, str] | None,
    ) -> bool:
        deployments = self._state.deployments
        if graph is not None:
            return self._decisions.is_duplicate(name, checksum, graph)
        if form is not None:
            latest_form = deployments.latest_form(form[0])
            return latest_form is not None and (latest_form.checksum, latest_form.resource_name) == (checksum, name)
        for model in models or []:
            latest = deployments.latest_definition(model.bpmn_process_id)
            if latest is None or (latest.checksum, latest.resource_name) != (checksum, name):
                return False
        return True

    def _deploy_decisions(
        self,
        name: str,
        content: bytes,
        checksum: str,
        graph: DecisionRequirementsGraph,
        deployment_key: int,
        fresh: bool,
    ) -> list[DeployedResource]:
        requirements, decisions = self._decisions.deploy(name, content, checksum, graph, deployment_key, fresh)
        return [
            DeployedResource(
                "decisionRequirements",
                requirements.key,
                requirements.requirements_id,
                requirements.version,
                requirements.resource_name,
                requirements.name,
            ),
            *(
                DeployedResource(
                    "decision", d.key, d.decision_id, d.version, name, d.name, d.requirements_id, d.requirements_key
                )
                for d in decisions
            ),
        ]

    def _deploy_form(
        self, name: str, checksum: str, form: tuple[str, str], deployment_key: int, fresh: bool
    ) -> DeployedResource:
        form_id, schema = form
        latest = self._state.deployments.latest_form(form_id)
        if not fresh and latest is not None:
            return DeployedResource("form", latest.key, form_id, latest.version, latest.resource_name)
        version = latest.version + 1 if latest else 1
        key = self._state.keys.next()
        self._w.form_created(key, form_id, version, name, checksum, schema, deployment_key)
        return DeployedResource("form", key, form_id, version, name)

    def _deploy_process(
        self,
        name: str,
        content: bytes,
        checksum: str,
        model: ProcessModel,
        deployment_key: int,
        fresh: bool,
        signal_names: dict[tuple[str, str], str],
        start_timers: dict[tuple[str, str], TimerSchedule],
    ) -> DeployedResource:
        state = self._state
        pid = model.bpmn_process_id
        latest = state.deployments.latest_definition(pid)
        if not fresh and latest is not None:
            return DeployedResource("process", latest.key, pid, latest.version, name)
        version = latest.version + 1 if latest else 1
        key = state.keys.next()
        definition = self._w.process_created(key, pid, version, name, checksum, deployment_key, content, model)
        self._open_start_events(definition, signal_names, start_timers)
        return DeployedResource("process", key, pid, version, name)

    def _open_start_events(
        self,
        definition: ProcessDefinition,
        signal_names: dict[tuple[str, str], str],
        start_timers: dict[tuple[str, str], TimerSchedule],
    ) -> None:
        """The latest version's timer and signal start events wait for their events; those of the version it replaces
        stop waiting (its message start events are replaced by the applier of PROCESS_CREATED or PROCESS_DELETED)."""
        pid, model = definition.bpmn_process_id, definition.model
        self._close_start_events(pid)
        subscriptions = self.b.subscriptions
        for start_id in model.signal_starts:
            subscriptions.open_signal_subscription(
                None, start_id, signal_names[(pid, start_id)], interrupting=True, definition=definition
            )
        for start_id in model.timer_starts:
            schedule = start_timers.get((pid, start_id))
            if schedule is not None:
                subscriptions.create_start_timer(model.elements[start_id], definition, schedule)

    def _close_start_events(self, pid: str) -> None:
        state = self._state
        subscriptions = self.b.subscriptions
        for timer in list(state.timers.timers.values()):
            if (
                timer.process_instance_key is None
                and state.deployments.definitions[timer.process_definition_key].bpmn_process_id == pid
            ):
                subscriptions.cancel_timer(timer.key)
        for sub in list(state.signals.subscriptions.values()):
            if sub.element_instance_key is None and sub.bpmn_process_id == pid:
                subscriptions.close_signal_subscription(sub.key)

    # ================================================================== deleting resources
    def delete_resource(self, key: int) -> None:
        """Zeebe's DeleteResource: a process definition without running instances (the version before it becomes
        the latest again, its start events waiting once more) or a form. Instances that ran keep their history."""
        state = self._state
        deployments = state.deployments
        definition = deployments.definitions.get(key)
        if definition is not None:
            running = [
                pi.key
                for pi in state.instances.process_instances.values()
                if pi.process_definition_key == key and pi.state == "ACTIVE"
            ]
            if running:
                raise FailedPreconditionError(
                    f"Expected to delete resource with key '{key}' but there are running instances of it "
                    f"({len(running)}, e.g. '{running[0]}'); cancel them or let them end first"
                )
            pid = definition.bpmn_process_id
            was_latest = deployments.latest_definition(pid) is definition
            if was_latest:
                self._close_start_events(pid)
            self._w.process_deleted(key)
            previous = deployments.latest_definition(pid)
            if was_latest and previous is not None:
                signal_names, start_timers = self._start_events(
                    [(previous.resource_name, b"", [previous.model], None, None)]
                )
                self._open_start_events(previous, signal_names, start_timers)
            return
        if key in deployments.forms:
            self._w.form_deleted(key)
            return
        raise NotFoundError(f"Expected to delete resource with key '{key}' but no such resource was found")


def _duplicate_decision_ids(parsed: list[_Parsed]) -> list[str]:
    """Zeebe's refusals of decision requirements graphs or decisions with the same id in two resources of one
    deployment."""
    problems: list[str] = []
    graphs: dict[str, str] = {}
    decisions: dict[str, str] = {}
    for name, _, _, graph, _ in parsed:
        if graph is None:
            continue
        if graph.id in graphs:
            problems.append(
                "Expected the decision requirements ids to be unique within a deployment but found a duplicated id "
                f"'{graph.id}' in the resources '{graphs[graph.id]}' and '{name}'."
            )
            continue
        graphs[graph.id] = name
        for decision_id in graph.decisions:
            if decision_id in decisions:
                problems.append(
                    "Expected the decision ids to be unique within a deployment but found a duplicated id "
                    f"'{decision_id}' in the resources '{decisions[decision_id]}' and '{name}'."
                )
                break
            decisions[decision_id] = name
    return problems
