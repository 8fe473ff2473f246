"""The Camunda Forms in bpmn/forms/ fit the user tasks that link them."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
FORMS = sorted((ROOT / "bpmn" / "forms").glob("*.form"))
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "zeebe": "http://camunda.org/schema/zeebe/1.0"}
INPUT_TYPES = {
    "textfield",
    "textarea",
    "number",
    "checkbox",
    "checklist",
    "radio",
    "select",
    "taglist",
    "datetime",
}
# English words a label must not consist of (the users read formal Indonesian).
ENGLISH = re.compile(r"\b(the|and|of|is|check|submit|result|name|number|document)\b", re.IGNORECASE)


def load(form: Path) -> dict[str, Any]:
    data = json.loads(form.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def components(form: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for component in form["components"]:
        found.append(component)
        found.extend(components(component) if "components" in component else [])
    return found


def linked_form_ids() -> set[str]:
    ids = set()
    for diagram in (ROOT / "bpmn").glob("*.bpmn"):
        for definition in etree.parse(str(diagram)).iterfind(".//zeebe:formDefinition", NS):
            ids.add(definition.get("formId", ""))
    return ids


def test_every_linked_form_exists_and_every_form_is_linked() -> None:
    """Each formId a user task names is the id of exactly one .form file, and no form is orphaned."""
    form_ids = [load(form)["id"] for form in FORMS]
    assert len(form_ids) == len(set(form_ids))
    assert set(form_ids) == linked_form_ids()


@pytest.mark.parametrize("form_path", FORMS, ids=lambda path: path.name)
def test_form_targets_camunda_8_8(form_path: Path) -> None:
    """The form is a Camunda Forms schema for Camunda 8.8, named after its file."""
    form = load(form_path)
    assert form["id"] == form_path.stem
    assert form["type"] == "default"
    assert form["executionPlatform"] == "Camunda Cloud"
    assert form["executionPlatformVersion"] == "8.8.0"
    assert isinstance(form["schemaVersion"], int)
    ids = [component["id"] for component in components(form)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("form_path", FORMS, ids=lambda path: path.name)
def test_form_inputs_have_indonesian_labels(form_path: Path) -> None:
    """Every input has a key and an Indonesian label, and every option an Indonesian label."""
    for component in components(load(form_path)):
        if component["type"] not in INPUT_TYPES:
            continue
        assert component.get("key"), component["id"]
        label = component.get("label", "")
        assert label and not ENGLISH.search(label), (component["id"], label)
        for option in component.get("values", []):
            assert option["label"] and not ENGLISH.search(option["label"]), option


def test_periksa_informasi_ppbj_validates_the_decision() -> None:
    """The decision is required, its values are what the user task maps, and a 'no' needs a note."""
    form = {c["id"]: c for c in components(load(ROOT / "bpmn" / "forms" / "periksa-informasi-ppbj.form"))}
    decision = form["HasilPemeriksaanField"]
    assert decision["key"] == "hasilPemeriksaan"
    assert decision["validate"]["required"] is True
    assert [option["value"] for option in decision["values"]] == ["lengkap", "belum-lengkap"]
    note = form["CatatanPemeriksaanField"]
    assert note["key"] == "catatanPemeriksaan"
    assert note["validate"]["required"] is True
    assert note["validate"]["minLength"] >= 10
    assert note["validate"]["maxLength"] <= 2000
    assert note["conditional"]["hide"] == '=hasilPemeriksaan != "belum-lengkap"'
    for field in ("NomorPendaftaranField", "NikTersamarField"):
        assert form[field]["readonly"] is True
