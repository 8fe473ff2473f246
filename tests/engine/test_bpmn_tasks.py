"""BPMN conformance, tasks: service, send, script, receive, Camunda user task (REST) and job-based user
task, and the FORM_NOT_FOUND incident of a user task whose linked form is not deployed."""

import json

import grpc
import pytest

from engine.testing import EmbeddedEngine
from tests.engine.bpmn_builder import chain
from tests.engine.bpmn_harness import (
    Driver,
    bpmn,
    end,
    ext,
    message,
    service,
    start,
)


def form(form_id: str) -> tuple[str, bytes]:
    schema = {
        "id": form_id,
        "type": "default",
        "schemaVersion": 18,
        "components": [{"id": "Approved", "type": "checkbox", "key": "approved", "label": "Approved"}],
    }
    return (f"{form_id}.form", json.dumps(schema).encode())


def user_task(element_id: str, *extensions: str) -> str:
    return f'<bpmn:userTask id="{element_id}" name="Review it">{ext(*extensions)}</bpmn:userTask>'


async def test_service_task_creates_a_job_and_completes_with_its_variables(gw: Driver, engine: EmbeddedEngine) -> None:
    """A service task waits for a job of its type; completing it merges the variables into the process."""
    await gw.deploy_bpmn(
        "serviceTask", start("Start"), service("Work", "do-work"), end("End"), chain("Start", "Work", "End")
    )
    pi = await gw.start("serviceTask", {"input": 2})

    job = await gw.job("do-work")

    assert (job.elementId, job.processInstanceKey, job.retries) == ("Work", pi, 3)
    assert json.loads(job.variables) == {"input": 2}
    engine.assert_that(pi).is_waiting_exactly_at("Work")
    await gw.complete(job, {"output": 4})
    engine.assert_that(pi).is_completed().has_variable("output", 4).has_variable("input", 2)


async def test_send_task_is_a_job_like_a_service_task(gw: Driver, engine: EmbeddedEngine) -> None:
    """A send task with a task definition creates a job that a worker completes."""
    await gw.deploy_bpmn(
        "sendTask",
        start("Start"),
        service("Notify", "send-mail", tag="sendTask"),
        end("End"),
        chain("Start", "Notify", "End"),
    )
    pi = await gw.start("sendTask")

    job = await gw.job("send-mail")
    await gw.complete(job)

    assert job.elementId == "Notify"
    engine.assert_that(pi).is_completed().has_passed("Notify")


async def test_script_task_stores_the_feel_result_in_its_result_variable(gw: Driver, engine: EmbeddedEngine) -> None:
    """A script task with zeebe:script evaluates FEEL and stores the result in resultVariable, no job."""
    await gw.deploy_bpmn(
        "scriptTask",
        start("Start"),
        '<bpmn:scriptTask id="Sum">'
        + ext('<zeebe:script expression="=sum(items) * factor" resultVariable="total" />')
        + "</bpmn:scriptTask>",
        end("End"),
        chain("Start", "Sum", "End"),
    )

    pi = await gw.start("scriptTask", {"items": [1, 2, 3], "factor": 10})

    engine.assert_that(pi).is_completed().has_variable("total", 60)
    assert engine.jobs() == []


async def test_receive_task_completes_on_the_message_with_its_correlation_key(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A receive task waits for its message with a matching correlation key, then continues."""
    await gw.deploy_bpmn(
        "receiveTask",
        start("Start"),
        '<bpmn:receiveTask id="WaitDocs" messageRef="Msg_Docs" />',
        end("End"),
        chain("Start", "WaitDocs", "End"),
        extra=message("Msg_Docs", "docs-uploaded", "=requestId"),
    )
    pi = await gw.start("receiveTask", {"requestId": 42})

    await gw.publish("docs-uploaded", "41", {"docs": ["wrong"]})
    engine.assert_that(pi).is_waiting_exactly_at("WaitDocs")
    await gw.publish("docs-uploaded", "42", {"docs": ["a.pdf"]})

    engine.assert_that(pi).is_completed().has_variable("docs", ["a.pdf"])


ASSIGNMENT = '<zeebe:assignmentDefinition assignee="=reviewer" candidateGroups="admin-ppe, auditors" />'
CAMUNDA_USER_TASK = (
    "camundaUserTask",
    start("Start"),
    user_task(
        "Review",
        "<zeebe:userTask />",
        '<zeebe:formDefinition formId="review-form" />',
        ASSIGNMENT,
    ),
    end("End"),
    chain("Start", "Review", "End"),
)


async def test_camunda_user_task_is_completed_through_rest(gw: Driver, engine: EmbeddedEngine) -> None:
    """A zeebe:userTask with a linked form, assignee and candidate groups is found and completed over REST."""
    deployed = await gw.deploy(("camundaUserTask.bpmn", bpmn(*CAMUNDA_USER_TASK)), form("review-form"))
    [form_key] = [d.form.formKey for d in deployed.deployments if d.WhichOneof("Metadata") == "form"]
    pi = await gw.start("camundaUserTask", {"reviewer": "budi"})

    [task] = await gw.search_user_tasks(processInstanceKey=str(pi), state="CREATED")

    assert task["elementId"] == "Review"
    assert task["assignee"] == "budi"
    assert task["candidateGroups"] == ["admin-ppe", "auditors"]
    assert task["formKey"] == str(form_key)
    assert engine.jobs() == []
    await gw.complete_user_task(task["userTaskKey"], {"approved": True})
    engine.assert_that(pi).is_completed().has_passed("Review").has_variable("approved", True)
    assert await gw.search_user_tasks(processInstanceKey=str(pi), state="CREATED") == []


async def test_user_task_with_a_missing_form_raises_form_not_found_until_the_form_is_deployed(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """Without the linked form the user task raises FORM_NOT_FOUND; deploying it and resolving continues."""
    await gw.deploy(("camundaUserTask.bpmn", bpmn(*CAMUNDA_USER_TASK)))
    pi = await gw.start("camundaUserTask", {"reviewer": "budi"})
    engine.assert_that(pi).has_incident("FORM_NOT_FOUND", "Review")
    assert await gw.search_user_tasks(processInstanceKey=str(pi)) == []

    await gw.deploy(form("review-form"))
    await gw.resolve(gw.incident(pi, "FORM_NOT_FOUND").key)

    engine.assert_that(pi).has_no_incidents().is_waiting_exactly_at("Review")
    [task] = await gw.search_user_tasks(processInstanceKey=str(pi))
    await gw.complete_user_task(task["userTaskKey"], {"approved": False})
    engine.assert_that(pi).is_completed().has_variable("approved", False)


async def test_job_based_user_task_is_a_job_with_the_user_task_headers(gw: Driver, engine: EmbeddedEngine) -> None:
    """A user task without zeebe:userTask is a job of type io.camunda.zeebe:userTask whose headers carry
    the evaluated assignee, candidate groups (a JSON list) and the linked form's key."""
    deployed = await gw.deploy(
        (
            "jobUserTask.bpmn",
            bpmn(
                "jobUserTask",
                start("Start"),
                user_task(
                    "Review",
                    '<zeebe:formDefinition formId="review-form" />',
                    ASSIGNMENT,
                    '<zeebe:taskHeaders><zeebe:header key="kind" value="review" /></zeebe:taskHeaders>',
                ),
                end("End"),
                chain("Start", "Review", "End"),
            ),
        ),
        form("review-form"),
    )
    [form_key] = [d.form.formKey for d in deployed.deployments if d.WhichOneof("Metadata") == "form"]
    pi = await gw.start("jobUserTask", {"reviewer": "budi"})

    job = await gw.job("io.camunda.zeebe:userTask")

    assert json.loads(job.customHeaders) == {
        "kind": "review",
        "io.camunda.zeebe:assignee": "budi",
        "io.camunda.zeebe:candidateGroups": '["admin-ppe","auditors"]',
        "io.camunda.zeebe:formKey": str(form_key),
    }
    assert engine.user_tasks(pi) == []
    await gw.complete(job, {"approved": True})
    engine.assert_that(pi).is_completed().has_variable("approved", True)


async def test_completing_a_job_of_a_camunda_user_task_is_impossible(gw: Driver, engine: EmbeddedEngine) -> None:
    """A Camunda user task creates no job: no worker can activate or complete it in place of a person."""
    await gw.deploy(("camundaUserTask.bpmn", bpmn(*CAMUNDA_USER_TASK)), form("review-form"))
    pi = await gw.start("camundaUserTask", {"reviewer": "budi"})

    assert await gw.activate("io.camunda.zeebe:userTask") == []
    [task] = await gw.search_user_tasks(processInstanceKey=str(pi))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gw.complete(int(task["userTaskKey"]))
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    engine.assert_that(pi).is_waiting_exactly_at("Review")


async def test_job_based_user_task_with_a_missing_form_raises_form_not_found(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A job-based user task linked to a form that is not deployed raises FORM_NOT_FOUND and creates no job
    until the form is deployed and the incident resolved."""
    await gw.deploy_bpmn(
        "jobUserTaskNoForm",
        start("Start"),
        user_task("Review", '<zeebe:formDefinition formId="review-form" />'),
        end("End"),
        chain("Start", "Review", "End"),
    )
    pi = await gw.start("jobUserTaskNoForm")
    engine.assert_that(pi).has_incident("FORM_NOT_FOUND", "Review")
    assert await gw.activate("io.camunda.zeebe:userTask") == []

    await gw.deploy(form("review-form"))
    await gw.resolve(gw.incident(pi, "FORM_NOT_FOUND").key)

    job = await gw.job("io.camunda.zeebe:userTask")
    assert "io.camunda.zeebe:formKey" in json.loads(job.customHeaders)


EMBEDDED_FORM = {"components": [{"key": "approved", "label": "Approved", "type": "checkbox"}], "type": "default"}


async def test_job_based_user_task_with_an_embedded_form_hands_its_form_key_to_the_worker(
    gw: Driver, engine: EmbeddedEngine
) -> None:
    """A form embedded in the process (zeebe:userTaskForm, as Camunda Modeler writes it for job-based user
    tasks): the job carries the task's formKey `camunda-forms:bpmn:<id>` as written, as in Zeebe 8.8; the form
    itself is in the process XML (GET /v2/process-definitions/{key}/xml). Such a task is a job, not a Camunda
    user task, so /v2/user-tasks does not list it (Tasklist V2, the default of 8.8, shows only Camunda user
    tasks; /v2/user-tasks/{key}/form serves linked forms only)."""
    deployed = await gw.deploy_bpmn(
        "embeddedForm",
        ext(f'<zeebe:userTaskForm id="UserTaskForm_1">{json.dumps(EMBEDDED_FORM)}</zeebe:userTaskForm>'),
        start("Start"),
        user_task("Review", '<zeebe:formDefinition formKey="camunda-forms:bpmn:UserTaskForm_1" />', ASSIGNMENT),
        end("End"),
        chain("Start", "Review", "End"),
    )
    pi = await gw.start("embeddedForm", {"reviewer": "budi"})

    job = await gw.job("io.camunda.zeebe:userTask")

    assert json.loads(job.customHeaders) == {
        "io.camunda.zeebe:assignee": "budi",
        "io.camunda.zeebe:candidateGroups": '["admin-ppe","auditors"]',
        "io.camunda.zeebe:formKey": "camunda-forms:bpmn:UserTaskForm_1",
    }
    assert await gw.search_user_tasks(processInstanceKey=str(pi)) == []
    definition_key = deployed.deployments[0].process.processDefinitionKey
    async with gw.http.get(f"{engine.rest_url}/v2/process-definitions/{definition_key}/xml") as response:
        xml = await response.text()
    assert 'zeebe:userTaskForm id="UserTaskForm_1"' in xml and '"key": "approved"' in xml
    await gw.complete(job, {"approved": True})
    engine.assert_that(pi).is_completed().has_variable("approved", True)


@pytest.mark.parametrize(
    ("extensions", "reason"),
    [
        pytest.param(
            ('<zeebe:userTask /><zeebe:formDefinition formKey="camunda-forms:bpmn:UserTaskForm_1" />',),
            "exactly one of the attributes 'formId, externalReference' must be present and not blank for native "
            "user tasks",
            id="embedded form on a Camunda user task",
        ),
        pytest.param(
            ('<zeebe:formDefinition formId="review-form" formKey="camunda-forms:bpmn:UserTaskForm_1" />',),
            "exactly one of the attributes 'formId, formKey' must be present and not blank",
            id="linked and embedded form at once",
        ),
        pytest.param(
            ('<zeebe:formDefinition formKey="camunda-forms:bpmn:UserTaskForm_1" bindingType="latest" />',),
            "attribute 'formKey' must not be used in combination with attribute 'bindingType'",
            id="form key with a binding type",
        ),
    ],
)
async def test_form_definitions_zeebe_refuses_are_refused(
    gw: Driver, engine: EmbeddedEngine, extensions: tuple[str, ...], reason: str
) -> None:
    """Zeebe 8.8's form definition rules: a Camunda user task links a form or names an external one (an embedded
    form is for job-based user tasks only); a job-based one links a form or gives a form key, not both."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gw.deploy_bpmn(
            "formRules",
            ext('<zeebe:userTaskForm id="UserTaskForm_1">{"components": []}</zeebe:userTaskForm>'),
            start("Start"),
            user_task("Review", *extensions),
            chain("Start", "Review"),
        )

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    details = raised.value.details() or ""
    assert f"- Element 'Review' (bpmn:userTask) (line 7): {reason}" in details
    assert details.count("\n- ") == 1


async def test_an_empty_embedded_form_is_refused(gw: Driver, engine: EmbeddedEngine) -> None:
    """An embedded form needs its text (Zeebe's ZeebeUserTaskFormValidator); the problem names the process."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gw.deploy_bpmn(
            "emptyForm",
            ext('<zeebe:userTaskForm id="UserTaskForm_1"></zeebe:userTaskForm>'),
            start("Start"),
            end("End"),
            chain("Start", "End"),
        )

    details = raised.value.details() or ""
    assert "'emptyForm' (bpmn:process) (line 4): the text content of a zeebe:userTaskForm has to be present" in details
