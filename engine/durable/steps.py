"""The follow-up steps a command left for later turns of the event loop or held for an expression evaluated off it
(engine/processing/steps.py), as JSON: the durable engine logs them with the command, and a recovery queues them
again, to resume where the engine stopped.

A step is a registered method by name with its arguments; each argument is written as [kind, value]: an element
instance, a message subscription or a timer by its key, a flow node by its id (in the model of the element
instance before it), an activation's options by name, anything else as plain JSON."""

import functools
from typing import Any

from engine.model import FlowNode
from engine.processing.steps import Steps
from engine.state.engine_state import EngineState
from engine.state.values import ElementInstance, MessageSubscription, Timer

_ELEMENT = "e"
_NODE = "n"
_SUBSCRIPTION = "s"
_TIMER = "t"
_OPTIONS = "o"
_VALUE = "v"


class StepCodecError(Exception):
    """A logged step this release cannot queue again."""


_ACTIVATION = "run_scheduled"  # its third argument: the activation's options


def encode_queue(steps: Steps) -> list[Any]:
    """The held steps (each group from the step that resumes a suspended one) and the queued ones, in the order a
    recovery runs them: a held step's expression is evaluated again then (its outcome was not decided yet)."""
    return [
        [
            step.func.__name__,
            [
                [_OPTIONS, _encode_options(arg)]
                if step.func.__name__ == _ACTIVATION and index == 2
                else _encode_arg(arg)
                for index, arg in enumerate(step.args)
            ],
        ]
        for step in steps.all_waiting()
    ]


def _encode_options(options: dict[str, Any]) -> dict[str, Any]:
    encoded = dict(options)
    if "loop_item" in encoded:
        encoded["loop_item"] = list(encoded["loop_item"])
    return encoded


def _encode_arg(arg: Any) -> list[Any]:
    if isinstance(arg, ElementInstance):
        return [_ELEMENT, arg.key]
    if isinstance(arg, FlowNode):
        return [_NODE, arg.id]
    if isinstance(arg, MessageSubscription):
        return [_SUBSCRIPTION, arg.key]
    if isinstance(arg, Timer):
        return [_TIMER, arg.key]
    return [_VALUE, arg]


def decode_queue(steps: Steps, state: EngineState, encoded: list[Any]) -> None:
    """Queues the logged steps again (the queue is empty), and counts the activations pending per scope. A step whose
    element instance, subscription or timer has gone since is dropped (it would have found nothing to do)."""
    for name, args in encoded:
        method = steps.methods.get(name)
        if method is None:
            raise StepCodecError(f"unknown step '{name}'")
        decoded = _decode_args(name, args, state)
        if decoded is not None:
            steps.queue.append(functools.partial(method, *decoded))
    steps.recount_pending()


def _decode_args(name: str, args: list[Any], state: EngineState) -> list[Any] | None:
    decoded: list[Any] = []
    definition_key: int | None = None
    for kind, value in args:
        if kind == _ELEMENT:
            inst = state.instances.element_instance(value)
            if inst is None:
                return None
            definition_key = inst.process_definition_key
            decoded.append(inst)
        elif kind == _SUBSCRIPTION:
            sub = state.messages.subscriptions.get(value)
            if sub is None:
                return None
            decoded.append(sub)
        elif kind == _TIMER:
            timer = state.timers.timers.get(value)
            if timer is None:
                return None
            definition_key = timer.process_definition_key
            decoded.append(timer)
        elif kind == _OPTIONS:
            options = dict(value)
            if "loop_item" in options:
                options["loop_item"] = tuple(options["loop_item"])
            decoded.append(options)
        else:
            decoded.append((kind, value))  # a node (resolved below) or a plain value
    out: list[Any] = []
    for arg in decoded:
        if isinstance(arg, tuple) and len(arg) == 2 and arg[0] in (_NODE, _VALUE):
            kind, value = arg
            if kind == _NODE:
                if definition_key is None:
                    raise StepCodecError(f"step '{name}': a flow node without an element instance")
                value = state.deployments.definitions[definition_key].model.elements[value]
            out.append(value)
        else:
            out.append(arg)
    return out
