"""What every REST handler shares: reading a request (JSON bodies strictly, keys, typed properties) and answering
(JSON, RFC 9457 problem details), and the mapping of engine errors to HTTP statuses as Camunda 8.8 maps its
rejections."""

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from engine import json_documents
from engine.errors import (
    AlreadyExistsError,
    DeadlineExceededError,
    EngineError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    UnimplementedError,
)

TENANT = "<default>"
MAX_BODY_BYTES = 4 * 1024 * 1024
"""The largest request body: Camunda's default (4 MB, its gateway's maxMessageSize and multipart limit)."""


class ForbiddenError(EngineError):
    """The request is valid but this engine does not allow it (the clock of an engine not in test mode)."""


class UnauthorizedError(EngineError):
    """The request carries no valid credentials."""


class UnsupportedMediaTypeError(EngineError):
    """A state-changing request whose body is neither JSON nor multipart."""


class PayloadTooLargeError(EngineError):
    """A request body over MAX_BODY_BYTES."""


# engine errors as Camunda's REST gateway answers the matching rejections (RestErrorMapper)
_STATUS: list[tuple[type[EngineError], int, str]] = [
    (InvalidArgumentError, 400, "INVALID_ARGUMENT"),
    (UnauthorizedError, 401, "UNAUTHORIZED"),
    (ForbiddenError, 403, "FORBIDDEN"),
    (NotFoundError, 404, "NOT_FOUND"),
    (FailedPreconditionError, 409, "INVALID_STATE"),
    (AlreadyExistsError, 409, "ALREADY_EXISTS"),
    (PayloadTooLargeError, 413, "PAYLOAD_TOO_LARGE"),
    (UnsupportedMediaTypeError, 415, "UNSUPPORTED_MEDIA_TYPE"),
    (ResourceExhaustedError, 503, "RESOURCE_EXHAUSTED"),
    (DeadlineExceededError, 504, "DEADLINE_EXCEEDED"),
    (UnimplementedError, 400, "NOT_SUPPORTED"),
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def status_of(exc: EngineError) -> tuple[int, str]:
    for cls, status, title in _STATUS:
        if isinstance(exc, cls):
            return status, title
    return 500, "INTERNAL_ERROR"


def problem(
    status: int, title: str, detail: str, instance: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """An RFC 9457 problem answer, as Camunda gives one for every error."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance}
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/problem+json",
        headers=headers,
    )


def answer(body: Any, status: int = 200) -> web.Response:
    """A JSON answer."""
    return web.Response(text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


def no_content() -> web.Response:
    return web.Response(status=204)


# ---------------------------------------------------------------------- reading requests
async def raw_body(request: web.Request) -> bytes:
    """The body's bytes, at most MAX_BODY_BYTES (a larger one is a 413 problem)."""
    if not request.can_read_body:
        return b""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"The request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLargeError(f"The request body is larger than {MAX_BODY_BYTES} bytes") from None


async def json_body(request: web.Request) -> dict[str, Any]:
    """The JSON object of the body ({} when there is none); UTF-8 only, as JSON is (RFC 8259)."""
    data = await raw_body(request)
    if not data.strip():
        return {}
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise InvalidArgumentError(f"The request body's charset is '{charset}', but JSON is read as UTF-8 only")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgumentError(f"The request body is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json_documents.loads(text)
    except json_documents.JsonDocumentError as exc:
        raise InvalidArgumentError(f"The request body is not valid JSON: {exc}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidArgumentError("The request body must be a JSON object")
    return value


def path_key(request: web.Request, name: str) -> int:
    """A key from the path: a positive int64 written in digits."""
    return parse_key(request.match_info[name], name)


def parse_key(raw: Any, name: str) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 19:
        value = int(raw)
    else:
        raise InvalidArgumentError(f"The value for {name} is '{raw}' but must be a key (a number, as a string)")
    if not 0 < value < 1 << 63:
        raise InvalidArgumentError(f"The value for {name} is '{raw}' but must be a positive key")
    return value


_INTEGER = re.compile(r"-?[0-9]{1,19}")
_KIND_NAMES = {str: "a string", int: "an integer", dict: "a JSON object", list: "an array", bool: "true or false"}


def optional(body: Mapping[str, Any], name: str, kind: type[Any], default: Any) -> Any:
    """`body[name]` if it is a `kind` (JSON null or absent: `default`), else a 400 naming the property."""
    value = body.get(name)
    if value is None:
        return default
    if kind is int and isinstance(value, str) and _INTEGER.fullmatch(value):
        value = int(value)  # an int64 as a string, as Camunda's clients send them (and Camunda's JSON reader takes)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidArgumentError(f"'{name}' must be {_KIND_NAMES.get(kind, kind.__name__)}, not {value!r}")
    return value


def required(body: Mapping[str, Any], name: str, kind: type[Any]) -> Any:
    """`body[name]`, which must be there and a `kind`."""
    if body.get(name) is None:
        raise InvalidArgumentError(f"No {name} provided: '{name}' is required")
    return optional(body, name, kind, None)


def optional_key(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    return None if value is None else parse_key(value, name)


def tenant(body: Mapping[str, Any]) -> str:
    """The tenant a request names: only the default one, multi-tenancy being disabled (as in Camunda without it)."""
    value = optional(body, "tenantId", str, TENANT)
    if value != TENANT:
        raise InvalidArgumentError(
            f"Expected to handle request for tenant '{value}', but multi-tenancy is disabled: the only tenant is "
            f"'{TENANT}'"
        )
    return str(value)


def variables_of(body: Mapping[str, Any], name: str = "variables") -> dict[str, Any]:
    value: dict[str, Any] = optional(body, name, dict, {})
    return value
