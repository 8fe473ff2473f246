"""Decisions in the engine: deployed DMN resources (decision requirements graphs and their decisions, with keys and
versions), evaluating a deployed decision on its own, and what the gRPC gateway and the REST API answer about them.

engine/dmn parses and evaluates DMN and knows nothing of deployments; this package adds what Zeebe 8.8 adds:

- evaluation.py: which decision an EvaluateDecision request means, and its evaluation with keys;
- grpc.py and rest.py: the gateway's messages and the `/v2` endpoints (decision definitions and requirements);
- instances.py: the decision instances an evaluation leaves (`/v2/decision-instances`).

The deployed graphs and decisions are state (engine/state/decisions.py, changed by the appliers of
DECISION_REQUIREMENTS_CREATED and DECISION_CREATED); deploying and evaluating are the processor engine/processing/
decisions.py, whose events engine/events lists.
"""

from engine.decisions.evaluation import DecisionEvaluation
from engine.state.values import DeployedDecision, DeployedDecisionRequirements

__all__ = ["DecisionEvaluation", "DeployedDecision", "DeployedDecisionRequirements"]
