"""Deploying BPMN processes, DMN decisions (engine/decisions) and forms."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from engine import json_documents
from engine._base import EngineBase
from engine.decisions.commands import DecisionsMixin
from engine.dmn import DecisionRequirementsGraph, InvalidDmnError
from engine.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from engine.expressions import ExpressionError
from engine.model import ProcessModel
from engine.state import (
    Form,
    MessageStartSubscription,
    ProcessDefinition,
)

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


# what a resource of a deployment parses into: BPMN processes, a DMN graph or a form's (id, schema)
Parsed = tuple[str, bytes, list[ProcessModel] | None, DecisionRequirementsGraph | None, tuple[str, str] | None]


class DeploymentMixin(DecisionsMixin, EngineBase):
    # ================================================================== deployment
    def deploy(self, resources: list[tuple[str, bytes]]) -> Deployment:
        return self._command(lambda: self._deploy(resources))  # type: ignore[no-any-return]

    def _deploy(self, resources: list[tuple[str, bytes]]) -> Deployment:
        if not resources:
            raise InvalidArgumentError("Expected to deploy at least one resource, but none given")
        parsed: list[Parsed] = []
        problems: list[str] = []
        for name, content in resources:
            if name.endswith((".bpmn", ".xml")):
                try:
                    parsed.append((name, content, self._parser.parse(name, content), None, None))
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
                    parsed.append((name, content, None, self._parse_decisions(name, content), None))
                except InvalidDmnError as exc:
                    problems.append(str(exc).split("errors:\n", 1)[-1])
            else:
                problems.append(
                    f"'{name}': expected a resource ending in .bpmn, .xml, .dmn or .form, but the file type is unknown"
                )
        if problems:
            raise InvalidArgumentError(
                "Expected to deploy new resources, but encountered the following errors:\n" + "\n".join(problems)
            )
        problems += _duplicate_decision_ids(parsed)
        if problems:
            raise InvalidArgumentError(
                "Expected to deploy new resources, but encountered the following errors:\n" + "\n".join(problems)
            )
        seen_ids: dict[str, str] = {}
        for name, _, models, _graph, _form in parsed:
            for model in models or []:
                if model.bpmn_process_id in seen_ids:
                    raise InvalidArgumentError(
                        f"Expected the process ids to be unique within a deployment, but found a duplicated "
                        f"process id '{model.bpmn_process_id}' in '{seen_ids[model.bpmn_process_id]}' and '{name}'"
                    )
                seen_ids[model.bpmn_process_id] = name
        # the names of signal start events are evaluated at deploy (without variables), as in Zeebe
        signal_start_names: dict[tuple[str, str], str] = {}
        for name, _, models, _graph, _form in parsed:
            for model in models or []:
                for start_id in model.signal_starts:
                    try:
                        signal_start_names[(model.bpmn_process_id, start_id)] = self._signal_name(
                            model.elements[start_id], {}
                        )
                    except ExpressionError as exc:
                        problems.append(
                            f"'{name}': the signal name of the start event '{start_id}' could not be evaluated "
                            f"without variables: {exc}"
                        )
        if problems:
            raise InvalidArgumentError(
                "Expected to deploy new resources, but encountered the following errors:\n" + "\n".join(problems)
            )
        checksums = [hashlib.sha256(content).hexdigest() for _, content, _, _, _ in parsed]
        # Zeebe versions the resources of one deployment together: unless every one is a duplicate of its
        # latest version (same checksum and resource name), every one of them becomes a new version
        fresh = not all(
            self._is_duplicate(name, checksum, models, graph, form)
            for (name, _, models, graph, form), checksum in zip(parsed, checksums, strict=True)
        )
        deployment_key = self.keys.next()
        out: list[DeployedResource] = []
        for (name, content, models, graph, form), checksum in zip(parsed, checksums, strict=True):
            if form is not None:
                out.append(self._deploy_form(name, checksum, form, deployment_key, fresh))
                continue
            if graph is not None:
                requirements, decisions = self._deploy_decisions(name, content, checksum, graph, deployment_key, fresh)
                out.append(
                    DeployedResource(
                        "decisionRequirements",
                        requirements.key,
                        requirements.requirements_id,
                        requirements.version,
                        requirements.resource_name,
                        requirements.name,
                    )
                )
                out += [
                    DeployedResource(
                        "decision",
                        d.key,
                        d.decision_id,
                        d.version,
                        name,
                        d.name,
                        d.requirements_id,
                        d.requirements_key,
                    )
                    for d in decisions
                ]
                continue
            for model in models or []:
                out.append(
                    self._deploy_process(name, content, checksum, model, deployment_key, fresh, signal_start_names)
                )
        self._record("DEPLOYMENT", "CREATED", deployment_key)
        out.sort(key=lambda r: KIND_ORDER.index(r.kind))  # stable: in the order of the resources within a kind
        return Deployment(deployment_key, out)

    def _is_duplicate(
        self,
        name: str,
        checksum: str,
        models: list[ProcessModel] | None,
        graph: DecisionRequirementsGraph | None,
        form: tuple[str, str] | None,
    ) -> bool:
        if graph is not None:
            return self.decision_store.is_duplicate(name, checksum, graph)
        if form is not None:
            latest_form = self.latest_form(form[0])
            return latest_form is not None and (latest_form.checksum, latest_form.resource_name) == (checksum, name)
        for model in models or []:
            latest = self.latest_definition(model.bpmn_process_id)
            if latest is None or (latest.checksum, latest.resource_name) != (checksum, name):
                return False
        return True

    def _deploy_form(
        self, name: str, checksum: str, form: tuple[str, str], deployment_key: int, fresh: bool
    ) -> DeployedResource:
        form_id, schema = form
        latest = self.latest_form(form_id)
        if not fresh and latest is not None:
            return DeployedResource("form", latest.key, form_id, latest.version, latest.resource_name)
        version = latest.version + 1 if latest else 1
        key = self.keys.next()
        self.forms[key] = Form(key, form_id, version, name, checksum, schema, deployment_key)
        self._record("FORM", "CREATED", key)
        return DeployedResource("form", key, form_id, version, name)

    def _deploy_process(
        self,
        name: str,
        content: bytes,
        checksum: str,
        model: ProcessModel,
        deployment_key: int,
        fresh: bool,
        signal_start_names: Mapping[tuple[str, str], str],
    ) -> DeployedResource:
        pid = model.bpmn_process_id
        latest = self.latest_definition(pid)
        if not fresh and latest is not None:
            return DeployedResource("process", latest.key, pid, latest.version, name)
        version = latest.version + 1 if latest else 1
        key = self.keys.next()
        definition = ProcessDefinition(key, pid, version, name, checksum, model, deployment_key, self.now(), content)
        self.definitions[key] = definition
        self._record("PROCESS", "CREATED", key)
        self._open_start_events(definition, signal_start_names)
        return DeployedResource("process", key, pid, version, name)

    def _open_start_events(
        self, definition: ProcessDefinition, signal_start_names: Mapping[tuple[str, str], str] | None = None
    ) -> None:
        """The latest version's message, timer and signal start events wait for their events; those of the version
        it replaces stop waiting."""
        pid, model = definition.bpmn_process_id, definition.model
        self._close_start_events(pid)
        for start_id in model.signal_starts:
            name = (signal_start_names or {}).get((pid, start_id)) or self._signal_name(model.elements[start_id], {})
            self._open_signal_subscription(None, start_id, name, interrupting=True, definition=definition)
        for start_id in model.message_starts:
            node = model.elements[start_id]
            assert node.event is not None and node.event.message is not None
            self.message_starts.append(MessageStartSubscription(definition.key, pid, node.event.message.name, start_id))
        for start_id in model.timer_starts:
            self._create_timer(model.elements[start_id], definition, None, None, {})

    def _close_start_events(self, pid: str) -> None:
        self.message_starts = [s for s in self.message_starts if s.bpmn_process_id != pid]
        for timer in list(self.timers.values()):
            if (
                timer.process_instance_key is None
                and self.definitions[timer.process_definition_key].bpmn_process_id == pid
            ):
                self._cancel_timer(timer.key)
        for sub in list(self.signal_subscriptions.values()):
            if sub.element_instance_key is None and sub.bpmn_process_id == pid:
                self._close_signal_subscription(sub.key)

    # ================================================================== deleting resources
    def delete_resource(self, key: int) -> None:
        """Zeebe's DeleteResource: a process definition without running instances (the version before it becomes
        the latest again, its start events waiting once more) or a form. Instances that ran keep their history."""
        self._command(lambda: self._delete_resource(key))

    def _delete_resource(self, key: int) -> None:
        definition = self.definitions.get(key)
        if definition is not None:
            running = [
                pi.key
                for pi in self.process_instances.values()
                if pi.process_definition_key == key and pi.state == "ACTIVE"
            ]
            if running:
                raise FailedPreconditionError(
                    f"Expected to delete resource with key '{key}' but there are running instances of it "
                    f"({len(running)}, e.g. '{running[0]}'); cancel them or let them end first"
                )
            was_latest = self.latest_definition(definition.bpmn_process_id) is definition
            if was_latest:
                self._close_start_events(definition.bpmn_process_id)
            del self.definitions[key]
            self._record("PROCESS", "DELETED", key)
            previous = self.latest_definition(definition.bpmn_process_id)
            if was_latest and previous is not None:
                self._open_start_events(previous)
            return
        if key in self.forms:
            del self.forms[key]
            self._record("FORM", "DELETED", key)
            return
        raise NotFoundError(f"Expected to delete resource with key '{key}' but no such resource was found")

    def latest_definition(self, bpmn_process_id: str) -> ProcessDefinition | None:
        found = [d for d in self.definitions.values() if d.bpmn_process_id == bpmn_process_id]
        return max(found, key=lambda d: d.version) if found else None

    def latest_form(self, form_id: str) -> Form | None:
        found = [f for f in self.forms.values() if f.form_id == form_id]
        return max(found, key=lambda f: f.version) if found else None


def _duplicate_decision_ids(parsed: list[Parsed]) -> list[str]:
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
