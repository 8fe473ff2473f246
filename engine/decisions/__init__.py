"""Decisions in the engine: deployed DMN resources (decision requirements graphs and their decisions, with keys and
versions), evaluating a deployed decision on its own, and what the gRPC gateway and the REST API answer about them.

engine/dmn parses and evaluates DMN and knows nothing of deployments; this package adds what Zeebe 8.8 adds:

- store.py: the deployed graphs and decisions, versioned as Zeebe versions them (the engine's state);
- evaluation.py: which decision an EvaluateDecision request means, and its evaluation with keys;
- commands.py: DecisionsMixin, the engine's part (deploying, the `evaluate_decision` command);
- grpc.py and rest.py: the gateway's messages and the `/v2` endpoints (decision definitions and requirements).
"""

from engine.decisions.evaluation import DecisionEvaluation
from engine.decisions.store import DecisionStore, DeployedDecision, DeployedDecisionRequirements

__all__ = ["DecisionEvaluation", "DecisionStore", "DeployedDecision", "DeployedDecisionRequirements"]
