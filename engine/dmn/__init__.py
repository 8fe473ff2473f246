"""DMN for the embedded engine: decision requirements graphs parsed from DMN 1.1–1.5 (as Camunda Modeler writes
them) and their decisions evaluated as Camunda 8.8 evaluates them (dmn-scala's semantics), FEEL through the
engine's feelin evaluator.

    graph = feel_parser(default_evaluator()).parse("dish.dmn", content)        # or InvalidDmnError
    result = DecisionEvaluator(default_evaluator()).evaluate(graph, "dish", {"season": "Winter"}, now)
    result.decision_output, result.evaluated_decisions, result.failure_message

What it covers: decision tables with every hit policy Camunda supports (UNIQUE, FIRST, PRIORITY, ANY, COLLECT with
and without SUM/MIN/MAX/COUNT, RULE ORDER, OUTPUT ORDER), default output values, literal expressions, decisions
requiring decisions, a decision's typed result. Not yet: business knowledge models and boxed contexts, lists,
relations and invocations (refused at parse, naming them). The package knows nothing of deployments, versions,
keys or process instances: the engine adds those.
"""

from engine.dmn.checks import feel_parser, load_graph
from engine.dmn.errors import DecisionEvaluationError, DmnError, InvalidDmnError
from engine.dmn.evaluator import DecisionEvaluator
from engine.dmn.model import (
    Aggregation,
    Decision,
    DecisionRequirementsGraph,
    DecisionTable,
    DecisionType,
    HitPolicy,
    InputClause,
    LiteralExpression,
    OutputClause,
    Rule,
)
from engine.dmn.parser import DmnParser
from engine.dmn.result import (
    DecisionEvaluationResult,
    EvaluatedDecision,
    EvaluatedInput,
    EvaluatedOutput,
    MatchedRule,
)

__all__ = [
    "Aggregation",
    "Decision",
    "DecisionEvaluationError",
    "DecisionEvaluationResult",
    "DecisionEvaluator",
    "DecisionRequirementsGraph",
    "DecisionTable",
    "DecisionType",
    "DmnError",
    "DmnParser",
    "EvaluatedDecision",
    "EvaluatedInput",
    "EvaluatedOutput",
    "HitPolicy",
    "InputClause",
    "InvalidDmnError",
    "LiteralExpression",
    "MatchedRule",
    "OutputClause",
    "Rule",
    "feel_parser",
    "load_graph",
]
