"""Camunda 8.8's search request language, over rows of the engine's state.

A search body is `{"filter": {...}, "sort": [{"field", "order"}], "page": {...}}`:

- `filter`: each property is an exact value or an object of operators – `$eq`, `$neq`, `$exists`, `$in`,
  `$notIn`, `$like` (`*` and `?` wildcards, backslash escapes; matched in linear time, engine/search/like.py) and,
  for numbers and dates, `$gt`, `$gte`, `$lt`, `$lte`. Dates are ISO 8601 with an offset; keys are strings (numbers
  are accepted). Where the resource has it, `$or` takes a list of such filters, one of which must match. Properties
  and operators the resource does not know are refused with the names that are.
- `sort`: fields in order of precedence, `ASC` by default; missing values sort last either way, and the
  resource key breaks ties.
- `page`: `from`/`limit` (offset) or `after`/`before` + `limit` (cursor, from a previous answer's
  `endCursor`/`startCursor`; a cursor holds the sort values and key of an item, base64-encoded JSON as in
  Camunda, so it stays valid while items are added or change). `limit` is at most MAX_PAGE_SIZE – the result
  window Camunda's secondary storage allows – and 100 by default.

The answer is `{"items": [...], "page": {"totalItems", "hasMoreTotalItems"[, "startCursor", "endCursor"]}}`;
an item holds only the properties that have a value (Camunda leaves an unset optional property out, it never
answers null). `run_async` yields to the event loop every ROWS_PER_TURN rows, so a search over a large state never
holds the loop for long.
"""

import asyncio
import base64
import binascii
import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from engine.errors import InvalidArgumentError
from engine.search.like import LikePattern

DEFAULT_LIMIT = 100
MAX_PAGE_SIZE = 10_000
"""Camunda's secondary storage (Elasticsearch's `index.max_result_window`) answers at most this many items per
search; a larger `page.limit` is refused here, naming the maximum."""
ROWS_PER_TURN = 500
"""Rows a search filters before it lets the event loop serve others (`run_async`)."""
MAX_CURSOR_LENGTH = 300
"""The spec's maximum length of a cursor: one whose sort values are longer holds only the item's key."""

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


def iso(moment: datetime | None) -> str | None:
    """An ISO 8601 date-time in UTC with milliseconds, as Camunda writes them."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(_UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


_UTC = datetime.fromisoformat("2000-01-01T00:00:00+00:00").tzinfo


class FieldKind(StrEnum):
    KEY = "key"  # an int64 key, a string in JSON
    STRING = "string"
    ENUM = "enum"
    INT = "integer"
    BOOL = "boolean"
    DATE = "date-time"
    LIST = "list"  # answered, not searchable
    OBJECT = "object"  # answered, not searchable
    MEMBER = "member"  # a string filter that any element of a list (its source) may match
    VARIABLES = "variables"  # a filter on variable values: [{"name", "value": string filter on the JSON value}]


_OPERATORS: dict[FieldKind, frozenset[str]] = {
    FieldKind.KEY: frozenset({"$eq", "$neq", "$exists", "$in", "$notIn"}),
    FieldKind.STRING: frozenset({"$eq", "$neq", "$exists", "$in", "$notIn", "$like"}),
    FieldKind.ENUM: frozenset({"$eq", "$neq", "$exists", "$in", "$notIn", "$like"}),
    FieldKind.INT: frozenset({"$eq", "$neq", "$exists", "$in", "$notIn", "$gt", "$gte", "$lt", "$lte"}),
    FieldKind.BOOL: frozenset({"$eq", "$neq", "$exists"}),
    FieldKind.DATE: frozenset({"$eq", "$neq", "$exists", "$in", "$gt", "$gte", "$lt", "$lte"}),
}


@dataclass(frozen=True)
class Field:
    """One property of a searchable resource: what it holds and what a search may do with it."""

    kind: FieldKind
    values: tuple[str, ...] = ()  # the allowed values of an ENUM
    filterable: bool = True
    sortable: bool = True
    output: bool = True  # False: a filter-only property, read from `source`
    source: str | None = None  # the row entry it reads, if not its own name
    true_only: bool = False  # a BOOL filter that narrows when true and means "any" when false
    member: str | None = None  # a property of the sub-rows listed at `source`: filters on one source's members
    # match when one sub-row matches them all (an instance with element X active: the same element)


@dataclass(frozen=True)
class Resource:
    """A searchable kind of item: its name for messages, its key field and its fields in answer order."""

    name: str
    key: str
    fields: dict[str, Field] = field(default_factory=dict)
    alternatives: bool = False  # the filter takes `$or`

    def to_json(self, row: Row) -> dict[str, Any]:
        """The item as Camunda answers it: the properties that have a value (none is null)."""
        out: dict[str, Any] = {}
        for name, spec in self.fields.items():
            if spec.output:
                value = row.get(name)
                if value is not None:
                    out[name] = _to_json(spec.kind, value)
        return out


def _to_json(kind: FieldKind, value: Any) -> Any:
    if kind is FieldKind.KEY:
        return str(value)
    if kind is FieldKind.DATE:
        return iso(value) if isinstance(value, datetime) else value
    if kind is FieldKind.LIST:
        return list(value)
    if kind is FieldKind.OBJECT:
        return dict(value)
    return value


# ---------------------------------------------------------------------- the search
@dataclass(frozen=True)
class Search:
    """A parsed search request: what to match, how to sort, which page."""

    resource: Resource
    predicate: Predicate
    rules: list[tuple[str, bool]]
    page: "_Page"
    needs: frozenset[str]  # the filter properties used: what the rows must hold beyond what is answered

    @classmethod
    def parse(cls, resource: Resource, body: Mapping[str, Any]) -> "Search":
        """Raises InvalidArgumentError naming what is wrong with the body."""
        unknown = sorted(set(body) - {"filter", "sort", "page"})
        if unknown:
            raise InvalidArgumentError(
                f"Unknown search request {_plural('property', 'properties', unknown)}: use filter, sort and page"
            )
        return cls(
            resource,
            compile_filter(resource, body.get("filter")),
            _sort_rules(resource, body.get("sort")),
            _Page.parse(body.get("page")),
            frozenset(fields_used(body.get("filter"))),
        )

    def run(self, rows: Iterable[Row]) -> dict[str, Any]:
        """The answer, filtering every row at once."""
        return self._answer([r for r in rows if self.predicate(r)])

    async def run_async(self, rows: Iterable[Row]) -> dict[str, Any]:
        """The answer, letting the event loop serve others every ROWS_PER_TURN rows."""
        matched: list[Row] = []
        predicate = self.predicate
        for count, row in enumerate(rows, 1):
            if predicate(row):
                matched.append(row)
            if count % ROWS_PER_TURN == 0:
                await asyncio.sleep(0)
        return self._answer(matched)

    def _answer(self, matched: list[Row]) -> dict[str, Any]:
        resource, rules = self.resource, self.rules
        values = functools.partial(_sort_values, resource, rules)
        compare = functools.partial(_compare, [desc for _, desc in rules])
        _sort(matched, values, rules)
        window = self.page.cut(matched, values, compare, resource, rules)
        page: dict[str, Any] = {"totalItems": len(matched), "hasMoreTotalItems": False}
        if window:
            page["startCursor"] = _cursor(resource, rules, values(window[0]))
            page["endCursor"] = _cursor(resource, rules, values(window[-1]))
        return {"items": [resource.to_json(r) for r in window], "page": page}


def search(resource: Resource, rows: Iterable[Row], body: Mapping[str, Any]) -> dict[str, Any]:
    """Filters, sorts and pages `rows` as the search `body` says; raises InvalidArgumentError on a bad body."""
    return Search.parse(resource, body).run(rows)


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _plural(one: str, many: str, names: list[str]) -> str:
    return f"{one if len(names) == 1 else many} {_names(names)}"


# ---------------------------------------------------------------------- filter
def compile_filter(resource: Resource, filters: Any, *, nested: bool = False) -> Predicate:
    if filters is None:
        return lambda row: True
    if not isinstance(filters, dict):
        raise InvalidArgumentError("'filter' must be an object")
    allowed_or = resource.alternatives and not nested
    unknown = [
        n
        for n in filters
        if not (n == "$or" and allowed_or) and (n not in resource.fields or not resource.fields[n].filterable)
    ]
    if unknown:
        known = [n for n, f in resource.fields.items() if f.filterable] + (["$or"] if allowed_or else [])
        raise InvalidArgumentError(
            f"Unknown filter {_plural('property', 'properties', unknown)} for {resource.name}s; "
            f"the known ones are {_names(known)}"
        )
    predicates: list[Predicate] = []
    members: dict[str, list[tuple[str, Callable[[Any], bool]]]] = {}
    for name, wanted in filters.items():
        if wanted is None:  # an unset property, as Camunda reads JSON null
            continue
        if name == "$or":
            predicates.append(_alternatives(resource, wanted))
            continue
        spec = resource.fields[name]
        if spec.member is not None and spec.source is not None:
            members.setdefault(spec.source, []).append((spec.member, _property_test(name, spec, wanted)))
            continue
        predicates.append(_reading(spec.source or name, _property_test(name, spec, wanted)))
    for source, tests in members.items():
        predicates.append(_some_member(source, tests))
    return lambda row: all(p(row) for p in predicates)


def _some_member(source: str, tests: list[tuple[str, Callable[[Any], bool]]]) -> Predicate:
    return lambda row: any(all(t(sub.get(m)) for m, t in tests) for sub in row.get(source) or ())


def fields_used(filters: Any) -> set[str]:
    """The filter properties a (valid) filter uses, in `$or` too: what a row builder must compute."""
    if not isinstance(filters, dict):
        return set()
    used = {name for name, value in filters.items() if value is not None and name != "$or"}
    for option in filters.get("$or") or ():
        used |= fields_used(option)
    return used


def _alternatives(resource: Resource, wanted: Any) -> Predicate:
    if not isinstance(wanted, list):
        raise InvalidArgumentError("'$or' must be an array of filter objects")
    options = [compile_filter(resource, option, nested=True) for option in wanted]
    if not options:
        return lambda row: True
    return lambda row: any(option(row) for option in options)


def _reading(source: str, test: Callable[[Any], bool]) -> Predicate:
    return lambda row: test(row.get(source))


def _property_test(name: str, spec: Field, wanted: Any) -> Callable[[Any], bool]:
    if spec.kind is FieldKind.VARIABLES:
        return _variables_test(name, wanted)
    if spec.kind is FieldKind.MEMBER:
        member = _property_test(name, Field(FieldKind.STRING), wanted)
        return lambda actual: any(member(v) for v in actual or ())
    if spec.kind is FieldKind.LIST:
        if not isinstance(wanted, list) or not all(isinstance(v, str) for v in wanted):
            raise InvalidArgumentError(f"The filter of '{name}' must be an array of strings")
        return lambda actual: all(v in (actual or ()) for v in wanted)
    if spec.true_only:
        flag = _operand(f"'{name}'", spec, wanted)
        return bool if flag else (lambda actual: True)
    if not isinstance(wanted, dict):
        return _operator_test(name, spec, "$eq", wanted)
    if not wanted:
        raise InvalidArgumentError(f"The filter of '{name}' is an empty object: give a value or an operator")
    allowed = _OPERATORS.get(spec.kind, frozenset())
    unknown = [op for op in wanted if op not in allowed]
    if unknown:
        raise InvalidArgumentError(
            f"Unknown {_plural('operator', 'operators', unknown)} in the filter of '{name}' ({spec.kind.value}); "
            f"the known ones are {_names(sorted(allowed))}"
        )
    tests = [_operator_test(name, spec, op, operand) for op, operand in wanted.items() if operand is not None]
    return lambda actual: all(t(actual) for t in tests)


def _operator_test(name: str, spec: Field, op: str, operand: Any) -> Callable[[Any], bool]:
    what = f"'{name}' ({op})"
    if op == "$exists":
        if not isinstance(operand, bool):
            raise InvalidArgumentError(f"The value of {what} must be true or false")
        return lambda actual: (actual is not None) is operand
    if op in ("$in", "$notIn"):
        if not isinstance(operand, list):
            raise InvalidArgumentError(f"The value of {what} must be an array")
        options = frozenset(_operand(what, spec, v) for v in operand)  # a set: a long list costs once, not per row
        if op == "$in":
            return lambda actual: actual is not None and actual in options
        return lambda actual: actual not in options
    if op == "$like":
        if not isinstance(operand, str):
            raise InvalidArgumentError(f"The value of {what} must be a string")
        try:
            pattern = LikePattern(operand)
        except ValueError as exc:
            raise InvalidArgumentError(f"The value of {what} is refused: {exc}") from None
        return lambda actual: actual is not None and pattern.matches(str(actual))
    value = _operand(what, spec, operand)
    comparisons: dict[str, Callable[[Any], bool]] = {
        "$eq": lambda actual: actual is not None and actual == value,
        "$neq": lambda actual: actual != value,
        "$gt": lambda actual: actual is not None and actual > value,
        "$gte": lambda actual: actual is not None and actual >= value,
        "$lt": lambda actual: actual is not None and actual < value,
        "$lte": lambda actual: actual is not None and actual <= value,
    }
    return comparisons[op]


def _operand(what: str, spec: Field, value: Any) -> Any:
    """The filter value as the rows hold it (int keys, aware datetimes), or a 400 saying what is expected."""
    kind = spec.kind
    if kind is FieldKind.KEY:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 25:
            return int(value)
        raise InvalidArgumentError(f"The value of {what} must be a key (a string of digits), not {value!r}")
    if kind in (FieldKind.STRING, FieldKind.ENUM):
        if not isinstance(value, str):
            raise InvalidArgumentError(f"The value of {what} must be a string, not {value!r}")
        if kind is FieldKind.ENUM and value not in spec.values:
            raise InvalidArgumentError(f"The value of {what} must be one of {_names(spec.values)}, not '{value}'")
        return value
    if kind is FieldKind.INT:
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidArgumentError(f"The value of {what} must be an integer, not {value!r}")
        return value
    if kind is FieldKind.BOOL:
        if not isinstance(value, bool):
            raise InvalidArgumentError(f"The value of {what} must be true or false, not {value!r}")
        return value
    if kind is FieldKind.DATE:
        return parse_date_time(what, value)
    raise InvalidArgumentError(f"{what} cannot be filtered")


def parse_date_time(what: str, value: Any) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment
    raise InvalidArgumentError(
        f"The value of {what} must be an ISO 8601 date-time with an offset (2025-01-31T08:00:00.000Z), not {value!r}"
    )


def _variables_test(name: str, wanted: Any) -> Callable[[Any], bool]:
    if not isinstance(wanted, list):
        raise InvalidArgumentError(f"'{name}' must be an array of objects with a 'name' and a 'value'")
    value_spec = Field(FieldKind.STRING)
    tests: list[tuple[str, Callable[[Any], bool]]] = []
    for entry in wanted:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or "value" not in entry:
            raise InvalidArgumentError(
                f"Each entry of '{name}' must be an object with a 'name' and a 'value' (the JSON value as a string "
                "or a string filter)"
            )
        tests.append((entry["name"], _property_test(f"{name}.{entry['name']}", value_spec, entry["value"])))

    def test(variables: Any) -> bool:
        scopes: list[dict[str, Any]] = variables or []
        return all(
            any(var in scope and t(json.dumps(scope[var], ensure_ascii=False)) for scope in scopes) for var, t in tests
        )

    return test


# ---------------------------------------------------------------------- sort
def _sort_rules(resource: Resource, sort: Any) -> list[tuple[str, bool]]:
    """[(field, descending)]."""
    if sort is None:
        return []
    if not isinstance(sort, list):
        raise InvalidArgumentError("'sort' must be an array of objects with a 'field' and an 'order'")
    sortable = [n for n, f in resource.fields.items() if f.sortable]
    rules: list[tuple[str, bool]] = []
    for rule in sort:
        if not isinstance(rule, dict) or "field" not in rule:
            raise InvalidArgumentError("Each 'sort' entry must be an object with a 'field' (and an 'order')")
        name, order = rule["field"], rule.get("order") or "ASC"
        if name not in sortable:
            raise InvalidArgumentError(
                f"Unknown sort field '{name}' for {resource.name}s; the known ones are {_names(sortable)}"
            )
        if not isinstance(order, str) or order.upper() not in ("ASC", "DESC"):
            raise InvalidArgumentError(f"The sort order of '{name}' must be ASC or DESC, not {order!r}")
        rules.append((name, order.upper() == "DESC"))
    return rules


def _sort_values(resource: Resource, rules: list[tuple[str, bool]], row: Row) -> list[Any]:
    return [row.get(resource.fields[name].source or name) for name, _ in rules] + [row[resource.key]]


def _sort(rows: list[Row], values: Callable[[Row], list[Any]], rules: list[tuple[str, bool]]) -> None:
    """Sorts in place: rule by rule (stable sorts from the last rule to the first), missing values last in either
    order, the key ascending last."""
    decorated = [(values(r), r) for r in rows]
    decorated.sort(key=lambda pair: pair[0][-1])
    for index in range(len(rules) - 1, -1, -1):
        if rules[index][1]:
            decorated.sort(key=lambda pair, i=index: _present_last_desc(pair[0][i]), reverse=True)  # type: ignore[misc]
        else:
            decorated.sort(key=lambda pair, i=index: _present_last_asc(pair[0][i]))  # type: ignore[misc]
    rows[:] = [row for _, row in decorated]


def _present_last_asc(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


def _present_last_desc(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)


def _compare(descending: list[bool], a: list[Any], b: list[Any]) -> int:
    """Rule by rule; a missing value sorts last in either order; the key (last) ascending."""
    for index, (va, vb) in enumerate(zip(a, b, strict=True)):
        if va == vb:
            continue
        if va is None:
            return 1
        if vb is None:
            return -1
        result = -1 if va < vb else 1
        return -result if index < len(descending) and descending[index] else result
    return 0


# ---------------------------------------------------------------------- page
def _cursor(resource: Resource, rules: list[tuple[str, bool]], values: list[Any]) -> str:
    kinds = [resource.fields[name].kind for name, _ in rules] + [FieldKind.KEY]
    plain = [iso(v) if kind is FieldKind.DATE else v for kind, v in zip(kinds, values, strict=True)]
    cursor = base64.b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()
    if len(cursor) > MAX_CURSOR_LENGTH:  # long sort values: the item's key alone, its values looked up again
        cursor = base64.b64encode(json.dumps({"key": values[-1]}).encode()).decode()
    return cursor


def _decode_cursor(
    resource: Resource,
    rules: list[tuple[str, bool]],
    cursor: Any,
    which: str,
    matched: list[Row],
    values: Callable[[Row], list[Any]],
) -> list[Any]:
    kinds = [resource.fields[name].kind for name, _ in rules] + [FieldKind.KEY]
    try:
        if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        plain = json.loads(base64.b64decode(cursor.encode(), validate=True))
        if isinstance(plain, dict) and isinstance(plain.get("key"), int):
            for row in matched:
                if row[resource.key] == plain["key"]:
                    return values(row)
            raise ValueError
        if not isinstance(plain, list) or len(plain) != len(kinds):
            raise ValueError
        return [_cursor_value(kind, v) for kind, v in zip(kinds, plain, strict=True)]
    except (ValueError, binascii.Error, InvalidArgumentError):
        raise InvalidArgumentError(
            f"'page.{which}' is not a cursor of this search: pass the startCursor or endCursor of an answer to the "
            "same search with the same sort"
        ) from None


def _cursor_value(kind: FieldKind, value: Any) -> Any:
    if value is None:
        return None
    if kind is FieldKind.DATE:
        return parse_date_time("cursor", value)
    expected: type = {FieldKind.KEY: int, FieldKind.INT: int, FieldKind.BOOL: bool}.get(kind, str)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ValueError(value)
    return value


@dataclass(frozen=True)
class _Page:
    limit: int = DEFAULT_LIMIT
    start: int = 0
    after: Any = None
    before: Any = None

    @classmethod
    def parse(cls, page: Any) -> "_Page":
        if page is None:
            return cls()
        if not isinstance(page, dict):
            raise InvalidArgumentError("'page' must be an object")
        unknown = sorted(set(page) - {"from", "limit", "after", "before"})
        if unknown:
            raise InvalidArgumentError(
                f"Unknown page {_plural('property', 'properties', unknown)}: use from, limit, after or before"
            )
        limit = DEFAULT_LIMIT if page.get("limit") is None else page["limit"]  # JSON null: unset, as in Camunda
        start = 0 if page.get("from") is None else page["from"]
        for name, value, least in (("limit", limit, 1), ("from", start, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise InvalidArgumentError(f"'page.{name}' must be an integer of at least {least}, not {value!r}")
        if limit > MAX_PAGE_SIZE:
            raise InvalidArgumentError(
                f"'page.limit' is {limit}, but a search answers at most {MAX_PAGE_SIZE} items at a time; page "
                "through the rest with page.after (the endCursor of the answer)"
            )
        given = [name for name in ("from", "after", "before") if page.get(name) is not None]
        if len(given) > 1:
            raise InvalidArgumentError(
                f"'page' takes one of from (offset paging), after or before (cursor paging), not {_names(given)}"
            )
        return cls(limit, start, page.get("after"), page.get("before"))

    def cut(
        self,
        matched: list[Row],
        values: Callable[[Row], list[Any]],
        compare: Callable[[list[Any], list[Any]], int],
        resource: Resource,
        rules: list[tuple[str, bool]],
    ) -> list[Row]:
        if self.after is not None:
            mark = _decode_cursor(resource, rules, self.after, "after", matched, values)
            rest = [r for r in matched if compare(values(r), mark) > 0]
            return rest[: self.limit]
        if self.before is not None:
            mark = _decode_cursor(resource, rules, self.before, "before", matched, values)
            head = [r for r in matched if compare(values(r), mark) < 0]
            return head[-self.limit :]
        return matched[self.start : self.start + self.limit]
