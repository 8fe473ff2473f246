"""The FEEL evaluator: feelin in V8 behind engine.feel, its clock, conversions, cache and fast path."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.errors import EngineError
from engine.feel import (
    FeelBundleMissingError,
    FeelError,
    FeelEvaluator,
    FeelinEvaluator,
    FeelResult,
    UnaryTestsResult,
    default_evaluator,
)
from engine.feel.evaluator import DEFAULT_BUNDLE
from engine.feel.fastpath import fast_evaluate
from engine.feel.off_loop import FeelStillRunning

REPO = Path(__file__).resolve().parents[3]
ENTRY = REPO / "engine" / "feel" / "entry.js"
ESBUILD = [
    "npx", "--no-install", "esbuild", "engine/feel/entry.js", "--bundle", "--format=iife",
    "--platform=neutral", "--target=es2020", "--log-level=warning", f"--outfile={DEFAULT_BUNDLE}",
]  # fmt: skip

NOW = datetime(2024, 1, 31, 10, 15, tzinfo=UTC)

VARIABLES: dict[str, Any] = {
    "nomorPermohonan": "PBJ-2024-001",
    "approved": True,
    "rejected": False,
    "amount": 1500,
    "rate": 0.25,
    "status": "DITOLAK",
    "nothing": None,
    "pemohon": {"nama": "Budi Santoso", "email": "budi@example.id", "alamat": {"kota": "Kupang"}},
    "items": [{"name": "kertas", "price": 1}, {"name": "tinta", "price": 5}, {"name": "map", "price": 7}],
    "tags": ["baru", "mendesak"],
}


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The built FEEL bundle, built here with the Makefile's esbuild command if missing or stale."""
    if not DEFAULT_BUNDLE.is_file() or DEFAULT_BUNDLE.stat().st_mtime < ENTRY.stat().st_mtime:
        if not (REPO / "node_modules" / "feelin").is_dir():
            pytest.fail("node_modules is missing: run `npm ci` (or `make install`) first")
        DEFAULT_BUNDLE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(ESBUILD, cwd=REPO, check=True, timeout=120)
    return DEFAULT_BUNDLE


@pytest.fixture(scope="session")
def feel(bundle: Path) -> Iterator[FeelinEvaluator]:
    """The evaluator as the engine uses it: fast path and cache on."""
    with FeelinEvaluator(bundle) as evaluator:
        yield evaluator


@pytest.fixture(scope="session")
def plain_feel(bundle: Path) -> Iterator[FeelinEvaluator]:
    """The reference: every expression through feelin's own evaluate(), no fast path, no cache."""
    with FeelinEvaluator(bundle, fast_path=False, cache=False) as evaluator:
        yield evaluator


def value_of(feel: FeelEvaluator, expression: str, context: dict[str, Any] | None = None) -> Any:
    result = feel.evaluate(expression, VARIABLES if context is None else context, NOW)
    assert result.warnings == (), result.warnings
    return result.value


def exactly(value: Any) -> str:
    """A spelling of a JSON value that tells 1 from 1.0 and True from 1."""
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4", 2.5),
        ("2 ** 10", 1024),
        ("-(3 - 5)", 2),
        ("amount * rate", 375),
        ("amount / 7", 1500 / 7),
        ("decimal(amount / 7, 2)", 214.29),
        ("floor(2.7) + ceiling(2.1)", 5),
        ("abs(-4) + modulo(10, 3)", 5),
        ("1.0", 1),
        ("sum(items.price) / count(items)", 13 / 3),
    ],
)
def test_arithmetic(feel: FeelinEvaluator, expression: str, expected: Any) -> None:
    """Arithmetic follows FEEL, and integral results come back as int, others as float."""
    value = value_of(feel, expression)
    assert value == expected
    assert type(value) is type(expected)


def test_numbers_are_binary_doubles(feel: FeelinEvaluator) -> None:
    """feelin computes with JavaScript doubles (Zeebe's FEEL has decimals): 0.1 + 0.2 is not 0.3."""
    assert value_of(feel, "0.1 + 0.2") == 0.30000000000000004
    assert value_of(feel, "decimal(0.1 + 0.2, 2)") == 0.3


def test_division_by_zero_is_null(feel: FeelinEvaluator) -> None:
    """Division by zero gives null (no warning), as feelin defines it."""
    assert feel.evaluate("amount / 0", VARIABLES, NOW) == FeelResult(None, ())


def test_non_finite_number_becomes_null_with_warning(feel: FeelinEvaluator) -> None:
    """A result JSON cannot hold (an overflow to infinity) becomes null with an INVALID_NUMBER warning."""
    result = feel.evaluate("10 ** 400", {}, NOW)
    assert result.value is None
    assert [warning.split(":")[0] for warning in result.warnings] == ["INVALID_NUMBER"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("approved", True),
        ("approved = true", True),
        ("approved and not(rejected)", True),
        ('amount > 1000 and status = "DITOLAK"', True),
        ("amount <= 1000 or rejected", False),
        ('status != "DISETUJUI"', True),
        ("amount between 1000 and 2000", True),
        ("amount in [1000..2000]", True),
        ('status in ["DITOLAK", "DIBATALKAN"]', True),
        ('nomorPermohonan = "PBJ-2024-001"', True),
        ('if amount > 1000 then "besar" else "kecil"', "besar"),
        ("nothing = null", True),
        ("nothing != null", False),
        ("true and null", None),
        ("false and null", False),
        ("true or null", True),
        ("some item in items satisfies item.price > 6", True),
        ("every item in items satisfies item.price > 6", False),
        ("amount instance of number", True),
    ],
)
def test_conditions(feel: FeelinEvaluator, expression: str, expected: Any) -> None:
    """Comparisons and FEEL's three-valued boolean logic, as sequence-flow conditions use them."""
    value = value_of(feel, expression)
    if isinstance(expected, bool) or expected is None:
        assert value is expected
    else:
        assert value == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("upper case(status)", "DITOLAK"),
        ('lower case("ABC")', "abc"),
        ('"Nomor: " + nomorPermohonan', "Nomor: PBJ-2024-001"),
        ("substring(pemohon.nama, 6)", "Santoso"),
        ("substring(pemohon.nama, 1, 4)", "Budi"),
        ("string length(pemohon.nama)", 12),
        ('contains(pemohon.email, "@")', True),
        ('starts with(nomorPermohonan, "PBJ-")', True),
        ('ends with(pemohon.email, ".id")', True),
        ('substring before(pemohon.email, "@")', "budi"),
        ('substring after(pemohon.email, "@")', "example.id"),
        ('replace(nomorPermohonan, "-", "/")', "PBJ/2024/001"),
        ('split(nomorPermohonan, "-")', ["PBJ", "2024", "001"]),
        ('string join(tags, ", ")', "baru, mendesak"),
        ('matches(nomorPermohonan, "^PBJ-\\d{4}-\\d{3}$")', True),
        ("string(amount)", "1500"),
        ('number("12.5")', 12.5),
    ],
)
def test_string_functions(feel: FeelinEvaluator, expression: str, expected: Any) -> None:
    """FEEL's built-in string functions work on variables."""
    assert value_of(feel, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("count(items)", 3),
        ("count(items[price > 3])", 2),
        ("items[price > 3].name", ["tinta", "map"]),
        ('items[name = "tinta"].price', [5]),
        ("items[1].name", "kertas"),
        ("items[-1].name", "map"),
        ("items.price", [1, 5, 7]),
        ("sum(items.price)", 13),
        ("max(items.price)", 7),
        ("for item in items return item.price * 2", [2, 10, 14]),
        ('list contains(tags, "baru")', True),
        ('append(tags, "final")', ["baru", "mendesak", "final"]),
        ("distinct values([1, 2, 2, 3])", [1, 2, 3]),
        ("[1, 2, 3][item > 1]", [2, 3]),
        ("count([])", 0),
    ],
)
def test_lists(feel: FeelinEvaluator, expression: str, expected: Any) -> None:
    """List filters, paths through lists, count() and the other list functions."""
    assert value_of(feel, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("pemohon.nama", "Budi Santoso"),
        ("pemohon.alamat.kota", "Kupang"),
        ("pemohon.alamat", {"kota": "Kupang"}),
        ("{a: 1, b: a + 1}", {"a": 1, "b": 2}),
        ("{nama: pemohon.nama, jumlah: amount}", {"nama": "Budi Santoso", "jumlah": 1500}),
        ("{a: {b: [1, {c: null}]}}", {"a": {"b": [1, {"c": None}]}}),
        ('context put(pemohon.alamat, "provinsi", "NTT")', {"kota": "Kupang", "provinsi": "NTT"}),
        ('get value(pemohon, "email")', "budi@example.id"),
        ("get entries({a: 1})", [{"key": "a", "value": 1}]),
        ('{"nomor-surat": 1}', {"nomor-surat": 1}),
    ],
)
def test_contexts(feel: FeelinEvaluator, expression: str, expected: Any) -> None:
    """FEEL contexts are read by path and come back as dicts."""
    assert value_of(feel, expression) == expected


@pytest.mark.parametrize(
    ("expression", "warnings"),
    [
        ("missing", ["NO_VARIABLE_FOUND: Variable 'missing' not found"]),
        ("pemohon.telepon", ["NO_CONTEXT_ENTRY_FOUND: Key 'telepon' not found in '{...}'"]),
        ("nothing.x", ["NO_PROPERTY_FOUND: Property 'x' not found in 'null'"]),
        (
            "missing + 1",
            ["NO_VARIABLE_FOUND: Variable 'missing' not found", "INVALID_TYPE: Can't add '1' to 'null'"],
        ),
        ("nothing + 1", ["INVALID_TYPE: Can't add '1' to 'null'"]),
        ('date("2024-13-01")', ["INVALID_ARGUMENTS: date('\"2024-13-01\"') is not a valid date"]),
        (
            "tidakAda(1)",
            ["NO_VARIABLE_FOUND: Variable 'tidakAda' not found", "NO_FUNCTION_FOUND: Cannot invoke 'null'"],
        ),
    ],
)
def test_failures_are_null_with_warnings(feel: FeelinEvaluator, expression: str, warnings: list[str]) -> None:
    """Missing variables and invalid operations give null plus readable warnings, no exception."""
    assert feel.evaluate(expression, VARIABLES, NOW) == FeelResult(None, tuple(warnings))


def test_null_variable_is_no_warning(feel: FeelinEvaluator) -> None:
    """A variable that exists with the value null is null without a warning; a missing one warns."""
    assert feel.evaluate("nothing", VARIABLES, NOW) == FeelResult(None, ())
    assert feel.evaluate("missing = null", VARIABLES, NOW) == FeelResult(
        True, ("NO_VARIABLE_FOUND: Variable 'missing' not found",)
    )


def test_warnings_belong_to_one_evaluation(feel: FeelinEvaluator) -> None:
    """A cached expression reports only its own evaluation's warnings, and a later context is seen."""
    expression = "jumlahBaru + 1"
    assert feel.evaluate(expression, {}, NOW).warnings
    assert feel.evaluate(expression, {"jumlahBaru": 1}, NOW) == FeelResult(2, ())
    assert feel.evaluate(expression, {"jumlahBaru": 41}, NOW) == FeelResult(42, ())
    assert len(feel.evaluate(expression, {}, NOW).warnings) == 2


JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize(
    ("now", "expected_now", "expected_today"),
    [
        (NOW, "2024-01-31T10:15:00Z", "2024-01-31"),
        (datetime(2031, 12, 31, 23, 59, 59, 250000, tzinfo=UTC), "2031-12-31T23:59:59.25Z", "2031-12-31"),
        (datetime(2024, 1, 31, 20, 0, tzinfo=JAKARTA), "2024-01-31T20:00:00@Asia/Jakarta", "2024-01-31"),
        (
            datetime(2024, 1, 31, 20, 0, tzinfo=UTC).astimezone(JAKARTA),
            "2024-02-01T03:00:00@Asia/Jakarta",
            "2024-02-01",
        ),
        (
            datetime(2024, 1, 31, 7, 0, tzinfo=timezone(timedelta(hours=8))),
            "2024-01-31T07:00:00+08:00",
            "2024-01-31",
        ),
        (datetime(2024, 1, 31, 7, 0, tzinfo=timezone(timedelta(0))), "2024-01-31T07:00:00Z", "2024-01-31"),
    ],
)
def test_now_and_today_follow_the_engine_clock(
    feel: FeelinEvaluator, now: datetime, expected_now: str, expected_today: str
) -> None:
    """now() is the passed instant in its zone (named zones by name, others as offsets), today() its date."""
    assert feel.evaluate("now()", {}, now) == FeelResult(expected_now, ())
    assert feel.evaluate("today()", {}, now) == FeelResult(expected_today, ())


def test_clock_drives_date_logic(feel: FeelinEvaluator) -> None:
    """Deadlines computed from now() and comparisons with it move with the engine clock, not the host's."""
    context = {"batas": "2024-02-01T00:00:00Z"}
    expression = "now() > date and time(batas)"
    assert feel.evaluate(expression, context, NOW).value is False
    assert feel.evaluate(expression, context, NOW + timedelta(days=1)).value is True
    assert value_of(feel, 'now() + duration("PT10M")', {}) == "2024-01-31T10:25:00Z"
    assert value_of(feel, 'today() - date("2024-01-01")', {}) == "P30D"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('date("2024-01-31")', "2024-01-31"),
        ('@"2024-01-31"', "2024-01-31"),
        ('time("10:15:00")', "10:15:00"),
        ('time("10:15:00+07:00")', "10:15:00+07:00"),
        ('date and time("2024-01-31T10:15:00")', "2024-01-31T10:15:00"),
        ('date and time("2024-01-31T10:15:00Z")', "2024-01-31T10:15:00Z"),
        ('date and time("2024-01-31T10:15:00@Asia/Jakarta")', "2024-01-31T10:15:00@Asia/Jakarta"),
        ('duration("PT10M")', "PT10M"),
        ('duration("PT90M")', "PT1H30M"),
        ('duration("P1DT2H")', "P1DT2H"),
        ('duration("P14M")', "P1Y2M"),
        ('date("2024-01-31") + duration("P1M")', "2024-02-29"),
        ('date("2024-01-31") + duration("P2D")', "2024-02-02"),
        ('date("2024-02-01") - date("2024-01-01")', "P31D"),
        ('date and time("2024-01-31T10:15:00Z") - date and time("2024-01-30T08:00:00Z")', "P1DT2H15M"),
        ('date and time("2024-01-31T10:15:00Z") + duration("PT36H")', "2024-02-01T22:15:00Z"),
        ('time("10:15:00") + duration("PT45M")', "11:00:00"),
        ('years and months duration(date("2020-01-01"), date("2021-03-01"))', "P1Y2M"),
        ('duration("P1D") * 3', None),
        (
            '{tanggal: date("2024-01-31"), lama: duration("P3D")}',
            {"tanggal": "2024-01-31", "lama": "P3D"},
        ),
        ('[date("2024-01-31"), time("08:00:00")]', ["2024-01-31", "08:00:00"]),
        ('date("2024-01-31") < date("2024-02-01")', True),
        ('day of week(date("2024-01-31"))', "Wednesday"),
        ('date("2024-01-31").month', 1),
    ],
)
def test_temporal_values_come_back_as_iso_strings(
    feel: FeelinEvaluator,
    expression: str,
    expected: Any,
) -> None:
    """Date, time, date-time and duration arithmetic, converted to ISO 8601 strings as FEEL prints them."""
    result = feel.evaluate(expression, {}, NOW)
    assert result.value == expected


def test_syntax_error_raises_with_expression_and_reason(feel: FeelinEvaluator) -> None:
    """A syntax error raises FeelError (an EngineError) naming the expression and the reason, like Zeebe."""
    with pytest.raises(FeelError) as caught:
        feel.evaluate("x +", VARIABLES, NOW)
    error = caught.value
    assert isinstance(error, EngineError)
    assert str(error) == (
        "failed to evaluate expression 'x +': syntax error at position 3: Incomplete <ArithmeticExpression>"
    )
    assert error.expression == "x +"
    assert error.reason is not None
    assert error.reason.startswith("syntax error")


SYNTAX_ERRORS = ["", "   ", "amount >", "(1 + 2", '"unterminated', "if x then 1", "a b c d ]"]


@pytest.mark.parametrize("expression", SYNTAX_ERRORS)
def test_syntax_errors(feel: FeelinEvaluator, expression: str) -> None:
    """Malformed expressions (empty ones too) raise FeelError instead of giving null."""
    with pytest.raises(FeelError, match=r"^failed to evaluate expression '.*': syntax error"):
        feel.evaluate(expression, VARIABLES, NOW)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("[1..10]", "the result is the FEEL range [1..10], which cannot be stored as a variable"),
        ("> 5", "the result is the FEEL range (5..null), which cannot be stored as a variable"),
        ("function(x) x + 1", "the result is a FEEL function, which cannot be stored as a variable"),
        ("{f: function(x) x}", "the result is a FEEL function, which cannot be stored as a variable"),
        ("[upper case]", "the result is a FEEL function, which cannot be stored as a variable"),
    ],
)
def test_ranges_and_functions_cannot_be_results(feel: FeelinEvaluator, expression: str, reason: str) -> None:
    """Ranges and functions, also nested in lists or contexts, raise FeelError: no variable can hold them."""
    with pytest.raises(FeelError) as caught:
        feel.evaluate(expression, {}, NOW)
    assert caught.value.reason == reason


def test_functions_and_ranges_inside_an_expression_are_fine(feel: FeelinEvaluator) -> None:
    """Functions and ranges used within an expression are fine as long as the result is storable."""
    assert value_of(feel, "{double: function(x) x * 2, r: double(21)}.r", {}) == 42
    assert value_of(feel, "5 in [1..10]", {}) is True


def test_runaway_evaluation_is_stopped(bundle: Path) -> None:
    """An expression that runs past the time limit raises FeelError, and the evaluator stays usable."""
    with FeelinEvaluator(bundle, timeout=0.5) as feel:
        with pytest.raises(FeelError, match=r"took longer than 0\.5 s"):
            feel.evaluate("count(for i in 1..5000000 return i)", {}, NOW)
        assert feel.evaluate("1 + 1", {}, NOW) == FeelResult(2, ())


def test_an_evaluation_past_its_slice_stops_and_runs_to_its_end_off_the_calling_thread(bundle: Path) -> None:
    """`evaluate_within` stops an expression still running after its slice and hands back the evaluation (its
    variables as JSON); `submit` runs it in a second isolate with the full limit, while the first stays usable; a
    time-out there is the FeelError it would have been."""
    with FeelinEvaluator(bundle) as feel:
        assert feel.evaluate_within("a + 1", {"a": 1}, NOW, 0.01) == FeelResult(2, ())
        with pytest.raises(FeelStillRunning) as running:
            feel.evaluate_within("count(for i in 1..b return i)", {"b": 200_000}, NOW, 0.01)
        pending = running.value.pending
        assert (pending.expression, json.loads(pending.variables), pending.now) == (
            "count(for i in 1..b return i)",
            {"b": 200_000},
            NOW,
        )
        result = feel.submit(pending)
        assert feel.evaluate("1 + 1", {}, NOW) == FeelResult(2, ())  # meanwhile, on this thread
        assert result.result(timeout=120) == FeelResult(200_000, ())
    with FeelinEvaluator(bundle, timeout=0.3) as feel:
        with pytest.raises(FeelStillRunning) as too_long:
            feel.evaluate_within("count(for i in 1..50000000 return i)", {}, NOW, 0.01)
        with pytest.raises(FeelError, match=r"took longer than 0\.3 s"):
            feel.submit(too_long.value.pending).result(timeout=120)


def test_the_deploy_check_parses_without_running(feel: FeelinEvaluator) -> None:
    """`check` answers at once for an expression that would run for minutes (it is compiled, not run) and names the
    syntax error of a broken one."""
    assert feel.check("count(for i in 1..1000000000 return i) > 0", NOW) is None
    problem = feel.check("amount >", NOW)
    assert problem is not None and "syntax error" in problem


def test_deep_recursion_is_a_feel_error(feel: FeelinEvaluator) -> None:
    """A JavaScript failure inside feelin (here: stack overflow) raises FeelError, not a V8 exception."""
    with pytest.raises(FeelError, match="Maximum call stack size exceeded"):
        feel.evaluate("{f: function(n) if n = 0 then 0 else f(n - 1)}.f(1000000)", {}, NOW)
    assert value_of(feel, "1 + 1", {}) == 2


@pytest.mark.parametrize(
    "context",
    [{"x": float("nan")}, {"x": datetime(2024, 1, 1)}, {"x": {1, 2}}],
    ids=["nan", "datetime", "set"],
)
def test_non_json_variables_are_a_feel_error(feel: FeelinEvaluator, context: dict[str, Any]) -> None:
    """Variables that are not JSON-compatible raise FeelError when the expression goes to V8."""
    with pytest.raises(FeelError, match="not JSON-compatible"):
        feel.evaluate("x + 1", context, NOW)


def test_naive_now_is_rejected(feel: FeelinEvaluator) -> None:
    """The engine must pass an aware datetime: a naive one is a programming error (ValueError)."""
    with pytest.raises(ValueError, match="timezone-aware"):
        feel.evaluate("1", {}, datetime(2024, 1, 31, 10, 15))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('"Permohonan diterima ✓"', "Permohonan diterima ✓"),
        ('"日本語" + " " + "😀"', "日本語 😀"),
        ('string length("😀é")', 2),
        ('upper case("straße")', "STRASSE"),
        ('substring("😀abc", 2)', "abc"),
        ("catatan", "Sudah diperiksa — ✓ 👍"),
        ('catatan = "Sudah diperiksa — ✓ 👍"', True),
        ('contains(catatan, "👍")', True),
        ("kota", "Kupang"),
        ('{"kunci—unik": catatan}', {"kunci—unik": "Sudah diperiksa — ✓ 👍"}),
        ('"\\u00e9"', "é"),
        ('"a\\"b"', 'a"b'),
    ],
)
def test_unicode(feel: FeelinEvaluator, expression: str, expected: Any) -> None:
    """Non-ASCII text (and FEEL string escapes) survives the trip into V8 and back unchanged."""
    context = {"catatan": "Sudah diperiksa — ✓ 👍", "kota": "Kupang"}
    assert value_of(feel, expression, context) == expected


def test_unicode_variable_names(feel: FeelinEvaluator) -> None:
    """FEEL names may be non-ASCII; such variables are looked up by feelin."""
    assert value_of(feel, "jumlahBarang * 2", {"jumlahBarang": 4}) == 8
    assert value_of(feel, "café + 1", {"café": 1}) == 2


FAST_CONTEXT: dict[str, Any] = {
    **VARIABLES,
    "big": 2**60,
    "bigFloat": 2.0**60,
    "negZero": -0.0,
    "whole": 3.0,
    "pair": (1, 2.0),
    "list": 3,
    "__proto__": 5,
    "dotted": {"b.c": 1, "b": {"c": 2}},
    "unicode": "Σ ✓ 😀",
}

# (expression, handled by the fast path?)
FAST_PATH_TABLE: list[tuple[str, bool]] = [
    ("nomorPermohonan", True),
    (" nomorPermohonan ", True),
    ("\tamount\n", True),
    ("\r\nstatus\r\n", True),
    ("approved", True),
    ("nothing", True),
    ("items", True),
    ("pemohon", True),
    ("pemohon.nama", True),
    ("pemohon.alamat.kota", True),
    ("pemohon.alamat", True),
    ("big", True),
    ("bigFloat", True),
    ("negZero", True),
    ("whole", True),
    ("pair", True),
    ("unicode", True),
    ("__proto__", True),
    ('""', True),
    ('"DITOLAK"', True),
    ('"Σ ✓ 😀"', True),
    ("\"with 'quotes' and = signs\"", True),
    ("true", True),
    ("false", True),
    ("null", True),
    ("0", True),
    ("42", True),
    ("-7", True),
    ("-0", True),
    ("007", True),
    ("3.0", True),
    ("2.50", True),
    ("123456789012345", True),
    ("0.1", True),
    ("approved = true", True),
    ("approved != true", True),
    ("rejected = false", True),
    ('status = "DITOLAK"', True),
    ('status="DITOLAK"', True),
    ('status != "DITOLAK"', True),
    ('status = "Σ"', True),
    ("amount = 1500", True),
    ("amount = 1500.0", True),
    ("amount != 1500", True),
    ("amount > 1000", True),
    ("amount >= 1500", True),
    ("amount < 1500", True),
    ("amount <= -1", True),
    ("rate < 0.3", True),
    ("nothing = null", True),
    ("nothing != null", True),
    ("amount = null", True),
    ("status != null", True),
    ('pemohon.alamat.kota = "Kupang"', True),
    ("big > 1", True),
    # left to feelin
    ("missing", False),
    ("pemohon.telepon", False),
    ("nothing.x", False),
    ("items.price", False),
    ("dotted.b.c", False),
    ("list", False),
    ("amount + 1", False),
    ('"a\\"b"', False),
    ('"tab\\there"', False),
    ("1234567890123456", False),
    ("1.", False),
    (".5", False),
    ("- 5", False),
    ("status = 1", False),
    ('status > "A"', False),
    ("approved > false", False),
    ('amount = "1500"', False),
    ("items = null", False),
    ("amount == 1500", False),
    ("amount = other", False),
    ("1 = amount", False),
    ("true = approved", False),
    ("not(approved)", False),
    ("\u00a0amount", False),
    ("amount\n= 1500", False),
    ("date", False),
    ("café", False),
]


@pytest.mark.parametrize(("expression", "handled"), FAST_PATH_TABLE)
def test_fast_path_agrees_with_feelin(plain_feel: FeelinEvaluator, expression: str, handled: bool) -> None:
    """The Python fast path answers exactly the forms it should, with exactly feelin's value and type."""
    fast = fast_evaluate(expression, FAST_CONTEXT)
    assert (fast is not None) is handled
    try:
        reference: FeelResult | None = plain_feel.evaluate(expression, FAST_CONTEXT, NOW)
    except FeelError:
        reference = None
    if fast is not None:
        assert reference is not None
        assert exactly(fast.value) == exactly(reference.value)
        assert fast.warnings == reference.warnings


@pytest.mark.parametrize(
    ("expression", "context"),
    [(expression, FAST_CONTEXT) for expression, _ in FAST_PATH_TABLE]
    + [
        ("a-b", {"a": 5, "b": 2}),
        ("a-b", {"a-b": 10, "a": 5, "b": 2}),
        ("a-b", {"a": 5, "b": 2}),
        ("order total * 2", {"order total": 4}),
        ("order total * 2", {"order": 4, "total": 1}),
        ("x.y z", {"x": {"y z": 1}}),
        ("x.y z", {"x": {"y": 1}}),
        ("list", {"list": 1}),
        ("list", {}),
        ("count(items[price > limit])", {"items": [{"price": 1}, {"price": 5}], "limit": 2}),
        ("count(items[price > limit])", {"items": [{"price": 1}, {"price": 5}]}),
        ("items[unit price > 2]", {"items": [{"unit price": 1}, {"unit price": 3}]}),
        ("now()", {}),
        ("{a: 1}.a + n", {"n": 1}),
        ("{a: 1}.a + n", {"n": 2}),
    ],
)
def test_cache_and_fast_path_agree_with_plain_feelin(
    feel: FeelinEvaluator, plain_feel: FeelinEvaluator, expression: str, context: dict[str, Any]
) -> None:
    """The evaluator with cache and fast path gives what feelin's own evaluate() gives, even when the
    same text parses differently because the variables differ (`a-b` with and without an `a-b` key)."""
    outcomes = []
    for evaluator in (feel, plain_feel):
        try:
            result = evaluator.evaluate(expression, context, NOW)
            outcomes.append((exactly(result.value), result.warnings))
        except FeelError as error:
            outcomes.append(("error", (str(error),)))
    assert outcomes[0] == outcomes[1]


def test_cache_is_active_and_bounded(bundle: Path) -> None:
    """The V8 side caches compiled expressions (its self-test passed) and keeps at most 2000 of them."""
    with FeelinEvaluator(bundle, fast_path=False) as feel:
        assert feel.caching_active()
        for number in range(2100):
            assert feel.evaluate(f"n + {number}", {"n": 1}, NOW).value == number + 1
        assert feel.cache_size() == 2000


# ---------------------------------------------------------------------------------------------------- unary tests
UNARY_TESTS: list[tuple[str, Any, bool | None]] = [
    ('"Business"', "Business", True),
    ('"Business","Private"', "Private", True),
    ('not("Business")', "Business", False),
    ("< 10", 9, True),
    ("<= 10", 10, True),
    ("> 10", 10, False),
    ("[1..10]", 10, True),
    ("(1..10)", 10, False),
    ("]1..10]", 1, False),
    ("[1..10), 20", 20, True),
    ("not([1..10])", 11, True),
    ("true", True, True),
    ("false", True, False),
    ("null", None, True),
    ("-", "anything", True),
    ("? > 3 and ? < 30", 15, True),
    ("count(?) > 1", [1, 2], True),
    ("< 10", None, False),  # null compared with a number: no match
]


@pytest.mark.parametrize(("test", "value", "holds"), UNARY_TESTS)
def test_unary_tests_against_an_input_value(feel: FeelinEvaluator, test: str, value: Any, holds: bool | None) -> None:
    """The unary tests of DMN input entries (FEEL's simple positive unary tests, negation, "-", expressions of `?`),
    each run against the input expression's value."""
    result = feel.unary_tests("input", [test], {"input": value}, NOW)

    assert result.outcomes == (holds,)
    assert result.input.value == value


def test_unary_tests_run_together_against_one_input_value(feel: FeelinEvaluator, plain_feel: FeelinEvaluator) -> None:
    """A column of tests in one call: the input expression evaluated once (with and without the cache alike), each
    test against its value, variables of the context usable in the tests."""
    tests = ["< limit", "[limit..limit + 10]", "> limit + 10", '"x"']
    context = {"order": {"amount": 105}, "limit": 100}
    for evaluator in (feel, plain_feel):
        result = evaluator.unary_tests("order.amount", tests, context, NOW)
        assert result == UnaryTestsResult(FeelResult(105, ()), (False, True, False, False))


def test_unary_tests_see_the_input_value_as_feel_has_it(feel: FeelinEvaluator) -> None:
    """A date from the input expression is tested as a date, and reported as its ISO text."""
    result = feel.unary_tests(
        'date(deadline) + duration("P1D")', ['< date("2024-02-01")'], {"deadline": "2024-01-30"}, NOW
    )

    assert result == UnaryTestsResult(FeelResult("2024-01-31", ()), (True,))


def test_unary_tests_read_variables_with_spaces_in_their_names(feel: FeelinEvaluator) -> None:
    result = feel.unary_tests("score", [">= pass mark", "< pass mark"], {"score": 70, "pass mark": 60}, NOW)

    assert result.outcomes == (True, False)


def test_a_failing_unary_test_is_reported_with_its_reason(feel: FeelinEvaluator) -> None:
    """A test that does not parse fails alone, as a FeelError in its outcome; the others are evaluated."""
    result = feel.unary_tests("1", ["[1..", "1"], {}, NOW)

    failed, held = result.outcomes
    assert isinstance(failed, FeelError)
    assert failed.expression == "[1.."
    assert (failed.reason or "").startswith("syntax error")
    assert held is True


def test_a_failing_input_expression_raises(feel: FeelinEvaluator) -> None:
    with pytest.raises(FeelError, match=r"failed to evaluate expression 'x \+'"):
        feel.unary_tests("x +", ["1"], {}, NOW)
    with pytest.raises(FeelError, match="cannot be stored as a variable"):
        feel.unary_tests("[1..2]", ["1"], {}, NOW)


def test_runaway_unary_tests_are_stopped(bundle: Path) -> None:
    """Unary tests that run past the time limit raise FeelError for the column, and the evaluator stays usable."""
    with FeelinEvaluator(bundle, timeout=0.05) as feel:
        with pytest.raises(FeelError, match=r"took longer than 0\.05 s"):
            feel.unary_tests("1", ["count(for i in 1..5000000 return i) > ?"], {}, NOW)
        assert feel.unary_tests("1", ["1"], {}, NOW).outcomes == (True,)


def test_bundle_missing_names_path_and_fix(tmp_path: Path) -> None:
    """Without the bundle, construction fails with an error that names the path and `make install`."""
    missing = tmp_path / "feelin.js"
    with pytest.raises(FeelBundleMissingError) as caught:
        FeelinEvaluator(missing)
    assert str(missing) in str(caught.value)
    assert "make install" in str(caught.value)
    assert isinstance(caught.value, FeelError)


def test_closed_evaluator_refuses(bundle: Path) -> None:
    """A closed evaluator raises FeelError instead of touching a freed V8 isolate."""
    feel = FeelinEvaluator(bundle)
    feel.close()
    with pytest.raises(FeelError, match="closed"):
        feel.evaluate("amount + 1", VARIABLES, NOW)


def test_default_evaluator_is_shared(bundle: Path) -> None:
    """default_evaluator() is one lazily created instance per process that satisfies FeelEvaluator."""
    first = default_evaluator()
    assert first is default_evaluator()
    assert isinstance(first, FeelinEvaluator)
    assert first.evaluate("amount * 2", {"amount": 21}, NOW) == FeelResult(42, ())


EXIT_SCRIPT = """
from datetime import UTC, datetime
from engine.feel import FeelinEvaluator, default_evaluator
evaluator = FeelinEvaluator(fast_path=False)
for number in range(300):
    evaluator.evaluate(f"a + {number}", {"a": 1}, datetime.now(UTC))
default_evaluator().evaluate("a + 1", {"a": 1}, datetime.now(UTC))
print("evaluated")
"""


def test_interpreter_exits_with_evaluators_left_open(bundle: Path) -> None:
    """A process that never closes its evaluators still exits promptly (unfixed, it hung every other run)."""
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(2):
        finished = subprocess.run(
            [sys.executable, "-c", EXIT_SCRIPT],
            check=False,
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (finished.returncode, finished.stdout) == (0, "evaluated\n"), finished.stderr


async def test_usable_from_asyncio(feel: FeelinEvaluator) -> None:
    """Evaluating inside a running event loop works (V8 has its own loop thread, not the caller's)."""
    assert feel.evaluate("amount + 1", VARIABLES, NOW) == FeelResult(1501, ())
    with FeelinEvaluator(feel.bundle_path) as created_in_loop:
        assert created_in_loop.evaluate("amount + 2", VARIABLES, NOW) == FeelResult(1502, ())
