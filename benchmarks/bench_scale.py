"""Scale-out benchmark: transcription throughput on 1 and 2 workers (in-process, worker processes, a local Ray
cluster), the per-file overhead of each engine against the bare in-process loop, embedding throughput on every
distinct Banking77 + CLINC150 utterance, and the clustering stage at 10k / 30k / 100k statements with its growth
exponent. Every engine's transcripts and vectors are checked to be identical to the local ones. Each figure comes
with the CPU seconds of the whole process tree and the load average, because the project's machine is shared.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_scale.py [--sections transcription,embedding,clustering]
        [--embed-n 36778] [--ray-embed-n 8192] [--cluster-sizes 10000,30000,100000]

Sections can run one at a time, and clustering one size at a time (on 2 shared cores 100k alone takes ~15 min);
results are merged into benchmarks/results/scale.json. The embedding section must run first: it leaves the
utterances' vectors in benchmarks/.cache (statement_vectors.npy, and embeddings/ for bench_serve.py's study).
Beyond the 36,778 distinct utterances, the clustering statements are stand-ins (see statement_vectors).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import soundfile as sf
from measure import CACHE, DATA, ROOT, load, machine, measured, utterances

from winloss.audio import AudioSettings, ensure_transcripts
from winloss.audio.cache import TranscriptCache
from winloss.models import Interview
from winloss.scale import LocalExecutor
from winloss.scale.processes import ProcessExecutor
from winloss.themes.clustering import find_themes
from winloss.themes.embedding import Embedder

RESULTS = ROOT / "benchmarks" / "results"
CLIPS = [DATA / "faster_whisper_audio" / "jfk.flac", DATA / "lhotse_speech_fixtures" / "2412-153948-0000.flac",
         DATA / "lhotse_speech_fixtures" / "2412-153948-0001.flac", DATA / "pyannote_sample_conversation" / "sample.wav"]
WARM_UP = DATA / "lhotse_speech_fixtures" / "LJ002-0020.wav"
STATEMENTS_PER_INTERVIEW = 20  # to give the clustering stage interview groups of a realistic size
SLICE = 4096  # texts per encode() call, so the throughput is seen at growing n


def transcribe_with(executor, settings: AudioSettings, work: Path) -> tuple[dict, dict[str, bytes]]:
    study = Path(tempfile.mkdtemp(prefix=f"study-{executor.engine}-", dir=work))
    (study / "rec").mkdir(parents=True)
    interviews = []
    for i, clip in enumerate(CLIPS):
        shutil.copy(clip, study / "rec" / clip.name)
        interviews.append(Interview(f"I{i}", "won", study / "rec" / clip.name, 2))
    with measured({}) as figures:
        batch = ensure_transcripts(study, interviews, settings, progress=False, executor=executor)
    assert not batch.problems, batch.problems
    cache = TranscriptCache(study / ".winloss")
    dumped = json.dumps(cache.dump(), sort_keys=True).encode()
    cache.close()
    return figures, {**{f.name: f.read_bytes() for f in sorted((study / "transcripts").glob("*.vtt"))}, "cache": dumped}


def transcription(work: Path) -> dict:
    from winloss.scale.ray_engine import RayExecutor

    audio_s = sum(float(sf.info(str(c)).duration) for c in CLIPS)
    # Imports and the in-process models are loaded once before timing, so the baseline is a warm loop; a worker's
    # start-up and model load are part of what it costs and stay in its figure.
    for settings in (AudioSettings(threads=1), AudioSettings()):
        ensure_transcripts(work / f"warm-{settings.threads}", [Interview("W", "won", WARM_UP, 2)], settings,
                           progress=False)
    rows, reference = [], None

    def measure(label, executor, settings):
        nonlocal reference
        figures, out = transcribe_with(executor, settings, work)
        reference = reference or out
        same_vtt = all(out[k] == reference[k] for k in reference if k != "cache")
        rows.append({"config": label, "workers": executor.workers, **figures,
                     "audio_h_per_h": round(audio_s / figures["wall_s"], 3), "audio_h_per_cpu_h":
                     round(audio_s / figures["cpu_s"], 2), "identical_transcripts": same_vtt,
                     "identical_cache": out["cache"] == reference["cache"]})
        print(f"  {label}: {rows[-1]}", flush=True)

    measure("bare in-process loop, 1 thread", LocalExecutor(), AudioSettings(threads=1))
    measure("in-process loop, 2 threads (default)", LocalExecutor(), AudioSettings())
    processes = ProcessExecutor(2, threads=1)
    measure("2 worker processes x 1 thread, cold", processes, AudioSettings())
    measure("2 worker processes x 1 thread, again (each run starts its workers)", processes, AudioSettings())
    processes.close()
    # One actor, then two: each executor is closed before the next starts, so no idle actor holds a CPU.
    for n in (1, 2):
        ray = RayExecutor(workers=n, threads=1)
        try:
            measure(f"Ray, {n} actor{'s' if n > 1 else ''} x 1 thread, cold", ray, AudioSettings())
            measure(f"Ray, {n} actor{'s' if n > 1 else ''} x 1 thread, warm (actors reused)", ray, AudioSettings())
        finally:
            ray.close()
    # Against the warm bare loop: a cold worker's figure includes its start-up and model load, a warm one's only
    # what shipping bytes and results costs per file.
    bare = rows[0]["wall_s"]
    for row in rows:
        row["overhead_per_file_s"] = round((row["wall_s"] - bare) / len(CLIPS), 2) if row["workers"] == 1 else None
    return {"files": len(CLIPS), "audio_s": round(audio_s, 1), "runs": rows}


def embedding(n: int, ray_n: int, work: Path) -> dict:
    """Local, empty cache, every distinct utterance; then Ray on the first slice, compared with the local vectors."""
    from winloss.scale.ray_engine import RayExecutor

    texts = [t for t, _ in utterances()][:n]
    local = Embedder(cache_dir=work / "emb-local")
    _ = local.model  # loaded before timing: a run pays it once, whatever n is
    slices, vectors = [], []
    with measured({"n": len(texts)}) as total:
        for lo in range(0, len(texts), SLICE):
            with measured({"from": lo, "n": len(texts[lo: lo + SLICE])}) as part:
                vectors.append(local.encode(texts[lo: lo + SLICE]))
            part["per_s"] = round(part["n"] / part["wall_s"], 1)
            slices.append(part)
            print(f"  embed local {part}", flush=True)
    total["per_s"] = round(total["n"] / total["wall_s"], 1)
    total["per_cpu_s"] = round(total["n"] / total["cpu_s"], 1)
    local.close()
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "embeddings").mkdir(exist_ok=True)
    shutil.copy(work / "emb-local" / "embeddings.sqlite", CACHE / "embeddings" / "embeddings.sqlite")
    np.save(CACHE / "statement_vectors.npy", np.concatenate(vectors))

    # Ray gets the local run's first two slices, as two encode() calls like the local ones (the same chunks, so
    # the vectors must be the same bytes): the first pays for starting the actors, the second is warm.
    on_ray = []
    ray = RayExecutor(workers=2, threads=1)
    try:
        remote = Embedder(cache_dir=work / "emb-ray", executor=ray)
        for k, label in enumerate(("cold", "warm")[: min(2, len(vectors), max(1, ray_n // SLICE))]):
            part = texts[k * SLICE: (k + 1) * SLICE]
            with measured({"actors": label, "n": len(part)}) as row:
                got = remote.encode(part)
            row["per_s"] = round(row["n"] / row["wall_s"], 1)
            row["identical_to_local"] = bool(np.array_equal(got, vectors[k]))
            on_ray.append(row)
            print(f"  embed ray {row}", flush=True)
    finally:
        ray.close()
    return {"model": local.model_id, "texts": "distinct Banking77 + CLINC150 utterances",
            "local_2_threads": {**total, "slices": slices}, "ray_2_actors_x_1_thread": on_ray,
            "projected_100k_s": round(100_000 / total["per_s"], 0)}


def pairs_of_same_intent(n: int) -> list[tuple[int, int]]:
    """n pairs of distinct utterances (indices into utterances()) that share an intent, in a fixed order."""
    members: dict[str, list[int]] = {}
    for i, (_, label) in enumerate(utterances()):
        members.setdefault(label, []).append(i)
    pairs: list[tuple[int, int]] = []
    for shift in range(1, 1000):
        for rows in members.values():
            if shift < len(rows):
                pairs += [(rows[k], rows[(k + shift) % len(rows)]) for k in range(len(rows))]
        if len(pairs) >= n:
            return pairs[:n]
    raise SystemExit(f"only {len(pairs)} pairs of utterances of the same intent")


def statement_vectors(n: int) -> tuple[np.ndarray, int]:
    """n statement vectors: the real utterances' own (embedded by the embedding section), then, beyond them,
    stand-ins for two-sentence statements (two utterances of the same intent): the normalised sum of the two
    vectors. Embedding 63,000 such texts for real takes ~16 CPU-minutes, more than one shared-machine run allows.
    Returns (vectors, how many are real embeddings)."""
    real = np.load(CACHE / "statement_vectors.npy")
    if n <= len(real):
        return real[:n], n
    a, b = np.array(pairs_of_same_intent(n - len(real))).T
    mixed = real[a] + real[b]
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    return np.concatenate([real, mixed.astype(np.float32)]), len(real)


ENGINE_STEPS = ("_canonical_order", "_neighbours", "_smooth", "_reduce", "_single_theme", "_dissolve_single_group",
                "_merge_similar", "_assign_outliers", "_propagate", "_dissolve_small", "_renumber")


@contextmanager
def step_timer(seconds: dict[str, float]):
    """Time each step of the theme engine (and HDBSCAN's fit) by wrapping the module's functions for the duration:
    where the time goes as n grows, without touching the engine."""
    import hdbscan

    from winloss.themes import clustering as engine

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - t0, 2)
        return wrapper

    originals = {name: getattr(engine, name) for name in ENGINE_STEPS}
    fit = hdbscan.HDBSCAN.fit_predict
    for name, fn in originals.items():
        setattr(engine, name, timed(name.lstrip("_"), fn))
    hdbscan.HDBSCAN.fit_predict = timed("hdbscan", fit)
    try:
        yield seconds
    finally:
        for name, fn in originals.items():
            setattr(engine, name, fn)
        hdbscan.HDBSCAN.fit_predict = fit


def clustering(sizes: list[int], earlier: list[dict]) -> dict:
    """find_themes at each size; runs at other sizes from an earlier invocation are kept, so the sizes can be
    measured one run at a time (100k alone takes most of the ~15 min a run may use here)."""
    rows = [r for r in earlier if r["n"] not in sizes]
    for n in sizes:
        vectors, real = statement_vectors(n)
        groups = [f"I{i // STATEMENTS_PER_INTERVIEW}" for i in range(n)]
        with measured({"n": n, "embedded": real}) as row, step_timer({}) as steps:
            result = find_themes(vectors, groups=groups, min_size=max(8, n // 250))
        row.update(themes=result.n_themes, unassigned=result.params["n_unassigned"], steps_s=steps,
                   measured_at=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
        rows.append(row)
        print(f"  find_themes {row}", flush=True)
    return {"runs": sorted(rows, key=lambda r: r["n"]), **growth(rows)}


def growth(rows: list[dict]) -> dict:
    """Exponent of a power law fitted to wall and to CPU seconds against n, the neighbour search's alone, and what
    the CPU fit gives at 500,000 statements."""
    if len(rows) < 2:
        return {}
    ns = np.log([r["n"] for r in rows])

    def exponent(values):
        return float(np.polyfit(ns, np.log(values), 1)[0])

    cpu = exponent([r["cpu_s"] for r in rows])
    largest = max(rows, key=lambda r: r["n"])
    return {"growth_exponent_wall": round(exponent([r["wall_s"] for r in rows]), 2),
            "growth_exponent_cpu": round(cpu, 2),
            "growth_exponent_neighbours": round(exponent([r["steps_s"]["neighbours"] for r in rows]), 2),
            "growth_exponent_hdbscan": round(exponent([r["steps_s"]["hdbscan"] for r in rows]), 2),
            "projected_cpu_s_500k": round(largest["cpu_s"] * (500_000 / largest["n"]) ** cpu, 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="transcription,embedding,clustering")
    parser.add_argument("--embed-n", type=int, default=len(utterances()))
    parser.add_argument("--ray-embed-n", type=int, default=2 * SLICE)
    parser.add_argument("--cluster-sizes", default="10000,30000,100000")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.json")
    args = parser.parse_args()
    record = json.loads(args.out.read_text()) if args.out.exists() else {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for section in args.sections.split(","):
            started = machine()
            print(section, flush=True)
            if section == "transcription":
                result = transcription(Path(tmp))
            elif section == "embedding":
                result = embedding(args.embed_n, args.ray_embed_n, Path(tmp))
            elif section == "clustering":
                result = clustering([int(s) for s in args.cluster_sizes.split(",")],
                                    record.get("clustering", {}).get("runs", []))
            else:
                raise SystemExit(f"unknown section {section!r}")
            record[section] = {"machine": {**started, "load_average_at_end": load()}, **result,
                               "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
