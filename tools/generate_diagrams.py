"""Generate the two SOP diagrams in ``bpmn/`` (first version, with their layout).

    python tools/generate_diagrams.py            # rewrite bpmn/*.bpmn
    python tools/generate_diagrams.py --check    # exit 1 if the files differ from what it generates

The contract (process ids, element ids, lanes, task types, messages, SLA timers) is
``docs/processes.md``; the helper elements, variables and headers are described in
``docs/processes-design.md``. The committed ``.bpmn`` files are what Camunda Modeler opens and
what Zeebe runs. Once a process owner has edited a diagram in the Modeler, the ``.bpmn`` file is
the source of truth: do not regenerate over it, change the file in the Modeler instead.
"""

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

from bpmn_diagram import (
    BPMN,
    XSI,
    Diagram,
    Label,
    Node,
    Point,
    _q,
    extension,
    io_mapping,
    task_definition,
    task_headers,
    text_label,
)
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent

# Task types, headers and messages (docs/processes-design.md).
KIRIM_EMAIL = "kirim-email"
KIRIM_NOTIFIKASI_SLA = "kirim-notifikasi-sla"
TEMPLATE_PENGINGAT_SLA = "pengingat-sla"
FORM_PERIKSA_INFORMASI_PPBJ = "periksa-informasi-ppbj"

# Reminder and expiry of a step that waits on an outside person without a standard time.
# Literal values so the process owner sees and edits them on the timer in the Modeler.
PENGINGAT_SIKLUS = "R3/P3D"
KEDALUWARSA = "P14D"

SLA_VARIABLES = ("slaLangkah", "slaKegiatan", "slaBarisSop", "slaBatasWaktu", "slaPelaksana")


def menit(duration: str) -> str:
    """``PT10M`` -> ``10 menit``."""
    return f"{int(duration.removeprefix('PT').removesuffix('M'))} menit"


def sop_doc(
    row: int,
    kegiatan: str,
    pelaksana: str,
    kelengkapan: str,
    waktu: str | None,
    output: str,
    penerapan: str,
    keterangan: str | None = None,
) -> str:
    waktu_text = f"{menit(waktu)} ({waktu})" if waktu else "N/A"
    lines = [
        f"SOP baris {row} – {kegiatan}",
        f"Pelaksana: {pelaksana}",
        f"Mutu Baku – Kelengkapan: {kelengkapan} | Waktu: {waktu_text} | Output: {output}",
    ]
    if keterangan:
        lines.append(f"Keterangan SOP: {keterangan}")
    lines.append(f"Penerapan: {penerapan}")
    return "\n".join(lines)


def helper_doc(text: str) -> str:
    return f"Elemen bantu (bukan baris SOP tersendiri). {text}"


# --- element helpers ---------------------------------------------------------------------------


def label_below(text: str, node_cx: float, node_bottom: float) -> Label:
    return text_label(text, node_cx, node_bottom + 7)


def label_above(text: str, node_cx: float, node_top: float) -> Label:
    label = text_label(text, node_cx, 0)
    label.y = round(node_top - 7 - label.height)
    return label


def event(
    d: Diagram,
    kind: str,
    node_id: str,
    name: str,
    lane: str,
    at: Point,
    documentation: str,
    *,
    label: str = "below",
) -> Node:
    cx, cy = at
    bounds = label_below(name, cx, cy + 18) if label == "below" else label_above(name, cx, cy - 18)
    return d.add(Node(node_id, kind, name, lane, cx, cy, documentation, label=bounds))


def gateway(d: Diagram, node_id: str, name: str, lane: str, at: Point, documentation: str | None = None) -> Node:
    cx, cy = at
    bounds = label_below(name, cx, cy + 25) if name else None
    return d.add(Node(node_id, "exclusiveGateway", name, lane, cx, cy, documentation, label=bounds))


def service(
    d: Diagram,
    node_id: str,
    name: str,
    lane: str,
    at: Point,
    task_type: str,
    documentation: str,
    *,
    headers: dict[str, str] | None = None,
    inputs: Sequence[tuple[str, str]] = (),
    outputs: Sequence[tuple[str, str]] = (),
) -> Node:
    ext = [task_definition(task_type)]
    if inputs or outputs:
        ext.append(io_mapping(inputs, outputs))
    if headers:
        ext.append(task_headers(headers))
    return d.add(Node(node_id, "serviceTask", name, lane, at[0], at[1], documentation, ext))


def email(
    d: Diagram,
    node_id: str,
    name: str,
    lane: str,
    at: Point,
    template: str,
    penerima: str,
    documentation: str,
) -> Node:
    return service(
        d,
        node_id,
        name,
        lane,
        at,
        KIRIM_EMAIL,
        documentation,
        headers={"template": template, "penerima": penerima},
    )


def receive(d: Diagram, node_id: str, name: str, lane: str, at: Point, message_id: str, documentation: str) -> Node:
    return d.add(
        Node(
            node_id,
            "receiveTask",
            name,
            lane,
            at[0],
            at[1],
            documentation,
            attributes={"messageRef": message_id},
        )
    )


def timer_definition(node_id: str, *, duration: str | None = None, cycle: str | None = None) -> etree._Element:
    definition = etree.Element(_q(BPMN, "timerEventDefinition"), id=f"{node_id}Definition")
    tag, value = ("timeDuration", duration) if duration else ("timeCycle", cycle)
    expression = etree.SubElement(definition, _q(BPMN, tag))
    expression.set(_q(XSI, "type"), "bpmn:tFormalExpression")
    expression.text = value
    return definition


def boundary_timer(
    d: Diagram,
    node_id: str,
    name: str,
    host_id: str,
    offset: float,
    documentation: str,
    *,
    duration: str | None = None,
    cycle: str | None = None,
    interrupting: bool,
    outputs: Sequence[tuple[str, str]] = (),
    label_side: str = "right",
) -> Node:
    """A timer on the bottom edge of its host, ``offset`` px from the host's left side."""
    host = d[host_id]
    cx = host.cx - host.width / 2 + offset
    cy = host.cy + host.height / 2
    label = text_label(name, 0, cy + 6, max_width=90)
    label.x = round(cx + 22) if label_side == "right" else round(cx - 22 - label.width)
    attributes = {"attachedToRef": host_id}
    if not interrupting:
        attributes = {"cancelActivity": "false", **attributes}
    node = Node(
        node_id,
        "boundaryEvent",
        name,
        host.lane,
        cx,
        cy,
        documentation,
        [io_mapping(outputs=outputs)] if outputs else [],
        timer_definition(node_id, duration=duration, cycle=cycle),
        attributes,
        label=label,
    )
    return d.add(node)


def sla_timer(
    d: Diagram,
    host_id: str,
    duration: str,
    row: int,
    kegiatan: str,
    pelaksana: str,
    *,
    offset: float = 30,
    label_side: str = "right",
) -> Node:
    """The non-interrupting SLA timer of a timed SOP row (id per docs/processes.md); ``kegiatan`` is the SOP row's
    Kegiatan as processes.md names it (the reminder's subject and text show it, never an element id)."""
    timer_id = host_id.removesuffix("UserTask").removesuffix("ReceiveTask").removesuffix("Task") + "SlaTimer"
    documentation = (
        f"Batas waktu Mutu Baku SOP baris {row}: {menit(duration)} ({duration}). Timer non-interrupting: "
        "bila terlampaui, pelanggaran dicatat dan pelaksana (serta Kepala Biro, dapat dikonfigurasi) "
        "diberi tahu melalui e-mail; langkahnya tetap berjalan. Ubah durasi di sini bila SOP direvisi."
    )
    outputs = [
        ("slaLangkah", f'="{host_id}"'),
        ("slaKegiatan", f'="{kegiatan}"'),
        ("slaBarisSop", f"={row}"),
        ("slaBatasWaktu", f'="{duration}"'),
        ("slaPelaksana", f'="{pelaksana}"'),
    ]
    return boundary_timer(
        d,
        timer_id,
        f"Batas waktu {menit(duration)}",
        host_id,
        offset,
        documentation,
        duration=duration,
        interrupting=False,
        outputs=outputs,
        label_side=label_side,
    )


def sla_path(d: Diagram, lane: str, bus_y: float, gateway_x: float, timers: Sequence[Node], pelaksana_doc: str) -> None:
    """All SLA timers of a diagram -> one joining gateway -> one notification task -> end."""
    gateway(
        d,
        "SlaTerlampauiGateway",
        "",
        lane,
        (gateway_x, bus_y),
        helper_doc("Menggabungkan semua timer batas waktu (SLA) ke satu jalur notifikasi."),
    )
    service(
        d,
        "KirimNotifikasiSlaTask",
        "Mengirim notifikasi batas waktu terlampaui",
        lane,
        (gateway_x + 120, bus_y),
        KIRIM_NOTIFIKASI_SLA,
        helper_doc(
            "Mencatat pelanggaran Mutu Baku Waktu dan memberi tahu pelaksana langkah (slaPelaksana) serta "
            f"Kepala Biro (dapat dikonfigurasi) melalui e-mail templat {TEMPLATE_PENGINGAT_SLA}. Nilai "
            "slaLangkah, slaKegiatan, slaBarisSop, slaBatasWaktu dan slaPelaksana diisi oleh timer yang "
            "terlampaui dan disalin ke variabel lokal tugas ini saat tugas dimulai, sehingga dua pelanggaran "
            f"yang berdekatan tidak saling menimpa. Kode pelaksana: {pelaksana_doc}."
        ),
        headers={"template": TEMPLATE_PENGINGAT_SLA},
        inputs=[(name, f"={name}") for name in SLA_VARIABLES],
    )
    event(
        d,
        "endEvent",
        "NotifikasiSlaTerkirimEndEvent",
        "Notifikasi batas waktu terkirim",
        lane,
        (gateway_x + 260, bus_y),
        helper_doc("Jalur notifikasi SLA selesai; langkah yang terlambat tetap berjalan."),
    )
    for timer in timers:
        x, y = timer.bottom
        d.flow(timer.id, "SlaTerlampauiGateway", [(x, y), (x, bus_y), d["SlaTerlampauiGateway"].left])
    d.flow(
        "SlaTerlampauiGateway",
        "KirimNotifikasiSlaTask",
        [d["SlaTerlampauiGateway"].right, d["KirimNotifikasiSlaTask"].left],
    )
    d.flow(
        "KirimNotifikasiSlaTask",
        "NotifikasiSlaTerkirimEndEvent",
        [d["KirimNotifikasiSlaTask"].right, d["NotifikasiSlaTerkirimEndEvent"].left],
    )


def straight(d: Diagram, *ids: str) -> None:
    for source, target in itertools.pairwise(ids):
        d.flow(source, target, [d[source].right, d[target].left])


def yes_no_label(text: str, x: float, y: float) -> Label:
    return Label(round(x), round(y), 6 * len(text) + 4, 14)


# --- SOP 1 -------------------------------------------------------------------------------------


def registrasi_admin_ppe() -> Diagram:
    d = Diagram(
        "registrasiAdminPpe",
        "Registrasi Admin PPE",
        "RegistrasiAdminPpeParticipant",
        "SOP Registrasi Admin PPE – Biro Pengadaan Barang/Jasa Sekretariat Daerah Provinsi Kalimantan "
        "Timur selaku UKPBJ, Nomor SOP J00.3/0619/BPLPSE/B.PBJ, tanggal pembuatan 28 Februari 2023.\n"
        "Pelaksana: Kepala LPSE (pemohon) dan Program Manager (PM) Direktorat e-Procurement LKPP.\n"
        "Setiap langkah yang memiliki Mutu Baku Waktu diberi timer batas waktu non-interrupting; bila "
        "terlampaui, pelanggaran dicatat dan pelaksana (serta Kepala Biro, dapat dikonfigurasi) diberi "
        "tahu melalui e-mail, sedangkan langkahnya tetap berjalan. Baris 4 (tanpa batas waktu, menunggu "
        f"Kepala LPSE) diberi pengingat ({PENGINGAT_SIKLUS}) dan batas kedaluwarsa ({KEDALUWARSA}); "
        "keduanya dapat diubah pada timer di Camunda Modeler.\n"
        "Penyimpangan yang disengaja dari SOP kertas: kata sandi tidak pernah dituliskan dalam e-mail, "
        "variabel proses, maupun log. Baris 6 dan 7 menyampaikan user id dan tautan sekali pakai untuk "
        "menetapkan kata sandi, dan akun wajib mengganti kata sandi pada login pertama (ketentuan SOP "
        "sendiri).\n"
        "Variabel proses hanya memuat nomor permohonan, status, keputusan, nilai tersamar dan referensi "
        "dokumen; isi dokumen, NIK lengkap dan rahasia disimpan di aplikasi (lihat "
        "docs/processes-design.md).",
    )
    kepala, pm = "KepalaLpseLane", "PmDirektoratEProcurementLkppLane"
    kepala_name, pm_name = "Kepala LPSE", "PM Direktorat e-Procurement LKPP"
    d.lane(kepala, kepala_name, 80, 420)
    d.lane(pm, pm_name, 500, 390)
    loop_y, y_a, y_a1, y_a2 = 110, 190, 320, 430
    y_b0, y_b1, bus = 580, 710, 820
    d.message("BerkasDilengkapiMessage", "berkas-dilengkapi", "=nomorPermohonan")

    event(
        d,
        "startEvent",
        "PermohonanDiajukanStartEvent",
        "Berkas permohonan disampaikan",
        kepala,
        (240, y_a),
        sop_doc(
            1,
            "Menyampaikan berkas permohonan pembuatan akun kepada Program Manager Direktorat e-Procurement LKPP.",
            kepala_name,
            "1. Surat Keputusan/SK Pembentukan dan Penunjukan Personil LPSE; 2. Data Profil LPSE; "
            "3. Data Personil Admin PPE; 4. KTP Admin PPE",
            None,
            "Berkas permohonan",
            "aplikasi memulai proses dengan nomorPermohonan dan dokumenPermohonan (referensi keempat "
            "dokumen: jenis, id dokumen, hash SHA-256, ukuran, tipe). Isi dokumen disimpan di aplikasi.",
            "Berkas dapat disampaikan secara langsung (hardcopy) dan melalui e-mail (softcopy).",
        ),
        label="above",
    )
    gateway(
        d,
        "BerkasMasukGateway",
        "",
        pm,
        (350, y_b1),
        helper_doc("Menggabungkan berkas baru (baris 1) dan berkas yang telah dilengkapi (baris 4) sebelum diperiksa."),
    )
    service(
        d,
        "PeriksaKelengkapanBerkasTask",
        "Memeriksa kelengkapan berkas",
        pm,
        (490, y_b1),
        "periksa-kelengkapan-berkas",
        sop_doc(
            2,
            "Menerima dan melakukan pemeriksaan kelengkapan berkas. Apakah berkas lengkap?",
            pm_name,
            "Berkas permohonan",
            "PT10M",
            "Hasil pemeriksaan berkas",
            "memeriksa keberadaan dan keabsahan keempat dokumen; hasilnya berkasLengkap (true/false) dan "
            "kekuranganBerkas (dokumen yang kurang atau tidak sah beserta alasannya).",
        ),
    )
    gateway(
        d,
        "BerkasLengkapGateway",
        "Berkas lengkap?",
        pm,
        (630, y_b1),
        'SOP baris 2 – keputusan "Apakah berkas lengkap?". Ya: baris 5. Tidak: baris 3.',
    )
    email(
        d,
        "MintaKelengkapanBerkasTask",
        "Meminta kelengkapan berkas",
        pm,
        (760, y_b0),
        "permintaan-kelengkapan-berkas",
        "kepala-lpse",
        sop_doc(
            3,
            "Meminta kelengkapan berkas kepada Kepala LPSE.",
            pm_name,
            "Hasil pemeriksaan berkas",
            "PT5M",
            "Permintaan kelengkapan berkas",
            "e-mail templat permintaan-kelengkapan-berkas kepada Kepala LPSE yang merinci "
            "kekuranganBerkas (apa yang kurang atau tidak sah, dan alasannya).",
        ),
    )
    receive(
        d,
        "LengkapiBerkasReceiveTask",
        "Melengkapi kekurangan berkas",
        kepala,
        (940, y_a),
        "BerkasDilengkapiMessage",
        sop_doc(
            4,
            "Melengkapi kekurangan berkas permohonan.",
            kepala_name,
            "Kekurangan berkas",
            None,
            "Berkas permohonan lengkap",
            "menunggu pesan berkas-dilengkapi dengan kunci korelasi nomorPermohonan (membawa "
            "dokumenPermohonan yang diperbarui), lalu kembali ke baris 2. Karena SOP tidak menetapkan "
            f"waktu, Kepala LPSE diingatkan ({PENGINGAT_SIKLUS}: setiap 3 hari, paling banyak 3 kali) dan "
            f"permohonan kedaluwarsa setelah {KEDALUWARSA} (14 hari); keduanya dapat diubah pada timer.",
        ),
    )
    service(
        d,
        "BuatAkunAdminPpeTask",
        "Membuat akun Admin PPE pada SPSE",
        pm,
        (940, y_b1),
        "buat-akun",
        sop_doc(
            5,
            "Membuat akun Admin PPE pada aplikasi SPSE.",
            pm_name,
            "Tata cara pembuatan akun pada aplikasi SPSE mengacu pada panduan pengguna (user guide) aplikasi SPSE",
            "PT30M",
            "Akun Admin PPE",
            "tugas layanan buat-akun (header sistem=SPSE, peran=ADMIN_PPE) melalui adaptor penyediaan "
            "akun; hasilnya idAkun dan statusAkun. Akun dibuat tanpa kata sandi yang diketahui siapa pun "
            "dan wajib mengganti kata sandi pada login pertama.",
        ),
        headers={"sistem": "SPSE", "peran": "ADMIN_PPE"},
    )
    email(
        d,
        "KirimInformasiAkunTask",
        "Menginformasikan akun kepada Kepala LPSE",
        pm,
        (1110, y_b1),
        "akun-admin-ppe-dibuat",
        "kepala-lpse",
        sop_doc(
            6,
            "Menginformasikan melalui e-mail akun (user id dan password) Admin PPE yang telah dibuat "
            "kepada Kepala LPSE.",
            pm_name,
            "Dalam e-mail diinformasikan untuk segera melakukan login serta mewajibkan perubahan kata sandi",
            "PT10M",
            "E-mail informasi akun Admin PPE",
            "e-mail templat akun-admin-ppe-dibuat kepada Kepala LPSE: user id, segera login dan wajib "
            "mengganti kata sandi. Kata sandi tidak dikirim (penyimpangan yang disengaja dari SOP kertas).",
        ),
    )
    email(
        d,
        "SampaikanAkunKeAdminPpeTask",
        "Memberitahukan akun kepada Admin PPE",
        pm,
        (1280, y_b1),
        "undangan-admin-ppe",
        "admin-ppe",
        sop_doc(
            7,
            "Memberitahukan user id dan password kepada Admin PPE.",
            pm_name,
            "Hasil pembuatan akun",
            "PT5M",
            "Informasi akun sampai kepada LPSE",
            "e-mail templat undangan-admin-ppe langsung ke alamat e-mail Admin PPE yang telah "
            "diverifikasi: user id dan tautan sekali pakai untuk menetapkan kata sandi. Kata sandi tidak "
            "pernah dikirim.",
        ),
    )
    service(
        d,
        "ArsipkanDokumenTask",
        "Mengarsipkan dokumen",
        pm,
        (1450, y_b1),
        "arsipkan-dokumen",
        sop_doc(
            8,
            "Pengarsipan dokumen.",
            pm_name,
            "Hasil pembuatan akun",
            "PT10M",
            "Arsip dokumen",
            "tugas layanan arsipkan-dokumen mengarsipkan berkas permohonan dan hasil pembuatan akun "
            "dengan masa retensi sesuai jenis dokumen; hasilnya nomorArsip.",
        ),
    )
    event(
        d,
        "endEvent",
        "AkunAdminPpeTerdaftarEndEvent",
        "Akun Admin PPE terdaftar",
        pm,
        (1590, y_b1),
        "Akhir proses (simbol Selesai pada SOP baris 8): akun Admin PPE telah dibuat, diinformasikan dan diarsipkan.",
    )

    # Reminder and expiry of row 4, in the Kepala LPSE lane under the waiting step.
    reminder = boundary_timer(
        d,
        "LengkapiBerkasPengingatTimer",
        "Pengingat tiap 3 hari",
        "LengkapiBerkasReceiveTask",
        22,
        helper_doc(
            f"Pengingat non-interrupting ({PENGINGAT_SIKLUS}: setiap 3 hari, paling banyak 3 kali) selama "
            "Kepala LPSE belum melengkapi berkas. Nilai dapat diubah di Camunda Modeler."
        ),
        cycle=PENGINGAT_SIKLUS,
        interrupting=False,
        label_side="left",
    )
    expiry = boundary_timer(
        d,
        "LengkapiBerkasKedaluwarsaTimer",
        "Kedaluwarsa setelah 14 hari",
        "LengkapiBerkasReceiveTask",
        98,
        helper_doc(
            f"Batas kedaluwarsa interrupting ({KEDALUWARSA}): bila berkas tidak dilengkapi dalam 14 hari, "
            "permohonan berakhir dan Kepala LPSE diberi tahu. Nilai dapat diubah di Camunda Modeler."
        ),
        duration=KEDALUWARSA,
        interrupting=True,
    )
    email(
        d,
        "KirimPemberitahuanKedaluwarsaTask",
        "Memberitahukan permohonan kedaluwarsa",
        kepala,
        (1110, y_a1),
        "permohonan-kedaluwarsa",
        "kepala-lpse",
        helper_doc(
            "E-mail templat permohonan-kedaluwarsa kepada Kepala LPSE: permohonan ditutup karena berkas "
            "tidak dilengkapi, dan dapat diajukan kembali."
        ),
    )
    event(
        d,
        "endEvent",
        "PermohonanKedaluwarsaEndEvent",
        "Permohonan kedaluwarsa",
        kepala,
        (1260, y_a1),
        helper_doc("Akhir proses setelah kedaluwarsa; Kepala LPSE telah diberi tahu."),
    )
    email(
        d,
        "KirimPengingatKelengkapanTask",
        "Mengingatkan kelengkapan berkas",
        kepala,
        (1110, y_a2),
        "pengingat-permohonan",
        "kepala-lpse",
        helper_doc("E-mail templat pengingat-permohonan kepada Kepala LPSE: berkas belum dilengkapi."),
    )
    event(
        d,
        "endEvent",
        "PengingatKelengkapanTerkirimEndEvent",
        "Pengingat terkirim",
        kepala,
        (1260, y_a2),
        helper_doc("Jalur pengingat selesai; proses tetap menunggu berkas (baris 4)."),
    )

    timers = [
        sla_timer(
            d, "PeriksaKelengkapanBerkasTask", "PT10M", 2, "Menerima dan memeriksa kelengkapan berkas", "pm-lkpp"
        ),
        sla_timer(d, "MintaKelengkapanBerkasTask", "PT5M", 3, "Meminta kelengkapan berkas", "pm-lkpp"),
        sla_timer(d, "BuatAkunAdminPpeTask", "PT30M", 5, "Membuat akun Admin PPE pada SPSE", "pm-lkpp"),
        sla_timer(d, "KirimInformasiAkunTask", "PT10M", 6, "Menginformasikan akun kepada Kepala LPSE", "pm-lkpp"),
        sla_timer(d, "SampaikanAkunKeAdminPpeTask", "PT5M", 7, "Memberitahukan akun kepada Admin PPE", "pm-lkpp"),
        sla_timer(d, "ArsipkanDokumenTask", "PT10M", 8, "Pengarsipan dokumen", "pm-lkpp"),
    ]
    sla_path(d, pm, bus, 1590, timers, "pm-lkpp (PM Direktorat e-Procurement LKPP), kepala-lpse (Kepala LPSE)")

    # Sequence flows.
    start, merge = d["PermohonanDiajukanStartEvent"], d["BerkasMasukGateway"]
    d.flow(start.id, merge.id, [start.bottom, (start.cx, merge.cy), merge.left])
    straight(d, "BerkasMasukGateway", "PeriksaKelengkapanBerkasTask", "BerkasLengkapGateway")
    decision, minta, lengkapi = (
        d["BerkasLengkapGateway"],
        d["MintaKelengkapanBerkasTask"],
        d["LengkapiBerkasReceiveTask"],
    )
    d.flow(
        decision.id,
        minta.id,
        [decision.top, (decision.cx, minta.cy), minta.left],
        flow_id="BerkasLengkapTidakFlow",
        name="Tidak",
        condition="=berkasLengkap = false",
        label=yes_no_label("Tidak", decision.cx + 6, minta.cy + 12),
    )
    d.flow(
        decision.id,
        "BuatAkunAdminPpeTask",
        [decision.right, d["BuatAkunAdminPpeTask"].left],
        flow_id="BerkasLengkapYaFlow",
        name="Ya",
        condition="=berkasLengkap = true",
        label=yes_no_label("Ya", decision.cx + 40, decision.cy - 20),
    )
    d.flow(minta.id, lengkapi.id, [minta.top, (minta.cx, lengkapi.cy), lengkapi.left])
    d.flow(lengkapi.id, merge.id, [lengkapi.top, (lengkapi.cx, loop_y), (merge.cx, loop_y), merge.top])
    straight(
        d,
        "BuatAkunAdminPpeTask",
        "KirimInformasiAkunTask",
        "SampaikanAkunKeAdminPpeTask",
        "ArsipkanDokumenTask",
        "AkunAdminPpeTerdaftarEndEvent",
    )
    task = d["KirimPemberitahuanKedaluwarsaTask"]
    d.flow(expiry.id, task.id, [expiry.bottom, (expiry.cx, task.cy), task.left])
    straight(d, task.id, "PermohonanKedaluwarsaEndEvent")
    task = d["KirimPengingatKelengkapanTask"]
    d.flow(reminder.id, task.id, [reminder.bottom, (reminder.cx, task.cy), task.left])
    straight(d, task.id, "PengingatKelengkapanTerkirimEndEvent")

    d.pool_right = 1910
    return d


# --- SOP 2 -------------------------------------------------------------------------------------


def pendaftaran_akun_ppbj() -> Diagram:
    d = Diagram(
        "pendaftaranAkunPpbj",
        "Pendaftaran Akun Pengelola Pengadaan Barang/Jasa",
        "PendaftaranAkunPpbjParticipant",
        "SOP Pendaftaran Akun Pengelola Pengadaan Barang dan Jasa – Biro Pengadaan Barang/Jasa "
        "Sekretariat Daerah Provinsi Kalimantan Barat, tanggal pembuatan 12 April 2021, tanggal efektif "
        "12 Mei 2021.\n"
        "Pelaksana: PPBJ (pemohon) dan Admin PPE.\n"
        "Setiap langkah yang memiliki Mutu Baku Waktu diberi timer batas waktu non-interrupting; bila "
        "terlampaui, pelanggaran dicatat dan pelaksana (serta Kepala Biro, dapat dikonfigurasi) diberi "
        "tahu melalui e-mail, sedangkan langkahnya tetap berjalan. Langkah yang menunggu PPBJ (baris 3 "
        f"dan 5) juga kedaluwarsa setelah {KEDALUWARSA} (dapat diubah pada timer di Camunda Modeler).\n"
        "Aktivasi akun (baris 7) dilakukan pada SiRUP, SPSE dan SiPRAJA secara paralel "
        "(multi-instance).\n"
        "Variabel proses hanya memuat nomor pendaftaran, status, keputusan, nilai tersamar (NIK "
        "6471**********01) dan referensi dokumen; NIK lengkap, isi dokumen dan rahasia (kata sandi, "
        "token, OTP) disimpan di aplikasi (lihat docs/processes-design.md).",
    )
    ppbj, admin = "PpbjLane", "AdminPpeLane"
    ppbj_name, admin_name = "PPBJ", "Admin PPE"
    d.lane(ppbj, ppbj_name, 80, 310)
    d.lane(admin, admin_name, 390, 390)
    loop_y, y_a, y_a1 = 110, 190, 320
    y_b0, y_b1, bus = 470, 600, 710
    d.message("IdentitasPpbjDiisiMessage", "identitas-ppbj-diisi", "=nomorPendaftaran")
    d.message("InformasiPpbjDilengkapiMessage", "informasi-ppbj-dilengkapi", "=nomorPendaftaran")

    event(
        d,
        "startEvent",
        "PendaftaranDimulaiStartEvent",
        "Pendaftaran dimulai",
        ppbj,
        (240, y_a),
        sop_doc(
            1,
            "Mulai.",
            ppbj_name,
            "e-Mail aktif, nomor WhatsApp aktif",
            None,
            "Pendaftaran",
            "aplikasi memulai proses saat PPBJ mendaftar dengan e-mail aktif dan nomor WhatsApp aktif; "
            "variabel awal hanya nomorPendaftaran (alamat e-mail dan nomor WhatsApp disimpan di aplikasi).",
        ),
    )
    service(
        d,
        "BuatAkunPpbjTask",
        "Membuat akun PPBJ",
        ppbj,
        (380, y_a),
        "buat-akun",
        sop_doc(
            2,
            "Membuat akun PPBJ.",
            ppbj_name,
            "e-Mail aktif, nomor WhatsApp aktif",
            "PT15M",
            "Form registrasi",
            "tugas layanan buat-akun (header peran=PPBJ, status=PENDING) membuat akun PPBJ berstatus "
            "menunggu; hasilnya idAkun dan statusAkun. Tautan formulir registrasi dikirim oleh tugas "
            "berikutnya.",
        ),
        headers={"peran": "PPBJ", "status": "PENDING"},
    )
    email(
        d,
        "KirimFormulirRegistrasiTask",
        "Mengirim tautan formulir registrasi",
        ppbj,
        (540, y_a),
        "formulir-registrasi-ppbj",
        "ppbj",
        helper_doc(
            "Bagian dari SOP baris 2 (Output: Form Registrasi). E-mail templat formulir-registrasi-ppbj "
            "kepada PPBJ berisi tautan sekali pakai ke formulir registrasi."
        ),
    )
    gateway(
        d,
        "IdentitasPpbjGateway",
        "",
        ppbj,
        (670, y_a),
        helper_doc("Menggabungkan pengisian pertama dan pengisian ulang identitas (setelah verifikasi tidak valid)."),
    )
    receive(
        d,
        "IsiIdentitasPpbjReceiveTask",
        "Mengisi identitas PPBJ",
        ppbj,
        (810, y_a),
        "IdentitasPpbjDiisiMessage",
        sop_doc(
            3,
            "Mengisi identitas PPBJ.",
            ppbj_name,
            "Form registrasi",
            "PT15M",
            "Data identitas PPBJ",
            "menunggu pesan identitas-ppbj-diisi dengan kunci korelasi nomorPendaftaran. Data identitas "
            "lengkap (NIK, NIP) disimpan di aplikasi; pesan hanya membawa nilai tersamar (nikTersamar) "
            f"dan referensi (identitasRef). Kedaluwarsa setelah {KEDALUWARSA} (14 hari).",
        ),
    )
    service(
        d,
        "VerifikasiIdentitasPpbjTask",
        "Melakukan verifikasi identitas PPBJ",
        admin,
        (1190, y_b1),
        "verifikasi-identitas",
        sop_doc(
            4,
            "Melakukan verifikasi.",
            admin_name,
            "Data identitas PPBJ",
            "PT15M",
            "Verifikasi data identitas PPBJ",
            "tugas layanan verifikasi-identitas memeriksa NIK, NIP, alamat e-mail, nomor WhatsApp dan "
            "duplikasi akun; hasilnya identitasValid (true/false) dan catatanVerifikasi (alasan dan "
            "peringatan). Bila tidak valid, PPBJ diminta memperbaiki identitas (kembali ke baris 3).",
        ),
    )
    gateway(
        d,
        "IdentitasValidGateway",
        "Identitas valid?",
        admin,
        (1330, y_b1),
        "SOP baris 4 – hasil verifikasi. Ya: baris 5. Tidak: PPBJ diminta memperbaiki identitas (baris 3).",
    )
    email(
        d,
        "KirimPerbaikanIdentitasTask",
        "Meminta perbaikan identitas PPBJ",
        admin,
        (1330, y_b0),
        "identitas-perlu-perbaikan",
        "ppbj",
        helper_doc(
            "Bagian dari SOP baris 4. E-mail templat identitas-perlu-perbaikan kepada PPBJ berisi hal "
            "yang perlu diperbaiki (catatanVerifikasi), lalu kembali ke baris 3."
        ),
    )
    email(
        d,
        "KirimPermintaanInformasiTask",
        "Meminta SK atau Surat Tugas PPBJ",
        admin,
        (1460, y_b1),
        "permintaan-informasi-ppbj",
        "ppbj",
        helper_doc(
            "Bagian dari SOP baris 4 (Output: Verifikasi Data Identitas PPBJ) menuju baris 5 (Kelengkapan: Surat "
            "Keputusan atau Surat Tugas). Setelah identitas valid, e-mail templat permintaan-informasi-ppbj kepada "
            "PPBJ meminta Surat Keputusan atau Surat Tugas sebagai Pengelola Pengadaan Barang/Jasa, dengan format "
            "dan ukuran berkas yang diterima serta tautan ke halaman pendaftarannya. SOP tidak memberi waktu baku "
            "tersendiri bagi langkah ini (waktu baris 4 diukur pada verifikasi, waktu baris 5 pada pelengkapan), "
            "sehingga tidak diberi timer SLA; kegagalan pengiriman menjadi insiden."
        ),
    )
    gateway(
        d,
        "InformasiPpbjGateway",
        "",
        ppbj,
        (1460, y_a),
        helper_doc("Menggabungkan pengisian pertama dan pelengkapan ulang informasi PPBJ (setelah pemeriksaan)."),
    )
    receive(
        d,
        "LengkapiInformasiPpbjReceiveTask",
        "Melengkapi informasi PPBJ",
        ppbj,
        (1620, y_a),
        "InformasiPpbjDilengkapiMessage",
        sop_doc(
            5,
            "Melengkapi informasi PPBJ.",
            ppbj_name,
            "Akun PPBJ yang telah diverifikasi; Surat Keputusan atau Surat Tugas",
            "PT15M",
            "Informasi PPBJ",
            "menunggu pesan informasi-ppbj-dilengkapi dengan kunci korelasi nomorPendaftaran, membawa "
            "referensi SK atau Surat Tugas (dokumenPenetapan) dan tautanPemeriksaan. Kedaluwarsa setelah "
            f"{KEDALUWARSA} (14 hari).",
        ),
    )
    user_task = d.add(
        Node(
            "PeriksaInformasiPpbjUserTask",
            "userTask",
            "Memeriksa informasi PPBJ",
            admin,
            2000,
            y_b1,
            sop_doc(
                6,
                "Memeriksa informasi PPBJ. Jika lengkap, akun PPBJ diaktifkan. Jika tidak, lengkapi informasi PPBJ.",
                admin_name,
                "Informasi PPBJ",
                "PT15M",
                "Akun PPBJ",
                "Camunda user task untuk grup admin-ppe dengan formulir periksa-informasi-ppbj "
                "(bpmn/forms/periksa-informasi-ppbj.form); hasilnya informasiLengkap dan "
                "catatanPemeriksaan.",
                "SiRUP, SPSE, SiPRAJA",
            ),
            [
                extension("userTask"),
                extension("formDefinition", {"formId": FORM_PERIKSA_INFORMASI_PPBJ}),
                extension("assignmentDefinition", {"candidateGroups": "admin-ppe"}),
                # Each review starts empty: without the local nulls a second review would show, and if left out of
                # the completion inherit, the first review's answers. An answer other than the form's two values
                # leaves informasiLengkap null, so the gateway raises an incident instead of guessing "Tidak".
                io_mapping(
                    inputs=[
                        ("hasilPemeriksaan", "=null"),
                        ("butirPemeriksaan", "=null"),
                        ("catatanPemeriksaan", "=null"),
                    ],
                    outputs=[
                        (
                            "informasiLengkap",
                            '=if hasilPemeriksaan = "lengkap" then true '
                            'else if hasilPemeriksaan = "belum-lengkap" then false else null',
                        ),
                        (
                            "catatanPemeriksaan",
                            '=if hasilPemeriksaan = "lengkap" then null else catatanPemeriksaan',
                        ),
                        ("butirPemeriksaan", "=butirPemeriksaan"),
                    ],
                ),
            ],
        )
    )
    gateway(
        d,
        "InformasiLengkapGateway",
        "Informasi PPBJ lengkap?",
        admin,
        (2140, y_b1),
        'SOP baris 6 – keputusan "Lengkap?". Ya: baris 7. Tidak: PPBJ diminta melengkapi informasi (baris 5).',
    )
    email(
        d,
        "KirimKekuranganInformasiTask",
        "Meminta kelengkapan informasi PPBJ",
        admin,
        (2140, y_b0),
        "informasi-perlu-dilengkapi",
        "ppbj",
        helper_doc(
            'Bagian dari SOP baris 6 ("Jika tidak, lengkapi informasi PPBJ"). E-mail templat '
            "informasi-perlu-dilengkapi kepada PPBJ berisi catatanPemeriksaan, lalu kembali ke baris 5."
        ),
    )
    loop = etree.Element(_q(BPMN, "multiInstanceLoopCharacteristics"))
    etree.SubElement(loop, _q(BPMN, "extensionElements")).append(
        extension(
            "loopCharacteristics",
            {
                "inputCollection": '=["SiRUP", "SPSE", "SiPRAJA"]',
                "inputElement": "sistem",
                "outputCollection": "hasilAktivasi",
                "outputElement": "=statusAktivasi",
            },
        )
    )
    aktifkan = service(
        d,
        "AktifkanAkunPpbjTask",
        "Mengaktifkan akun PPBJ",
        admin,
        (2290, y_b1),
        "aktifkan-akun",
        sop_doc(
            7,
            "Mengaktifkan akun PPBJ.",
            admin_name,
            "Akun PPBJ",
            "PT5M",
            "Akun PPBJ aktif",
            "tugas layanan aktifkan-akun (header peran=PPBJ), multi-instance paralel atas SiRUP, SPSE dan "
            "SiPRAJA (variabel lokal sistem); setiap instance mengembalikan statusAktivasi yang dikumpulkan "
            "dalam hasilAktivasi. Batas waktu 5 menit berlaku untuk aktivasi di ketiga sistem.",
        ),
        headers={"peran": "PPBJ"},
    )
    aktifkan.loop = loop
    email(
        d,
        "KirimInformasiAkunAktifTask",
        "Menginformasikan akun PPBJ aktif",
        admin,
        (2460, y_b1),
        "akun-ppbj-aktif",
        "ppbj",
        helper_doc(
            "Bagian dari SOP baris 7 (Output: Akun PPBJ aktif). E-mail templat akun-ppbj-aktif kepada "
            "PPBJ dengan daftar sistem yang telah aktif."
        ),
    )
    event(
        d,
        "endEvent",
        "AkunPpbjAktifEndEvent",
        "Akun PPBJ aktif",
        admin,
        (2600, y_b1),
        sop_doc(
            8,
            "Selesai.",
            admin_name,
            "–",
            None,
            "–",
            "akhir proses: akun PPBJ aktif pada SiRUP, SPSE dan SiPRAJA dan PPBJ telah diberi tahu.",
        ),
    )

    # Expiry of the two waiting steps (rows 3 and 5), in the PPBJ lane under each step.
    expiry_3 = boundary_timer(
        d,
        "IsiIdentitasPpbjKedaluwarsaTimer",
        "Kedaluwarsa setelah 14 hari",
        "IsiIdentitasPpbjReceiveTask",
        95,
        helper_doc(
            f"Batas kedaluwarsa interrupting ({KEDALUWARSA}): bila identitas tidak diisi dalam 14 hari, "
            "pendaftaran berakhir dan PPBJ diberi tahu. Nilai dapat diubah di Camunda Modeler."
        ),
        duration=KEDALUWARSA,
        interrupting=True,
    )
    email(
        d,
        "KirimKedaluwarsaIdentitasTask",
        "Memberitahukan pendaftaran kedaluwarsa",
        ppbj,
        (960, y_a1),
        "pendaftaran-kedaluwarsa",
        "ppbj",
        helper_doc(
            "E-mail templat pendaftaran-kedaluwarsa kepada PPBJ: pendaftaran ditutup karena identitas "
            "tidak diisi, dan dapat diulang."
        ),
    )
    event(
        d,
        "endEvent",
        "IdentitasKedaluwarsaEndEvent",
        "Pendaftaran kedaluwarsa",
        ppbj,
        (1090, y_a1),
        helper_doc("Akhir proses setelah identitas tidak diisi sampai batas kedaluwarsa."),
    )
    expiry_5 = boundary_timer(
        d,
        "LengkapiInformasiPpbjKedaluwarsaTimer",
        "Kedaluwarsa setelah 14 hari",
        "LengkapiInformasiPpbjReceiveTask",
        95,
        helper_doc(
            f"Batas kedaluwarsa interrupting ({KEDALUWARSA}): bila informasi tidak dilengkapi dalam 14 "
            "hari, pendaftaran berakhir dan PPBJ diberi tahu. Nilai dapat diubah di Camunda Modeler."
        ),
        duration=KEDALUWARSA,
        interrupting=True,
    )
    email(
        d,
        "KirimKedaluwarsaInformasiTask",
        "Memberitahukan pendaftaran kedaluwarsa",
        ppbj,
        (1770, y_a1),
        "pendaftaran-kedaluwarsa",
        "ppbj",
        helper_doc(
            "E-mail templat pendaftaran-kedaluwarsa kepada PPBJ: pendaftaran ditutup karena informasi "
            "PPBJ tidak dilengkapi, dan dapat diulang."
        ),
    )
    event(
        d,
        "endEvent",
        "InformasiKedaluwarsaEndEvent",
        "Pendaftaran kedaluwarsa",
        ppbj,
        (1900, y_a1),
        helper_doc("Akhir proses setelah informasi PPBJ tidak dilengkapi sampai batas kedaluwarsa."),
    )

    timers = [
        sla_timer(d, "BuatAkunPpbjTask", "PT15M", 2, "Membuat akun PPBJ", "ppbj", offset=25),
        sla_timer(
            d,
            "IsiIdentitasPpbjReceiveTask",
            "PT15M",
            3,
            "Mengisi identitas PPBJ",
            "ppbj",
            offset=25,
            label_side="left",
        ),
        sla_timer(
            d,
            "VerifikasiIdentitasPpbjTask",
            "PT15M",
            4,
            "Melakukan verifikasi",
            "admin-ppe",
            offset=25,
        ),
        sla_timer(
            d,
            "LengkapiInformasiPpbjReceiveTask",
            "PT15M",
            5,
            "Melengkapi informasi PPBJ",
            "ppbj",
            offset=25,
            label_side="left",
        ),
        sla_timer(d, "PeriksaInformasiPpbjUserTask", "PT15M", 6, "Memeriksa informasi PPBJ", "admin-ppe", offset=25),
        sla_timer(d, "AktifkanAkunPpbjTask", "PT5M", 7, "Mengaktifkan akun PPBJ", "admin-ppe", offset=25),
    ]
    sla_path(d, admin, bus, 2600, timers, "ppbj (PPBJ), admin-ppe (Admin PPE)")

    # Sequence flows.
    straight(
        d,
        "PendaftaranDimulaiStartEvent",
        "BuatAkunPpbjTask",
        "KirimFormulirRegistrasiTask",
        "IdentitasPpbjGateway",
        "IsiIdentitasPpbjReceiveTask",
    )
    isi, verifikasi = d["IsiIdentitasPpbjReceiveTask"], d["VerifikasiIdentitasPpbjTask"]
    d.flow(isi.id, verifikasi.id, [isi.right, (verifikasi.cx, isi.cy), verifikasi.top])
    straight(d, verifikasi.id, "IdentitasValidGateway")
    valid, perbaikan, merge_3 = (
        d["IdentitasValidGateway"],
        d["KirimPerbaikanIdentitasTask"],
        d["IdentitasPpbjGateway"],
    )
    d.flow(
        valid.id,
        perbaikan.id,
        [valid.top, perbaikan.bottom],
        flow_id="IdentitasValidTidakFlow",
        name="Tidak",
        condition="=identitasValid = false",
        label=yes_no_label("Tidak", valid.cx + 6, valid.cy - 52),
    )
    d.flow(perbaikan.id, merge_3.id, [perbaikan.top, (perbaikan.cx, loop_y), (merge_3.cx, loop_y), merge_3.top])
    merge_5, lengkapi = d["InformasiPpbjGateway"], d["LengkapiInformasiPpbjReceiveTask"]
    permintaan = d["KirimPermintaanInformasiTask"]
    d.flow(
        valid.id,
        permintaan.id,
        [valid.right, permintaan.left],
        flow_id="IdentitasValidYaFlow",
        name="Ya",
        condition="=identitasValid = true",
        label=yes_no_label("Ya", valid.cx + 34, valid.cy - 20),
    )
    d.flow(permintaan.id, merge_5.id, [permintaan.top, merge_5.bottom])
    straight(d, merge_5.id, lengkapi.id)
    d.flow(lengkapi.id, user_task.id, [lengkapi.right, (user_task.cx, lengkapi.cy), user_task.top])
    straight(d, user_task.id, "InformasiLengkapGateway")
    lengkap, kekurangan = d["InformasiLengkapGateway"], d["KirimKekuranganInformasiTask"]
    d.flow(
        lengkap.id,
        kekurangan.id,
        [lengkap.top, kekurangan.bottom],
        flow_id="InformasiLengkapTidakFlow",
        name="Tidak",
        condition="=informasiLengkap = false",
        label=yes_no_label("Tidak", lengkap.cx + 6, lengkap.cy - 52),
    )
    d.flow(
        kekurangan.id,
        merge_5.id,
        [kekurangan.top, (kekurangan.cx, loop_y), (merge_5.cx, loop_y), merge_5.top],
    )
    d.flow(
        lengkap.id,
        aktifkan.id,
        [lengkap.right, aktifkan.left],
        flow_id="InformasiLengkapYaFlow",
        name="Ya",
        condition="=informasiLengkap = true",
        label=yes_no_label("Ya", lengkap.cx + 34, lengkap.cy - 20),
    )
    straight(d, aktifkan.id, "KirimInformasiAkunAktifTask", "AkunPpbjAktifEndEvent")
    for expiry, task_id, end_id in (
        (expiry_3, "KirimKedaluwarsaIdentitasTask", "IdentitasKedaluwarsaEndEvent"),
        (expiry_5, "KirimKedaluwarsaInformasiTask", "InformasiKedaluwarsaEndEvent"),
    ):
        task = d[task_id]
        d.flow(expiry.id, task.id, [expiry.bottom, (expiry.cx, task.cy), task.left])
        straight(d, task.id, end_id)

    d.pool_right = 2920
    return d


DIAGRAMS = {
    "registrasi-admin-ppe.bpmn": registrasi_admin_ppe,
    "pendaftaran-akun-ppbj.bpmn": pendaftaran_akun_ppbj,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only compare, do not write")
    parser.add_argument("--out", type=Path, default=ROOT / "bpmn", help="output folder (default: bpmn/)")
    args = parser.parse_args(argv)
    stale = []
    for file_name, build in DIAGRAMS.items():
        xml = build().to_xml()
        path: Path = args.out / file_name
        if args.check:
            if not path.exists() or path.read_bytes() != xml:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(xml)
            print(f"wrote {path}")
    if stale:
        print("differs from the generator: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
