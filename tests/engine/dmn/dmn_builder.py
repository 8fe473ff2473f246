"""Builds DMN documents as Camunda Modeler (5.x, DMN 1.3) writes them, so each test shows the decisions it evaluates:
a definitions element with the modeler's namespaces, decisions with their requirements, decision tables with
labelled inputs and named outputs, rules with ids, and literal expressions with their variable."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


@dataclass(frozen=True)
class In:
    """An input column: its label and its input expression (FEEL)."""

    label: str
    expression: str
    type_ref: str = "string"
    values: str | None = None  # the allowed values (inputValues), as the modeler writes them


@dataclass(frozen=True)
class Out:
    """An output column: its label, name and type; `values` orders PRIORITY and OUTPUT ORDER."""

    label: str
    name: str
    type_ref: str = "string"
    values: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class Table:
    """A decision whose logic is a decision table. Rules are rows: the input entries, then the output entries."""

    id: str
    name: str
    inputs: Sequence[In]
    outputs: Sequence[Out]
    rules: Sequence[Sequence[str]]
    hit_policy: str | None = None
    aggregation: str | None = None
    requires: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Literal:
    """A decision whose logic is a literal expression; its result is known as `variable`."""

    id: str
    name: str
    variable: str
    expression: str
    type_ref: str | None = None
    requires: Sequence[str] = field(default_factory=tuple)


def _text(tag: str, element_id: str, text: str) -> str:
    return f'<{tag} id="{element_id}"><text>{escape(text)}</text></{tag}>'


def _requirements(decision_id: str, requires: Sequence[str]) -> str:
    return "".join(
        f'<informationRequirement id="InformationRequirement_{decision_id}_{n}">'
        f'<requiredDecision href="#{required}" /></informationRequirement>'
        for n, required in enumerate(requires)
    )


def _table(t: Table) -> str:
    attrs = ""
    if t.hit_policy:
        attrs += f" hitPolicy={quoteattr(t.hit_policy)}"
    if t.aggregation:
        attrs += f" aggregation={quoteattr(t.aggregation)}"
    inputs = ""
    for n, i in enumerate(t.inputs):
        allowed = _text("inputValues", f"UnaryTests_{t.id}_in{n}", i.values) if i.values is not None else ""
        inputs += (
            f'<input id="Input_{t.id}_{n}" label={quoteattr(i.label)}>'
            f'<inputExpression id="InputExpression_{t.id}_{n}" typeRef="{i.type_ref}">'
            f"<text>{escape(i.expression)}</text></inputExpression>{allowed}</input>"
        )
    outputs = ""
    for n, o in enumerate(t.outputs):
        allowed = _text("outputValues", f"UnaryTests_{t.id}_out{n}", o.values) if o.values is not None else ""
        default = _text("defaultOutputEntry", f"Default_{t.id}_{n}", o.default) if o.default is not None else ""
        outputs += (
            f'<output id="Output_{t.id}_{n}" label={quoteattr(o.label)} name={quoteattr(o.name)} '
            f'typeRef="{o.type_ref}">{allowed}{default}</output>'
        )
    rules = ""
    for r, row in enumerate(t.rules):
        cells = "".join(
            _text("inputEntry" if c < len(t.inputs) else "outputEntry", f"Entry_{t.id}_{r}_{c}", text)
            for c, text in enumerate(row)
        )
        rules += f'<rule id="DecisionRule_{t.id}_{r}">{cells}</rule>'
    return (
        f'<decision id="{t.id}" name={quoteattr(t.name)}>{_requirements(t.id, t.requires)}'
        f'<decisionTable id="DecisionTable_{t.id}"{attrs}>{inputs}{outputs}{rules}</decisionTable></decision>'
    )


def _literal(d: Literal) -> str:
    type_ref = f' typeRef="{d.type_ref}"' if d.type_ref else ""
    return (
        f'<decision id="{d.id}" name={quoteattr(d.name)}>'
        f'<variable id="InformationItem_{d.id}" name={quoteattr(d.variable)}{type_ref} />'
        f"{_requirements(d.id, d.requires)}"
        f'<literalExpression id="LiteralExpression_{d.id}"><text>{escape(d.expression)}</text></literalExpression>'
        "</decision>"
    )


def dmn(*decisions: Table | Literal | str, drg_id: str = "Definitions_1", name: str = "DRD") -> bytes:
    """A DMN 1.3 document with these decisions (a string is put in as it is), one element per line."""
    body = "\n".join(d if isinstance(d, str) else _table(d) if isinstance(d, Table) else _literal(d) for d in decisions)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<definitions xmlns="{DMN13}" xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
        f'id="{drg_id}" name={quoteattr(name)} namespace="http://camunda.org/schema/1.0/dmn" '
        'exporter="Camunda Modeler" exporterVersion="5.37.0" modeler:executionPlatform="Camunda Cloud" '
        'modeler:executionPlatformVersion="8.8.0">\n'
        f"{body}\n</definitions>\n"
    ).encode()
