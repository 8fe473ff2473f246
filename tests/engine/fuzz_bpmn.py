"""Random BPMN for the fuzz tests: structurally valid diagrams (random graphs of tasks, gateways, events and
sub-processes with random attributes and expressions, valid and not) and XML-ish garbage."""

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from tests.engine.bpmn_builder import BPMN_HEADER

if TYPE_CHECKING:
    from tests.engine.fuzz_support import KeyPool

# FEEL that parses (some of it fails at run time: an incident, not a refusal) and text that does not
EXPRESSIONS = [
    "=x",
    "=x > 1",
    "=true",
    "=false",
    "=null",
    "=[1,2,3]",
    "=[]",
    '="a"',
    "=for i in 1..3 return i",
    "=x.y.z",
    '=date and time("x")',
    "=1/0",
    "=string length(null)",
    '=duration("PT1S")',
    "=count(x)",
    "=x[1]",
    "=orderId",
    "=some x in [1] satisfies x > 0",
    "=now()",
]
BROKEN_EXPRESSIONS = ["=(((", "", " ", "x", "=", "=x +", "=]"]
TIMERS = ["PT1S", "PT0S", "R3/PT1S", "R/PT1M", "P1000000Y", "2020-01-01T00:00:00Z", "=x", '=duration("PT1H")']
BROKEN_TIMERS = ["PT-1S", "R0/PT1S", "P", "R", "R-1/PT1S", "9999-99-99", "PT99999999999999999999S"]
XML_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=15)
NAMES = ["fuzz-work", "fuzz-other", "fuzz-message", "a", "=x", "ä b"]


def _attr(value: str) -> str:
    return quoteattr(value)


def _expression(sloppy: bool) -> st.SearchStrategy[str]:
    if not sloppy:
        return st.sampled_from(EXPRESSIONS)
    return st.one_of(st.sampled_from(EXPRESSIONS + BROKEN_EXPRESSIONS), XML_TEXT)


def _pick(sloppy: bool, valid: list[str], broken: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(valid + broken if sloppy else valid)


@st.composite
def _extensions(draw: st.DrawFn, kind: str, pool: "KeyPool", sloppy: bool) -> str:
    """The zeebe extension elements of one element: task definition, mappings, headers, script, called element."""
    parts: list[str] = []
    if kind in {"serviceTask", "sendTask"} and (not sloppy or draw(st.integers(0, 9)) > 0):
        job_type = draw(st.one_of(pool.pick("job_types"), st.sampled_from(NAMES), _expression(sloppy)))
        retries = draw(_pick(sloppy, ["3", "1", "0"], ["-1", "x", "=retries", ""]))
        parts.append(f"<zeebe:taskDefinition type={_attr(job_type)} retries={_attr(retries)} />")
    if kind == "scriptTask":
        result = draw(_pick(sloppy, ["r", "x"], ["", "a.b", "="]))
        parts.append(f"<zeebe:script expression={_attr(draw(_expression(sloppy)))} resultVariable={_attr(result)} />")
    if kind == "callActivity":
        called = draw(st.one_of(pool.pick("process_ids"), _pick(sloppy, ["fuzzRandom", "nope", "=x"], [""])))
        parts.append(f"<zeebe:calledElement processId={_attr(called)} propagateAllChildVariables={_attr('true')} />")
    if kind == "userTask" and draw(st.booleans()):
        parts.append("<zeebe:userTask />")
        if draw(st.booleans()):
            parts.append(f"<zeebe:assignmentDefinition assignee={_attr(draw(_expression(sloppy)))} />")
    if kind == "businessRuleTask":
        parts.append(
            f"<zeebe:calledDecision decisionId={_attr(draw(_expression(sloppy)))} resultVariable={_attr('r')} />"
        )
    if draw(st.integers(0, 3)) == 0:
        mappings = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["input", "output"]),
                    _expression(sloppy),
                    _pick(sloppy, ["x", "y.z", "orderId", "items"], ["", "=x", "a..b"]),
                ),
                min_size=1,
                max_size=3,
            )
        )
        mapped = "".join(f"<zeebe:{d} source={_attr(s)} target={_attr(t)} />" for d, s, t in mappings)
        parts.append(f"<zeebe:ioMapping>{mapped}</zeebe:ioMapping>")
    if draw(st.integers(0, 5)) == 0:
        key = draw(XML_TEXT if sloppy else st.sampled_from(["h", "template"]))
        parts.append(f'<zeebe:taskHeaders><zeebe:header key={_attr(key)} value="v" /></zeebe:taskHeaders>')
    if sloppy and draw(st.integers(0, 15)) == 0:
        parts.append("<zeebe:unknownThing />")
    return f"<bpmn:extensionElements>{''.join(parts)}</bpmn:extensionElements>" if parts else ""


@st.composite
def _event_definition(draw: st.DrawFn, allowed: list[str], sloppy: bool) -> tuple[str, str]:
    """(definition XML, extra root-level XML) of one event: none, timer, message, signal, error, escalation..."""
    choice = draw(st.sampled_from(allowed))
    n = draw(st.integers(0, 10**6))
    if choice == "timer":
        which = draw(st.sampled_from(["timeDuration", "timeDate", "timeCycle"]))
        if not sloppy:
            which, value = draw(
                st.sampled_from(
                    [("timeDuration", t) for t in ("PT1S", "PT0S", "PT1H", "=x", '=duration("PT1H")', "P1000000Y")]
                    + [("timeCycle", t) for t in ("R3/PT1S", "R/PT1M", "R2/PT1H")]
                    + [("timeDate", t) for t in ("2020-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "=now()")]
                )
            )
        else:
            value = draw(st.one_of(st.sampled_from(TIMERS + BROKEN_TIMERS), _expression(sloppy)))
        return (
            f'<bpmn:timerEventDefinition><bpmn:{which} xsi:type="bpmn:tFormalExpression">{escape(value)}'
            f"</bpmn:{which}></bpmn:timerEventDefinition>",
            "",
        )
    if choice == "message":
        name = draw(st.one_of(st.sampled_from(NAMES), _expression(sloppy)))
        key = draw(st.one_of(st.just("=orderId"), _expression(sloppy)))
        ref = draw(_pick(sloppy, [f"Msg_{n}"], ["Msg_missing"]))
        extra = (
            f"<bpmn:message id={_attr(f'Msg_{n}')} name={_attr(name)}><bpmn:extensionElements>"
            f"<zeebe:subscription correlationKey={_attr(key)} /></bpmn:extensionElements></bpmn:message>"
        )
        return f"<bpmn:messageEventDefinition messageRef={_attr(ref)} />", extra
    if choice == "signal":
        name = draw(st.one_of(st.sampled_from(NAMES), _expression(sloppy)))
        return (
            f"<bpmn:signalEventDefinition signalRef={_attr(f'Sig_{n}')} />",
            f"<bpmn:signal id={_attr(f'Sig_{n}')} name={_attr(name)} />",
        )
    if choice == "error":
        code = draw(st.one_of(_pick(sloppy, ["E1", "E2"], ["", "=code"]), XML_TEXT if sloppy else st.just("E1")))
        return (
            f"<bpmn:errorEventDefinition errorRef={_attr(f'Err_{n}')} />",
            f"<bpmn:error id={_attr(f'Err_{n}')} errorCode={_attr(code)} />",
        )
    if choice == "escalation":
        code = draw(st.one_of(_pick(sloppy, ["X1", "X2"], ["", "=code"]), XML_TEXT if sloppy else st.just("X1")))
        return (
            f"<bpmn:escalationEventDefinition escalationRef={_attr(f'Esc_{n}')} />",
            f"<bpmn:escalation id={_attr(f'Esc_{n}')} escalationCode={_attr(code)} />",
        )
    if choice == "terminate":
        return "<bpmn:terminateEventDefinition />", ""
    if choice == "link":
        return f"<bpmn:linkEventDefinition name={_attr(draw(st.sampled_from(['L1', 'L2'])))} />", ""
    if choice == "compensation":
        return "<bpmn:compensateEventDefinition />", ""
    return "", ""


NODE_KINDS = [
    "serviceTask",
    "sendTask",
    "userTask",
    "scriptTask",
    "manualTask",
    "task",
    "receiveTask",
    "callActivity",
    "subProcess",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
]
SLOPPY_NODE_KINDS = [*NODE_KINDS, "businessRuleTask", "eventBasedGateway"]
GATEWAYS = ("exclusiveGateway", "inclusiveGateway")


@st.composite
def _node(
    draw: st.DrawFn, index: int, pool: "KeyPool", depth: int, sloppy: bool, prefix: str
) -> tuple[str, str, str, str]:
    """(element id, kind, element XML, extra root-level XML) of one random flow node."""
    kinds = SLOPPY_NODE_KINDS if sloppy else NODE_KINDS
    kind = draw(st.sampled_from(kinds if depth < 1 else [k for k in kinds if k != "subProcess"]))
    node_id = f"{prefix}N{index}"
    extra = ""
    inner = draw(_extensions(kind, pool, sloppy))
    attributes = ""
    if kind == "intermediateCatchEvent":
        allowed = ["timer", "message", "signal"] + (["link", "none"] if sloppy else [])
        definition, extra = draw(_event_definition(allowed, sloppy))
        inner += definition
    elif kind == "intermediateThrowEvent":
        allowed = ["none", "signal", "escalation", "compensation"] + (["link"] if sloppy else [])
        definition, extra = draw(_event_definition(allowed, sloppy))
        inner += definition
    elif kind == "receiveTask":
        definition, extra = draw(_event_definition(["message"], sloppy))
        ref = definition.split("messageRef=")[1].split(" ")[0]
        attributes = f" messageRef={ref}"
    elif kind == "subProcess":
        body, sub_extra = draw(_flow(pool, depth + 1, sloppy, f"{node_id}_"))
        inner += body
        extra += sub_extra
        if sloppy and draw(st.integers(0, 4)) == 0:
            attributes = ' triggeredByEvent="true"'
    multi_instance = kind.endswith("Task") or kind in {"callActivity", "subProcess", "task"}
    if multi_instance and draw(st.integers(0, 5)) == 0:
        sequential = draw(st.sampled_from(["true", "false"]))
        collection = draw(st.one_of(st.sampled_from(["=[1,2]", "=[]", "=items", "=x"]), _expression(sloppy)))
        inner += (
            f"<bpmn:multiInstanceLoopCharacteristics isSequential={_attr(sequential)}><bpmn:extensionElements>"
            f"<zeebe:loopCharacteristics inputCollection={_attr(collection)} inputElement={_attr('item')} />"
            "</bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>"
        )
    return node_id, kind, f"<bpmn:{kind} id={_attr(node_id)}{attributes}>{inner}</bpmn:{kind}>", extra


@st.composite
def _flow(draw: st.DrawFn, pool: "KeyPool", depth: int, sloppy: bool, prefix: str = "") -> tuple[str, str]:
    """(elements XML, extra root-level XML) of a random graph from a start event to end events, sometimes with a
    loop back."""
    starts = ["none"] * 4 + (["timer", "message", "signal"] if depth == 0 or sloppy else [])
    start_definition, extra = draw(_event_definition(starts, sloppy))
    count = draw(st.integers(min_value=0, max_value=6 if depth == 0 else 2))
    nodes = [draw(_node(i, pool, depth, sloppy, prefix)) for i in range(count)]
    start_id = f"{prefix}Start"
    ids = [start_id] + [n[0] for n in nodes]
    kinds = {n[0]: n[1] for n in nodes}
    parts = [f"<bpmn:startEvent id={_attr(start_id)}>{start_definition}</bpmn:startEvent>"]
    parts += [n[2] for n in nodes]
    extra += "".join(n[3] for n in nodes)
    flows: list[tuple[str, str]] = []
    for i in range(1, len(ids)):
        sources = draw(st.lists(st.integers(0, i - 1), min_size=1, max_size=2, unique=True))
        flows += [(ids[s], ids[i]) for s in sources]
    has_outgoing = {source for source, _ in flows}
    end_count = draw(st.integers(min_value=1, max_value=2))
    for e in range(end_count):
        end_kinds = ["none"] * 4 + ["error", "terminate", "escalation", "compensation"]
        end_definition, end_extra = draw(_event_definition(end_kinds, sloppy))
        end_id = f"{prefix}End{e}"
        parts.append(f"<bpmn:endEvent id={_attr(end_id)}>{end_definition}</bpmn:endEvent>")
        extra += end_extra
        for source in ids:
            if source not in has_outgoing or draw(st.integers(0, 6)) == 0:
                flows.append((source, end_id))
                has_outgoing.add(source)
    if len(ids) > 2 and draw(st.integers(0, 7)) == 0:  # a loop back (without a wait state on it, it never ends)
        back_from = draw(st.integers(2, len(ids) - 1))
        flows.append((ids[back_from], ids[draw(st.integers(1, back_from - 1))]))
    if sloppy and draw(st.integers(0, 10)) == 0:
        flows.append((draw(st.sampled_from(ids)), "Nowhere"))  # a dangling reference
    for number, (source, target) in enumerate(flows):
        flow_id = f"{prefix}F{number}"
        condition = ""
        after_gateway = kinds.get(source) in GATEWAYS
        if (after_gateway and not sloppy) or ((after_gateway or sloppy) and draw(st.integers(0, 2)) > 0):
            condition = (
                '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                f"{escape(draw(_expression(sloppy)))}</bpmn:conditionExpression>"
            )
        parts.append(
            f"<bpmn:sequenceFlow id={_attr(flow_id)} sourceRef={_attr(source)} targetRef={_attr(target)}>"
            f"{condition}</bpmn:sequenceFlow>"
        )
    # boundary events on random activities
    activities = [n for n in nodes if n[1] in {"serviceTask", "userTask", "receiveTask", "callActivity"}]
    for number, (attached, _, _, _) in enumerate(activities):
        if draw(st.integers(0, 3)) == 0:  # compensation: the boundary event, its handler, their association
            boundary_id, handler_id = f"{prefix}CB{number}", f"{prefix}CH{number}"
            handler_type = draw(st.one_of(pool.pick("job_types"), st.sampled_from(NAMES)))
            parts.append(
                f"<bpmn:boundaryEvent id={_attr(boundary_id)} attachedToRef={_attr(attached)}>"
                "<bpmn:compensateEventDefinition /></bpmn:boundaryEvent>"
                f'<bpmn:serviceTask id={_attr(handler_id)} isForCompensation="true"><bpmn:extensionElements>'
                f"<zeebe:taskDefinition type={_attr(handler_type)} /></bpmn:extensionElements></bpmn:serviceTask>"
                f"<bpmn:association id={_attr(f'{prefix}CA{number}')} sourceRef={_attr(boundary_id)} "
                f"targetRef={_attr(handler_id)} />"
            )
        if draw(st.integers(0, 2)) == 0:
            kinds_allowed = ["timer", "message", "error", "signal", "escalation"]
            definition, boundary_extra = draw(_event_definition(kinds_allowed, sloppy))
            interrupting = draw(st.sampled_from(["true", "false"]))
            boundary_id = f"{prefix}B{number}"
            parts.append(
                f"<bpmn:boundaryEvent id={_attr(boundary_id)} attachedToRef={_attr(attached)} "
                f"cancelActivity={_attr(interrupting)}>{definition}</bpmn:boundaryEvent>"
                f"<bpmn:sequenceFlow id={_attr(f'{prefix}BF{number}')} sourceRef={_attr(boundary_id)} "
                f"targetRef={_attr(f'{prefix}End0')} />"
            )
            extra += boundary_extra
    return "\n".join(parts), extra


@st.composite
def valid_bpmn(draw: st.DrawFn, pool: "KeyPool") -> str:
    """A well-formed BPMN document with one executable process: a random graph with random attributes, mostly
    deployable (a quarter of them `sloppy`: invalid attributes, references and expressions mixed in)."""
    sloppy = draw(st.integers(0, 3)) == 0
    process_id = draw(st.sampled_from(["fuzzRandom", "fuzzRandom2", "fuzzWaiting", "fuzzOther"]))
    body, extra = draw(_flow(pool, 0, sloppy))
    return (
        f'{BPMN_HEADER}{extra}\n<bpmn:process id="{process_id}" isExecutable="true">\n{body}\n</bpmn:process>\n'
        "</bpmn:definitions>\n"
    )


def xml_garbage() -> st.SearchStrategy[str]:
    """XML-ish text that is not a usable diagram: fragments, other roots, broken tags, cut documents."""
    return st.one_of(
        st.text(alphabet='<>/=" abcdefgh:bpmn?!-[]&;', max_size=80),
        st.sampled_from(
            [
                "",
                "<bpmn:definitions/>",
                '<?xml version="1.0"?><root/>',
                BPMN_HEADER + "</bpmn:definitions>",
                BPMN_HEADER + '<bpmn:process id="p" isExecutable="true"></bpmn:process></bpmn:definitions>',
                BPMN_HEADER + '<bpmn:process isExecutable="true"><bpmn:startEvent/></bpmn:process></bpmn:definitions>',
                '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
                '<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x>&xxe;</x>',
                "{}",
                "\x00\x01",
            ]
        ),
        st.tuples(st.just(BPMN_HEADER), st.integers(0, 400)).map(lambda t: t[0][: t[1]]),
    )


def bpmn_documents(pool: "KeyPool") -> st.SearchStrategy[str]:
    """Random BPMN: seven in ten diagrams of valid shape, the rest cut short or garbage."""
    diagrams = valid_bpmn(pool)
    cut = st.tuples(diagrams, st.integers(min_value=0)).map(lambda t: t[0][: t[1] % (len(t[0]) + 1)])
    garbage = xml_garbage()
    return st.integers(0, 9).flatmap(lambda i: diagrams if i < 7 else cut if i < 9 else garbage)
