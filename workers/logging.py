"""Structured logging for the workers: structlog, rendered as JSON or for the console, with personal data redacted.

`configure_logging()` is called once, in the service's entry point. Every record – the workers' structlog events
and the standard-library records of pyzeebe, aiohttp, SQLAlchemy or Alembic – goes through `redact`, which
hides values of keys that look like secrets (password, token, secret, …) and, inside any string, NIK-like
16-digit numbers (masked `6471**********01`), NIP-like 18-digit numbers, e-mail addresses (`***@domain`),
Indonesian mobile numbers, `token=`/`Bearer` credentials and the `?t=` tokens of the e-mails' links. Log request
numbers, not people.
"""

import logging
import re
import sys
import traceback
from collections.abc import Mapping
from typing import Any, Literal, TextIO

import structlog
from structlog.types import EventDict, ExcInfo, Processor, WrappedLogger

from workers.validation import mask_nik

REDACTED = "[disembunyikan]"

_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|kata_?sandi|sandi|token|secret|rahasia|otp|authori[sz]ation|api[_-]?key|credential|cookie",
    re.IGNORECASE,
)
_PROVINCE = r"(?:1[1-9]|21|3[1-6]|5[1-3]|6[1-5]|7[1-6]|8[12]|9[1-7])"
# A NIK starts with a real province code: Zeebe keys (2251799813685249, 4503599627370496…) do not, so they survive.
_NIK = re.compile(rf"(?<![\d*])({_PROVINCE}(?:[ .-]?\d){{14}})(?!\d)")
_NIP = re.compile(r"(?<!\d)(?:19|20)\d{6}[ ]?\d{6}[ ]?\d[ ]?\d{3}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_PHONE = re.compile(r"(?<![\w+])(?:\+62[ .-]?|62|0)8\d(?:[ .-]?\d){6,11}(?!\d)")
_INLINE_SECRET = re.compile(
    r"(?i)\b(password|passwd|token|secret|kata_?sandi|api[_-]?key)([\"']?\s*[=:]\s*[\"']?)([^\s&,;\"']+)"
)
_LINK_TOKEN = re.compile(r"([?&]t=)([^\s&#\"'<>]+)")
_NON_DIGIT = re.compile(r"\D")
_AUTH_HEADER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")


def redact_text(text: str) -> str:
    """Hide NIK-, NIP-, e-mail- and phone-like substrings and inline credentials in free text."""
    text = _INLINE_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _LINK_TOKEN.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _EMAIL.sub(lambda m: f"***@{m.group(1)}", text)
    text = _NIK.sub(lambda m: mask_nik(_NON_DIGIT.sub("", m.group(1))), text)
    text = _NIP.sub("[NIP]", text)
    return _PHONE.sub("[nomor telepon]", text)


def redact_value(value: Any) -> Any:
    """Redact a log value recursively: strings by `redact_text`, mappings by key and value, sequences item by item."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        text = str(value)
        redacted = redact_text(text)
        return value if redacted == text else redacted
    if isinstance(value, Mapping):
        return {key: REDACTED if _is_secret_key(key) else redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bita>"
    return redact_text(repr(value))


def redact(_logger: WrappedLogger, _method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: redact every value of the event and drop values of secret-looking keys."""
    for key, value in list(event_dict.items()):
        if key.startswith("_") or key in _PASS_THROUGH:
            continue
        event_dict[key] = REDACTED if _is_secret_key(key) else redact_value(value)
    return event_dict


_PASS_THROUGH = frozenset({"exc_info", "stack_info", "level", "logger", "timestamp"})


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None


def _redacting_traceback(sio: TextIO, exc_info: ExcInfo) -> None:
    """Exception formatter for the console renderer: a plain traceback, redacted."""
    sio.write("\n" + redact_text("".join(traceback.format_exception(*exc_info))))


def configure_logging(
    level: str = "INFO", fmt: Literal["json", "console"] = "console", stream: TextIO | None = None
) -> None:
    """Route structlog and standard logging through one redacting handler on `stream` (default stderr)."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Processor
    if fmt == "json":
        final: list[Processor] = [structlog.processors.format_exc_info, redact]
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False, default=str)
    else:
        final = [redact]
        renderer = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=_redacting_traceback)
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Alembic narrates every migration step at INFO in English; the store logs the upgrade itself, once
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))


_HANDLER_NAME = "pbj-workers"


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structlog logger; bind `nomor=` (the request number), never personal data."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
