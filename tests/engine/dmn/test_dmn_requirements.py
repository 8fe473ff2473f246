"""Decision requirements graphs: decisions requiring decisions, evaluated in dependency order with each result
known to the decisions that require it; literal expressions; typed results; failures reported as Camunda 8.8
reports them; and DMN TCK-style cases (the vacation days of TCK 0020, the approval of TCK 0004)."""

import time

import pytest

from engine.dmn import DecisionType, HitPolicy, InputClause, OutputClause
from tests.engine.dmn.decisions import evaluate, output, parse
from tests.engine.dmn.dinner import DISH_DRD
from tests.engine.dmn.dmn_builder import In, Literal, Out, Table, dmn


def test_a_drg_keeps_its_ids_names_and_requirements() -> None:
    graph = parse(DISH_DRD, "dinner.dmn")

    assert (graph.id, graph.name, graph.namespace, graph.resource_name) == (
        "dinnerDecisions",
        "Dinner Decisions",
        "http://camunda.org/schema/1.0/dmn",
        "dinner.dmn",
    )
    assert list(graph.decisions) == ["beverages", "dish", "season", "guestCount"]
    dish = graph.decisions["dish"]
    assert (dish.name, dish.required_decisions, dish.result_name, dish.decision_type) == (
        "Dish",
        ("season", "guestCount"),
        "dish",
        DecisionType.DECISION_TABLE,
    )
    assert graph.decisions["beverages"].required_decisions == ("dish",)  # a required input is no decision
    season = graph.decisions["season"]
    assert (season.result_name, season.result_type, season.decision_type) == (
        "season",
        "string",
        DecisionType.LITERAL_EXPRESSION,
    )
    table = graph.decisions["dish"].logic
    assert not isinstance(table, type(season.logic))
    assert table.hit_policy is HitPolicy.UNIQUE  # type: ignore[union-attr]
    assert table.inputs[0] == InputClause("Input_season", "Season", "season", "string")  # type: ignore[union-attr]
    assert table.outputs[0] == OutputClause(  # type: ignore[union-attr]
        "Output_dish", "Dish", "desiredDish", "string", None, None
    )


def test_required_decisions_are_evaluated_first_and_their_results_passed_on() -> None:
    """Beverages requires Dish, which requires Season and Guest count: in January, with six adults and two children,
    the season is Winter, eight guests get roast beef, and the beverages are Bordeaux, apple juice and water. The
    evaluated decisions come in the order they were evaluated, the asked decision last."""
    result = evaluate(
        DISH_DRD, "beverages", {"month": 1, "guests": {"adults": 6, "children": 2}, "guestsWithChildren": True}
    )

    assert not result.failed
    assert (result.decision_id, result.decision_name) == ("beverages", "Beverages")
    assert result.decision_output == ["Bordeaux", "Apple Juice", "Water"]
    assert [(d.decision_id, d.decision_type, d.decision_output) for d in result.evaluated_decisions] == [
        ("season", DecisionType.LITERAL_EXPRESSION, "Winter"),
        ("guestCount", DecisionType.LITERAL_EXPRESSION, 8),
        ("dish", DecisionType.DECISION_TABLE, "Roastbeef"),
        ("beverages", DecisionType.DECISION_TABLE, ["Bordeaux", "Apple Juice", "Water"]),
    ]
    season, _, dish, beverages = result.evaluated_decisions
    assert season.evaluated_inputs == () and season.matched_rules == ()
    assert [(i.input_name, i.input_value) for i in dish.evaluated_inputs] == [
        ("Season", "Winter"),
        ("How many guests", 8),
    ]
    assert [r.rule_id for r in beverages.matched_rules] == [
        "DecisionRule_roastbeef",
        "DecisionRule_children",
        "DecisionRule_water",
    ]


def test_a_decision_sees_only_the_results_of_the_decisions_it_requires_directly() -> None:
    """Beverages reads `dish`, the result of the decision it requires (known by that decision's id: a decision
    table has no variable, and its output's name `desiredDish` is not one), and `season`, the result of a decision
    only Dish requires: for Beverages that is a variable like any other – here not given, so null."""
    result = evaluate(DISH_DRD, "beverages", {"month": 7, "guests": {"adults": 2, "children": 0}})

    beverages = result.evaluated_decisions[-1]
    assert [i.input_value for i in beverages.evaluated_inputs] == ["Steak", None, None]
    assert result.decision_output == ["Pinot Noir", "Water"]
    assert output(DISH_DRD, "beverages", month=7, season="given", guests={"adults": 2, "children": 0}) == [
        "Pinot Noir",
        "Water",
    ]


def test_a_required_decision_can_be_evaluated_on_its_own() -> None:
    assert output(DISH_DRD, "dish", month=10, guests={"adults": 12, "children": 0}) == "Stew"
    assert output(DISH_DRD, "season", month=4) == "Spring"


def test_a_failing_required_decision_fails_the_evaluation_naming_it() -> None:
    """Dish fails (UNIQUE: its rules overlap for a party of eight in summer); Beverages is not evaluated. The failure
    names the asked decision in its message and Dish as the failed decision, with what was evaluated."""
    result = evaluate(DISH_DRD, "beverages", {"month": 7, "guests": {"adults": 4, "children": 4}})

    assert result.failed
    assert result.failed_decision_id == "dish"
    assert result.failure_message is not None
    assert result.failure_message.startswith(
        "Expected to evaluate decision 'beverages', but multiple values aren't allowed for UNIQUE hit policy."
    )
    assert [d.decision_id for d in result.evaluated_decisions] == ["season", "guestCount", "dish"]
    assert [r.rule_index for r in result.evaluated_decisions[-1].matched_rules] == [4, 5]
    assert result.decision_output is None


def test_a_result_must_have_the_type_of_the_decisions_variable() -> None:
    """A decision whose variable says number but whose expression gives text fails, as dmn-scala's type check does;
    the evaluated decision still shows what the expression gave."""
    mistyped = dmn(Literal("total", "Total", "total", 'string(amount) + " IDR"', type_ref="number"))

    result = evaluate(mistyped, "total", {"amount": 5})

    assert (
        result.failure_message
        == "Expected to evaluate decision 'total', but expected 'number' but found 'ValString(5 IDR)'"
    )
    assert result.failed_decision_id == "total"
    assert [d.decision_output for d in result.evaluated_decisions] == ["5 IDR"]
    assert output(mistyped, "total", amount=None) is None  # null passes every type


@pytest.mark.parametrize(
    ("type_ref", "expression", "fits"),
    [
        ("string", '"a"', True),
        ("feel:string", "1", False),
        ("boolean", "1 > 0", True),
        ("number", "true", False),
        ("date", 'date("2026-03-02")', True),
        ("date", '"2 March"', False),
        ("dateTime", 'date and time("2026-03-02T08:00:00@Asia/Jakarta")', True),
        ("time", 'time("08:00:00")', True),
        ("dayTimeDuration", 'duration("P1DT2H")', True),
        ("yearMonthDuration", 'duration("P1Y2M")', True),
        ("yearMonthDuration", 'duration("P1D")', False),
        ("Any", "[1, 2]", True),  # an unknown type is not checked
    ],
)
def test_typed_results(type_ref: str, expression: str, fits: bool) -> None:
    result = evaluate(dmn(Literal("typed", "Typed", "typed", expression, type_ref=type_ref)), "typed")

    assert result.failed is not fits, result.failure_message


def test_literal_expressions_give_any_feel_value_and_read_the_engine_clock() -> None:
    calendar = dmn(
        Literal("today", "Today", "today", "string(today())"),
        Literal("order", "Order", "order", "{total: sum(items.price), items: count(items), note: null}"),
    )

    assert output(calendar, "today") == "2026-03-02"
    assert output(calendar, "order", items=[{"price": 2}, {"price": 3}]) == {"total": 5, "items": 2, "note": None}


def test_a_failing_literal_expression_fails_with_feels_reason() -> None:
    result = evaluate(dmn(Literal("range", "Range", "range", "[1..5]")), "range")

    assert result.failure_message is not None
    assert "the result is the FEEL range" in result.failure_message
    assert result.evaluated_decisions[0].decision_output is None


def test_a_decision_required_along_two_paths_is_evaluated_once() -> None:
    """A requires B and C, both require D: D is evaluated once, before both."""
    diamond = dmn(
        Literal("a", "A", "a", "b + c", requires=("b", "c")),
        Literal("b", "B", "b", "d * 2", requires=("d",)),
        Literal("c", "C", "c", "d * 3", requires=("d",)),
        Literal("d", "D", "d", "base + 1"),
    )

    result = evaluate(diamond, "a", {"base": 1})

    assert result.decision_output == 10
    assert [d.decision_id for d in result.evaluated_decisions] == ["d", "b", "c", "a"]


def test_an_unknown_decision_is_a_failure_of_the_evaluation() -> None:
    result = evaluate(DISH_DRD, "dessert", {})

    assert result.failed
    assert (result.failed_decision_id, result.evaluated_decisions) == ("dessert", ())
    assert result.failure_message == "Expected to evaluate decision 'dessert', but no decision found with id 'dessert'"


def test_a_long_chain_of_required_decisions_is_parsed_and_evaluated_without_recursion() -> None:
    """1,500 decisions each requiring the one before (deeper than Python's recursion limit) parse and evaluate."""
    chain = [Literal("step0", "Step 0", "step0", "0")] + [
        Literal(f"step{n}", f"Step {n}", f"step{n}", f"step{n - 1} + 1", requires=(f"step{n - 1}",))
        for n in range(1, 1500)
    ]
    graph = parse(dmn(*chain))

    result = evaluate(graph, "step1499", {})

    assert result.decision_output == 1499
    assert len(result.evaluated_decisions) == 1500


# ---------------------------------------------------------------------------------------------------- TCK-style
def extra_days(decision_id: str, rules: list[list[str]]) -> Table:
    return Table(
        decision_id,
        decision_id,
        [In("Age", "age", "number"), In("Years of service", "yearsOfService", "number")],
        [Out("Extra days", decision_id, "number", default="0")],
        rules,
        hit_policy="COLLECT",
        aggregation="MAX",
    )


VACATION_DAYS = dmn(
    Literal(
        "totalVacationDays",
        "Total vacation days",
        "totalVacationDays",
        "baseVacationDays + max(extraDaysCase1, extraDaysCase3) + extraDaysCase2",
        type_ref="number",
        requires=("baseVacationDays", "extraDaysCase1", "extraDaysCase2", "extraDaysCase3"),
    ),
    Literal("baseVacationDays", "Base vacation days", "baseVacationDays", "22", type_ref="number"),
    extra_days("extraDaysCase1", [["< 18", "", "5"], [">= 60", "", "5"], ["", ">= 30", "5"]]),
    extra_days("extraDaysCase2", [["", ">= 30", "3"], [">= 60", "", "3"]]),
    extra_days("extraDaysCase3", [["", "[15..30)", "2"], [">= 45", "", "2"]]),
)


@pytest.mark.parametrize(
    ("age", "years", "days"),
    [(16, 1, 27), (25, 5, 22), (44, 20, 24), (44, 30, 30), (50, 25, 24), (50, 20, 24), (60, 20, 30)],
)
def test_tck_0020_vacation_days(age: int, years: int, days: int) -> None:
    """DMN TCK 0020-vacation-days: a literal expression over four required decisions, three of them COLLECT MAX
    tables whose default output (0) applies when no rule matches."""
    assert output(VACATION_DAYS, "totalVacationDays", age=age, yearsOfService=years) == days


APPROVAL = dmn(
    Table(
        "approvalStatus",
        "Approval Status",
        [
            In("Age", "Age", "number"),
            In("Risk category", "RiskCategory", values='"High","Low","Medium"'),
            In("Is affordable", "isAffordable", "boolean"),
        ],
        [Out("Approval Status", "approvalStatus", values='"Approved","Declined"')],
        [
            [">=18", '"Medium","Low"', "true", '"Approved"'],
            ["<18", "", "", '"Declined"'],
            ["", '"High"', "", '"Declined"'],
            ["", "", "false", '"Declined"'],
        ],
    )
)


@pytest.mark.parametrize(
    ("age", "risk", "affordable", "status"),
    [
        (18, "Medium", True, "Approved"),
        (17, "Medium", True, "Declined"),
        (18, "High", True, "Declined"),
        (18, "Low", False, "Declined"),
    ],
)
def test_tck_0004_simple_table_unique(age: int, risk: str, affordable: bool, status: str) -> None:
    """DMN TCK 0004-simpletable-U."""
    assert output(APPROVAL, "approvalStatus", Age=age, RiskCategory=risk, isAffordable=affordable) == status


def test_tck_0004_allowed_values_are_not_checked_at_evaluation() -> None:
    """Input values (the allowed values of an input) are documentation for Camunda 8.8's engine: a value outside
    them is evaluated like any other (here no rule matches)."""
    assert output(APPROVAL, "approvalStatus", Age=30, RiskCategory="Unknown", isAffordable=True) is None


def test_a_large_table_is_evaluated_in_one_feel_call_per_input_column() -> None:
    """500 rules × 3 inputs: the unary tests of a column go to FEEL together, so evaluating stays quick (a figure
    printed, not asserted: see bench/ for measurements)."""
    rules = [[f"[{n}..{n + 1})", f'"c{n % 7}"', "", f'"r{n}"'] for n in range(500)]
    big = dmn(
        Table(
            "big",
            "Big",
            [In("N", "n", "number"), In("Category", "category"), In("Flag", "flag", "boolean")],
            [Out("R", "r")],
            rules,
            hit_policy="FIRST",
        )
    )
    graph = parse(big)

    started = time.perf_counter()
    result = evaluate(graph, "big", {"n": 432.5, "category": "c5", "flag": True})
    print(f"500-rule table evaluated in {time.perf_counter() - started:.3f} s")

    assert result.decision_output == "r432"
