"""Searches over the engine's state in the shape of Camunda 8.8's search requests, for the REST API.

A search body is `{"filter": {...}, "sort": [{"field", "order"}], "page": {...}}`:

- `filter`: each property is an exact value or an object of operators – `$eq`, `$neq`, `$exists`, `$in`,
  `$notIn`, `$like` (`*` and `?` wildcards, backslash escapes) and, for numbers and dates, `$gt`, `$gte`,
  `$lt`, `$lte`. Dates are ISO 8601 with an offset; keys are strings (numbers are accepted). Properties and
  operators the resource does not know are refused with the names that are.
- `sort`: fields in order of precedence, `ASC` by default; missing values sort last either way, and the
  resource key breaks ties.
- `page`: `from`/`limit` (offset) or `after`/`before` + `limit` (cursor, from a previous answer's
  `endCursor`/`startCursor`; a cursor holds the sort values and key of an item, base64-encoded JSON as in
  Camunda, so it stays valid while items are added or change).

The answer is `{"items": [...], "page": {"totalItems", "hasMoreTotalItems", "startCursor", "endCursor"}}`.
"""

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from engine.engine import Engine
from engine.errors import InvalidArgumentError
from engine.gateway import TENANT
from engine.model import Kind
from engine.state import (
    ElementInstance,
    ElementState,
    FinishedElement,
    Incident,
    IncidentState,
    ProcessDefinition,
    ProcessInstance,
    UserTask,
)

DEFAULT_LIMIT = 100

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


def iso(moment: datetime | None) -> str | None:
    """An ISO 8601 date-time in UTC with milliseconds, as Camunda writes them."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    FieldKind.INT: frozenset({"$eq", "$neq", "$exists", "$in", "$gt", "$gte", "$lt", "$lte"}),
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


@dataclass(frozen=True)
class Resource:
    """A searchable kind of item: its name for messages, its key field and its fields in answer order."""

    name: str
    key: str
    fields: dict[str, Field] = field(default_factory=dict)

    def to_json(self, row: Row) -> dict[str, Any]:
        return {name: _to_json(spec.kind, row.get(name)) for name, spec in self.fields.items() if spec.output}


def _to_json(kind: FieldKind, value: Any) -> Any:
    if value is None:
        return None
    if kind is FieldKind.KEY:
        return str(value)
    if kind is FieldKind.DATE:
        return iso(value) if isinstance(value, datetime) else value  # a user task's due date is kept as given
    if kind is FieldKind.LIST:
        return list(value)
    if kind is FieldKind.OBJECT:
        return dict(value)
    return value


# ---------------------------------------------------------------------- the search
def search(resource: Resource, rows: Iterable[Row], body: Mapping[str, Any]) -> dict[str, Any]:
    """Filters, sorts and pages `rows` as the search `body` says; raises InvalidArgumentError on a bad body."""
    unknown = sorted(set(body) - {"filter", "sort", "page"})
    if unknown:
        raise InvalidArgumentError(
            f"Unknown search request {_plural('property', 'properties', unknown)}: use filter, sort and page"
        )
    predicate = compile_filter(resource, body.get("filter"))
    rules = _sort_rules(resource, body.get("sort"))
    page = _Page.parse(body.get("page"))
    values = functools.partial(_sort_values, resource, rules)
    compare = functools.partial(_compare, [desc for _, desc in rules])
    matched = sorted((r for r in rows if predicate(r)), key=lambda r: functools.cmp_to_key(compare)(values(r)))
    window = page.cut(matched, values, compare, resource, rules)
    return {
        "items": [resource.to_json(r) for r in window],
        "page": {
            "totalItems": len(matched),
            "hasMoreTotalItems": False,
            "startCursor": _cursor(resource, rules, values(window[0])) if window else None,
            "endCursor": _cursor(resource, rules, values(window[-1])) if window else None,
        },
    }


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _plural(one: str, many: str, names: list[str]) -> str:
    return f"{one if len(names) == 1 else many} {_names(names)}"


# ---------------------------------------------------------------------- filter
def compile_filter(resource: Resource, filters: Any) -> Predicate:
    if filters is None:
        return lambda row: True
    if not isinstance(filters, dict):
        raise InvalidArgumentError("'filter' must be an object")
    unknown = [n for n in filters if n not in resource.fields or not resource.fields[n].filterable]
    if unknown:
        known = [n for n, f in resource.fields.items() if f.filterable]
        raise InvalidArgumentError(
            f"Unknown filter {_plural('property', 'properties', unknown)} for {resource.name}s; "
            f"the known ones are {_names(known)}"
        )
    predicates: list[Predicate] = []
    for name, wanted in filters.items():
        if wanted is None:  # an unset property, as Camunda reads JSON null
            continue
        spec = resource.fields[name]
        predicates.append(_reading(spec.source or name, _property_test(name, spec, wanted)))
    return lambda row: all(p(row) for p in predicates)


def _reading(source: str, test: Callable[[Any], bool]) -> Predicate:
    return lambda row: test(row.get(source))


def _property_test(name: str, spec: Field, wanted: Any) -> Callable[[Any], bool]:
    if spec.kind is FieldKind.VARIABLES:
        return _variables_test(name, wanted)
    if spec.kind is FieldKind.MEMBER:
        member = _property_test(name, Field(FieldKind.STRING), wanted)
        return lambda actual: any(member(v) for v in actual or ())
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
    tests = [_operator_test(name, spec, op, operand) for op, operand in wanted.items()]
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
        options = [_operand(what, spec, v) for v in operand]
        if op == "$in":
            return lambda actual: actual is not None and actual in options
        return lambda actual: actual not in options
    if op == "$like":
        if not isinstance(operand, str):
            raise InvalidArgumentError(f"The value of {what} must be a string")
        pattern = _like_pattern(operand)
        return lambda actual: actual is not None and pattern.fullmatch(str(actual)) is not None
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
        if isinstance(value, str) and value.strip().isdigit():
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


def _like_pattern(like: str) -> re.Pattern[str]:
    out: list[str] = []
    chars = iter(like)
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


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
    sortable = [n for n, f in resource.fields.items() if f.sortable and f.output]
    rules: list[tuple[str, bool]] = []
    for rule in sort:
        if not isinstance(rule, dict) or "field" not in rule:
            raise InvalidArgumentError("Each 'sort' entry must be an object with a 'field' (and an 'order')")
        name, order = rule["field"], rule.get("order", "ASC")
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
    return base64.b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def _decode_cursor(resource: Resource, rules: list[tuple[str, bool]], cursor: Any, which: str) -> list[Any]:
    kinds = [resource.fields[name].kind for name, _ in rules] + [FieldKind.KEY]
    try:
        if not isinstance(cursor, str):
            raise ValueError
        plain = json.loads(base64.b64decode(cursor.encode(), validate=True))
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
            mark = _decode_cursor(resource, rules, self.after, "after")
            rest = [r for r in matched if compare(values(r), mark) > 0]
            return rest[: self.limit]
        if self.before is not None:
            mark = _decode_cursor(resource, rules, self.before, "before")
            head = [r for r in matched if compare(values(r), mark) < 0]
            return head[-self.limit :]
        return matched[self.start : self.start + self.limit]


# ---------------------------------------------------------------------- the resources
PROCESS_INSTANCE_STATES = ("ACTIVE", "COMPLETED", "TERMINATED")
ELEMENT_INSTANCE_STATES = ("ACTIVE", "COMPLETED", "TERMINATED")
ELEMENT_TYPES = (
    "UNSPECIFIED",
    "PROCESS",
    "SUB_PROCESS",
    "EVENT_SUB_PROCESS",
    "AD_HOC_SUB_PROCESS",
    "AD_HOC_SUB_PROCESS_INNER_INSTANCE",
    "START_EVENT",
    "INTERMEDIATE_CATCH_EVENT",
    "INTERMEDIATE_THROW_EVENT",
    "BOUNDARY_EVENT",
    "END_EVENT",
    "SERVICE_TASK",
    "RECEIVE_TASK",
    "USER_TASK",
    "MANUAL_TASK",
    "TASK",
    "EXCLUSIVE_GATEWAY",
    "INCLUSIVE_GATEWAY",
    "PARALLEL_GATEWAY",
    "EVENT_BASED_GATEWAY",
    "SEQUENCE_FLOW",
    "MULTI_INSTANCE_BODY",
    "CALL_ACTIVITY",
    "BUSINESS_RULE_TASK",
    "SCRIPT_TASK",
    "SEND_TASK",
    "UNKNOWN",
)
INCIDENT_ERROR_TYPES = (
    "UNSPECIFIED",
    "UNKNOWN",
    "IO_MAPPING_ERROR",
    "JOB_NO_RETRIES",
    "EXECUTION_LISTENER_NO_RETRIES",
    "TASK_LISTENER_NO_RETRIES",
    "AD_HOC_SUB_PROCESS_NO_RETRIES",
    "CONDITION_ERROR",
    "EXTRACT_VALUE_ERROR",
    "CALLED_ELEMENT_ERROR",
    "UNHANDLED_ERROR_EVENT",
    "MESSAGE_SIZE_EXCEEDED",
    "CALLED_DECISION_ERROR",
    "DECISION_EVALUATION_ERROR",
    "FORM_NOT_FOUND",
    "RESOURCE_NOT_FOUND",
)
INCIDENT_STATES = ("ACTIVE", "MIGRATED", "RESOLVED", "PENDING")

_KEY = Field(FieldKind.KEY)
_STRING = Field(FieldKind.STRING)
_DATE = Field(FieldKind.DATE)
_TENANT = Field(FieldKind.STRING)

USER_TASK_STATES = (
    "CREATING",
    "CREATED",
    "ASSIGNING",
    "UPDATING",
    "COMPLETING",
    "COMPLETED",
    "CANCELING",
    "CANCELED",
    "FAILED",
)


def _answered(kind: FieldKind) -> Field:
    return Field(kind, filterable=False, sortable=False)


def _unsorted(kind: FieldKind) -> Field:
    return Field(kind, sortable=False)


USER_TASKS = Resource(
    "user task",
    "userTaskKey",
    {
        "userTaskKey": _unsorted(FieldKind.KEY),
        "name": _STRING,
        "state": Field(FieldKind.ENUM, USER_TASK_STATES, sortable=False),
        "assignee": _unsorted(FieldKind.STRING),
        "elementId": _unsorted(FieldKind.STRING),
        "elementInstanceKey": _unsorted(FieldKind.KEY),
        "candidateGroups": _answered(FieldKind.LIST),
        "candidateUsers": _answered(FieldKind.LIST),
        "processDefinitionId": _unsorted(FieldKind.STRING),
        "processDefinitionKey": _unsorted(FieldKind.KEY),
        "processDefinitionVersion": _answered(FieldKind.INT),
        "processName": _answered(FieldKind.STRING),
        "processInstanceKey": _unsorted(FieldKind.KEY),
        "formKey": _answered(FieldKind.KEY),
        "externalFormReference": _answered(FieldKind.STRING),
        "creationDate": _DATE,
        "completionDate": _DATE,
        "dueDate": Field(FieldKind.DATE, source="_dueDate"),
        "followUpDate": Field(FieldKind.DATE, source="_followUpDate"),
        "priority": Field(FieldKind.INT),
        "customHeaders": _answered(FieldKind.OBJECT),
        "tenantId": _unsorted(FieldKind.STRING),
        "candidateGroup": Field(FieldKind.MEMBER, sortable=False, output=False, source="candidateGroups"),
        "candidateUser": Field(FieldKind.MEMBER, sortable=False, output=False, source="candidateUsers"),
        "processInstanceVariables": Field(
            FieldKind.VARIABLES, sortable=False, output=False, source="_processInstanceVariables"
        ),
        "localVariables": Field(FieldKind.VARIABLES, sortable=False, output=False, source="_localVariables"),
    },
)

PROCESS_INSTANCES = Resource(
    "process instance",
    "processInstanceKey",
    {
        "processInstanceKey": _KEY,
        "processDefinitionId": _STRING,
        "processDefinitionName": _STRING,
        "processDefinitionVersion": Field(FieldKind.INT),
        "processDefinitionVersionTag": _STRING,
        "processDefinitionKey": _KEY,
        "parentProcessInstanceKey": _KEY,
        "parentElementInstanceKey": _KEY,
        "startDate": _DATE,
        "endDate": _DATE,
        "state": Field(FieldKind.ENUM, PROCESS_INSTANCE_STATES),
        "hasIncident": Field(FieldKind.BOOL),
        "tenantId": _TENANT,
        "tags": Field(FieldKind.LIST, filterable=False, sortable=False),
        "variables": Field(FieldKind.VARIABLES, sortable=False, output=False, source="_variables"),
    },
)

ELEMENT_INSTANCES = Resource(
    "element instance",
    "elementInstanceKey",
    {
        "elementInstanceKey": _KEY,
        "processInstanceKey": _KEY,
        "processDefinitionKey": _KEY,
        "processDefinitionId": _STRING,
        "startDate": _DATE,
        "endDate": _DATE,
        "elementId": _STRING,
        "elementName": _STRING,
        "type": Field(FieldKind.ENUM, ELEMENT_TYPES),
        "state": Field(FieldKind.ENUM, ELEMENT_INSTANCE_STATES),
        "hasIncident": Field(FieldKind.BOOL),
        "incidentKey": _KEY,
        "tenantId": _TENANT,
        "elementInstanceScopeKey": Field(FieldKind.KEY, sortable=False, output=False, source="_flowScopeKey"),
    },
)

INCIDENTS = Resource(
    "incident",
    "incidentKey",
    {
        "incidentKey": _KEY,
        "processDefinitionKey": _KEY,
        "processDefinitionId": _STRING,
        "processInstanceKey": _KEY,
        "errorType": Field(FieldKind.ENUM, INCIDENT_ERROR_TYPES),
        "errorMessage": _STRING,
        "elementId": _STRING,
        "elementInstanceKey": _KEY,
        "creationTime": _DATE,
        "state": Field(FieldKind.ENUM, INCIDENT_STATES),
        "jobKey": _KEY,
        "tenantId": _TENANT,
    },
)

VARIABLES = Resource(
    "variable",
    "variableKey",
    {
        "variableKey": _KEY,
        "name": _STRING,
        "value": _STRING,  # the value as JSON text; a search filters and sorts on that text
        "scopeKey": _KEY,
        "processInstanceKey": _KEY,
        "tenantId": _TENANT,
        "isTruncated": Field(FieldKind.BOOL),
    },
)
VARIABLE_VALUE_LIMIT = 8191
"""Camunda's default size threshold: an answer holds at most this many characters of a value unless the search
asks for `truncateValues=false`."""

PROCESS_DEFINITIONS = Resource(
    "process definition",
    "processDefinitionKey",
    {
        "processDefinitionKey": _KEY,
        "name": _STRING,
        "resourceName": _STRING,
        "version": Field(FieldKind.INT),
        "versionTag": _STRING,
        "processDefinitionId": _STRING,
        "tenantId": _TENANT,
        "hasStartForm": Field(FieldKind.BOOL),
        "isLatestVersion": Field(
            FieldKind.BOOL, sortable=False, output=False, source="_isLatestVersion", true_only=True
        ),
    },
)


def user_task_rows(engine: Engine) -> Iterator[Row]:
    return (user_task_row(engine, t) for t in engine.user_tasks.values())


def user_task_row(engine: Engine, task: UserTask) -> Row:
    definition = engine.definitions.get(task.process_definition_key)
    root = engine.element_instance(task.process_instance_key)
    inst = engine.element_instance(task.element_instance_key)
    return {
        "userTaskKey": task.key,
        "name": task.name or task.element_id,
        "state": task.state.value,
        "assignee": task.assignee,
        "elementId": task.element_id,
        "elementInstanceKey": task.element_instance_key,
        "candidateGroups": task.candidate_groups,
        "candidateUsers": task.candidate_users,
        "processDefinitionId": task.bpmn_process_id,
        "processDefinitionKey": task.process_definition_key,
        "processDefinitionVersion": task.process_definition_version,
        "processName": definition.model.name if definition else None,
        "processInstanceKey": task.process_instance_key,
        "formKey": task.form_key,
        "externalFormReference": task.external_form_reference,
        "creationDate": task.creation_date,
        "completionDate": task.completion_date,
        "dueDate": task.due_date,
        "followUpDate": task.follow_up_date,
        "priority": task.priority,
        "customHeaders": task.custom_headers,
        "tenantId": TENANT,
        "_dueDate": _date_or_none(task.due_date),
        "_followUpDate": _date_or_none(task.follow_up_date),
        "_processInstanceVariables": [root.variables] if root is not None else [],
        "_localVariables": [inst.variables] if inst is not None else [],
    }


def _date_or_none(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def process_instance_rows(engine: Engine) -> Iterator[Row]:
    active_incidents = {i.process_instance_key for i in engine.incidents.values() if i.state is IncidentState.ACTIVE}
    scopes: dict[int, list[dict[str, Any]]] = {}
    for inst in list(engine.element_instances.values()):
        if inst.variables:
            scopes.setdefault(inst.process_instance_key, []).append(inst.variables)
    for done in engine.finished_elements():
        variables = done.variables
        if done.flow_scope_key is None:  # a finished root: its variables are the instance's final ones
            pi = engine.process_instances.get(done.key)
            variables = pi.final_variables if pi is not None else None
        if variables:
            scopes.setdefault(done.process_instance_key, []).append(variables)
    for pi in engine.process_instances.values():
        yield process_instance_row(engine, pi, active_incidents, scopes.get(pi.key, []))


def process_instance_row(
    engine: Engine, pi: ProcessInstance, active_incidents: set[int], variables: list[dict[str, Any]]
) -> Row:
    definition = engine.definitions.get(pi.process_definition_key)
    name = definition.model.name if definition is not None else None
    return {
        "processInstanceKey": pi.key,
        "processDefinitionId": pi.bpmn_process_id,
        "processDefinitionName": name or pi.bpmn_process_id,
        "processDefinitionVersion": pi.version,
        "processDefinitionVersionTag": None,
        "processDefinitionKey": pi.process_definition_key,
        "parentProcessInstanceKey": pi.parent_process_instance_key,  # an instance a call activity created
        "parentElementInstanceKey": pi.parent_element_instance_key,
        "startDate": pi.started_at,
        "endDate": pi.ended_at,
        "state": pi.state,
        "hasIncident": pi.key in active_incidents,
        "tenantId": TENANT,
        "tags": [],
        "_variables": variables,
    }


def find_process_instance(engine: Engine, key: int) -> Row | None:
    pi = engine.process_instances.get(key)
    if pi is None:
        return None
    active = {i.process_instance_key for i in engine.incidents.values() if i.state is IncidentState.ACTIVE}
    return process_instance_row(engine, pi, active, [])


def element_instance_rows(engine: Engine) -> Iterator[Row]:
    for inst in list(engine.element_instances.values()):
        if inst.kind is not Kind.PROCESS:  # the process itself is a process instance, not an element instance
            yield element_instance_row(engine, inst)
    for done in engine.finished_elements():
        if done.kind != Kind.PROCESS.value:
            yield finished_element_row(engine, done)


def element_instance_row(engine: Engine, inst: ElementInstance) -> Row:
    return finished_element_row(engine, FinishedElement._make(FinishedElement.of(inst)))


# activating, activated, completing or terminating: still there
_ROW_STATES = {ElementState.COMPLETED.value: "COMPLETED", ElementState.TERMINATED.value: "TERMINATED"}


def finished_element_row(engine: Engine, done: FinishedElement) -> Row:
    """The row of an element instance from its archived fields (those of a live one: FinishedElement.of)."""
    definition = engine.definitions.get(done.process_definition_key)
    node = definition.model.elements.get(done.element_id) if definition is not None else None
    return {
        "elementInstanceKey": done.key,
        "processInstanceKey": done.process_instance_key,
        "processDefinitionKey": done.process_definition_key,
        "processDefinitionId": done.bpmn_process_id,
        "startDate": done.started_at,
        "endDate": done.ended_at,
        "elementId": done.element_id,
        "elementName": (node.name if node is not None else None) or done.element_id,
        "type": done.bpmn_element_type,
        "state": _ROW_STATES.get(done.state, "ACTIVE"),
        "hasIncident": done.incident_key is not None,
        "incidentKey": done.incident_key,
        "tenantId": TENANT,
        "_flowScopeKey": done.flow_scope_key,
    }


def find_element_instance(engine: Engine, key: int) -> Row | None:
    inst = engine.element_instance(key)
    if inst is None or inst.kind is Kind.PROCESS:
        return None
    return element_instance_row(engine, inst)


def incident_rows(engine: Engine) -> Iterator[Row]:
    return (incident_row(i) for i in engine.incidents.values())


def incident_row(incident: Incident) -> Row:
    return {
        "incidentKey": incident.key,
        "processDefinitionKey": incident.process_definition_key,
        "processDefinitionId": incident.bpmn_process_id,
        "processInstanceKey": incident.process_instance_key,
        "errorType": incident.error_type,
        "errorMessage": incident.error_message,
        "elementId": incident.element_id,
        "elementInstanceKey": incident.element_instance_key,
        "creationTime": incident.created_at,
        "state": incident.state.value,
        "jobKey": incident.job_key,
        "tenantId": TENANT,
    }


def variable_rows(engine: Engine, *, truncate: bool = True) -> Iterator[Row]:
    """Every variable of every scope, live or finished, as Camunda keeps them: one row per scope and name, the value
    as JSON text (cut at VARIABLE_VALUE_LIMIT characters when `truncate`)."""
    for inst in engine.all_element_instances():
        for name, value in list(inst.variables.items()):
            yield variable_row(engine, inst, name, value, truncate=truncate)


def variable_row(engine: Engine, inst: ElementInstance, name: str, value: Any, *, truncate: bool = True) -> Row:
    text = json.dumps(value, ensure_ascii=False)
    cut = truncate and len(text) > VARIABLE_VALUE_LIMIT
    return {
        "variableKey": engine.variable_key(inst.key, name),
        "name": name,
        "value": text[:VARIABLE_VALUE_LIMIT] if cut else text,
        "scopeKey": inst.key,
        "processInstanceKey": inst.process_instance_key,
        "tenantId": TENANT,
        "isTruncated": cut,
    }


def find_variable(engine: Engine, key: int) -> Row | None:
    """The variable with this key, its value whole (Camunda's GET answers the full value)."""
    found = engine.variable_of_key(key)
    if found is None:
        return None
    inst, name = found
    return variable_row(engine, inst, name, inst.variables[name], truncate=False)


def process_definition_rows(engine: Engine) -> Iterator[Row]:
    latest: dict[str, int] = {}
    for d in engine.definitions.values():
        latest[d.bpmn_process_id] = max(latest.get(d.bpmn_process_id, 0), d.version)
    for d in engine.definitions.values():
        yield process_definition_row(d, latest[d.bpmn_process_id] == d.version)


def process_definition_row(definition: ProcessDefinition, is_latest: bool) -> Row:
    return {
        "processDefinitionKey": definition.key,
        "name": definition.model.name,
        "resourceName": definition.resource_name,
        "version": definition.version,
        "versionTag": None,
        "processDefinitionId": definition.bpmn_process_id,
        "tenantId": TENANT,
        "hasStartForm": False,  # start forms are not supported: user tasks link their forms
        "_isLatestVersion": is_latest,
    }
