"""Reading DMN: the versions Camunda Modeler writes, and the refusal of what Camunda 8.8 refuses or the embedded
engine cannot evaluate – every problem of a file at once, each naming the file, the element, its DMN type, its line
and the reason."""

import time

import pytest

from engine.dmn import InvalidDmnError
from engine.errors import InvalidArgumentError
from tests.engine.dmn.decisions import output, parse
from tests.engine.dmn.dmn_builder import In, Literal, Out, Table, dmn


def table(*parts: str, hit_policy: str = "", requires: str = "") -> str:
    """One decision 'd' with a decision table made of `parts`, on one line (line 3 of the document)."""
    body = "".join(parts)
    return f'<decision id="d" name="D">{requires}<decisionTable id="t"{hit_policy}>{body}</decisionTable></decision>'


def inp(expression: str = "x", clause_id: str = "i") -> str:
    expression_el = f'<inputExpression id="{clause_id}e"><text>{expression}</text></inputExpression>'
    return f'<input id="{clause_id}" label="X">{expression_el}</input>'


def out(name: str | None = "r", clause_id: str = "o") -> str:
    named = f' name="{name}"' if name is not None else ""
    return f'<output id="{clause_id}" label="R"{named} />'


def rule(*entries: tuple[str, str], rule_id: str = "r1") -> str:
    """(kind, text) entries: kind is "in" or "out"."""
    cells = "".join(
        f'<{"inputEntry" if kind == "in" else "outputEntry"} id="{rule_id}{n}"><text>{text}</text>'
        f"</{'inputEntry' if kind == 'in' else 'outputEntry'}>"
        for n, (kind, text) in enumerate(entries)
    )
    return f'<rule id="{rule_id}">{cells}</rule>'


# (case, document, element id, DMN type, line, reason)
REFUSALS = [
    (
        "empty output entry (Zeebe cannot parse it either)",
        dmn(table(inp(), out(), rule(("in", '"a"'), ("out", "")))),
        "r11",
        "outputEntry",
        3,
        "an output entry must not be empty (write null for a rule that gives no value)",
    ),
    (
        "output entry that is no FEEL",
        dmn(table(inp(), out(), rule(("in", '"a"'), ("out", "1 +")))),
        "r11",
        "outputEntry",
        3,
        "the output entry is not a valid FEEL expression: failed to evaluate expression '1 +': syntax error",
    ),
    (
        "input entry that is no unary test",
        dmn(table(inp(), out(), rule(("in", "[1.."), ("out", "1")))),
        "r10",
        "inputEntry",
        3,
        "the input entry is not a valid FEEL unary test: failed to evaluate expression '[1..': syntax error",
    ),
    (
        "empty input expression",
        dmn(table(inp(""), out(), rule(("in", "1"), ("out", "1")))),
        "ie",
        "inputExpression",
        3,
        "the input expression must not be empty",
    ),
    (
        "unknown hit policy",
        dmn(table(inp(), out(), rule(("in", "1"), ("out", "1")), hit_policy=' hitPolicy="LAST"')),
        "t",
        "decisionTable",
        3,
        "the hit policy 'LAST' is not one of UNIQUE, FIRST, PRIORITY, ANY, COLLECT, RULE ORDER, OUTPUT ORDER",
    ),
    (
        "aggregation without COLLECT",
        dmn(table(inp(), out(), rule(("in", "1"), ("out", "1")), hit_policy=' hitPolicy="FIRST" aggregation="SUM"')),
        "t",
        "decisionTable",
        3,
        "an aggregation is only allowed with the hit policy COLLECT, not FIRST",
    ),
    (
        "COLLECT SUM with two outputs",
        dmn(
            table(
                inp(),
                out("a", "o1"),
                out("b", "o2"),
                rule(("in", "1"), ("out", "1"), ("out", "2")),
                hit_policy=' hitPolicy="COLLECT" aggregation="SUM"',
            )
        ),
        "t",
        "decisionTable",
        3,
        "the hit policy COLLECT with an aggregator is not defined for several outputs",
    ),
    (
        "an output without a name among several",
        dmn(table(inp(), out("a", "o1"), out(None, "o2"), rule(("in", "1"), ("out", "1"), ("out", "2")))),
        "o2",
        "output",
        3,
        "an output of a table with several outputs needs a name",
    ),
    (
        "two outputs with one name",
        dmn(table(inp(), out("a", "o1"), out("a", "o2"), rule(("in", "1"), ("out", "1"), ("out", "2")))),
        "o2",
        "output",
        3,
        "another output of the table is named 'a'",
    ),
    (
        "a rule with an entry missing",
        dmn(table(inp("x", "i1"), inp("y", "i2"), out(), rule(("in", "1"), ("out", "1")))),
        "r1",
        "rule",
        3,
        "a rule needs one input entry per input and one output entry per output (2 and 1), not 1 and 1",
    ),
    (
        "a required decision that is not in the file",
        dmn(
            table(
                inp(),
                out(),
                rule(("in", "1"), ("out", "1")),
                requires='<informationRequirement id="ir"><requiredDecision href="#elsewhere" />'
                "</informationRequirement>",
            )
        ),
        "d",
        "decision",
        3,
        "it requires the decision 'elsewhere', which is not a decision of this file",
    ),
    (
        "decisions requiring each other",
        dmn(
            Literal("a", "A", "a", "b", requires=("b",)),
            Literal("b", "B", "b", "c", requires=("c",)),
            Literal("c", "C", "c", "a", requires=("a",)),
        ),
        "a",
        "decision",
        3,
        "cyclic dependencies between decisions: a → b → c → a",
    ),
    (
        "a business knowledge model",
        dmn(
            '<decision id="d" name="D"><knowledgeRequirement id="k"><requiredKnowledge href="#bkm" />'
            '</knowledgeRequirement><literalExpression id="l"><text>bkm(1)</text></literalExpression></decision>',
            '<businessKnowledgeModel id="bkm" name="bkm" />',
        ),
        "k",
        "knowledgeRequirement",
        3,
        "business knowledge models are not supported by the embedded engine (Camunda 8.8 evaluates them)",
    ),
    (
        "a boxed context",
        dmn(
            '<decision id="d" name="D"><context id="c"><contextEntry><variable name="a" />'
            "<literalExpression><text>1</text></literalExpression></contextEntry></context></decision>"
        ),
        "c",
        "context",
        3,
        "boxed contexts are not supported by the embedded engine (Camunda 8.8 evaluates them)",
    ),
    (
        "a decision without logic",
        dmn('<decision id="d" name="D"><variable name="d" /></decision>'),
        "d",
        "decision",
        3,
        "a decision needs exactly one decision table or literal expression",
    ),
    (
        "another expression language",
        dmn(
            '<decision id="d" name="D"><literalExpression id="l" expressionLanguage="javascript">'
            "<text>1 + 1</text></literalExpression></decision>"
        ),
        "l",
        "literalExpression",
        3,
        "the expression language 'javascript' is not supported: expressions are FEEL",
    ),
    (
        "an input entry in another expression language",
        dmn(
            table(
                inp(),
                out(),
                '<rule id="r1"><inputEntry id="r10" expressionLanguage="juel"><text>${x > 1}</text></inputEntry>'
                '<outputEntry id="r11"><text>1</text></outputEntry></rule>',
            )
        ),
        "r10",
        "inputEntry",
        3,
        "the expression language 'juel' is not supported: expressions are FEEL",
    ),
    (
        "an id used twice",
        dmn(
            '<decision id="d" name="D"><literalExpression id="l1"><text>1</text></literalExpression></decision>',
            '<decision id="d" name="D"><literalExpression id="l2"><text>2</text></literalExpression></decision>',
        ),
        "d",
        "decision",
        4,
        "the id is used by another element of the file (line 3)",
    ),
    (
        "definitions without an id",
        b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" name="x">'
        b'<decision id="d"><literalExpression id="l"><text>1</text></literalExpression></decision></definitions>',
        "?",
        "definitions",
        1,
        "the definitions must have an id (it becomes the decision requirements id)",
    ),
    (
        "no decision",
        dmn('<inputData id="in" name="In" />'),
        "Definitions_1",
        "definitions",
        2,
        "the file contains no decision",
    ),
]


@pytest.mark.parametrize(
    ("content", "element_id", "element_type", "line", "reason"), [pytest.param(*c[1:], id=c[0]) for c in REFUSALS]
)
def test_invalid_dmn_is_refused_naming_file_element_line_and_reason(
    content: bytes, element_id: str, element_type: str, line: int, reason: str
) -> None:
    with pytest.raises(InvalidDmnError) as refused:
        parse(content, "pricing.dmn")

    message = str(refused.value)
    assert message.startswith(
        "Expected to deploy new resources, but encountered the following errors:\n'pricing.dmn':\n"
    )
    assert f"- Element '{element_id}' (dmn:{element_type}) (line {line}): {reason}" in message
    assert len(refused.value.problems) == 1, message  # one cause, one problem
    assert isinstance(refused.value, InvalidArgumentError)  # the gateway answers INVALID_ARGUMENT


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    content = dmn(
        table(inp(), out(), rule(("in", "[1.."), ("out", "")), rule(("in", "1"), ("out", "1 +"), rule_id="r2")),
        Literal("e", "E", "e", "1", requires=("nowhere",)),
    )

    with pytest.raises(InvalidDmnError) as refused:
        parse(content)

    assert [(p.element_id, p.element_type, p.line) for p in refused.value.problems] == [
        ("r11", "dmn:outputEntry", 3),
        ("r21", "dmn:outputEntry", 3),
        ("r10", "dmn:inputEntry", 3),
        ("e", "dmn:decision", 4),
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<definitions", "the XML is not well-formed"),
        (
            b'<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" />',
            "not a DMN 1.1–1.5 document",
        ),
        (b'<definitions xmlns="http://camunda.org/schema/1.0/dmn" id="x" />', "not a DMN 1.1–1.5 document"),
    ],
)
def test_what_is_no_dmn_is_refused(content: bytes, reason: str) -> None:
    with pytest.raises(InvalidDmnError) as refused:
        parse(content, "notes.dmn")

    assert f"'notes.dmn': {reason}" in str(refused.value)


@pytest.mark.parametrize(
    "namespace",
    [
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "https://www.omg.org/spec/DMN/20211108/MODEL/",
        "https://www.omg.org/spec/DMN/20230324/MODEL/",
    ],
)
def test_dmn_1_1_to_1_5_are_read(namespace: str) -> None:
    """The greeting decision of the DMN versions Camunda 8.8 reads, older Camunda Modelers' and the TCK's."""
    content = (
        f'<definitions xmlns="{namespace}" xmlns:feel="https://www.omg.org/spec/DMN/20191111/FEEL/" '
        'id="greetings" name="Greetings" namespace="https://github.com/agilepro/dmn-tck">'
        '<decision name="GreetingMessage" id="greeting"><variable name="GreetingMessage" typeRef="feel:string"/>'
        '<literalExpression expressionLanguage="https://www.omg.org/spec/DMN/20191111/FEEL/">'
        '<text>"Hello " + name</text></literalExpression></decision></definitions>'
    ).encode()

    assert output(content, "greeting", name="Budi") == "Hello Budi"


def test_an_entity_expansion_bomb_is_not_expanded() -> None:
    """Entities are not expanded: libxml2 refuses the amplification (or, an older one, leaves the reference
    unresolved and the decision without logic) – either way a refusal, in no time."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8))
        + ']><definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="x">'
        '<decision id="d"><literalExpression id="l"><text>&i;</text></literalExpression></decision></definitions>'
    ).encode()

    started = time.perf_counter()
    with pytest.raises(InvalidDmnError) as refused:
        parse(bomb)

    assert time.perf_counter() - started < 5  # a guard against expansion, not a speed figure
    message = str(refused.value)
    assert "Maximum entity amplification" in message or "the literal expression must not be empty" in message


def test_a_table_without_inputs_matches_every_rule() -> None:
    constant = dmn(Table("rates", "Rates", [], [Out("Rate", "rate", "number")], [["0.11"]]))

    assert output(constant, "rates") == 0.11


def test_input_values_and_descriptions_are_read_and_ignored() -> None:
    """What Camunda Modeler adds beside the logic (allowed input values, rule descriptions, the diagram) is kept
    out of the way."""
    annotated = dmn(
        Table(
            "size",
            "Size",
            [In("Weight", "weight", "number", values="[0..1000]")],
            [Out("Size", "size")],
            [["< 10", '"small"']],
        )
    )

    assert output(annotated, "size", weight=5) == "small"
