"""DurableEngine: the engine with every state change written to its data directory before it is acknowledged.

Design (Zeebe's own shape, an event log plus snapshots, made small):
- **Event log.** A command is processed into events (engine/events); the appliers change the state and, in durable
  mode, also write each event down (engine/events/journal.py). When the command is done its events are appended to
  the log as one entry – the command (its name and arguments), its instant, the last key it took, its events (and,
  when it left steps for a later turn of the event loop, those steps, engine/durable/steps.py) – and committed
  before the method returns, so before the gateway or the REST API answers: an acknowledged command is on disk.
  A command that wrote no event (a long poll finding no job, a scheduler tick with nothing due) is not logged.
- **Recovery applies events.** Opening a data directory loads the snapshot and applies the logged events after it
  with the appliers (engine/events/replay.py): no behaviour, no FEEL, no clock runs, so a recovery cannot diverge
  from what was acknowledged, however slow the machine, and a later release applies an old log with the appliers
  of the event versions it holds.
- **Snapshots.** After `snapshot_every` logged commands the state is written as an explicit, versioned JSON
  document (engine/durable/snapshot.py, no pickle) into the `snapshot` table and the log it includes is dropped, in
  one transaction; what never changes once written is stored once: the history's sealed chunks, and what finished
  since the previous snapshot as one archive chunk (engine/durable/archive.py), so the document holds the live
  state. A snapshot pauses the event loop in proportion to the live state and what is new, so it waits until no
  command came for SNAPSHOT_IDLE_SECONDS, unless the log reaches twice the interval. A clean stop takes one too.
- **Clock.** The controlled clock's pin and offset are written when they change (and restored only when the engine
  starts with a controlled clock again). Time passes while the engine is down, so on restart the first scheduler
  tick finds the job deadlines and timers that fell due meanwhile.
- **Commit per command.** The entry is encoded once (engine/durable/entries.py: orjson whenever it writes the values
  the standard encoder writes) and inserted as one row; with WAL and synchronous=NORMAL that commit writes the
  changed pages to the WAL (mostly one: two pwrite()s) without fsync; with `SyncMode.FULL` each commit is fsynced.
- **Keys.** The key sequence (engine/state/keys.py ReservedKeys) hands out keys in blocks whose end is written to
  `meta` before the block's first key is handed out; recovery continues after the highest block written, so a key a
  command took in memory is never handed out again, even when that command's entry was never written.
- **Export and import** (engine/durable/transfer.py): a read-only recovery of a stopped engine's directory written to
  one file, and a new data directory made of it.
- **Fail-stop.** If a command (or its keys' reservation) cannot be written (disk full, I/O error), it is answered
  with an error, the state in memory is read back from the data directory (so nothing unwritten stays visible) and
  the engine takes no further command until it is restarted. A restart recovers every acknowledged command.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from engine.clock import Clock
from engine.durable import archive, entries, migrations, snapshot
from engine.durable.archive import ArchiveMark
from engine.durable.errors import DurableError, StorageError
from engine.durable.steps import decode_queue, encode_queue
from engine.durable.store import FORMAT_VERSION, Store, SyncMode
from engine.engine import Engine
from engine.events.appliers import Appliers
from engine.events.codec import decode_instant, decode_optional, dumps, encode_instant, encode_optional, loads
from engine.events.journal import JournalingAppliers
from engine.events.replay import apply_event
from engine.feel import FeelEvaluator
from engine.state.engine_state import EngineState
from engine.state.keys import KeyGenerator, ReservedKeys

log = logging.getLogger(__name__)

DEFAULT_SNAPSHOT_EVERY = 20_000
SNAPSHOT_IDLE_SECONDS = 0.5

# the public methods that run a command (each one's events are one log entry)
COMMANDS = (
    "deploy",
    "evaluate_decision",
    "evaluate_decision_off_loop",  # logged as evaluate_decision
    "create_process_instance",
    "cancel_process_instance",
    "activate_jobs",
    "complete_job",
    "fail_job",
    "throw_error",
    "update_job_retries",
    "update_job_timeout",
    "set_variables",
    "publish_message",
    "broadcast_signal",
    "resolve_incident",
    "process_due",
    "complete_user_task",
    "assign_user_task",
    "update_user_task",
    "delete_resource",
    "modify_process_instance",
    "migrate_process_instance",
    "correlate_message",
    "resume_steps",
    "activate_ad_hoc_activities",
    "open_job_stream",
    "close_job_stream",
)
# reads that take a key: none (a variable's key is taken when it is created, by its event)
KEY_TAKING_READS: tuple[str, ...] = ()

CLOCK_META = "clock"
_KEYS_META = "keys"  # the highest key reserved (engine/state/keys.py ReservedKeys): a restart continues after it


class _PersistentClock(Clock):
    """The engine clock, which tells the engine when it was moved, pinned or reset."""

    on_change: Callable[[], None] | None = None

    def increase(self, delta: timedelta) -> None:
        super().increase(delta)
        self._changed()

    def pin(self, at: datetime) -> None:
        super().pin(at)
        self._changed()

    def reset(self) -> None:
        super().reset()
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def encoded(self) -> bytes:
        micros = self._offset // timedelta(microseconds=1)
        return dumps([encode_optional(self._pinned), micros]).encode()

    def restore_encoded(self, data: bytes) -> None:
        pinned, micros = loads(data)
        self._pinned, self._offset = decode_optional(pinned), timedelta(microseconds=micros)


def _key_outside_command() -> NoReturn:
    raise DurableError("internal: a key was taken outside a logged command; the durable engine must log it")


class DurableEngine(Engine):
    """An Engine whose state lives in a data directory (see the module doc). Open it with `open_durable_engine`."""

    _appliers: JournalingAppliers

    def __init__(
        self,
        store: Store,
        *,
        controlled_clock: bool = False,
        feel: FeelEvaluator | None = None,
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
        read_only: bool = False,
    ) -> None:
        """`read_only`: the state is read (a format-1 directory through the migration reader) and nothing is written
        – no snapshot, no migration, no step resumed, no command taken (engine/durable/transfer.py exports it)."""
        clock = _PersistentClock(controlled=controlled_clock)
        super().__init__(clock=clock, feel=feel)
        assert isinstance(self.state.keys, ReservedKeys)
        self.state.keys.commands = self.state  # from now on a key is handed out only within a command
        self._durable_store = store
        self._durable_snapshot_every = snapshot_every
        self._durable_chunks_saved = 0  # sealed history chunks already in the store
        self._durable_archive = ArchiveMark()  # what the archive chunks in the store hold (engine/durable/archive.py)
        self.snapshots_taken = 0  # snapshots written since the engine was opened (for figures: bench/engine.py)
        self._durable_queue_logged = False  # the last entry logged steps left for a later turn
        self._durable_closed = False
        self._durable_failure: str | None = None  # why commands are refused after the log could not be written
        self._durable_last_append = time.monotonic()
        self._durable_idle_check: asyncio.TimerHandle | None = None
        self._steps.resume = self._resume_turn
        if read_only:
            self._recover(take_snapshot=False, write=False)
            self._durable_closed = True
            return
        self._recover()
        clock.on_change = self._save_clock
        self._resume_recovered_steps()

    # ------------------------------------------------------------------ parts
    def _key_generator(self) -> KeyGenerator:
        return ReservedKeys(self._reserve_keys, _key_outside_command)

    def _reserve_keys(self, limit: int) -> None:
        """Records that keys up to `limit` may be handed out, before the first of them is: a restart continues after
        it, so a key taken by a command whose entry could not be written is never taken again. Failing, the command
        is refused (its key not handed out) and the engine stops taking commands, as when its entry fails."""
        try:
            self._durable_store.set_meta(_KEYS_META, str(limit).encode("ascii"))
        except StorageError as exc:
            self._fail(exc)
            raise StorageError(self._durable_failure) from None

    def _make_appliers(self, state: EngineState) -> Appliers:
        return JournalingAppliers(state, self._load_model)

    # ------------------------------------------------------------------ recovery
    def _recover(self, *, take_snapshot: bool = True, write: bool = True) -> None:
        """Loads the snapshot and applies the events logged after it; then the steps a command left pending.
        Without `write` a data directory of an earlier format is read, not migrated."""
        store = self._durable_store
        if store.format == migrations.FORMAT_1:
            self._migrate(write=write)
            return
        state = self.state
        found = store.load_snapshot()
        chunks: list[tuple[Any, ...]] = []
        for index, data in store.history_chunks():
            if index != len(chunks):
                raise DurableError(f"Riwayat di direktori data {store.data_dir} tidak utuh (bagian {index}).")
            chunks.append(snapshot.decode_chunk(loads(data)))
        state.history.chunks = chunks
        self._durable_chunks_saved = len(chunks)
        sealed = ArchiveMark()
        for index, data in store.archive_chunks():
            if index != sealed.chunks:
                raise DurableError(f"Arsip di direktori data {store.data_dir} tidak utuh (bagian {index}).")
            sealed = archive.load_chunk(loads(data), state, sealed)
        self._durable_archive = sealed
        if found is not None:
            snapshot.decode_state(loads(found.state), state, self._load_model, sealed)
        elif sealed.chunks:
            raise DurableError(f"Arsip di direktori data {store.data_dir} tidak disertai snapshot.")
        clock = store.get_meta(CLOCK_META)
        # a controlled clock continues where it was (pinned or moved); an engine started on real time ignores it
        if clock is not None and self.clock.controlled and isinstance(self.clock, _PersistentClock):
            self.clock.restore_encoded(clock)
        replay = Appliers(state, self._load_model)  # applies without writing the events down again
        replayed = 0
        queue: list[Any] | None = None
        for _seq, data in store.log_after(store.snapshot_seq):
            entry = loads(data)
            state.instant = decode_instant(entry["t"])
            try:
                for event in entry["e"]:
                    apply_event(replay, state, event)
            finally:
                state.instant = None
            state.keys.restore(entry["k"])
            state.history.seal()
            queue = entry.get("q")
            replayed += 1
        reserved = store.get_meta(_KEYS_META)
        if isinstance(state.keys, ReservedKeys):
            state.keys.continue_after(int(reserved) if reserved is not None else state.keys.last)
        self._steps.queue.clear()
        self._steps.held.clear()
        if queue:
            decode_queue(self._steps, state, queue)
            self._durable_queue_logged = True
        if replayed and take_snapshot:
            log.info("Status mesin proses dipulihkan: %d perintah dari log di %s diterapkan", replayed, store.data_dir)
            try:
                self.snapshot()
            except StorageError as exc:  # the disk is still full: the log holds everything, the next one tries again
                log.warning("Snapshot setelah pemulihan tidak dapat disimpan: %s", exc)

    def _migrate(self, *, write: bool = True) -> None:
        """A data directory of an earlier format (engine/durable/migrations.py): its state read and written again as
        a snapshot of this format, in one transaction, before the engine takes a command (without `write`: only
        read)."""
        store = self._durable_store
        found_format = store.format
        if found_format != migrations.FORMAT_1:
            raise DurableError(f"internal: no migration from format {found_format}")
        pending = store.log_after(store.snapshot_seq)
        if pending:
            raise migrations.refuse_log(str(store.data_dir), len(pending))
        state = self.state
        chunks: list[tuple[Any, ...]] = []
        for index, data in store.history_chunks():
            if index != len(chunks):
                raise DurableError(f"Riwayat di direktori data {store.data_dir} tidak utuh (bagian {index}).")
            chunks.append(migrations.load_history_chunk(data))
        state.history.chunks = chunks
        found = store.load_snapshot()
        if found is not None:
            migrations.load_snapshot(found.state, state, self._load_model)
        clock = store.get_meta(CLOCK_META)
        if clock is not None and isinstance(self.clock, _PersistentClock):
            pinned, offset = migrations.load_clock(clock)
            saved = _PersistentClock(controlled=True)
            saved.restore_encoded(dumps([encode_optional(pinned), offset // timedelta(microseconds=1)]).encode())
            if write:
                store.set_meta(CLOCK_META, saved.encoded())
            if self.clock.controlled:
                self.clock.restore_encoded(saved.encoded())
        self._durable_chunks_saved = 0
        self._durable_archive = ArchiveMark()
        if not write:
            return
        self.snapshot()
        log.warning(
            "Direktori data %s dipindahkan dari format %d ke format %d (%d instans proses)",
            store.data_dir,
            found_format,
            FORMAT_VERSION,
            len(state.instances.process_instances),
        )

    def _resume_recovered_steps(self) -> None:
        """Steps a command had left for a later turn when the engine stopped: resumed as they would have been (on
        the next turn of the event loop, or now when there is none)."""
        if not self._steps.queue:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.resume_steps()
            return
        self._steps.deferred = True
        loop.call_soon(self._resume_turn)

    def _resume_turn(self) -> None:
        if not self._durable_closed:  # stopped meanwhile: the log resumes them after the restart
            self.resume_steps()

    # ------------------------------------------------------------------ logging commands
    def _before_command(self) -> None:
        if self._durable_failure is not None:
            raise StorageError(self._durable_failure)
        if self._durable_closed:
            raise DurableError("Mesin proses sudah dihentikan; perintah tidak dapat dijalankan.")

    def _commit(self, name: str) -> None:
        """Appends the command's events (and the steps it left for later, if any) to the log and commits them."""
        if self._durable_failure is not None:  # the command could not reserve its keys: nothing of it is written
            self._appliers.events = []
            self._forget_unwritten()
            raise StorageError(self._durable_failure)
        appliers = self._appliers
        events = appliers.events
        steps = self._steps
        queued = steps.waiting
        if not events and queued == self._durable_queue_logged:
            # nothing written, and the steps left for later are those logged last (give or take steps that found
            # nothing to do): a long poll or a tick while an expression is evaluated off the loop is not logged
            return
        appliers.events = []
        state = self.state
        instant = state.instant
        assert instant is not None
        entry: dict[str, Any] = {"c": name, "t": encode_instant(instant), "k": state.keys.last, "e": events}
        args = self._command_args
        if args:
            entry["a"] = args  # the command itself, as Zeebe logs it (a mapping written as an object)
        if queued:
            entry["q"] = encode_queue(steps)
            self._append(entries.encode_standard(entry))
        else:
            self._append(entries.encode(entry, args.count(None)))
        self._durable_queue_logged = queued

    def _append(self, entry: bytes) -> None:
        store = self._durable_store
        try:
            store.append(entry)
        except StorageError as exc:
            self._fail(exc)
            self._forget_unwritten()
            raise StorageError(self._durable_failure) from None
        self._durable_last_append = time.monotonic()
        behind = store.last_seq - store.snapshot_seq
        if behind >= 2 * self._durable_snapshot_every:
            self.snapshot()  # under sustained load: now, whatever it costs
        elif behind >= self._durable_snapshot_every and self._durable_idle_check is None:
            self._snapshot_when_idle()

    def _fail(self, exc: StorageError) -> None:
        """From now on every command is refused with what happened and what to do."""
        self._durable_failure = (
            f"{exc} Mesin proses berhenti menerima perintah; jalankan ulang mesin setelah masalah penyimpanan "
            "diatasi (perintah yang sudah dijawab tetap tersimpan)."
        )
        log.error("Log perintah tidak dapat ditulis; mesin proses tidak menerima perintah lagi: %s", exc)

    def _forget_unwritten(self) -> None:
        """After a failed write: the state in memory goes back to what the data directory holds (read again when it
        can be read; else left empty), so that nothing the log lacks is visible through the gateway or REST."""
        self._steps.queue.clear()
        self._steps.held.clear()
        self._steps.pending.clear()
        self.state.reset()
        with contextlib.suppress(Exception):
            self._recover(take_snapshot=False)

    def _snapshot_when_idle(self) -> None:
        """Takes the due snapshot once no command came for SNAPSHOT_IDLE_SECONDS (it pauses the event loop in
        proportion to the state held), checking again until then; at once without an event loop."""
        self._durable_idle_check = None
        store = self._durable_store
        behind = store.last_seq - store.snapshot_seq
        if self._durable_closed or self._durable_failure is not None or behind < self._durable_snapshot_every:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.snapshot()
            return
        quiet = time.monotonic() - self._durable_last_append
        if quiet >= SNAPSHOT_IDLE_SECONDS:
            with contextlib.suppress(StorageError):  # the next one tries again; the log still holds everything
                self.snapshot()
            return
        self._durable_idle_check = loop.call_later(SNAPSHOT_IDLE_SECONDS - quiet, self._snapshot_when_idle)

    def close_job_stream(self, stream: Any) -> None:
        if self._durable_closed:
            return  # a stream's connection ending after the engine stopped: nothing left to give back
        super().close_job_stream(stream)

    # ------------------------------------------------------------------ snapshots, clock, closing
    def snapshot(self) -> None:
        """Stores the live state now and drops the log it includes; the history's sealed chunks (which never
        change) are stored once, each with the first snapshot after it was sealed, and what finished since the
        previous snapshot goes into one archive chunk, stored once (engine/durable/archive.py): a snapshot costs the
        live state plus what is new. Not while a command's steps are left for a later turn or held for an
        evaluation: the log keeps growing until then."""
        if self._steps.waiting or self._durable_failure is not None:
            return
        store = self._durable_store
        state = self.state
        start = self._durable_chunks_saved
        new_chunks = [snapshot.chunk_bytes(chunk) for chunk in state.history.chunks[start:]]
        before = self._durable_archive
        chunk, sealed = archive.seal(state, before)
        document = dumps(snapshot.encode_state(state, sealed)).encode()
        store.save_snapshot(document, start, new_chunks, before.chunks, (chunk,) if chunk is not None else ())
        self._durable_chunks_saved = start + len(new_chunks)
        self._durable_archive = sealed
        self._durable_queue_logged = False
        self.snapshots_taken += 1

    def saved_clock(self) -> Any:
        """The controlled clock's pin and offset as the data directory holds them (JSON), None when it holds none
        (open the engine with a controlled clock to read them)."""
        if self._durable_store.get_meta(CLOCK_META) is None or not isinstance(self.clock, _PersistentClock):
            return None
        return loads(self.clock.encoded())

    def _save_clock(self) -> None:
        if isinstance(self.clock, _PersistentClock):
            self._durable_store.set_meta(CLOCK_META, self.clock.encoded())

    @property
    def unavailable(self) -> str | None:
        if self._durable_failure is not None:
            return self._durable_failure
        if self._durable_closed:
            return "Mesin proses sudah dihentikan; perintah tidak dapat dijalankan."
        return None

    @property
    def data_dir(self) -> Path:
        return self._durable_store.data_dir

    def close(self, *, snapshot: bool = True) -> None:
        """A clean stop: a last snapshot (the next start applies nothing), then the data directory is released.
        Without the snapshot the next start applies the log, as after a crash."""
        if self._durable_closed:
            return
        if self._durable_idle_check is not None:
            self._durable_idle_check.cancel()
            self._durable_idle_check = None
        try:
            if (
                snapshot
                and self._durable_failure is None
                and self._durable_store.last_seq > self._durable_store.snapshot_seq
            ):
                self.snapshot()
        finally:
            self._durable_closed = True
            self._durable_store.close()


def open_durable_engine(
    data_dir: Path,
    *,
    controlled_clock: bool = False,
    sync: SyncMode = SyncMode.NORMAL,
    snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
    feel: FeelEvaluator | None = None,
) -> DurableEngine:
    """Opens (creating if needed) and locks the data directory, recovers its state and returns the engine.

    Raises DataDirLockedError, IncompatibleDataDirError or StorageError with a message for the operator."""
    store = Store(data_dir, sync=sync)
    try:
        return DurableEngine(store, controlled_clock=controlled_clock, feel=feel, snapshot_every=snapshot_every)
    except BaseException:
        store.close()
        raise
