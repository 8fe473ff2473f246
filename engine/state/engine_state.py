"""The engine's whole state: one store per kind of thing, changed only by the appliers (engine/events/appliers.py)."""

from datetime import datetime

from engine.state import due as due_kinds
from engine.state.compensation import Compensations
from engine.state.decisions import Decisions
from engine.state.deployments import Deployments
from engine.state.due import DueIndex
from engine.state.flow import Flow
from engine.state.history import History
from engine.state.incidents import Incidents
from engine.state.instances import Instances
from engine.state.jobs import Jobs
from engine.state.keys import KEY_BASE, KeyGenerator
from engine.state.messages import Messages
from engine.state.signals import Signals
from engine.state.timers import Timers
from engine.state.user_tasks import UserTasks
from engine.state.values import JobState


class EngineState:
    """The stores, the key sequence and the history. `instant` is the time of the command being processed (or
    replayed): the one time the appliers write into the state."""

    __slots__ = ("compensations", "decisions", "deployments", "due", "flow", "history", "incidents", "instances",
                 "instant", "jobs", "keys", "messages", "signals", "timers", "user_tasks")  # fmt: skip

    def __init__(self, keys: KeyGenerator | None = None) -> None:
        self.keys = keys or KeyGenerator()
        self.deployments = Deployments()
        self.decisions = Decisions()
        self.instances = Instances()
        self.jobs = Jobs()
        self.user_tasks = UserTasks()
        self.timers = Timers()
        self.messages = Messages()
        self.signals = Signals()
        self.incidents = Incidents()
        self.flow = Flow()
        self.compensations = Compensations()
        self.due = DueIndex()
        self.history = History()
        self.instant: datetime | None = None

    def reset(self) -> None:
        """Empties every store in place (the behaviours hold their dicts): before the state is read again from a
        data directory."""
        for name in ("deployments", "decisions", "instances", "jobs", "user_tasks", "timers", "messages", "signals",
                     "incidents", "flow", "compensations"):  # fmt: skip
            store = getattr(self, name)
            for slot in type(store).__slots__:
                value = getattr(store, slot)
                if isinstance(value, dict | list | set):
                    value.clear()
        self.history.restore([], [], 1)
        self.due.restore([], 0)
        self.keys.restore(KEY_BASE)

    def is_live(self, kind: str, key: int, due: datetime) -> bool:
        """Whether a due-index entry still counts (its thing is there and still due then)."""
        if kind == due_kinds.TIMER:
            timer = self.timers.timers.get(key)
            return timer is not None and timer.due == due
        if kind == due_kinds.JOB_DEADLINE:
            job = self.jobs.jobs.get(key)
            return job is not None and job.state is JobState.ACTIVATED and job.deadline == due
        if kind == due_kinds.JOB_BACKOFF:
            job = self.jobs.jobs.get(key)
            return job is not None and job.state is JobState.ACTIVATABLE and job.backoff_until == due
        if kind == due_kinds.MESSAGE_EXPIRY:
            return key in self.messages.messages
        return False
