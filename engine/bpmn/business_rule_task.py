"""Business rule tasks calling a DMN decision (zeebe:calledDecision), as Zeebe 8.8's BusinessRuleTaskProcessor runs
them: after the input mappings (and start listeners) the decision is evaluated (engine/behaviors/decisions.py), the
element activated and completed with the decision's output as the result variable – delivered like an event's
variables: with output mappings a local variable the mappings read, without them propagated to the scopes above, as
a job's variables are. Business rule tasks with a job (zeebe:taskDefinition) are job tasks (engine/bpmn/job_task.py).
"""

from engine.behaviors.incidents import ACTIVATE
from engine.behaviors.listeners import START_LISTENERS
from engine.bpmn.element import ElementProcessor
from engine.model import FlowNode
from engine.state.values import ElementInstance, EventTrigger


class BusinessRuleTaskProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        called = node.called_decision
        assert called is not None
        # an incident raised after the start listeners runs them again when resolved, as for every element
        phase = START_LISTENERS if node.start_listeners else ACTIVATE
        output = self.b.decisions.evaluate_called(inst, called, self._variables.visible(inst), phase)
        self._transitions.activated(inst)
        self._transitions.complete(inst, node=node, trigger=EventTrigger({called.result_variable: output}))
