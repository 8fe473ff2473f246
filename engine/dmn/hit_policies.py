"""A decision table's matched rules → its result, per hit policy, as Camunda 8.8's DMN engine (dmn-scala) does it.

Each matched rule's outputs come as (output name, value) pairs in column order. A single output gives its value, a
rule with several gives a context (dict) keyed by the output names. UNIQUE fails on more than one match; ANY on
matches that differ; FIRST, PRIORITY and ANY give one rule's outputs; RULE ORDER, OUTPUT ORDER and COLLECT a list;
COLLECT with SUM, MIN or MAX the aggregate of the (single, numeric) output and with COUNT the number of matches.
PRIORITY and OUTPUT ORDER follow the order of each output's output values (a value not listed comes last), sorted
as dmn-scala sorts them: by the positions of a rule's values in those lists, written one after another and compared
as text. No match at all is handled before a hit policy applies (the outputs' default values, else null).
"""

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from engine.dmn.errors import DecisionEvaluationError
from engine.dmn.model import Aggregation, DecisionTable, HitPolicy, OutputClause

RuleOutputs = Sequence[tuple[str | None, Any]]


def apply_hit_policy(table: DecisionTable, matched: Sequence[RuleOutputs]) -> Any:
    """The result of `table` for the outputs of its matched rules (at least one), in rule order."""
    policy = table.hit_policy
    if policy is HitPolicy.FIRST:
        return _single(matched)
    if policy is HitPolicy.UNIQUE:
        if len(matched) > 1:
            raise DecisionEvaluationError(
                f"multiple values aren't allowed for UNIQUE hit policy. found: '{_render(matched)}'"
            )
        return _single(matched)
    if policy is HitPolicy.ANY:
        distinct = {_canonical(rule): rule for rule in matched}
        if len(distinct) > 1:
            raise DecisionEvaluationError(
                f"different values aren't allowed for ANY hit policy. found: '{_render(list(distinct.values()))}'"
            )
        return _single(matched)
    if policy is HitPolicy.PRIORITY:
        return _single(_by_priority(matched, table.outputs))
    if policy is HitPolicy.OUTPUT_ORDER:
        return _multiple(_by_priority(matched, table.outputs))
    if policy is HitPolicy.RULE_ORDER:
        return _multiple(matched)
    # COLLECT
    if table.aggregation is Aggregation.COUNT:
        return len(matched)
    if table.aggregation is None:
        return _multiple(matched)
    numbers = [_number(rule) for rule in matched]
    if table.aggregation is Aggregation.MIN:
        return min(numbers)
    if table.aggregation is Aggregation.MAX:
        return max(numbers)
    return _decimal_sum(numbers)


def _value(rule: RuleOutputs) -> Any:
    """One rule's result: its single output's value, or a context of its outputs."""
    if len(rule) == 1:
        return rule[0][1]
    return dict(rule)


def _single(matched: Sequence[RuleOutputs]) -> Any:
    return _value(matched[0]) if matched else None


def _multiple(matched: Sequence[RuleOutputs]) -> list[Any]:
    return [_value(rule) for rule in matched]


def _canonical(rule: RuleOutputs) -> str:
    """A rule's outputs as text that is equal exactly when FEEL's values are (1 and 1.0 alike; true and 1 not)."""
    return json.dumps([[name, value] for name, value in rule], sort_keys=True, ensure_ascii=False)


def _render(matched: Sequence[RuleOutputs]) -> str:
    return json.dumps([_value(rule) for rule in matched], ensure_ascii=False)


def _priorities(output: OutputClause) -> dict[str, int]:
    """An output's output values → their positions (dmn-scala splits the text at commas and drops the quotes)."""
    if not output.output_values:
        return {}
    values = [part.strip().replace('"', "").replace("'", "") for part in output.output_values.split(",")]
    positions: dict[str, int] = {}
    for index, value in enumerate(values):
        positions.setdefault(value, index)
    return positions


def _priority_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None  # other values have no priority


def _by_priority(matched: Sequence[RuleOutputs], outputs: Sequence[OutputClause]) -> list[RuleOutputs]:
    priorities = [_priorities(output) for output in outputs]

    def key(rule: RuleOutputs) -> str:
        parts = []
        for positions, (_, value) in zip(priorities, rule, strict=False):
            text = _priority_text(value)
            position = positions.get(text) if text is not None else None
            parts.append(str(position) if position is not None else "_")
        return "".join(parts)

    return sorted(matched, key=key)


def _number(rule: RuleOutputs) -> int | float:
    value = _value(rule)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise DecisionEvaluationError(f"expected number but found '{json.dumps(value, ensure_ascii=False)}'")


def _decimal_sum(numbers: Sequence[int | float]) -> int | float:
    """The sum as FEEL's decimal numbers give it (0.1 + 0.2 is 0.3), back as int when whole."""
    total = sum((Decimal(repr(n)) for n in numbers), Decimal(0))
    return int(total) if total == total.to_integral_value() else float(total)
