"""What the benchmarks record beside wall time on a shared machine: CPU seconds of the whole process tree (driver,
worker processes, a local Ray cluster's raylet and actors) and the load average, plus the real texts they use.

The project's machine has 2 cores shared with other jobs, so a wall time alone says little: CPU seconds show the
work done, the load average how many others wanted the same cores at the time.
"""
from __future__ import annotations

import csv
import json
import os
import platform
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / "benchmarks" / ".cache"  # built once, reused by later runs (git-ignored)
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """utime + stime + cutime + cstime of one process (its reaped children included), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICKS


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*/children") if Path(f"/proc/{p}").exists() else []:
            try:
                kids = [int(k) for k in task.read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            out += kids
            todo += kids
    return out


def tree_cpu_s() -> float:
    """CPU seconds used so far by this process and every live descendant (and the ones they have reaped)."""
    me = os.getpid()
    return _cpu_of(me) + sum(_cpu_of(p) for p in _descendants(me))


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_at_start": load()}


@contextmanager
def measured(record: dict):
    """Fill `record` with wall_s, cpu_s (process tree) and the 1-minute load average before and after."""
    load_before, cpu0, t0 = os.getloadavg()[0], tree_cpu_s(), time.perf_counter()
    yield record
    record["wall_s"] = round(time.perf_counter() - t0, 2)
    record["cpu_s"] = round(tree_cpu_s() - cpu0, 2)
    record["load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]


def utterances() -> list[tuple[str, str]]:
    """All 36,778 distinct real utterances of Banking77 (train, test) and CLINC150 (every split), with their intent,
    in a fixed order."""
    rows: list[tuple[str, str]] = []
    for name in ("train.csv", "test.csv"):
        with (DATA / "banking77" / name).open(encoding="utf-8") as handle:
            rows += [(row["text"], "b77:" + row["category"]) for row in csv.DictReader(handle)]
    full = json.loads((DATA / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    rows += [(text, "clinc:" + intent) for part in ("train", "val", "test", "oos_train", "oos_val", "oos_test")
             for text, intent in full[part]]
    seen: set[str] = set()
    return [(t, lab) for t, lab in rows if not (t in seen or seen.add(t))]
