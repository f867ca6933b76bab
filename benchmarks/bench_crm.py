"""Time the CRM stage (analyse_crm + context + write) on the demo CRM export scaled up N times.

Usage: python benchmarks/bench_crm.py [copies]   (default 40 copies: 5,680 deals, 2,960 accounts)
"""
from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from winloss.crm import analyse_crm

DEMO_CRM = Path(__file__).resolve().parents[1] / "fixtures" / "demo" / "crm"


def scaled_study(copies: int, root: Path) -> Path:
    """Each copy gets its own deal and account ids, so the patterns repeat and nothing is a duplicate."""
    (root / "crm").mkdir(parents=True)
    for name, id_columns in (("deals.csv", ("Opportunity ID", "Account ID")), ("accounts.csv", ("Account ID",))):
        rows = list(csv.DictReader((DEMO_CRM / name).open(encoding="utf-8")))
        with (root / "crm" / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            for k in range(copies):
                writer.writerows({**r, **{c: f"{r[c]}-{k}" for c in id_columns}} for r in rows)
    return root


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    empty = {"statements": ["statement_id", "interview_id", "cohort", "speaker", "start", "end", "text", "theme_id"],
             "themes": ["theme_id", "label", "keywords", "n_statements", "n_interviews"],
             "quotes": ["theme_id", "cohort", "interview_id", "speaker", "start", "end", "quote"]}
    frames = {k: pd.DataFrame(columns=v) for k, v in empty.items()}
    with tempfile.TemporaryDirectory() as tmp:
        study = scaled_study(copies, Path(tmp) / "study")
        t0 = time.perf_counter()
        analysis = analyse_crm(study, [], frames["statements"], frames["themes"], frames["quotes"], {})
        t1 = time.perf_counter()
        analysis.context()
        analysis.write(Path(tmp) / "out")
        t2 = time.perf_counter()
    print(f"{len(analysis.deals)} deals, {len(analysis.accounts)} won accounts: analyse {t1 - t0:.2f} s, "
          f"context + write {t2 - t1:.2f} s, {len(analysis.problems)} problems")


if __name__ == "__main__":
    main()
