"""The README's pictures (docs/diagrams/*.svg) are bpmn-js renderings of the committed diagrams.

tools/render-diagrams/render.mjs stamps each SVG with the SHA-256 of the BPMN file it was drawn
from; bpmn-js marks every drawn element with data-element-id. A diagram changed without
re-rendering its picture fails here.
"""

import hashlib
import re
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = sorted((ROOT / "bpmn").glob("*.bpmn"))
RENDER = "cd tools/render-diagrams && npm ci && node render.mjs"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DRAWN = {"sequenceFlow", "lane", "participant"}


def picture(diagram: Path) -> Path:
    return ROOT / "docs" / "diagrams" / f"{diagram.stem}.svg"


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda path: path.name)
def test_picture_was_rendered_from_this_exact_diagram(diagram: Path) -> None:
    """The SVG's stamp names this BPMN file and its current SHA-256."""
    svg = picture(diagram)
    assert svg.exists(), f"{svg.relative_to(ROOT)} is missing; render it: {RENDER}"
    stamp = re.search(r"<!-- source: (\S+) sha256: ([0-9a-f]{64}) ", svg.read_text(encoding="utf-8"))
    assert stamp, f"{svg.relative_to(ROOT)} has no source stamp; render it: {RENDER}"
    assert stamp.group(1) == f"bpmn/{diagram.name}"
    digest = hashlib.sha256(diagram.read_bytes().replace(b"\r\n", b"\n")).hexdigest()
    assert stamp.group(2) == digest, f"{svg.relative_to(ROOT)} is stale; re-render it: {RENDER}"


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda path: path.name)
def test_picture_draws_every_element(diagram: Path) -> None:
    """Every flow node, flow, lane and the pool of the diagram appears in its picture."""
    svg = picture(diagram).read_text(encoding="utf-8")
    drawn = set(re.findall(r'data-element-id="([^"]+)"', svg))
    model = etree.parse(str(diagram)).getroot()
    expected = {
        str(node.get("id"))
        for node in model.iter()
        if isinstance(node.tag, str)
        and etree.QName(node).namespace == BPMN_NS
        and node.get("id")
        and (etree.QName(node).localname in DRAWN or etree.QName(node).localname.endswith(("Event", "Task", "Gateway")))
    }
    assert expected - drawn == set(), f"not in the picture; re-render it: {RENDER}"
