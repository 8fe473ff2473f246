"""Test API for the embedded engine, in the spirit of zeebe-process-test and Temporal's time-skipping
environment: `async with EmbeddedEngine() as engine`, a controllable clock, `wait_for_idle`, read access
to what happened, and assertions that read like Camunda Process Test."""

from engine.testing.assertions import ProcessInstanceAssert
from engine.testing.embedded import EmbeddedEngine

__all__ = ["EmbeddedEngine", "ProcessInstanceAssert"]
