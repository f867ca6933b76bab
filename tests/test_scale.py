"""Scale-out on real components: worker processes and a real local Ray cluster on 127.0.0.1 transcribe real short
recordings; the outputs must be byte-identical to the local loop, also when workers are killed mid-run."""
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from winloss.audio.cache import FILE_NAME, TranscriptCache
from winloss.errors import ConfigError
from winloss.scale import Done, Failed, ScaleSettings, open_executor
from winloss.scale.processes import ProcessExecutor
from winloss.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
# A test run started in the background inherits an ignored SIGINT: the command takes Ctrl-C as from a terminal.
WINLOSS = [sys.executable, "-c", ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                                  "from winloss.cli import main; main()")]
CLIPS = {  # interview id -> recording; the shortest first, so a result lands while the others are still running
    "A": SHARED / "lhotse_speech_fixtures" / "LJ002-0020.wav",
    "B": SHARED / "faster_whisper_audio" / "stereo_diarization.wav",
    "C": SHARED / "faster_whisper_audio" / "jfk.flac",
}
needs_clips = pytest.mark.skipif(not all(p.exists() for p in CLIPS.values()),
                                 reason="needs the shared audio clips in ../shared/data (absent here)")
RAY_PORT = 6391

# Connects to the cluster first (the slow part), waits for the driver to cache its first recording, then kills every
# transcription actor: those holding a job lose it mid-run.
RAY_KILLER = """
import sqlite3, sys, time, ray
ray.init(address=sys.argv[1], namespace="winloss", log_to_driver=False)
cache = sys.argv[2]
while True:
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as conn:
            if conn.execute("SELECT count(*) FROM entries").fetchone()[0]:
                break
    except sqlite3.Error:
        pass
    time.sleep(0.05)
names = [n for n in ray.util.list_named_actors() if n.startswith("winloss-transcribe-")]
for name in names:
    ray.kill(ray.get_actor(name))
print(len(names))
"""


def env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1", "RAY_AUTH_MODE": "disabled",
            "RAY_USAGE_STATS_ENABLED": "0", **extra}


def make_study(path: Path) -> Path:
    (path / "rec").mkdir(parents=True)
    rows = ["interview_id,cohort,file"]
    for iid, clip in CLIPS.items():
        shutil.copy(clip, path / "rec" / clip.name)
        rows.append(f"{iid},{'won' if iid in 'AC' else 'lost'},rec/{clip.name}")
    (path / "rec" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    rows.append("Z,lost,rec/broken.wav")
    (path / "interviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def outputs(study: Path) -> dict[str, bytes]:
    """Every transcript's bytes, and the transcription cache's contents as canonical JSON."""
    files = sorted((study / "transcripts").glob("*.vtt"))
    cache = TranscriptCache(study / ".winloss")
    dumped = json.dumps(cache.dump(), sort_keys=True).encode()
    cache.close()
    return {**{f.relative_to(study).as_posix(): f.read_bytes() for f in files}, "cache": dumped}


def cached(study: Path) -> int:
    """Recordings in the study's transcription cache, read as a second process would while the driver writes."""
    try:
        with sqlite3.connect(f"file:{study / '.winloss' / FILE_NAME}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    except sqlite3.Error:  # not created yet
        return 0


def transcribe(study: Path, *flags: str) -> subprocess.Popen:
    return subprocess.Popen([*WINLOSS, "transcribe", str(study), *flags], env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, study: Path) -> str:
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 1, err  # the broken recording is reported; everything else has a transcript
    assert "skipped: " in err and "broken.wav" in err
    return err.replace(str(study), "STUDY")


def skipped(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("skipped")]


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    study = make_study(tmp_path_factory.mktemp("local") / "study")
    err = finish(transcribe(study), study)
    return outputs(study), err


def wait_for_first_result(study: Path, proc: subprocess.Popen) -> None:
    while proc.poll() is None and not cached(study):
        time.sleep(0.05)


def worker_pids(parent: int) -> list[int]:
    """The driver's multiprocessing workers (not its resource tracker), from /proc."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


@needs_clips
def test_worker_processes_give_the_local_outputs_and_survive_a_killed_worker(local_run, tmp_path):
    expected, local_err = local_run
    study = make_study(tmp_path / "study")
    proc = transcribe(study, "--workers", "2")
    wait_for_first_result(study, proc)
    killed = worker_pids(proc.pid)
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    err = finish(proc, study)
    assert killed and "retried" in err, err
    assert outputs(study) == expected
    assert skipped(err) == skipped(local_err)


@needs_clips
def test_an_interrupted_run_resumes_from_the_cache(local_run, tmp_path):
    expected, _ = local_run
    study = make_study(tmp_path / "study")
    proc = transcribe(study)  # one recording at a time, so work is surely left when the first one is cached
    wait_for_first_result(study, proc)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    proc.communicate(timeout=120)
    done = cached(study)
    assert 1 <= done < len(CLIPS)
    err = finish(transcribe(study), study)
    assert f"{done} from cache" in err and f"transcribed {len(CLIPS) - done}" in err, err
    assert outputs(study) == expected


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    pytest.importorskip("ray", reason="the ray engine tests need Ray: pip install 'winloss[ray]'")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", RAY_PORT)) == 0:
            pytest.skip(f"port {RAY_PORT} is taken; the Ray tests start their own cluster there")
    head = subprocess.Popen(
        [str(Path(sys.executable).parent / "ray"), "start", "--head", "--node-ip-address", "127.0.0.1",
         "--port", str(RAY_PORT), "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats",
         "--block"],
        env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    address = f"127.0.0.1:{RAY_PORT}"
    try:
        deadline = time.monotonic() + 120
        while subprocess.run([sys.executable, "-c", f"import ray; ray.init(address='{address}'); ray.shutdown()"],
                             check=False, env=env(), capture_output=True).returncode:
            assert head.poll() is None and time.monotonic() < deadline, "the Ray head did not start"
            time.sleep(1)
        yield address
    finally:
        import ray

        # A driver still connected when its cluster goes exits the whole process a minute later (Ray's core worker
        # gives up on the lost GCS): this test session must let go first.
        if ray.is_initialized():
            ray.shutdown()
        os.killpg(head.pid, signal.SIGTERM)  # only the processes this fixture started: the head and its daemons
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
        current = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"  # `ray start` leaves it behind
        if current.exists() and current.read_text().strip().endswith(f":{RAY_PORT}"):
            current.unlink()


@needs_clips
def test_a_ray_cluster_gives_the_local_outputs_and_survives_killed_actors(local_run, ray_cluster, tmp_path):
    expected, local_err = local_run
    study = make_study(tmp_path / "study")
    killer = subprocess.Popen([sys.executable, "-c", RAY_KILLER, ray_cluster, str(study / ".winloss" / FILE_NAME)],
                              env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # let the killer join the cluster before the work starts
    err = finish(transcribe(study, "--engine", "ray", "--address", ray_cluster, "--workers", "2"), study)
    killed, killer_err = killer.communicate(timeout=60)
    assert int(killed or 0) >= 1, killer_err
    assert "retried" in err, err
    assert outputs(study) == expected
    assert skipped(err) == skipped(local_err)


def test_the_pipeline_embeds_on_ray_with_the_local_results(demo_run, ray_cluster, tmp_path, monkeypatch):
    from conftest import DEMO
    from test_pipeline import OUTPUTS

    from winloss.pipeline import run

    monkeypatch.setenv("WINLOSS_CACHE_DIR", str(tmp_path / "cache"))  # nothing cached: every vector from Ray
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    study = tmp_path / "demo"
    shutil.copytree(DEMO, study, ignore=shutil.ignore_patterns("codebook*"))
    result = run(study, tmp_path / "out", {"scale": {"engine": "ray", "address": ray_cluster}})
    for name in OUTPUTS[:-1] + ["heatmap.png"]:
        assert (result.out_dir / name).read_bytes() == (demo_run.out_dir / name).read_bytes(), name
    record = json.loads((result.out_dir / "run.json").read_text())
    assert record["timings"]["embeddings_computed"] > 0
    assert "scale" not in record["settings"]  # where it ran is not a result


class Poison:
    """A real task whose worker process dies on one payload, every time."""

    name = "poison"

    def setup(self, threads):
        return None

    def run(self, state, payload, report):
        if payload == "poison":
            os._exit(3)
        return payload.upper()

    def ship(self, payload):
        return payload


def test_a_job_that_kills_its_worker_every_time_is_reported_after_the_retries():
    executor = ProcessExecutor(workers=2, retries=1, threads=1)
    outcomes = {o.index: o for o in executor.map(Poison(), ["a", "poison", "b", "c"])}
    assert {i: o.value for i, o in outcomes.items() if isinstance(o, Done)} == {0: "A", 2: "B", 3: "C"}
    failed = outcomes[1]
    assert isinstance(failed, Failed) and failed.attempts == 2
    assert "worker process died (exit code 3)" in failed.message and "gave up after 2 attempts" in failed.message
    assert executor.retried == 1


@pytest.mark.parametrize("toml,message", [
    ('[scale]\nengine = "spark"\n', "scale.engine must be one of"),
    ('[scale]\nworkers = "4"\n', "scale.workers must be a whole number"),
    ("[scale]\nnodes = 4\n", "unknown setting [scale] nodes"),
    ('[scale]\naddress = "auto"\n', "address is for the ray engine only"),
])
def test_scale_settings_are_checked_before_any_work(tmp_path, toml, message):
    (tmp_path / "winloss.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    assert message in str(caught.value)


def test_the_default_is_the_in_process_loop_and_flags_override_the_table(tmp_path):
    assert open_executor(load_settings(tmp_path).scale).engine == "local"
    (tmp_path / "winloss.toml").write_text('[scale]\nengine = "ray"\nretries = 5\n', encoding="utf-8")
    scale = load_settings(tmp_path, {"scale": {"engine": "local", "workers": 3, "address": None}}).scale
    assert scale == ScaleSettings(engine="local", workers=3, retries=5)
    assert open_executor(scale).engine == "processes"
