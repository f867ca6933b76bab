"""One way to run many independent jobs: in this process, in worker processes, or on Ray actors.

A Task is a picklable description of the work: `setup(threads)` loads what a worker needs once (a model), `run(state,
payload, report)` computes one job and returns a plain value. Workers only compute; the driver receives the values
in its own process, where it writes every file and cache, so where a job ran can never change an output.

Failures: a task returns `Rejected(message)` for a payload that can never succeed (a corrupt file), which is
reported at once. A job that raises, or whose worker dies, is tried again up to `retries` more times, on a fresh
worker when the old one died, and then reported as Failed.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from winloss.errors import ConfigError

Report = Callable[[float], None]  # a job's progress, in the task's own unit (audio seconds done)
OnProgress = Callable[[int, float], None]  # (job index, progress) on the driver


class EngineUnavailable(ConfigError):
    """The chosen engine cannot run here (Ray not installed, cluster unreachable); the message says what to do."""


class SetupError(Exception):
    """A worker cannot be set up at all (the model cannot be loaded): every job fails with this message."""


@dataclass(frozen=True)
class Rejected:
    """A job's answer that the payload itself is bad: reported as is, never retried."""

    message: str


@dataclass(frozen=True)
class Done:
    index: int
    value: Any
    attempts: int


@dataclass(frozen=True)
class Failed:
    index: int
    message: str
    attempts: int


Outcome = Done | Failed


class Task(Protocol):
    name: str

    def setup(self, threads: int) -> Any: ...

    def run(self, state: Any, payload: Any, report: Report) -> Any: ...

    def ship(self, payload: Any) -> Any:
        """The payload as a worker without the driver's disk needs it (the recording's bytes, not its path)."""
        ...


class Executor(Protocol):
    engine: str
    workers: int
    retries: int
    retried: int  # jobs run again so far, over every map

    def map(self, task: Task, payloads: Sequence[Any], on_progress: OnProgress | None = None) -> Iterator[Outcome]:
        """Every payload's outcome, in the order they finish."""
        ...

    def close(self) -> None: ...


class Attempts:
    """The retry bookkeeping every executor shares."""

    def __init__(self, retries: int):
        self.retries = retries
        self.count: dict[int, int] = {}
        self.retried = 0  # jobs run again after a failure or a lost worker

    def start(self, index: int) -> None:
        self.count[index] = self.count.get(index, 0) + 1

    def outcome(self, index: int, value: Any) -> Outcome:
        if isinstance(value, Rejected):
            return Failed(index, value.message, self.count[index])
        return Done(index, value, self.count[index])

    def failed(self, index: int, reason: str) -> Failed | None:
        """None when the job gets another try, else its final Failed outcome."""
        if self.count[index] <= self.retries:
            self.retried += 1
            return None
        tries = self.count[index]
        return Failed(index, f"{reason} (gave up after {tries} attempt{'s' if tries > 1 else ''})", tries)


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


class LocalExecutor:
    """Today's loop: the jobs one after another in this process, with the model loaded once."""

    engine = "local"
    workers = 1

    def __init__(self, retries: int = 2, threads: int = 0):
        self.retries = retries
        self.threads = threads
        self.retried = 0

    def map(self, task: Task, payloads: Sequence[Any], on_progress: OnProgress | None = None) -> Iterator[Outcome]:
        attempts = Attempts(self.retries)
        try:
            state = task.setup(self.threads)
        except SetupError as exc:
            yield from (Failed(i, str(exc), 0) for i in range(len(payloads)))
            return
        for index, payload in enumerate(payloads):
            report = (lambda done, i=index: on_progress(i, done)) if on_progress else (lambda done: None)
            while True:
                attempts.start(index)
                try:
                    value = task.run(state, payload, report)
                except Exception as exc:  # noqa: BLE001 - any error of one job is that job's, retried then reported
                    final = attempts.failed(index, describe(exc))
                    if final is None:
                        continue
                    yield final
                else:
                    yield attempts.outcome(index, value)
                break
        self.retried += attempts.retried

    def close(self) -> None:
        pass


def open_executor(settings) -> Executor:
    """The executor a ScaleSettings asks for. Ray is imported only here, and only for engine = "ray"."""
    if settings.engine == "ray":
        from winloss.scale.ray_engine import RayExecutor

        return RayExecutor(settings.address, settings.workers, settings.retries, settings.threads)
    if settings.workers > 1:
        from winloss.scale.processes import ProcessExecutor

        return ProcessExecutor(settings.workers, settings.retries, settings.threads)
    return LocalExecutor(settings.retries, settings.threads)
