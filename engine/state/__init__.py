"""The engine's state: typed stores (one module each) holding the values of values.py, changed only by applying
events (engine/events); readers get read-only views (the Engine's properties, engine/engine.py)."""

from engine.state.engine_state import EngineState
from engine.state.keys import KEY_BASE, KeyGenerator
from engine.state.values import (
    ElementInstance,
    ElementState,
    EventTrigger,
    FinishedElement,
    Form,
    Incident,
    IncidentState,
    Job,
    JobState,
    Message,
    MessageStartSubscription,
    MessageSubscription,
    MultiInstanceBody,
    ProcessDefinition,
    ProcessInstance,
    Record,
    SignalSubscription,
    Timer,
    UserTask,
    UserTaskState,
)

__all__ = [
    "KEY_BASE",
    "ElementInstance",
    "ElementState",
    "EngineState",
    "EventTrigger",
    "FinishedElement",
    "Form",
    "Incident",
    "IncidentState",
    "Job",
    "JobState",
    "KeyGenerator",
    "Message",
    "MessageStartSubscription",
    "MessageSubscription",
    "MultiInstanceBody",
    "ProcessDefinition",
    "ProcessInstance",
    "Record",
    "SignalSubscription",
    "Timer",
    "UserTask",
    "UserTaskState",
]
