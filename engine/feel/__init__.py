"""FEEL, the expression language of Zeebe's BPMN attributes, evaluated by bpmn.io's feelin in V8.

The engine programs against `FeelEvaluator`; `default_evaluator()` is the shared `FeelinEvaluator`.
Results come back JSON-compatible: FEEL dates, times, dates and times and durations as ISO strings
(``"2024-01-31"``, ``"10:15:00"``, ``"2024-01-31T10:15:00Z"``, ``"P1DT2H"``, ``"P1Y2M"``).
"""

from engine.feel.api import FeelBundleMissingError, FeelError, FeelEvaluator, FeelResult, UnaryTestsResult
from engine.feel.evaluator import FeelinEvaluator, default_evaluator

__all__ = [
    "FeelBundleMissingError",
    "FeelError",
    "FeelEvaluator",
    "FeelResult",
    "FeelinEvaluator",
    "UnaryTestsResult",
    "default_evaluator",
]
