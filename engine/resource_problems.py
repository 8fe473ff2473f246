"""What the deploy-time parsers (BPMN: engine/parser.py, DMN: engine/dmn/parser.py) say about a resource they refuse:
one problem per cause, naming the element, its type, its line and the reason, in one format."""

from dataclasses import dataclass
from typing import Any

from lxml import etree


def local_name(tag: object) -> str:
    """An element's tag without its namespace ("" for comments and processing instructions)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def source_line(el: etree._Element) -> int | None:
    line: Any = getattr(el, "sourceline", None)
    return int(line) if isinstance(line, int) else None


@dataclass(frozen=True)
class ResourceProblem:
    """One reason a resource is refused. `element_type` carries its language's prefix: bpmn:serviceTask,
    dmn:outputEntry."""

    element_id: str
    element_type: str
    line: int | None
    reason: str

    @classmethod
    def at(cls, el: etree._Element, prefix: str, reason: str) -> "ResourceProblem":
        """The problem `reason` of element `el`, whose type is written `<prefix>:<tag>`."""
        return cls(el.get("id") or "?", f"{prefix}:{local_name(el.tag)}", source_line(el), reason)

    def render(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"- Element '{self.element_id}' ({self.element_type}){where}: {self.reason}"
