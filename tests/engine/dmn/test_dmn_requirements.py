"""Decision requirements graphs: decisions requiring decisions, evaluated in dependency order with each result
known to the decisions that require it; literal expressions; typed results; failures reported as Camunda 8.8
reports them; and DMN TCK-style cases (the vacation days of TCK 0020, the approval of TCK 0004)."""

import time

import pytest

from engine.dmn import DecisionType, HitPolicy, InputClause, OutputClause
from tests.engine.dmn.decisions import evaluate, output, parse
from tests.engine.dmn.dmn_builder import In, Literal, Out, Table, dmn

# The dish example of Camunda's documentation as Camunda Modeler 5 writes a DRD: decisions with their information
# requirements (required decisions and input data), a literal expression with its variable, the diagram (DMNDI).
DISH_DRD = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
    xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/"
    xmlns:modeler="http://camunda.org/schema/modeler/1.0" xmlns:di="http://www.omg.org/spec/DMN/20180521/DI/"
    xmlns:biodi="http://bpmn.io/schema/dmn/biodi/2.0" id="dinnerDecisions" name="Dinner Decisions"
    namespace="http://camunda.org/schema/1.0/dmn" exporter="Camunda Modeler" exporterVersion="5.37.0"
    modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.8.0">
  <decision id="beverages" name="Beverages">
    <informationRequirement id="InformationRequirement_1">
      <requiredDecision href="#dish" />
    </informationRequirement>
    <informationRequirement id="InformationRequirement_2">
      <requiredInput href="#InputData_children" />
    </informationRequirement>
    <decisionTable id="DecisionTable_beverages" hitPolicy="COLLECT">
      <input id="InputClause_dish" label="Dish" biodi:width="192">
        <inputExpression id="LiteralExpression_dish" typeRef="string">
          <text>dish</text>
        </inputExpression>
      </input>
      <input id="InputClause_children" label="Guests with children">
        <inputExpression id="LiteralExpression_children" typeRef="boolean">
          <text>guestsWithChildren</text>
        </inputExpression>
      </input>
      <input id="InputClause_season" label="Season (not required here)">
        <inputExpression id="LiteralExpression_season" typeRef="string">
          <text>season</text>
        </inputExpression>
      </input>
      <output id="OutputClause_beverages" label="Beverages" name="beverages" typeRef="string" />
      <rule id="DecisionRule_spareribs">
        <inputEntry id="UnaryTests_1"><text>"Spareribs"</text></inputEntry>
        <inputEntry id="UnaryTests_2"><text></text></inputEntry>
        <inputEntry id="UnaryTests_3"><text></text></inputEntry>
        <outputEntry id="LiteralExpression_1"><text>"Aecht Schlenkerla Rauchbier"</text></outputEntry>
      </rule>
      <rule id="DecisionRule_stew">
        <inputEntry id="UnaryTests_4"><text>"Stew"</text></inputEntry>
        <inputEntry id="UnaryTests_5"><text></text></inputEntry>
        <inputEntry id="UnaryTests_6"><text></text></inputEntry>
        <outputEntry id="LiteralExpression_2"><text>"Guiness"</text></outputEntry>
      </rule>
      <rule id="DecisionRule_roastbeef">
        <inputEntry id="UnaryTests_7"><text>"Roastbeef"</text></inputEntry>
        <inputEntry id="UnaryTests_8"><text></text></inputEntry>
        <inputEntry id="UnaryTests_9"><text></text></inputEntry>
        <outputEntry id="LiteralExpression_3"><text>"Bordeaux"</text></outputEntry>
      </rule>
      <rule id="DecisionRule_steak">
        <description>Steak goes with Pinot Noir</description>
        <inputEntry id="UnaryTests_10">
          <text>"Steak","Dry Aged Gourmet Steak","Light Salad and a nice Steak"</text>
        </inputEntry>
        <inputEntry id="UnaryTests_11"><text></text></inputEntry>
        <inputEntry id="UnaryTests_12"><text></text></inputEntry>
        <outputEntry id="LiteralExpression_4"><text>"Pinot Noir"</text></outputEntry>
      </rule>
      <rule id="DecisionRule_children">
        <inputEntry id="UnaryTests_13"><text></text></inputEntry>
        <inputEntry id="UnaryTests_14"><text>true</text></inputEntry>
        <inputEntry id="UnaryTests_15"><text></text></inputEntry>
        <outputEntry id="LiteralExpression_5"><text>"Apple Juice"</text></outputEntry>
      </rule>
      <rule id="DecisionRule_water">
        <inputEntry id="UnaryTests_16"><text>-</text></inputEntry>
        <inputEntry id="UnaryTests_17"><text>-</text></inputEntry>
        <inputEntry id="UnaryTests_18"><text>-</text></inputEntry>
        <outputEntry id="LiteralExpression_6"><text>"Water"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <decision id="dish" name="Dish">
    <informationRequirement id="InformationRequirement_3">
      <requiredDecision href="#season" />
    </informationRequirement>
    <informationRequirement id="InformationRequirement_4">
      <requiredDecision href="#guestCount" />
    </informationRequirement>
    <decisionTable id="DecisionTable_dish">
      <input id="Input_season" label="Season">
        <inputExpression id="InputExpression_season" typeRef="string">
          <text>season</text>
        </inputExpression>
      </input>
      <input id="Input_guests" label="How many guests">
        <inputExpression id="InputExpression_guests" typeRef="integer">
          <text>guestCount</text>
        </inputExpression>
      </input>
      <output id="Output_dish" label="Dish" name="desiredDish" typeRef="string" />
      <rule id="DishRule_1">
        <inputEntry id="DishTest_1"><text>"Fall"</text></inputEntry>
        <inputEntry id="DishTest_2"><text>&lt;= 8</text></inputEntry>
        <outputEntry id="DishOut_1"><text>"Spareribs"</text></outputEntry>
      </rule>
      <rule id="DishRule_2">
        <inputEntry id="DishTest_3"><text>"Winter"</text></inputEntry>
        <inputEntry id="DishTest_4"><text>&lt;= 8</text></inputEntry>
        <outputEntry id="DishOut_2"><text>"Roastbeef"</text></outputEntry>
      </rule>
      <rule id="DishRule_3">
        <inputEntry id="DishTest_5"><text>"Fall","Winter","Spring"</text></inputEntry>
        <inputEntry id="DishTest_6"><text>&gt; 8</text></inputEntry>
        <outputEntry id="DishOut_3"><text>"Stew"</text></outputEntry>
      </rule>
      <rule id="DishRule_4">
        <inputEntry id="DishTest_7"><text>"Spring","Summer"</text></inputEntry>
        <inputEntry id="DishTest_8"><text>&lt;= 8</text></inputEntry>
        <outputEntry id="DishOut_4"><text>"Steak"</text></outputEntry>
      </rule>
      <rule id="DishRule_5">
        <inputEntry id="DishTest_9"><text>"Summer"</text></inputEntry>
        <inputEntry id="DishTest_10"><text>&gt;= 8</text></inputEntry>
        <outputEntry id="DishOut_5"><text>"Light Salad and a nice Steak"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <decision id="season" name="Season">
    <variable id="InformationItem_season" name="season" typeRef="string" />
    <informationRequirement id="InformationRequirement_5">
      <requiredInput href="#InputData_month" />
    </informationRequirement>
    <literalExpression id="LiteralExpression_season_logic">
      <text>if month &gt;= 3 and month &lt;= 5 then "Spring"
else if month &gt;= 6 and month &lt;= 8 then "Summer"
else if month &gt;= 9 and month &lt;= 11 then "Fall"
else "Winter"</text>
    </literalExpression>
  </decision>
  <decision id="guestCount" name="Guest count">
    <variable id="InformationItem_guests" name="guestCount" typeRef="number" />
    <literalExpression id="LiteralExpression_guests">
      <text>guests.adults + guests.children</text>
    </literalExpression>
  </decision>
  <inputData id="InputData_month" name="Month" />
  <inputData id="InputData_children" name="Guests with children" />
  <textAnnotation id="TextAnnotation_1">
    <text>Camunda's dinner example</text>
  </textAnnotation>
  <dmndi:DMNDI>
    <dmndi:DMNDiagram id="DMNDiagram_1">
      <dmndi:DMNShape id="DMNShape_beverages" dmnElementRef="beverages">
        <dc:Bounds height="80" width="180" x="250" y="80" />
      </dmndi:DMNShape>
      <dmndi:DMNEdge id="DMNEdge_1" dmnElementRef="InformationRequirement_1">
        <di:waypoint x="340" y="240" />
        <di:waypoint x="340" y="160" />
      </dmndi:DMNEdge>
    </dmndi:DMNDiagram>
  </dmndi:DMNDI>
</definitions>
"""


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
