"""The DMN package's exceptions: one base, a refusal of a DMN resource, and the failure of an evaluation."""

from engine.errors import EngineError, InvalidArgumentError
from engine.resource_problems import ResourceProblem


class DmnError(EngineError):
    """Base of every error engine.dmn raises."""


class InvalidDmnError(DmnError, InvalidArgumentError):
    """A DMN resource that cannot be deployed, with every problem found (gRPC INVALID_ARGUMENT, as Zeebe answers a
    deployment it refuses)."""

    def __init__(self, resource_name: str, problems: list[ResourceProblem] | str) -> None:
        self.resource_name = resource_name
        self.problems = problems if isinstance(problems, list) else []
        detail = "\n".join(p.render() for p in problems) if isinstance(problems, list) else problems
        separator = "\n" if isinstance(problems, list) else " "
        super().__init__(
            "Expected to deploy new resources, but encountered the following errors:\n"
            f"'{resource_name}':{separator}{detail}"
        )


class DecisionEvaluationError(DmnError):
    """Why a decision could not be evaluated (dmn-scala's failure reasons); the evaluator turns it into the failure
    of its result, as Zeebe does, and never lets it escape."""
