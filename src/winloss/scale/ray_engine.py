"""`--engine ray`: a pool of Ray actors, each loading the model once, on a local or remote Ray cluster.

Actors receive the job's payload as the task ships it (a recording's bytes, so cluster nodes need no access to the
driver's disk) and return plain values; the driver writes everything. Actors are named
`winloss-<task>-<driver pid>-<n>` so `ray list actors` shows which run they belong to.
"""
from __future__ import annotations

import itertools
import logging
import os
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from winloss.scale.executor import (
    Attempts,
    EngineUnavailable,
    Failed,
    OnProgress,
    Outcome,
    SetupError,
    Task,
    describe,
)

# Workers must be as offline as the driver, their OpenMP threads must not spin (see audio/decode.py), and their
# matrix products must keep their bits as the driver's do (winloss/__init__.py).
WORKER_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_WAIT_POLICY": "PASSIVE",
              "MKL_CBWR": os.environ.get("MKL_CBWR", "AUTO,STRICT"),
              "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error"}


_SERIAL = itertools.count(1)  # actor names are unique within this driver, over every executor it opens


class _Worker:
    """The body of one Ray actor: the task's state (its model) lives here between jobs."""

    def __init__(self, task: Task, threads: int):
        self.task, self.threads, self.state = task, threads, None

    def setup(self) -> str:
        try:
            self.state = self.task.setup(self.threads)
        except SetupError as exc:
            return str(exc)
        return ""

    def run(self, payload: Any) -> Any:
        return self.task.run(self.state, payload, lambda done: None)


class RayExecutor:
    engine = "ray"

    def __init__(self, address: str = "", workers: int = 0, retries: int = 2, threads: int = 0):
        try:
            import ray
        except ImportError:
            raise EngineUnavailable("the ray engine needs Ray: pip install 'winloss[ray]'") from None
        self.retries = retries
        self.threads = threads or 1
        self.retried = 0
        self._started = not ray.is_initialized()
        self._pools: dict[Task, list] = {}  # ready actors kept between maps, so each loads its model once per run
        if self._started:
            options: dict = {"namespace": "winloss", "log_to_driver": False, "logging_level": logging.WARNING,
                             "runtime_env": {"env_vars": WORKER_ENV}}
            if not address:
                options.update(include_dashboard=False, num_cpus=(workers * self.threads) or None)
            try:
                ray.init(address=address or "local", **options)  # "local": a new cluster, never a stale one
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise EngineUnavailable(f"cannot join the Ray cluster at {address or '(new local)'}: {describe(exc)}") from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = workers or max(1, cpus // self.threads)

    def map(self, task: Task, payloads: Sequence[Any], on_progress: OnProgress | None = None) -> Iterator[Outcome]:
        import ray
        from ray.exceptions import RayActorError, RayError, RayTaskError

        actor_class = ray.remote(num_cpus=self.threads, max_restarts=0, max_task_retries=0)(_Worker)
        attempts = Attempts(self.retries)
        pending = deque(range(len(payloads)))
        setups: dict[Any, Any] = {}  # setup ref -> actor
        running: dict[Any, tuple[Any, int]] = {}  # run ref -> (actor, job index)
        idle: list[Any] = self._pools.pop(task, [])
        self._release_pools()  # another task's idle actors would hold the CPUs this task's actors need
        lost_in_setup = 0

        def start() -> None:
            actor = actor_class.options(name=f"winloss-{task.name}-{os.getpid()}-{next(_SERIAL)}").remote(task, self.threads)
            setups[actor.setup.remote()] = actor

        try:
            for _ in range(min(self.workers, len(payloads)) - len(idle)):
                start()
            while pending or running:
                while idle and pending:
                    index = pending.popleft()
                    attempts.start(index)
                    actor = idle.pop()
                    running[actor.run.remote(task.ship(payloads[index]))] = (actor, index)
                if not setups and not running:
                    break  # every actor was lost while loading
                (ref,), _ = ray.wait([*setups, *running], num_returns=1)
                if ref in setups:
                    actor = setups.pop(ref)
                    try:
                        problem = ray.get(ref)
                    except RayError:
                        lost_in_setup += 1
                        ray.kill(actor)
                        if lost_in_setup <= self.retries + self.workers:
                            start()
                        continue
                    if problem:  # the model cannot load: no actor of this task can do anything
                        ray.kill(actor)
                        yield from (Failed(i, problem, 0) for i in pending)
                        pending.clear()
                    else:
                        idle.append(actor)
                    continue
                actor, index = running.pop(ref)
                try:
                    value = ray.get(ref)
                except RayTaskError as exc:  # the job raised: the actor is fine
                    idle.append(actor)
                    final = attempts.failed(index, describe(exc.cause if getattr(exc, "cause", None) else exc))
                except (RayActorError, RayError) as exc:  # the actor (or its node) is gone: a fresh one takes over
                    ray.kill(actor)
                    final = attempts.failed(index, f"Ray worker lost ({type(exc).__name__})")
                    if final is None or pending:
                        start()
                else:
                    yield attempts.outcome(index, value)
                    idle.append(actor)
                    continue
                if final is None:
                    pending.appendleft(index)
                else:
                    yield final
            yield from (Failed(i, "Ray workers kept dying while loading the model", 0) for i in pending)
        finally:
            self.retried += attempts.retried
            self._pools[task] = idle
            for actor in [*setups.values(), *(a for a, _ in running.values())]:
                ray.kill(actor)

    def _release_pools(self) -> None:
        import ray

        for actor in (a for pool in self._pools.values() for a in pool):
            ray.kill(actor)
        self._pools.clear()

    def close(self) -> None:
        import ray

        self._release_pools()
        if self._started and ray.is_initialized():
            ray.shutdown()
