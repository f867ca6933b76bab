"""The CRM stage's files in the output folder: icp.json, loss_types.csv, segments.csv, open_pipeline.csv and
nurture.csv, sorted and with fixed float formatting so a rerun is byte-identical."""
from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from winloss.crm import narrative
from winloss.crm.followup import nurture, open_pipeline
from winloss.crm.result import CrmAnalysis

SEGMENT_COLUMNS = ["dimension", "value", "deals", "won", "lost", "win_rate", "p_win", "q_win", "accounts", "best",
                   "average", "problematic", "churned", "retained", "known", "retention", "p_best", "q_best"]


def write_crm(a: CrmAnalysis, out_dir: Path) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    losses = a.loss_table()
    if a.usable and not a.criteria:  # nothing to score on: "score 0, band C" would read as a verdict
        losses = losses.assign(score="", band="")
    losses.to_csv(out_dir / "loss_types.csv", index=False, lineterminator="\n")
    if a.usable:
        table = open_pipeline(a.deals)
        if not a.criteria:
            table = table.assign(score="", band="", fit="")
        table.to_csv(out_dir / "open_pipeline.csv", index=False, lineterminator="\n")
        nurture(a.deals, not a.untested, a.as_of).to_csv(out_dir / "nurture.csv", index=False, lineterminator="\n")
    seg = a.segments.reindex(columns=SEGMENT_COLUMNS).copy()
    for col in ("win_rate", "retention"):
        seg[col] = seg[col].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    for col in ("p_win", "q_win", "p_best", "q_best"):
        seg[col] = seg[col].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
    seg.to_csv(out_dir / "segments.csv", index=False, lineterminator="\n")
    (out_dir / "icp.json").write_text(json.dumps(icp_record(a), indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")


def icp_record(a: CrmAnalysis) -> dict:
    """icp.json: the draft's criteria, scorecard and checks, with the narrative's one-paragraph summary."""
    return _rounded({
        "usable": a.usable,
        "criteria": [{**{k: v for k, v in asdict(c).items() if k != "values"}, "values": list(c.values),
                      "share": c.share, "share_other": c.share_other,
                      "quotes": a.evidence.get("criterion_quotes", {}).get(c.label, [])}
                     for c in a.criteria],
        "scorecard": {"weights": {c.label: c.weight for c in a.criteria},
                      "bands": {"A": f">= {a.rules.band_a}",
                                "B": f"{a.rules.band_b}-{a.rules.band_a - 1}",
                                "C": f"< {a.rules.band_b}"}},
        "backtest": a.backtest, "backtest_out_of_sample": a.out_of_sample,
        "health": a.health, "pressure_tests": a.pressure, "money": a.money, "icp_groups": a.groups,
        "critical_question": a.critical,
        "summary": narrative.summary(a) if a.usable else "",
        "changes_from_current": a.changes, "problems": [str(p) for p in a.problems],
    })


def _rounded(value):
    if isinstance(value, float):  # four significant digits: shares stay readable, tiny p-values stay non-zero
        return None if math.isnan(value) else float(f"{value:.4g}")
    if isinstance(value, dict):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value
