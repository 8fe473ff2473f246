"""BPMN conformance, data flow: zeebe:ioMapping inputs and outputs, task headers, job retries, and where
job variables land without output mappings (Zeebe's propagation rule)."""

import json

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    catch,
    end,
    headers,
    io,
    message,
    message_ref,
    service,
    start,
    sub_process,
)


def one_task(process_id: str, task: str) -> tuple[str, ...]:
    return (process_id, start("Start"), task, end("End"), chain("Start", "Work", "End"))


async def test_input_mappings_are_local_to_the_task_and_visible_to_its_job(gw: Driver, engine: EmbeddedEngine) -> None:
    """Inputs (evaluated in order, a later one reading an earlier one, dotted targets nest) are the task's
    locals: its job sees them, the process never does."""
    await gw.deploy_bpmn(
        *one_task(
            "inputs",
            service(
                "Work",
                "work",
                io(
                    inputs=(
                        ("=order.total", "amount"),
                        ("=amount * 11 / 10", "withTax"),
                        ("IDR", "money.currency"),
                        ("=withTax", "money.value"),
                    )
                ),
            ),
        )
    )
    pi = await gw.start("inputs", {"order": {"total": 100}})

    job = await gw.job("work")

    assert json.loads(job.variables) == {
        "order": {"total": 100},
        "amount": 100,
        "withTax": 110,
        "money": {"currency": "IDR", "value": 110},
    }
    [work_key] = gw.element_keys(pi, "Work")
    assert set(engine.variables(work_key)) == {"amount", "withTax", "money"}
    await gw.complete(job)
    engine.assert_that(pi).is_completed().has_no_variable("amount").has_no_variable("money")


async def test_output_mappings_write_to_the_parent_and_merge_dotted_targets(gw: Driver, engine: EmbeddedEngine) -> None:
    """Outputs map job results into the process (a dotted target merges into the existing object); job
    variables that no output maps do not leave the task."""
    await gw.deploy_bpmn(
        *one_task(
            "outputs",
            service(
                "Work",
                "work",
                io(
                    outputs=(
                        ("=result.score", "report.score"),
                        ('="checked"', "report.status"),
                        ("=result", "raw"),
                    )
                ),
            ),
        )
    )
    pi = await gw.start("outputs", {"report": {"title": "Q1", "status": "new"}})

    await gw.complete(await gw.job("work"), {"result": {"score": 7}, "noise": True})

    engine.assert_that(pi).is_completed().has_variable("report", {"title": "Q1", "status": "checked", "score": 7})
    engine.assert_that(pi).has_variable("raw", {"score": 7}).has_no_variable("result").has_no_variable("noise")


async def test_task_headers_reach_the_job_custom_headers(gw: Driver, engine: EmbeddedEngine) -> None:
    """zeebe:taskHeaders arrive unchanged (static strings) in the activated job's customHeaders."""
    await gw.deploy_bpmn(
        *one_task("taskHeaders", service("Work", "kirim-email", headers(template="undangan", penerima="=notFeel")))
    )
    await gw.start("taskHeaders")

    job = await gw.job("kirim-email")

    assert json.loads(job.customHeaders) == {"template": "undangan", "penerima": "=notFeel"}


async def test_task_definition_retries_reach_the_job_static_and_feel(gw: Driver, engine: EmbeddedEngine) -> None:
    """zeebe:taskDefinition retries, static or a FEEL expression, become the job's retries; FEEL job types
    are evaluated too."""
    await gw.deploy_bpmn(
        "retries",
        start("Start"),
        service("Static", "static-retries", retries="5"),
        service("Feel", '=kind + "-retries"', retries="=maxRetries + 1"),
        end("End"),
        chain("Start", "Static", "Feel", "End"),
    )
    pi = await gw.start("retries", {"maxRetries": 6, "kind": "feel"})

    static = await gw.job("static-retries")
    assert static.retries == 5
    await gw.complete(static)
    feel = await gw.job("feel-retries")
    assert feel.retries == 7
    await gw.complete(feel)
    engine.assert_that(pi).is_completed()


async def test_job_variables_without_outputs_go_to_the_nearest_scope_that_has_them(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Without output mappings, each job variable updates the nearest scope (task, sub-process, process)
    that already has it, else it is created on the process instance."""
    await gw.deploy_bpmn(
        "propagation",
        start("Start"),
        sub_process(
            "Sub",
            start("SubStart") + service("Work", "work", io(inputs=(("=1", "taskLocal"),))) + chain("SubStart", "Work"),
            io(inputs=(("=0", "subCounter"),)),
        ),
        service("After", "after"),
        end("End"),
        chain("Start", "Sub", "After", "End"),
    )
    pi = await gw.start("propagation", {"existing": "old"})
    [sub_key] = gw.element_keys(pi, "Sub")
    [work_key] = gw.element_keys(pi, "Work")

    await gw.complete(await gw.job("work"), {"taskLocal": 99, "subCounter": 5, "existing": "new", "fresh": [1, 2]})

    assert engine.variables(work_key) == {"taskLocal": 99}
    assert engine.variables(sub_key) == {"subCounter": 5}
    after = await gw.job("after")
    assert json.loads(after.variables) == {"existing": "new", "fresh": [1, 2]}
    await gw.complete(after)
    engine.assert_that(pi).is_completed().has_no_variable("taskLocal").has_no_variable("subCounter")


async def test_message_variables_with_output_mappings_leave_only_what_is_mapped(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A message catch event with output mappings keeps the message's variables local: only the mapped
    values reach the process."""
    await gw.deploy_bpmn(
        "messageOutputs",
        start("Start"),
        catch("Paid", message_ref("Msg_Paid"), io(outputs=(("=amount * 100", "amountInCents"),))),
        end("End"),
        chain("Start", "Paid", "End"),
        extra=message("Msg_Paid", "paid", "=orderId"),
    )
    pi = await gw.start("messageOutputs", {"orderId": "O-1"})

    await gw.publish("paid", "O-1", {"amount": 12, "cardNumber": "4111-xxxx"})

    engine.assert_that(pi).is_completed().has_variable("amountInCents", 1200)
    engine.assert_that(pi).has_no_variable("amount").has_no_variable("cardNumber")
