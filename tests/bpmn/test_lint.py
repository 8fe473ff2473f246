"""bpmnlint (recommended + camunda-compat for Camunda 8.8) finds no problem in bpmn/.

This is the check Camunda Modeler runs in its problems panel: a clean lint here means the Modeler
shows no error and no warning. The npm packages come from the pinned root package-lock.json,
installed by `make test` (`npm ci`).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BPMNLINT = ROOT / "node_modules" / ".bin" / "bpmnlint"
DIAGRAMS = sorted((ROOT / "bpmn").glob("*.bpmn"))


def run_bpmnlint(diagram: Path) -> subprocess.CompletedProcess[str]:
    if not BPMNLINT.exists():
        pytest.fail(f"{BPMNLINT.relative_to(ROOT)} is missing: run `make test` (it installs npm packages)")
    return subprocess.run(
        [str(BPMNLINT), "--max-warnings=0", str(diagram)],
        cwd=ROOT,  # bpmnlint reads ROOT/.bpmnlintrc
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FORCE_COLOR": "0", "NO_COLOR": "1"},
        check=False,
    )


def test_lint_configuration_is_recommended_plus_camunda_8_8() -> None:
    """.bpmnlintrc applies bpmnlint's recommended rules and camunda-compat's Camunda 8.8 rules."""
    config = json.loads((ROOT / ".bpmnlintrc").read_text(encoding="utf-8"))
    assert config["extends"] == ["bpmnlint:recommended", "plugin:camunda-compat/camunda-cloud-8-8"]
    assert "rules" not in config, "no rule may be switched off or downgraded"
    assert config["moddleExtensions"] == {"zeebe": "zeebe-bpmn-moddle/resources/zeebe"}


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda path: path.name)
def test_bpmnlint_reports_no_error_and_no_warning(diagram: Path) -> None:
    """bpmnlint exits 0 and prints no problem (error or warning) for the diagram."""
    result = run_bpmnlint(diagram)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and not output, f"bpmnlint found problems in {diagram.name}:\n{output}"


def test_bpmnlint_really_checks_camunda_rules(tmp_path: Path) -> None:
    """A diagram with a service task lacking its job type fails the lint (the rules are active)."""
    source = (ROOT / "bpmn" / "registrasi-admin-ppe.bpmn").read_text(encoding="utf-8")
    broken = source.replace('<zeebe:taskDefinition type="arsipkan-dokumen"/>', "", 1)
    assert broken != source
    diagram = tmp_path / "broken.bpmn"
    diagram.write_text(broken, encoding="utf-8")
    result = run_bpmnlint(diagram)
    assert result.returncode != 0
    assert "ArsipkanDokumenTask" in result.stdout
    assert "zeebe:TaskDefinition" in result.stdout
