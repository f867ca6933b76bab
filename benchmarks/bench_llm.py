"""What the LLM stage costs and leaks on the demo study, against the local OpenAI-protocol server of the tests.

The server answers every request validly after a fixed latency (a stand-in for a remote model; no real model is
reachable from this machine). Measured: calls planned by --dry-run against calls made, calls on a cached rerun,
wall time of the run offline / with the LLM at concurrency 1 and 4, and how many speaker names, emails, phone
numbers or URLs from the study appear in what was sent (redaction on).

Usage: python benchmarks/bench_llm.py [latency_seconds]   (default 0.3)
Writes benchmarks/results/llm.json.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the local OpenAI-protocol server lives with the tests

from llm_server import LlmServer, reply, schema_name  # noqa: E402

from winloss.interviews.study import load_interviews  # noqa: E402
from winloss.interviews.transcripts import parse_transcript  # noqa: E402
from winloss.llm.redact import names_to_redact  # noqa: E402
from winloss.pipeline import run  # noqa: E402
from winloss.themes.embedding import Embedder  # noqa: E402

PII_PATTERNS = [re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), re.compile(r"https?://\S+"),
                re.compile(r"\+?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}")]


def responder(latency: float):
    def respond(body):
        user = body["messages"][1]["content"]
        blocks = [json.loads(b) for b in re.findall(r"<data>\n(.*?)\n</data>", user, re.DOTALL)]
        name = schema_name(body)
        if name == "theme_label":
            tid = re.search(r"Theme (T\d+)\.", user).group(1)
            answer = {"label": f"Benchmark label {tid[1:]}", "description": "A description."}
        elif name == "loss_notes":
            answer = {"deals": [{"deal_id": d["deal_id"], "loss_type": 3, "reason": "budget freeze",
                                 "competitor": ""} for d in blocks[0]]}
        elif name == "summary":
            tables, quotes = blocks
            answer = {"executive_summary": [{"text": f"{tables['scope']['closed']} closed deals.",
                                             "cites": [str(tables["scope"]["closed"])]}],
                      "headline_findings": [{"text": "One finding.", "cites": [quotes[0]["theme_id"]],
                                             "quote": quotes[0]["quote"]}]}
        else:
            answer = {"merges": []}
        action = reply(answer)
        action.delay = latency
        return action
    return respond


def fresh_study(tmp: Path, name: str) -> Path:
    path = tmp / name
    shutil.copytree(ROOT / "fixtures" / "demo", path, ignore=shutil.ignore_patterns("codebook*"))
    return path


def main() -> None:
    latency = float(sys.argv[1]) if len(sys.argv) > 1 else 0.3
    results: dict = {"latency_s": latency}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["WINLOSS_CACHE_DIR"] = str(tmp / "cache")
        for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "WINLOSS_LLM_BASE_URL", "WINLOSS_LLM_MODEL"):
            os.environ.pop(var, None)
        embedder = Embedder()
        server = LlmServer().start()
        server.responder = responder(latency)
        flags = {"base_url": server.base_url, "model": "bench-model"}
        try:
            run(fresh_study(tmp, "warm"), tmp / "warm-out", embedder=embedder)  # embeddings cached
            t0 = time.perf_counter()
            run(fresh_study(tmp, "offline"), tmp / "offline-out", embedder=embedder)
            results["offline"] = {
                "wall_s": round(time.perf_counter() - t0, 2),
                "stages_s": json.loads((tmp / "offline-out" / "run.json").read_text())["timings"]["stages_s"]}

            lines: list[str] = []
            handler = logging.Handler()
            handler.emit = lambda record: lines.append(record.getMessage())
            logging.getLogger("winloss").addHandler(handler)
            logging.getLogger("winloss").setLevel(logging.INFO)
            run(fresh_study(tmp, "dry"), tmp / "dry-out", embedder=embedder, llm_flags=flags, dry_run=True)
            planned = re.search(r"(\d+) call\(s\), about (\d+) tokens", lines[-1])
            results["dry_run"] = {"calls": int(planned.group(1)), "est_tokens": int(planned.group(2)),
                                  "requests_sent": len(server.requests)}

            for concurrency in (1, 4):
                shutil.rmtree(tmp / "cache" / "llm", ignore_errors=True)
                before = len(server.requests)
                t0 = time.perf_counter()
                study = fresh_study(tmp, f"c{concurrency}")
                run(study, tmp / f"c{concurrency}-out", embedder=embedder,
                    llm_flags={**flags, "concurrency": concurrency})
                record = json.loads((tmp / f"c{concurrency}-out" / "run.json").read_text())
                results[f"llm_concurrency_{concurrency}"] = {
                    "wall_s": round(time.perf_counter() - t0, 2), "requests": len(server.requests) - before,
                    "stages_s": record["timings"]["stages_s"],
                    "uses": {u["task"]: u["status"] for u in record["llm"]["uses"]}}
            sent = server.requests[before:]
            interviews = load_interviews(study)[0]
            transcripts = {i.interview_id: parse_transcript(i.file) for i in interviews}
            speakers = {turn.speaker for t in transcripts.values() for turn in t.turns}
            parts = {p for n in speakers for p in [n, *n.split()] if len(p) >= 3 and p[0].isupper()}
            parts |= {p.lower() for p in parts}
            mentioned = names_to_redact(transcripts, interviews) - parts - speakers
            raw = "\n".join(r["raw"] for r in sent)

            def found(terms):
                return sorted(t for t in terms if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", raw))

            results["leaks"] = {
                "speaker_name_forms_checked": len(parts), "speaker_name_forms_sent": found(parts),
                "mentioned_names_found": sorted(mentioned), "mentioned_names_sent": found(mentioned),
                "emails_urls_phones_sent": sorted({m for p in PII_PATTERNS for m in p.findall(raw)}),
            }
            before = len(server.requests)
            t0 = time.perf_counter()
            run(fresh_study(tmp, "rerun"), tmp / "rerun-out", embedder=embedder, llm_flags=flags)
            results["cached_rerun"] = {
                "wall_s": round(time.perf_counter() - t0, 2), "requests": len(server.requests) - before,
                "stages_s": json.loads((tmp / "rerun-out" / "run.json").read_text())["timings"]["stages_s"]}
        finally:
            server.stop()
    out = ROOT / "benchmarks" / "results" / "llm.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
