"""A Camunda form (form-js schema, as `GET /v2/user-tasks/{key}/form` returns it) read and checked on the command
line the way Tasklist renders and validates it.

Input fields have a `key`; a field whose `conditional.hide` FEEL expression is true for the values given is not
shown, so it is neither required nor submitted (as in Tasklist). Visible fields are checked for `required`,
`minLength`/`maxLength`, `pattern` and, for radio, select and checklist fields, the offered values. Text fields with a
`conditional.hide` that are visible for the given values are the form's warnings (e.g. "not every checklist item
is ticked"). FEEL is the engine's own evaluator (bpmn.io feelin, as form-js uses).
"""

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.feel.api import FeelError
from engine.feel.evaluator import FeelinEvaluator
from pbj.commands.errors import CommandError

INPUT_TYPES = frozenset(
    {"textfield", "textarea", "number", "checkbox", "checklist", "radio", "select", "taglist", "datetime"}
)
CHOICE_TYPES = frozenset({"radio", "select"})
MULTI_TYPES = frozenset({"checklist", "taglist"})
_INTERPOLATION = re.compile(r"\{\{\s*([A-Za-z_]\w*(?:\.\w+)*)\s*\}\}")
_MARKDOWN = re.compile(r"[*_#`]+")


@dataclass(frozen=True)
class Field:
    """An input field of the form."""

    key: str
    type: str
    label: str
    required: bool
    readonly: bool
    options: tuple[tuple[str, str], ...]
    min_length: int | None
    max_length: int | None
    pattern: str | None
    hide: str | None
    description: str | None


@dataclass(frozen=True)
class Form:
    """A form's id and its components, flattened (groups included)."""

    form_id: str
    components: tuple[dict[str, Any], ...]

    @classmethod
    def from_rest(cls, answer: Mapping[str, Any]) -> "Form":
        """The form of `GET /v2/user-tasks/{key}/form` (its `schema` is a JSON string or an object)."""
        schema = answer.get("schema")
        if isinstance(schema, str):
            schema = json.loads(schema)
        if not isinstance(schema, dict):
            raise CommandError("Formulir tugas tidak dapat dibaca: skemanya bukan objek JSON.")
        return cls(str(answer.get("formId") or schema.get("id") or ""), tuple(_flatten(schema.get("components") or [])))

    def fields(self) -> list[Field]:
        """The input fields, in the form's order (read-only fields included, flagged)."""
        found = []
        for c in self.components:
            if c.get("type") not in INPUT_TYPES or not c.get("key"):
                continue
            validate = c.get("validate") or {}
            values = c.get("values") or []
            found.append(
                Field(
                    key=str(c["key"]),
                    type=str(c["type"]),
                    label=str(c.get("label") or c["key"]),
                    required=bool(validate.get("required")),
                    readonly=bool(c.get("readonly")) or bool(c.get("disabled")),
                    options=tuple((str(v.get("value")), str(v.get("label") or v.get("value"))) for v in values),
                    min_length=validate.get("minLength"),
                    max_length=validate.get("maxLength"),
                    pattern=validate.get("pattern"),
                    hide=(c.get("conditional") or {}).get("hide"),
                    description=c.get("description"),
                )
            )
        return found

    def inputs(self) -> list[Field]:
        """The fields a person fills in."""
        return [f for f in self.fields() if not f.readonly]

    def shown_values(self) -> list[tuple[str, str]]:
        """What the form shows of the process data: read-only fields and the variables its texts interpolate."""
        paths = [f.key for f in self.fields() if f.readonly]
        for c in self.components:
            if c.get("type") == "text":
                paths.extend(p for p in _INTERPOLATION.findall(str(c.get("text") or "")) if p not in paths)
        labels = {f.key: f.label for f in self.fields()}
        return [(path, labels.get(path, path)) for path in paths]


class FormCheck:
    """Checks values against a form with FEEL conditions evaluated against the task's variables."""

    def __init__(self, form: Form, variables: Mapping[str, Any]) -> None:
        self.form = form
        self.variables = dict(variables)
        self._feel: FeelinEvaluator | None = None

    def close(self) -> None:
        """Stop the FEEL evaluator."""
        if self._feel is not None:
            self._feel.close()

    def _hidden(self, expression: str | None, values: Mapping[str, Any]) -> bool:
        if not expression:
            return False
        if self._feel is None:
            self._feel = FeelinEvaluator()
        text = expression.strip()
        try:
            result = self._feel.evaluate(
                text[1:] if text.startswith("=") else text, {**self.variables, **values}, datetime.now(UTC)
            )
        except FeelError as exc:
            raise CommandError(f"Kondisi formulir tidak dapat dievaluasi: {exc}") from None
        return result.value is True

    def check(self, values: Mapping[str, Any], options: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
        """The variables to complete the task with and the form's warnings; `CommandError` listing every problem.

        `options` names the command-line option of each key, for the messages.
        """
        inputs = {f.key: f for f in self.form.inputs()}
        unknown = [key for key in values if key not in inputs]
        if unknown:
            names = ", ".join(options.get(key, key) for key in unknown)
            raise CommandError(f"Formulir {self.form.form_id} tidak memiliki isian {names}.")
        problems: list[str] = []
        result: dict[str, Any] = {}
        for field in inputs.values():
            name = f"“{field.label}” ({options.get(field.key, field.key)})"
            value = values.get(field.key)
            if self._hidden(field.hide, values):
                if value not in (None, "", []):
                    problems.append(f"Isian {name} tidak ditampilkan untuk jawaban ini; hapus isian tersebut.")
                continue
            if value in (None, "", []):
                if field.required:
                    problems.append(f"Isian {name} wajib diisi.")
                elif field.type in MULTI_TYPES:
                    result[field.key] = []
                continue
            problems.extend(_problems(field, name, value))
            result[field.key] = value
        if problems:
            raise CommandError("Isian formulir belum benar – " + " ".join(problems))
        return result, self._warnings({**values, **result})

    def _warnings(self, values: Mapping[str, Any]) -> list[str]:
        return [
            _plain(str(c.get("text") or ""))
            for c in self.form.components
            if c.get("type") == "text"
            and (c.get("conditional") or {}).get("hide")
            and not self._hidden((c.get("conditional") or {}).get("hide"), values)
        ]


def _problems(field: Field, name: str, value: Any) -> Iterator[str]:
    offered = [option for option, _ in field.options]
    if field.type in CHOICE_TYPES and offered and value not in offered:
        yield f"Nilai {value!r} untuk {name} tidak dikenal; pilih salah satu dari: {', '.join(offered)}."
    if field.type in MULTI_TYPES:
        wrong = [item for item in value if offered and item not in offered]
        if wrong:
            yield f"Nilai {', '.join(map(repr, wrong))} untuk {name} tidak dikenal; pilihan: {', '.join(offered)}."
    if isinstance(value, str):
        if field.min_length is not None and len(value) < field.min_length:
            yield f"Isian {name} sekurang-kurangnya {field.min_length} karakter."
        if field.max_length is not None and len(value) > field.max_length:
            yield f"Isian {name} paling panjang {field.max_length} karakter."
        if field.pattern and re.fullmatch(field.pattern, value) is None:
            yield f"Isian {name} tidak sesuai format yang diminta."


def _flatten(components: list[Any]) -> Iterator[dict[str, Any]]:
    for component in components:
        if isinstance(component, dict):
            yield component
            yield from _flatten(component.get("components") or [])


def _plain(markdown: str) -> str:
    """A form text as one plain line: markdown marks removed, whitespace collapsed."""
    return " ".join(_MARKDOWN.sub("", markdown).split())
