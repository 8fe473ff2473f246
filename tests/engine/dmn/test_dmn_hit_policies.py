"""Decision tables under every hit policy Camunda 8.8 supports, with the examples of Camunda's DMN documentation
(hit policies: the dish by season, the leave application, the advertisement by age, the salary bonus, the car
insurance fee, the pocket money) and the evaluated decision Camunda reports for each: inputs, matched rules with
their outputs, output – or the failure."""

import pytest

from engine.dmn import DecisionType, EvaluatedInput, EvaluatedOutput, MatchedRule
from tests.engine.dmn.decisions import evaluate, output, parse
from tests.engine.dmn.dmn_builder import In, Out, Table, dmn

DISH = Table(
    "dish",
    "Dish",
    [In("Season", "season"), In("How many guests", "guestCount", "integer")],
    [Out("Dish", "desiredDish")],
    [
        ['"Fall"', "<= 8", '"Spareribs"'],
        ['"Winter"', "<= 8", '"Roastbeef"'],
        ['"Spring"', "<= 4", '"Dry Aged Gourmet Steak"'],
        ['"Spring"', "[5..8]", '"Steak"'],
        ['"Fall","Winter","Spring"', "> 8", '"Stew"'],
        ['"Summer"', "", '"Light Salad and a nice Steak"'],
    ],
)


# ---------------------------------------------------------------------------------------------------- UNIQUE
def test_unique_gives_the_output_of_the_one_rule_that_matches_and_reports_it() -> None:
    """UNIQUE (the default): the one matching rule's output; the evaluated decision lists the inputs' values and
    that rule (its id, its 1-based index, its outputs by label)."""
    result = evaluate(dmn(DISH), "dish", {"season": "Winter", "guestCount": 4})

    assert not result.failed
    assert result.decision_output == "Roastbeef"
    [evaluated] = result.evaluated_decisions
    assert (evaluated.decision_id, evaluated.decision_name, evaluated.decision_type) == (
        "dish",
        "Dish",
        DecisionType.DECISION_TABLE,
    )
    assert evaluated.decision_output == "Roastbeef"
    assert evaluated.evaluated_inputs == (
        EvaluatedInput("Input_dish_0", "Season", "Winter"),
        EvaluatedInput("Input_dish_1", "How many guests", 4),
    )
    assert evaluated.matched_rules == (
        MatchedRule("DecisionRule_dish_1", 2, (EvaluatedOutput("Output_dish_0", "Dish", "Roastbeef"),)),
    )


@pytest.mark.parametrize(
    ("season", "guests", "dish", "rule"),
    [
        ("Fall", 8, "Spareribs", 1),
        ("Spring", 4, "Dry Aged Gourmet Steak", 3),
        ("Spring", 5, "Steak", 4),
        ("Spring", 10, "Stew", 5),  # one of a list of values
        ("Summer", 30, "Light Salad and a nice Steak", 6),  # an empty entry matches anything
    ],
)
def test_the_dish_by_season_and_guests(season: str, guests: int, dish: str, rule: int) -> None:
    result = evaluate(dmn(DISH), "dish", {"season": season, "guestCount": guests})

    assert result.decision_output == dish
    assert [r.rule_index for r in result.evaluated_decisions[0].matched_rules] == [rule]


def test_no_matching_rule_gives_null_and_no_matched_rules() -> None:
    result = evaluate(dmn(DISH), "dish", {"season": "Monsoon", "guestCount": 4})

    assert not result.failed
    assert result.decision_output is None
    [evaluated] = result.evaluated_decisions
    assert evaluated.matched_rules == ()
    assert [i.input_value for i in evaluated.evaluated_inputs] == ["Monsoon", 4]


def test_a_missing_input_variable_is_null_and_matches_only_empty_entries() -> None:
    """An input expression naming a variable that is not there gives null (FEEL), which no test but an empty one
    (or "-") holds for."""
    assert output(dmn(DISH), "dish", season="Summer") == "Light Salad and a nice Steak"
    assert output(dmn(DISH), "dish", season="Winter") is None


def test_unique_fails_when_two_rules_match_and_reports_both() -> None:
    """Two overlapping rules under UNIQUE: the evaluation fails, as Zeebe's does (an incident in a process), naming
    the decision and listing the rules that matched."""
    overlapping = Table(
        "dish",
        "Dish",
        [In("Season", "season"), In("Temperature", "temperature", "number")],
        [Out("Dish", "dish")],
        [['"Summer"', "> 20", '"Light salad"'], ['"Summer"', "< 22", '"Cold soup"']],
    )

    result = evaluate(dmn(overlapping), "dish", {"season": "Summer", "temperature": 21})

    assert result.failed
    assert result.decision_output is None
    assert result.failed_decision_id == "dish"
    assert result.failure_message == (
        "Expected to evaluate decision 'dish', but multiple values aren't allowed for UNIQUE hit policy. "
        """found: '["Light salad", "Cold soup"]'"""
    )
    [evaluated] = result.evaluated_decisions
    assert evaluated.decision_output is None
    assert [r.rule_index for r in evaluated.matched_rules] == [1, 2]


# ---------------------------------------------------------------------------------------------------- ANY
LEAVE = Table(
    "leaveApplication",
    "Leave application",
    [In("Vacation days left", "vacationDaysLeft", "number"), In("On probation", "probation", "boolean")],
    [Out("Result", "result")],
    [["0", "", '"refused"'], ["", "true", '"refused"'], ["> 0", "false", '"applied"']],
    hit_policy="ANY",
)


def test_any_gives_the_output_all_matching_rules_agree_on() -> None:
    result = evaluate(dmn(LEAVE), "leaveApplication", {"vacationDaysLeft": 0, "probation": True})

    assert result.decision_output == "refused"
    assert [r.rule_index for r in result.evaluated_decisions[0].matched_rules] == [1, 2]
    assert output(dmn(LEAVE), "leaveApplication", vacationDaysLeft=12, probation=False) == "applied"


def test_any_fails_when_matching_rules_disagree() -> None:
    disagreeing = Table(
        LEAVE.id, LEAVE.name, LEAVE.inputs, LEAVE.outputs, [["0", "", '"refused"'], ["", "true", '"postponed"']], "ANY"
    )

    result = evaluate(dmn(disagreeing), "leaveApplication", {"vacationDaysLeft": 0, "probation": True})

    assert result.failure_message == (
        "Expected to evaluate decision 'leaveApplication', but different values aren't allowed for ANY hit policy. "
        """found: '["refused", "postponed"]'"""
    )


# ------------------------------------------------------------------------------------ FIRST, RULE ORDER, COLLECT
def advertisement(hit_policy: str) -> bytes:
    return dmn(
        Table(
            "advertisement",
            "Advertisement",
            [In("Age", "age", "number")],
            [Out("Advertisement", "advertisement")],
            [[">= 18", '"Cars"'], ["< 30", '"Videogames"'], ["", '"Insurance"']],
            hit_policy=hit_policy,
        )
    )


def test_first_gives_the_first_matching_rule_and_reports_only_it() -> None:
    """A 19-year-old matches every rule; FIRST shows the cars, and only rule 1 is reported as matched."""
    result = evaluate(advertisement("FIRST"), "advertisement", {"age": 19})

    assert result.decision_output == "Cars"
    assert [r.rule_index for r in result.evaluated_decisions[0].matched_rules] == [1]
    assert output(advertisement("FIRST"), "advertisement", age=12) == "Videogames"


@pytest.mark.parametrize("hit_policy", ["RULE ORDER", "COLLECT"])
def test_rule_order_and_collect_give_every_matching_output_in_rule_order(hit_policy: str) -> None:
    result = evaluate(advertisement(hit_policy), "advertisement", {"age": 19})

    assert result.decision_output == ["Cars", "Videogames", "Insurance"]
    assert [r.rule_index for r in result.evaluated_decisions[0].matched_rules] == [1, 2, 3]
    assert output(advertisement(hit_policy), "advertisement", age=45) == ["Cars", "Insurance"]


# ------------------------------------------------------------------------------------ COLLECT with an aggregator
def bonus(aggregation: str, amounts: tuple[str, ...] = ("100", "200", "300", "500")) -> bytes:
    return dmn(
        Table(
            "salaryBonus",
            "Salary bonus",
            [In("Years in the company", "years", "number")],
            [Out("Bonus", "bonus", "number")],
            [[test, amount] for test, amount in zip([">= 1", ">= 2", ">= 3", ">= 5"], amounts, strict=True)],
            hit_policy="COLLECT",
            aggregation=aggregation,
        )
    )


def test_collect_sum_adds_the_outputs_of_the_matching_rules() -> None:
    """3.5 years in the company: the first three rules match, the bonus is 600."""
    result = evaluate(bonus("SUM"), "salaryBonus", {"years": 3.5})

    assert result.decision_output == 600
    assert [r.rule_index for r in result.evaluated_decisions[0].matched_rules] == [1, 2, 3]


def test_collect_sum_adds_decimals_as_feel_does() -> None:
    assert output(bonus("SUM", ("0.1", "0.2", "0.3", "0.4")), "salaryBonus", years=2) == 0.3


def test_collect_count_counts_the_matching_rules() -> None:
    assert output(bonus("COUNT"), "salaryBonus", years=4) == 3


def test_collect_min_and_max() -> None:
    """The car insurance fee falls with the years without a crash (3.5 years: 98.83); the pocket money grows with
    age (9 years: 5)."""
    fee = dmn(
        Table(
            "insuranceFee",
            "Insurance fee",
            [In("Years without a crash", "years", "number")],
            [Out("Fee", "fee", "number")],
            [[">= 0", "100"], [">= 1", "99.5"], [">= 3", "98.83"], [">= 5", "97.5"]],
            hit_policy="COLLECT",
            aggregation="MIN",
        )
    )
    pocket_money = dmn(
        Table(
            "pocketMoney",
            "Pocket money",
            [In("Age", "age", "number")],
            [Out("Amount", "amount", "number")],
            [[">= 6", "3"], [">= 8", "5"], [">= 12", "10"]],
            hit_policy="COLLECT",
            aggregation="MAX",
        )
    )

    assert output(fee, "insuranceFee", years=3.5) == 98.83
    assert output(pocket_money, "pocketMoney", age=9) == 5


@pytest.mark.parametrize("aggregation", ["SUM", "COUNT", "MIN", "MAX"])
def test_an_aggregation_over_no_matching_rule_is_null(aggregation: str) -> None:
    """As in Camunda 8.8: no match means null (or the default output), whatever the hit policy – COUNT included."""
    assert output(bonus(aggregation), "salaryBonus", years=0) is None


def test_an_aggregation_over_a_value_that_is_no_number_fails() -> None:
    result = evaluate(bonus("SUM", ("100", '"two hundred"', "300", "500")), "salaryBonus", {"years": 2})

    assert result.failure_message == (
        "Expected to evaluate decision 'salaryBonus', but expected number but found '\"two hundred\"'"
    )
    assert [r.rule_index for r in result.evaluated_decisions[0].matched_rules] == [1, 2]


# ------------------------------------------------------------------------------------ PRIORITY, OUTPUT ORDER
def risk(hit_policy: str) -> bytes:
    return dmn(
        Table(
            "riskRating",
            "Applicant risk rating",
            [In("Applicant age", "applicantAge", "number"), In("Medical history", "medicalHistory")],
            [Out("Risk rating", "riskRating", values='"high","medium","low"')],
            [["> 60", "", '"medium"'], ["", '"bad"', '"high"'], ["", "", '"low"']],
            hit_policy=hit_policy,
        )
    )


@pytest.mark.parametrize(
    ("age", "history", "rating"),
    [(65, "bad", "high"), (65, "good", "medium"), (30, "bad", "high"), (30, "good", "low")],
)
def test_priority_gives_the_matching_output_listed_first_in_the_output_values(
    age: int, history: str, rating: str
) -> None:
    assert output(risk("PRIORITY"), "riskRating", applicantAge=age, medicalHistory=history) == rating


def test_output_order_lists_the_matching_outputs_in_the_order_of_the_output_values() -> None:
    result = evaluate(risk("OUTPUT ORDER"), "riskRating", {"applicantAge": 65, "medicalHistory": "bad"})

    assert result.decision_output == ["high", "medium", "low"]
    assert [r.rule_index for r in result.evaluated_decisions[0].matched_rules] == [1, 2, 3]  # in rule order


def test_output_order_with_several_outputs_follows_each_outputs_values_in_turn() -> None:
    """Several outputs give a context per rule; the order follows the first output's values, then the second's;
    an output without values (the reason) does not order."""
    routing = dmn(
        Table(
            "routingRules",
            "Routing rules",
            [
                In("Age", "age", "number"),
                In("Risk category", "riskCategory"),
                In("Under department review", "deptReview", "boolean"),
            ],
            [
                Out("Routing", "routing", values='"DECLINE","REFER","ACCEPT"'),
                Out("Review level", "reviewLevel", values='"LEVEL 2","LEVEL 1","NONE"'),
                Out("Reason", "reason"),
            ],
            [
                ["< 18", "", "", '"DECLINE"', '"NONE"', '"Applicant too young"'],
                ["", '"HIGH"', "", '"REFER"', '"LEVEL 1"', '"High risk application"'],
                ["", "", "true", '"REFER"', '"LEVEL 2"', '"Applicant under dept review"'],
                ["", "", "", '"ACCEPT"', '"NONE"', '"Acceptable"'],
            ],
            hit_policy="OUTPUT ORDER",
        )
    )

    routed = output(routing, "routingRules", age=17, riskCategory="HIGH", deptReview=True)

    assert [(r["routing"], r["reviewLevel"]) for r in routed] == [
        ("DECLINE", "NONE"),
        ("REFER", "LEVEL 2"),
        ("REFER", "LEVEL 1"),
        ("ACCEPT", "NONE"),
    ]
    assert output(routing, "routingRules", age=25, riskCategory="LOW", deptReview=False) == [
        {"routing": "ACCEPT", "reviewLevel": "NONE", "reason": "Acceptable"}
    ]


# ---------------------------------------------------------------------------------------------------- outputs
def test_several_outputs_give_a_context_and_default_outputs_apply_when_nothing_matches() -> None:
    """A rule with two outputs gives a context keyed by the output names; with no match, the outputs' default values
    (defaultOutputEntry) – only those that have one."""
    shipping = dmn(
        Table(
            "shipping",
            "Shipping",
            [In("Weight (kg)", "weight", "number")],
            [
                Out("Carrier", "carrier", default='"POS Indonesia"'),
                Out("Days", "days", "number"),
            ],
            [["< 1", '"JNE"', "1"], ["[1..20]", '"TIKI"', "2"]],
        )
    )

    assert output(shipping, "shipping", weight=0.5) == {"carrier": "JNE", "days": 1}
    assert output(shipping, "shipping", weight=50) == "POS Indonesia"
    result = evaluate(shipping, "shipping", {"weight": 5})
    assert result.evaluated_decisions[0].matched_rules[0].evaluated_outputs == (
        EvaluatedOutput("Output_shipping_0", "Carrier", "TIKI"),
        EvaluatedOutput("Output_shipping_1", "Days", 2),
    )


def test_output_entries_are_feel_expressions_of_the_variables() -> None:
    priced = dmn(
        Table(
            "discountedPrice",
            "Discounted price",
            [In("Customer", "customer")],
            [Out("Price", "price", "number")],
            [['"Business"', "price * 0.9"], ['"Private"', "price"], ["", "null"]],
            hit_policy="FIRST",
        )
    )

    assert output(priced, "discountedPrice", customer="Business", price=200) == 180
    assert output(priced, "discountedPrice", customer="Tourist", price=200) is None


def test_input_entries_are_feel_unary_tests() -> None:
    """Comparisons with variables, ranges, negations, lists and expressions of `?` (the input's value)."""
    graded = dmn(
        Table(
            "grade",
            "Grade",
            [In("Score", "score", "number")],
            [Out("Grade", "grade")],
            [
                ["not([0..100])", '"invalid"'],
                [">= passMark + 20", '"A"'],
                ["[passMark..passMark + 20)", '"B"'],
                ["? < passMark and ? >= 0", '"C"'],
            ],
            hit_policy="FIRST",
        )
    )

    grades = {score: output(graded, "grade", score=score, passMark=60) for score in (-1, 0, 59, 60, 79, 80, 100, 101)}

    assert grades == {-1: "invalid", 0: "C", 59: "C", 60: "B", 79: "B", 80: "A", 100: "A", 101: "invalid"}


def test_an_input_expression_keeps_its_feel_type_for_the_tests() -> None:
    """An input expression giving a date (`date(deadline)`) is tested as a date, though it is reported as the ISO
    text a variable would hold."""
    urgency = dmn(
        Table(
            "urgency",
            "Urgency",
            [In("Deadline", "date(deadline)", "date")],
            [Out("Urgency", "urgency")],
            [['< date("2026-03-09")', '"this week"'], ["", '"later"']],
            hit_policy="FIRST",
        )
    )

    result = evaluate(urgency, "urgency", {"deadline": "2026-03-05"})

    assert result.decision_output == "this week"
    assert result.evaluated_decisions[0].evaluated_inputs[0].input_value == "2026-03-05"
    assert output(urgency, "urgency", deadline="2026-03-20") == "later"


def test_an_input_without_a_label_is_named_by_its_expression_cut_to_30_characters() -> None:
    graph = parse(
        dmn(
            '<decision id="d" name="D"><decisionTable id="t"><input id="i">'
            '<inputExpression id="e"><text>if customer.category = null then "none" else customer.category</text>'
            '</inputExpression></input><output id="o" name="r" /><rule id="r1"><inputEntry id="c1"><text></text>'
            '</inputEntry><outputEntry id="c2"><text>"x"</text></outputEntry></rule></decisionTable></decision>'
        )
    )

    [evaluated] = evaluate(graph, "d", {}).evaluated_decisions

    assert evaluated.evaluated_inputs[0].input_name == "if customer.category = null th"
    assert evaluated.matched_rules[0].evaluated_outputs[0].output_name == "r"
