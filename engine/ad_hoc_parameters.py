"""The parameters of an ad-hoc sub-process's activity, as Zeebe 8.8 describes them in the variable
adHocSubProcessElements for an AI agent: each `fromAi(...)` call in the activity's input mappings names one –
`fromAi(toolCall.url, "The URL", "string")` or with named arguments `fromAi(value: toolCall.url, description: …,
type: …, schema: …, options: …)`. The value must be a reference (its last name is the parameter's name), the
description and type strings, the schema and options contexts – all constants, read here without running FEEL."""

import re
from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_ARGUMENTS = ("value", "description", "type", "schema", "options")


class ParameterError(ValueError):
    """A fromAi() call whose arguments Zeebe refuses (the message is Zeebe's reason)."""


def from_ai_parameters(expression: str) -> list[dict[str, Any]]:
    """The parameters the fromAi() calls of a FEEL expression (without "=") describe, in order, empty fields left
    out (Zeebe's AdHocActivityParameter)."""
    found: list[dict[str, Any]] = []
    for start in _calls(expression):
        arguments = _arguments(expression, start)
        found.append(_parameter(arguments))
    return found


def _calls(text: str) -> list[int]:
    """Where the argument lists of the fromAi calls begin (the index after "("), outside string literals."""
    starts: list[int] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            i = _string_end(text, i)
            continue
        match = _NAME.match(text, i)
        if match is None:
            i += 1
            continue
        end = match.end()
        if match.group() == "fromAi" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.")):
            rest = end
            while rest < n and text[rest].isspace():
                rest += 1
            if rest < n and text[rest] == "(":
                starts.append(rest + 1)
        i = end
    return starts


def _string_end(text: str, start: int) -> int:
    """The index after the string literal starting at `start`."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    raise ParameterError("Expected fromAi() arguments, but a string is not closed.")


def _arguments(text: str, start: int) -> list[str]:
    """The argument texts of the call whose list begins at `start`, split at its own commas."""
    arguments: list[str] = []
    depth, i, begin = 0, start, start
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _string_end(text, i)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                arguments.append(text[begin:i].strip())
                return [] if arguments == [""] else arguments
            depth -= 1
        elif char == "," and depth == 0:
            arguments.append(text[begin:i].strip())
            begin = i + 1
        i += 1
    raise ParameterError("Expected fromAi() arguments, but the call is not closed.")


def _parameter(arguments: list[str]) -> dict[str, Any]:
    named: dict[str, str] = {}
    for index, argument in enumerate(arguments):
        match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*:(?!:)", argument)
        if match is not None and match.group(1) in _ARGUMENTS:
            named[match.group(1)] = argument[match.end() :].strip()
        elif index < len(_ARGUMENTS):
            named[_ARGUMENTS[index]] = argument
    value = named.get("value")
    if value is None or not _REFERENCE.fullmatch(value):
        received = f"string '{_constant(value)}'" if value and value.startswith('"') else repr(value)
        raise ParameterError(
            "Expected fromAi() parameter 'value' to be a reference (e.g. 'toolCall.customParameter'), but received "
            f"{received}."
        )
    parameter: dict[str, Any] = {"name": value.split(".")[-1].strip()}
    for name, kind in (("description", str), ("type", str), ("schema", dict), ("options", dict)):
        text = named.get(name)
        if text is None:
            continue
        constant = _constant(text)
        if not isinstance(constant, kind):
            what = "a string" if kind is str else "a context (map)"
            raise ParameterError(f"Expected fromAi() parameter '{name}' to be {what}, but received '{text}'.")
        if constant:
            parameter[name] = constant
    return parameter


def _constant(text: str) -> Any:
    """A FEEL constant (string, number, boolean, null, list, context) as JSON data; ParameterError otherwise."""
    value, end = _read(text.strip(), 0)
    if text.strip()[end:].strip():
        raise ParameterError(f"Expected a constant in fromAi(), but received '{text}'.")
    return value


def _read(text: str, i: int) -> tuple[Any, int]:
    i = _skip(text, i)
    if i >= len(text):
        raise ParameterError("Expected a constant in fromAi(), but it is missing.")
    char = text[i]
    if char == '"':
        end = _string_end(text, i)
        return _unescape(text[i + 1 : end - 1]), end
    if char == "[":
        items: list[Any] = []
        i = _skip(text, i + 1)
        while i < len(text) and text[i] != "]":
            item, i = _read(text, i)
            items.append(item)
            i = _skip(text, i)
            if i < len(text) and text[i] == ",":
                i += 1
        return items, i + 1
    if char == "{":
        entries: dict[str, Any] = {}
        i = _skip(text, i + 1)
        while i < len(text) and text[i] != "}":
            if text[i] == '"':
                end = _string_end(text, i)
                key, i = _unescape(text[i + 1 : end - 1]), end
            else:
                match = _NAME.match(text, i)
                if match is None:
                    raise ParameterError(f"Expected a context key in fromAi(), but received '{text}'.")
                key, i = match.group(), match.end()
            i = _skip(text, i)
            if i >= len(text) or text[i] != ":":
                raise ParameterError(f"Expected a context entry in fromAi(), but received '{text}'.")
            entries[key], i = _read(text, i + 1)
            i = _skip(text, i)
            if i < len(text) and text[i] == ",":
                i += 1
            i = _skip(text, i)
        return entries, i + 1
    number = _NUMBER.match(text, i)
    if number is not None:
        literal = number.group()
        return (float(literal) if "." in literal else int(literal)), number.end()
    for word, value in (("true", True), ("false", False), ("null", None)):
        if text.startswith(word, i) and not text[i + len(word) : i + len(word) + 1].isalnum():
            return value, i + len(word)
    raise ParameterError(f"Expected a constant in fromAi(), but received '{text}'.")


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _unescape(body: str) -> str:
    escapes = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "'": "'"}
    out: list[str] = []
    i = 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], "\\" + body[i + 1]))
            i += 2
            continue
        out.append(body[i])
        i += 1
    return "".join(out)
