"""Commands of the managers: the status of one request and the list of requests with overdue steps.

Where a request waits comes from the engine (its active element instances), since when from their start, the
standard time from the deployed diagram's SLA timers, the deadline from that standard counted in the province's
working calendar, and *overdue* from the SLA timer having fired during the step's current activation (`pantau.py`).
Times are shown in the SOP's zone: WITA for Registrasi Admin PPE (Kalimantan Timur), WIB for Pendaftaran Akun PPBJ
(Kalimantan Barat).
"""

import argparse
from collections import defaultdict
from typing import Any

from pbj.commands.context import Context
from pbj.commands.errors import CommandError
from pbj.commands.output import EMPTY, duration_text, iso_time, short_time, table, write, write_json
from pbj.commands.pantau import ProcessView, Step, build_steps, process_view
from workers.constants import STATUS_COMPLETED, STATUS_LABELS, STATUS_SUBMITTED
from workers.domain import RequestKind
from workers.errors import NotFoundError
from workers.mail_templates import format_time
from workers.store import RequestRecord

STATES = {"ACTIVE": "berjalan", "COMPLETED": "selesai", "TERMINATED": "dihentikan"}


def add_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]", json_flag: argparse.ArgumentParser) -> None:
    """`pbj status NOMOR` and `pbj terlambat`."""
    status = sub.add_parser(
        "status",
        parents=[json_flag],
        help="posisi sebuah permohonan atau pendaftaran: menunggu di mana, sejak kapan, terhadap standar waktunya",
        description="Menampilkan posisi permohonan (ADM-…) atau pendaftaran (PPBJ-…) pada prosesnya, dengan standar "
        "waktu setiap langkah dari diagram yang di-deploy.",
    )
    status.add_argument("nomor", metavar="NOMOR", help="nomor permohonan atau pendaftaran")
    status.set_defaults(handler=status_permohonan)

    terlambat = sub.add_parser(
        "terlambat",
        parents=[json_flag],
        help="daftar permohonan dengan langkah yang melewati standar waktu",
        description="Menampilkan setiap langkah yang sedang berjalan dan sudah melewati standar waktunya (Mutu Baku – "
        "Waktu), dari kedua SOP.",
    )
    terlambat.add_argument(
        "--sop", choices=["admin-ppe", "ppbj"], help="hanya SOP Registrasi Admin PPE atau Pendaftaran Akun PPBJ"
    )
    terlambat.set_defaults(handler=daftar_terlambat)


# --- status ----------------------------------------------------------------------------------------------------------


async def status_permohonan(ctx: Context, args: argparse.Namespace) -> int:
    """`pbj status NOMOR`."""
    try:
        request = ctx.store.get_request(args.nomor)
    except NotFoundError:
        raise CommandError(
            f"Nomor {args.nomor} tidak ditemukan; periksa kembali nomor permohonan atau pendaftaran."
        ) from None
    view = None
    if request.process_instance_key is not None:
        view = await process_view(ctx.rest, ctx.standards, request.process_instance_key, ctx.calendar(request.kind))
    if args.json:
        write_json(_status_json(request, view))
        return 0
    zone = request.kind.timezone
    lines = [
        f"{request.kind.sop_name} – {request.number}" + (f" ({request.lpse_name})" if request.lpse_name else ""),
        f"  Diajukan      : {format_time(request.created_at, _abbreviation(request))}",
        f"  Status        : {outcome(request, view)}",
    ]
    if request.process_instance_key is None:
        lines.append("  Proses        : belum dimulai (jalankan kembali perintah pengajuannya dengan data yang sama)")
    elif view is None:
        lines.append(f"  Proses        : instance {request.process_instance_key} belum tampak pada mesin proses")
    else:
        state = STATES.get(view.state, view.state)
        lines.append(f"  Proses        : {state} (instance {view.key}, {view.process_id})")
        if view.ended is not None:
            ended = format_time(view.ended, _abbreviation(request))
            lines.append(f"  Selesai       : {ended}" + (f" – {view.end_event}" if view.end_event else ""))
    write("\n".join(lines))
    if view is None:
        return 0
    if view.steps:
        write("\nMenunggu di:")
        write(table(_STEP_HEADERS, [_step_row(step, zone) for step in view.steps]))
    if view.breaches:
        write("\nBatas waktu yang pernah terlampaui:")
        write(
            table(
                ["LANGKAH", "BARIS SOP", "STANDAR", "TERLAMPAUI PADA"],
                [
                    [
                        breach.name,
                        _row_text(breach.standard.row if breach.standard else None),
                        duration_text(breach.standard.duration if breach.standard else None),
                        short_time(breach.at, zone),
                    ]
                    for breach in view.breaches
                ],
            )
        )
    if view.incidents:
        write("\nInsiden (perlu ditangani operator di Operate):")
        for incident in view.incidents:
            write(f"  {incident.get('elementId')}: {incident.get('errorMessage')}")
    return 0


_STEP_HEADERS = ["LANGKAH", "BARIS SOP", "PELAKSANA", "SEJAK", "STANDAR", "BATAS WAKTU", "KETERANGAN"]


def _step_row(step: Step, zone: Any) -> list[str]:
    standard = step.standard
    remark = "TERLAMBAT" if step.late else ""
    if standard is not None and standard.expiry and not remark:
        remark = f"ditutup bila tidak ada tanggapan dalam {duration_text(standard.expiry)}"
    return [
        step.name,
        _row_text(standard.row if standard else None),
        (standard.performer_label if standard else None) or EMPTY,
        short_time(step.started, zone),
        duration_text(standard.duration if standard else None),
        short_time(step.deadline, zone),
        remark,
    ]


def outcome(request: RequestRecord, view: ProcessView | None) -> str:
    """Where the request stands, for people: its status and, once its process ended, the end it reached
    (`selesai – Akun Admin PPE terdaftar`, `ditutup (kedaluwarsa) – Pendaftaran kedaluwarsa`)."""
    if view is not None and view.state == "TERMINATED":
        return "dihentikan oleh operator" + (f" – {view.end_event}" if view.end_event else "")
    label = STATUS_LABELS.get(request.status, request.status.lower())
    if view is not None and view.state == "COMPLETED":
        if request.status == STATUS_SUBMITTED:
            label = STATUS_LABELS[STATUS_COMPLETED]  # the process ended before its last worker recorded it
        return label + (f" – {view.end_event}" if view.end_event else "")
    return label


def _status_json(request: RequestRecord, view: ProcessView | None) -> dict[str, Any]:
    zone = request.kind.timezone
    result: dict[str, Any] = {
        "nomor": request.number,
        "sop": request.kind.sop_name,
        "lpse": request.lpse_name,
        "status": request.status,
        "keadaan": outcome(request, view),
        "diajukan": iso_time(request.created_at, zone),
        "zonaWaktu": _abbreviation(request),
        "processInstanceKey": None if request.process_instance_key is None else str(request.process_instance_key),
        "proses": None,
    }
    if view is not None:
        result["proses"] = {
            "state": view.state,
            "processDefinitionId": view.process_id,
            "mulai": iso_time(view.started, zone),
            "selesai": iso_time(view.ended, zone),
            "berakhirDi": view.end_event,
            "menungguDi": [_step_json(step, zone) for step in view.steps],
            "pelanggaran": [
                {"elementId": b.element_id, "langkah": b.name, "pada": iso_time(b.at, zone)} for b in view.breaches
            ],
            "insiden": [
                {
                    "elementId": i.get("elementId"),
                    "pesan": i.get("errorMessage"),
                    "incidentKey": str(i.get("incidentKey")),
                }
                for i in view.incidents
            ],
        }
    return result


def _step_json(step: Step, zone: Any) -> dict[str, Any]:
    standard = step.standard
    return {
        "elementId": step.element_id,
        "langkah": step.name,
        "barisSop": standard.row if standard else None,
        "pelaksana": standard.performer if standard else None,
        "sejak": iso_time(step.started, zone),
        "standarWaktu": standard.duration if standard else None,
        "batasWaktu": iso_time(step.deadline, zone),
        "terlambat": step.late,
        "terlampauiPada": iso_time(step.breached_at, zone),
    }


# --- terlambat -------------------------------------------------------------------------------------------------------


async def daftar_terlambat(ctx: Context, args: argparse.Namespace) -> int:
    """`pbj terlambat`: every running step whose SLA timer fired, with its request, oldest breach first."""
    kinds = [k for k in RequestKind if args.sop is None or k.value == args.sop.upper().replace("-", "_")]
    late: list[Step] = []
    for kind in kinds:
        active = await ctx.rest.search("element-instances", {"processDefinitionId": kind.process_id, "state": "ACTIVE"})
        fired = await ctx.rest.search(
            "element-instances", {"processDefinitionId": kind.process_id, "type": "BOUNDARY_EVENT"}
        )
        by_instance: dict[int, list[dict[str, Any]]] = defaultdict(list)
        fired_by_instance: dict[int, list[dict[str, Any]]] = defaultdict(list)
        definition_of: dict[int, int] = {}
        for item in active:
            pi = int(item["processInstanceKey"])
            by_instance[pi].append(item)
            definition_of[pi] = int(item["processDefinitionKey"])
        for item in fired:
            fired_by_instance[int(item["processInstanceKey"])].append(item)
        for pi, items in by_instance.items():
            standards = await ctx.standards.of(definition_of[pi])
            steps = build_steps(items, fired_by_instance.get(pi, []), standards, ctx.calendar(kind))
            late.extend(step for step in steps if step.late)
    requests = ctx.store.find_requests_by_process_instance(step.process_instance_key for step in late)
    late.sort(key=lambda step: (step.breached_at or step.started, step.process_instance_key))
    if args.json:
        write_json([_late_json(step, requests.get(step.process_instance_key)) for step in late])
        return 0
    if not late:
        write("Tidak ada langkah yang sedang melewati standar waktunya.")
        return 0
    headers = ["NOMOR", "SOP", "LANGKAH", "BARIS SOP", "PELAKSANA", "SEJAK", "STANDAR", "BATAS WAKTU"]
    rows = []
    for step in late:
        request = requests.get(step.process_instance_key)
        zone = request.kind.timezone if request else RequestKind.PPBJ.timezone
        standard = step.standard
        rows.append(
            [
                request.number if request else f"(instance {step.process_instance_key})",
                _sop_short(request),
                step.name,
                _row_text(standard.row if standard else None),
                (standard.performer_label if standard else None) or EMPTY,
                short_time(step.started, zone),
                duration_text(standard.duration if standard else None),
                short_time(step.deadline, zone),
            ]
        )
    write(table(headers, rows))
    write(f"\n{len(late)} langkah melewati standar waktu.")
    return 0


def _late_json(step: Step, request: RequestRecord | None) -> dict[str, Any]:
    zone = request.kind.timezone if request else RequestKind.PPBJ.timezone
    return {
        "nomor": request.number if request else None,
        "sop": request.kind.sop_name if request else None,
        "processInstanceKey": str(step.process_instance_key),
        **_step_json(step, zone),
    }


def _sop_short(request: RequestRecord | None) -> str:
    if request is None:
        return EMPTY
    return "Admin PPE" if request.kind is RequestKind.ADMIN_PPE else "PPBJ"


def _row_text(row: int | None) -> str:
    return EMPTY if row is None else str(row)


def _abbreviation(request: RequestRecord) -> str:
    return request.kind.zone
