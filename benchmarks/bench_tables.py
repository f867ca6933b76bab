"""Time loading a 50,000-row CRM export (crm/deals) in each layout users save: the clean CSV, a Salesforce CSV report
with its footer, a European Excel CSV (sep=;, Windows-1252, decimal commas) and a Salesforce formatted .xlsx.
Loading = winloss.tables reading the file plus load_deals parsing every stage, number and date.

Usage: python benchmarks/bench_tables.py [rows]   (default 50,000; target: under 5 s per layout)
Writes benchmarks/results/tables.json.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures" / "spreadsheets"))

from layouts import european_csv, read, salesforce_csv, salesforce_xlsx

from winloss.crm.load import load_deals
from winloss.crm.settings import CrmSettings

TARGET_S = 5.0


def scaled(rows: int) -> tuple[list[str], list[list[str]]]:
    """The demo deals repeated with fresh ids, so nothing is a duplicate and the value mix stays realistic."""
    header, demo = read(ROOT / "fixtures" / "demo" / "crm" / "deals.csv")
    ids = [header.index("Opportunity ID"), header.index("Account ID")]
    out = []
    for n in range(rows):
        row = list(demo[n % len(demo)])
        for i in ids:
            row[i] = f"{row[i]}-{n // len(demo)}"
        out.append(row)
    return header, out


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    header, data = scaled(rows)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        layouts = {
            "clean.csv": lambda p: p.write_text("\n".join(",".join(f'"{c}"' if "," in c else c for c in r)
                                                          for r in [header, *data]) + "\n", encoding="utf-8"),
            "salesforce.csv": lambda p: p.write_bytes(salesforce_csv(header, data, "Closed Opportunities")),
            "europe.csv": lambda p: p.write_bytes(european_csv(header, data)),
            "salesforce.xlsx": lambda p: salesforce_xlsx(p, header, data, "Closed Opportunities"),
        }
        for name, make in layouts.items():
            path = Path(tmp) / name
            make(path)
            t0, c0 = time.perf_counter(), time.process_time()
            tables = load_deals(path, CrmSettings())
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            assert len(tables.deals) == rows and not tables.problems, (name, tables.problems[:3])
            # CPU seconds too: on a shared machine the wall clock also counts other people's jobs.
            results[name] = {"rows": rows, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                             "mb": round(path.stat().st_size / 1e6, 1)}
            print(f"{name:16} {rows} rows, {results[name]['mb']} MB: {seconds:.2f} s wall, {cpu:.2f} s CPU "
                  f"({'ok' if seconds < TARGET_S else 'OVER'} target {TARGET_S:.0f} s)")
    record = {"benchmark": "bench_tables", "machine": f"{platform.machine()}, {platform.python_version()}",
              "load_average": [round(x, 1) for x in os.getloadavg()],
              "target_s": TARGET_S, "results": results}
    out = ROOT / "benchmarks" / "results" / "tables.json"
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
