"""What the decision tests over the gateway and the REST API share: two versions of a dish table, and the
deployment answer's decision entries."""

from pyzeebe.proto import gateway_pb2 as pb

from tests.engine.dmn.dmn_builder import In, Out, Table

# the dish alone, first as a table of its own, then a second version serving stew in winter
DISH = Table(
    "dish",
    "Dish",
    [In("Season", "season"), In("How many guests", "guestCount", "number")],
    [Out("Dish", "desiredDish")],
    [['"Winter"', "<= 8", '"Roastbeef"'], ['"Summer"', "", '"Light Salad and a nice Steak"']],
)
WINTER_STEW = Table(
    "dish",
    "Dish",
    [In("Season", "season"), In("How many guests", "guestCount", "number")],
    [Out("Dish", "desiredDish")],
    [['"Winter"', "", '"Stew"'], ['"Summer"', "", '"Light Salad and a nice Steak"']],
)


def metadata(response: pb.DeployResourceResponse) -> list[tuple[str, str, int]]:
    """(kind, id, version) of each entry, in the order of the answer."""
    out = []
    for entry in response.deployments:
        kind = str(entry.WhichOneof("Metadata"))
        item = getattr(entry, kind)
        ident = {
            "process": "bpmnProcessId",
            "decision": "dmnDecisionId",
            "decisionRequirements": "dmnDecisionRequirementsId",
            "form": "formId",
        }[kind]
        out.append((kind, getattr(item, ident), item.version))
    return out


def decisions(response: pb.DeployResourceResponse) -> dict[str, pb.DecisionMetadata]:
    return {d.decision.dmnDecisionId: d.decision for d in response.deployments if d.HasField("decision")}


def requirements(response: pb.DeployResourceResponse) -> pb.DecisionRequirementsMetadata:
    [found] = [d.decisionRequirements for d in response.deployments if d.HasField("decisionRequirements")]
    return found
