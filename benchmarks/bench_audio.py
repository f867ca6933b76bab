"""Audio stage benchmark: WER, diarization error, stereo attribution, and speed against bare faster-whisper.

All audio is real speech from ../shared/data (references from its SOURCE.txt files and README) plus the
generated espeak interviews in fixtures/audio. Writes benchmarks/results/audio.json and prints the tables
that docs/audio.md quotes. Usage: python benchmarks/bench_audio.py [--threads 2] [--rounds 2] [--model PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import jiwer  # noqa: E402

from winloss.audio import (  # noqa: E402
    AudioSettings,
    decode,  # noqa: E402
    ensure_transcripts,
)
from winloss.audio.metrics import diarization_error, read_rttm  # noqa: E402
from winloss.audio.recording import transcribe_audio  # noqa: E402
from winloss.audio.speakers import build_turns  # noqa: E402
from winloss.audio.transcribe import load_model, model_id, whisper_options  # noqa: E402
from winloss.interviews.transcripts import parse_transcript  # noqa: E402
from winloss.models import Interview  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FW, LH, PY = DATA / "faster_whisper_audio", DATA / "lhotse_speech_fixtures", DATA / "pyannote_sample_conversation"
FIX = ROOT / "fixtures" / "audio"

WER_SET = {  # file -> reference
    "jfk.flac": (FW / "jfk.flac", "And so my fellow Americans, ask not what your country can do for you, "
                                  "ask what you can do for your country."),
    "librispeech-0000": (LH / "2412-153948-0000.flac",
                         "IF THE READER WILL EXCUSE ME I WILL SAY NOTHING OF MY ANTECEDENTS NOR OF THE CIRCUMSTANCES "
                         "WHICH LED ME TO LEAVE MY NATIVE COUNTRY THE NARRATIVE WOULD BE TEDIOUS TO HIM AND PAINFUL "
                         "TO MYSELF"),
    "librispeech-0001": (LH / "2412-153948-0001.flac",
                         "It will be seen that I did not succeed in my design, and that however much I may have met "
                         "with that was new and strange, I have been unable to reap any pecuniary advantage."),
    "ami-ES2011a-40s": (LH / "ES2011a.Headset-0-40s-46s.wav", "I'M ABIGAIL CLAFLIN YOU CAN CALL ME ABBIE"),
    "ljspeech-0020": (LH / "LJ002-0020.wav", "IN EIGHTEEN THIRTEEN"),
    "ljspeech-0035": (LH / "LJ002-0035.wav", "EIGHT THE PRESS YARD"),
}
SPEED_SET = [p for p, _ in WER_SET.values()] + [PY / "sample.wav", FIX / "two_voices.ogg", FIX / "three_voices.ogg"]
DEFAULT_TEMPERATURES = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]  # faster-whisper's own default, sampled at random
STEREO_REFS = ["HE BEGAN A CONFUSED COMPLAINT AGAINST THE WIZARD WHO HAD VANISHED BEHIND THE CURTAIN ON THE LEFT",
               "THE HORIZON SEEMS EXTREMELY DISTANT"]

_CLEAN = jiwer.Compose([jiwer.ToLowerCase(), jiwer.SubstituteWords({"1813": "eighteen thirteen", "8": "eight"}),
                        jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(), jiwer.Strip(),
                        jiwer.ReduceToListOfListOfWords()])


def wer(ref: str, hyp: str) -> float:
    return round(jiwer.wer(ref, hyp or "<empty>", reference_transform=_CLEAN, hypothesis_transform=_CLEAN), 4)


def interviews(paths: list[Path]) -> list[Interview]:
    return [Interview(f"a{n:02d}", "won", p.resolve(), n + 2) for n, p in enumerate(paths)]


def run_pipeline(paths: list[Path], settings: AudioSettings) -> tuple[float, dict, Path]:
    study = Path(tempfile.mkdtemp(prefix="bench-audio-"))
    t0 = time.perf_counter()
    batch = ensure_transcripts(study, interviews(paths), settings, progress=False)
    wall = time.perf_counter() - t0
    assert not batch.problems, batch.problems
    return wall, batch.summary, study


def run_bare(model, paths: list[Path], settings: AudioSettings) -> float:
    """What a user would write with faster-whisper alone: same model, same options, the file paths."""
    t0 = time.perf_counter()
    for path in paths:
        segments, _ = model.transcribe(str(path), **whisper_options(settings))
        for _ in segments:
            pass
    return time.perf_counter() - t0


# What a user would write with faster-whisper alone, run as its own process: same model, options and files.
BARE_SCRIPT = """
import sys
from faster_whisper import WhisperModel
from winloss.audio import AudioSettings
from winloss.audio.transcribe import model_path, whisper_options
settings = AudioSettings(threads=int(sys.argv[1]))
model = WhisperModel(model_path(settings), device="cpu", compute_type=settings.compute_type,
                     cpu_threads=settings.threads, local_files_only=True)
for path in sys.argv[2:]:
    segments, _ = model.transcribe(path, **whisper_options(settings))
    for _ in segments:
        pass
"""


def _timed_child(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system, the child alone) seconds of one command."""
    import resource
    import subprocess
    import sys

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *argv], check=True, capture_output=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def speed_cli(threads: int, rounds: int, files: list[Path]) -> dict:
    """Cold from the command line: a fresh `winloss transcribe STUDY` (no cache: imports, model load, decode,
    transcribe, diarize, write) against a fresh bare faster-whisper process on the same files, sides alternated.
    CPU time is reported beside wall time: on a shared machine it is the steadier of the two."""
    import shutil

    study = Path(tempfile.mkdtemp(prefix="bench-audio-cli-"))
    (study / "recordings").mkdir()
    rows = ["interview_id,cohort,file"]
    for n, path in enumerate(files):
        shutil.copy(path, study / "recordings" / f"{n:02d}-{path.name}")
        rows.append(f"a{n:02d},won,recordings/{n:02d}-{path.name}")
    (study / "interviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    copies = [str(p) for p in sorted((study / "recordings").iterdir())]
    winloss = ["-c", "import sys; from winloss.cli import main; sys.exit(main())",
               "transcribe", str(study), "--threads", str(threads)]

    def cold() -> tuple[float, float]:
        shutil.rmtree(study / ".winloss", ignore_errors=True)
        shutil.rmtree(study / "transcripts", ignore_errors=True)
        return _timed_child(winloss)

    sides = {"bare": lambda: _timed_child(["-c", BARE_SCRIPT, str(threads), *copies]), "winloss": cold}
    out_rows = []
    for r in range(rounds):
        order = ["bare", "winloss"] if r % 2 == 0 else ["winloss", "bare"]
        row = {}
        for name in order:
            wall, cpu = sides[name]()
            row[f"{name}_wall_s"], row[f"{name}_cpu_s"] = round(wall, 2), round(cpu, 2)
        out_rows.append(row)
    warm_wall, warm_cpu = _timed_child(winloss)  # everything cached: the rerun transcribes nothing
    best = {k: min(row[k] for row in out_rows) for k in out_rows[0]}
    median = {k: statistics.median(row[k] for row in out_rows) for k in out_rows[0]}
    return {"files": len(files), "audio_s": round(sum(decode.probe(p).duration for p in files), 1),
            "threads": threads, "rounds": out_rows, "best": best, "median": median,
            "ratio_cpu": round(best["winloss_cpu_s"] / best["bare_cpu_s"], 3),
            "ratio_wall": round(best["winloss_wall_s"] / best["bare_wall_s"], 3),
            "median_ratio_cpu": round(median["winloss_cpu_s"] / median["bare_cpu_s"], 3),
            "median_ratio_wall": round(median["winloss_wall_s"] / median["bare_wall_s"], 3),
            "cached_rerun_wall_s": round(warm_wall, 2), "cached_rerun_cpu_s": round(warm_cpu, 2)}


def long_recording() -> Path:
    """The speed set joined into one 16 kHz mono file: per-file costs weigh less, as in a real interview."""
    import numpy as np
    import soundfile as sf

    parts = []
    for path in SPEED_SET:
        audio = decode.load(path, decode.probe(path))
        parts.append(sum(audio.channels) / len(audio.channels))
    path = Path(tempfile.mkdtemp(prefix="bench-audio-long-")) / "joined.wav"
    sf.write(path, np.concatenate(parts), decode.RATE, subtype="PCM_16")
    return path


def speed(model, settings: AudioSettings, rounds: int, files: list[Path]) -> dict:
    audio_s = sum(decode.probe(p).duration for p in files)
    no_dia = AudioSettings(**{**settings.__dict__, "diarize": False})
    sides = {"bare_s": lambda: run_bare(model, files, settings),
             "pipeline_s": lambda: run_pipeline(files, settings)[0],
             "pipeline_no_diarize_s": lambda: run_pipeline(files, no_dia)[0]}
    names = list(sides)
    rows = []
    for r in range(rounds):  # each side once per round, order rotated: drift on a shared machine hits all alike
        order = names[r % 3:] + names[: r % 3]
        rows.append({name: round(sides[name](), 2) for name in order})
    # The least-disturbed run of each side estimates its cost; the median is reported beside it.
    best = {name: min(row[name] for row in rows) for name in names}
    median = {name: statistics.median(row[name] for row in rows) for name in names}
    bare, full, plain = best["bare_s"], best["pipeline_s"], best["pipeline_no_diarize_s"]
    _, _, study = run_pipeline(files, settings)
    t0 = time.perf_counter()
    again = ensure_transcripts(study, interviews(files), settings, progress=False)
    cached = time.perf_counter() - t0
    assert again.summary["run"]["transcribed"] == 0
    return {"files": len(files), "audio_s": round(audio_s, 1), "rounds": rows, "median_s": median,
            "median_ratio_pipeline_over_bare": round(median["pipeline_s"] / median["bare_s"], 3),
            "bare_s": bare, "pipeline_s": full, "pipeline_no_diarize_s": plain,
            "ratio_pipeline_over_bare": round(full / bare, 3),
            "ratio_no_diarize_over_bare": round(plain / bare, 3),
            "realtime_factor_bare": round(audio_s / bare, 1), "realtime_factor_pipeline": round(audio_s / full, 1),
            "cached_rerun_s": round(cached, 2)}


def wer_table(settings: AudioSettings) -> dict:
    names = list(WER_SET)
    _, summary, study = run_pipeline([WER_SET[n][0] for n in names], settings)
    out = {}
    for n, name in enumerate(names):
        vtt = study / summary["files"][f"a{n:02d}"]["transcript"]
        text = " ".join(t.text for t in parse_transcript(vtt).turns)
        out[name] = {"wer": wer(WER_SET[name][1], text), "hypothesis": text}
    words = sum(len(_CLEAN(WER_SET[n][1])[0]) for n in names)
    out["_pooled"] = {"wer": round(sum(out[n]["wer"] * len(_CLEAN(WER_SET[n][1])[0]) for n in names) / words, 4)}
    return out


def determinism_table(model, settings: AudioSettings) -> dict:
    """WER of the deterministic decoding (temperature 0 only) against faster-whisper's default random fallback,
    on the WER set, the phone call and two noisy copies (where the fallback fires), transcribed bare."""
    import numpy as np

    stm = [line.split(maxsplit=5)[5] for line in (PY / "sample.stm").read_text().splitlines() if line.strip()]
    cases = {name: (path, ref) for name, (path, ref) in WER_SET.items()}
    cases["pyannote-sample"] = (PY / "sample.wav", " ".join(stm))
    out = {}
    for name, (path, ref) in cases.items():
        clean = decode.load(path, decode.probe(path)).channels[0]
        variants = {"": clean}
        if name in ("ami-ES2011a-40s", "pyannote-sample"):  # noise at 0 dB SNR: the fallback fires here
            noise = np.random.default_rng(0).normal(0, 1, clean.size).astype(np.float32)
            variants[" +noise 0 dB"] = (clean + noise * np.sqrt(np.mean(clean ** 2))).astype(np.float32)
        for suffix, audio in variants.items():
            row = {}
            for side, opts in (("default_fallback", {**whisper_options(settings), "temperature": DEFAULT_TEMPERATURES}),
                               ("deterministic", whisper_options(settings))):
                segments = list(model.transcribe(audio, **opts)[0])
                row[side] = wer(ref, " ".join(s.text for s in segments))
                row[f"{side}_fallback_fired"] = any(s.temperature > 0 for s in segments)
            out[name + suffix] = row
    return out


def _truth(reference, start: float, end: float) -> str | None:
    """The reference speaker a word overlaps most; None for a word in no reference speech (a hallucination)."""
    overlap = {}
    for a, b, speaker in reference:
        overlap[speaker] = overlap.get(speaker, 0.0) + max(0.0, min(b, end) - max(a, start))
    best = max(overlap, key=overlap.get)
    return best if overlap[best] > 0 else None


def _words_right(reference, words, mapping) -> tuple[int, int]:
    """Words whose voice maps (DER's optimal mapping) to the reference speaker who said them."""
    to_ref = {h: r for r, h in mapping.items()}
    scored = [(to_ref.get(str(v)), _truth(reference, s, e)) for s, e, v in words]
    scored = [(a, b) for a, b in scored if b is not None]
    return sum(a == b for a, b in scored), len(scored)


def voices_table(model, settings: AudioSettings) -> dict:
    """Interviews stitched from real voices (fixtures/audio/voice_interviews.py) and the pyannote phone call:
    DER on the cues as written, words to the right person, and roles decided study-wide as the stage does."""
    import sys

    import numpy as np

    sys.path.insert(0, str(FIX))
    import voice_interviews

    from winloss.audio.speakers import label_voices
    from winloss.audio.voices import choose_interviewers

    studies = {name: voice_interviews.study(name) for name in voice_interviews.STUDIES}
    phone = decode.load(PY / "sample.wav", decode.probe(PY / "sample.wav")).channels[0]
    studies["pyannote-sample"] = [voice_interviews.Recording("pyannote-sample", phone, tuple(
        read_rttm((PY / "sample.rttm").read_text())), "")]
    out = {}
    for study_name, recordings in studies.items():
        results = {r.name: transcribe_audio(model, decode.Audio([r.audio], r.audio.size / decode.RATE, "mono"), settings)
                   for r in recordings}
        choices = choose_interviewers({n: d.voices for n, d in results.items()})
        for rec in recordings:
            dia = results[rec.name]
            reference = list(rec.turns)
            hyp = [(t.start, t.end, t.speaker) for t in build_turns(dia.pieces, {v: str(v) for v in range(9)})]
            strict, collar = diarization_error(reference, hyp), diarization_error(reference, hyp, collar=0.25)
            right, total = _words_right(reference, dia.words, collar.mapping)
            row = {"study": study_name, "duration_s": round(rec.audio.size / decode.RATE, 1), "der": strict.der,
                   "der_collar_0.25": collar.der, "confusion_s": collar.confusion, "missed_s": collar.missed,
                   "false_alarm_s": collar.false_alarm, "words_right": round(right / max(total, 1), 4),
                   "words_scored": total, "speakers_true": rec.speakers, "speakers_found": dia.n_speakers,
                   "unsure_words_share": round(1 - dia.confidence, 3), "warnings": dia.warnings}
            if rec.interviewer:
                labelling = label_voices(dia.pieces, (), None, choices.get(rec.name))
                roles = [(v == labelling.interviewer, _truth(reference, s, e)) for s, e, v in dia.words]
                roles = [(found, truth == rec.interviewer) for found, truth in roles if truth is not None]
                role_right, role_total = sum(a == b for a, b in roles), len(roles)
                row.update({"interviewer_method": labelling.method, "interviewer_evidence": labelling.evidence,
                            "interviewer_found": collar.mapping.get(rec.interviewer) == str(labelling.interviewer),
                            "role_words_right": round(role_right / max(role_total, 1), 4)})
            out[rec.name] = row
    rows = [r for r in out.values() if "role_words_right" in r]
    out["_summary"] = {"fixtures": len(rows),
                       "der_collar_0.25_max": max(r["der_collar_0.25"] for r in rows),
                       "der_max": max(r["der"] for r in rows),
                       "words_right_min": min(r["words_right"] for r in rows),
                       "words_right_pooled": round(float(np.average([r["words_right"] for r in rows],
                                                                    weights=[r["words_scored"] for r in rows])), 4),
                       "role_words_right_min": min(r["role_words_right"] for r in rows),
                       "interviewer_by_recurring_voice": sum(r["interviewer_method"] == "recurring voice" for r in rows),
                       "interviewer_found": sum(r["interviewer_found"] for r in rows)}
    return out


def der_table(model, settings: AudioSettings) -> dict:
    cases = {"pyannote-sample (phone call, 2 speakers)": (PY / "sample.wav", read_rttm((PY / "sample.rttm").read_text()))}
    for name in ("two_voices", "three_voices"):
        truth = json.loads((FIX / f"{name}.json").read_text())["turns"]
        cases[f"fixtures/audio/{name}.ogg"] = (FIX / f"{name}.ogg", [(t["start"], t["end"], t["speaker"]) for t in truth])
    out = {}
    for name, (path, reference) in cases.items():
        audio = decode.load(path, decode.probe(path))
        dia = transcribe_audio(model, audio, settings)
        # Scored as written: the WebVTT cues, each one voice's speech up to a pause or a sentence end.
        hyp = [(t.start, t.end, t.speaker) for t in build_turns(dia.pieces, {v: str(v) for v in range(9)})]
        strict, collar = diarization_error(reference, hyp), diarization_error(reference, hyp, collar=0.25)
        out[name] = {"der": strict.der, "der_collar_0.25": collar.der, "missed_s": collar.missed,
                     "false_alarm_s": collar.false_alarm, "confusion_s": collar.confusion,
                     "speakers_true": len({s for *_, s in reference}), "speakers_found": dia.n_speakers,
                     "split_confidence": dia.confidence}
    return out


def stereo_table(model, settings: AudioSettings) -> dict:
    path = FW / "stereo_diarization.wav"
    audio = decode.load(path, decode.probe(path))
    dia = transcribe_audio(model, audio, settings)
    per_channel = {c: " ".join(p.text for p in dia.pieces if p.speaker == c) for c in (0, 1)}
    own = [wer(STEREO_REFS[c], per_channel[c]) for c in (0, 1)]
    crossed = [wer(STEREO_REFS[1 - c], per_channel[c]) for c in (0, 1)]
    ref_words = [set(_CLEAN(r)[0]) for r in STEREO_REFS]
    hyp_words = [_CLEAN(per_channel[c])[0] for c in (0, 1)]
    right = sum(w in ref_words[c] and w not in ref_words[1 - c] for c in (0, 1) for w in hyp_words[c])
    wrong = sum(w in ref_words[1 - c] and w not in ref_words[c] for c in (0, 1) for w in hyp_words[c])
    return {"layout": audio.layout, "speakers": dia.n_speakers, "wer_left": own[0], "wer_right": own[1],
            "wer_if_swapped": crossed, "words_attributed_right": right, "words_attributed_wrong": wrong,
            "attribution_accuracy": round(right / max(right + wrong, 1), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="speed rounds; 0 skips the speed tables")
    parser.add_argument("--model", default="", help="faster-whisper model folder [bundled tiny.en]")
    parser.add_argument("--only", choices=["speed"], help="run only the speed tables (results to --out)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "audio.json")
    args = parser.parse_args()
    settings = AudioSettings(model=args.model, threads=args.threads)
    model = load_model(settings)
    # Warm both sides (model, VAD, Resemblyzer) so neither pays first-call costs inside the timings.
    run_bare(model, [FW / "jfk.flac"], settings)
    run_pipeline([FW / "jfk.flac"], settings)

    result = {"model": model_id(settings), "settings": settings.output_key(), "threads": args.threads,
              "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    if args.only == "speed":  # keep the other tables of the last full run
        result = {**(json.loads(args.out.read_text()) if args.out.exists() else {}), **result}
    else:
        result["wer"] = wer_table(settings)
        result["determinism"] = determinism_table(model, settings)
        result["voices"] = voices_table(model, settings)
        result["der"] = der_table(model, settings)
        result["stereo"] = stereo_table(model, settings)
    if args.rounds:
        result["speed_cli"] = speed_cli(args.threads, args.rounds, SPEED_SET)
        result["speed_cli_one_long_file"] = speed_cli(args.threads, args.rounds, [long_recording()])
        result["speed"] = speed(model, settings, args.rounds, SPEED_SET)
        result["speed_one_long_file"] = speed(model, settings, args.rounds, [long_recording()])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(f"model {result['model']}, {args.threads} threads")
    print("| file | WER |\n|---|---|")
    for name, row in result["wer"].items():
        print(f"| {name} | {row['wer']:.1%} |")
    print("\n| recording | DER | DER (0.25 s collar) | speakers true/found |\n|---|---|---|---|")
    for name, row in result["der"].items():
        print(f"| {name} | {row['der']:.1%} | {row['der_collar_0.25']:.1%} | {row['speakers_true']}/{row['speakers_found']} |")
    s = result["stereo"]
    print(f"\nstereo_diarization.wav: {s['layout']}, WER left {s['wer_left']:.1%}, right {s['wer_right']:.1%}, "
          f"attribution accuracy {s['attribution_accuracy']:.1%} ({s['words_attributed_wrong']} words wrong)")
    print("\n| recording | DER | DER (0.25 s collar) | words right | speakers true/found | interviewer |\n|---|---|---|---|---|---|")
    for name, row in result["voices"].items():
        if not name.startswith("_"):
            print(f"| {name} | {row['der']:.1%} | {row['der_collar_0.25']:.1%} | {row['words_right']:.1%} | "
                  f"{row['speakers_true']}/{row['speakers_found']} | {row.get('interviewer_method', '-')}"
                  f"{'' if row.get('interviewer_found', True) else ' (WRONG)'} {row.get('role_words_right', '')} |")
    print(result["voices"]["_summary"])
    for key in ("speed_cli", "speed_cli_one_long_file") if args.rounds else ():
        sp = result[key]
        print(f"\n{key} (cold processes): {sp['files']} files, {sp['audio_s']} s audio: best wall bare "
              f"{sp['best']['bare_wall_s']} s / winloss {sp['best']['winloss_wall_s']} s (ratio {sp['ratio_wall']}), "
              f"CPU bare {sp['best']['bare_cpu_s']} s / winloss {sp['best']['winloss_cpu_s']} s (ratio {sp['ratio_cpu']}); "
              f"median ratios wall {sp['median_ratio_wall']}, CPU {sp['median_ratio_cpu']}; "
              f"cached rerun {sp['cached_rerun_wall_s']} s")
    for key in ("speed", "speed_one_long_file") if args.rounds else ():
        sp = result[key]
        print(f"\n{key}: {sp['files']} files, {sp['audio_s']} s audio: bare {sp['bare_s']} s, pipeline {sp['pipeline_s']} s "
              f"(ratio {sp['ratio_pipeline_over_bare']}), without diarization {sp['pipeline_no_diarize_s']} s "
              f"(ratio {sp['ratio_no_diarize_over_bare']}); median ratio {sp['median_ratio_pipeline_over_bare']}; "
              f"real time x{sp['realtime_factor_pipeline']} (bare x{sp['realtime_factor_bare']}); "
              f"cached rerun {sp['cached_rerun_s']} s")

if __name__ == "__main__":
    main()
