"""Figures for the embedded engine: prints a markdown table; never a timed assertion in a test.

    .venv/bin/python bench/engine.py            # the full run (a couple of minutes on 2 cores)
    .venv/bin/python bench/engine.py --quick    # smaller counts, fewer rounds
    .venv/bin/python bench/engine.py --profile /tmp/prof   # also writes cProfile files of the hot paths

What it measures (issue 6):

1. In process: instances per second of a plain diagram (start, three tasks, a parallel split into two
   tasks, the join, a task, end) in our `Engine` and in SpiffWorkflow 3.x, side by side in one run on
   the same BPMN file. Both the "plain tasks" variant (`bpmn:task`: a pass-through for us, a manual task
   that the driver completes for SpiffWorkflow) and a "script tasks" variant (each task carries a
   `zeebe:script` FEEL expression for us and a Python `bpmn:script` for SpiffWorkflow) are run.
2. End to end over gRPC: a five-service-task process, pyzeebe workers in this process, the engine in a
   subprocess (on 2 cores the engine and the workers then get one core each, as they would on two
   machines; in one process they would share one core and one event loop). Instances per second with
   many instances in flight (CreateProcessInstanceWithResult from concurrent callers), and the job
   push latency: from the engine's JOB CREATED record (its timestamp, taken by the engine's real-time
   clock in the subprocess) to the moment the worker's handler is entered (`time.time()` here; both
   read the same system clock). Measured once with pyzeebe's default long polling and once with job
   streaming (`stream_enabled=True`), at light load (one instance at a time) and under full load.
3. Durable vs in-memory throughput, in process: the plain diagram of 1. (one command per instance) and the
   five-service-task process driven by commands as workers would (create, activate, complete), each with
   the in-memory engine, the durable engine (`engine.durable`, SQLite with synchronous=NORMAL) and the
   durable engine with sync=full (an fsync per command; survives power loss). The five-task ratio once more over
   runs long enough to take two snapshots (what a snapshot costs is then in it), and what one snapshot costs once
   many instances have finished (the live state and what finished since the previous one).
4. Memory of 10,000 instances waiting at a timer: the resident set size delta read from
   /proc/self/statm (what the OS gives the process) and, separately, the bytes tracemalloc sees
   allocated by Python (gc.collect() before each reading).
"""

import argparse
import asyncio
import contextlib
import cProfile
import gc
import itertools
import json
import os
import platform
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# gRPC's C core logs a GOAWAY line at INFO when the engine subprocess stops; the table is what matters
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# run as a script, this folder comes first on sys.path, and `engine` would be this file: the project goes first
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() not in (HERE, ROOT)]

from engine.durable import DurableEngine, SyncMode, open_durable_engine  # noqa: E402
from engine.durable.engine import DEFAULT_SNAPSHOT_EVERY  # noqa: E402
from engine.engine import Engine  # noqa: E402

PROCESS_ID = "benchPlain"
E2E_PROCESS_ID = "benchServiceTasks"
TIMER_PROCESS_ID = "benchTimer"
E2E_TASKS = 5
E2E_WARM_UP = 10  # instances run end to end before anything is measured

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="BenchDefinitions" '
    'targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


# ============================================================================ diagrams
def _diagram(process_id: str, nodes: list[str], edges: list[tuple[str, str]]) -> bytes:
    """A process of `nodes` (XML elements) connected by `edges`; the incoming/outgoing children are filled in."""
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    flows = []
    for n, (source, target) in enumerate(edges, start=1):
        flow_id = f"Flow_{n}"
        outgoing.setdefault(source, []).append(flow_id)
        incoming.setdefault(target, []).append(flow_id)
        flows.append(f'    <bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>\n')
    body = []
    for node in nodes:
        element_id = node.split('id="', 1)[1].split('"', 1)[0]
        refs = "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f in incoming.get(element_id, []))
        refs += "".join(f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f in outgoing.get(element_id, []))
        tag, _, rest = node.partition(">")
        if tag.endswith("/"):
            body.append(f"    {tag[:-1]}>{refs}</{tag[1:].split()[0]}>\n")
        else:
            body.append(f"    {tag}>{refs}{rest}\n")
    return (
        _HEAD
        + f'  <bpmn:process id="{process_id}" isExecutable="true">\n'
        + "".join(body)
        + "".join(flows)
        + "  </bpmn:process>\n</bpmn:definitions>\n"
    ).encode()


def plain_diagram(scripts: bool) -> bytes:
    """Start, Task_1..3, a parallel split into Task_4 and Task_5, the join, Task_6, end.

    SpiffWorkflow names its own start task 'Start', so the BPMN ids avoid it."""

    def task(i: int) -> str:
        if not scripts:
            return f'<bpmn:task id="Task_{i}" name="Task {i}"/>'
        return (
            f'<bpmn:scriptTask id="Task_{i}" name="Task {i}" scriptFormat="python"><bpmn:extensionElements>'
            f'<zeebe:script expression="=1" resultVariable="r{i}"/></bpmn:extensionElements>'
            f"<bpmn:script>r{i} = 1</bpmn:script></bpmn:scriptTask>"
        )

    nodes = [
        '<bpmn:startEvent id="StartEvent_1"/>',
        task(1),
        task(2),
        task(3),
        '<bpmn:parallelGateway id="SplitGateway"/>',
        task(4),
        task(5),
        '<bpmn:parallelGateway id="JoinGateway"/>',
        task(6),
        '<bpmn:endEvent id="EndEvent_1"/>',
    ]
    edges = [
        ("StartEvent_1", "Task_1"),
        ("Task_1", "Task_2"),
        ("Task_2", "Task_3"),
        ("Task_3", "SplitGateway"),
        ("SplitGateway", "Task_4"),
        ("SplitGateway", "Task_5"),
        ("Task_4", "JoinGateway"),
        ("Task_5", "JoinGateway"),
        ("JoinGateway", "Task_6"),
        ("Task_6", "EndEvent_1"),
    ]
    return _diagram(PROCESS_ID, nodes, edges)


def service_task_diagram() -> bytes:
    """Start, five service tasks (job types bench-task-1..5), end."""
    ids = ["StartEvent_1"] + [f"Task_{i}" for i in range(1, E2E_TASKS + 1)] + ["EndEvent_1"]
    nodes = ['<bpmn:startEvent id="StartEvent_1"/>']
    for i in range(1, E2E_TASKS + 1):
        nodes.append(
            f'<bpmn:serviceTask id="Task_{i}"><bpmn:extensionElements>'
            f'<zeebe:taskDefinition type="bench-task-{i}"/></bpmn:extensionElements></bpmn:serviceTask>'
        )
    nodes.append('<bpmn:endEvent id="EndEvent_1"/>')
    return _diagram(E2E_PROCESS_ID, nodes, list(itertools.pairwise(ids)))


def timer_diagram() -> bytes:
    """Start, a one-hour timer catch event, end."""
    nodes = [
        '<bpmn:startEvent id="StartEvent_1"/>',
        '<bpmn:intermediateCatchEvent id="WaitTimer"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">PT1H</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
        '<bpmn:endEvent id="EndEvent_1"/>',
    ]
    return _diagram(TIMER_PROCESS_ID, nodes, [("StartEvent_1", "WaitTimer"), ("WaitTimer", "EndEvent_1")])


# ============================================================================ engines by mode
def in_memory_engine() -> Engine:
    return Engine()


_DATA_DIRS: list[tempfile.TemporaryDirectory[str]] = []


def durable_engine() -> Engine:
    """A durable engine on a fresh data directory (removed at exit), with its default sync mode and snapshots."""
    data_dir = tempfile.TemporaryDirectory(prefix="pbj-bench-")
    _DATA_DIRS.append(data_dir)
    return open_durable_engine(Path(data_dir.name))


def durable_full_sync_engine() -> Engine:
    """A durable engine that fsyncs every commit (survives power loss)."""
    data_dir = tempfile.TemporaryDirectory(prefix="pbj-bench-")
    _DATA_DIRS.append(data_dir)
    return open_durable_engine(Path(data_dir.name), sync=SyncMode.FULL)


ENGINE_MODES: dict[str, Callable[[], Engine]] = {
    "in-memory": in_memory_engine,
    "durable": durable_engine,
    "durable, sync=full": durable_full_sync_engine,
}


# ============================================================================ results
@dataclass
class Row:
    measure: str
    result: str
    target: str = ""
    met: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measure: str, result: str, target: str = "", met: bool | None = None) -> None:
        self.rows.append(Row(measure, result, target, "" if met is None else ("yes" if met else "**no**")))
        print(f"  {measure}: {result}", flush=True)


def _best_rate(runs: list[float]) -> float:
    return max(runs)


@contextlib.contextmanager
def _profiled(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)


def print_profile(path: Path, limit: int = 15) -> None:
    print(f"\n--- {path} (top {limit} by own time)")
    pstats.Stats(str(path)).strip_dirs().sort_stats("tottime").print_stats(limit)


# ============================================================================ 1. in process vs SpiffWorkflow
@dataclass(frozen=True)
class Timing:
    """One round: the instances run, the wall-clock seconds and this process's CPU seconds (user and system) they
    took. The CPU time moves much less than the wall-clock time when other work shares the machine."""

    count: int
    wall: float
    cpu: float

    @property
    def rate(self) -> float:
        """Instances per second."""
        return self.count / self.wall

    @property
    def cpu_rate(self) -> float:
        """Instances per CPU second."""
        return self.count / self.cpu


@contextlib.contextmanager
def _timed(count: int, result: list[Timing]) -> Iterator[None]:
    gc.collect()  # the engines of earlier rounds (reference cycles) are freed now, not during this round
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    result.append(Timing(count, time.perf_counter() - wall, time.process_time() - cpu))


def time_ours(bpmn: bytes, count: int, mode: Callable[[], Engine] = in_memory_engine) -> Timing:
    """A fresh engine running `count` instances to completion, one after another."""
    engine = mode()
    engine.deploy([("bench.bpmn", bpmn)])
    for _ in range(20):  # warm-up (FEEL, caches)
        engine.create_process_instance(bpmn_process_id=PROCESS_ID)
    timing: list[Timing] = []
    with _timed(count, timing):
        for _ in range(count):
            pi = engine.create_process_instance(bpmn_process_id=PROCESS_ID)
    assert pi.state == "COMPLETED", pi.state
    return timing[0]


def rate_ours(bpmn: bytes, count: int, mode: Callable[[], Engine] = in_memory_engine) -> float:
    """Instances per second of a fresh engine running `count` instances to completion, one after another."""
    return time_ours(bpmn, count, mode).rate


def spiff_runner(bpmn: bytes) -> Callable[[], None] | None:
    """A function running one SpiffWorkflow instance of the diagram to completion (None: not installed)."""
    try:
        from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState
    except ImportError:
        return None
    with tempfile.NamedTemporaryFile("wb", suffix=".bpmn", delete=False) as handle:
        handle.write(bpmn)
    try:
        parser = BpmnParser()
        parser.add_bpmn_file(handle.name)
        spec = parser.get_spec(PROCESS_ID)
    finally:
        os.unlink(handle.name)

    def run() -> None:
        workflow = BpmnWorkflow(spec)
        while True:
            workflow.do_engine_steps()
            if workflow.is_completed():
                return
            # plain bpmn:task elements are manual tasks in SpiffWorkflow: the application completes them
            for task in workflow.get_tasks(state=TaskState.READY, manual=True):
                task.run()

    return run


def rate_spiff(run: Callable[[], None], count: int) -> float:
    for _ in range(5):
        run()
    gc.collect()  # as for our engine's rounds (_timed)
    started = time.perf_counter()
    for _ in range(count):
        run()
    return count / (time.perf_counter() - started)


def bench_in_process(report: Report, ours_count: int, spiff_count: int, rounds: int, profile: Path | None) -> None:
    print("1. in process: our engine vs SpiffWorkflow", flush=True)
    for variant, scripts in (("plain tasks", False), ("script tasks", True)):
        bpmn = plain_diagram(scripts)
        spiff = spiff_runner(bpmn)
        ours_runs: list[float] = []
        spiff_runs: list[float] = []
        for _ in range(rounds):  # interleaved, so that a busy moment of the machine hits both
            ours_runs.append(rate_ours(bpmn, ours_count))
            if spiff is not None:
                spiff_runs.append(rate_spiff(spiff, spiff_count))
        ours = _best_rate(ours_runs)
        what = f"In process, {variant} (6 tasks, parallel split/join)"
        if spiff is None:
            report.add(f"{what}: our engine", f"{ours:,.0f} instances/s")
            report.add(f"{what}: SpiffWorkflow", "not installed: pip install -e '.[bench]'")
            continue
        theirs = _best_rate(spiff_runs)
        report.add(f"{what}: our engine", f"{ours:,.0f} instances/s")
        report.add(f"{what}: SpiffWorkflow 3.x", f"{theirs:,.0f} instances/s")
        ratio = ours / theirs
        report.add(f"{what}: ratio ours / SpiffWorkflow", f"{ratio:.1f}×", "≥ 10×", ratio >= 10)
        if profile is not None:
            path = profile / f"in-process-{variant.replace(' ', '-')}.prof"
            with _profiled(path):
                rate_ours(bpmn, ours_count)
    report.notes.append(
        f"In process: best of {rounds} interleaved rounds; ours {ours_count:,} instances per round on a fresh "
        f"engine (every instance runs to its end inside create_process_instance; the engine keeps the history "
        f"of finished instances), SpiffWorkflow {spiff_count:,} per round (a new BpmnWorkflow each, driven by "
        "do_engine_steps() and completing its ready manual tasks)."
    )


# ============================================================================ 3. durable vs in-memory
def time_jobs(count: int, mode: Callable[[], Engine], batch: int = 100, snapshots: list[int] | None = None) -> Timing:
    """The five-service-task process driven in process by commands, as workers drive it over gRPC: per instance one
    create, then per task an activation (shared by `batch` jobs) and a completion. `snapshots` gets how many
    snapshots a durable engine took meanwhile."""
    engine = mode()
    engine.deploy([("bench-service.bpmn", service_task_diagram())])
    timing: list[Timing] = []
    with _timed(count, timing):
        done = 0
        while done < count:
            size = min(batch, count - done)
            for _ in range(size):
                engine.create_process_instance(bpmn_process_id=E2E_PROCESS_ID)
            for task in range(1, E2E_TASKS + 1):
                for activated in engine.activate_jobs(f"bench-task-{task}", "bench", 60_000, size, []):
                    engine.complete_job(activated.job.key, {"task": task})
            done += size
    assert all(pi.state == "COMPLETED" for pi in engine.process_instances.values())
    if snapshots is not None and isinstance(engine, DurableEngine):
        snapshots.append(engine.snapshots_taken)
    return timing[0]


@dataclass(frozen=True)
class SnapshotFigures:
    replay: float  # opening the directory: the log of `commands` applied (and the snapshot taken after it)
    commands: int
    after_more: float  # a snapshot after SNAPSHOT_MORE more instances finished
    size: int  # bytes of the database
    reopen: float  # opening it again: from the snapshot and its chunks


SNAPSHOT_MORE = 100


def _run_service_instances(engine: Engine, count: int) -> None:
    for _ in range(count // 100):
        for _ in range(100):
            engine.create_process_instance(bpmn_process_id=E2E_PROCESS_ID, variables={"note": "x" * 50})
        for task in range(1, E2E_TASKS + 1):
            for activated in engine.activate_jobs(f"bench-task-{task}", "bench", 60_000, 100, []):
                engine.complete_job(activated.job.key, {"task": task})


def measure_snapshot_and_replay(count: int) -> SnapshotFigures:
    """A durable engine that ran `count` five-service-task instances to completion (no snapshot taken): the time to
    replay its log on opening (which then snapshots everything), the time of a snapshot once SNAPSHOT_MORE more
    instances finished (the live state and what is new: the earlier archive chunks are not written again), the
    database's size and the time to open from that snapshot."""
    with tempfile.TemporaryDirectory(prefix="pbj-bench-") as folder:
        data_dir = Path(folder)
        engine = open_durable_engine(data_dir, snapshot_every=10**9)
        engine.deploy([("bench-service.bpmn", service_task_diagram())])
        _run_service_instances(engine, count)
        commands = engine._durable_store.last_seq
        engine.close(snapshot=False)
        started = time.perf_counter()
        replayed = open_durable_engine(data_dir, snapshot_every=10**9)  # replays, then snapshots
        replay = time.perf_counter() - started
        _run_service_instances(replayed, SNAPSHOT_MORE)
        started = time.perf_counter()
        replayed.snapshot()
        after_more = time.perf_counter() - started
        size = (data_dir / "engine.sqlite3").stat().st_size
        replayed.close(snapshot=False)
        started = time.perf_counter()
        open_durable_engine(data_dir).close(snapshot=False)
        reopen = time.perf_counter() - started
    return SnapshotFigures(replay, commands, after_more, size, reopen)


def bench_modes(report: Report, count: int, rounds: int) -> None:
    print("3. durable vs in-memory", flush=True)
    bpmn = plain_diagram(scripts=False)
    jobs_count = max(count // 5, 200)
    plain_runs: dict[str, list[Timing]] = {mode: [] for mode in ENGINE_MODES}
    jobs_runs: dict[str, list[Timing]] = {mode: [] for mode in ENGINE_MODES}
    for _ in range(rounds):  # interleaved, so that a busy moment of the machine hits every mode
        for mode, factory in ENGINE_MODES.items():
            # fsync per command is slow: fewer instances, same per-instance measure
            scale = 10 if "full" in mode else 1
            plain_runs[mode].append(time_ours(bpmn, count // scale, factory))
            jobs_runs[mode].append(time_jobs(jobs_count // scale, factory))
    plain = {mode: _best_rate([t.rate for t in runs]) for mode, runs in plain_runs.items()}
    jobs = {mode: _best_rate([t.rate for t in runs]) for mode, runs in jobs_runs.items()}
    plain_cpu = {mode: _best_rate([t.cpu_rate for t in runs]) for mode, runs in plain_runs.items()}
    jobs_cpu = {mode: _best_rate([t.cpu_rate for t in runs]) for mode, runs in jobs_runs.items()}
    for mode in ENGINE_MODES:
        for name, rates, cpu_rates in (
            ("plain tasks", plain, plain_cpu),
            ("five service tasks by commands", jobs, jobs_cpu),
        ):
            report.add(
                f"In process, {name}, {mode} mode",
                f"{rates[mode]:,.0f} instances/s ({1e6 / cpu_rates[mode]:,.0f} µs CPU per instance)",
            )
    for mode in ENGINE_MODES:
        if mode == "in-memory":
            continue
        target = "≥ 0.5×" if mode == "durable" else ""
        for name, rates, cpu_rates in (("plain tasks", plain, plain_cpu), ("five service tasks", jobs, jobs_cpu)):
            ratio = rates[mode] / rates["in-memory"]
            met = ratio >= 0.5 if mode == "durable" else None
            report.add(f"{mode.capitalize()} / in-memory, {name}", f"{ratio:.2f}×", target, met)
            cpu_ratio = cpu_rates[mode] / cpu_rates["in-memory"]
            report.add(
                f"{mode.capitalize()} / in-memory, {name}, by CPU time per instance",
                f"{cpu_ratio:.2f}×",
                target,
                cpu_ratio >= 0.5 if mode == "durable" else None,
            )
    crossing_count, crossing, taken = _bench_crossing(rounds)
    report.add(
        f"Durable / in-memory, five service tasks, {crossing_count:,} instances ({min(taken)} snapshots each run), "
        "by CPU time per instance",
        f"{crossing:.2f}×",
        "≥ 0.5×",
        crossing >= 0.5,
    )
    finished = max(count, 2000)
    figures = measure_snapshot_and_replay(finished)
    report.add(
        f"Durable: recovery by replaying {figures.commands:,} commands ({finished:,} instances)",
        f"{figures.replay:.2f} s",
    )
    report.add(
        f"Durable: snapshot after {SNAPSHOT_MORE} more of {finished + SNAPSHOT_MORE:,} finished instances "
        "(event loop paused)",
        f"{figures.after_more:.3f} s (database {figures.size / 1024 / 1024:,.1f} MiB)",
    )
    report.add(f"Durable: recovery from that snapshot ({finished:,} instances)", f"{figures.reopen:.2f} s")
    report.notes.append(
        f"Durable mode: best of {rounds} rounds, each round running every mode in turn (throughput: the best "
        "wall-clock rate; CPU time: the least CPU time per instance, which other work on the machine moves much "
        "less – on a quiet machine the two ratios agree); a command log in SQLite "
        "(WAL, synchronous=NORMAL unless sync=full), one commit per command "
        "before it returns, snapshots every 20,000 commands; in a fresh temporary directory per round. Plain tasks: "
        "one command runs a whole instance; five service tasks: 11 commands per instance (create, 5 activations "
        f"shared by {100} instances, 5 completions)."
    )


def _bench_crossing(rounds: int) -> tuple[int, float, list[int]]:
    """The five-service-task ratio over runs long enough to cross the snapshot interval twice (about 6 commands per
    instance): what a snapshot costs is in the figure. Best CPU time of `rounds` interleaved rounds each."""
    count = 2 * DEFAULT_SNAPSHOT_EVERY // 6 + 1_000
    in_memory: list[Timing] = []
    durable: list[Timing] = []
    taken: list[int] = []
    for _ in range(rounds):
        in_memory.append(time_jobs(count, in_memory_engine))
        durable.append(time_jobs(count, durable_engine, snapshots=taken))
    ratio = _best_rate([t.cpu_rate for t in durable]) / _best_rate([t.cpu_rate for t in in_memory])
    return count, ratio, taken


# ============================================================================ 4. memory
def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_memory(count: int) -> dict[str, int]:
    """Run in a fresh subprocess, so that memory freed by the other cases does not hide the growth."""
    engine = in_memory_engine()
    engine.deploy([("timer.bpmn", timer_diagram())])
    engine.create_process_instance(bpmn_process_id=TIMER_PROCESS_ID)
    gc.collect()
    before = _rss_bytes()
    for _ in range(count):
        engine.create_process_instance(bpmn_process_id=TIMER_PROCESS_ID)
    gc.collect()
    rss = _rss_bytes() - before
    assert len(engine.timers) == count + 1
    del engine
    gc.collect()

    engine = in_memory_engine()
    engine.deploy([("timer.bpmn", timer_diagram())])
    engine.create_process_instance(bpmn_process_id=TIMER_PROCESS_ID)
    gc.collect()
    records_before = len(engine.records)
    tracemalloc.start()
    traced_before = tracemalloc.get_traced_memory()[0]
    for _ in range(count):
        engine.create_process_instance(bpmn_process_id=TIMER_PROCESS_ID)
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - traced_before
    tracemalloc.stop()
    return {"rss": rss, "traced": traced, "records": len(engine.records) - records_before}


def bench_memory(report: Report, count: int) -> None:
    print(f"4. memory of {count:,} instances waiting at a timer", flush=True)
    output = subprocess.run(
        [sys.executable, __file__, "--measure-memory", str(count)], capture_output=True, text=True, check=True
    ).stdout
    measured = json.loads(output.splitlines()[-1])
    rss, traced = measured["rss"], measured["traced"]
    mib = 1024 * 1024
    report.add(
        f"Memory, {count:,} instances waiting at a timer: RSS delta (/proc/self/statm)",
        f"{rss / mib:,.1f} MiB ({rss / count / 1024:,.1f} KiB per instance)",
    )
    report.add(
        f"Memory, {count:,} instances waiting at a timer: allocated by Python (tracemalloc)",
        f"{traced / mib:,.1f} MiB ({traced / count / 1024:,.1f} KiB per instance, incl. "
        f"{measured['records'] / count:.0f} history records each)",
    )
    report.notes.append(
        "Memory: measured in a fresh subprocess; RSS delta from /proc/self/statm around creating the instances "
        "(gc.collect() before each reading), then, in a second engine, the growth of what tracemalloc traces."
    )


# ============================================================================ 2. end to end over gRPC
def _serve_engine(records_out: str, profile_out: str, data_dir: str = "") -> None:
    """The subprocess: an engine with a real clock serving the gateway gRPC API on a free port, as `pbj engine`
    does (without REST): in memory, or durable on `data_dir`. Prints the port; on SIGTERM writes
    {job key: JOB CREATED time}."""
    from engine.server import EngineServer

    engine = open_durable_engine(Path(data_dir)) if data_dir else Engine()
    profiler = cProfile.Profile() if profile_out else None

    async def main() -> None:
        server = EngineServer(engine, host="127.0.0.1", port=0, rest_port=None)
        await server.start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print(server.ports.grpc, flush=True)
        if profiler is not None:
            profiler.enable()
        await stop.wait()
        if profiler is not None:
            profiler.disable()
        await server.stop(0)

    asyncio.run(main())
    created = {
        str(record.key): record.timestamp.timestamp()
        for record in engine.records
        if record.value_type == "JOB" and record.intent == "CREATED"
    }
    Path(records_out).write_text(json.dumps(created))
    if profiler is not None:
        profiler.dump_stats(profile_out)


@dataclass
class E2EResult:
    rate: float
    light: list[float]  # push latencies (seconds) at light load
    loaded: list[float]  # under full load


class _EngineProcess:
    def __init__(self, profile_out: Path | None, *, durable: bool = False) -> None:
        self._records = tempfile.NamedTemporaryFile(suffix=".json", delete=False)  # noqa: SIM115
        self._records.close()
        self._data_dir = tempfile.TemporaryDirectory(prefix="pbj-bench-") if durable else None
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve-engine", self._records.name, "--serve-profile", str(profile_out or "")]
            + (["--serve-data-dir", self._data_dir.name] if self._data_dir else []),
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the engine process has used so far: unlike a rate, not slowed by other
        work on the machine."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> dict[int, float]:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        created = json.loads(Path(self._records.name).read_text() or "{}")
        os.unlink(self._records.name)
        if self._data_dir is not None:
            self._data_dir.cleanup()
        return {int(key): value for key, value in created.items()}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def _e2e(
    port: int, count: int, light: int, in_flight: int, workers: int, stream: bool
) -> tuple[float, dict[int, float], set[int], set[int]]:
    """Warm-up, then `light` instances one at a time, then `count` with `in_flight` concurrent callers. Returns
    (instances/s under load, handler entry time per job key, job keys of the light phase, of the loaded phase)."""
    from pyzeebe import Job, ZeebeClient, ZeebeWorker, create_insecure_channel

    entered: dict[int, float] = {}

    def handler_for() -> Callable[[Job], Any]:
        async def handler(job: Job) -> dict[str, Any]:
            entered[job.key] = time.time()
            return {}

        return handler

    address = f"127.0.0.1:{port}"
    channels = [create_insecure_channel(grpc_address=address) for _ in range(workers + 1)]
    client = ZeebeClient(channels[0])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-service-tasks.bpmn"
        path.write_bytes(service_task_diagram())
        await client.deploy_resource(str(path))
    running: list[tuple[Any, asyncio.Task[None]]] = []
    for n in range(workers):
        worker = ZeebeWorker(channels[n + 1], name=f"bench-{n}", stream_enabled=stream)
        for i in range(1, E2E_TASKS + 1):
            worker.task(task_type=f"bench-task-{i}", max_jobs_to_activate=32, max_running_jobs=64)(handler_for())
        running.append((worker, asyncio.create_task(worker.work())))

    async def one() -> None:
        response = await client.run_process_with_result(E2E_PROCESS_ID, timeout=120_000)
        assert response.process_instance_key > 0

    try:
        for _ in range(E2E_WARM_UP):  # connections, streams, first polls
            await one()
        await asyncio.sleep(0.2)
        seen = set(entered)
        for _ in range(light):
            await one()
            await asyncio.sleep(0.002)  # let the worker's next long poll arrive
        light_keys = set(entered) - seen
        seen = set(entered)
        remaining = count

        async def caller() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await one()

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(in_flight)))
        elapsed = time.perf_counter() - started
        loaded_keys = set(entered) - seen
    finally:
        for worker, task in running:
            await worker.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for channel in channels:
            await channel.close(None)
    return count / elapsed, entered, light_keys, loaded_keys


def bench_end_to_end(
    report: Report, count: int, light: int, in_flight: int, workers: int, profile: Path | None
) -> None:
    print("2. end to end over gRPC with pyzeebe workers", flush=True)
    rates: dict[str, float] = {}
    cpu_per_instance: dict[str, float] = {}
    for label, stream, durable in (
        ("long polling", False, False),
        ("job streaming", True, False),
        ("long polling, durable engine", False, True),
    ):
        profile_out = profile / f"e2e-engine-{label.replace(' ', '-').replace(',', '')}.prof" if profile else None
        engine_process = _EngineProcess(profile_out, durable=durable)
        try:
            cpu_before = engine_process.cpu_seconds()
            with _profiled(profile / f"e2e-workers-{label.replace(' ', '-')}.prof" if profile else None):
                rate, entered, light_keys, loaded_keys = asyncio.run(
                    _e2e(engine_process.port, count, light, in_flight, workers, stream)
                )
            cpu = engine_process.cpu_seconds() - cpu_before
        finally:
            created = engine_process.stop()

        light_ms = [1000 * (entered[k] - created[k]) for k in light_keys if k in created]
        loaded_ms = [1000 * (entered[k] - created[k]) for k in loaded_keys if k in created]
        what = f"End to end, 5 service tasks, pyzeebe {label}"
        rates[label] = rate
        report.add(f"{what}: throughput ({in_flight} in flight)", f"{rate:,.0f} instances/s", "≥ 300", rate >= 300)
        p50 = statistics.median(light_ms)
        report.add(
            f"{what}: push latency at light load, p50 / p99",
            f"{p50:.2f} / {_percentile(light_ms, 99):.2f} ms ({len(light_ms)} jobs)",
            "p50 < 5 ms",
            p50 < 5,
        )
        report.add(
            f"{what}: push latency under full load, p50 / p99",
            f"{statistics.median(loaded_ms):.2f} / {_percentile(loaded_ms, 99):.2f} ms ({len(loaded_ms)} jobs)",
        )
        instances = count + light + E2E_WARM_UP
        cpu_per_instance[label] = 1000 * cpu / instances
        report.add(f"{what}: engine process CPU per instance", f"{cpu_per_instance[label]:.2f} ms")
    ratio = rates["long polling, durable engine"] / rates["long polling"]
    report.add("End to end, long polling: durable / in-memory throughput", f"{ratio:.2f}×", "≥ 0.5×", ratio >= 0.5)
    cpu_ratio = cpu_per_instance["long polling"] / cpu_per_instance["long polling, durable engine"]
    report.add(
        "End to end, long polling: in-memory / durable engine CPU per instance (the bound of the throughput ratio)",
        f"{cpu_ratio:.2f}×",
        "≥ 0.5×",
        cpu_ratio >= 0.5,
    )
    report.notes.append(
        f"End to end: the engine runs in a subprocess (as `pbj engine --in-memory`, or `pbj engine --data-dir` on a "
        f"fresh temporary directory for the durable row; real clock), the {workers} "
        f"pyzeebe worker(s) (one poller per job type, up to 32 jobs per activation, 64 running) and the client "
        f"in this process; {count:,} instances under load through CreateProcessInstanceWithResult from "
        f"{in_flight} concurrent callers, {light} instances one at a time for the light-load latency. Push "
        "latency = handler entered (time.time() in the worker) - the engine's JOB CREATED record timestamp "
        "(same system clock). Engine CPU per instance: the engine process's user + system time over the whole run "
        "(warm-up, light and full load) divided by its instances; the engine is the bottleneck, so the ratio of "
        "these bounds the durable/in-memory throughput ratio, and unlike throughput hardly moves with other load."
    )


# ============================================================================ main
def machine_info() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()}"
    )


def spiff_version() -> str:
    try:
        from importlib.metadata import version

        return version("SpiffWorkflow")
    except Exception:  # only for the header
        return "not installed"


def render(report: Report) -> str:
    lines = ["| Measure | Result | Target | Met |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.measure} | {r.result} | {r.target} | {r.met} |" for r in report.rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small counts, one round: ~10 s (full run ~1 min)")
    parser.add_argument("--rounds", type=int, help="in-process rounds, best taken (default 3, quick 1)")
    parser.add_argument("--instances", type=int, help="in-process instances per round, ours (default 5000)")
    parser.add_argument("--spiff-instances", type=int, help="in-process instances per round, SpiffWorkflow")
    parser.add_argument("--e2e-instances", type=int, help="end-to-end instances under load (default 3000)")
    parser.add_argument("--e2e-light", type=int, help="end-to-end instances one at a time (default 200)")
    parser.add_argument("--in-flight", type=int, default=64, help="concurrent CreateProcessInstanceWithResult")
    parser.add_argument("--workers", type=int, default=1, help="pyzeebe ZeebeWorker objects (default 1)")
    parser.add_argument("--timer-instances", type=int, help="instances waiting at a timer (default 10000)")
    parser.add_argument("--only", choices=["in-process", "e2e", "modes", "memory"], action="append")
    parser.add_argument("--profile", type=Path, help="write cProfile files here and print their top functions")
    parser.add_argument("--serve-engine", help=argparse.SUPPRESS)  # the end-to-end engine subprocess
    parser.add_argument("--serve-profile", default="", help=argparse.SUPPRESS)
    parser.add_argument("--serve-data-dir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--measure-memory", type=int, help=argparse.SUPPRESS)  # the memory subprocess
    args = parser.parse_args(argv)
    if args.measure_memory:
        print(json.dumps(measure_memory(args.measure_memory)))
        return 0
    if args.serve_engine:
        _serve_engine(args.serve_engine, args.serve_profile, args.serve_data_dir)
        return 0
    quick = args.quick
    rounds = args.rounds or (1 if quick else 3)
    ours = args.instances or (1000 if quick else 5000)
    spiff = args.spiff_instances or (300 if quick else 1000)
    e2e = args.e2e_instances or (500 if quick else 3000)
    light = args.e2e_light or (50 if quick else 200)
    timer = args.timer_instances or (2000 if quick else 10_000)
    only = set(args.only or ["in-process", "e2e", "modes", "memory"])
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    report = Report()
    started = time.perf_counter()
    load_before = os.getloadavg()
    if "in-process" in only:
        bench_in_process(report, ours, spiff, rounds, args.profile)
    if "e2e" in only:
        bench_end_to_end(report, e2e, light, args.in_flight, args.workers, args.profile)
    if "modes" in only:
        bench_modes(report, ours, rounds)
    if "memory" in only:
        bench_memory(report, timer)
    load = f"load average {load_before[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    print(
        f"\nMachine: {machine_info()}; SpiffWorkflow {spiff_version()}; took {time.perf_counter() - started:.0f} s; "
        f"{load} (other work on the machine slows both engines)\n"
    )
    print(render(report))
    for note in report.notes:
        print(f"\n- {note}")
    if args.profile:
        for path in sorted(args.profile.glob("*.prof")):
            print_profile(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
