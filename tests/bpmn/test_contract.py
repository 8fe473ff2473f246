"""The diagrams in bpmn/ against the contract in shared/docs/processes.md, row by row.

The tables below are transcribed from shared/docs/processes.md (process ids, element ids, kinds, task
types, messages, correlation keys, SLA) plus the lanes and headers that docs/processes-design.md
assigns. Change them only together with those documents.
"""

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "zeebe": "http://camunda.org/schema/zeebe/1.0",
    "modeler": "http://camunda.org/schema/modeler/1.0",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
FLOW_NODE_TAGS = {
    "startEvent",
    "endEvent",
    "boundaryEvent",
    "intermediateCatchEvent",
    "serviceTask",
    "sendTask",
    "scriptTask",
    "receiveTask",
    "userTask",
    "exclusiveGateway",
    "parallelGateway",
    "subProcess",
}

KEPALA_LPSE = "Kepala LPSE"
PM_LKPP = "PM Direktorat e-Procurement LKPP"
PPBJ = "PPBJ"
ADMIN_PPE = "Admin PPE"


@dataclass(frozen=True)
class Row:
    """One row of a table in shared/docs/processes.md."""

    sop_row: str
    element_id: str
    kind: str
    lane: str
    task_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message: tuple[str, str] | None = None  # (name, correlation key)
    sla: str | None = None  # literal ISO-8601 duration of the SLA timer
    waits_without_time: bool = False  # reminder (non-interrupting) + expiry (interrupting)
    sla_host: str | None = None  # the embedded sub-process wrapping the row's element that carries its SLA timer

    @property
    def timed_element(self) -> str:
        """The element the row's SLA timer is attached to and whose start listener computes its deadline."""
        return self.sla_host or self.element_id


@dataclass(frozen=True)
class Process:
    file: str
    process_id: str
    lanes: tuple[str, str]
    rows: tuple[Row, ...]


REGISTRASI_ADMIN_PPE = Process(
    "registrasi-admin-ppe.bpmn",
    "registrasiAdminPpe",
    (KEPALA_LPSE, PM_LKPP),
    (
        Row("1", "PermohonanDiajukanStartEvent", "startEvent", KEPALA_LPSE),
        Row(
            "2",
            "PeriksaKelengkapanBerkasTask",
            "serviceTask",
            PM_LKPP,
            "periksa-kelengkapan-berkas",
            sla="PT10M",
        ),
        Row("2", "BerkasLengkapGateway", "exclusiveGateway", PM_LKPP),
        Row(
            "3",
            "MintaKelengkapanBerkasTask",
            "serviceTask",
            PM_LKPP,
            "kirim-email",
            {"template": "permintaan-kelengkapan-berkas", "penerima": "kepala-lpse"},
            sla="PT5M",
        ),
        Row(
            "4",
            "LengkapiBerkasReceiveTask",
            "receiveTask",
            KEPALA_LPSE,
            message=("berkas-dilengkapi", "=nomorPermohonan"),
            waits_without_time=True,
        ),
        Row(
            "5",
            "BuatAkunAdminPpeTask",
            "serviceTask",
            PM_LKPP,
            "buat-akun",
            {"sistem": "SPSE", "peran": "ADMIN_PPE"},
            sla="PT30M",
        ),
        Row(
            "6",
            "KirimInformasiAkunTask",
            "serviceTask",
            PM_LKPP,
            "kirim-email",
            {"template": "akun-admin-ppe-dibuat", "penerima": "kepala-lpse"},
            sla="PT10M",
        ),
        Row(
            "7",
            "SampaikanAkunKeAdminPpeTask",
            "serviceTask",
            PM_LKPP,
            "kirim-email",
            {"template": "undangan-admin-ppe", "penerima": "admin-ppe"},
            sla="PT5M",
        ),
        Row("8", "ArsipkanDokumenTask", "serviceTask", PM_LKPP, "arsipkan-dokumen", sla="PT10M"),
        Row("end", "AkunAdminPpeTerdaftarEndEvent", "endEvent", PM_LKPP),
        Row("end", "PermohonanKedaluwarsaEndEvent", "endEvent", KEPALA_LPSE),
    ),
)

PENDAFTARAN_AKUN_PPBJ = Process(
    "pendaftaran-akun-ppbj.bpmn",
    "pendaftaranAkunPpbj",
    (PPBJ, ADMIN_PPE),
    (
        Row("1", "PendaftaranDimulaiStartEvent", "startEvent", PPBJ),
        Row(
            "2",
            "BuatAkunPpbjTask",
            "serviceTask",
            PPBJ,
            "buat-akun",
            {"peran": "PPBJ", "status": "PENDING"},
            sla="PT15M",
        ),
        Row(
            "3",
            "IsiIdentitasPpbjReceiveTask",
            "receiveTask",
            PPBJ,
            message=("identitas-ppbj-diisi", "=nomorPendaftaran"),
            sla="PT15M",
        ),
        Row(
            "4",
            "VerifikasiIdentitasPpbjTask",
            "serviceTask",
            ADMIN_PPE,
            "verifikasi-identitas",
            sla="PT15M",
        ),
        Row(
            "5",
            "LengkapiInformasiPpbjReceiveTask",
            "receiveTask",
            PPBJ,
            message=("informasi-ppbj-dilengkapi", "=nomorPendaftaran"),
            sla="PT15M",
        ),
        Row("6", "PeriksaInformasiPpbjUserTask", "userTask", ADMIN_PPE, sla="PT15M"),
        Row("6", "InformasiLengkapGateway", "exclusiveGateway", ADMIN_PPE),
        Row(
            "7",
            "AktifkanAkunPpbjTask",
            "serviceTask",
            ADMIN_PPE,
            "aktifkan-akun",
            {"peran": "PPBJ"},
            sla="PT5M",
            # a multi-instance: Camunda 8.8 runs its start listeners on each inner instance, after the body subscribed
            # its boundary timer, so the timer and the deadline's listener sit on a sub-process around it
            sla_host="AktifkanAkunPpbjSubProcess",
        ),
        Row("8", "AkunPpbjAktifEndEvent", "endEvent", ADMIN_PPE),
    ),
)

PROCESSES = (REGISTRASI_ADMIN_PPE, PENDAFTARAN_AKUN_PPBJ)
ALL_ROWS = [(process, row) for process in PROCESSES for row in process.rows]


def _row_id(value: object) -> str:
    if isinstance(value, Process):
        return value.process_id
    if isinstance(value, Row):
        return f"{value.sop_row}-{value.element_id}"
    return str(value)


# --- model access ------------------------------------------------------------------------------


@cache
def document(file: str) -> etree._ElementTree:
    return etree.parse(str(BPMN_DIR / file))


def xpath(node: etree._Element | etree._ElementTree, path: str) -> list[etree._Element]:
    result = node.xpath(path, namespaces=NS)
    assert isinstance(result, list)
    return [item for item in result if isinstance(item, etree._Element)]


def one(node: etree._Element | etree._ElementTree, path: str) -> etree._Element:
    found = xpath(node, path)
    assert len(found) == 1, f"expected exactly one {path}, found {len(found)}"
    return found[0]


def process_element(process: Process) -> etree._Element:
    return one(document(process.file), f"/bpmn:definitions/bpmn:process[@id='{process.process_id}']")


def element(process: Process, element_id: str) -> etree._Element:
    found = xpath(process_element(process), f".//*[@id='{element_id}']")
    assert found, f"{process.file}: no element with id {element_id}"
    return found[0]


def local(node: etree._Element) -> str:
    return etree.QName(node).localname


def boundary_timers(process: Process, host_id: str) -> list[etree._Element]:
    return [
        event
        for event in xpath(process_element(process), f".//bpmn:boundaryEvent[@attachedToRef='{host_id}']")
        if xpath(event, "bpmn:timerEventDefinition")
    ]


def is_interrupting(event: etree._Element) -> bool:
    return event.get("cancelActivity", "true") == "true"


def timer_value(event: etree._Element) -> tuple[str, str]:
    (expression,) = xpath(event, "bpmn:timerEventDefinition/*")
    return local(expression), (expression.text or "").strip()


def headers(node: etree._Element) -> dict[str, str]:
    return {
        header.get("key", ""): header.get("value", "")
        for header in xpath(node, "bpmn:extensionElements/zeebe:taskHeaders/zeebe:header")
    }


def outgoing_targets(process: Process, node_id: str) -> list[str]:
    return [
        flow.get("targetRef", "")
        for flow in xpath(process_element(process), f"bpmn:sequenceFlow[@sourceRef='{node_id}']")
    ]


def reachable_through_gateways(process: Process, start_id: str) -> Iterator[etree._Element]:
    """The non-gateway elements reached from ``start_id`` when only gateways are passed through."""
    seen: set[str] = set()
    pending = outgoing_targets(process, start_id)
    while pending:
        node_id = pending.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        node = element(process, node_id)
        if local(node).endswith("Gateway"):
            pending.extend(outgoing_targets(process, node_id))
        else:
            yield node


def entered_by(process: Process, flow: etree._Element) -> list[etree._Element]:
    """The non-gateway elements a sequence flow leads to (passing through gateways)."""
    target = element(process, flow.get("targetRef", ""))
    if not local(target).endswith("Gateway"):
        return [target]
    return list(reachable_through_gateways(process, target.get("id", "")))


def task_type(node: etree._Element) -> str | None:
    found = xpath(node, "bpmn:extensionElements/zeebe:taskDefinition")
    return found[0].get("type") if found else None


def documentation(node: etree._Element) -> str:
    return " ".join(doc.text or "" for doc in xpath(node, "bpmn:documentation"))


def lane_of(process: Process, element_id: str) -> str | None:
    """The lane of an element of the process, or of the process's element (a sub-process) that contains it."""
    node = element(process, element_id)
    while (parent := node.getparent()) is not None and parent is not process_element(process):
        node = parent
    for lane in xpath(process_element(process), "bpmn:laneSet/bpmn:lane"):
        if node.get("id") in [ref.text for ref in xpath(lane, "bpmn:flowNodeRef")]:
            return lane.get("name")
    return None


def minutes(duration: str) -> str:
    match = re.fullmatch(r"PT(\d+)M", duration)
    assert match, duration
    return f"{int(match.group(1))} menit"


# --- whole diagrams -----------------------------------------------------------------------------


@pytest.mark.parametrize("process", PROCESSES, ids=_row_id)
def test_diagram_targets_camunda_8_8_from_modeler_5(process: Process) -> None:
    """Each file is an executable Camunda 8.8 process with the contract's id, saved as Modeler 5.x."""
    root = document(process.file).getroot()
    assert root.get(f"{{{NS['modeler']}}}executionPlatform") == "Camunda Cloud"
    assert root.get(f"{{{NS['modeler']}}}executionPlatformVersion") == "8.8.0"
    assert root.get("exporter") == "Camunda Modeler"
    assert (root.get("exporterVersion") or "").startswith("5.")
    processes = xpath(root, "bpmn:process")
    assert [p.get("id") for p in processes] == [process.process_id]
    assert processes[0].get("isExecutable") == "true"
    assert processes[0].get("name")


def test_bpmn_folder_holds_exactly_the_two_sops() -> None:
    """bpmn/ holds the two SOP diagrams and nothing else that would be deployed by accident."""
    assert sorted(path.name for path in BPMN_DIR.glob("*.bpmn")) == sorted(p.file for p in PROCESSES)


@pytest.mark.parametrize("process", PROCESSES, ids=_row_id)
def test_lanes_are_the_sop_performers(process: Process) -> None:
    """The lanes are the SOP's Pelaksana columns, applicant first, and every flow node is in one."""
    lanes = xpath(process_element(process), "bpmn:laneSet/bpmn:lane")
    assert tuple(lane.get("name") for lane in lanes) == process.lanes
    in_lanes = [ref.text for lane in lanes for ref in xpath(lane, "bpmn:flowNodeRef")]
    flow_nodes = [node.get("id") for node in process_element(process) if local(node) in FLOW_NODE_TAGS]
    assert sorted(in_lanes, key=str) == sorted(flow_nodes, key=str)


# --- row by row ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("process", "row"), ALL_ROWS, ids=_row_id)
def test_row_element_kind_and_lane(process: Process, row: Row) -> None:
    """Each SOP row's element exists with the contract's kind, in its performer's lane."""
    node = element(process, row.element_id)
    assert local(node) == row.kind
    assert lane_of(process, row.element_id) == row.lane


@pytest.mark.parametrize(("process", "row"), ALL_ROWS, ids=_row_id)
def test_row_task_type_and_headers(process: Process, row: Row) -> None:
    """Service tasks carry the contract's job type and the headers their workers read."""
    node = element(process, row.element_id)
    assert task_type(node) == row.task_type
    assert headers(node).items() >= row.headers.items()
    if row.task_type == "kirim-email":
        assert headers(node).get("template"), "every e-mail task names its template"


@pytest.mark.parametrize(("process", "row"), ALL_ROWS, ids=_row_id)
def test_row_message_and_correlation_key(process: Process, row: Row) -> None:
    """Receive tasks wait for the contract's message, correlated by the request number."""
    node = element(process, row.element_id)
    if row.message is None:
        assert node.get("messageRef") is None
        return
    name, correlation_key = row.message
    message = one(document(process.file), f"/bpmn:definitions/bpmn:message[@id='{node.get('messageRef')}']")
    assert message.get("name") == name
    subscription = one(message, "bpmn:extensionElements/zeebe:subscription")
    assert subscription.get("correlationKey") == correlation_key


@pytest.mark.parametrize(("process", "row"), ALL_ROWS, ids=_row_id)
def test_row_sla_timer(process: Process, row: Row) -> None:
    """A timed row has exactly one non-interrupting timer with the SOP's literal standard time, falling due at the
    step's working-time deadline, on the row's element or on the sub-process wrapping it (then nothing else carries
    a timer); the timer's id is the row's element id with `Task`/`UserTask`/`ReceiveTask` replaced by `SlaTimer`."""
    timers = boundary_timers(process, row.timed_element)
    if row.sla is None:
        assert not [t for t in timers if t.get("id", "").endswith("SlaTimer")]
        if not row.waits_without_time:
            assert timers == []
        return
    if row.sla_host is not None:
        assert boundary_timers(process, row.element_id) == []
    expected_id = re.sub(r"(UserTask|ReceiveTask|Task)$", "SlaTimer", row.element_id)
    sla = [t for t in timers if not is_interrupting(t) and t.get("id", "").endswith("SlaTimer")]
    assert [t.get("id") for t in sla] == [expected_id]
    # at the step's working-time deadline, computed from the step's literal standard time
    assert timer_value(sla[0]) == ("timeDate", "=slaBatasWaktuKerja")
    assert mappings(element(process, row.timed_element), "input")["slaBatasWaktu"] == f'="{row.sla}"'


@pytest.mark.parametrize(("process", "row"), ALL_ROWS, ids=_row_id)
def test_row_waiting_without_time_has_reminder_and_expiry(process: Process, row: Row) -> None:
    """A row that waits on an outside person with no standard time is reminded and expires."""
    if not row.waits_without_time:
        return
    timers = boundary_timers(process, row.element_id)
    reminders = [t for t in timers if not is_interrupting(t)]
    expiries = [t for t in timers if is_interrupting(t)]
    assert len(reminders) == 1
    assert len(expiries) == 1
    for timer in (*reminders, *expiries):
        kind, value = timer_value(timer)
        assert re.fullmatch(r"(R\d*/)?P(\d+[DWM]|T\d+[HMS])+", value), f"{timer.get('id')}: {kind} {value}"


@pytest.mark.parametrize(("process", "row"), ALL_ROWS, ids=_row_id)
def test_row_documentation_carries_sop_row_and_mutu_baku(process: Process, row: Row) -> None:
    """The element's documentation names its SOP row and Mutu Baku (with the standard time)."""
    if row.sop_row == "end":
        return
    text = documentation(element(process, row.element_id))
    assert f"SOP baris {row.sop_row}" in text
    if row.kind != "exclusiveGateway":
        assert "Mutu Baku" in text
    if row.sla:
        assert f"Waktu: {minutes(row.sla)} ({row.sla})" in text
        if row.sla_host is not None:
            host_text = documentation(element(process, row.sla_host))
            assert f"SOP baris {row.sop_row}" in host_text
            assert f"Waktu: {minutes(row.sla)} ({row.sla})" in host_text


# --- behaviour the tables describe in words -----------------------------------------------------


def test_registrasi_incomplete_files_go_back_to_row_2() -> None:
    """SOP 1: 'Tidak' asks for the missing files (row 3), waits (row 4), then re-checks (row 2)."""
    process = REGISTRASI_ADMIN_PPE
    flows = {
        flow.get("name"): flow
        for flow in xpath(process_element(process), "bpmn:sequenceFlow[@sourceRef='BerkasLengkapGateway']")
    }
    assert flows["Tidak"].get("targetRef") == "MintaKelengkapanBerkasTask"
    assert flows["Ya"].get("targetRef") == "BuatAkunAdminPpeTask"
    for flow in flows.values():
        assert "berkasLengkap" in (one(flow, "bpmn:conditionExpression").text or "")
    assert outgoing_targets(process, "MintaKelengkapanBerkasTask") == ["LengkapiBerkasReceiveTask"]
    reached = [node.get("id") for node in reachable_through_gateways(process, "LengkapiBerkasReceiveTask")]
    assert reached == ["PeriksaKelengkapanBerkasTask"]


def test_registrasi_expiry_notifies_the_applicant_then_ends() -> None:
    """SOP 1: after the expiry timer the Kepala LPSE is e-mailed, then PermohonanKedaluwarsaEndEvent."""
    process = REGISTRASI_ADMIN_PPE
    (expiry,) = [t for t in boundary_timers(process, "LengkapiBerkasReceiveTask") if is_interrupting(t)]
    (notify,) = reachable_through_gateways(process, expiry.get("id", ""))
    assert task_type(notify) == "kirim-email"
    assert headers(notify)["template"] == "permohonan-kedaluwarsa"
    assert outgoing_targets(process, notify.get("id", "")) == ["PermohonanKedaluwarsaEndEvent"]


def test_registrasi_main_path_follows_rows_5_to_8() -> None:
    """SOP 1: rows 5, 6, 7, 8 follow each other and end in AkunAdminPpeTerdaftarEndEvent."""
    process = REGISTRASI_ADMIN_PPE
    chain = [
        "BuatAkunAdminPpeTask",
        "KirimInformasiAkunTask",
        "SampaikanAkunKeAdminPpeTask",
        "ArsipkanDokumenTask",
        "AkunAdminPpeTerdaftarEndEvent",
    ]
    for source, target in itertools.pairwise(chain):
        assert outgoing_targets(process, source) == [target]


@pytest.mark.parametrize(
    ("gateway", "variable", "yes", "back_to", "template"),
    [
        (
            "IdentitasValidGateway",
            "identitasValid",
            "KirimPermintaanInformasiTask",
            "IsiIdentitasPpbjReceiveTask",
            "identitas-perlu-perbaikan",
        ),
        (
            "InformasiLengkapGateway",
            "informasiLengkap",
            "AktifkanAkunPpbjSubProcess",
            "LengkapiInformasiPpbjReceiveTask",
            "informasi-perlu-dilengkapi",
        ),
    ],
)
def test_pendaftaran_no_emails_the_ppbj_and_goes_back(
    gateway: str, variable: str, yes: str, back_to: str, template: str
) -> None:
    """SOP 2: a 'Tidak' at rows 4 and 6 e-mails the PPBJ what to fix and returns to rows 3 and 5."""
    process = PENDAFTARAN_AKUN_PPBJ
    flows = {
        flow.get("name"): flow for flow in xpath(process_element(process), f"bpmn:sequenceFlow[@sourceRef='{gateway}']")
    }
    assert set(flows) == {"Ya", "Tidak"}
    for flow in flows.values():
        assert variable in (one(flow, "bpmn:conditionExpression").text or "")
    assert [node.get("id") for node in entered_by(process, flows["Ya"])] == [yes]
    email = element(process, flows["Tidak"].get("targetRef", ""))
    assert task_type(email) == "kirim-email"
    assert headers(email)["template"] == template
    assert [node.get("id") for node in reachable_through_gateways(process, email.get("id", ""))] == [back_to]


def test_pendaftaran_valid_identity_asks_the_ppbj_for_the_sk_or_surat_tugas() -> None:
    """SOP 2: after a valid identity (row 4 'Ya') the PPBJ is e-mailed for the SK or Surat Tugas, in the Admin PPE's
    lane, then row 5 waits for it; a second pass through row 5 (after 'belum lengkap') does not ask again."""
    process = PENDAFTARAN_AKUN_PPBJ
    node = element(process, "KirimPermintaanInformasiTask")
    assert (local(node), task_type(node), lane_of(process, "KirimPermintaanInformasiTask")) == (
        "serviceTask",
        "kirim-email",
        ADMIN_PPE,
    )
    assert headers(node) == {"template": "permintaan-informasi-ppbj", "penerima": "ppbj"}
    assert documentation(node).startswith("Elemen bantu")
    assert "SOP baris 4" in documentation(node) and "baris 5" in documentation(node)
    assert [n.get("id") for n in reachable_through_gateways(process, "KirimPermintaanInformasiTask")] == [
        "LengkapiInformasiPpbjReceiveTask"
    ]
    assert boundary_timers(process, "KirimPermintaanInformasiTask") == []  # no SOP time of its own
    assert (BPMN_DIR.parent / "templates" / "permintaan-informasi-ppbj" / "subject.txt").is_file()
    loop_back = [n.get("id") for n in reachable_through_gateways(process, "KirimKekuranganInformasiTask")]
    assert loop_back == ["LengkapiInformasiPpbjReceiveTask"]


def test_pendaftaran_activation_is_parallel_over_the_three_systems() -> None:
    """SOP 2 row 7: activation runs in parallel for SiRUP, SPSE and SiPRAJA, then e-mails the PPBJ."""
    process = PENDAFTARAN_AKUN_PPBJ
    node = element(process, "AktifkanAkunPpbjTask")
    loop = one(node, "bpmn:multiInstanceLoopCharacteristics")
    assert loop.get("isSequential", "false") == "false"
    characteristics = one(loop, "bpmn:extensionElements/zeebe:loopCharacteristics")
    assert characteristics.get("inputCollection") == '=["SiRUP", "SPSE", "SiPRAJA"]'
    assert characteristics.get("inputElement") == "sistem"
    (email,) = reachable_through_gateways(process, "AktifkanAkunPpbjSubProcess")
    assert headers(email)["template"] == "akun-ppbj-aktif"
    assert outgoing_targets(process, email.get("id", "")) == ["AkunPpbjAktifEndEvent"]


def test_pendaftaran_activation_is_wrapped_in_a_sub_process_carrying_its_standard_time() -> None:
    """SOP 2 row 7: the embedded sub-process `AktifkanAkunPpbjSubProcess` (in the Admin PPE's lane, drawn expanded
    around the task) holds only a none start event, the multi-instance `AktifkanAkunPpbjTask` and an end event; it
    carries the row's deadline listener, inputs and SLA timer, the task none of them (its start listeners would run
    per system, after the multi-instance body's timer was set)."""
    process = PENDAFTARAN_AKUN_PPBJ
    wrapper = element(process, "AktifkanAkunPpbjSubProcess")
    assert local(wrapper) == "subProcess" and wrapper.getparent() is process_element(process)
    assert wrapper.get("triggeredByEvent", "false") == "false"
    assert wrapper.get("name") and documentation(wrapper).startswith("SOP baris 7")
    assert lane_of(process, "AktifkanAkunPpbjSubProcess") == ADMIN_PPE
    inner = {local(node): node.get("id", "") for node in wrapper if local(node) in FLOW_NODE_TAGS}
    assert inner == {
        "startEvent": inner["startEvent"],
        "serviceTask": "AktifkanAkunPpbjTask",
        "endEvent": inner["endEvent"],
    }
    assert xpath(wrapper, "bpmn:startEvent/*[contains(local-name(), 'EventDefinition')]") == []
    chain = [inner["startEvent"], "AktifkanAkunPpbjTask", inner["endEvent"]]
    for source, target in itertools.pairwise(chain):
        assert [flow.get("targetRef") for flow in xpath(wrapper, f"bpmn:sequenceFlow[@sourceRef='{source}']")] == [
            target
        ]
    task = element(process, "AktifkanAkunPpbjTask")
    assert xpath(task, "bpmn:extensionElements/zeebe:executionListeners") == []
    assert not {"slaMulai", "slaBatasWaktu"} & set(mappings(task, "input"))
    shape = one(document(process.file), "//bpmndi:BPMNShape[@bpmnElement='AktifkanAkunPpbjSubProcess']")
    assert shape.get("isExpanded") == "true"
    x, y, width, height = bounds(process, "AktifkanAkunPpbjSubProcess")
    for node_id in chain:
        nx, ny, nwidth, nheight = bounds(process, node_id)
        assert x < nx and nx + nwidth < x + width and y < ny and ny + nheight < y + height, node_id


def test_pendaftaran_review_is_a_camunda_user_task_with_its_form() -> None:
    """SOP 2 row 6: a Camunda user task for admin-ppe, linked to bpmn/forms/periksa-informasi-ppbj.form."""
    node = element(PENDAFTARAN_AKUN_PPBJ, "PeriksaInformasiPpbjUserTask")
    one(node, "bpmn:extensionElements/zeebe:userTask")
    form_id = one(node, "bpmn:extensionElements/zeebe:formDefinition").get("formId")
    assignment = one(node, "bpmn:extensionElements/zeebe:assignmentDefinition")
    assert assignment.get("candidateGroups") == "admin-ppe"
    form = json.loads((BPMN_DIR / "forms" / "periksa-informasi-ppbj.form").read_text(encoding="utf-8"))
    assert form["id"] == form_id
    outputs = {
        mapping.get("target"): mapping.get("source", "")
        for mapping in xpath(node, "bpmn:extensionElements/zeebe:ioMapping/zeebe:output")
    }
    assert {"informasiLengkap", "catatanPemeriksaan"} <= set(outputs)
    keys = {component.get("key") for component in form["components"]}
    for source in outputs.values():
        for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r'"[^"]*"', "", source)):
            if name not in {"if", "then", "else", "null", "true", "false"}:
                assert name in keys, f"output mapping reads {name}, which the form does not set"
    # each review starts empty: the form's answers are local nulls, not the previous review's values
    inputs = {
        mapping.get("target"): mapping.get("source")
        for mapping in xpath(node, "bpmn:extensionElements/zeebe:ioMapping/zeebe:input")
    }
    answers = {c["key"] for c in form["components"] if c.get("key") and not c.get("readonly")}
    deadline_inputs = {"slaMulai": "=now()", "slaBatasWaktu": '="PT15M"'}  # the step's working-time deadline
    assert inputs == {**dict.fromkeys(answers, "=null"), **deadline_inputs}


# --- the SLA notification path -------------------------------------------------------------------


@pytest.mark.parametrize("process", PROCESSES, ids=_row_id)
def test_every_sla_timer_tells_the_notifier_which_step_breached(process: Process) -> None:
    """Each SLA timer sets slaLangkah/slaBatasWaktu to its step and time and leads to the notifier."""
    timed = [row for row in process.rows if row.sla]
    for row in timed:
        timer_id = re.sub(r"(UserTask|ReceiveTask|Task)$", "SlaTimer", row.element_id)
        timer = element(process, timer_id)
        outputs = {
            mapping.get("target"): mapping.get("source")
            for mapping in xpath(timer, "bpmn:extensionElements/zeebe:ioMapping/zeebe:output")
        }
        assert outputs["slaLangkah"] == f'="{row.timed_element}"'
        assert outputs["slaBatasWaktu"] == f'="{row.sla}"'
        assert outputs["slaBarisSop"] == f"={row.sop_row}"
        (notifier,) = reachable_through_gateways(process, timer_id)
        assert task_type(notifier) == "kirim-notifikasi-sla"
        assert outgoing_targets(process, notifier.get("id", "")) and all(
            local(element(process, target)) == "endEvent"
            for target in outgoing_targets(process, notifier.get("id", ""))
        )


# --- standard times in working time (docs/processes-design.md) -----------------------------------

DEADLINE_LISTENER = "hitung-batas-waktu-sla"
"""The start execution listener that computes a timed step's working-time deadline (`slaBatasWaktuKerja`)."""


def sla_timers(process: Process) -> list[etree._Element]:
    return [
        event
        for event in xpath(process_element(process), ".//bpmn:boundaryEvent")
        if event.get("id", "").endswith("SlaTimer") and xpath(event, "bpmn:timerEventDefinition")
    ]


def mappings(node: etree._Element, kind: str) -> dict[str, str]:
    return {
        mapping.get("target", ""): mapping.get("source", "")
        for mapping in xpath(node, f"bpmn:extensionElements/zeebe:ioMapping/zeebe:{kind}")
    }


@pytest.mark.parametrize("process", PROCESSES, ids=_row_id)
def test_every_sla_timer_falls_due_at_its_steps_working_time_deadline(process: Process) -> None:
    """Each SLA timer fires at `timeDate` `=slaBatasWaktuKerja`; its step computes that deadline with the start
    listener `hitung-batas-waktu-sla` from its inputs `slaMulai` (`=now()`) and `slaBatasWaktu` – the same literal
    as the timer's output `slaBatasWaktu` (the standard time the reminder names) – every one of them, SOP 2 row 7's
    on the sub-process around its multi-instance task included."""
    timers = sla_timers(process)
    assert timers
    for timer in timers:
        host = element(process, timer.get("attachedToRef", ""))
        host_id = host.get("id", "")
        standard = mappings(timer, "output")["slaBatasWaktu"]
        listeners = [
            (listener.get("eventType"), listener.get("type"), listener.get("retries"))
            for listener in xpath(host, "bpmn:extensionElements/zeebe:executionListeners/zeebe:executionListener")
        ]
        inputs = mappings(host, "input")
        assert timer_value(timer) == ("timeDate", "=slaBatasWaktuKerja"), timer.get("id")
        assert ("start", DEADLINE_LISTENER, "3") in listeners, host_id
        assert inputs.get("slaMulai") == "=now()", host_id
        assert inputs.get("slaBatasWaktu") == standard, host_id


# --- diagram interchange ------------------------------------------------------------------------


def bounds(process: Process, element_id: str) -> tuple[float, float, float, float]:
    shape = one(document(process.file), f"//bpmndi:BPMNShape[@bpmnElement='{element_id}']")
    box = one(shape, "dc:Bounds")
    return (
        float(box.get("x", "nan")),
        float(box.get("y", "nan")),
        float(box.get("width", "nan")),
        float(box.get("height", "nan")),
    )


@pytest.mark.parametrize("process", PROCESSES, ids=_row_id)
def test_every_element_is_drawn(process: Process) -> None:
    """Every flow node has a shape with sensible bounds and every flow an edge with waypoints, inside sub-processes
    too."""
    root = process_element(process)
    for node in root.iter():
        if isinstance(node.tag, str) and etree.QName(node).namespace == NS["bpmn"] and local(node) in FLOW_NODE_TAGS:
            x, y, width, height = bounds(process, node.get("id", ""))
            assert x >= 0 and y >= 0 and width >= 36 and height >= 36, node.get("id")
    for flow in xpath(root, ".//bpmn:sequenceFlow"):
        edge = one(document(process.file), f"//bpmndi:BPMNEdge[@bpmnElement='{flow.get('id')}']")
        assert len(xpath(edge, "di:waypoint")) >= 2, flow.get("id")
    for lane in xpath(root, "bpmn:laneSet/bpmn:lane"):
        bounds(process, lane.get("id", ""))


@pytest.mark.parametrize("process", PROCESSES, ids=_row_id)
def test_shapes_sit_inside_their_lanes(process: Process) -> None:
    """Each flow node is drawn inside the lane it belongs to, so the lanes read as the SOP columns."""
    for lane in xpath(process_element(process), "bpmn:laneSet/bpmn:lane"):
        lx, ly, lw, lh = bounds(process, lane.get("id", ""))
        for ref in xpath(lane, "bpmn:flowNodeRef"):
            x, y, width, height = bounds(process, ref.text or "")
            centre_x, centre_y = x + width / 2, y + height / 2
            assert lx <= centre_x <= lx + lw and ly <= centre_y <= ly + lh, (ref.text, lane.get("name"))
