"""Evaluates a decision of a decision requirements graph, with the decisions it requires, as Camunda 8.8 does.

The semantics are dmn-scala's (Zeebe's DMN engine):

- The decisions a decision requires are evaluated first, depth first in the order the file lists them; each
  decision sees the variables it was given plus the results of the decisions it requires directly, each under
  its result name (its variable's name, else its id) – a result overrides a variable of the same name.
- A literal expression is one FEEL expression. A decision table evaluates all input expressions, then finds the
  rules whose every input entry holds (a unary test against the input's value; an empty entry or "-" holds
  always; null counts as no match), evaluates the output entries of the matched rules (FIRST: of the first only)
  and applies its hit policy (hit_policies.py). No match: the outputs' default values, else null.
- A decision whose variable has a typeRef must give a value of that type (or null).
- The first failure ends the evaluation: the result says which decision failed and why, and lists what was
  evaluated until then.

One deliberate difference: a decision required along several paths (A requires B and C, both require D) is
evaluated once and listed once; dmn-scala evaluates and lists it once per path, which a file can make grow
exponentially. The outputs are the same.

FEEL runs through the engine's evaluator: expressions with `evaluate`, each input column's unary tests in one
`unary_tests` call.
"""

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.dmn.errors import DecisionEvaluationError
from engine.dmn.hit_policies import RuleOutputs, apply_hit_policy
from engine.dmn.model import (
    Decision,
    DecisionRequirementsGraph,
    DecisionTable,
    DecisionType,
    HitPolicy,
    LiteralExpression,
    Rule,
)
from engine.dmn.result import (
    DecisionEvaluationResult,
    EvaluatedDecision,
    EvaluatedInput,
    EvaluatedOutput,
    MatchedRule,
)
from engine.feel import FeelError, FeelEvaluator

# a type a decision's result must have → what its value looks like once JSON-compatible (FEEL's temporal values
# are ISO strings here, so a string of the right form passes as that type)
_TEMPORAL_FORMS = {
    "date": re.compile(r"-?\d{4,}-\d{2}-\d{2}"),
    "time": re.compile(r"\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}|@\S+)?"),
    "dateTime": re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}|@\S+)?"),
    "dayTimeDuration": re.compile(r"-?P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"),
    "yearMonthDuration": re.compile(r"-?P(?=\d)(\d+Y)?(\d+M)?"),
}


@dataclass
class _DecisionFailedError(Exception):
    """A decision failed: what it had evaluated, and why."""

    audit: EvaluatedDecision
    reason: str


class DecisionEvaluator:
    """Evaluates decisions with the given FEEL evaluator; FEEL's now() and today() read the `now` of each call."""

    def __init__(self, feel: FeelEvaluator) -> None:
        self.feel = feel

    def evaluate(
        self, graph: DecisionRequirementsGraph, decision_id: str, variables: Mapping[str, Any], now: datetime
    ) -> DecisionEvaluationResult:
        target = graph.decisions.get(decision_id)
        if target is None:
            return DecisionEvaluationResult(
                decision_id=decision_id,
                decision_name=None,
                decision_output=None,
                evaluated_decisions=(),
                failed_decision_id=decision_id,
                failure_message=f"Expected to evaluate decision '{decision_id}', but no decision found with id "
                f"'{decision_id}'",
            )
        outputs: dict[str, Any] = {}
        evaluated: list[EvaluatedDecision] = []
        for decision in _evaluation_order(graph, decision_id):
            context = dict(variables)
            for required in decision.required_decisions:
                context[graph.decisions[required].result_name] = outputs[required]
            try:
                audit = self._evaluate_logic(decision, context, now)
                evaluated.append(audit)
                _check_type(decision, audit.decision_output)
            except _DecisionFailedError as failed:
                evaluated.append(failed.audit)
                return self._failure(target, evaluated, decision.id, failed.reason)
            except DecisionEvaluationError as failed:
                return self._failure(target, evaluated, decision.id, str(failed))
            outputs[decision.id] = audit.decision_output
        return DecisionEvaluationResult(
            decision_id=target.id,
            decision_name=target.name,
            decision_output=outputs[target.id],
            evaluated_decisions=tuple(evaluated),
        )

    @staticmethod
    def _failure(
        target: Decision, evaluated: list[EvaluatedDecision], failed_id: str, reason: str
    ) -> DecisionEvaluationResult:
        return DecisionEvaluationResult(
            decision_id=target.id,
            decision_name=target.name,
            decision_output=None,
            evaluated_decisions=tuple(evaluated),
            failed_decision_id=failed_id,
            failure_message=f"Expected to evaluate decision '{target.id}', but {reason}",
        )

    # ---------------------------------------------------------------- logic
    def _evaluate_logic(self, decision: Decision, context: dict[str, Any], now: datetime) -> EvaluatedDecision:
        if isinstance(decision.logic, LiteralExpression):
            return self._literal_expression(decision, decision.logic, context, now)
        return self._decision_table(decision, decision.logic, context, now)

    def _literal_expression(
        self, decision: Decision, logic: LiteralExpression, context: dict[str, Any], now: datetime
    ) -> EvaluatedDecision:
        audit = EvaluatedDecision(decision.id, decision.name, DecisionType.LITERAL_EXPRESSION, None)
        try:
            value = self.feel.evaluate(logic.text, context, now).value
        except FeelError as exc:
            raise _DecisionFailedError(audit, str(exc)) from None
        return EvaluatedDecision(decision.id, decision.name, DecisionType.LITERAL_EXPRESSION, value)

    def _decision_table(
        self, decision: Decision, table: DecisionTable, context: dict[str, Any], now: datetime
    ) -> EvaluatedDecision:
        def audit(
            inputs: tuple[EvaluatedInput, ...] = (), rules: tuple[MatchedRule, ...] = (), output: Any = None
        ) -> EvaluatedDecision:
            return EvaluatedDecision(decision.id, decision.name, DecisionType.DECISION_TABLE, output, inputs, rules)

        # every input expression, and the unary tests of its column against its value
        inputs: list[EvaluatedInput] = []
        columns: list[list[Any]] = []
        for column, clause in enumerate(table.inputs):
            tests = {i: rule.input_entries[column] for i, rule in enumerate(table.rules)}
            feel_tests = {i: test for i, test in tests.items() if test not in ("", "-")}
            try:
                if feel_tests:
                    result = self.feel.unary_tests(clause.expression, list(feel_tests.values()), context, now)
                    value, outcomes = result.input.value, dict(zip(feel_tests, result.outcomes, strict=True))
                else:  # nothing to test: the value alone (FEEL's fast path answers a plain variable)
                    value, outcomes = self.feel.evaluate(clause.expression, context, now).value, {}
            except FeelError as exc:
                raise _DecisionFailedError(audit(), str(exc)) from None
            inputs.append(EvaluatedInput(clause.id, clause.name, value))
            columns.append([outcomes.get(i, True) for i in range(len(table.rules))])
        evaluated_inputs = tuple(inputs)

        matched: list[Rule] = []
        for index, rule in enumerate(table.rules):
            try:
                if _holds(column[index] for column in columns):
                    matched.append(rule)
            except DecisionEvaluationError as exc:
                raise _DecisionFailedError(audit(evaluated_inputs), str(exc)) from None
        if not matched:
            output = self._default_output(table, context, now, audit(evaluated_inputs))
            return audit(evaluated_inputs, (), output)

        hits = matched[:1] if table.hit_policy is HitPolicy.FIRST else matched
        rule_outputs: list[RuleOutputs] = []
        for rule in hits:
            values: list[tuple[str | None, Any]] = []
            for output, entry in zip(table.outputs, rule.output_entries, strict=True):
                try:
                    values.append((output.name, self.feel.evaluate(entry, context, now).value))
                except FeelError as exc:
                    raise _DecisionFailedError(audit(evaluated_inputs), str(exc)) from None
            rule_outputs.append(values)
        matched_rules = tuple(
            MatchedRule(
                rule.id,
                rule.index,
                tuple(
                    EvaluatedOutput(output.id, output.display_name, value)
                    for output, (_, value) in zip(table.outputs, values, strict=True)
                ),
            )
            for rule, values in zip(hits, rule_outputs, strict=True)
        )
        try:
            output = apply_hit_policy(table, rule_outputs)
        except DecisionEvaluationError as exc:
            raise _DecisionFailedError(audit(evaluated_inputs, matched_rules), str(exc)) from None
        return audit(evaluated_inputs, matched_rules, output)

    def _default_output(
        self, table: DecisionTable, context: dict[str, Any], now: datetime, audit: EvaluatedDecision
    ) -> Any:
        """No rule matched: the outputs' default values (one output: its value; several: a context), else null."""
        defaults: dict[str | None, Any] = {}
        for clause in table.outputs:
            if clause.default is None:
                continue
            try:
                defaults[clause.name] = self.feel.evaluate(clause.default, context, now).value
            except FeelError as exc:
                raise _DecisionFailedError(audit, str(exc)) from None
        if not defaults:
            return None
        if len(defaults) == 1:
            return next(iter(defaults.values()))
        return defaults


def _holds(outcomes: Iterator[Any]) -> bool:
    """Whether a rule matches: its input entries in order, up to the first that does not hold."""
    for outcome in outcomes:
        if outcome is True:
            continue
        if outcome is False or outcome is None:
            return False
        if isinstance(outcome, FeelError):
            raise DecisionEvaluationError(str(outcome))
        raise DecisionEvaluationError(f"input entry must return true, false, or null, but found '{outcome}'")
    return True


def _evaluation_order(graph: DecisionRequirementsGraph, decision_id: str) -> list[Decision]:
    """`decision_id` and the decisions it requires, each once, every decision after those it requires (depth
    first, in the order the file lists requirements), without recursion."""
    order: list[Decision] = []
    done: set[str] = set()
    stack: list[tuple[Decision, Iterator[str]]] = []
    start = graph.decisions[decision_id]
    stack.append((start, iter(start.required_decisions)))
    entered = {decision_id}
    while stack:
        decision, requirements = stack[-1]
        following = next(requirements, None)
        if following is None:
            stack.pop()
            done.add(decision.id)
            order.append(decision)
        elif following not in done and following not in entered:
            entered.add(following)
            required = graph.decisions[following]
            stack.append((required, iter(required.required_decisions)))
    return order


def _check_type(decision: Decision, value: Any) -> None:
    """dmn-scala's TypeChecker on a decision's result: null passes, an unknown type passes."""
    if decision.result_type is None or value is None:
        return
    expected = decision.result_type.removeprefix("feel:")
    if expected == "string":
        fits = isinstance(value, str)
    elif expected == "number":
        fits = isinstance(value, int | float) and not isinstance(value, bool)
    elif expected == "boolean":
        fits = isinstance(value, bool)
    elif expected in _TEMPORAL_FORMS:
        fits = isinstance(value, str) and _TEMPORAL_FORMS[expected].fullmatch(value) is not None
    else:
        return
    if not fits:
        raise DecisionEvaluationError(f"expected '{expected}' but found '{_feel_text(value)}'")


def _feel_text(value: Any) -> str:
    """A value as dmn-scala's failure messages print it (ValString(…), ValNumber(…), …)."""
    if isinstance(value, bool):
        return f"ValBoolean({str(value).lower()})"
    if isinstance(value, int | float):
        return f"ValNumber({value})"
    if isinstance(value, str):
        return f"ValString({value})"
    if isinstance(value, list):
        return f"ValList({json.dumps(value, ensure_ascii=False)})"
    return f"ValContext({json.dumps(value, ensure_ascii=False)})"
