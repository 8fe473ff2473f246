"""The deployed decisions: decision requirements graphs (one a `.dmn` resource) and their decisions, each with its
key and version, versioned as Zeebe 8.8 versions them (DmnResourceTransformer).

- A graph is versioned by its id (the `definitions` id), a decision by its own id: a decision's versions count
  every graph it was deployed in, so a graph at version 2 may hold a decision at version 3.
- A resource is a duplicate of the latest version of its graph when it has the same resource name and content and
  each of its decisions' latest version belongs to that graph; a deployment whose resources are all duplicates
  creates nothing and answers with the latest versions, otherwise every resource of it becomes a new version
  (Zeebe versions the resources of one deployment together; engine/deployment.py decides which).
- A decision has its `name`, else its id, and so has a graph (dmn-scala's names).

The store is plain state (no parser, no FEEL): the engine keeps it among its state, so a durable engine's snapshot
holds it as it is. Keys come from the engine's key generator, passed in.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from engine.dmn import DecisionRequirementsGraph


@dataclass(frozen=True)
class DeployedDecisionRequirements:
    """One version of a decision requirements graph: the resource it came from, parsed."""

    key: int
    requirements_id: str
    name: str
    version: int
    resource_name: str
    checksum: str
    resource: bytes
    deployment_key: int
    graph: DecisionRequirementsGraph


@dataclass(frozen=True)
class DeployedDecision:
    """One version of a decision, within the version of its graph it was deployed with."""

    key: int
    decision_id: str
    name: str
    version: int
    requirements_key: int
    requirements_id: str
    deployment_key: int


@dataclass
class DecisionStore:
    """Every deployed version of every graph and decision, by key, with the latest version of each by id."""

    requirements: dict[int, DeployedDecisionRequirements] = field(default_factory=dict)
    decisions: dict[int, DeployedDecision] = field(default_factory=dict)
    _latest_requirements: dict[str, int] = field(default_factory=dict)
    _latest_decisions: dict[str, int] = field(default_factory=dict)
    _decisions_by_requirements: dict[int, list[int]] = field(default_factory=dict)  # in the order of the file

    # ---------------------------------------------------------------- reading
    def latest_requirements(self, requirements_id: str) -> DeployedDecisionRequirements | None:
        key = self._latest_requirements.get(requirements_id)
        return None if key is None else self.requirements[key]

    def latest_decision(self, decision_id: str) -> DeployedDecision | None:
        key = self._latest_decisions.get(decision_id)
        return None if key is None else self.decisions[key]

    def is_latest_decision(self, decision: DeployedDecision) -> bool:
        return self._latest_decisions.get(decision.decision_id) == decision.key

    def is_latest_requirements(self, requirements: DeployedDecisionRequirements) -> bool:
        return self._latest_requirements.get(requirements.requirements_id) == requirements.key

    def decisions_of(self, requirements_key: int) -> Iterator[DeployedDecision]:
        """The decisions deployed with that version of a graph, in the order of the file."""
        return (self.decisions[key] for key in self._decisions_by_requirements.get(requirements_key, ()))

    # ---------------------------------------------------------------- deploying
    def is_duplicate(self, resource_name: str, checksum: str, graph: DecisionRequirementsGraph) -> bool:
        """Whether the resource is the latest version of its graph again (see the module doc)."""
        latest = self.latest_requirements(graph.id)
        if latest is None or (latest.resource_name, latest.checksum) != (resource_name, checksum):
            return False
        for decision_id in graph.decisions:
            decision = self.latest_decision(decision_id)
            if decision is None or decision.requirements_key != latest.key:
                return False
        return True

    def deploy(
        self,
        resource_name: str,
        resource: bytes,
        checksum: str,
        graph: DecisionRequirementsGraph,
        deployment_key: int,
        fresh: bool,
        next_key: Callable[[], int],
    ) -> tuple[DeployedDecisionRequirements, list[DeployedDecision]]:
        """A new version of the graph and of each of its decisions (keys: the graph's, then its decisions' in the
        order of the file); or, when the deployment is not `fresh` (all its resources are duplicates), the latest
        versions as they are."""
        latest = self.latest_requirements(graph.id)
        if not fresh and latest is not None:
            return latest, list(self.decisions_of(latest.key))
        requirements = DeployedDecisionRequirements(
            key=next_key(),
            requirements_id=graph.id,
            name=graph.name or graph.id,
            version=latest.version + 1 if latest is not None else 1,
            resource_name=resource_name,
            checksum=checksum,
            resource=resource,
            deployment_key=deployment_key,
            graph=graph,
        )
        self.requirements[requirements.key] = requirements
        self._latest_requirements[graph.id] = requirements.key
        deployed: list[DeployedDecision] = []
        for decision in graph.decisions.values():
            previous = self.latest_decision(decision.id)
            version = DeployedDecision(
                key=next_key(),
                decision_id=decision.id,
                name=decision.name or decision.id,
                version=previous.version + 1 if previous is not None else 1,
                requirements_key=requirements.key,
                requirements_id=graph.id,
                deployment_key=deployment_key,
            )
            self.decisions[version.key] = version
            self._latest_decisions[decision.id] = version.key
            self._decisions_by_requirements.setdefault(requirements.key, []).append(version.key)
            deployed.append(version)
        return requirements, deployed
