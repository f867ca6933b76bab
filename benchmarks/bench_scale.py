"""Scale-out benchmark: transcription throughput on 1 and 2 workers (in-process, worker processes, a local Ray
cluster), the per-file overhead of each engine against the bare in-process loop, embedding throughput locally and on
Ray, and the clustering stage at growing sizes. Every engine's transcripts and vectors are checked to be identical to
the local ones. Writes benchmarks/results/scale.json; docs/scale.md quotes it.

Usage: python benchmarks/bench_scale.py [--embed-n 5000] [--cluster-sizes 1250,2500,5000]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from winloss.audio import AudioSettings, ensure_transcripts  # noqa: E402
from winloss.models import Interview  # noqa: E402
from winloss.scale import LocalExecutor  # noqa: E402
from winloss.scale.processes import ProcessExecutor  # noqa: E402
from winloss.scale.ray_engine import RayExecutor  # noqa: E402
from winloss.themes.clustering import find_themes  # noqa: E402
from winloss.themes.embedding import Embedder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
CLIPS = [DATA / "faster_whisper_audio" / "jfk.flac", DATA / "lhotse_speech_fixtures" / "2412-153948-0000.flac",
         DATA / "lhotse_speech_fixtures" / "2412-153948-0001.flac", DATA / "pyannote_sample_conversation" / "sample.wav"]
WARM_UP = DATA / "lhotse_speech_fixtures" / "LJ002-0020.wav"
STATEMENTS_PER_INTERVIEW = 20  # to give the clustering stage interview groups of a realistic size


def statements(n: int) -> list[str]:
    texts: list[str] = []
    for name in ("train.csv", "test.csv"):
        with open(DATA / "banking77" / name, encoding="utf-8") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    full = json.loads((DATA / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    texts += [text for part in ("train", "val", "test") for text, _ in full[part]]
    unique = list(dict.fromkeys(texts))
    if len(unique) < n:
        raise SystemExit(f"only {len(unique)} distinct statements in banking77 + clinc150")
    return unique[:n]


def transcribe_with(executor, settings: AudioSettings, work: Path) -> tuple[float, dict[str, bytes]]:
    study = Path(tempfile.mkdtemp(prefix=f"study-{executor.engine}-", dir=work))
    (study / "rec").mkdir(parents=True)
    interviews = []
    for i, clip in enumerate(CLIPS):
        shutil.copy(clip, study / "rec" / clip.name)
        interviews.append(Interview(f"I{i}", "won", study / "rec" / clip.name, 2))
    t0 = time.perf_counter()
    batch = ensure_transcripts(study, interviews, settings, progress=False, executor=executor)
    wall = time.perf_counter() - t0
    assert not batch.problems, batch.problems
    files = sorted((study / "transcripts").glob("*.vtt")) + [study / ".winloss" / "transcripts.json"]
    return wall, {f.name: f.read_bytes() for f in files}


def transcription(work: Path, ray2: RayExecutor, ray1: RayExecutor) -> dict:
    audio_s = sum(float(sf.info(str(c)).duration) for c in CLIPS)
    configs = [
        ("bare in-process loop, 1 thread", LocalExecutor(), AudioSettings(threads=1)),
        ("in-process loop, 2 threads (default)", LocalExecutor(), AudioSettings()),
        ("2 worker processes x 1 thread", ProcessExecutor(2, threads=1), AudioSettings()),
        ("Ray, 1 actor x 1 thread", ray1, AudioSettings()),
        ("Ray, 1 actor x 1 thread, warm (the run's actor reused)", ray1, AudioSettings()),
        ("Ray, 2 actors x 1 thread", ray2, AudioSettings()),
    ]
    # Imports and the in-process models are loaded once before timing, so the baseline is a warm loop; a worker's
    # start-up and model load are part of what it costs and stay in its figure.
    for settings in (AudioSettings(threads=1), AudioSettings()):
        ensure_transcripts(work / f"warm-{settings.threads}", [Interview("W", "won", WARM_UP, 2)], settings,
                           progress=False)
    rows, reference = [], None
    for label, executor, settings in configs:
        wall, out = transcribe_with(executor, settings, work)
        if "warm" in label:
            executor.close()  # its idle actor would hold one of the cluster's CPUs the 2-actor run needs
        reference = reference or out
        rows.append({"config": label, "workers": executor.workers, "wall_s": round(wall, 2),
                     "audio_h_per_h": round(audio_s / wall, 3), "identical_to_local": out == reference})
        print(f"  {label}: {wall:.1f} s, {audio_s / wall:.2f} audio h/h, identical {out == reference}", flush=True)
    # Against the warm bare loop: a cold worker's figure includes its start-up and model load, a warm one's only
    # what shipping bytes and results costs per file.
    bare = rows[0]["wall_s"]
    for row in rows:
        row["overhead_per_file_s"] = round((row["wall_s"] - bare) / len(CLIPS), 2) if row["workers"] == 1 else None
    return {"files": len(CLIPS), "audio_s": round(audio_s, 1), "runs": rows}


def embedding(texts: list[str], work: Path, ray2: RayExecutor) -> tuple[dict, np.ndarray]:
    out = {}
    vectors = {}
    for label, executor in (("local, 2 threads", None), ("Ray, 2 actors x 1 thread", ray2)):
        embedder = Embedder(cache_dir=work / f"emb-{label[:3]}", executor=executor)
        t0 = time.perf_counter()
        vectors[label] = embedder.encode(texts)
        wall = time.perf_counter() - t0
        out[label] = {"n": len(texts), "wall_s": round(wall, 1), "per_s": round(len(texts) / wall, 1)}
        print(f"  embed {label}: {len(texts)} in {wall:.1f} s ({len(texts) / wall:.0f}/s)", flush=True)
    a, b = vectors.values()
    out["identical"] = bool(np.array_equal(a, b))
    return out, a


def clustering(vectors: np.ndarray, sizes: list[int]) -> dict:
    rows = []
    for n in sizes:
        groups = [f"I{i // STATEMENTS_PER_INTERVIEW}" for i in range(n)]
        t0 = time.perf_counter()
        result = find_themes(vectors[:n], groups=groups, min_size=max(8, n // 250))
        wall = time.perf_counter() - t0
        rows.append({"n": n, "wall_s": round(wall, 2), "themes": result.n_themes()})
        print(f"  find_themes n={n}: {wall:.2f} s, {result.n_themes()} themes", flush=True)
    ns, ts = np.log([r["n"] for r in rows]), np.log([r["wall_s"] for r in rows])
    exponent = float(np.polyfit(ns, ts, 1)[0]) if len(rows) > 1 else None
    last = rows[-1]
    projection = {m: round(last["wall_s"] * (m / last["n"]) ** exponent, 0) for m in (100_000, 500_000)} if exponent else {}
    return {"runs": rows, "growth_exponent": round(exponent, 2) if exponent else None,
            "projected_s": projection}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embed-n", type=int, default=5000)
    parser.add_argument("--cluster-sizes", default="1250,2500,5000")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.cluster_sizes.split(",")]
    record: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        ray2 = RayExecutor(workers=2, threads=1)  # starts a local cluster of 2 CPUs in this process
        ray1 = RayExecutor(workers=1, threads=1)  # the same cluster, one actor
        try:
            print("transcription", flush=True)
            record["transcription"] = transcription(work, ray2, ray1)
            print("embedding", flush=True)
            record["embedding"], vectors = embedding(statements(max(args.embed_n, max(sizes))), work, ray2)
        finally:
            ray1.close()
            ray2.close()
        print("clustering", flush=True)
        record["clustering"] = clustering(vectors, sizes)
    record["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
