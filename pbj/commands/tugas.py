"""Commands of the staff: the open user tasks of a group, one task with its form, completing it with the form's
fields – through Camunda's `/v2/user-tasks` API, as Tasklist does.

`pbj tugas selesaikan` checks the values against the task's linked form (required fields, offered values, lengths,
fields hidden by the form's conditions) before anything is sent, assigns the task to the staff member when
`--petugas` is given, completes it and writes who decided what into the request's audit trail (choices only, never
free text).
"""

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pbj.commands.context import Context
from pbj.commands.errors import CommandError, UsageError
from pbj.commands.formulir import CHOICE_TYPES, MULTI_TYPES, Form, FormCheck
from pbj.commands.output import EMPTY, duration_text, iso_time, parse_time, short_time, table, write, write_json
from pbj.commands.rest import RestNotFoundError
from pbj.commands.standar import Standard
from pbj.invocation import command
from workers.domain import DocumentType, RequestKind
from workers.errors import NotFoundError

KINDS = {kind.process_id: kind for kind in RequestKind}
NUMBER_VARIABLES = tuple(kind.number_variable for kind in RequestKind)
FORM_OPTIONS = {"hasilPemeriksaan": "--hasil", "catatanPemeriksaan": "--catatan", "butirPemeriksaan": "--butir"}
"""The options of the form `periksa-informasi-ppbj` (SOP 2 row 6); any other field is given with `--isian`."""

SHOWN_LABELS = {
    "dokumenPenetapan.jenis": "Dokumen penetapan",
    "tautanPemeriksaan": "Tautan pemeriksaan",
}
STATES = {"CREATED": "terbuka", "COMPLETED": "selesai", "CANCELED": "dibatalkan", "FAILED": "gagal"}


def add_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]", json_flag: argparse.ArgumentParser) -> None:
    """`pbj tugas daftar|lihat|selesaikan`."""
    tugas = sub.add_parser(
        "tugas",
        help="tugas pengguna petugas (mis. pemeriksaan informasi PPBJ oleh Admin PPE)",
        description="Tugas pengguna (user task) dari kedua SOP, melalui REST API /v2/user-tasks seperti Tasklist.",
    )
    actions = tugas.add_subparsers(dest="tindakan", required=True, metavar="TINDAKAN")
    daftar = actions.add_parser(
        "daftar", parents=[json_flag], help="daftar tugas terbuka", description="Menampilkan tugas yang masih terbuka."
    )
    daftar.add_argument("--grup", metavar="GRUP", help="hanya tugas untuk grup ini, mis. admin-ppe")
    daftar.add_argument("--petugas", metavar="ID", help="hanya tugas yang ditugaskan kepada petugas ini")
    daftar.set_defaults(handler=daftar_tugas)

    lihat = actions.add_parser(
        "lihat",
        parents=[json_flag],
        help="menampilkan satu tugas dengan data dan isian formulirnya",
        description="Menampilkan tugas, data permohonan yang ditampilkan formulirnya, dan isian yang harus diisi.",
    )
    lihat.add_argument("kunci", metavar="KUNCI", help="kunci tugas (userTaskKey) dari `pbj tugas daftar`")
    lihat.set_defaults(handler=lihat_tugas)

    selesaikan = actions.add_parser(
        "selesaikan",
        parents=[json_flag],
        help="menyelesaikan tugas dengan isian formulirnya",
        description="Menyelesaikan tugas. Untuk pemeriksaan informasi PPBJ: --hasil lengkap atau --hasil belum-lengkap "
        "dengan --catatan (10–1000 karakter, dikirim kepada PPBJ); --butir untuk butir yang terpenuhi.",
    )
    selesaikan.add_argument("kunci", metavar="KUNCI", help="kunci tugas (userTaskKey)")
    selesaikan.add_argument("--hasil", metavar="HASIL", help="hasil pemeriksaan: lengkap atau belum-lengkap")
    selesaikan.add_argument("--catatan", metavar="TEKS", help="hal yang perlu dilengkapi (bila belum lengkap)")
    selesaikan.add_argument("--butir", nargs="+", metavar="BUTIR", help="butir pemeriksaan yang terpenuhi")
    selesaikan.add_argument(
        "--isian", action="append", default=[], metavar="KUNCI=NILAI", help="isian formulir lain (dapat diulang)"
    )
    selesaikan.add_argument(
        "--petugas", metavar="ID", help="ID petugas yang menyelesaikan (tugas ditugaskan kepadanya)"
    )
    selesaikan.set_defaults(handler=selesaikan_tugas)


# --- daftar ----------------------------------------------------------------------------------------------------------


async def daftar_tugas(ctx: Context, args: argparse.Namespace) -> int:
    """`pbj tugas daftar`: the open user tasks, oldest first, with their request number and deadline."""
    filter: dict[str, Any] = {"state": "CREATED"}
    if args.grup:
        filter["candidateGroup"] = args.grup
    if args.petugas:
        filter["assignee"] = args.petugas
    tasks = await ctx.rest.search("user-tasks", filter, sort=[{"field": "creationDate", "order": "ASC"}])
    rows = [await summarize_task(ctx, task) for task in tasks]
    if args.json:
        write_json([row["json"] for row in rows])
        return 0
    if not rows:
        write("Tidak ada tugas terbuka" + (f" untuk grup {args.grup}." if args.grup else "."))
        return 0
    headers = ["KUNCI", "TUGAS", "NOMOR", "GRUP", "PETUGAS", "DIBUAT", "BATAS WAKTU", "KETERANGAN"]
    write(table(headers, [row["text"] for row in rows]))
    return 0


async def summarize_task(ctx: Context, task: Mapping[str, Any]) -> dict[str, Any]:
    """A user task as `pbj tugas daftar` and the web inbox show it: `text` (table cells) and `json` (request number,
    standard time, deadline, late or not)."""
    key = str(task["userTaskKey"])
    kind = KINDS.get(str(task.get("processDefinitionId")))
    zone = (kind or RequestKind.PPBJ).timezone
    variables = await task_variables(ctx, key)
    number = next((str(variables[n]) for n in NUMBER_VARIABLES if variables.get(n)), None)
    created = parse_time(task.get("creationDate"))
    standard, late = await _timing(ctx, task, created)
    deadline = None
    if standard is not None and created is not None and kind is not None:
        deadline = standard.deadline(created, ctx.calendar(kind))
    remark = "TERLAMBAT" if late else ""
    return {
        "text": [
            key,
            str(task.get("name") or task.get("elementId")),
            number or EMPTY,
            ", ".join(task.get("candidateGroups") or []) or EMPTY,
            str(task.get("assignee") or EMPTY),
            short_time(created, zone),
            short_time(deadline, zone),
            remark,
        ],
        "json": {
            "userTaskKey": key,
            "nama": task.get("name"),
            "elementId": task.get("elementId"),
            "nomor": number,
            "grup": task.get("candidateGroups") or [],
            "petugas": task.get("assignee"),
            "dibuat": iso_time(created, zone),
            "standarWaktu": standard.duration if standard else None,
            "batasWaktu": iso_time(deadline, zone),
            "terlambat": late,
            "processInstanceKey": str(task.get("processInstanceKey")),
        },
    }


async def _timing(ctx: Context, task: Mapping[str, Any], created: datetime | None) -> tuple[Standard | None, bool]:
    """The task's standard (from the diagram) and whether its SLA timer fired since the task was created."""
    standards = await ctx.standards.of(int(task["processDefinitionKey"]))
    standard = standards.get(str(task.get("elementId")))
    if standard is None or standard.sla_timer_id is None or created is None:
        return standard, False
    fired = await ctx.rest.search(
        "element-instances",
        {"processInstanceKey": str(task["processInstanceKey"]), "elementId": standard.sla_timer_id},
    )
    late = any((parse_time(item.get("startDate")) or created) >= created for item in fired)
    return standard, late


async def task_variables(ctx: Context, key: str) -> dict[str, Any]:
    """The variables a user task sees, decoded from their JSON text."""
    answer = await ctx.rest.post(f"/v2/user-tasks/{key}/variables/search", {})
    decoded: dict[str, Any] = {}
    for item in answer.get("items") or []:
        try:
            decoded[str(item["name"])] = json.loads(item["value"])
        except (KeyError, TypeError, ValueError):
            continue
    return decoded


# --- lihat -----------------------------------------------------------------------------------------------------------


async def _task(ctx: Context, key: str) -> dict[str, Any]:
    if not key.isdigit():
        raise UsageError(f"Kunci tugas {key!r} harus berupa angka (lihat `{command('tugas', 'daftar')}`).")
    try:
        task = await ctx.rest.get(f"/v2/user-tasks/{key}")
    except RestNotFoundError:
        raise CommandError(f"Tugas {key} tidak ditemukan; lihat `{command('tugas', 'daftar')}`.") from None
    return dict(task)


async def task_form(ctx: Context, key: str) -> Form | None:
    """The task's linked form (`GET /v2/user-tasks/{key}/form`), or None when it has none."""
    answer = await ctx.rest.get(f"/v2/user-tasks/{key}/form")
    return None if answer is None else Form.from_rest(answer)


async def lihat_tugas(ctx: Context, args: argparse.Namespace) -> int:
    """`pbj tugas lihat KUNCI`: the task, the process data its form shows and the fields to fill in."""
    key = args.kunci
    task = await _task(ctx, key)
    summary = await summarize_task(ctx, task)
    form = await task_form(ctx, key)
    variables = await task_variables(ctx, key)
    shown = [(label, _path(variables, path)) for path, label in (form.shown_values() if form else [])]
    shown = [(SHOWN_LABELS.get(label, label), _display(value)) for label, value in shown]
    fields = form.inputs() if form else []
    if args.json:
        write_json(
            {
                **summary["json"],
                "status": task.get("state"),
                "formId": form.form_id if form else None,
                "data": dict(shown),
                "isian": [
                    {
                        "kunci": f.key,
                        "label": f.label,
                        "opsi": FORM_OPTIONS.get(f.key, "--isian"),
                        "wajib": f.required,
                        "pilihan": [value for value, _ in f.options],
                        "disembunyikanBila": f.hide,
                    }
                    for f in fields
                ],
            }
        )
        return 0
    text = summary["text"]
    json_summary = summary["json"]
    zone = (KINDS.get(str(task.get("processDefinitionId"))) or RequestKind.PPBJ).timezone
    standard_text = duration_text(json_summary["standarWaktu"])
    lines = [
        f"Tugas {key} – {text[1]}",
        f"  Proses        : {task.get('processName') or task.get('processDefinitionId')} "
        f"(instance {task.get('processInstanceKey')})",
        f"  Nomor         : {text[2]}",
        f"  Status        : {STATES.get(str(task.get('state')), task.get('state'))}",
        f"  Grup          : {text[3]}",
        f"  Petugas       : {text[4]}",
        f"  Dibuat        : {text[5]}",
        f"  Standar waktu : {standard_text}, batas {short_time(parse_time(json_summary['batasWaktu']), zone)}"
        + (" – TERLAMBAT" if json_summary["terlambat"] else ""),
    ]
    if shown:
        lines += ["", "Data permohonan:"] + [f"  {label}: {value}" for label, value in shown]
    if fields:
        lines += ["", "Isian formulir:"]
        for f in fields:
            option = FORM_OPTIONS.get(f.key, f"--isian {f.key}=…")
            need = "wajib" if f.required else "tidak wajib"
            if f.type in MULTI_TYPES:
                need += ", boleh lebih dari satu"
            extra = []
            if f.min_length is not None or f.max_length is not None:
                extra.append(f"{f.min_length or 0}–{f.max_length or '…'} karakter")
            if f.hide:
                extra.append(f"tidak ditampilkan bila {f.hide.lstrip('=').strip()}")
            lines.append(f"  {option}  {f.label} ({'; '.join([need, *extra])})")
            lines += [f"      {value} – {label}" for value, label in f.options]
        lines += ["", f"Selesaikan dengan: pbj tugas selesaikan {key} " + " ".join(_usage(fields))]
    write("\n".join(lines))
    return 0


def _usage(fields: list[Any]) -> list[str]:
    parts = []
    for f in fields:
        option = FORM_OPTIONS.get(f.key)
        if option is None:
            parts.append(f"[--isian {f.key}=…]")
        elif f.type in CHOICE_TYPES and f.options:
            parts.append(f"{option} {'|'.join(v for v, _ in f.options)}")
        elif f.type in MULTI_TYPES:
            parts.append(f"[{option} …]")
        else:
            parts.append(f'[{option} "…"]')
    return parts


def _path(variables: Mapping[str, Any], path: str) -> Any:
    value: Any = variables
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _display(value: Any) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, str):
        try:
            return DocumentType(value).label
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False)


# --- selesaikan ------------------------------------------------------------------------------------------------------


async def selesaikan_tugas(ctx: Context, args: argparse.Namespace) -> int:
    """`pbj tugas selesaikan KUNCI`: check the values against the form, (assign,) complete, record who decided."""
    key = args.kunci
    task = await _task(ctx, key)
    if task.get("state") != "CREATED":
        state = STATES.get(str(task.get("state")), str(task.get("state")))
        raise CommandError(f"Tugas {key} tidak dapat diselesaikan: statusnya {state}.")
    values: dict[str, Any] = {}
    for dest, key_name in (
        ("hasil", "hasilPemeriksaan"),
        ("catatan", "catatanPemeriksaan"),
    ):
        if getattr(args, dest) is not None:
            values[key_name] = getattr(args, dest).strip()
    if args.butir is not None:
        values["butirPemeriksaan"] = list(dict.fromkeys(args.butir))
    for item in args.isian:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--isian {item!r} harus berbentuk KUNCI=NILAI.")
        values[name.strip()] = raw
    form = await task_form(ctx, key)
    for field in form.inputs() if form else []:
        name = field.key
        if field.type in MULTI_TYPES and isinstance(values.get(name), str):
            values[name] = [part.strip() for part in values[name].split(",") if part.strip()]
    done = await complete_task(ctx, task, values, assignee=args.petugas, options=FORM_OPTIONS)
    for text in done.warnings:
        print(text if text.startswith("Perhatian") else f"Perhatian: {text}", file=sys.stderr)
    choices, labels, number = done.choices, done.labels, done.number
    if args.json:
        write_json({"userTaskKey": key, "nomor": number, "selesai": True, "isian": choices})
        return 0
    decided = "; ".join(f"{labels.get(name, name)}: {_choice_text(value)}" for name, value in choices.items())
    write(
        f"Tugas {key} ({task.get('name') or task.get('elementId')}) untuk {number or EMPTY} diselesaikan"
        + (f": {decided}." if decided else ".")
    )
    return 0


@dataclass(frozen=True)
class Completed:
    """A completed task: the choices made (for the audit trail and the reply), their labels, the form's warnings
    and the request number the task belongs to."""

    choices: dict[str, Any]
    labels: dict[str, str]
    warnings: list[str]
    number: str | None


async def complete_task(
    ctx: Context,
    task: Mapping[str, Any],
    values: dict[str, Any],
    *,
    assignee: str | None,
    options: Mapping[str, str],
) -> Completed:
    """Complete a user task with its form's values – `pbj tugas selesaikan` and the web application's task page.

    The values are checked against the task's linked form (required fields, offered values, lengths, fields hidden
    by the form's conditions; `CommandError` listing every problem, nothing sent); with an `assignee` the task is
    assigned to them first; the task is completed through `POST /v2/user-tasks/{key}/completion`; who decided what
    goes into the request's audit trail (choices only, never free text). `options` names each field for the
    messages (the command's options)."""
    key = str(task["userTaskKey"])
    form = await task_form(ctx, key)
    variables = await task_variables(ctx, key)
    warnings: list[str] = []
    if form is not None:
        fields = {f.key: f for f in form.inputs()}
        checker = FormCheck(form, variables)
        try:
            values, warnings = await asyncio.to_thread(checker.check, values, options)
        finally:
            checker.close()
        choices = {name: value for name, value in values.items() if fields[name].type in CHOICE_TYPES | MULTI_TYPES}
        labels = {name: field.label for name, field in fields.items()}
    else:
        choices, labels = {}, {}
    if assignee and task.get("assignee") != assignee:
        await ctx.rest.post(f"/v2/user-tasks/{key}/assignment", {"assignee": assignee, "allowOverride": False})
    await ctx.rest.post(f"/v2/user-tasks/{key}/completion", {"variables": values, "action": "complete"})
    number = next((str(variables[n]) for n in NUMBER_VARIABLES if variables.get(n)), None)
    if number is not None:
        detail = {"userTaskKey": key, "langkah": task.get("elementId"), **choices}
        with contextlib.suppress(NotFoundError):  # a task of a request this store does not hold
            await asyncio.to_thread(
                ctx.store.record_audit,
                number,
                "tugas.diselesaikan",
                actor=assignee or "petugas",
                detail=detail,
                event_key=f"tugas:{key}",
            )
    return Completed(choices, labels, warnings, number)


def _choice_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or EMPTY
    return str(value)
