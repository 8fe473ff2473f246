"""DMN XML → DecisionRequirementsGraph, refusing what Camunda 8.8 would refuse and what the embedded engine cannot
evaluate, with every problem named by file, element, DMN type, line and reason.

It reads DMN 1.1 to 1.5 (Camunda Modeler writes 1.3). The rules follow Camunda 8.8's DMN engine (dmn-scala) and the
DMN schema: a decision has a decision table or a literal expression; a table's rules have one entry per column;
with several outputs every output has a distinct name; COLLECT with an aggregator has one output; no empty
expression (an empty output cell is refused by Zeebe too – write `null`); FEEL as the only expression language; a
required decision exists in the file and no decision requires itself through others. Business knowledge models and
the other boxed expressions (contexts, lists, relations, invocations) are refused: Camunda 8.8 evaluates them, the
embedded engine does not yet.
"""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from lxml import etree

from engine.dmn.errors import InvalidDmnError
from engine.dmn.model import (
    Aggregation,
    Decision,
    DecisionRequirementsGraph,
    DecisionTable,
    HitPolicy,
    InputClause,
    LiteralExpression,
    OutputClause,
    Rule,
)
from engine.resource_problems import ResourceProblem
from engine.resource_problems import local_name as _local
from engine.resource_problems import source_line as _line

# the namespaces of DMN 1.1, 1.2, 1.3, 1.4 and 1.5
DMN_NAMESPACES = frozenset(
    {
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "https://www.omg.org/spec/DMN/20211108/MODEL/",
        "https://www.omg.org/spec/DMN/20230324/MODEL/",
    }
)
# what an expressionLanguage attribute may say for FEEL (compared without case and trailing slash)
_FEEL_LANGUAGES = frozenset(
    {
        "feel",
        "http://www.omg.org/spec/feel/20140401",
        "http://www.omg.org/spec/dmn/20180521/feel",
        "https://www.omg.org/spec/dmn/20191111/feel",
        "https://www.omg.org/spec/dmn/20211108/feel",
        "https://www.omg.org/spec/dmn/20230324/feel",
    }
)
# decision logic Camunda 8.8 evaluates and the embedded engine does not (yet)
_ZEEBE = "http://camunda.org/schema/zeebe/1.0"
_UNSUPPORTED_LOGIC = {
    "context": "boxed contexts",
    "relation": "relations",
    "list": "boxed lists",
    "invocation": "invocations of business knowledge models",
    "functionDefinition": "function definitions",
}
_UNSUPPORTED_BY_THE_ENGINE = "are not supported by the embedded engine (Camunda 8.8 evaluates them)"

# Checks a FEEL expression; returns why it does not parse, or None.
ExpressionCheck = Callable[[str], str | None]
# Checks FEEL unary tests, several at once; returns for each why it does not parse, or None.
UnaryTestsCheck = Callable[[Sequence[str]], Sequence[str | None]]


class DmnParser:
    """Parses one DMN resource into its decision requirements graph, or refuses it with every problem found."""

    def __init__(self, check_expression: ExpressionCheck, check_unary_tests: UnaryTestsCheck) -> None:
        self._check_expression = check_expression
        self._check_unary_tests = check_unary_tests

    def parse(self, resource_name: str, content: bytes) -> DecisionRequirementsGraph:
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            root = etree.fromstring(content, parser)
        except etree.XMLSyntaxError as exc:
            raise InvalidDmnError(resource_name, f"the XML is not well-formed: {exc}") from None
        namespace = etree.QName(root.tag).namespace if isinstance(root.tag, str) else None
        if namespace not in DMN_NAMESPACES or _local(root.tag) != "definitions":
            raise InvalidDmnError(
                resource_name, "not a DMN 1.1–1.5 document (the root element must be dmn:definitions)"
            )
        run = _ParseRun(root, namespace, self._check_expression, self._check_unary_tests)
        graph = run.parse(resource_name)
        if run.problems:
            raise InvalidDmnError(resource_name, run.problems)
        assert graph is not None
        return graph


class _ParseRun:
    def __init__(
        self,
        root: etree._Element,
        namespace: str,
        check_expression: ExpressionCheck,
        check_unary_tests: UnaryTestsCheck,
    ) -> None:
        self.root = root
        self.ns = namespace
        self.check_expression = check_expression
        self.check_unary_tests = check_unary_tests
        self.problems: list[ResourceProblem] = []

    # ---------------------------------------------------------------- helpers
    def problem(self, el: etree._Element, reason: str) -> None:
        self.problems.append(ResourceProblem.at(el, "dmn", reason))

    def children(self, el: etree._Element, name: str) -> list[etree._Element]:
        return list(el.iterchildren(f"{{{self.ns}}}{name}"))

    def child(self, el: etree._Element, name: str) -> etree._Element | None:
        return el.find(f"{{{self.ns}}}{name}")

    def text(self, el: etree._Element) -> str | None:
        """The text of an expression element (its <text> child), None if it has none; whitespace around trimmed."""
        text_el = self.child(el, "text")
        if text_el is None:
            return None
        return "".join(str(part) for part in text_el.itertext()).strip()

    def feel_language(self, el: etree._Element) -> bool:
        language = el.get("expressionLanguage")
        if language is None or language.strip().lower().rstrip("/") in _FEEL_LANGUAGES:
            return True
        self.problem(el, f"the expression language '{language}' is not supported: expressions are FEEL")
        return False

    def expression(self, el: etree._Element | None, owner: etree._Element, what: str) -> str:
        """A FEEL expression element's text, checked: present, not empty, FEEL, parseable."""
        if el is None:
            self.problem(owner, f"{what} is missing")
            return ""
        text = self.text(el)
        if not text:
            self.problem(el if el.get("id") else owner, f"{what} must not be empty")
            return ""
        if self.feel_language(el):
            error = self.check_expression(text)
            if error:
                self.problem(el if el.get("id") else owner, f"{what} is not a valid FEEL expression: {error}")
        return text

    def unique_ids(self) -> None:
        seen: dict[str, etree._Element] = {}
        for el in self.root.iter():
            element_id = el.get("id") if isinstance(el.tag, str) else None
            if element_id is None:
                continue
            if element_id in seen:
                self.problem(el, f"the id is used by another element of the file (line {_line(seen[element_id])})")
            else:
                seen[element_id] = el

    # ---------------------------------------------------------------- the document
    def parse(self, resource_name: str) -> DecisionRequirementsGraph | None:
        graph_id = (self.root.get("id") or "").strip()
        if not graph_id:
            self.problem(self.root, "the definitions must have an id (it becomes the decision requirements id)")
        self.unique_ids()
        elements = self.children(self.root, "decision")
        if not elements:
            self.problem(self.root, "the file contains no decision")
        decisions: dict[str, Decision] = {}
        for el in elements:
            decision = self.decision(el)
            if decision is not None and decision.id not in decisions:
                decisions[decision.id] = decision
        self.check_requirements(elements, decisions)
        if self.problems:
            return None
        return DecisionRequirementsGraph(
            id=graph_id,
            name=self.root.get("name"),
            namespace=self.root.get("namespace"),
            resource_name=resource_name,
            decisions=decisions,
        )

    def check_requirements(self, elements: list[etree._Element], decisions: dict[str, Decision]) -> None:
        """Every required decision is a decision of this file, and no decision requires itself through others."""
        by_id = {el.get("id"): el for el in elements}
        for el in elements:
            decision = decisions.get(el.get("id") or "")
            for required in decision.required_decisions if decision is not None else ():
                if required not in by_id:
                    self.problem(el, f"it requires the decision '{required}', which is not a decision of this file")
        for cycle in _cycles(decisions):
            self.problem(by_id[cycle[0]], "cyclic dependencies between decisions: " + " → ".join([*cycle, cycle[0]]))

    # ---------------------------------------------------------------- decisions
    def decision(self, el: etree._Element) -> Decision | None:
        decision_id = (el.get("id") or "").strip()
        if not decision_id:
            self.problem(el, "a decision must have an id")
            return None
        required: list[str] = []
        for requirement in self.children(el, "informationRequirement"):
            required_decision = self.child(requirement, "requiredDecision")
            if required_decision is None:
                continue  # a requiredInput: documents a variable the decision reads
            href = required_decision.get("href") or ""
            if not href.startswith("#") or len(href) < 2:
                self.problem(
                    requirement, f"requiredDecision href '{href}' must refer to a decision of this file ('#<id>')"
                )
                continue
            required.append(href[1:])
        for knowledge in self.children(el, "knowledgeRequirement"):
            self.problem(knowledge, f"business knowledge models {_UNSUPPORTED_BY_THE_ENGINE}")
        variable = self.child(el, "variable")
        logic = self.logic(el)
        if logic is None:
            return None
        result_name = variable.get("name") if variable is not None and variable.get("name") else decision_id
        return Decision(
            id=decision_id,
            name=el.get("name"),
            logic=logic,
            required_decisions=tuple(required),
            result_name=result_name or decision_id,
            result_type=(variable.get("typeRef") or None) if variable is not None else None,
            line=_line(el),
            version_tag=_version_tag(el),
        )

    def logic(self, el: etree._Element) -> DecisionTable | LiteralExpression | None:
        found = [c for c in el if isinstance(c.tag, str) and _local(c.tag) in {"decisionTable", "literalExpression"}]
        unsupported = [c for c in el if isinstance(c.tag, str) and _local(c.tag) in _UNSUPPORTED_LOGIC]
        for c in unsupported:
            self.problem(c, f"{_UNSUPPORTED_LOGIC[_local(c.tag)]} {_UNSUPPORTED_BY_THE_ENGINE}")
        if unsupported:
            return None
        if len(found) != 1:
            self.problem(el, "a decision needs exactly one decision table or literal expression")
            return None
        if _local(found[0].tag) == "literalExpression":
            return self.literal_expression(found[0], el)
        return self.decision_table(found[0])

    def literal_expression(self, el: etree._Element, decision: etree._Element) -> LiteralExpression | None:
        text = self.expression(el, decision, "the literal expression")
        return LiteralExpression(el.get("id") or "", text) if text else None

    # ---------------------------------------------------------------- decision tables
    def decision_table(self, el: etree._Element) -> DecisionTable | None:
        problems_before = len(self.problems)
        table_id = el.get("id") or ""
        try:
            hit_policy = HitPolicy(el.get("hitPolicy") or "UNIQUE")
        except ValueError:
            self.problem(el, f"the hit policy '{el.get('hitPolicy')}' is not one of {', '.join(HitPolicy)}")
            hit_policy = HitPolicy.UNIQUE
        aggregation: Aggregation | None = None
        if el.get("aggregation") is not None:
            try:
                aggregation = Aggregation(el.get("aggregation") or "")
            except ValueError:
                self.problem(el, f"the aggregation '{el.get('aggregation')}' is not one of {', '.join(Aggregation)}")
            if hit_policy is not HitPolicy.COLLECT:
                self.problem(el, f"an aggregation is only allowed with the hit policy COLLECT, not {hit_policy}")
        inputs = tuple(self.input_clause(i) for i in self.children(el, "input"))
        outputs = tuple(self.output_clause(o) for o in self.children(el, "output"))
        self.check_outputs(el, outputs, aggregation)
        rules = tuple(
            self.rule(r, index, len(inputs), len(outputs)) for index, r in enumerate(self.children(el, "rule"), start=1)
        )
        self.check_input_entries(el, inputs, rules)
        if len(self.problems) > problems_before:
            return None
        return DecisionTable(table_id, hit_policy, aggregation, inputs, outputs, rules)

    def input_clause(self, el: etree._Element) -> InputClause:
        expression_el = self.child(el, "inputExpression")
        expression = self.expression(expression_el, el, "the input expression")
        return InputClause(
            id=el.get("id") or "",
            label=el.get("label"),
            expression=expression,
            type_ref=expression_el.get("typeRef") if expression_el is not None else None,
        )

    def output_clause(self, el: etree._Element) -> OutputClause:
        values_el = self.child(el, "outputValues")
        default_el = self.child(el, "defaultOutputEntry")
        default = self.expression(default_el, el, "the default output entry") if default_el is not None else None
        return OutputClause(
            id=el.get("id") or "",
            label=el.get("label"),
            name=el.get("name") or None,
            type_ref=el.get("typeRef"),
            output_values=self.text(values_el) if values_el is not None else None,
            default=default or None,
        )

    def check_outputs(self, table: etree._Element, outputs: tuple[OutputClause, ...], aggregation: Any) -> None:
        output_els = self.children(table, "output")
        if not outputs:
            self.problem(table, "a decision table needs at least one output")
        if len(outputs) > 1:
            if aggregation is not None:
                self.problem(table, "the hit policy COLLECT with an aggregator is not defined for several outputs")
            names: set[str] = set()
            for output, el in zip(outputs, output_els, strict=True):
                if output.name is None:
                    self.problem(el, "an output of a table with several outputs needs a name")
                elif output.name in names:
                    self.problem(el, f"another output of the table is named '{output.name}'")
                else:
                    names.add(output.name)

    def rule(self, el: etree._Element, index: int, inputs: int, outputs: int) -> Rule:
        input_els = self.children(el, "inputEntry")
        output_els = self.children(el, "outputEntry")
        if len(input_els) != inputs or len(output_els) != outputs:
            self.problem(
                el,
                f"a rule needs one input entry per input and one output entry per output ({inputs} and {outputs}), "
                f"not {len(input_els)} and {len(output_els)}",
            )
        # an entry in another expression language is reported once, and then counts as matching anything
        input_entries = [(self.text(entry) or "") if self.feel_language(entry) else "" for entry in input_els]
        output_entries = [self.output_entry(entry) for entry in output_els]
        return Rule(el.get("id") or f"rule {index}", index, tuple(input_entries), tuple(output_entries))

    def output_entry(self, el: etree._Element) -> str:
        text = self.text(el)
        if not text:
            # Zeebe refuses it too ("FEEL expression: failed to parse expression ''")
            self.problem(el, "an output entry must not be empty (write null for a rule that gives no value)")
            return ""
        if self.feel_language(el):
            error = self.check_expression(text)
            if error:
                self.problem(el, f"the output entry is not a valid FEEL expression: {error}")
        return text

    def check_input_entries(
        self, table: etree._Element, inputs: tuple[InputClause, ...], rules: tuple[Rule, ...]
    ) -> None:
        """The unary tests of each input column, checked in one go per column."""
        rule_els = self.children(table, "rule")
        for column in range(len(inputs)):
            cells: list[tuple[etree._Element, str]] = []
            for rule, rule_el in zip(rules, rule_els, strict=True):
                entry_els = self.children(rule_el, "inputEntry")
                if column < len(rule.input_entries) and column < len(entry_els):
                    text = rule.input_entries[column]
                    if _needs_feel(text):
                        cells.append((entry_els[column], text))
            if not cells:
                continue
            errors = self.check_unary_tests([text for _, text in cells])
            for (entry_el, _), error in zip(cells, errors, strict=True):
                if error:
                    self.problem(entry_el, f"the input entry is not a valid FEEL unary test: {error}")


def _needs_feel(test: str) -> bool:
    """An input entry that matches anything (empty or "-") needs no FEEL."""
    return test not in ("", "-")


def _cycles(decisions: dict[str, Decision]) -> list[list[str]]:
    """The requirement cycles among `decisions` (each as decision ids in order), found by one depth-first walk
    without recursion: linear in the decisions and requirements, whatever the file."""
    state: dict[str, int] = {}  # absent: not seen; 1: on the current path; 2: done
    found: list[list[str]] = []
    for root, decision in decisions.items():
        if root in state:
            continue
        path: list[str] = [root]
        iterators: list[Iterator[str]] = [iter(decision.required_decisions)]
        state[root] = 1
        while iterators:
            following = next(iterators[-1], None)
            if following is None:
                state[path.pop()] = 2
                iterators.pop()
            elif following not in decisions or state.get(following) == 2:
                continue
            elif state.get(following) == 1:
                found.append(path[path.index(following) :])
            else:
                state[following] = 1
                path.append(following)
                iterators.append(iter(decisions[following].required_decisions))
    return found


def _version_tag(el: etree._Element) -> str | None:
    """The decision's `<extensionElements><zeebe:versionTag value="…"/>`, as Zeebe's DmnResourceTransformer reads it."""
    for extensions in el:
        if isinstance(extensions.tag, str) and _local(extensions.tag) == "extensionElements":
            for child in extensions:
                if isinstance(child.tag, str) and child.tag == f"{{{_ZEEBE}}}versionTag":
                    return (child.get("value") or "").strip() or None
    return None
