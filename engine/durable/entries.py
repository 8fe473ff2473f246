"""A command's log entry as bytes: the JSON object {"c": name, "t": instant, "k": last key, "e": events, "a": the
command's arguments, "q": steps left for later} (engine/durable/engine.py), encoded once per command.

The entry is encoded by orjson (several times faster than the standard library's encoder) whenever that gives the
same JSON values as the standard encoder with the options the log has always been written with (compact,
non-ASCII as UTF-8, NaN and the infinities refused, a mapping written as an object); otherwise by that standard
encoder, which then decides exactly as before. The two differ only in
- what orjson cannot write (an integer beyond 64 bits, a key that is not a string, nesting past 254 levels, a lone
  surrogate, a type neither knows): it raises, and the standard encoder takes the entry;
- NaN and ±Infinity, which orjson writes as `null` where the standard encoder refuses them: every `null` of orjson's
  output is counted against the None values the entry is known to hold at the top level of its arguments and of its
  events; one more (a NaN, an infinity, a None inside a document, or the text "null" in a string) and the standard
  encoder takes the entry;
- the spelling of some floats (1e-7 for 1e-07): the same number, read back as the same float.
So the log's format and the values a recovery reads back are unchanged, and a value the log cannot hold still makes
the command fail as it did."""

import json
from collections.abc import Mapping
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_NULL = b"null"


def plain(value: Any) -> Any:
    """What a value of no JSON type is written as: a mapping (a read-only view of variables) as an object."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# made once (json.dumps with these options would make a new encoder for every entry)
_STANDARD = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=plain)


def encode_standard(entry: dict[str, Any]) -> bytes:
    """The entry by the standard library's encoder (raises ValueError for NaN or an infinity, TypeError for a value
    of no JSON type)."""
    return _STANDARD.encode(entry).encode()


def encode(entry: dict[str, Any], top_level_nones: int) -> bytes:
    """The entry's bytes; `top_level_nones`: how many of its arguments are None (its events' are counted here when
    its output holds more nulls)."""
    try:
        data = orjson.dumps(entry, default=plain, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return encode_standard(entry)
    nulls = data.count(_NULL)
    if nulls != top_level_nones and nulls != top_level_nones + sum(event.count(None) for event in entry["e"]):
        return encode_standard(entry)
    return data
