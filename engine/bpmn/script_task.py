"""Script tasks with a zeebe:script FEEL expression: evaluated on activation, its result the task's variable."""

from engine.bpmn.element import ElementProcessor
from engine.model import FlowNode
from engine.state.values import ElementInstance, EventTrigger


class ScriptTaskProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        assert node.script is not None
        context = self._variables.visible(inst)
        value = self._expressions.evaluate("=" + node.script.expression, context, self.now())
        self._transitions.activated(inst)
        self._transitions.complete(inst, node=node, trigger=EventTrigger({node.script.result_variable: value}))
