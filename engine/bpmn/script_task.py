"""Script tasks with a zeebe:script FEEL expression: evaluated on activation, its result the task's variable."""

from engine.bpmn.element import ElementProcessor
from engine.model import FlowNode
from engine.state.values import ElementInstance, EventTrigger


class ScriptTaskProcessor(ElementProcessor):
    def activate(self, inst: ElementInstance, node: FlowNode) -> None:
        script = node.script
        assert script is not None
        context = self._variables.visible(inst)
        value = self._expressions.evaluate("=" + script.expression, context, self.now())
        # activated, then completed with the result as what the task delivers (transitions.activated and
        # transitions.complete, called directly: one script task is a handful of calls of the hot path)
        writer = self.b.writer
        writer.element_activated(inst)
        writer.element_completing(inst, EventTrigger({script.result_variable: value}))
        self._transitions.run_completion(inst, node)
