"""The variables documents clients send (JSON objects), read strictly."""

from typing import Any

from engine import json_documents
from engine.errors import InvalidArgumentError


def parse_variables(document: str, what: str = "variables") -> dict[str, Any]:
    """A JSON object document as sent by clients; empty means no variables."""
    if not document or not document.strip():
        return {}
    try:
        value = json_documents.loads(document)
    except json_documents.JsonDocumentError as exc:
        raise InvalidArgumentError(
            f"Property '{what}' is invalid: expected a JSON document, but it could not be parsed: {exc}"
        ) from None
    if not isinstance(value, dict):
        raise InvalidArgumentError(
            f"Property '{what}' is invalid: expected the document to be a root level object, "
            f"but was '{type(value).__name__}'"
        )
    return value
