"""`winloss export`: the run's evidence as CSV, JSON or an Excel workbook, from winloss.db and quotes.csv.

Tables: evidence (one row per statement, with its theme label and the interview's company and CRM fields),
themes, theme_cohorts, quotes. Outputs are deterministic: same run, same bytes.
"""
from __future__ import annotations

import io
import json
import math
import re
import zipfile
from pathlib import Path

import pandas as pd

from winloss.errors import WinlossError
from winloss.outputs import db

EVIDENCE_SQL = """
SELECT s.statement_id, s.interview_id, s.cohort, i.company, s.account, s.competitor, s.loss_type,
       s.speaker, s.start, s.end, s.theme_id, t.label AS theme_label, s.text AS quote
FROM statements s JOIN interviews i USING (interview_id) LEFT JOIN themes t USING (theme_id)
ORDER BY s.id
"""
# A fixed timestamp for the zip entries and document properties of the workbook.
FIXED_TIME = (2000, 1, 1, 0, 0, 0)


class ExportError(WinlossError):
    pass


def tables(out_dir: Path) -> dict[str, pd.DataFrame]:
    conn = db.connect(Path(out_dir) / db.DB_NAME)
    try:
        found = {
            "evidence": pd.read_sql_query(EVIDENCE_SQL, conn),
            "themes": pd.read_sql_query("SELECT * FROM themes ORDER BY theme_id", conn),
            "theme_cohorts": pd.read_sql_query("SELECT * FROM theme_cohorts ORDER BY theme_id, cohort", conn),
        }
    finally:
        conn.close()
    quotes = Path(out_dir) / "quotes.csv"
    if quotes.exists():
        found["quotes"] = pd.read_csv(quotes, dtype={"interview_id": str, "speaker": str}, keep_default_na=False)
    return found


def _records(df: pd.DataFrame) -> list[dict]:
    def clean(v):
        if isinstance(v, float) and math.isnan(v):
            return None
        return v.item() if hasattr(v, "item") else v

    return [{k: clean(v) for k, v in row.items()} for row in df.to_dict("records")]


def export_run(out_dir: Path, fmt: str = "csv", dest: Path | None = None) -> list[Path]:
    """Write the tables in `fmt` (csv, json, xlsx) under dest (default OUT/export/); returns the files written."""
    out_dir = Path(out_dir)
    dest = Path(dest) if dest else out_dir / "export"
    found = tables(out_dir)
    dest.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        paths = []
        for name, df in found.items():
            path = dest / f"{name}.csv"
            df.to_csv(path, index=False, lineterminator="\n", float_format="%.6g")
            paths.append(path)
        return paths
    if fmt == "json":
        path = dest / "winloss.json"
        data = {name: _records(df) for name, df in found.items()}
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return [path]
    if fmt == "xlsx":
        path = dest / "winloss.xlsx"
        path.write_bytes(workbook(found))
        return [path]
    raise ExportError(f"unknown export format {fmt!r}; use csv, json or xlsx")


def workbook(found: dict[str, pd.DataFrame]) -> bytes:
    """One sheet per table, header row frozen; zip entries re-stamped so the bytes depend only on the content."""
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in found.items():
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([None if isinstance(v, float) and math.isnan(v) else v for v in row])
        ws.freeze_panes = "A2"
    stamp = datetime(*FIXED_TIME)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "winloss"
    raw = io.BytesIO()
    wb.save(raw)
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with the clock on save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode(),
                              data)
            out.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_TIME), data, zipfile.ZIP_DEFLATED)
    return fixed.getvalue()
