"""Decisions on the redesigned core: deploying a DMN file and evaluating a decision are events applied to the state
(DECISION_REQUIREMENTS_CREATED, DECISION_CREATED, DECISION_EVALUATED / DECISION_EVALUATION_FAILED), so a recovery
applies them and never parses a decision's FEEL or evaluates it again; the decisions are part of the snapshot
document; and a decision's deploy-time FEEL checks are bounded like a process's."""

from pathlib import Path

import pytest

from engine.durable import DurableEngine, open_durable_engine
from engine.durable.snapshot import decode_state, encode_state
from engine.durable.verify import full_state
from engine.engine import Engine
from engine.errors import InvalidArgumentError
from engine.feel import FeelinEvaluator
from engine.state.engine_state import EngineState
from engine.state.values import Record
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import bpmn, end, start
from tests.engine.decision_helpers import DISH, WINTER_STEW
from tests.engine.dmn.dinner import DISH_DRD, JANUARY_DINNER
from tests.engine.dmn.dmn_builder import In, Literal, Out, Table, dmn
from tests.engine.test_durable_replay import StarvedFeel

# two rules that both match a guest count above 1: a UNIQUE table then fails (answered, not raised)
AMBIGUOUS = Table(
    "seating",
    "Seating",
    [In("Guests", "guestCount", "number")],
    [Out("Table", "table")],
    [["> 0", '"small"'], ["> 1", '"large"']],
)
COSTLY = "count(for i in 1..1000000000 return i) > 0"  # runs for minutes in any FEEL implementation


def decision_workload(engine: Engine) -> list[tuple[str, str]]:
    """The dinner graph, two versions of the dish table, one evaluation that succeeds and one that fails; answers
    (decision id, outcome) of the evaluations."""
    engine.deploy([("dinner.dmn", DISH_DRD)])
    engine.deploy([("dish.dmn", dmn(DISH, drg_id="dishes"))])
    engine.deploy([("dish.dmn", dmn(WINTER_STEW, drg_id="dishes"))])
    engine.deploy([("seating.dmn", dmn(AMBIGUOUS, drg_id="seatings"))])
    served = engine.evaluate_decision("beverages", variables=JANUARY_DINNER)
    failed = engine.evaluate_decision("seating", variables={"guestCount": 4})
    assert not served.result.failed and failed.result.failed
    return [
        (served.decision.decision_id, str(served.result.decision_output)),
        (failed.decision.decision_id, str(failed.result.failure_message)),
    ]


def test_recovery_applies_the_decision_events_without_feel_or_the_clock(tmp_path: Path) -> None:
    """Deployed and evaluated on a durable engine, recovered by applying the logged events on a starved machine
    (every FEEL evaluation fails) with the real clock: the same state, the evaluations' records as they were, and no
    FEEL evaluated during the recovery."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    decision_workload(engine)

    evaluations = recover_starved(tmp_path, engine)

    assert [(r.value_type, r.intent) for r in evaluations] == [
        ("DECISION_EVALUATION", "EVALUATED"),
        ("DECISION_EVALUATION", "FAILED"),
    ]


def recover_starved(tmp_path: Path, engine: DurableEngine) -> list[Record]:
    """Closes `engine` without a snapshot and recovers it on a starved machine (every FEEL evaluation fails) with the
    real clock; asserts the same state and that no FEEL ran. Answers the recovered DECISION_EVALUATION records."""
    before = full_state(engine)
    engine.close(snapshot=False)
    StarvedFeel.calls = 0
    recovered = open_durable_engine(tmp_path, controlled_clock=False, feel=StarvedFeel())
    try:
        after = full_state(recovered)
        evaluations = [r for r in recovered.records if r.value_type == "DECISION_EVALUATION"]
    finally:
        recovered.close(snapshot=False)
    del before["clock"], after["clock"]  # the recovered engine runs on real time
    assert after == before
    assert StarvedFeel.calls == 0
    return evaluations


def test_decisions_come_back_from_a_snapshot_and_evaluate_as_before(tmp_path: Path) -> None:
    """After a clean stop (a snapshot, no log) the decisions are read from the snapshot document: same keys and
    versions, the latest version of each decision still the one evaluated by id, with the same answer."""
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    answers = decision_workload(engine)
    store = engine.decision_store
    decisions = {d.key: (d.decision_id, d.version, d.requirements_key) for d in store.decisions.values()}
    engine.close()

    restarted = open_durable_engine(tmp_path, controlled_clock=True)
    try:
        store = restarted.decision_store
        assert {d.key: (d.decision_id, d.version, d.requirements_key) for d in store.decisions.values()} == decisions
        dish = store.latest_decision("dish")
        assert dish is not None and dish.version == 3
        again = [
            restarted.evaluate_decision("beverages", variables=JANUARY_DINNER),
            restarted.evaluate_decision("seating", variables={"guestCount": 4}),
        ]
        assert [
            (e.decision.decision_id, str(e.result.failure_message if e.result.failed else e.result.decision_output))
            for e in again
        ] == answers
        winter = restarted.evaluate_decision("dish", variables={"season": "Winter", "guestCount": 12})
        assert winter.result.decision_output == "Stew"
    finally:
        restarted.close()


def test_a_snapshot_written_before_decisions_still_loads() -> None:
    """The snapshot document gained the deployed decisions as optional fields: a document without them (an
    earlier release's) loads, with no decisions."""
    engine = Engine()
    engine.deploy([("dinner.dmn", DISH_DRD)])
    document = encode_state(engine.state)
    assert len(document["decisions"]) == 4 and len(document["decision_requirements"]) == 1
    del document["decisions"], document["decision_requirements"]

    state = EngineState()
    decode_state(document, state, lambda *_: pytest.fail("no process to load"))

    assert state.decisions.decisions == {} and state.decisions.requirements == {}


def test_costly_decision_expressions_do_not_hold_the_deployment() -> None:
    """The deploy-time check parses each literal expression and each input column's unary tests without running
    them. With a FEEL limit of ten minutes, a literal expression and an input entry that would run for minutes are
    accepted at once (run, the deployment would wait for them), while a syntax error in the same column as a costly
    test is still found."""
    engine = Engine(feel=FeelinEvaluator(timeout=600))
    costly = dmn(
        Literal("slow", "Slow", "slow", COSTLY, "boolean"),
        Table("gate", "Gate", [In("n", "n", "number")], [Out("Open", "open", "boolean")], [[COSTLY, "true"]]),
        drg_id="costly",
    )

    deployment = engine.deploy([("costly.dmn", costly)])

    assert sorted(r.id for r in deployment.resources if r.kind == "decision") == ["gate", "slow"]

    broken = dmn(
        Table(
            "gate",
            "Gate",
            [In("n", "n", "number")],
            [Out("Open", "open", "boolean")],
            [[COSTLY, "true"], ["[1..", "false"]],
        ),
        drg_id="broken",
    )
    with pytest.raises(InvalidArgumentError) as refused:
        engine.deploy([("broken.dmn", broken)])
    assert "the input entry is not a valid FEEL unary test: failed to evaluate expression '[1..': syntax error" in str(
        refused.value
    )


def test_recovery_never_evaluates_a_business_rule_task_decision_again(tmp_path: Path) -> None:
    """A business rule task's evaluation is its events (DECISION_EVALUATED with the element, the result variable, the
    DECISION_EVALUATION_ERROR incident of a failed one): recovered on a starved machine (every FEEL evaluation fails)
    the state is the same, the evaluation records keep their link to the task, and no FEEL ran."""
    task = (
        '<bpmn:businessRuleTask id="Decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="seating" '
        'resultVariable="table" /></bpmn:extensionElements></bpmn:businessRuleTask>'
    )
    engine = open_durable_engine(tmp_path, controlled_clock=True)
    engine.deploy(
        [
            ("seat.bpmn", bpmn("seat", start("Start"), task, end("End"), chain("Start", "Decide", "End"))),
            ("seating.dmn", dmn(AMBIGUOUS, drg_id="seatings")),
        ]
    )
    served = engine.create_process_instance(bpmn_process_id="seat", variables={"guestCount": 1})
    stuck = engine.create_process_instance(bpmn_process_id="seat", variables={"guestCount": 4})
    finished = engine.process_instances[served.key].final_variables
    assert finished == {"guestCount": 1, "table": "small"}
    [incident] = [i for i in engine.incidents.values() if i.process_instance_key == stuck.key]
    assert incident.error_type == "DECISION_EVALUATION_ERROR"
    evaluations = recover_starved(tmp_path, engine)

    assert [(r.intent, r.process_instance_key, r.element_id) for r in evaluations] == [
        ("EVALUATED", served.key, "Decide"),
        ("FAILED", stuck.key, "Decide"),
    ]
