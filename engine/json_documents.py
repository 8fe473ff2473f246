"""Strict reading of the JSON documents clients send (variables, forms): what the engine can hold and give back.

Python's `json` module accepts what JSON does not (NaN, Infinity, numbers that overflow to infinity), fails with
RecursionError or ValueError instead of a decode error on deep nesting and on integers of thousands of digits, and
a document nested deeper than the interpreter's recursion limit breaks every later copy or serialisation of the
value. `loads` refuses all of these with one exception type and a sentence saying why.
"""

import json
import math
from typing import Any

# How deep arrays and objects may nest. Zeebe's JSON reader (Jackson) stops at 1000; the engine copies and
# serialises values recursively, so it stops well before Python's recursion limit.
MAX_NESTING_DEPTH = 128


class JsonDocumentError(ValueError):
    """The document is not JSON the engine accepts; the message says why."""


def _refuse_constant(name: str) -> Any:
    raise JsonDocumentError(f"'{name}' is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonDocumentError(f"the number {text[:40]} is out of range")
    return value


def loads(text: str) -> Any:
    """Parses a JSON document; raises JsonDocumentError for anything that is not strict, storable JSON."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except JsonDocumentError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonDocumentError(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise JsonDocumentError(f"arrays and objects nest deeper than {MAX_NESTING_DEPTH} levels") from None
    except ValueError as exc:  # e.g. an integer longer than Python's int/str conversion limit
        raise JsonDocumentError(str(exc)) from None
    if _depth_exceeds(value, MAX_NESTING_DEPTH):
        raise JsonDocumentError(f"arrays and objects nest deeper than {MAX_NESTING_DEPTH} levels")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether lists and dicts nest deeper than `limit` (iteratively: the value may be deep)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
