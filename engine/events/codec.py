"""Plain JSON for what the log and the snapshots hold: datetimes as microseconds since the epoch (with their zone
when it is not UTC), bytes as base64 text. Everything else the state holds is JSON already (variables are JSON
documents; keys, ids, names and numbers)."""

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

Instant = int | list[Any]


def encode_instant(moment: datetime) -> Instant:
    """UTC: the microseconds; another zone: [microseconds, zone name] or [microseconds, offset in seconds]."""
    micros = (moment - _EPOCH) // _MICROSECOND
    zone = moment.tzinfo
    if zone is UTC:
        return micros
    name = getattr(zone, "key", None)
    if isinstance(name, str) and name:
        return [micros, name]
    offset = moment.utcoffset()
    assert offset is not None, "the engine's datetimes are aware"
    return [micros, int(offset.total_seconds())]


def decode_instant(code: Instant) -> datetime:
    if isinstance(code, int):
        return _EPOCH + code * _MICROSECOND
    micros, zone = code
    moment: datetime = _EPOCH + int(micros) * _MICROSECOND
    if isinstance(zone, str):
        try:
            return moment.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            return moment
    return moment.astimezone(timezone(timedelta(seconds=zone)))


def encode_optional(moment: datetime | None) -> Instant | None:
    return None if moment is None else encode_instant(moment)


def decode_optional(code: Instant | None) -> datetime | None:
    return None if code is None else decode_instant(code)


def encode_bytes(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode_bytes(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


# made once (json.dumps with these options would make a new encoder for every entry)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def loads(text: str | bytes) -> Any:
    return json.loads(text)
