"""The most common trivial FEEL forms answered in Python, with exactly feelin's result, skipping V8.

A call into V8 costs ~100 µs of thread hand-offs in mini-racer whatever the expression; most of what
a BPMN model evaluates is trivial: ``=nomorPermohonan`` (a variable), ``=pemohon.email`` (a path
into a context), ``="DITOLAK"``, ``=true``, ``=3`` (literals) and ``=keputusan = "DISETUJUI"`` or
``=jumlah > 100`` (a variable compared with a literal). Those are handled here when, and only when,
the answer is certain to be feelin's own:

- names are plain ASCII identifiers that are no FEEL keyword, and the variable (and every step of a
  path) exists; a missing one is left to feelin, which answers null with a NO_VARIABLE_FOUND warning;
- a path ``a.b`` only steps through dicts whose keys are all plain identifiers (a key such as
  ``"b.c"`` or ``"order-id"`` would make feelin's tokenizer read a multi-word name);
- string literals have no escapes or control characters; number literals have at most 15 digits
  before and after the point (so V8 and Python read the same double);
- comparisons: ``=`` and ``!=`` between values of the same kind (string, boolean, number) or with
  null, and ``<``, ``<=``, ``>``, ``>=`` between numbers; anything else goes to feelin;
- values are converted as the V8 round trip would: integral numbers become int (printed as V8
  prints doubles, so integers beyond 2**53 come back rounded), tuples become lists.

Everything else returns None and goes to feelin. tests/engine/feel/test_feel.py checks a table of
inputs against feelin itself.
"""

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from engine.feel.api import FeelResult

# Reserved words of lezer-feel's grammar (its `spec_identifier` table): a variable with such a name is
# not read as a plain variable reference.
KEYWORDS: Final = frozenset(
    {
        "for", "in", "return", "if", "then", "else", "some", "every", "satisfies", "or", "and",
        "between", "instance", "of", "days", "time", "duration", "years", "months", "date", "list",
        "context", "function", "null", "true", "false", "external", "not",
    }
)  # fmt: skip

_MAX_SAFE_INTEGER: Final = 2**53
_BLANKS: Final = " \t"  # between the parts of a comparison
_EDGE_BLANKS: Final = " \t\r\n"  # around the whole expression
_OPERATORS: Final = ("!=", "<=", ">=", "=", "<", ">")
_LITERALS: Final[Mapping[str, bool | None]] = {"true": True, "false": False, "null": None}
_MAX_DIGITS: Final = 15


class _UnhandledError(Exception):
    """The form or the value is outside what this module answers with certainty."""


_UNHANDLED: Final = _UnhandledError()


def json_number(text: str) -> int | float:
    """`json.loads`'s parse_float hook: V8's JSON has no int/float distinction, integral means int."""
    number = float(text)
    if number.is_integer():
        return int(Decimal(text))
    return number


def _float_value(number: float) -> int | float:
    """`number` as it comes back from a V8 round trip (JSON.stringify prints the shortest digits)."""
    if number.is_integer():
        return int(Decimal(repr(number)))
    return number


def _is_plain_name(name: str) -> bool:
    """An ASCII identifier: the only kind of name whose tokenization no context can change."""
    return name.isascii() and name.isidentifier()


def _value(value: Any) -> Any:
    """A JSON-compatible context value converted exactly as the round trip through V8 converts it."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            return value
        try:
            return _float_value(float(value))
        except OverflowError:
            raise _UNHANDLED from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _UNHANDLED
        return _float_value(value)
    if isinstance(value, list | tuple):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _UNHANDLED
            result[key] = _value(item)
        return result
    raise _UNHANDLED


def _literal(text: str) -> Any:
    """The value of a FEEL literal this module understands, else _UnhandledError."""
    if text in _LITERALS:
        return _LITERALS[text]
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        content = text[1:-1]
        if '"' in content or "\\" in content or any(ord(char) < 0x20 or char == "\x7f" for char in content):
            raise _UNHANDLED
        return content
    digits = text[1:] if text.startswith("-") else text
    whole, point, fraction = digits.partition(".")
    if (
        whole.isascii()
        and whole.isdigit()
        and len(whole) <= _MAX_DIGITS
        and (not point or (fraction.isascii() and fraction.isdigit() and len(fraction) <= _MAX_DIGITS))
    ):
        return _float_value(float(text))
    raise _UNHANDLED


def _segments(text: str) -> tuple[str, ...]:
    """The names of the variable or path `text`, if each certainly reads as a plain name in feelin."""
    segments = tuple(text.split("."))
    for segment in segments:
        if not _is_plain_name(segment) or segment in KEYWORDS:
            raise _UNHANDLED
    return segments


def _walk(segments: tuple[str, ...], context: Mapping[str, Any]) -> Any:
    """The value at `segments` in `context`, if it certainly reads like in feelin."""
    container: Any = context
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if index > 0 and not isinstance(container, dict):
            raise _UNHANDLED
        if index < last and not all(isinstance(key, str) and _is_plain_name(key) for key in container):
            raise _UNHANDLED
        if segment not in container:
            raise _UNHANDLED
        container = container[segment]
    return container


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    raise _UNHANDLED


def _compare(left: Any, operator: str, right: Any) -> bool:
    """FEEL comparison of a (converted) variable value with a literal, where certain."""
    left_kind, right_kind = _kind(left), _kind(right)
    if operator in ("=", "!="):
        if left_kind == "null" or right_kind == "null":
            equal = left_kind == right_kind
        elif left_kind == "number" and right_kind == "number":
            equal = float(left) == float(right)  # V8 compares doubles
        elif left_kind == right_kind:
            equal = left == right
        else:
            raise _UNHANDLED  # feelin: null (not comparable)
        return equal if operator == "=" else not equal
    if left_kind != "number" or right_kind != "number":
        raise _UNHANDLED
    a, b = float(left), float(right)
    if operator == "<":
        return a < b
    if operator == "<=":
        return a <= b
    if operator == ">":
        return a > b
    return a >= b


def _split_comparison(text: str) -> tuple[str, str, str] | None:
    """`text` as (path, operator, literal) if it has the shape ``path <op> literal``, else None."""
    for index, char in enumerate(text):
        if char in "=!<>":
            for operator in _OPERATORS:
                if text.startswith(operator, index):
                    return (
                        text[:index].rstrip(_BLANKS),
                        operator,
                        text[index + len(operator) :].lstrip(_BLANKS),
                    )
            return None
        if char == '"':
            return None
    return None


# The shape of an expression depends on its text only: a literal's value, a path's names, a comparison's
# parts. It is worked out once per text (a bounded cache); only the variables are read per evaluation.
# ("literal", its FeelResult, -, -) | ("path", names, -, -) | ("compare", names, operator, literal value)
_Shape = tuple[str, Any, Any, Any]
_SHAPES: dict[str, _Shape | None] = {}
_MAX_SHAPES: Final = 4096


def _shape(expression: str) -> _Shape | None:
    text = expression.strip(_EDGE_BLANKS)
    if not text:
        return None
    try:
        first = text[0]
        if first in '"-' or first.isdigit():
            return ("literal", FeelResult(_literal(text), ()), None, None)
        if text in _LITERALS:
            return ("literal", FeelResult(_LITERALS[text], ()), None, None)
        comparison = _split_comparison(text)
        if comparison is None:
            return ("path", _segments(text), None, None)
        path, operator, literal = comparison
        return ("compare", _segments(path), operator, _literal(literal))
    except _UnhandledError:
        return None


def fast_evaluate(expression: str, context: Mapping[str, Any]) -> FeelResult | None:
    """feelin's result for `expression` if it is one of the trivial forms above, else None."""
    try:
        shape = _SHAPES[expression]
    except KeyError:
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        shape = _SHAPES[expression] = _shape(expression)
    if shape is None:
        return None
    form, first, operator, literal = shape
    if form == "literal":
        literal_result: FeelResult = first  # the one (frozen) result of this literal: its value is immutable too
        return literal_result
    try:
        if form == "path":
            value = _value(_walk(first, context))
        else:
            value = _compare(_value(_walk(first, context)), operator, literal)
    except _UnhandledError:
        return None
    return FeelResult(value, ())
