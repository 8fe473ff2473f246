"""The commands' parts on their own: standard times read from the diagrams, the REST settings, accepted document
files, and the REST client's OAuth bearer token."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from pbj.commands.files import read_document
from pbj.commands.rest import CamundaRest
from pbj.commands.settings import DEFAULT_REST_ADDRESS, CommandSettings
from pbj.commands.standar import Standard, covered_elements, read_standards
from pbj.sample_documents import pdf_document
from tests.workers.harness import BPMN_DIR, settings_environ
from workers.domain import WIB, WITA, DocumentType, RequestKind
from workers.settings import Settings


def test_standard_times_are_read_from_the_sla_timers_of_the_diagrams() -> None:
    """Each SLA timer gives its step's standard time, SOP row and performer; waiting steps carry their expiry."""
    sop1 = read_standards((BPMN_DIR / "registrasi-admin-ppe.bpmn").read_bytes())
    sop2 = read_standards((BPMN_DIR / "pendaftaran-akun-ppbj.bpmn").read_bytes())

    assert {k: (v.duration, v.row, v.performer) for k, v in sop1.items() if v.duration} == {
        "PeriksaKelengkapanBerkasTask": ("PT10M", 2, "pm-lkpp"),
        "MintaKelengkapanBerkasTask": ("PT5M", 3, "pm-lkpp"),
        "BuatAkunAdminPpeTask": ("PT30M", 5, "pm-lkpp"),
        "KirimInformasiAkunTask": ("PT10M", 6, "pm-lkpp"),
        "SampaikanAkunKeAdminPpeTask": ("PT5M", 7, "pm-lkpp"),
        "ArsipkanDokumenTask": ("PT10M", 8, "pm-lkpp"),
    }
    assert sop1["LengkapiBerkasReceiveTask"].duration is None
    assert sop1["LengkapiBerkasReceiveTask"].expiry == "P14D"
    assert {k: v.duration for k, v in sop2.items() if v.duration} == {
        "BuatAkunPpbjTask": "PT15M",
        "IsiIdentitasPpbjReceiveTask": "PT15M",
        "VerifikasiIdentitasPpbjTask": "PT15M",
        "LengkapiInformasiPpbjReceiveTask": "PT15M",
        "PeriksaInformasiPpbjUserTask": "PT15M",
        "AktifkanAkunPpbjSubProcess": "PT5M",  # row 7: the sub-process around the multi-instance task carries it
    }
    activation = sop2["AktifkanAkunPpbjSubProcess"]
    assert (activation.row, activation.performer, activation.sla_timer_id) == (
        7,
        "admin-ppe",
        "AktifkanAkunPpbjSlaTimer",
    )
    assert activation.covers == {
        "AktivasiAkunPpbjDimulaiStartEvent",
        "AktifkanAkunPpbjTask",
        "AktivasiAkunPpbjSelesaiEndEvent",
    }
    assert covered_elements(sop2) == activation.covers and covered_elements(sop1) == frozenset()
    assert "AktifkanAkunPpbjTask" not in sop2
    review = sop2["PeriksaInformasiPpbjUserTask"]
    assert (review.sla_timer_id, review.performer_label, review.expiry) == (
        "PeriksaInformasiPpbjSlaTimer",
        "Admin PPE",
        None,
    )
    assert sop2["IsiIdentitasPpbjReceiveTask"].expiry == "P14D"


def test_a_deadline_counts_the_standard_time_in_the_provinces_working_calendar(tmp_path: Path) -> None:
    """`Standard.deadline` (the deadline `pbj status`, `pbj terlambat` and `pbj tugas` show) counts office hours only,
    as the province's settings set them, and skips weekends, national holidays and cuti bersama; the deadline is in
    the province's zone."""
    sop1 = read_standards((BPMN_DIR / "registrasi-admin-ppe.bpmn").read_bytes())
    sop2 = read_standards((BPMN_DIR / "pendaftaran-akun-ppbj.bpmn").read_bytes())
    check, review = sop1["PeriksaKelengkapanBerkasTask"], sop2["PeriksaInformasiPpbjUserTask"]
    environ = settings_environ(tmp_path, f"sqlite:///{tmp_path / 'pbj.sqlite3'}", 25)
    default = Settings.from_env(environ).working_time
    shorter_fridays = Settings.from_env({**environ, "OFFICE_HOURS_KALTIM": "Sen-Jum 08:00-16:00"}).working_time
    friday = datetime(2026, 3, 6, 15, 55, tzinfo=WITA)

    # PT10M from Friday 15.55 WITA: by 16.05 under the default hours (Friday until 16.30) ...
    assert check.deadline(friday, default.calendar(RequestKind.ADMIN_PPE)) == datetime(2026, 3, 6, 16, 5, tzinfo=WITA)
    # ... on Monday 08.05 when the bureau closes at 16.00 on Fridays: 5 minutes on Friday, 5 on Monday
    on_monday = check.deadline(friday.astimezone(UTC), shorter_fridays.calendar(RequestKind.ADMIN_PPE))
    assert on_monday == datetime(2026, 3, 9, 8, 5, tzinfo=WITA)
    assert on_monday is not None and on_monday.utcoffset() == timedelta(hours=8)
    # SOP 2 in WIB: Monday 08.00 plus 15 minutes; Wednesday 15.50 before Kenaikan Yesus Kristus (Thursday) and its
    # cuti bersama (Friday): 10 minutes on Wednesday, 5 on Monday
    calendar = default.calendar(RequestKind.PPBJ)
    monday = datetime(2026, 3, 2, 8, 0, tzinfo=WIB)
    assert review.deadline(monday, calendar) == monday + timedelta(minutes=15)
    assert review.deadline(datetime(2026, 5, 13, 15, 50, tzinfo=WIB), calendar) == datetime(
        2026, 5, 18, 7, 35, tzinfo=WIB
    )
    # without a standard time, or with one that is not a working duration, there is no deadline
    assert sop2["IsiIdentitasPpbjReceiveTask"].deadline(monday, calendar) == datetime(2026, 3, 2, 8, 15, tzinfo=WIB)
    assert Standard("LangkahTanpaStandar", None).deadline(monday, calendar) is None
    assert Standard("LangkahBulanan", None, duration="P1M").deadline(monday, calendar) is None


def test_a_changed_standard_time_in_the_diagram_is_what_counts() -> None:
    """The process owner changes row 2's standard time to PT20M in the Modeler (the step's input `slaBatasWaktu` and
    its timer's output of the same name): the standard read is PT20M."""
    xml = (BPMN_DIR / "registrasi-admin-ppe.bpmn").read_text()
    edited = xml.replace(
        '<zeebe:output source="=&quot;PT10M&quot;" target="slaBatasWaktu"/>\n'
        '          <zeebe:output source="=&quot;pm-lkpp&quot;" target="slaPelaksana"/>\n'
        "        </zeebe:ioMapping>\n"
        "      </bpmn:extensionElements>\n"
        "      <bpmn:outgoing>Flow_PeriksaKelengkapanBerkasSlaTimer_SlaTerlampauiGateway</bpmn:outgoing>",
        '<zeebe:output source="=&quot;PT20M&quot;" target="slaBatasWaktu"/>\n'
        '          <zeebe:output source="=&quot;pm-lkpp&quot;" target="slaPelaksana"/>\n'
        "        </zeebe:ioMapping>\n"
        "      </bpmn:extensionElements>\n"
        "      <bpmn:outgoing>Flow_PeriksaKelengkapanBerkasSlaTimer_SlaTerlampauiGateway</bpmn:outgoing>",
    )
    assert edited != xml
    assert read_standards(edited)["PeriksaKelengkapanBerkasTask"].duration == "PT20M"


def test_rest_address_defaults_to_the_embedded_engine_and_drops_a_trailing_v2() -> None:
    """No setting: http://127.0.0.1:8080; `…/v2/` and the ZEEBE_REST_ADDRESS alias are accepted."""
    assert CommandSettings.from_env({}).rest.address == DEFAULT_REST_ADDRESS
    assert CommandSettings.from_env({"CAMUNDA_REST_ADDRESS": "http://localhost:8088/v2/"}).rest.address == (
        "http://localhost:8088"
    )
    assert CommandSettings.from_env({"ZEEBE_REST_ADDRESS": "https://camunda.example/"}).rest.address == (
        "https://camunda.example"
    )


def test_documents_are_judged_by_their_content(tmp_path: Path) -> None:
    """A JPEG named .jpeg and a PDF without an extension are accepted with the media type of their content."""
    jpeg = tmp_path / "KTP.jpeg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100 + b"\xff\xd9")
    scan = tmp_path / "pindaian"
    scan.write_bytes(pdf_document("Pindaian SK"))

    assert read_document("--ktp", str(jpeg), DocumentType.KTP_ADMIN_PPE, 1024).document.media_type == "image/jpeg"
    assert read_document("--sk", str(scan), DocumentType.SK, 10_000).document.media_type == "application/pdf"


async def test_with_oauth_credentials_every_rest_call_carries_a_bearer_token() -> None:
    """With OAuth client credentials a token is fetched once (with the REST audience) and sent on every call."""
    grants: list[dict[str, str]] = []
    seen: list[str | None] = []

    async def token(request: web.Request) -> web.Response:
        grants.append(dict(await request.post()))  # type: ignore[arg-type]
        return web.json_response({"access_token": "token-uji", "expires_in": 300})

    async def search(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"items": [], "page": {"totalItems": 0}})

    app = web.Application()
    app.add_routes([web.post("/oauth/token", token), web.post("/v2/process-definitions/search", search)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    settings = CommandSettings.from_env(
        {
            "ZEEBE_CLIENT_ID": "pbj-cli",
            "ZEEBE_CLIENT_SECRET": "rahasia-uji",
            "ZEEBE_AUTHORIZATION_SERVER_URL": f"{base}/oauth/token",
            "CAMUNDA_REST_ADDRESS": base,
            "CAMUNDA_REST_TOKEN_AUDIENCE": "orchestration-api",
        }
    )
    try:
        async with CamundaRest(settings) as rest:
            await rest.search("process-definitions", {})
            await rest.search("process-definitions", {})
    finally:
        await runner.cleanup()

    assert seen == ["Bearer token-uji", "Bearer token-uji"]
    assert grants == [
        {
            "grant_type": "client_credentials",
            "client_id": "pbj-cli",
            "client_secret": "rahasia-uji",
            "audience": "orchestration-api",
        }
    ]
