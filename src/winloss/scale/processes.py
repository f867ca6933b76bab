"""`--workers N`: N worker processes on this machine, each with its own model and its own share of the cores.

Each worker holds one job at a time over its own pipe, so when a process dies the driver knows exactly which job
it held: that job alone is retried, on a fresh process.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from winloss.scale.executor import (
    Attempts,
    Failed,
    OnProgress,
    Outcome,
    SetupError,
    Task,
    describe,
)

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
PROGRESS_INTERVAL_S = 0.5  # a worker sends its progress at most this often


def _serve(conn: Connection, threads: int) -> None:
    """A worker process: set its thread budget before any numeric library loads, then run jobs until told to stop."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    task = conn.recv()  # unpickling the task is what imports the heavy modules, after the budget is set
    try:
        state = task.setup(threads)
    except Exception as exc:  # noqa: BLE001 - whatever stops the model loading stops this worker
        conn.send(("setup_failed", str(exc) if isinstance(exc, SetupError) else describe(exc)))
        return
    conn.send(("ready", os.getpid()))
    while (message := conn.recv()) is not None:
        index, payload = message
        last = [0.0]

        def report(done: float, index=index, last=last) -> None:
            if time.monotonic() - last[0] >= PROGRESS_INTERVAL_S:
                last[0] = time.monotonic()
                conn.send(("progress", index, done))

        try:
            value = task.run(state, payload, report)
        except Exception as exc:  # noqa: BLE001 - the driver decides whether to retry
            conn.send(("error", index, describe(exc)))
        else:
            conn.send(("done", index, value))


@dataclass
class _Slot:
    process: Any
    conn: Connection
    ready: bool = False
    job: int | None = None


class ProcessExecutor:
    engine = "processes"

    def __init__(self, workers: int, retries: int = 2, threads: int = 0):
        self.workers = workers
        self.retries = retries
        self.threads = threads or max(1, (os.cpu_count() or 1) // workers)
        self.retried = 0
        self.pids: list[int] = []  # every worker process started, for the curious (and the tests)

    def map(self, task: Task, payloads: Sequence[Any], on_progress: OnProgress | None = None) -> Iterator[Outcome]:
        context = multiprocessing.get_context("spawn")  # a fork of a process with live OpenMP threads can hang
        attempts = Attempts(self.retries)
        pending = deque(range(len(payloads)))
        slots: list[_Slot] = []
        lost_in_setup = 0

        def start() -> _Slot:
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, self.threads), daemon=True)
            process.start()
            theirs.close()
            ours.send(task)
            self.pids.append(process.pid)
            return _Slot(process, ours)

        try:
            slots = [start() for _ in range(min(self.workers, len(payloads)))]
            while slots and (pending or any(s.job is not None for s in slots)):
                for slot in slots:
                    if slot.ready and slot.job is None and pending:
                        slot.job = pending.popleft()
                        attempts.start(slot.job)
                        slot.conn.send((slot.job, payloads[slot.job]))
                wait([s.conn for s in slots] + [s.process.sentinel for s in slots])
                for position, slot in enumerate(list(slots)):
                    try:
                        while slot.conn.poll():
                            kind, *rest = slot.conn.recv()
                            if kind == "ready":
                                slot.ready = True
                            elif kind == "setup_failed":
                                yield from (Failed(i, rest[0], 0) for i in pending)
                                pending.clear()
                            elif kind == "progress" and on_progress:
                                on_progress(*rest)
                            elif kind in ("done", "error"):
                                index, value = rest
                                slot.job = None
                                outcome = attempts.outcome(index, value) if kind == "done" else attempts.failed(index, value)
                                if outcome is None:
                                    pending.appendleft(index)
                                else:
                                    yield outcome
                    except (EOFError, OSError):
                        pass  # the pipe closed: the process is gone, handled below
                    if slot.process.is_alive():
                        continue
                    slot.process.join()
                    if slot.job is not None:
                        final = attempts.failed(slot.job, f"worker process died (exit code {slot.process.exitcode})")
                        if final is None:
                            pending.appendleft(slot.job)
                        else:
                            yield final
                    elif not slot.ready:
                        lost_in_setup += 1
                    slots.remove(slot)
                    if pending and lost_in_setup <= self.retries + self.workers:
                        slots.insert(position, start())
            # Only reached with work left when every worker kept dying before it was ready.
            yield from (Failed(i, "worker processes kept dying while loading the model", 0) for i in pending)
        finally:
            self.retried += attempts.retried
            for slot in slots:
                _stop(slot)

    def close(self) -> None:
        pass


def _stop(slot: _Slot) -> None:
    try:
        slot.conn.send(None)
    except (OSError, ValueError):
        pass
    slot.process.join(timeout=5)
    if slot.process.is_alive():
        slot.process.kill()
        slot.process.join()
    slot.conn.close()
