"""Every REST answer checked against Camunda's published 8.8 OpenAPI spec, for the test suite.

The spec is read at test time from the pinned npm package `@camunda8/orchestration-cluster-api` (8.8.x, in
package.json): `export_schemas.mjs` beside this file turns the package's generated sources (its operations, their
documented status codes, and the Zod schema of every response, which its own strict validation uses) into JSON
Schemas. The result is cached in `node_modules/.cache/pbj-openapi/`, keyed by the package version and the script.

`Conformance.check` is a response check of the REST server (engine/rest/conformance.py): it finds the operation of
the answered request by method and path, and records a violation when
- the path and method are no operation of the spec (unless the answer is a 404/405 problem);
- a success status is not one the operation documents, or its body does not match the documented schema – a
  property the spec leaves out, a null where the spec has none, a required property missing, a wrong type or
  format – each violation naming the operation and the property (a JSON path);
- an error is not an RFC 9457 problem (`application/problem+json`, the spec's ProblemDetail), or its status is
  neither documented for the operation nor one Camunda answers for any operation (401/403 authentication, 409 a
  rejected command, 413/415 the body, 421 the Host).

The engine's pytest plugin installs it for every REST server a test starts, in the test's process and (through
PBJ_REST_CONFORMANCE_LOG) in the processes it starts, and fails the test that received a violating answer.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("openapi") / "export_schemas.mjs"
PACKAGE = ROOT / "node_modules" / "@camunda8" / "orchestration-cluster-api" / "package.json"
CACHE = ROOT / "node_modules" / ".cache" / "pbj-openapi"
ANY_OPERATION_ERRORS = frozenset({"401", "403", "409", "413", "415", "421"})
"""Statuses Camunda's gateway answers for any operation: authentication, a rejected command (its error mapper turns
INVALID_STATE and ALREADY_EXISTS into 409 whether the spec lists it or not), the body, the Host."""


class SpecUnavailableError(RuntimeError):
    """node or the pinned package is missing; the message says which."""


@dataclass
class Operation:
    name: str
    method: str
    path: str
    responses: dict[str, Any]
    errors: frozenset[str]
    pattern: re.Pattern[str] = field(init=False)
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.pattern = re.compile("^/v2" + re.sub(r"\{[^}]+\}", "[^/]+", self.path) + "$")

    def validator(self, status: str) -> Draft202012Validator | None:
        schema = self.responses.get(status)
        if schema is None:
            return None
        if status not in self._validators:
            self._validators[status] = Draft202012Validator(schema)
        return self._validators[status]


class Spec:
    """The operations of the 8.8 spec and the problem schema."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.package: str = document["package"]
        self.operations = [
            Operation(name, op["method"], op["path"], op["responses"], frozenset(op["errors"]))
            for name, op in document["operations"].items()
        ]
        # a literal segment before a parameter: /process-instances/search before /process-instances/{key}
        self.operations.sort(key=lambda op: op.path.count("{"))
        self.problem = Draft202012Validator(document["problemDetail"])
        self.request_schemas: dict[str, Any] = {name: op.get("request") for name, op in document["operations"].items()}

    def operation(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method and op.pattern.match(path):
                return op
        return None

    def by_name(self, name: str) -> Operation:
        for op in self.operations:
            if op.name == name:
                return op
        raise KeyError(name)

    def violations(self, method: str, path: str, status: int, content_type: str, body: bytes) -> list[str]:
        """What is wrong with this answer, one sentence each (empty: it conforms)."""
        if method == "OPTIONS" or not path.startswith("/v2/"):
            return []  # a CORS preflight, the OAuth token endpoint (RFC 6749's answers): not operations of the API
        op = self.operation(method, path)
        where = f"{method} {path}" + (f" ({op.name})" if op else "")
        code = str(status)
        if status >= 400:
            problems = self._problem_violations(where, content_type, body)
            if op is None and status not in (404, 405):
                problems.append(f"{where}: answered {status}, but the spec has no such operation")
            elif op is not None and code not in op.errors and code not in ANY_OPERATION_ERRORS and status != 404:
                problems.append(f"{where}: answered {status}, which the spec does not document ({sorted(op.errors)})")
            return problems
        if op is None:
            return [f"{where}: answered {status}, but the spec has no such operation"]
        if code not in op.responses:
            return [f"{where}: answered {status}, but the operation answers {sorted(op.responses)}"]
        validator = op.validator(code)
        if status == 204:
            return [f"{where}: a 204 answer has a body"] if body else []
        if validator is None:
            return []
        if "json" not in content_type:
            if isinstance(validator.schema, dict) and validator.schema.get("type") == "string":
                return []  # an XML or text answer the spec gives as a string
            return [f"{where}: answered {content_type}, but the spec answers JSON"]
        try:
            document = json.loads(body)
        except ValueError:
            return [f"{where}: the body is not JSON"]
        return [
            f"{where}: {error.json_path}: {error.message}"
            for error in sorted(validator.iter_errors(document), key=lambda e: e.json_path)
            if not _zeebe_sends(op, error)
        ][:20]

    def _problem_violations(self, where: str, content_type: str, body: bytes) -> list[str]:
        if content_type != "application/problem+json":
            return [f"{where}: an error answered as {content_type or 'no content type'}, not application/problem+json"]
        try:
            document = json.loads(body)
        except ValueError:
            return [f"{where}: the problem is not JSON"]
        return [f"{where}: problem {e.json_path}: {e.message}" for e in self.problem.iter_errors(document)]


def _zeebe_sends(op: Operation, error: ValidationError) -> bool:
    """The answers Camunda 8.8 itself gives against its spec, which the engine gives as Camunda does:

    - a successful evaluation's `failedDecisionDefinitionId` is the empty string. The spec requires the property and
      types it as a decision id (minLength 1); Zeebe 8.8's REST gateway copies the DECISION_EVALUATION record's
      failedDecisionId, empty unless a decision failed (zeebe/gateway-rest ResponseMapper.toEvaluateDecisionResponse:
      `.failedDecisionDefinitionId(decisionEvaluationRecord.getFailedDecisionId())`). Only that property, only empty.
    - a decision instance's `decisionEvaluationInstanceKey` is `<decisionEvaluationKey>-<n>`. The spec types it as a
      key (digits only); Camunda 8.8's REST gateway answers the exporter's DecisionInstanceEntity id, made of the
      evaluation's key and the decision's 1-based position in it (SearchQueryResponseMapper.toDecisionInstance:
      `.decisionEvaluationInstanceKey(entity.decisionInstanceId())`). Only that property, only of that form."""
    if (
        op.name == "evaluateDecision"
        and error.json_path == "$.failedDecisionDefinitionId"
        and error.instance == ""
        and error.validator in ("minLength", "pattern")
    ):
        return True
    return (
        op.name in ("searchDecisionInstances", "getDecisionInstance")
        and error.json_path.endswith(".decisionEvaluationInstanceKey")
        and isinstance(error.instance, str)
        and _INSTANCE_ID.fullmatch(error.instance) is not None
        and error.validator == "pattern"
    )


# a decision instance's id as Camunda 8.8 writes it: the evaluation's key, a dash, the decision's position in it
_INSTANCE_ID = re.compile(r"[0-9]+-[0-9]+")


def load_spec() -> Spec:
    """The spec from the installed package (exported once per package version and script, then cached)."""
    node = shutil.which("node")
    if node is None:
        raise SpecUnavailableError("node is not on PATH")
    if not PACKAGE.is_file():
        raise SpecUnavailableError(
            "@camunda8/orchestration-cluster-api is not installed (run `make install`, which runs `npm ci`)"
        )
    version = json.loads(PACKAGE.read_text())["version"]
    digest = hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:12]
    cached = CACHE / f"spec-{version}-{digest}.json"
    if not cached.is_file():
        result = subprocess.run([node, str(SCRIPT), str(ROOT)], capture_output=True, check=False, timeout=120, cwd=ROOT)
        if result.returncode != 0:
            raise SpecUnavailableError(f"exporting the spec failed: {result.stderr.decode(errors='replace')[-2000:]}")
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(result.stdout)
        partial.replace(cached)
    return Spec(json.loads(cached.read_text()))


class Conformance:
    """Collects the violations of the answers it is shown (`check` is a REST response check)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.found: list[str] = []
        self.log: Path | None = None  # where engines in other processes append theirs (the pytest plugin's)

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> None:
        self.found.extend(self.spec.violations(method, path, status, content_type, body))


def logging_check(target: str) -> Callable[[str, str, int, str, bytes], None]:
    """A check for an engine in another process: each violation appended as a line to the file `target`."""
    spec = load_spec()

    def check(method: str, path: str, status: int, content_type: str, body: bytes) -> None:
        problems = spec.violations(method, path, status, content_type, body)
        if problems:
            with open(target, "a", encoding="utf-8") as out:
                out.writelines(line.replace("\n", " ") + "\n" for line in problems)

    return check
