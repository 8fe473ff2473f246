"""Where a request's process is and what it asked, read from the Orchestration Cluster REST API `/v2` only (the same
searches on the embedded engine and on Camunda 8.8, whose answers may lag the engine by a moment).

Applicants see the SOP's activity names of the steps running now (the diagram's element names), whether the process
waits for them, how it ended, and the notes the process holds for them (`kekuranganBerkas`, `catatanVerifikasi`,
`catatanPemeriksaan`) – never an element id.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pbj.commands.output import parse_time
from pbj.commands.rest import CamundaRest, RestNotFoundError

STEP_TYPES = frozenset({"SERVICE_TASK", "RECEIVE_TASK", "USER_TASK", "SEND_TASK", "SCRIPT_TASK", "MANUAL_TASK", "TASK"})
BACKGROUND_STEPS = frozenset({"KirimNotifikasiSlaTask", "KirimPengingatKelengkapanTask"})
"""Steps on a side path (SLA notices, reminders): not where the request is."""

ENDINGS = {
    "AkunAdminPpeTerdaftarEndEvent": "Selesai: akun Admin PPE telah dibuat dan informasinya telah dikirim.",
    "PermohonanKedaluwarsaEndEvent": "Ditutup: kekurangan berkas tidak dilengkapi dalam batas waktu.",
    "AkunPpbjAktifEndEvent": "Selesai: akun PPBJ telah diaktifkan.",
    "IdentitasKedaluwarsaEndEvent": "Ditutup: identitas tidak diisi dalam batas waktu.",
    "InformasiKedaluwarsaEndEvent": "Ditutup: SK atau Surat Tugas tidak dilengkapi dalam batas waktu.",
}


@dataclass(frozen=True)
class Step:
    """A step running now."""

    element_id: str
    name: str
    element_instance_key: int
    since: datetime | None


@dataclass(frozen=True)
class Position:
    """A process instance's state (`ACTIVE`, `COMPLETED`, `TERMINATED`; None: not visible yet), its running steps and,
    once ended, how."""

    state: str | None
    steps: list[Step] = field(default_factory=list)
    ending: str | None = None

    def waits_at(self, element_id: str) -> Step | None:
        """The running step with this id, if any."""
        return next((step for step in self.steps if step.element_id == element_id), None)

    @property
    def description(self) -> str:
        """Where the request is, for its applicant."""
        if self.state is None:
            return "Sedang dicatat; muat ulang halaman ini sesaat lagi."
        if self.state != "ACTIVE":
            return self.ending or "Proses telah berakhir."
        names = [step.name for step in self.steps]
        return "Sedang berlangsung: " + ", ".join(names) + "." if names else "Sedang diproses."


async def position(rest: CamundaRest, process_instance_key: int | None) -> Position:
    """The process instance's position (an unknown or not yet visible instance: state None)."""
    if process_instance_key is None:
        return Position(None)
    key = str(process_instance_key)
    try:
        instance = await rest.get(f"/v2/process-instances/{key}")
    except RestNotFoundError:
        return Position(None)
    state = str(instance.get("state"))
    if state != "ACTIVE":
        ends = await rest.search("element-instances", {"processInstanceKey": key, "type": "END_EVENT"})
        endings = [ENDINGS[item["elementId"]] for item in ends if item.get("elementId") in ENDINGS]
        return Position(state, ending=endings[-1] if endings else None)
    items = await rest.search(
        "element-instances",
        {"processInstanceKey": key, "state": "ACTIVE"},
        sort=[{"field": "startDate", "order": "ASC"}],
    )
    steps = [
        Step(
            element_id=str(item["elementId"]),
            name=str(item.get("elementName") or item["elementId"]),
            element_instance_key=int(item["elementInstanceKey"]),
            since=parse_time(item.get("startDate")),
        )
        for item in items
        if item.get("type") in STEP_TYPES and item.get("elementId") not in BACKGROUND_STEPS
    ]
    return Position(state, steps)


async def process_variable(rest: CamundaRest, process_instance_key: int | None, name: str) -> Any:
    """A variable of the process instance's own scope, decoded (None when absent); a truncated value is fetched
    whole."""
    if process_instance_key is None:
        return None
    key = str(process_instance_key)
    items = await rest.search("variables", {"processInstanceKey": key, "name": name})
    own = [item for item in items if str(item.get("scopeKey")) == key] or items
    if not own:
        return None
    item = own[0]
    if item.get("isTruncated"):
        item = await rest.get(f"/v2/variables/{item['variableKey']}")
    try:
        return json.loads(item["value"])
    except (KeyError, TypeError, ValueError):
        return None
