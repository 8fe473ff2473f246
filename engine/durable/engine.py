"""DurableEngine: the engine with every state change written to its data directory before it is acknowledged.

Design (Zeebe's own shape, a log plus snapshots, made small):
- **Command log.** Every external command – the engine's public methods that change state – is appended to the
  log as (instant, method, arguments, job activations) and committed before the method returns, so before the
  gateway or the REST API answers: an acknowledged command is on disk. The executor is deterministic for a given
  state, command and instant (the command's instant is the only time it reads, FEEL's now() included; keys come
  from a counter; the places that iterated sets in hash order iterate sorted), so re-running the log reproduces the
  state, keys included. Job activations are logged as outcomes (job key, worker, time-out) and applied as such on
  replay: a job pushed to an open job stream depends on the streams open then (connections, gone after a restart),
  and a long poll's answer must stay the answer it was. A command that changed nothing (no history row, no key) is
  not logged: most long polls and scheduler ticks (`process_due`, a command like the others).
- **Snapshots.** After `snapshot_every` logged commands the whole state is pickled into the `snapshot` table and
  the log it includes is dropped, in one transaction; the history's sealed chunks (which never change) are stored
  once each instead of being rewritten. A snapshot pauses the event loop (in proportion to the state: 0.11 s for
  5,000 finished five-task instances in bench/engine.py), so it waits until no command came for
  SNAPSHOT_IDLE_SECONDS, unless the log reaches twice the interval. A clean stop takes one too. Recovery loads
  the snapshot and replays the log after it, then snapshots.
- **Clock.** The controlled clock's pin and offset are written when they change (and restored only when the engine
  starts with a controlled clock again). Time passes while the engine is down, so on restart the first scheduler
  tick finds the job deadlines and timers that fell due meanwhile; a timer fires once: its firing is a logged
  command, after which it is gone or re-armed.
- **Commit per command, no group commit.** A command runs synchronously on the event loop, so its commit happens
  right there, before any other request is served; with WAL and synchronous=NORMAL a commit is one write() to the
  WAL without fsync (about 15 µs here), little next to executing the command, so batching commits would buy little
  and make every handler await its durability. With `SyncMode.FULL` each commit is fsynced: survives power loss,
  at one fsync per command.
- **Fail-stop.** If a command cannot be written, it is answered with an error and the engine takes no further
  command: its memory holds a change the log lacks. A restart recovers every acknowledged command.

What is lost on SIGKILL is only what was never acknowledged: a command whose commit had not returned.
"""

import asyncio
import contextlib
import logging
import pickle
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.clock import Clock
from engine.durable import snapshot
from engine.durable.errors import DurableError, StorageError
from engine.durable.store import Store, SyncMode
from engine.engine import ActivatedJob, Engine, _JobStream
from engine.feel import FeelEvaluator
from engine.state import Job, KeyGenerator

log = logging.getLogger(__name__)

DEFAULT_SNAPSHOT_EVERY = 20_000
SNAPSHOT_IDLE_SECONDS = 0.5

# the public methods that change state; each is one logged command
COMMANDS = (
    "deploy",
    "evaluate_decision",
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
)
# commands logged even when they changed nothing else: resuming deferred steps clears Engine.steps_deferred, which
# decides whether a later process_due fires anything
_ALWAYS_LOGGED = frozenset({"resume_steps"})
# reads that hand out a key from the engine's sequence the first time (REST variable keys, where the engine has
# them): a key taken unlogged would shift every later key on replay, so they are logged like commands
KEY_TAKING_READS = tuple(name for name in ("variable_key",) if hasattr(Engine, name))
_OPEN_STREAM = "open_job_stream"
_CLOSE_STREAM = "close_job_stream"

# commands whose only effect is activating jobs: logged as their outcome (the jobs, workers and time-outs), which a
# replay applies instead of running the command again – the streams a push went to are connections, gone after a
# restart, and a long poll answered by them must stay answered the same way
_OUTCOME_ONLY = frozenset({"activate_jobs", _OPEN_STREAM})

# (job key, worker, timeout ms) of a job activated by a command
Activation = tuple[int, str, int]
# (instant, method, positional arguments, keyword arguments, job activations[, deferrals]); the instant as
# microseconds since the epoch when it is in UTC (pickling a datetime's tzinfo costs ten times the rest of a typical
# entry); deferrals, only when the command ran into MAX_STEPS_PER_TURN: what Engine._defer_steps answered, in order
# (it depends on whether an event loop was running, which a replay must not ask again)
Entry = tuple[Any, ...]

_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _next_position(engine: Engine) -> int:
    """The position the next history record gets: moved by a command that recorded anything. Read from the
    counter's repr ("count(n)"), which says it without taking a value."""
    return int(repr(engine._positions)[6:-1])


def _encode_instant(instant: datetime) -> int | datetime:
    return (instant - _EPOCH) // _MICROSECOND if instant.tzinfo is UTC else instant


def _decode_instant(code: int | datetime) -> datetime:
    return _EPOCH + code * _MICROSECOND if isinstance(code, int) else code


_CLOCK_META = "clock"


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

    def state(self) -> tuple[datetime | None, timedelta]:
        return self._pinned, self._offset

    def restore(self, pinned: datetime | None, offset: timedelta) -> None:
        self._pinned, self._offset = pinned, offset


class _GuardedKeys(KeyGenerator):
    """The key sequence, refusing to hand out a key outside a logged command: that key would be given to something
    else on replay. Raised, it points at an engine method DurableEngine must log (COMMANDS, KEY_TAKING_READS)."""

    def __init__(self, engine: "DurableEngine", last: int) -> None:
        super().__init__(last)
        self._engine = engine

    def __reduce__(self) -> tuple[Any, ...]:
        return (KeyGenerator, (self.last,))  # stored as the plain sequence, without the engine

    def next(self) -> int:
        if not self._engine._durable_depth:
            raise DurableError("internal: a key was taken outside a logged command; the durable engine must log it")
        return super().next()


class DurableEngine(Engine):
    """An Engine whose state lives in a data directory (see the module doc). Open it with `open_durable_engine`."""

    def __init__(
        self,
        store: Store,
        *,
        controlled_clock: bool = False,
        feel: FeelEvaluator | None = None,
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
    ) -> None:
        clock = _PersistentClock(controlled=controlled_clock)
        super().__init__(clock=clock, feel=feel)
        self._durable_store = store
        self._durable_snapshot_every = snapshot_every
        self._durable_depth = 0  # > 0 while a logged command runs
        self._durable_chunks_saved = 0  # sealed history chunks already in the store
        self._durable_activations: list[Activation] = []  # the jobs activated by the command running now
        self._durable_deferrals: list[bool] = []  # what _defer_steps answered in the command running now
        self._durable_replayed_deferrals: list[bool] | None = None  # while replaying: the logged answers
        self._durable_outcome_only = False  # an _OUTCOME_ONLY command runs now
        self._durable_closed = False
        self._durable_failure: str | None = None  # why commands are refused after the log could not be written
        self._durable_last_append = time.monotonic()
        self._durable_idle_check: asyncio.TimerHandle | None = None
        self._recover()
        self.keys = _GuardedKeys(self, self.keys.last)
        clock.on_change = self._save_clock
        self._resume_recovered_steps()

    # ------------------------------------------------------------------ recovery
    def _recover(self) -> None:
        store = self._durable_store
        found = store.load_snapshot()
        if found is not None:
            snapshot.load_state(self, found.state)
            chunks: list[tuple[Any, ...]] = []
            for index, data in store.history_chunks():
                if index != len(chunks):
                    raise DurableError(f"Riwayat di direktori data {store.data_dir} tidak utuh (bagian {index}).")
                chunks.append(snapshot.load_history(data))
            self._history_chunks = chunks
            self._durable_chunks_saved = len(chunks)
        clock = store.get_meta(_CLOCK_META)
        # a controlled clock continues where it was (pinned or moved); an engine started on real time ignores it
        if clock is not None and self.clock.controlled and isinstance(self.clock, _PersistentClock):
            pinned, offset = pickle.loads(clock)
            self.clock.restore(pinned, offset)
        replayed = 0
        for _seq, data in store.log_after(store.snapshot_seq):
            self._replay(pickle.loads(data))
            replayed += 1
        self._durable_activations = []  # what the replay noted
        if replayed:
            log.info(
                "Status mesin proses dipulihkan: %d perintah dari log di %s dijalankan ulang", replayed, store.data_dir
            )
            self.snapshot()

    def _replay(self, entry: Entry) -> None:
        code, name, args, kwargs, activations, *deferrals = entry
        self._command_time = _decode_instant(code)
        self._durable_depth += 1  # whatever the command calls is part of it, not logged again
        self._durable_replayed_deferrals = list(deferrals[0]) if deferrals else []
        try:
            if name == _CLOSE_STREAM:
                self._replay_close_stream(*args)
            elif name not in _OUTCOME_ONLY:
                # the command answered what it answered then (an error included); it changes the state the same way
                with contextlib.suppress(Exception):
                    getattr(Engine, name)(self, *args, **kwargs)
            for key, worker, timeout_ms in activations:
                self._activate_job(self.jobs[key], worker, timeout_ms, [])
        finally:
            self._command_time = None
            self._durable_depth -= 1
            self._durable_replayed_deferrals = None

    def _defer_steps(self) -> bool:
        """Engine._defer_steps, its answer logged with the command (and on replay the logged answer, nothing
        scheduled: the log holds the resume_steps that followed)."""
        replayed = self._durable_replayed_deferrals
        if replayed is not None:
            deferred = replayed.pop(0) if replayed else False
            if deferred:
                self.steps_deferred = True
            return deferred
        deferred = super()._defer_steps()
        self._durable_deferrals.append(deferred)
        return deferred

    def _resume_turn(self) -> None:
        if not self._durable_closed:  # stopped meanwhile: the log resumes them after the restart
            super()._resume_turn()

    def _drain(self) -> None:
        """Engine._drain, except that a command logged as its outcome only (a job activation) leaves the steps of
        another command deferred to a later turn to the resume_steps that is pending: a replay applies such a
        command's activations without running it, so it must not have run anything else either."""
        if self._durable_outcome_only and self.steps_deferred:
            return
        super()._drain()

    def _resume_recovered_steps(self) -> None:
        """Steps a command had left for a later turn when the engine stopped: resumed as they would have been (on
        the next turn of the event loop, or now when there is none)."""
        if not (self._steps or self.steps_deferred):
            return
        self.steps_deferred = False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.resume_steps()
            return
        self.steps_deferred = True
        loop.call_soon(self._resume_turn)

    def _replay_close_stream(self, job_type: str, queued: list[int]) -> None:
        stream = _JobStream(job_type, "", 1, [])
        for key in queued:
            job = self.jobs.get(key)
            if job is not None:
                stream.queue.put_nowait(ActivatedJob(job, {}))
        Engine.close_job_stream(self, stream)

    # ------------------------------------------------------------------ logging commands
    def _logged(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], run: Callable[[], Any]) -> Any:
        if self._durable_depth:
            return run()
        if self._durable_failure is not None:
            raise StorageError(self._durable_failure)
        if self._durable_closed:
            raise DurableError("Mesin proses sudah dihentikan; perintah tidak dapat dijalankan.")
        self._durable_depth += 1
        instant = self.clock.now()
        self._command_time = instant
        position_before, key_before = _next_position(self), self.keys.last
        activations = self._durable_activations = []
        deferrals = self._durable_deferrals = []
        self._durable_outcome_only = name in _OUTCOME_ONLY
        try:
            return run()
        finally:
            self._durable_outcome_only = False
            self._command_time = None
            self._durable_depth -= 1
            if (
                activations
                or deferrals
                or name in _ALWAYS_LOGGED
                or self.keys.last != key_before
                or _next_position(self) != position_before
            ):
                code = _encode_instant(instant)
                entry = (
                    (code, name, args, kwargs, activations, deferrals)
                    if deferrals
                    else (code, name, args, kwargs, activations)
                )
                self._append(entry)

    def _append(self, entry: Entry) -> None:
        store = self._durable_store
        try:
            store.append(pickle.dumps(entry, pickle.HIGHEST_PROTOCOL))
        except StorageError as exc:
            # the state in memory has a change the log lacks: a later command logged on top of it would replay
            # differently, so the engine stops taking commands (fail-stop); a restart recovers what was committed
            self._durable_failure = (
                f"{exc} Mesin proses berhenti menerima perintah; jalankan ulang mesin setelah masalah penyimpanan "
                "diatasi (perintah yang sudah dijawab tetap tersimpan)."
            )
            log.error("Log perintah tidak dapat ditulis; mesin proses tidak menerima perintah lagi: %s", exc)
            raise StorageError(self._durable_failure) from None
        self._durable_last_append = time.monotonic()
        behind = store.last_seq - store.snapshot_seq
        if behind >= 2 * self._durable_snapshot_every:
            self.snapshot()  # under sustained load: now, whatever it costs
        elif behind >= self._durable_snapshot_every and self._durable_idle_check is None:
            self._snapshot_when_idle()

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

    def _activate_job(self, job: Job, worker: str, timeout_ms: int, fetch_variables: list[str]) -> ActivatedJob:
        """Every job activation (a long poll's, or a push to a job stream) noted as the outcome to log."""
        self._durable_activations.append((job.key, worker, timeout_ms))
        return super()._activate_job(job, worker, timeout_ms, fetch_variables)

    def open_job_stream(self, job_type: str, worker: str, timeout_ms: int, fetch_variables: list[str]) -> _JobStream:
        base = super().open_job_stream
        return self._logged(  # type: ignore[no-any-return]
            _OPEN_STREAM, (), {}, lambda: base(job_type, worker, timeout_ms, fetch_variables)
        )

    def close_job_stream(self, stream: _JobStream) -> None:
        if self._durable_closed:
            return  # a stream's connection ending after the engine stopped: nothing left to give back
        queued: list[ActivatedJob] = []
        while not stream.queue.empty():
            queued.append(stream.queue.get_nowait())
        for item in queued:
            stream.queue.put_nowait(item)
        base = super().close_job_stream
        self._logged(_CLOSE_STREAM, (stream.job_type, [item.job.key for item in queued]), {}, lambda: base(stream))

    # ------------------------------------------------------------------ snapshots, clock, closing
    def snapshot(self) -> None:
        """Stores the whole state now and drops the log it includes; the history's sealed chunks (which never
        change) are stored once, each with the first snapshot after it was sealed. Not while a command's steps
        are deferred to a later turn (queued steps are closures, not state): the log keeps growing until then."""
        if self._steps or self.steps_deferred:
            return
        store = self._durable_store
        start = self._durable_chunks_saved
        new_chunks = [snapshot.dump_history(chunk) for chunk in self._history_chunks[start:]]
        store.save_snapshot(snapshot.dump_state(self), start, new_chunks)
        self._durable_chunks_saved = start + len(new_chunks)

    def _save_clock(self) -> None:
        if isinstance(self.clock, _PersistentClock):
            self._durable_store.set_meta(_CLOCK_META, pickle.dumps(self.clock.state(), pickle.HIGHEST_PROTOCOL))

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
        """A clean stop: a last snapshot (the next start replays nothing), then the data directory is released.
        Without the snapshot the next start replays the log, as after a crash."""
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


def _logged_method(name: str) -> Callable[..., Any]:
    base = getattr(Engine, name)

    def method(self: DurableEngine, *args: Any, **kwargs: Any) -> Any:
        return self._logged(name, args, kwargs, lambda: base(self, *args, **kwargs))

    method.__name__ = name
    method.__doc__ = base.__doc__
    return method


for _name in COMMANDS + KEY_TAKING_READS:
    setattr(DurableEngine, _name, _logged_method(_name))


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
