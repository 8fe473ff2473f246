"""The job handlers, one pyzeebe router per topic; `ROUTER_FACTORIES` lists them for `create_worker`."""

from collections.abc import Callable

from pyzeebe import ZeebeTaskRouter

from workers.services import Services
from workers.tasks import akun, arsip, batas_waktu, berkas, email, identitas, sla

RouterFactory = Callable[[Services], ZeebeTaskRouter]

ROUTER_FACTORIES: tuple[RouterFactory, ...] = (
    berkas.create_router,
    email.create_router,
    akun.create_router,
    identitas.create_router,
    arsip.create_router,
    sla.create_router,
    batas_waktu.create_router,
)
"""Every router: periksa-kelengkapan-berkas, kirim-email, buat-akun + aktifkan-akun, verifikasi-identitas,
arsipkan-dokumen, kirim-notifikasi-sla, hitung-batas-waktu-sla (a start execution listener's job)."""
