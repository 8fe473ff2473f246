"""The staff's pages: the inbox of user tasks of their groups (`/tugas`), claiming and releasing a task, one task with
its deployed Camunda Form rendered by form-js and the request's documents (`/tugas/{key}`), completing it, and a
registration's review page (`/pemeriksaan/{nomor}`, the link the form of SOP 2 row 6 shows).

Everything goes through Camunda's `/v2/user-tasks` API as Tasklist uses it: `POST /v2/user-tasks/search` per
candidate group, `GET /v2/user-tasks/{key}` and `/form`, `POST /v2/user-tasks/{key}/variables/search`,
`POST …/assignment`, `DELETE …/assignee`, `POST …/completion`. A task opens for staff whose roles include one of its
candidate groups, or to whom it is assigned. Completing checks the values against the form on the server as well
(`pbj.commands.tugas.complete_task`, shared with `pbj tugas selesaikan`), assigns the task to the staff member and
records the decision in the request's audit trail.
"""

import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from pbj.commands.errors import CommandError
from pbj.commands.formulir import Form
from pbj.commands.output import parse_time
from pbj.commands.rest import RestNotFoundError
from pbj.commands.tugas import complete_task, summarize_task, task_form, task_variables
from web.app import WebApp, app_of, in_thread, session_of
from web.authz import StaffRole, may_open_documents, require_staff
from web.errors import ForbiddenError, NotFoundPageError, WebError
from web.pages.documents import document_response, latest_by_type
from web.uploads import PostedForm
from workers.domain import RequestKind
from workers.errors import NotFoundError
from workers.links import Path
from workers.store import StaffUserRecord

routes = web.RouteTableDef()
INBOX_LIMIT = 200
NUMBER_VARIABLES = tuple(kind.number_variable for kind in RequestKind)
ANSWER_LIMIT = 64 * 1024


def login_redirect(webapp: WebApp, request: web.Request) -> web.HTTPSeeOther:
    """To the login page, coming back here afterwards."""
    here = request.path.removeprefix(webapp.settings.base_path) or "/"
    return webapp.redirect(Path.LOGIN + "?" + urlencode({"lanjut": here}))


def _staff(request: web.Request) -> StaffUserRecord:
    session = session_of(request)
    if session.staff is None:
        raise login_redirect(app_of(request), request)
    return require_staff(session)


async def _task(webapp: WebApp, staff: StaffUserRecord, key: str) -> dict[str, Any]:
    """The task, if this staff member may open it; `NotFoundPageError` / `ForbiddenError` otherwise."""
    if not key.isdigit() or len(key) > 20:
        raise NotFoundPageError("Tugas tidak ditemukan.")
    try:
        task = dict(await webapp.rest.get(f"/v2/user-tasks/{key}"))
    except RestNotFoundError:
        raise NotFoundPageError("Tugas tidak ditemukan.") from None
    groups = set(task.get("candidateGroups") or [])
    if not groups & set(staff.roles) and task.get("assignee") != staff.username:
        raise ForbiddenError("Tugas ini bukan untuk peran akun Anda.")
    return task


@routes.get(Path.INBOX)
async def tugas_daftar(request: web.Request) -> web.Response:
    """The open tasks of the staff member's groups and those assigned to them, oldest first."""
    webapp = app_of(request)
    staff = _staff(request)
    found: dict[str, dict[str, Any]] = {}
    filters = [{"state": "CREATED", "candidateGroup": role} for role in staff.roles]
    filters.append({"state": "CREATED", "assignee": staff.username})
    for filter in filters:
        for task in await webapp.rest.search("user-tasks", filter, sort=[{"field": "creationDate", "order": "ASC"}]):
            found.setdefault(str(task["userTaskKey"]), task)
    tasks = sorted(found.values(), key=lambda t: str(t.get("creationDate") or ""))[:INBOX_LIMIT]
    context = webapp.context(staff.username)
    rows = [(task, (await summarize_task(context, task))["json"], _zone(task)) for task in tasks]
    return webapp.render(
        request,
        "tugas_daftar.html",
        baris=rows,
        selesai=request.query.get("selesai", ""),
        peran=[StaffRole(role).label for role in staff.roles if role in StaffRole.__members__.values()],
    )


_OPTIONAL_TASK_FIELDS = ("name", "assignee", "processName")


async def _task_page(
    request: web.Request, staff: StaffUserRecord, task: dict[str, Any], *, status: int = 200, masalah: str | None = None
) -> web.Response:
    webapp = app_of(request)
    key = str(task["userTaskKey"])
    context = webapp.context(staff.username)
    summary = (await summarize_task(context, task))["json"]
    form = await task_form(context, key)
    variables = await task_variables(context, key)
    number = next((str(variables[n]) for n in NUMBER_VARIABLES if variables.get(n)), None)
    review = await _review(webapp, staff, number) if number else None
    schema = None
    if form is not None:
        answer = await webapp.rest.get(f"/v2/user-tasks/{key}/form")
        raw = answer.get("schema")
        schema = json.loads(raw) if isinstance(raw, str) else raw
    return webapp.render(
        request,
        "tugas.html",
        status=status,
        # Camunda leaves out what a task does not have (no assignee, no name): the page reads those as empty
        tugas={**dict.fromkeys(_OPTIONAL_TASK_FIELDS), **task},
        ringkasan=summary,
        skema=schema,
        data=variables,
        milik_saya=task.get("assignee") == staff.username,
        tinjauan=review,
        masalah=masalah,
        dibuat=parse_time(task.get("creationDate")),
        zona=_zone(task),
    )


@routes.get(Path.TASK)
async def tugas(request: web.Request) -> web.Response:
    """One task: its data, its form (form-js), the request's documents for those who may open them."""
    staff = _staff(request)
    task = await _task(app_of(request), staff, request.match_info["key"])
    return await _task_page(request, staff, task)


async def _posted_to_task(request: web.Request) -> tuple[WebApp, StaffUserRecord, PostedForm, dict[str, Any]]:
    """A form posted to a task's page: the staff member, the form (its CSRF token checked) and the task, if they may
    open it."""
    webapp = app_of(request)
    staff = _staff(request)
    posted = await webapp.posted(request)
    return webapp, staff, posted, await _task(webapp, staff, request.match_info["key"])


@routes.post(Path.TASK + "/ambil")
async def tugas_ambil(request: web.Request) -> web.Response:
    """Claim the task (assign it to oneself), unless someone else holds it."""
    webapp, staff, _, task = await _posted_to_task(request)
    key = str(task["userTaskKey"])
    if task.get("assignee") not in (None, "", staff.username):
        return await _task_page(request, staff, task, status=409, masalah=_held_by(task))
    if task.get("assignee") != staff.username:
        await webapp.rest.post(f"/v2/user-tasks/{key}/assignment", {"assignee": staff.username, "allowOverride": False})
        await _audit(webapp, task, "tugas.diambil", staff)
    raise webapp.redirect(Path.TASK.format(key=key))


@routes.post(Path.TASK + "/lepas")
async def tugas_lepas(request: web.Request) -> web.Response:
    """Release one's own task back to the group."""
    webapp, staff, _, task = await _posted_to_task(request)
    key = str(task["userTaskKey"])
    if task.get("assignee") == staff.username:
        await webapp.rest.delete(f"/v2/user-tasks/{key}/assignee")
        await _audit(webapp, task, "tugas.dilepas", staff)
    raise webapp.redirect(Path.TASK.format(key=key))


@routes.post(Path.TASK + "/selesai")
async def tugas_selesai(request: web.Request) -> web.Response:
    """Complete the task with the form's values, checked against the form again here."""
    webapp, staff, posted, task = await _posted_to_task(request)
    key = str(task["userTaskKey"])
    if task.get("state") != "CREATED":
        raise WebError("Tugas ini sudah tidak terbuka; tidak ada yang diubah.", title="Tugas sudah selesai")
    if task.get("assignee") not in (None, "", staff.username):
        return await _task_page(request, staff, task, status=409, masalah=_held_by(task))
    raw = posted.fields.get("isian", "")
    try:
        answer = json.loads(raw) if raw and len(raw) <= ANSWER_LIMIT else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return await _task_page(
            request, staff, task, status=400, masalah="Isian formulir tidak terbaca; isi kembali formulirnya."
        )
    form = await task_form(webapp.context(staff.username), key)
    inputs = {field.key for field in (form.inputs() if isinstance(form, Form) else [])}
    values = {name: value for name, value in answer.items() if name in inputs}
    try:
        await complete_task(webapp.context(staff.username), task, values, assignee=staff.username, options={})
    except CommandError as exc:
        return await _task_page(request, staff, task, status=400, masalah=str(exc))
    raise webapp.redirect(Path.INBOX + f"?selesai={key}")


def _held_by(task: dict[str, Any]) -> str:
    return f"Tugas ini sedang dikerjakan oleh {task['assignee']}."


def _zone(task: dict[str, Any]) -> str:
    """The zone of the SOP a task belongs to (WITA for SOP 1 in Kalimantan Timur, WIB for SOP 2)."""
    kinds = {kind.process_id: kind for kind in RequestKind}
    kind = kinds.get(str(task.get("processDefinitionId")), RequestKind.PPBJ)
    return kind.timezone.tzname(None) or "WIB"


async def _audit(webapp: WebApp, task: dict[str, Any], action: str, staff: StaffUserRecord) -> None:
    variables = await task_variables(webapp.context(staff.username), str(task["userTaskKey"]))
    number = next((str(variables[n]) for n in NUMBER_VARIABLES if variables.get(n)), None)
    if number is None:
        return
    detail = {"userTaskKey": str(task["userTaskKey"]), "langkah": task.get("elementId")}
    try:
        await in_thread(webapp.store.record_audit, number, action, actor=staff.username, detail=detail)
    except NotFoundError:
        return


# --- a request's data and documents for the staff of its SOP ---------------------------------------------------


async def _review(webapp: WebApp, staff: StaffUserRecord, number: str) -> dict[str, Any] | None:
    """The request's people and documents, if this staff member may see them (None otherwise or when unknown)."""
    try:
        record = await in_thread(webapp.store.get_request, number)
    except NotFoundError:
        return None
    if not may_open_documents(staff, record.kind):
        return None
    persons = await in_thread(webapp.store.list_persons, number)
    documents = latest_by_type(await in_thread(webapp.documents.list_documents, number))
    return {"permohonan": record, "orang": persons, "dokumen": documents}


@routes.get(Path.REVIEW)
async def pemeriksaan(request: web.Request) -> web.Response:
    """A request's data (masked NIK) and documents for the staff of its SOP, with its open tasks."""
    webapp = app_of(request)
    staff = _staff(request)
    number = request.match_info["nomor"]
    review = await _review(webapp, staff, number)
    if review is None:
        raise ForbiddenError("Data permohonan ini tidak dapat dibuka dengan peran akun Anda, atau tidak ada.")
    key = review["permohonan"].process_instance_key
    tasks = await webapp.rest.search("user-tasks", {"processInstanceKey": str(key), "state": "CREATED"}) if key else []
    return webapp.render(request, "pemeriksaan.html", tinjauan=review, tugas_terbuka=tasks)


@routes.get(Path.REVIEW + "/dokumen/{dokumen}")
async def pemeriksaan_dokumen(request: web.Request) -> web.Response:
    """One document of a request, for the staff of its SOP."""
    webapp = app_of(request)
    staff = _staff(request)
    number = request.match_info["nomor"]
    if await _review(webapp, staff, number) is None:
        raise ForbiddenError("Dokumen permohonan ini tidak dapat dibuka dengan peran akun Anda.")
    return await document_response(webapp, number, request.match_info["dokumen"])
