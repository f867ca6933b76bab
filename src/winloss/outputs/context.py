"""What the report template is given: plain data built from the run's typed results, nothing computed in jinja."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from winloss.models import Coverage, Interview
from winloss.outputs.tables import Tables
from winloss.themes.ids import theme_sort_key
from winloss.themes.quotes import Quote
from winloss.themes.stats import separation

CLEAR_Q = 0.25  # the appendix calls a theme's strongest cohort contrast clear below this BH q
# cohort -> (driver kind, what its stance is called, the stance column, the stance read as)
DIRECTIONS = {"won": ("win", "praised", "positive", "praise"), "lost": ("loss", "criticised", "negative", "criticism"),
              "churned": ("churn", "criticised", "negative", "criticism")}


def theme_order(cohorts: pd.DataFrame) -> list[str]:
    """Themes that separate the cohorts most first: smallest q-value, then widest share gap, then id."""
    if cohorts.empty:
        return []
    if cohorts["cohort"].nunique() < 2:  # nothing to separate: the themes most interviews raise first
        counts = cohorts.groupby("theme_id")["interviews_with_theme"].sum()
        return sorted(counts.index, key=lambda t: (-int(counts[t]), theme_sort_key(t)))
    sep = separation(cohorts)
    return sorted(sep.index, key=lambda t: (round(sep.loc[t, "q"], 12), -round(sep.loc[t, "gap"], 12),
                                            theme_sort_key(t)))


def report_quotes(quotes: list[Quote], tid: str, limit: int = 3) -> list[Quote]:
    """The best quote of each cohort first, then the next best, so the reader sees every side; the same words
    twice add nothing, whoever said them."""
    mine = [q for q in quotes if q.theme == tid]
    rank = {id(q): sum(1 for p in mine[:i] if p.cohort == q.cohort) for i, q in enumerate(mine)}
    out: list[Quote] = []
    for q in sorted(mine, key=lambda q: (rank[id(q)], q.cohort)):
        if q.quote not in {p.quote for p in out}:
            out.append(q)
    return out[:limit]


def no_driver_texts(cards: list[dict]) -> dict[str, str]:
    """What "Why we win / lose / churn" says when a cohort has no driver. A theme the appendix shows coming up more
    often in that cohort is named with its n of N: mentioned more, but not read with the driver's stance often
    enough to be one (a reader who sees its row must not be told that no theme stands out)."""
    out = {}
    for cohort, (kind, verb, stance, read) in DIRECTIONS.items():
        text = f"No {kind} drivers: no theme is {verb} in {cohort} interviews more often than in the others."
        card = next((c for c in cards if c["over"] == cohort), None)
        if card is not None:
            mine = next(c for c in card["cohorts"] if c["name"] == cohort)
            rest = [c for c in card["cohorts"] if c["name"] != cohort]
            text = (f"No {kind} drivers: no theme is {verb} in {cohort} interviews often enough to call it one. "
                    f"{card['label']} ({card['id']}) comes up more often in {cohort} interviews ({mine['n']} of "
                    f"{mine['N']}, against {sum(c['n'] for c in rest)} of {sum(c['N'] for c in rest)} others; "
                    f"q {mine['q']:.3f}), but its statements are read as {read} in only {mine[stance]} of them.")
        out[cohort] = text
    return out


def coverage_context(coverage: Coverage | None, analysed: int) -> dict:
    """The interviews the counts leave out and those that may count the interviewer's speech, for the Scope."""
    if coverage is None:
        return {"n_listed": analysed, "unread": [], "unsure_roles": []}
    return {"n_listed": max(coverage.listed, analysed), "unread": list(coverage.unread),
            "unsure_roles": list(coverage.unsure_roles)}


def report_context(study_dir: Path, interviews: list[Interview], tables: Tables, findings: Tables,
                   quotes: list[Quote], order: list[str], cohort_sizes: dict[str, int], run: dict,
                   warnings: list[str], problems: list, chart: str | None) -> dict:
    dates = sorted(i.date for i in interviews if i.date)
    themes_by_id = findings.themes.set_index("theme_id")
    statements = tables.statements
    n_unassigned = int((statements["theme_id"] == "").sum())
    chatter = tables.themes[tables.themes["kind"] == "small talk"]
    cards = []
    for tid in order:
        rows = findings.cohorts[findings.cohorts["theme_id"] == tid]
        cohorts = [{"name": r.cohort, "n": int(r.interviews_with_theme), "N": int(r.interviews_in_cohort),
                    "share": float(r.share), "lift": float(r.lift), "p": float(r.p_value), "q": float(r.q_value),
                    "small": bool(r.small_sample), "positive": int(getattr(r, "interviews_positive", 0)),
                    "negative": int(getattr(r, "interviews_negative", 0))} for r in rows.itertuples()]
        # the clearest cohort the theme comes up more often in; else the clearest it comes up less often in (0 of
        # 10 lost interviews, q < 0.001, is a difference too, though "lift" would read 0)
        rank = lambda c: (c["q"], -c["share"], c["name"])  # noqa: E731
        over = [c for c in cohorts if c["q"] < CLEAR_Q and c["lift"] > 1]
        under = [c for c in cohorts if c["q"] < CLEAR_Q and c["lift"] < 1]
        top = min(over or cohorts, key=rank)
        clear = bool(over)
        low = min(under, key=rank) if under else None
        # with no clear contrast, the widest share still orients the reader, said to be within chance: the same
        # "no clear difference" on every row of a small study says nothing
        most = max(cohorts, key=lambda c: (c["share"], -c["q"], c["name"]))
        contrast = f"more often in {top['name']} (lift {top['lift']:.1f}×, q {top['q']:.3f})" if clear else \
            f"less often in {low['name']} ({low['n']} of {low['N']}, q {low['q']:.3f})" if low else \
            f"no clear difference (most in {most['name']}, {most['n']} of {most['N']}, within chance)"
        cards.append({
            "id": tid, "label": themes_by_id.loc[tid, "label"],
            "keywords": [k for k in themes_by_id.loc[tid, "keywords"].split("; ") if k],
            "n_statements": int(themes_by_id.loc[tid, "n_statements"]),
            "n_interviews": int(themes_by_id.loc[tid, "n_interviews"]),
            "cohorts": cohorts, "contrast": contrast, "over": top["name"] if clear else "",
            "quotes": report_quotes(quotes, tid),
        })
    return {
        "study": {
            "name": Path(study_dir).resolve().name, "n_interviews": len(interviews),
            "date_range": f"{dates[0]} to {dates[-1]}" if dates else "",
            "cohorts": [{"name": c, "n": n} for c, n in cohort_sizes.items()],
            "compared": len(cohort_sizes) > 1,  # one cohort: no contrast, lift or p-value means anything
            "n_statements": len(statements), "n_themes": len(tables.themes) - len(chatter),
            "n_unassigned": n_unassigned,
            "small_talk": [{"id": r.theme_id, "label": r.label, "n_statements": int(r.n_statements)}
                           for r in chatter.itertuples()],
            "share_unassigned": n_unassigned / len(statements) if len(statements) else 0.0,
            **coverage_context(run.get("coverage"), len(interviews)),
        },
        "themes": cards, "heatmap": chart, "warnings": warnings, "problems": [str(p) for p in problems],
        "run": run,
    }
