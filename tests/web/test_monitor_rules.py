"""The rules behind the monitor and the report, without a browser: who may retry an incident, how the report's form is
checked, which active steps count as waiting and past their standard (SOP 2 row 7 as the sub-process timing it, read
from an engine's `/v2`), and the chart drawn for a report."""

from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from multidict import MultiDict

from engine.testing import EmbeddedEngine
from pbj.commands.pantau import Standards
from pbj.commands.rest import CamundaRest
from pbj.commands.settings import CommandSettings
from pbj.commands.standar import read_standards
from tests.compliance.scenario import run_activations
from tests.engine.bpmn_harness import Driver
from web.charts import share_chart
from web.monitor import element_names, instance_view, minutes_text, overview, waiting_steps
from web.pages.monitor import may_retry
from web.pages.report import read_choice
from workers.domain import WITA, RequestKind
from workers.settings import Settings
from workers.store import StaffUserRecord

ROOT = Path(__file__).resolve().parents[2]
SOP1_XML = (ROOT / "bpmn" / "registrasi-admin-ppe.bpmn").read_text()
TODAY = date(2026, 3, 9)


def staff(*roles: str) -> StaffUserRecord:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    return StaffUserRecord(
        id=1,
        username="uji",
        display_name="Uji",
        roles=roles,
        password_hash="-",
        created_at=now,
        disabled_at=None,
        failed_logins=0,
        locked_until=None,
        last_login_at=None,
    )


def test_incidents_are_retried_by_managers_and_the_staff_of_the_sop_only() -> None:
    assert may_retry(staff("pimpinan"), RequestKind.ADMIN_PPE) and may_retry(staff("pimpinan"), RequestKind.PPBJ)
    assert may_retry(staff("pm-lkpp"), RequestKind.ADMIN_PPE) and not may_retry(staff("pm-lkpp"), RequestKind.PPBJ)
    assert may_retry(staff("admin-ppe"), RequestKind.PPBJ) and not may_retry(staff("admin-ppe"), RequestKind.ADMIN_PPE)


def test_the_report_form_defaults_to_this_month_of_sop_1() -> None:
    choice = read_choice(MultiDict(), TODAY)
    assert (choice.first, choice.last, choice.province, choice.sop, choice.problems) == (
        "2026-03-01",
        "2026-03-09",
        "kaltim",
        "registrasiAdminPpe",
        (),
    )
    assert choice.kind is RequestKind.ADMIN_PPE and choice.period is not None


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"dari": "2026-03-09", "sampai": "2026-03-01"}, "Periode laporan terbalik: 09-03-2026 sampai 01-03-2026"),
        ({"dari": "kemarin"}, "Tanggal awal periode tidak sah"),
        ({"sampai": "2026-02-30"}, "Tanggal akhir periode tidak sah"),
        ({"sop": "lain"}, "SOP yang dipilih tidak dikenal"),
        ({"provinsi": "kaltara"}, "Provinsi yang dipilih tidak dikenal"),
        ({"provinsi": "kalbar"}, "tidak dijalankan oleh Provinsi Kalimantan Barat"),
        ({"sop": "pendaftaranAkunPpbj"}, "tidak dijalankan oleh Provinsi Kalimantan Timur"),
    ],
)
def test_bad_report_input_is_named_and_nothing_is_chosen(query: dict[str, str], problem: str) -> None:
    choice = read_choice(MultiDict(query), TODAY)
    assert any(problem in text for text in choice.problems), choice.problems
    assert choice.kind is None


def test_active_steps_count_once_and_past_their_standard_in_working_time() -> None:
    """Row 2 (10 minutes) started Monday 08:00 WITA: at 08:11 past it; a multi-instance counts as its body; events
    and gateways are not steps; an untimed receive task is never late."""
    standards = {"1": read_standards(SOP1_XML)}
    calendar = Settings.from_env({}).working_time.calendar(RequestKind.ADMIN_PPE)

    def item(element_id: str, kind: str, key: str = "9", incident: bool = False) -> dict[str, object]:
        return {
            "elementId": element_id,
            "type": kind,
            "processInstanceKey": key,
            "processDefinitionKey": "1",
            "startDate": "2026-03-02T00:00:00.000Z",
            "hasIncident": incident,
        }

    active = [
        item("PeriksaKelengkapanBerkasTask", "SERVICE_TASK", incident=True),
        item("LengkapiBerkasReceiveTask", "RECEIVE_TASK", key="8"),
        item("BuatAkunAdminPpeTask", "MULTI_INSTANCE_BODY", key="7"),
        item("BuatAkunAdminPpeTask", "SERVICE_TASK", key="7"),
        item("BuatAkunAdminPpeTask", "SERVICE_TASK", key="7"),
        item("SlaTerlampauiGateway", "EXCLUSIVE_GATEWAY"),
    ]
    found = waiting_steps(active, standards, calendar, datetime(2026, 3, 2, 8, 11, tzinfo=WITA))
    assert [(w.element_id, w.process_instance_key, w.late, w.incident) for w in found] == [
        ("PeriksaKelengkapanBerkasTask", "9", True, True),
        ("LengkapiBerkasReceiveTask", "8", False, False),
        ("BuatAkunAdminPpeTask", "7", False, False),
    ]
    early = waiting_steps(active[:1], standards, calendar, datetime(2026, 3, 2, 8, 10, tzinfo=WITA))
    assert not early[0].late


def test_element_names_come_from_the_diagram() -> None:
    names = element_names(SOP1_XML)
    assert names["LengkapiBerkasReceiveTask"] == "Melengkapi kekurangan berkas"
    assert "PermohonanDiajukanStartEvent" in names


def test_the_chart_is_plain_svg_with_a_bar_per_step_and_no_inline_style() -> None:
    svg = share_chart("Persentase <dalam> standar", [("Memeriksa & mencatat", 7 / 13), ("Belum ada", None)])
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Persentase <dalam> standar" in texts and "Memeriksa & mencatat" in texts
    assert "53,85%" in texts and "–" in texts
    assert "style=" not in svg


async def test_the_activation_on_three_systems_is_one_timed_step_on_the_monitor(
    engine: EmbeddedEngine, gw: Driver
) -> None:
    """SOP 2 row 7 on the monitor, from the engine's `/v2` (`tests.compliance.scenario.run_activations`, at 08:06 WIB):
    the one registration still waiting counts at the sub-process that times the row – waiting and past its 5 minutes –
    while the activations inside it are never late; an instance's timeline has one row 7 line, the sub-process's, with
    its 6 working minutes past the standard, and none for the systems."""
    keys = await run_activations(engine, gw)
    now = engine.current_time
    calendar = Settings.from_env({}).working_time.calendar(RequestKind.PPBJ)
    async with CamundaRest(CommandSettings.from_env({"CAMUNDA_REST_ADDRESS": engine.rest_url})) as rest:
        standards = Standards(rest)
        seen = await overview(rest, standards, RequestKind.PPBJ, calendar, now)
        late = await instance_view(rest, standards, str(keys[2]), lambda kind: calendar, now)
        waiting = await instance_view(rest, standards, str(keys[3]), lambda kind: calendar, now)

    overlays = seen.overlays()
    assert overlays["AktifkanAkunPpbjSubProcess"] == {"menunggu": 1, "insiden": 0, "terlambat": 1}
    assert overlays["AktifkanAkunPpbjTask"]["terlambat"] == 0
    [at_row_7] = seen.at("AktifkanAkunPpbjSubProcess")
    assert (at_row_7.process_instance_key, at_row_7.late) == (str(keys[3]), True)
    assert seen.elements["AktifkanAkunPpbjSubProcess"].name == "Mengaktifkan akun PPBJ"

    assert late is not None and waiting is not None
    row_7 = {"AktifkanAkunPpbjSubProcess", "AktifkanAkunPpbjTask", "AktivasiAkunPpbjDimulaiStartEvent"}
    [row7] = [step for step in late.timeline if step.element_id in row_7]
    assert [step.element_id for step in late.timeline] == [
        "AktifkanAkunPpbjSubProcess",
        "KirimNotifikasiSlaTask",  # the reminder sent at 08:05 (no standard of its own)
        "KirimInformasiAkunAktifTask",
    ]
    assert (row7.element_id, row7.name, row7.standard, row7.verdict) == (
        "AktifkanAkunPpbjSubProcess",
        "Mengaktifkan akun PPBJ",
        "PT5M",
        "lampau",
    )
    assert minutes_text(row7.working_time) == "6 menit"
    assert "AktifkanAkunPpbjTask" in late.completed_elements  # drawn as passed on the diagram all the same
    [running] = [step for step in waiting.timeline if step.element_id in row_7]
    assert (running.element_id, running.verdict, running.ended) == ("AktifkanAkunPpbjSubProcess", "lampau", None)
    assert {"AktifkanAkunPpbjSubProcess", "AktifkanAkunPpbjTask"} <= set(waiting.active_elements)
