"""The managers' monitor: both SOPs on their diagrams (`/pantau`), one instance's path, timeline, reminders and
incidents (`/pantau/{processInstanceKey}`), and retrying an incident.

Any logged-in staff member may watch (read-only); retrying an incident is for `pimpinan` and for the staff of the
instance's SOP (`authz.DOCUMENT_VIEWERS`). The pages are server-rendered tables that work without JavaScript;
bpmn-js (`web/assets/pantau.js`, bundled at set-up) draws the diagram from `/pantau/diagram/{definitionKey}` with
the numbers the page carries as JSON in a `data-` attribute (no inline script: the CSP forbids it). A click on an
element opens `/pantau?proses=…&elemen=…`, the list of the instances waiting there. The pages reload themselves
(`<meta http-equiv="refresh">`). No personal data: an instance is named by its request number only.
"""

import json
from typing import Any

from aiohttp import web

from pbj.commands.pantau import Standards
from pbj.commands.rest import RestNotFoundError
from pbj.commands.standar import PERFORMERS
from web.app import WebApp, app_of, in_thread, session_of
from web.authz import DOCUMENT_VIEWERS, StaffRole, require_staff
from web.errors import ForbiddenError, NotFoundPageError, WebError
from web.monitor import InstanceView, Overview, instance_view, kind_of_process, minutes_text, overview
from web.pages.tasks import login_redirect
from workers.constants import Performer, Template
from workers.domain import RequestKind
from workers.errors import NotFoundError
from workers.links import Path
from workers.mail_templates import format_duration
from workers.store import StaffUserRecord

routes = web.RouteTableDef()
REFRESH_SECONDS = 30
"""How often the monitor's pages reload themselves."""
RETRIES_AFTER_RESOLUTION = 1
"""The retries a job that ran out of them gets back when its incident is resolved."""
KEY_LENGTH = 20
PERFORMER_LABELS = {**PERFORMERS, Performer.KEPALA_BIRO.value: "Kepala Biro"}


def _staff(request: web.Request) -> StaffUserRecord:
    webapp = app_of(request)
    session = session_of(request)
    if session.staff is None:
        raise login_redirect(webapp, request)
    return require_staff(session)


def may_retry(staff: StaffUserRecord, kind: RequestKind) -> bool:
    """Whether the staff member may retry incidents of this SOP: managers and the staff of the SOP."""
    return StaffRole.PIMPINAN.value in staff.roles or DOCUMENT_VIEWERS[kind].value in staff.roles


def _calendar(webapp: WebApp, kind: RequestKind) -> Any:
    return webapp.settings.app.working_time.calendar(kind)


@routes.get(Path.MONITOR)
async def pantau(request: web.Request) -> web.Response:
    """Both SOPs: their diagrams with the numbers per element, the same as tables, and (with `proses` and `elemen`)
    the instances waiting at one element."""
    webapp = app_of(request)
    _staff(request)
    standards = Standards(webapp.rest)
    now = webapp.store.now()
    overviews = [await overview(webapp.rest, standards, kind, _calendar(webapp, kind), now) for kind in RequestKind]
    chosen: tuple[Overview, str] | None = None
    process_id, element_id = request.query.get("proses", ""), request.query.get("elemen", "")
    if process_id or element_id:
        found = next((o for o in overviews if o.kind.process_id == process_id), None)
        if found is None or element_id not in found.elements:
            raise NotFoundPageError("Proses atau elemen yang dipilih tidak ada pada diagram yang terpasang.")
        chosen = (found, element_id)
    numbers: dict[int, str] = {}
    if chosen is not None:
        keys = {int(w.process_instance_key) for w in chosen[0].at(chosen[1])}
        numbers = {
            k: r.number for k, r in (await in_thread(webapp.store.find_requests_by_process_instance, keys)).items()
        }
    return webapp.render(
        request,
        "pantau.html",
        ringkasan=overviews,
        data_diagram={o.kind.process_id: json.dumps(o.overlays()) for o in overviews},
        pilihan=chosen,
        nomor=numbers,
        segarkan=REFRESH_SECONDS,
    )


@routes.get(Path.MONITOR + "/diagram/{definisi}")
async def pantau_diagram(request: web.Request) -> web.Response:
    """The BPMN XML of a deployed version of one of the SOPs' processes, for the viewer."""
    webapp = app_of(request)
    _staff(request)
    key = request.match_info["definisi"]
    if not key.isdigit() or len(key) > KEY_LENGTH:
        raise NotFoundPageError("Diagram tidak ditemukan.")
    definition = await webapp.rest.find(f"/v2/process-definitions/{key}")
    if definition is None or kind_of_process(str(definition.get("processDefinitionId"))) is None:
        raise NotFoundPageError("Diagram tidak ditemukan.")
    xml = await webapp.rest.get_text(f"/v2/process-definitions/{key}/xml")
    return web.Response(text=xml, content_type="application/xml", charset="utf-8")


async def _instance(webapp: WebApp, key: str) -> InstanceView:
    if not key.isdigit() or len(key) > KEY_LENGTH:
        raise NotFoundPageError("Instans proses tidak ditemukan.")
    view = await instance_view(
        webapp.rest, Standards(webapp.rest), key, lambda kind: _calendar(webapp, kind), webapp.store.now()
    )
    if view is None:
        raise NotFoundPageError("Instans proses tidak ditemukan.")
    return view


@routes.get(Path.MONITOR_INSTANCE)
async def pantau_instans(request: web.Request) -> web.Response:
    """One instance: its path on the diagram, its steps against the standard times, the reminders sent, its
    incidents (with a retry for those allowed)."""
    webapp = app_of(request)
    staff = _staff(request)
    view = await _instance(webapp, request.match_info["key"])
    found = await in_thread(webapp.store.find_requests_by_process_instance, [int(view.key)])
    number = found[int(view.key)].number if int(view.key) in found else None
    breaches: list[dict[str, Any]] = []
    mails: list[Any] = []
    if number is not None:
        try:
            trail = await in_thread(webapp.store.audit_trail, number)
        except NotFoundError:
            trail = []
        breaches = [{"at": entry.at, **entry.detail} for entry in trail if entry.action == "sla.terlampaui"]
        mails = await in_thread(webapp.store.mail_log, number, Template.PENGINGAT_SLA.value)
    return webapp.render(
        request,
        "pantau_instans.html",
        v=view,
        nomor=number,
        zona=view.kind.zone,
        data_diagram=json.dumps(view.diagram_data()),
        pelanggaran=breaches,
        pengingat=mails,
        boleh_ulang=may_retry(staff, view.kind),
        diulang=request.query.get("diulang", ""),
        segarkan=REFRESH_SECONDS,
        lama=minutes_text,
        durasi=format_duration,
        pelaksana=performer_label,
    )


def performer_label(code: str) -> str:
    """A performer or recipient role as people read it."""
    return PERFORMER_LABELS.get(code, code)


@routes.post(Path.MONITOR_INSTANCE + "/insiden/{insiden}")
async def pantau_ulang(request: web.Request) -> web.Response:
    """Retry an incident of the instance: give its job retries back if it ran out, then resolve it."""
    webapp = app_of(request)
    staff = _staff(request)
    await webapp.posted(request)
    view = await _instance(webapp, request.match_info["key"])
    if not may_retry(staff, view.kind):
        raise ForbiddenError(
            "Peran akun Anda tidak mencakup pengulangan insiden proses ini; tidak ada yang diubah.",
            hint="Pengulangan insiden dapat dilakukan oleh pimpinan atau petugas SOP yang bersangkutan.",
        )
    incident_key = request.match_info["insiden"]
    incident = next((i for i in view.incidents if str(i.get("incidentKey")) == incident_key), None)
    if incident is None:
        raise WebError("Insiden ini sudah tidak terbuka pada instans proses ini; tidak ada yang diubah.")
    job_key = incident.get("jobKey")
    if job_key:
        try:
            job = await webapp.rest.search("jobs", {"jobKey": str(job_key)})
        except RestNotFoundError:
            job = []
        if job and int(job[0].get("retries") or 0) < 1:
            await webapp.rest.patch(f"/v2/jobs/{job_key}", {"changeset": {"retries": RETRIES_AFTER_RESOLUTION}})
    await webapp.rest.post(f"/v2/incidents/{incident_key}/resolution", {})
    found = await in_thread(webapp.store.find_requests_by_process_instance, [int(view.key)])
    if int(view.key) in found:
        detail = {"incidentKey": incident_key, "langkah": incident.get("elementId"), "jenis": incident.get("errorType")}
        await in_thread(
            webapp.store.record_audit,
            found[int(view.key)].number,
            "insiden.diulang",
            actor=staff.username,
            detail=detail,
        )
    raise webapp.redirect(Path.MONITOR_INSTANCE.format(key=view.key) + f"?diulang={incident_key}")
