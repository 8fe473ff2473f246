"""Elements that only pass the token on: start events, boundary events (their event already happened), manual and
undefined tasks, parallel and exclusive gateways (the exclusive one chooses its flow when it completes)."""

from engine.bpmn.element import ElementProcessor


class PassThroughProcessor(ElementProcessor):
    """Activates and completes at once (ElementProcessor.activate)."""
