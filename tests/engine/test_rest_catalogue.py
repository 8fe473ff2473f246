"""The searchable resources (engine/search/catalogue.py) against Camunda's 8.8 spec: each search takes exactly the
filter properties and sort fields the spec's request has, and answers only properties its items have."""

from typing import Any

import pytest

from engine.rest.openapi import Conformance
from engine.search import catalogue

OPERATIONS = {
    "user-tasks": "searchUserTasks",
    "process-instances": "searchProcessInstances",
    "element-instances": "searchElementInstances",
    "incidents": "searchIncidents",
    "variables": "searchVariables",
    "process-definitions": "searchProcessDefinitions",
    "jobs": "searchJobs",
    "message-subscriptions": "searchMessageSubscriptions",
    "decision-definitions": "searchDecisionDefinitions",
    "decision-requirements": "searchDecisionRequirements",
    "decision-instances": "searchDecisionInstances",
}


def properties(schema: Any) -> set[str]:
    """The property names of an object schema (of each alternative, for anyOf/oneOf/allOf)."""
    if not isinstance(schema, dict):
        return set()
    if "properties" in schema:
        return set(schema["properties"])
    found: set[str] = set()
    for combinator in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(combinator, ()):
            found |= properties(part)
    return found


def test_every_search_of_the_spec_is_catalogued() -> None:
    assert set(catalogue.SEARCHES) == set(OPERATIONS)


@pytest.mark.parametrize("path", sorted(OPERATIONS))
def test_a_search_filters_sorts_and_answers_as_the_spec_says(rest_conformance: Conformance | None, path: str) -> None:
    if rest_conformance is None:
        pytest.skip("Camunda's 8.8 spec is not available here (node or the pinned package is missing)")
    spec = rest_conformance.spec
    resource = catalogue.SEARCHES[path]
    request = spec.request_schemas[OPERATIONS[path]]
    filters = properties(request["properties"]["filter"]) - {"$or"}
    assert {name for name, f in resource.fields.items() if f.filterable} == filters
    assert resource.alternatives == ("$or" in properties(request["properties"]["filter"]))
    sort_fields = set(request["properties"]["sort"]["items"]["properties"]["field"]["enum"])
    assert {name for name, f in resource.fields.items() if f.sortable} == sort_fields
    answer = spec.by_name(OPERATIONS[path]).responses["200"]
    item = properties(answer["properties"]["items"]["items"])
    assert {name for name, f in resource.fields.items() if f.output} <= item
