"""Deployed decisions: decision requirements graphs (one a `.dmn` resource) and their decisions, each with its key
and version, versioned as Zeebe 8.8 versions them (DmnResourceTransformer), and a read-only view of them.

- A graph is versioned by its id (the `definitions` id), a decision by its own id: a decision's versions count
  every graph it was deployed in, so a graph at version 2 may hold a decision at version 3.
- A resource is a duplicate of the latest version of its graph when it has the same resource name and content and
  each of its decisions' latest version belongs to that graph (`is_duplicate`; engine/processing/deployment.py
  decides whether a deployment creates anything).

Changed only by the appliers of DECISION_REQUIREMENTS_CREATED and DECISION_CREATED (engine/events/appliers.py).

Besides them, the decision instances: each decision an evaluation evaluated (EvaluateDecision or a business rule
task; required decisions too), as Camunda 8.8's history keeps them for `/v2/decision-instances` – by their id
`<evaluation key>-<n>`, in the order evaluated; written by the applier of DECISION_INSTANCES_RECORDED.
"""

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from engine.dmn import DecisionRequirementsGraph
from engine.state.values import DeployedDecision, DeployedDecisionRequirements


class Decisions:
    __slots__ = ("by_requirements", "decisions", "instances", "latest_decisions", "latest_requirements", "requirements")

    def __init__(self) -> None:
        self.requirements: dict[int, DeployedDecisionRequirements] = {}
        self.decisions: dict[int, DeployedDecision] = {}
        self.latest_requirements: dict[str, int] = {}  # graph id → key of its latest version
        self.latest_decisions: dict[str, int] = {}  # decision id → key of its latest version
        self.by_requirements: dict[int, list[int]] = {}  # graph key → its decisions' keys, in the order of the file
        # decision instance id (`<evaluation key>-<n>`) → its row (engine/decisions/instances.py `instance_row`)
        self.instances: dict[str, dict[str, Any]] = {}

    def latest_requirements_of(self, requirements_id: str) -> DeployedDecisionRequirements | None:
        key = self.latest_requirements.get(requirements_id)
        return None if key is None else self.requirements[key]

    def latest_decision(self, decision_id: str) -> DeployedDecision | None:
        key = self.latest_decisions.get(decision_id)
        return None if key is None else self.decisions[key]

    def decisions_of(self, requirements_key: int) -> Iterator[DeployedDecision]:
        """The decisions deployed with that version of a graph, in the order of the file."""
        return (self.decisions[key] for key in self.by_requirements.get(requirements_key, ()))

    def decision_in_deployment(self, decision_id: str, deployment_key: int) -> DeployedDecision | None:
        """The version of `decision_id` a deployment created (a business rule task's binding `deployment`)."""
        for decision in self.decisions.values():
            if decision.decision_id == decision_id and decision.deployment_key == deployment_key:
                return decision
        return None

    def latest_decision_with_version_tag(self, decision_id: str, version_tag: str) -> DeployedDecision | None:
        """The latest version of `decision_id` whose zeebe:versionTag is `version_tag` (binding `versionTag`)."""
        found: DeployedDecision | None = None
        for decision in self.decisions.values():
            if decision.decision_id != decision_id or (found is not None and found.version > decision.version):
                continue
            parsed = self.requirements[decision.requirements_key].graph.decisions.get(decision_id)
            if parsed is not None and parsed.version_tag == version_tag:
                found = decision
        return found

    def is_duplicate(self, resource_name: str, checksum: str, graph: DecisionRequirementsGraph) -> bool:
        """Whether the resource is the latest version of its graph again (see the module doc)."""
        latest = self.latest_requirements_of(graph.id)
        if latest is None or (latest.resource_name, latest.checksum) != (resource_name, checksum):
            return False
        for decision_id in graph.decisions:
            decision = self.latest_decision(decision_id)
            if decision is None or decision.requirements_key != latest.key:
                return False
        return True


class DecisionsView:
    """The deployed decisions, read-only: what the gateway, the REST API and the searches read
    (`Engine.decision_store`)."""

    __slots__ = ("_store",)

    def __init__(self, store: Decisions) -> None:
        self._store = store

    @property
    def requirements(self) -> Mapping[int, DeployedDecisionRequirements]:
        return MappingProxyType(self._store.requirements)

    @property
    def decisions(self) -> Mapping[int, DeployedDecision]:
        return MappingProxyType(self._store.decisions)

    @property
    def instances(self) -> Mapping[str, Mapping[str, Any]]:
        """The decision instances by id, in the order evaluated (rows: engine/decisions/instances.py)."""
        return MappingProxyType(self._store.instances)

    def latest_requirements(self, requirements_id: str) -> DeployedDecisionRequirements | None:
        return self._store.latest_requirements_of(requirements_id)

    def latest_decision(self, decision_id: str) -> DeployedDecision | None:
        return self._store.latest_decision(decision_id)

    def is_latest_decision(self, decision: DeployedDecision) -> bool:
        return self._store.latest_decisions.get(decision.decision_id) == decision.key

    def is_latest_requirements(self, requirements: DeployedDecisionRequirements) -> bool:
        return self._store.latest_requirements.get(requirements.requirements_id) == requirements.key

    def decisions_of(self, requirements_key: int) -> Iterator[DeployedDecision]:
        return self._store.decisions_of(requirements_key)
