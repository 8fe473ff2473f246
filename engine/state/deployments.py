"""Deployed process definitions and forms, and the message start events of the latest versions."""

from engine.state.values import Form, MessageStartSubscription, ProcessDefinition


class Deployments:
    __slots__ = ("definitions", "forms", "latest_forms", "latest_processes", "message_starts")

    def __init__(self) -> None:
        self.definitions: dict[int, ProcessDefinition] = {}
        self.forms: dict[int, Form] = {}
        self.latest_processes: dict[str, int] = {}  # BPMN process id → key of its latest version
        self.latest_forms: dict[str, int] = {}  # form id → key of its latest version
        self.message_starts: list[MessageStartSubscription] = []

    def latest_definition(self, bpmn_process_id: str) -> ProcessDefinition | None:
        key = self.latest_processes.get(bpmn_process_id)
        return self.definitions[key] if key is not None else None

    def latest_form(self, form_id: str) -> Form | None:
        key = self.latest_forms.get(form_id)
        return self.forms[key] if key is not None else None
