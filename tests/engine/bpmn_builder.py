"""Builds small BPMN documents for the conformance tests, so each test shows the diagram it runs."""

import itertools

BPMN_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def process(process_id: str, body: str, *, extra: str = "") -> bytes:
    """A definitions document with one executable process; `extra` holds messages and errors."""
    return (
        f'{BPMN_HEADER}{extra}\n<bpmn:process id="{process_id}" isExecutable="true">\n{body}\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    ).encode()


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
    )


def service_task(task_id: str, job_type: str, *, retries: int = 3, extensions: str = "", attrs: str = "") -> str:
    return (
        f'<bpmn:serviceTask id="{task_id}" {attrs}><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}" retries="{retries}" />{extensions}'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


def chain(*element_ids: str) -> str:
    """Sequence flows joining the given elements in order."""
    return "\n".join(flow(f"Flow_{a}_{b}", a, b) for a, b in itertools.pairwise(element_ids))


def simple_service_process(process_id: str = "simple", job_type: str = "do-work") -> bytes:
    """start → one service task → end."""
    return process(
        process_id,
        '<bpmn:startEvent id="Start" />'
        + service_task("Work", job_type)
        + '<bpmn:endEvent id="End" />'
        + chain("Start", "Work", "End"),
    )
