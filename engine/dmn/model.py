"""Parse-time specs of a DMN resource: a decision requirements graph (DRG) and its decisions, as the file says.

What Camunda 8.8 evaluates (dmn-scala) and the embedded engine too: decisions whose logic is a decision table or a
literal expression, and the decisions they require. Versions and keys belong to a deployment, not to the file.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class HitPolicy(StrEnum):
    """How a decision table turns its matched rules into its result (the `hitPolicy` attribute, UNIQUE if absent)."""

    UNIQUE = "UNIQUE"
    FIRST = "FIRST"
    PRIORITY = "PRIORITY"
    ANY = "ANY"
    COLLECT = "COLLECT"
    RULE_ORDER = "RULE ORDER"
    OUTPUT_ORDER = "OUTPUT ORDER"


class Aggregation(StrEnum):
    """The aggregator of a COLLECT table (the `aggregation` attribute)."""

    SUM = "SUM"
    MIN = "MIN"
    MAX = "MAX"
    COUNT = "COUNT"


class DecisionType(StrEnum):
    """The kind of a decision's logic, as Zeebe names it in an evaluated decision (`decisionType`)."""

    DECISION_TABLE = "DECISION_TABLE"
    LITERAL_EXPRESSION = "LITERAL_EXPRESSION"


# how Zeebe names an input without a label in an evaluated decision: its expression, cut to this length
INPUT_NAME_LENGTH = 30


@dataclass(frozen=True)
class InputClause:
    """An input column: the FEEL expression whose value the rules' unary tests are run against."""

    id: str
    label: str | None
    expression: str
    type_ref: str | None

    @property
    def name(self) -> str:
        """The name Zeebe gives it in an evaluated decision: the label, else the expression (cut short)."""
        return self.label if self.label is not None else self.expression[:INPUT_NAME_LENGTH]


@dataclass(frozen=True)
class OutputClause:
    """An output column; `name` keys it in the result of a table with several outputs."""

    id: str
    label: str | None
    name: str | None
    type_ref: str | None
    # the text of its output values (e.g. `"high","medium","low"`): the order PRIORITY and OUTPUT ORDER follow
    output_values: str | None
    # a FEEL expression giving its value when no rule matches (defaultOutputEntry)
    default: str | None

    @property
    def display_name(self) -> str | None:
        """The name Zeebe gives it in an evaluated decision: the label, else the name (as Camunda Modeler shows it)."""
        return self.label if self.label is not None else self.name


@dataclass(frozen=True)
class Rule:
    """A row: one unary test per input (empty: matches anything) and one FEEL expression per output."""

    id: str
    index: int  # 1-based, as Zeebe reports a matched rule's ruleIndex
    input_entries: tuple[str, ...]
    output_entries: tuple[str, ...]


@dataclass(frozen=True)
class DecisionTable:
    id: str
    hit_policy: HitPolicy
    aggregation: Aggregation | None
    inputs: tuple[InputClause, ...]
    outputs: tuple[OutputClause, ...]
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class LiteralExpression:
    id: str
    text: str


@dataclass(frozen=True)
class Decision:
    id: str
    name: str | None
    logic: DecisionTable | LiteralExpression
    required_decisions: tuple[str, ...]  # ids, in the order the file lists them
    # the variable its result is known by to the decisions that require it: its variable's name, else its id
    result_name: str
    # the type its result must have (its variable's typeRef, e.g. "string" or "feel:number"), if any
    result_type: str | None
    line: int | None
    version_tag: str | None = None  # zeebe:versionTag in its extensionElements (a business rule task's binding)

    @property
    def decision_type(self) -> DecisionType:
        if isinstance(self.logic, DecisionTable):
            return DecisionType.DECISION_TABLE
        return DecisionType.LITERAL_EXPRESSION


@dataclass(frozen=True)
class DecisionRequirementsGraph:
    """One DMN file: its `definitions` (id, name, namespace) and its decisions in the order the file lists them."""

    id: str
    name: str | None
    namespace: str | None
    resource_name: str
    decisions: Mapping[str, Decision]
