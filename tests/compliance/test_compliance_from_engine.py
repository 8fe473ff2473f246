"""The compliance figures read from a real run: SOP 1's committed diagram on the embedded engine, fourteen requests
started over gRPC on a Monday morning in Kalimantan Timur, their jobs completed at known instants of the engine's
clock, and the report built from what `/v2` serves – every element instance of the process through the search's
pages, the standards from the deployed XML, the request numbers from the variables."""

from datetime import date

import pytest

from engine.testing import EmbeddedEngine
from pbj.commands.rest import PAGE_SIZE, CamundaRest
from pbj.commands.settings import CommandSettings
from pbj.compliance import Period, fetch_report, minutes
from tests.compliance.scenario import REQUESTS, number, registration, run_activations, run_monday
from tests.engine.bpmn_harness import Driver
from workers.domain import RequestKind
from workers.settings import Settings


async def test_figures_from_the_engines_history(engine: EmbeddedEngine, gw: Driver) -> None:
    """The scripted Monday (`tests.compliance.scenario`): row 2 done 13, median 6, p90 12, 7 within, 7 breaches with
    the one still running; row 5 median 26, all within; 13 requests done in 32 working minutes, 7 without a breach,
    one running over."""
    _, waiting = await run_monday(engine, gw)

    settings = CommandSettings.from_env({"CAMUNDA_REST_ADDRESS": engine.rest_url})
    calendar = Settings.from_env({}).working_time.calendar(RequestKind.ADMIN_PPE)
    async with CamundaRest(settings) as rest:
        history = await rest.search("element-instances", {"processDefinitionId": "registrasiAdminPpe"})
        assert len(history) > PAGE_SIZE  # the report reads past the first page
        report = await fetch_report(
            rest, RequestKind.ADMIN_PPE, calendar, Period(date(2026, 3, 2), date(2026, 3, 2)), engine.current_time
        )

    rows = {step.row: step.figures for step in report.steps}
    assert list(rows) == [2, 3, 5, 6, 7, 8]
    row2 = rows[2]
    assert (row2.done, row2.within, minutes(row2.median), minutes(row2.p90)) == (13, 7, 6, 12)
    assert row2.share_within == pytest.approx(7 / 13)
    assert (row2.running, row2.running_over, row2.breaches) == (1, 1, 7)
    row5 = rows[5]
    assert (row5.done, row5.within, minutes(row5.median), minutes(row5.p90), row5.breaches) == (13, 13, 26, 26, 0)
    for row in (6, 7, 8):
        assert (rows[row].done, rows[row].within, minutes(rows[row].median)) == (13, 13, 0)
    assert (rows[3].done, rows[3].running) == (0, 0)

    summary = report.request_figures
    assert (summary.done, summary.within, minutes(summary.median), minutes(summary.p90)) == (13, 7, 32, 32)
    assert (summary.running, summary.running_over, summary.breaches) == (1, 1, 7)
    assert sorted(request.number or "" for request in report.requests) == [number(n) for n in range(REQUESTS)]
    [running] = [request for request in report.requests if not request.done]
    assert running.process_instance_key == str(waiting)
    assert (minutes(running.working_time), running.breaches) == (32, 1)


async def test_row_7_figures_from_the_engines_history(engine: EmbeddedEngine, gw: Driver) -> None:
    """SOP 2 row 7's scripted Monday (`tests.compliance.scenario.run_activations`): the activation on three systems
    counts once per registration, as the sub-process that times it, from its start to its end – done in 3, 3 and 6
    working minutes: median 3, p90 5.4 (h = 1.8: 3 + 0.8 × 3), 2 of 3 within; with the one still waiting past its 5
    minutes, 2 breaches. No other row is measured: the activations inside it are part of the step."""
    keys = await run_activations(engine, gw)

    settings = CommandSettings.from_env({"CAMUNDA_REST_ADDRESS": engine.rest_url})
    calendar = Settings.from_env({}).working_time.calendar(RequestKind.PPBJ)
    async with CamundaRest(settings) as rest:
        report = await fetch_report(
            rest, RequestKind.PPBJ, calendar, Period(date(2026, 3, 2), date(2026, 3, 2)), engine.current_time
        )

    assert [step.row for step in report.steps] == [2, 3, 4, 5, 6, 7]
    row7 = report.steps[-1]
    assert (row7.element_id, row7.name, row7.standard) == (
        "AktifkanAkunPpbjSubProcess",
        "Mengaktifkan akun PPBJ",
        "PT5M",
    )
    figures = row7.figures
    assert (figures.done, figures.within, minutes(figures.median), figures.share_within) == (3, 2, 3, 2 / 3)
    assert minutes(figures.p90) == pytest.approx(5.4)
    assert (figures.running, figures.running_over, figures.breaches) == (1, 1, 2)
    assert all(step.figures.done == step.figures.running == 0 for step in report.steps[:-1])
    by_key = {request.process_instance_key: request for request in report.requests}
    assert [(by_key[str(k)].steps_done, by_key[str(k)].breaches) for k in keys] == [(1, 0), (1, 0), (1, 1), (0, 1)]
    assert [by_key[str(k)].number for k in keys] == [registration(n) for n in range(4)]
