"""What a command works with: the settings, the application store, the document store, Camunda's REST API and the
Zeebe gateway – each opened on first use and closed at the end – and the steps several commands share: checking
that a process is deployed, loading a request, starting its process exactly once, finding the step it waits at."""

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any

from pbj.commands.errors import CommandError
from pbj.commands.pantau import STEP_TYPES, Standards
from pbj.commands.rest import CamundaRest
from pbj.commands.settings import CommandSettings
from pbj.commands.zeebe import Gateway, not_deployed
from pbj.invocation import command
from workers.constants import STATUS_EXPIRED
from workers.documents import DocumentStore, LocalDocumentStore
from workers.domain import RequestKind
from workers.errors import NotFoundError
from workers.store import RequestRecord, Store
from workers.working_time import WorkingCalendar

START_LEASE = timedelta(minutes=5)
"""How long a claim to start a request's process holds before another command may take over (a crashed start)."""

START_WAIT_SECONDS = 30.0
"""How long a command waits for another command that is starting the same request's process."""
START_POLL_SECONDS = 0.1

KIND_NAMES = {RequestKind.ADMIN_PPE: "permohonan Admin PPE", RequestKind.PPBJ: "pendaftaran PPBJ"}


@dataclass(frozen=True)
class Wait:
    """A step a request's process waits at: the element instance (for message ids) and its name."""

    element_instance_key: int
    name: str


class Context:
    """The resources of one command run (or of one page of the web application, which lends its long-lived ones);
    `aclose()` releases those the context opened itself."""

    def __init__(
        self,
        settings: CommandSettings,
        *,
        actor: str = "aplikasi",
        store: Store | None = None,
        documents: DocumentStore | None = None,
        rest: CamundaRest | None = None,
        gateway: Gateway | None = None,
    ) -> None:
        self.settings = settings
        self.actor = actor
        self._rest = rest
        self._gateway = gateway
        self._lent = {name for name, given in (("store", store), ("rest", rest), ("gateway", gateway)) if given}
        if store is not None:
            self.__dict__["store"] = store
        if documents is not None:
            self.__dict__["documents"] = documents

    @cached_property
    def store(self) -> Store:
        """The application store (migrated on first use, as the workers do)."""
        return Store.open(self.settings.app.database_url)

    @cached_property
    def documents(self) -> DocumentStore:
        """The document store over the application store."""
        app = self.settings.app
        return LocalDocumentStore(app.documents_dir, self.store, max_size=app.document_max_size)

    @property
    def rest(self) -> CamundaRest:
        """Camunda's REST API."""
        if self._rest is None:
            self._rest = CamundaRest(self.settings)
        return self._rest

    @property
    def gateway(self) -> Gateway:
        """The Zeebe gateway."""
        if self._gateway is None:
            self._gateway = Gateway(self.settings.app.zeebe)
        return self._gateway

    @cached_property
    def standards(self) -> Standards:
        """Standard times of the deployed diagrams."""
        return Standards(self.rest)

    def calendar(self, kind: RequestKind) -> WorkingCalendar:
        """The working calendar of the province that runs `kind`'s SOP (its standard times count working time)."""
        return self.settings.app.working_time.calendar(kind)

    async def aclose(self) -> None:
        """Close whatever this context opened (not what it was lent)."""
        if self._rest is not None and "rest" not in self._lent:
            await self._rest.close()
        if self._gateway is not None and "gateway" not in self._lent:
            await self._gateway.close()
        if "store" in self.__dict__ and "store" not in self._lent:
            self.store.close()

    # --- shared steps ---------------------------------------------------------------------------------------------

    async def require_deployed(self, kind: RequestKind) -> None:
        """Make sure the SOP's process is deployed and the gateway answers, before anything is changed."""
        found = await self.rest.search("process-definitions", {"processDefinitionId": kind.process_id})
        if not found:
            raise not_deployed(kind.process_id)
        await self.gateway.check()

    def load_request(self, number: str, kind: RequestKind) -> RequestRecord:
        """The request with this number and kind; a clear error when it is unknown, of the other SOP or closed."""
        try:
            request = self.store.get_request(number)
        except NotFoundError:
            raise CommandError(f"Nomor {number} tidak ditemukan; periksa kembali nomor {KIND_NAMES[kind]}.") from None
        if request.kind is not kind:
            raise CommandError(f"Nomor {number} adalah nomor {KIND_NAMES[request.kind]}, bukan {KIND_NAMES[kind]}.")
        if request.status == STATUS_EXPIRED:
            raise CommandError(
                f"{KIND_NAMES[kind].capitalize()} {number} sudah ditutup karena kedaluwarsa; silakan ajukan yang baru."
            )
        if request.process_instance_key is None:
            raise CommandError(
                f"Proses {KIND_NAMES[kind]} {number} belum dimulai; jalankan kembali perintah pengajuannya dengan data "
                "yang sama."
            )
        return request

    async def waiting_at(self, request: RequestRecord, element_id: str) -> Wait | None:
        """The step `element_id` if the request's process waits there now, else None."""
        assert request.process_instance_key is not None
        items = await self.rest.search(
            "element-instances",
            {"processInstanceKey": str(request.process_instance_key), "elementId": element_id, "state": "ACTIVE"},
        )
        for item in items:
            return Wait(int(item["elementInstanceKey"]), str(item.get("elementName") or element_id))
        return None

    async def not_waiting(self, request: RequestRecord, what: str) -> CommandError:
        """The error for a request whose process does not wait for `what`, naming where it is instead."""
        assert request.process_instance_key is not None
        instance = await self.rest.find(f"/v2/process-instances/{request.process_instance_key}")
        label = KIND_NAMES[request.kind].capitalize()
        if instance is None:
            return CommandError(f"{label} {request.number} belum tampak pada mesin proses; coba lagi sesaat lagi.")
        if instance.get("state") != "ACTIVE":
            return CommandError(f"{label} {request.number} sudah selesai diproses; {what} tidak diperlukan lagi.")
        items = await self.rest.search(
            "element-instances", {"processInstanceKey": str(request.process_instance_key), "state": "ACTIVE"}
        )
        names = sorted({str(i.get("elementName") or i.get("elementId")) for i in items if i.get("type") in STEP_TYPES})
        where = ", ".join(f"“{name}”" for name in names) or "langkah otomatis"
        return CommandError(
            f"{label} {request.number} tidak sedang menunggu {what}; langkah saat ini: {where}. "
            f"Lihat `{command('status', request.number)}`."
        )

    async def start_once(self, request: RequestRecord, variables: dict[str, Any]) -> tuple[int, bool]:
        """The request's process instance: the one already linked, or one started now – never a second one.

        Starting is claimed first with a unique audit entry per attempt (`proses-memulai:<nomor>:<n>`), so of
        several commands running at once only one starts the process; the others wait for its answer. A failed
        start records `proses-gagal:<nomor>:<n>` and frees the next attempt; a claim older than `START_LEASE`
        without a process (a command that died) is taken over. A later attempt first looks for an instance with
        the request's number (a start whose answer was lost) and links it instead of starting another one.
        """
        store = self.store
        number = request.number
        attempt = 1
        waited_until = time.monotonic() + START_WAIT_SECONDS
        while True:
            current = await asyncio.to_thread(store.get_request, number)
            if current.process_instance_key is not None:
                return current.process_instance_key, False
            claim, claimed = await asyncio.to_thread(
                store.record_audit_once,
                number,
                "proses.memulai",
                event_key=_claim_key(number, attempt),
                actor=self.actor,
            )
            if claimed:
                break
            recorded = {event.event_key for event in await asyncio.to_thread(store.audit_trail, number)}
            if _failure_key(number, attempt) in recorded or store.now() - claim.at > START_LEASE:
                await asyncio.to_thread(
                    store.record_audit_once, number, "proses.gagal-dimulai", event_key=_failure_key(number, attempt)
                )
                attempt += 1
                continue
            if time.monotonic() >= waited_until:
                raise CommandError(
                    f"Proses {number} sedang dimulai oleh perintah lain; periksa dengan "
                    f"`{command('status', number)}` sesaat lagi."
                )
            await asyncio.sleep(START_POLL_SECONDS)  # another command is starting it: wait for its answer
        if attempt > 1:
            found = await self._instance_of(request)
            if found is not None:
                linked, _ = await asyncio.to_thread(store.link_process_instance, number, found)
                return linked.process_instance_key or found, False
        try:
            key = await self.gateway.start(request.kind.process_id, variables)
        except BaseException:
            await asyncio.to_thread(
                store.record_audit_once, number, "proses.gagal-dimulai", event_key=_failure_key(number, attempt)
            )
            raise
        linked, won = await asyncio.to_thread(store.link_process_instance, number, key)
        if not won:  # cannot happen while claims hold; if it does, keep the first instance only
            await self.gateway.cancel(key)
            return linked.process_instance_key or key, False
        return key, True

    async def _instance_of(self, request: RequestRecord) -> int | None:
        """An active instance of the request's process that carries its number, if the engine has one."""
        variable = {"name": request.kind.number_variable, "value": json.dumps(request.number)}
        items = await self.rest.search(
            "process-instances",
            {"processDefinitionId": request.kind.process_id, "state": "ACTIVE", "variables": [variable]},
        )
        return int(items[0]["processInstanceKey"]) if items else None


def _claim_key(number: str, attempt: int) -> str:
    return f"proses-memulai:{number}:{attempt}"


def _failure_key(number: str, attempt: int) -> str:
    return f"proses-gagal:{number}:{attempt}"
