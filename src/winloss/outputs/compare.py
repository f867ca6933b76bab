"""Quarter over quarter: this run's themes against the previous quarter's output folder (`previous` in winloss.toml).

Themes are matched by id when the two quarters share a codebook (copy last quarter's codebook files into the new
study) and the two themes still mean the same thing; otherwise by meaning, pairing the most similar theme centres.
Centres come from each run's winloss.db, whose vectors embed the statement text alone, so they are comparable
whenever the model is the same.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from winloss.errors import WinlossError
from winloss.outputs import db
from winloss.themes.vectors import centres

SAME_ID_SIMILARITY = 0.6  # a theme keeping its id must still be about the same thing
MATCH_SIMILARITY = 0.8  # themes with different ids are paired only when clearly the same


class CompareError(WinlossError):
    pass


@dataclass
class Quarter:
    labels: dict[str, str]  # theme id -> label
    centres: dict[str, np.ndarray]
    shares: pd.DataFrame  # theme_id, cohort, interviews_with_theme, interviews_in_cohort, share
    model_id: str


@dataclass
class Comparison:
    previous: str
    matches: list[tuple[str, str, float]]  # (previous id, current id, centre similarity)
    rows: list[dict] = field(default_factory=list)  # per matched theme: label, ids, per cohort then and now
    new: list[dict] = field(default_factory=list)
    vanished: list[dict] = field(default_factory=list)


def load_quarter(out_dir: Path) -> Quarter:
    path = Path(out_dir) / db.DB_NAME
    try:
        conn = db.connect(path)
    except db.DatabaseError as exc:
        raise CompareError(f"previous quarter: {exc}") from exc
    try:
        vectors = db.load_vectors(conn)
        theme_ids = [r[0] or "" for r in conn.execute("SELECT theme_id FROM statements ORDER BY id")]
        labels = dict(conn.execute("SELECT theme_id, label FROM themes ORDER BY theme_id").fetchall())
        shares = pd.read_sql_query("SELECT theme_id, cohort, interviews_with_theme, interviews_in_cohort, share "
                                   "FROM theme_cohorts ORDER BY theme_id, cohort", conn)
        model_id = db.meta(conn)["model_id"]
    finally:
        conn.close()
    return Quarter(labels, centres(vectors, theme_ids), shares, model_id)


def match_themes(before: dict[str, np.ndarray], now: dict[str, np.ndarray]) -> list[tuple[str, str, float]]:
    """Pairs (previous id, current id, similarity): same id first, then the most similar remaining pairs."""
    pairs = []
    for tid in sorted(set(before) & set(now)):
        sim = float(before[tid] @ now[tid])
        if sim >= SAME_ID_SIMILARITY:
            pairs.append((tid, tid, sim))
    left_b = [t for t in sorted(before) if t not in {p[0] for p in pairs}]
    left_n = [t for t in sorted(now) if t not in {p[1] for p in pairs}]
    candidates = sorted((-float(before[b] @ now[n]), b, n) for b in left_b for n in left_n)
    used_b, used_n = set(), set()
    for neg, b, n in candidates:
        if -neg < MATCH_SIMILARITY:
            break
        if b not in used_b and n not in used_n:
            pairs.append((b, n, -neg))
            used_b.add(b)
            used_n.add(n)
    return sorted(pairs, key=lambda p: p[1])


def _cell(shares: pd.DataFrame, tid: str, cohort: str) -> dict | None:
    rows = shares[(shares["theme_id"] == tid) & (shares["cohort"] == cohort)]
    if rows.empty:
        return None
    r = rows.iloc[0]
    share = float(r["share"]) if r["share"] is not None and not math.isnan(float(r["share"])) else None
    return {"n": int(r["interviews_with_theme"]), "N": int(r["interviews_in_cohort"]), "share": share}


def compare(previous: Quarter, current: Quarter, previous_name: str, cohorts: list[str]) -> Comparison:
    if previous.model_id != current.model_id:
        raise CompareError(f"previous quarter was embedded with {previous.model_id}, this one with "
                           f"{current.model_id}; rerun the previous quarter with the same model to compare")
    matches = match_themes(previous.centres, current.centres)
    result = Comparison(previous_name, matches)
    for b, n, sim in matches:
        cells = []
        for cohort in cohorts:
            then, now = _cell(previous.shares, b, cohort), _cell(current.shares, n, cohort)
            change = (now["share"] - then["share"]) if then and now and None not in (then["share"], now["share"]) \
                else None
            cells.append({"cohort": cohort, "then": then, "now": now, "change": change})
        result.rows.append({"id": n, "previous_id": b, "label": current.labels.get(n, n),
                            "previous_label": previous.labels.get(b, b), "similarity": round(sim, 3),
                            "cohorts": cells})
    matched_b, matched_n = {m[0] for m in matches}, {m[1] for m in matches}
    for tid in sorted(current.labels):
        if tid not in matched_n:
            result.new.append({"id": tid, "label": current.labels[tid],
                               "cohorts": [{"cohort": c, "now": _cell(current.shares, tid, c)} for c in cohorts]})
    for tid in sorted(previous.labels):
        if tid not in matched_b:
            result.vanished.append({"id": tid, "label": previous.labels[tid],
                                    "cohorts": [{"cohort": c, "then": _cell(previous.shares, tid, c)}
                                                for c in cohorts]})
    return result


def current_quarter(statements_df: pd.DataFrame, themes_df: pd.DataFrame, cohorts_df: pd.DataFrame,
                    text_vectors: np.ndarray, model_id: str) -> Quarter:
    labels = dict(zip(themes_df["theme_id"].astype(str), themes_df["label"].astype(str)))
    ids = statements_df["theme_id"].fillna("").astype(str).tolist()
    shares = cohorts_df[["theme_id", "cohort", "interviews_with_theme", "interviews_in_cohort", "share"]]
    return Quarter(labels, centres(np.asarray(text_vectors), ids), shares.reset_index(drop=True), model_id)


@dataclass(frozen=True)
class PreviousRun:
    """What the report's front compares with, from the previous quarter's run.json and icp.json."""
    name: str  # as winloss.toml's `previous` gives it
    interviews: dict[str, int]  # per cohort
    drivers: list[dict]  # run.json "drivers": cohort, theme_id, label, kind, n, N ...
    icp: dict | None  # icp.json, when that quarter had a CRM


def previous_folder(study_dir: Path, previous: str) -> Path:
    """`previous` from winloss.toml: absolute, or relative to the study folder."""
    folder = Path(previous).expanduser()
    return folder if folder.is_absolute() else Path(study_dir) / folder


def load_previous(folder: Path, name: str) -> PreviousRun:
    try:
        record = json.loads((Path(folder) / "run.json").read_text(encoding="utf-8"))
        icp_path = Path(folder) / "icp.json"
        icp = json.loads(icp_path.read_text(encoding="utf-8")) if icp_path.is_file() else None
    except (OSError, ValueError) as exc:
        raise CompareError(f"previous quarter: cannot read its run.json or icp.json: {exc}") from exc
    return PreviousRun(name, dict(record.get("counts", {}).get("interviews_per_cohort", {})),
                       list(record.get("drivers", [])), icp if icp and icp.get("usable") else None)
