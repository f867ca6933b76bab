"""The CRM stage against what the demo CRM plants, and its time on a large export.

Recovery (fixtures/demo/crm_planted.json, written by fixtures/make_demo_crm.py): the employee range found vs the
planted edges (target: within 15 % of each), the planted negative pockets, no contradiction in the draft, loss-type
agreement with the planted types, and the in-sample and out-of-sample back-test figures.
Time: analyse_crm + context + write on the demo CRM scaled up N times (default 29 copies: 5,046 deals).

Usage: python benchmarks/bench_crm.py [copies]   -> benchmarks/results/crm.json
"""
from __future__ import annotations

import csv
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from winloss.crm import analyse_crm
from winloss.crm.coherence import contradictions
from winloss.crm.files import write_crm
from winloss.crm.narrative import context as crm_context

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo"
EMPTY = {"statements": ["statement_id", "interview_id", "cohort", "speaker", "start", "end", "text", "theme_id"],
         "themes": ["theme_id", "label", "keywords", "n_statements", "n_interviews"],
         "quotes": ["theme_id", "cohort", "interview_id", "speaker", "start", "end", "quote"]}


def frames() -> dict[str, pd.DataFrame]:
    return {k: pd.DataFrame(columns=v) for k, v in EMPTY.items()}


def analyse(study: Path):
    f = frames()
    return analyse_crm(study, [], f["statements"], f["themes"], f["quotes"], {})


def recovery() -> dict:
    truth = json.loads((DEMO / "crm_planted.json").read_text(encoding="utf-8"))
    a = analyse(DEMO)
    low, high = truth["fit_range"]["employees"]
    found = next(c for c in a.criteria if c.key == "employees" and c.kind != "negative")
    labels = {c.label: c.kind for c in a.criteria}
    table = a.loss_table().set_index("deal_id")
    agree = sum(int(table.loc[d, "loss_type"]) == t for d, t in truth["loss_types"].items())
    oos = a.out_of_sample

    def figures(bt: dict) -> dict:
        return {"wins_70_plus": f"{bt['wins_at_or_above_a']} of {bt['wins']}",
                "losses_below_55": f"{bt['losses_below_b']} of {bt['losses']}",
                "bands": [{k: b[k] for k in ("band", "won", "lost", "win_rate", "avg_amount", "avg_cycle_days")}
                          for b in bt["bands"]]}

    return {
        "planted_range": [low, high], "found_range": [found.low, found.high], "found_label": found.label,
        "edge_error": {"low": abs(found.low - low) / low, "high": abs(found.high - high) / high},
        "pockets_found": {p: labels.get(p, "missing") for p in truth["negative_pockets"]},
        "contradictions": contradictions(a.criteria, a.rules),
        "loss_type_agreement": f"{agree} of {len(truth['loss_types'])}",
        "in_sample": figures(a.backtest),
        "out_of_sample": {"holdout": oos["holdout"], "fit_deals": oos["fit_deals"],
                          "holdout_deals": oos["holdout_deals"], "too_small": oos["too_small"], **figures(oos)},
    }


def scaled_study(copies: int, root: Path) -> Path:
    """Each copy gets its own deal and account ids, so the patterns repeat and nothing is a duplicate."""
    (root / "crm").mkdir(parents=True)
    for name, id_columns in (("deals.csv", ("Opportunity ID", "Account ID")), ("accounts.csv", ("Account ID",))):
        rows = list(csv.DictReader((DEMO / "crm" / name).open(encoding="utf-8")))
        with (root / "crm" / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            for k in range(copies):
                writer.writerows({**r, **{c: f"{r[c]}-{k}" for c in id_columns}} for r in rows)
    return root


def timing(copies: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        study = scaled_study(copies, Path(tmp) / "study")
        t0 = time.perf_counter()
        analysis = analyse(study)
        t1 = time.perf_counter()
        f = frames()
        crm_context(analysis, f["statements"], f["themes"], f["quotes"])
        write_crm(analysis, Path(tmp) / "out")
        t2 = time.perf_counter()
    return {"deals": len(analysis.deals), "won_accounts": len(analysis.accounts),
            "analyse_s": round(t1 - t0, 2), "context_and_write_s": round(t2 - t1, 2),
            "total_s": round(t2 - t0, 2), "problems": len(analysis.problems)}


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 29
    result = {"recovery": recovery(), "scale": timing(copies), "cpu": platform.machine(),
              "cores": os.cpu_count()}
    out = ROOT / "benchmarks" / "results" / "crm.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
