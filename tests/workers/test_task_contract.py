"""The workers against the diagrams in bpmn/: every task type has a handler and every handler a task type; the
handlers read only known variables; every header, template, recipient, message and performer the diagrams use is
one the workers know; no BPMN error is modelled, so none is thrown."""

import re
from collections.abc import Iterator
from functools import cache

from lxml import etree

from tests.workers.harness import BPMN_DIR
from workers.constants import ADMIN_PPE_ACCOUNT_SYSTEM, ERROR_CODES, Header, Message, Performer, TaskType, Template, Var
from workers.domain import AccountRole, AccountStatus, PersonRole
from workers.mail_templates import MailTemplates
from workers.provisioning import parse_role, parse_status, parse_system
from workers.services import Services
from workers.tasks import ROUTER_FACTORIES
from workers.tasks.email import CONTEXTS

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "zeebe": "http://camunda.org/schema/zeebe/1.0"}


@cache
def diagrams() -> tuple[etree._ElementTree, ...]:
    """Every diagram in bpmn/, parsed."""
    return tuple(etree.parse(str(path)) for path in sorted(BPMN_DIR.glob("*.bpmn")))


def service_tasks() -> Iterator[tuple[str, str, dict[str, str]]]:
    """(element id, task type, headers) of every element with a zeebe:taskDefinition."""
    for tree in diagrams():
        for definition in tree.iterfind(".//zeebe:taskDefinition", NS):
            extensions = definition.getparent()
            element = None if extensions is None else extensions.getparent()
            assert element is not None
            headers = {str(h.get("key")): str(h.get("value")) for h in element.iterfind(".//zeebe:header", NS)}
            yield str(element.get("id")), str(definition.get("type")), headers


def handler_tasks(services: Services) -> dict[str, list[str]]:
    """Task type → the variables its handler fetches, over every router the worker is built from."""
    tasks = [task for create in ROUTER_FACTORIES for task in create(services).tasks]
    assert len({task.type for task in tasks}) == len(tasks), "two handlers for one task type"
    return {task.type: list(task.config.variables_to_fetch or []) for task in tasks}


NOT_YET_IN_DIAGRAMS: set[str] = set()
"""Job types with a handler that bpmn/ does not use yet (none: `hitung-batas-waktu-sla`, the job of the timed steps'
start execution listeners, is wired – docs/processes-design.md, "Standard times in working time")."""


def listener_types() -> set[str]:
    """The job types of every zeebe:executionListener in bpmn/."""
    return {
        str(listener.get("type")) for tree in diagrams() for listener in tree.iterfind(".//zeebe:executionListener", NS)
    }


def test_every_task_type_has_a_handler_and_every_handler_a_task_type(services: Services) -> None:
    """The task and listener types in bpmn/ (with those not wired yet), the TaskType constants and the registered
    handlers are the same set; a type not wired yet is really not in bpmn/ (once it is, drop it from the list)."""
    in_diagrams = {task_type for _, task_type, _ in service_tasks()} | listener_types()
    assert not in_diagrams & NOT_YET_IN_DIAGRAMS
    assert in_diagrams | NOT_YET_IN_DIAGRAMS == {t.value for t in TaskType}
    assert set(handler_tasks(services)) == in_diagrams | NOT_YET_IN_DIAGRAMS


def test_handlers_read_only_known_process_variables(services: Services) -> None:
    """Each handler's parameters (the variables pyzeebe fetches) are process variables listed in Var."""
    known = {v.value for v in Var}
    for task_type, variables in handler_tasks(services).items():
        assert variables, f"{task_type} would fetch every variable"
        assert set(variables) <= known, (task_type, set(variables) - known)


def test_headers_are_known_and_parse() -> None:
    """Every header key is a Header; sistem/peran/status parse; templates exist and belong to their task type;
    recipients are roles of a request."""
    templates = set(MailTemplates().names)
    for element_id, task_type, headers in service_tasks():
        assert set(headers) <= {h.value for h in Header}, element_id
        if task_type == TaskType.BUAT_AKUN:
            system = parse_system(headers.get(Header.SISTEM))
            if parse_role(headers.get(Header.PERAN)) is AccountRole.ADMIN_PPE:
                assert system is ADMIN_PPE_ACCOUNT_SYSTEM  # where kirim-email looks the Admin PPE's account up
            assert parse_role(headers.get(Header.PERAN)) in set(AccountRole)
            assert parse_status(headers.get(Header.STATUS)) in set(AccountStatus)
        if task_type == TaskType.AKTIFKAN_AKUN:
            assert parse_role(headers.get(Header.PERAN)) is AccountRole.PPBJ
        if task_type == TaskType.KIRIM_EMAIL:
            template = Template(headers[Header.TEMPLATE])
            assert template.value in templates
            assert template in CONTEXTS, element_id
            assert PersonRole(headers[Header.PENERIMA]), element_id
        if task_type == TaskType.KIRIM_NOTIFIKASI_SLA:
            assert headers == {Header.TEMPLATE: Template.PENGINGAT_SLA}


def test_every_template_folder_is_sent_by_some_task() -> None:
    """The Template constants are exactly the folders under templates/ and each one is used by a diagram."""
    used = {headers[Header.TEMPLATE] for _, _, headers in service_tasks() if Header.TEMPLATE in headers}
    assert {t.value for t in Template} == set(MailTemplates().names) == used


def test_messages_and_error_codes() -> None:
    """The message names the diagrams wait for are the Message constants; no error event is modelled."""
    names = {m.get("name") for tree in diagrams() for m in tree.iterfind("bpmn:message", NS)}
    assert names == {m.value for m in Message}
    codes = {e.get("errorCode") for tree in diagrams() for e in tree.iterfind("bpmn:error", NS)}
    assert codes == set(ERROR_CODES) == set()


def test_sla_performers_are_known() -> None:
    """Every slaPelaksana an SLA timer sets is a Performer the SLA worker can address."""
    performers = set()
    for tree in diagrams():
        for output in tree.iterfind(".//zeebe:output[@target='slaPelaksana']", NS):
            match = re.fullmatch(r'="([a-z-]+)"', output.get("source") or "")
            assert match, output.get("source")
            performers.add(match.group(1))
    assert performers
    assert performers <= {p.value for p in Performer}
