"""BPMN conformance, business rule tasks calling a DMN decision (zeebe:calledDecision), as Zeebe 8.8 runs them: the
decision evaluated against the task's variables, its output in the result variable (propagated like a job's
variables, or local and read by output mappings), FEEL decision ids, the binding types latest / deployment /
versionTag, the CALLED_DECISION_ERROR and DECISION_EVALUATION_ERROR incidents and their resolution, the
DECISION_EVALUATION records linked to the element, execution listeners on the task, and the deploy refusals.
Cases from Zeebe's documentation of business rule tasks and its BusinessRuleTaskTest."""

import json
from xml.sax.saxutils import quoteattr

import grpc
import pytest

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import Driver, bpmn, end, ext, io, multi_instance, service, start
from tests.engine.decision_helpers import DISH, WINTER_STEW
from tests.engine.dmn.dmn_builder import In, Out, Table, dmn
from tests.engine.test_bpmn_execution_listeners import listeners
from tests.engine.test_feel_off_loop import until

# two rules that both match a guest count above 1: a UNIQUE table then fails
SEATING = Table(
    "seating",
    "Seating",
    [In("Guests", "guestCount", "number")],
    [Out("Table", "table")],
    [["> 0", '"small"'], ["> 1", '"large"']],
)


def rule_task(element_id: str, decision_id: str, result: str = "dish", *extensions: str, attrs: str = "") -> str:
    """A business rule task calling `decision_id`; `attrs` adds zeebe:calledDecision attributes (bindingType…)."""
    called = f"<zeebe:calledDecision decisionId={quoteattr(decision_id)} resultVariable={quoteattr(result)} {attrs} />"
    return f'<bpmn:businessRuleTask id="{element_id}">{ext(called, *extensions)}</bpmn:businessRuleTask>'


def process(process_id: str, task: str) -> tuple[str, bytes]:
    """start → the given business rule task (id Decide) → After (job `after`) → end."""
    return (
        f"{process_id}.bpmn",
        bpmn(
            process_id,
            start("Start"),
            task,
            service("After", "after"),
            end("End"),
            chain("Start", "Decide", "After", "End"),
        ),
    )


def dish_dmn(table: Table = DISH, version_tag: str | None = None) -> tuple[str, bytes]:
    """The dish table as its own graph, with a zeebe:versionTag on the decision if given."""
    content = dmn(table, drg_id="dishes")
    if version_tag is not None:
        content = content.replace(
            b"<definitions ", b'<definitions xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" ', 1
        ).replace(
            b'<decision id="dish" name="Dish">',
            b'<decision id="dish" name="Dish"><extensionElements>'
            + f'<zeebe:versionTag value="{version_tag}" />'.encode()
            + b"</extensionElements>",
            1,
        )
    return "dish.dmn", content


def evaluations(engine: EmbeddedEngine, pi: int) -> list[tuple[str, str | None]]:
    """(intent, element id) of the instance's DECISION_EVALUATION records, in order."""
    return [
        (r.intent, r.element_id)
        for r in engine.engine.records
        if r.value_type == "DECISION_EVALUATION" and r.process_instance_key == pi
    ]


async def test_the_decision_output_becomes_the_result_variable_of_the_process(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """The decision is evaluated with the instance's variables on entering the task; without output mappings its
    output, in the result variable, propagates to the process scope (as a job's variables) and the task completes;
    the evaluation is recorded as DECISION_EVALUATION EVALUATED linked to the instance and the task."""
    await gw.deploy(process("menu", rule_task("Decide", "dish")), dish_dmn())
    pi = await gw.start("menu", {"season": "Winter", "guestCount": 4})

    engine.assert_that(pi).is_waiting_exactly_at("After").has_passed("Decide").has_variable("dish", "Roastbeef")
    [decide] = gw.element_keys(pi, "Decide")
    assert engine.variables(decide) == {}
    assert evaluations(engine, pi) == [("EVALUATED", "Decide")]
    [task] = engine.element_instances(pi, "Decide")
    assert task.bpmn_element_type == "BUSINESS_RULE_TASK"


async def test_no_matching_rule_of_a_unique_table_gives_null(gw: Driver, engine: EmbeddedEngine) -> None:
    """No rule matches (a UNIQUE table without a default output): the result is null and the instance goes on."""
    await gw.deploy(process("nothing", rule_task("Decide", "dish")), dish_dmn())
    pi = await gw.start("nothing", {"season": "Autumn", "guestCount": 4})

    engine.assert_that(pi).is_waiting_exactly_at("After").has_variable("dish", None).has_no_incidents()


async def test_input_mappings_feed_the_decision_and_output_mappings_read_the_result(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Input mappings create the task's locals the decision reads (shadowing the process's); with output mappings the
    result variable stays local to the task and only the mapped value reaches the process."""
    mappings = io(inputs=(('="Summer"', "season"),), outputs=(('="Serve: " + dish', "menuText"),))
    await gw.deploy(process("mapped", rule_task("Decide", "dish", "dish", mappings)), dish_dmn())
    pi = await gw.start("mapped", {"season": "Winter", "guestCount": 2})

    engine.assert_that(pi).is_waiting_exactly_at("After").has_variable(
        "menuText", "Serve: Light Salad and a nice Steak"
    ).has_no_variable("dish").has_variable("season", "Winter")
    [decide] = gw.element_keys(pi, "Decide")
    assert engine.variables(decide) == {"season": "Summer", "dish": "Light Salad and a nice Steak"}


async def test_the_decision_id_can_be_a_feel_expression(gw: Driver, engine: EmbeddedEngine) -> None:
    """decisionId="=…" is evaluated on entering the task and picks the decision."""
    await gw.deploy(
        process("dynamic", rule_task("Decide", "=kind", "answer")), dish_dmn(), ("seating.dmn", dmn(SEATING))
    )
    pi = await gw.start("dynamic", {"kind": "dish", "season": "Summer", "guestCount": 1})

    engine.assert_that(pi).is_waiting_exactly_at("After").has_variable("answer", "Light Salad and a nice Steak")


async def test_a_decision_not_deployed_raises_an_incident_resolved_after_deploying_it(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """No decision with that id: a CALLED_DECISION_ERROR incident at the task with Zeebe's message, and no
    evaluation; after deploying it, resolving the incident evaluates the decision and the instance goes on."""
    await gw.deploy(process("early", rule_task("Decide", "dish")))
    pi = await gw.start("early", {"season": "Winter", "guestCount": 3})

    incident = gw.incident(pi, "CALLED_DECISION_ERROR")
    assert incident.element_id == "Decide"
    assert incident.error_message == "Expected to evaluate decision 'dish', but no decision found for id 'dish'"
    assert evaluations(engine, pi) == []

    await gw.deploy(dish_dmn())
    await gw.resolve(incident.key)

    engine.assert_that(pi).has_no_incidents().is_waiting_exactly_at("After").has_variable("dish", "Roastbeef")
    assert evaluations(engine, pi) == [("EVALUATED", "Decide")]


async def test_a_failing_evaluation_raises_an_incident_evaluated_again_when_resolved(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Two rules of a UNIQUE table match: DECISION_EVALUATION FAILED is recorded and a DECISION_EVALUATION_ERROR
    incident carries the evaluation's failure; with the variable corrected, resolving evaluates again."""
    await gw.deploy(process("seat", rule_task("Decide", "seating", "table")), ("seating.dmn", dmn(SEATING)))
    pi = await gw.start("seat", {"guestCount": 4})

    incident = gw.incident(pi, "DECISION_EVALUATION_ERROR")
    assert incident.element_id == "Decide"
    assert incident.error_message.startswith("Expected to evaluate decision 'seating', but ")
    assert evaluations(engine, pi) == [("FAILED", "Decide")]
    engine.assert_that(pi).is_waiting_exactly_at("Decide").has_no_variable("table")

    await gw.set_variables(pi, {"guestCount": 1})
    await gw.resolve(incident.key)

    engine.assert_that(pi).has_no_incidents().is_waiting_exactly_at("After").has_variable("table", "small")
    assert evaluations(engine, pi) == [("FAILED", "Decide"), ("EVALUATED", "Decide")]


async def test_a_failing_decision_id_expression_is_an_extract_value_error(gw: Driver, engine: EmbeddedEngine) -> None:
    """A decision id expression that gives no string is an EXTRACT_VALUE_ERROR, even with input mappings."""
    mappings = io(inputs=(("=1", "one"),))
    await gw.deploy(process("badId", rule_task("Decide", "=missing", "x", mappings)), dish_dmn())
    pi = await gw.start("badId")

    incident = gw.incident(pi, "EXTRACT_VALUE_ERROR")
    assert incident.element_id == "Decide"

    await gw.set_variables(pi, {"missing": "dish", "season": "Winter", "guestCount": 1})
    await gw.resolve(incident.key)
    engine.assert_that(pi).is_waiting_exactly_at("After").has_variable("x", "Roastbeef")


async def test_binding_types_latest_deployment_and_version_tag_choose_the_version(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """latest (the default) evaluates the newest version, deployment the version deployed with the process,
    versionTag the newest version carrying that zeebe:versionTag."""
    await gw.deploy(
        process("byLatest", rule_task("Decide", "dish")),
        process("byDeployment", rule_task("Decide", "dish", attrs='bindingType="deployment"')),
        process("byTag", rule_task("Decide", "dish", attrs='bindingType="versionTag" versionTag="v1"')),
        dish_dmn(DISH, "v1"),
    )
    await gw.deploy(dish_dmn(WINTER_STEW, "v2"))

    winter = {"season": "Winter", "guestCount": 4}
    results = {}
    for process_id in ("byLatest", "byDeployment", "byTag"):
        pi = await gw.start(process_id, winter)
        engine.assert_that(pi).is_waiting_exactly_at("After")
        results[process_id] = engine.variables(pi)["dish"]
    assert results == {"byLatest": "Stew", "byDeployment": "Roastbeef", "byTag": "Roastbeef"}


async def test_binding_failures_name_the_deployment_or_the_version_tag(gw: Driver, engine: EmbeddedEngine) -> None:
    """deployment binding with the decision deployed apart, and a version tag no version carries: each a
    CALLED_DECISION_ERROR with Zeebe's message; deploying a version with the tag and resolving goes on."""
    response = await gw.deploy(
        process("apart", rule_task("Decide", "dish", attrs='bindingType="deployment"')),
        process("tagged", rule_task("Decide", "dish", attrs='bindingType="versionTag" versionTag="=tag"')),
    )
    await gw.deploy(dish_dmn(DISH, "v1"))
    apart = await gw.start("apart", {"season": "Winter", "guestCount": 4})
    tagged = await gw.start("tagged", {"season": "Winter", "guestCount": 4, "tag": "v2"})

    assert gw.incident(apart, "CALLED_DECISION_ERROR").error_message == (
        "Expected to evaluate decision 'dish' with binding type 'deployment', but no such decision found in the "
        f"deployment with key {response.key} which contained the current process. To resolve this incident, migrate "
        "the process instance to a process definition that is deployed together with the intended decision to "
        "evaluate."
    )
    incident = gw.incident(tagged, "CALLED_DECISION_ERROR")
    assert incident.error_message == (
        "Expected to evaluate decision with id 'dish' and version tag 'v2', but no such decision found. To resolve "
        "this incident, deploy a decision with the given id and version tag."
    )

    await gw.deploy(dish_dmn(WINTER_STEW, "v2"))
    await gw.resolve(incident.key)
    engine.assert_that(tagged).has_no_incidents().is_waiting_exactly_at("After").has_variable("dish", "Stew")


async def test_start_and_end_listeners_run_around_the_evaluation(gw: Driver, engine: EmbeddedEngine) -> None:
    """A start listener runs before the decision is evaluated (its variables are the task's and the decision reads
    them); the end listener after the result variable was set; then the instance goes on."""
    task = rule_task("Decide", "dish", "dish", listeners(("start", "prepare"), ("end", "announce")))
    await gw.deploy(process("listened", task), dish_dmn())
    pi = await gw.start("listened", {"season": "Summer"})

    engine.assert_that(pi).is_waiting_exactly_at("Decide")
    assert evaluations(engine, pi) == []
    await gw.complete(await gw.job("prepare"), {"season": "Winter", "guestCount": 2})

    assert evaluations(engine, pi) == [("EVALUATED", "Decide")]
    announce = await gw.job("announce")
    assert json.loads(announce.variables)["dish"] == "Roastbeef"
    await gw.complete(announce)

    engine.assert_that(pi).is_waiting_exactly_at("After").has_variable("dish", "Roastbeef")


async def test_a_multi_instance_business_rule_task_evaluates_once_per_item(gw: Driver, engine: EmbeddedEngine) -> None:
    """Each inner instance evaluates the decision with its item; the output element collects the results in order."""
    called = '<zeebe:calledDecision decisionId="dish" resultVariable="dish" />'
    loop = multi_instance("=seasons", "season", output_collection="dishes", output_element="=dish")
    task = f'<bpmn:businessRuleTask id="Decide">{ext(called)}{loop}</bpmn:businessRuleTask>'
    await gw.deploy(process("perSeason", task), dish_dmn())
    pi = await gw.start("perSeason", {"seasons": ["Summer", "Winter", "Spring"], "guestCount": 2})

    engine.assert_that(pi).is_waiting_exactly_at("After").has_variable(
        "dishes", ["Light Salad and a nice Steak", "Roastbeef", None]
    )
    assert [intent for intent, _ in evaluations(engine, pi)] == ["EVALUATED"] * 3


async def test_a_costly_decision_id_goes_off_the_event_loop_and_the_decision_is_evaluated_once(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A decision id expression past its slice on the event loop suspends the task's activation before anything
    changed; it resumes with the id and evaluates the decision once."""
    core = engine.engine
    core.expressions.slice = 0.01  # the expression surely outlasts it, however fast the machine
    costly = '=if count(for i in 1..400000 return i) > 0 then "dish" else "none"'
    await gw.deploy(process("costlyId", rule_task("Decide", costly)), dish_dmn())
    pi = await gw.start("costlyId", {"season": "Winter", "guestCount": 1})
    assert core.steps_deferred

    await until(lambda: not core.steps_deferred, "the suspended activation to resume")
    engine.assert_that(pi).is_waiting_exactly_at("After").has_variable("dish", "Roastbeef")
    assert evaluations(engine, pi) == [("EVALUATED", "Decide")]


async def test_a_business_rule_task_with_a_task_definition_stays_a_job(gw: Driver, engine: EmbeddedEngine) -> None:
    """With zeebe:taskDefinition a business rule task is a job for a worker, as before."""
    await gw.deploy(process("byWorker", service("Decide", "rules", tag="businessRuleTask")))
    pi = await gw.start("byWorker")

    job = await gw.job("rules")
    await gw.complete(job, {"verdict": "ok"})
    engine.assert_that(pi).is_waiting_exactly_at("After").has_variable("verdict", "ok")


@pytest.mark.parametrize(
    ("attrs", "reason"),
    [
        ('decisionId="dish" resultVariable=""', "the resultVariable of zeebe:calledDecision must not be empty"),
        ('decisionId="" resultVariable="r"', "the decisionId of zeebe:calledDecision must not be empty"),
        ('decisionId="dish" resultVariable="r" bindingType="newest"', "the bindingType 'newest' is not latest"),
        (
            'decisionId="dish" resultVariable="r" bindingType="versionTag"',
            "the versionTag of zeebe:calledDecision with bindingType versionTag must not be empty",
        ),
    ],
)
async def test_a_called_decision_without_what_it_needs_is_refused(gw: Driver, attrs: str, reason: str) -> None:
    task = f'<bpmn:businessRuleTask id="Decide">{ext(f"<zeebe:calledDecision {attrs} />")}</bpmn:businessRuleTask>'
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await gw.deploy(process("refused", task))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason in str(refused.value.details())
