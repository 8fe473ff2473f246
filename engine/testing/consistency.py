"""A consistency check of the engine's state between commands: what must hold however the engine got there.

Used by the fuzz tests after every random request; `state_violations` returns a sentence per broken rule (an
empty list when the state is sound), `assert_consistent` raises with all of them.
"""

from engine.engine import ACTIVE, Engine
from engine.model import Kind
from engine.state import ElementInstance, ElementState, FinishedElement, IncidentState, JobState, UserTaskState

# a job whose error was caught by nothing stays ERROR_THROWN, with its incident, as in Zeebe
LIVE_JOB_STATES = (JobState.ACTIVATABLE, JobState.ACTIVATED, JobState.FAILED, JobState.ERROR_THROWN)


def state_violations(engine: Engine) -> list[str]:
    """Every rule of a sound state that the engine's state breaks, one sentence each."""
    out: list[str] = []
    out += _idle_violations(engine)
    out += _element_violations(engine)
    out += _process_instance_violations(engine)
    out += _wait_violations(engine)
    out += _decision_violations(engine)
    return out


def assert_consistent(engine: Engine) -> None:
    problems = state_violations(engine)
    if problems:
        raise AssertionError("the engine's state is inconsistent:\n- " + "\n- ".join(problems))


def _idle_violations(engine: Engine) -> list[str]:
    out = []
    queued = len(engine._steps.queue)
    if queued and not engine.steps_deferred:
        out.append(f"{queued} step(s) are still queued between commands, and none will run them")
    if engine._steps.running:
        out.append("the executor still counts itself as running between commands")
    if engine.state.instant is not None:
        out.append("a command's instant is still set between commands")
    return out


def _awaits_canceling_listeners(engine: Engine, inst: ElementInstance) -> bool:
    """A terminating element may wait between commands only for the canceling task listeners of its user task, or
    for what is inside it (a child, the instance it called) that waits for them."""
    state = engine.state
    task_key = state.user_tasks.by_element.get(inst.key)
    if task_key is not None:
        return state.user_tasks.tasks[task_key].state is UserTaskState.CANCELING
    called_key = state.instances.called.get(inst.key)
    called = engine.element_instances.get(called_key) if called_key is not None else None
    return bool(inst.children) or (called is not None and called.state is ElementState.TERMINATING)


def _element_violations(engine: Engine) -> list[str]:
    out = []
    elements = engine.element_instances
    for inst in elements.values():
        where = f"element instance {inst.key} ({inst.element_id}, {inst.state.value})"
        if inst.process_definition_key not in engine.definitions:
            out.append(f"{where}: its process definition {inst.process_definition_key} does not exist")
        if inst.state is ElementState.TERMINATING and not _awaits_canceling_listeners(engine, inst):
            out.append(f"{where}: left half-terminated")
        if not inst.state.is_active:
            if inst.children and any(elements[k].state.is_active for k in inst.children if k in elements):
                out.append(f"{where}: finished, but has active children")
            continue
        if inst.flow_scope_key is None:
            if inst.kind is not Kind.PROCESS:
                out.append(f"{where}: active without a flow scope, but it is not a process")
        else:
            scope = elements.get(inst.flow_scope_key)
            if scope is None:
                out.append(f"{where}: its flow scope {inst.flow_scope_key} does not exist")
            elif not scope.state.is_active:
                out.append(f"{where}: its flow scope {scope.key} ({scope.element_id}) is {scope.state.value}")
            elif inst.key not in (scope.children or ()):
                out.append(f"{where}: not among the children of its flow scope {scope.key}")
        for child in inst.children or ():
            if child not in elements:
                out.append(f"{where}: its child {child} does not exist")
    return out


def _process_instance_violations(engine: Engine) -> list[str]:
    out = []
    active_roots = set()
    live = engine.element_instances
    archive = engine.state.instances.archive
    for pi in engine.process_instances.values():
        # a finished instance's elements are archived as tuples (read here as such: a detached element instance per
        # finished process instance, after every fuzz example, made the check grow with the whole run); a live one's
        # are live
        root = live.get(pi.key)
        if root is not None:
            root_state = root.state
        elif pi.state != ACTIVE and pi.key in archive:
            root_state = ElementState(FinishedElement._make(archive[pi.key]).state)
        else:
            root_state = None
        where = f"process instance {pi.key} ({pi.bpmn_process_id}, {pi.state})"
        if root_state is None:
            out.append(f"{where}: no root element instance")
            continue
        if pi.state == ACTIVE:
            active_roots.add(pi.key)
            if not root_state.is_active:
                out.append(f"{where}: its root element instance is {root_state.value}")
        elif root_state.is_active:
            out.append(f"{where}: finished, but its root element instance is {root_state.value}")
    for inst in engine.element_instances.values():
        if inst.state.is_active and inst.process_instance_key not in active_roots:
            out.append(
                f"element instance {inst.key} ({inst.element_id}) is active in process instance "
                f"{inst.process_instance_key}, which is not active"
            )
    return out


def _wait_violations(engine: Engine) -> list[str]:
    out = []
    elements = engine.element_instances

    def host_problem(what: str, host_key: int | None) -> str | None:
        if host_key is None:
            return None
        host = elements.get(host_key)
        if host is None:
            return f"{what}: its element instance {host_key} does not exist"
        if not host.state.is_active:
            return f"{what}: its element instance {host_key} ({host.element_id}) is {host.state.value}"
        return None

    for job in engine.jobs.values():
        what = f"job {job.key} ({job.type}, {job.state.value})"
        if job.state not in LIVE_JOB_STATES:
            out.append(f"{what}: kept among the live jobs")
            continue
        problem = host_problem(what, job.element_instance_key)
        if problem:
            out.append(problem)
        elif engine.state.jobs.by_element.get(job.element_instance_key) != job.key:
            out.append(f"{what}: its element instance does not point back to it")
    for timer in engine.timers.values():
        what = f"timer {timer.key} ({timer.target_element_id})"
        problem = host_problem(what, timer.element_instance_key)
        if problem:
            out.append(problem)
        elif timer.element_instance_key is not None and timer.key not in engine.timers_of(timer.element_instance_key):
            out.append(f"{what}: its element instance does not point back to it")
        if timer.process_definition_key not in engine.definitions:
            out.append(f"{what}: its process definition does not exist")
    for sub in engine.subscriptions.values():
        what = f"message subscription {sub.key} ({sub.message_name!r})"
        problem = host_problem(what, sub.element_instance_key)
        if problem:
            out.append(problem)
        elif sub.key not in engine.subscriptions_of(sub.element_instance_key):
            out.append(f"{what}: its element instance does not point back to it")
    for signal in engine.signal_subscriptions.values():
        problem = host_problem(
            f"signal subscription {signal.key} ({signal.signal_name!r})", signal.element_instance_key
        )
        if problem:
            out.append(problem)
    for incident in engine.incidents.values():
        if incident.state is not IncidentState.ACTIVE:
            continue
        what = f"incident {incident.key} ({incident.error_type} at {incident.element_id})"
        problem = host_problem(what, incident.element_instance_key)
        if problem:
            out.append(problem)
        elif elements[incident.element_instance_key].incident_key != incident.key:
            out.append(f"{what}: its element instance does not point back to it")
        if incident.job_key is not None and incident.job_key not in engine.jobs:
            out.append(f"{what}: its job {incident.job_key} does not exist")
    for task in engine.user_tasks.values():
        if task.state.is_open:
            problem = host_problem(f"user task {task.key} ({task.element_id})", task.element_instance_key)
            if problem:
                out.append(problem)
    for message in engine.messages.values():
        if message.expires_at < message.published_at:
            out.append(f"message {message.key} ({message.name!r}) expires before it was published")
    return out


def _decision_violations(engine: Engine) -> list[str]:
    """The deployed decisions: each in a graph that is there, the latest version of each id the highest one."""
    out = []
    store = engine.decision_store
    for decision in store.decisions.values():
        if decision.requirements_key not in store.requirements:
            out.append(f"decision {decision.key} belongs to the graph {decision.requirements_key}, which is not there")
        latest = store.latest_decision(decision.decision_id)
        if latest is None or latest.version < decision.version:
            out.append(f"decision {decision.key} ({decision.decision_id}) is newer than its latest version")
    for requirements in store.requirements.values():
        latest_graph = store.latest_requirements(requirements.requirements_id)
        if latest_graph is None or latest_graph.version < requirements.version:
            out.append(f"decision graph {requirements.key} is newer than its latest version")
    return out
