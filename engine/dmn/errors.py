"""The DMN package's exceptions: one base, a refusal of a DMN resource, and the failure of an evaluation."""

from dataclasses import dataclass

from engine.errors import EngineError, InvalidArgumentError


class DmnError(EngineError):
    """Base of every error engine.dmn raises."""


@dataclass(frozen=True)
class DmnProblem:
    """One reason a DMN resource is refused: the element, its DMN type, its line and why."""

    element_id: str
    element_type: str
    line: int | None
    reason: str

    def render(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"- Element '{self.element_id}' (dmn:{self.element_type}){where}: {self.reason}"


class InvalidDmnError(DmnError, InvalidArgumentError):
    """A DMN resource that cannot be deployed, with every problem found (gRPC INVALID_ARGUMENT, as Zeebe answers a
    deployment it refuses)."""

    def __init__(self, resource_name: str, problems: list[DmnProblem] | str) -> None:
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
