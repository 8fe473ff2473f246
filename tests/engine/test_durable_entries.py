"""The durable engine's log entries (engine/durable/entries.py): whichever encoder writes an entry, a recovery reads
back the values the standard library's encoder would have written, and a value the log cannot hold (NaN, an
infinity, a type JSON has not) still fails the command as it did."""

import json
import math
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.durable import entries
from engine.durable.snapshot import chunk_bytes, decode_chunk, encode_chunk
from engine.events.codec import dumps

KEY = 2251799813685251


def _entry(events: list[list[Any]], args: tuple[Any, ...] = ()) -> dict[str, Any]:
    entry: dict[str, Any] = {"c": "complete_job", "t": 1796657422240285, "k": KEY + 9, "e": events}
    if args:
        entry["a"] = args
    return entry


def _outcome(encode: Any, entry: dict[str, Any]) -> Any:
    """What a recovery reads back from the entry, or the kind of error writing it raised."""
    try:
        return json.loads(encode(entry))
    except (TypeError, ValueError) as exc:
        return type(exc)


def _fast(entry: dict[str, Any]) -> bytes:
    return entries.encode(entry, entry.get("a", ()).count(None))


def test_a_completion_is_written_by_the_fast_encoder_as_the_standard_one_writes_it() -> None:
    entry = _entry(
        [[32, KEY + 4, {"task": 1, "nilai": 0.1, "catatan": "Berkas lengkap – café"}], [3, KEY + 3], [4, KEY + 3]],
        (KEY + 4, {"task": 1}),
    )
    assert _fast(entry) == entries.encode_standard(entry)


@pytest.mark.parametrize(
    "variables",
    [
        {"nilai": math.nan},
        {"nilai": math.inf},
        {"daftar": [1.5, -math.inf]},
        {"dalam": {"nilai": math.nan}, "kosong": None},
    ],
    ids=["nan", "infinity", "nested-infinity", "nan-beside-a-null"],
)
def test_nan_and_the_infinities_are_refused_as_before_wherever_they_are(variables: dict[str, Any]) -> None:
    """orjson would write them as null: the entry goes to the standard encoder, which refuses them."""
    in_args = _entry([[32, KEY + 4, {}]], (KEY + 4, variables, None))
    in_events = _entry([[10, KEY, "nilai", variables, KEY + 5], [2, KEY + 6, None]], (KEY + 4, None))
    for entry in (in_args, in_events):
        with pytest.raises(ValueError, match="Out of range float"):
            _fast(entry)


def test_nulls_where_the_entry_holds_none_are_written_by_either_encoder_with_the_same_values() -> None:
    entry = _entry(
        [[10, KEY, "alasan", None, KEY + 5], [36, KEY + 7, 2, "gagal", None], [13, KEY, {"kosong": None}]],
        ("benchPlain", -1, 0, None, None, {"teks": "null", "x": None}),
    )
    assert json.loads(_fast(entry)) == json.loads(entries.encode_standard(entry))


def test_what_orjson_cannot_write_goes_to_the_standard_encoder() -> None:
    big = _entry([[10, KEY, "besar", 2**80, KEY + 5]])
    assert json.loads(_fast(big))["e"][0][3] == 2**80
    int_keys = _entry([[32, KEY + 4, {1: "satu"}]])
    assert json.loads(_fast(int_keys))["e"][0][2] == {"1": "satu"}
    view = _entry([[32, KEY + 4, {}]], (KEY + 4, MappingProxyType({"task": 1})))
    assert json.loads(_fast(view))["a"] == [KEY + 4, {"task": 1}]
    with pytest.raises(TypeError, match="not JSON serializable"):
        _fast(_entry([[32, KEY + 4, {"x": {1, 2}}]]))
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate: no UTF-8 for it
        _fast(_entry([[32, KEY + 4, {"x": "\ud800"}]]))


def test_floats_read_back_as_the_same_numbers() -> None:
    values = [1e-7, 1e16, 0.1, -0.0, 5e-324, 1.7976931348623157e308, 123456789.123456789]
    entry = _entry([[10, KEY, "angka", values, KEY + 5]])
    assert json.loads(_fast(entry))["e"][0][3] == values


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["null", "NaN", "nullable"]),
)
_documents = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(0, 9)), children, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(st.lists(_documents, min_size=1, max_size=5), max_size=4),
    args=st.lists(_documents, max_size=4),
)
def test_any_entry_reads_back_as_the_standard_encoder_wrote_it_or_fails_the_same_way(
    events: list[list[Any]], args: list[Any]
) -> None:
    entry = _entry([[1, KEY, *event] for event in events], tuple(args))
    assert _outcome(_fast, entry) == _outcome(entries.encode_standard, entry)


def test_a_history_chunk_is_stored_as_the_standard_encoder_writes_it_and_read_back_the_same() -> None:
    """A sealed history chunk of a snapshot (engine/durable/snapshot.py `chunk_bytes`): the same bytes as the standard
    encoder's – also for a non-ASCII element id, a timestamp with a zone and a key past 64 bits – and decoded to
    the very fields it was made of."""
    chunk = (
        1, "PROCESS_INSTANCE", "ELEMENT_ACTIVATED", KEY, datetime(2026, 3, 2, 1, 0, tzinfo=UTC), KEY - 1,
        "Periksa_Berkas_é", "USER_TASK", None,
        2, "JOB", "CREATED", 2**70, datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Makassar")), None, None, None,
        None,
    )  # fmt: skip
    for fields in (chunk[:9], chunk):
        data = chunk_bytes(fields)
        assert data == dumps(encode_chunk(fields)).encode()
        assert decode_chunk(json.loads(data)) == fields
