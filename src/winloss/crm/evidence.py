"""Interview evidence joined to the CRM: which deal each interview is about, themes per loss type and per
competitor, the rep's loss reason against the buyer's own themes, and verbatim quotes from quotes.csv."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from winloss.crm.load import account_key
from winloss.models import Interview, Problem

# Topics shared by CRM loss reasons and interview themes, so "Price" in the CRM can be compared with what the buyer
# talked about. Matching is on whole words of the reason, and of the theme's label, keywords and statements.
TOPICS: dict[str, tuple[str, ...]] = {
    "price": ("price", "pricing", "priced", "cost", "costs", "expensive", "cheaper", "per-seat", "per seat", "seats",
              "discount", "quote", "quotes", "money", "platform fee", "tiered"),
    "product gaps": ("feature", "features", "missing", "functionality", "capability", "reporting", "report",
                     "reports", "dashboard", "dashboards", "roadmap", "mobile", "report builder"),
    "ease of use": ("ease of use", "usability", "complex", "complicated", "clunky", "confusing", "tabs", "settings",
                    "demo", "learning curve", "adoption", "intuitive", "easy"),
    "integration": ("integration", "integrations", "connector", "salesforce", "hubspot", "sync", "api", "crm",
                    "data", "mapping", "mapped", "fields"),
    "timing and budget": ("budget", "freeze", "timing", "no decision", "postponed", "on hold", "not now",
                          "next year", "priorities", "spend"),
    "security and procurement": ("security", "procurement", "soc 2", "compliance", "legal", "vendor risk",
                                 "questionnaire"),
    "onboarding and support": ("support", "onboarding", "implementation", "setup", "training", "ticket",
                               "time to value", "go-live", "rollout"),
    "forecast accuracy": ("forecast", "forecasting", "accuracy", "accurate", "ai", "model", "prediction"),
    "sales experience": ("rep", "sales process", "responsive", "pushy", "trust", "relationship"),
    "fit": ("not a fit", "too small", "too big", "no need", "use case"),
}


def topics_of(text: str) -> list[str]:
    lowered = text.lower()
    return [topic for topic, words in TOPICS.items()
            if any(re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", lowered) for w in words)]


@dataclass(frozen=True)
class Join:
    interview_id: str
    cohort: str
    deal_id: str  # '' when the join failed
    method: str  # deal_id, account_id, company, or '' (failed)
    note: str = ""


def join_interviews(interviews: list[Interview], deals: pd.DataFrame) -> tuple[list[Join], list[Problem]]:
    """Each interview to one deal: by deal_id, else by account_id, else by company name; for an account, the
    latest closed deal whose outcome fits the cohort (won/churned -> won, lost -> lost)."""
    usable = deals[deals["excluded"].isin(["", "open"])]
    by_id = {d: i for i, d in zip(usable.index, usable["deal_id"])}
    joins, problems = [], []
    for iv in sorted(interviews, key=lambda i: i.interview_id):
        where = f"interviews.csv row {iv.row} ({iv.interview_id})"
        wanted = "lost" if iv.cohort == "lost" else "won"
        found, method, misses = None, "", []
        if iv.deal_id:
            if iv.deal_id in by_id:
                found, method = by_id[iv.deal_id], "deal_id"
            else:
                misses.append(f"deal_id {iv.deal_id} is not in crm/deals.csv")
        for attr, key in (("account_id", account_key(iv.account_id, "")), ("company", account_key("", iv.company))):
            if found is not None or not key:
                continue
            column = "account_key" if attr == "account_id" else None
            if column:
                rows = usable[usable["account_key"] == key]
            else:
                rows = usable[usable["account_name"].map(lambda n: account_key("", n)) == key]
            closed = rows[rows["outcome"] == wanted].sort_values(["close_date", "row"], na_position="first",
                                                                 kind="mergesort")
            if len(closed):
                found, method = closed.index[-1], attr
            else:
                misses.append(f"{attr} {getattr(iv, attr)} has no closed-{wanted} deal in crm/deals.csv")
        if found is None:
            if misses:
                problems.append(Problem(where, "; ".join(misses) + "; interview not joined to the CRM",
                                        iv.interview_id))
            joins.append(Join(iv.interview_id, iv.cohort, "", "", "; ".join(misses) or "no deal_id, account_id "
                                                                                    "or company to join on"))
            continue
        deal = usable.loc[found]
        note = ""
        if deal["outcome"] != wanted:
            note = f"interview cohort {iv.cohort} but deal {deal['deal_id']} is {deal['stage']}"
            problems.append(Problem(where, note, iv.interview_id))
        elif misses:
            note = "; ".join(misses) + f"; joined by {method}"
            problems.append(Problem(where, note, iv.interview_id))
        joins.append(Join(iv.interview_id, iv.cohort, str(deal["deal_id"]), method, note))
    return joins, problems


def themes_per_interview(statements: pd.DataFrame) -> dict[str, dict[str, int]]:
    """interview_id -> {theme_id: statements}, themed statements only."""
    themed = statements[statements["theme_id"].fillna("").astype(str) != ""]
    out: dict[str, dict[str, int]] = {}
    for (iid, tid), group in themed.groupby(["interview_id", "theme_id"], sort=True):
        out.setdefault(str(iid), {})[str(tid)] = len(group)
    return out


def theme_crosstab(groups: dict[str, list[str]], per_interview: dict[str, dict[str, int]],
                   themes: pd.DataFrame) -> list[dict]:
    """Rows per theme: in how many interviews of each group (n of N). groups: name -> interview ids."""
    labels = dict(zip(themes["theme_id"], themes["label"]))
    rows = []
    for tid in themes["theme_id"]:
        cells = []
        for name, ids in groups.items():
            n = sum(1 for i in ids if tid in per_interview.get(i, {}))
            cells.append({"group": name, "n": n, "N": len(ids)})
        if any(c["n"] for c in cells):
            rows.append({"theme_id": tid, "label": labels[tid], "cells": cells, "total": sum(c["n"] for c in cells)})
    return sorted(rows, key=lambda r: (-r["total"], r["theme_id"]))


def themes_by_lift(statements: pd.DataFrame, interview_ids) -> list[str]:
    """Theme ids ordered by how much more often these interviews raise them than the other interviews do: the
    quotes that speak for a group come from the themes that set it apart."""
    inside_ids = set(interview_ids)
    themed = statements[statements["theme_id"].fillna("").astype(str) != ""]
    n_in = len(inside_ids & set(statements["interview_id"]))
    n_out = statements.loc[~statements["interview_id"].isin(inside_ids), "interview_id"].nunique()
    lift = {}
    for tid, group in themed.groupby("theme_id", sort=True):
        inside = group["interview_id"].isin(inside_ids)
        has_in, has_out = group.loc[inside, "interview_id"].nunique(), group.loc[~inside, "interview_id"].nunique()
        lift[tid] = (has_in / n_in if n_in else 0.0) - (has_out / n_out if n_out else 0.0)
    return sorted(lift, key=lambda t: (-round(lift[t], 9), t))


def cohort_ids(statements: pd.DataFrame, *cohorts: str) -> set[str]:
    return set(statements.loc[statements["cohort"].isin(cohorts), "interview_id"])


def pick_quotes(quotes: pd.DataFrame, interview_ids, theme_ids=None, limit: int = 1,
                avoid: set[str] | None = None) -> list[dict]:
    """Verbatim quotes from quotes.csv for these interviews, preferring the given themes in order; one per
    interview so the evidence spans accounts; quotes in `avoid` (already shown nearby) are skipped."""
    ids = set(interview_ids)
    rows = quotes[quotes["interview_id"].isin(ids) & ~quotes["quote"].isin(avoid or set())]
    if theme_ids is not None:
        rank = {t: i for i, t in enumerate(theme_ids)}
        rows = rows[rows["theme_id"].isin(rank)]
        rows = rows.assign(_rank=rows["theme_id"].map(rank)).sort_values(["_rank", "interview_id"], kind="mergesort")
    else:
        rows = rows.sort_values(["interview_id"], kind="mergesort")
    picked, seen = [], set()
    for r in rows.itertuples():
        if r.interview_id in seen:
            continue
        seen.add(r.interview_id)
        picked.append({"quote": r.quote, "interview_id": r.interview_id, "speaker": r.speaker, "cohort": r.cohort,
                       "theme_id": r.theme_id, "start": _seconds(r.start)})
        if len(picked) == limit:
            break
    return picked


def _seconds(value) -> float | None:
    """quotes.csv start times: blank, None or NaN when the transcript has no timestamps."""
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return None
    return float(value)


def rep_vs_buyer(pairs: list[dict], per_interview: dict[str, dict[str, int]], themes: pd.DataFrame,
                 statements: pd.DataFrame, quotes: pd.DataFrame) -> list[dict]:
    """For each interviewed lost deal with a CRM loss reason: the reason's topics against what the buyer said.
    The buyer's topics come from their own statements, themed or not: a theme's keywords describe many interviews,
    so they would credit a buyer with words they never said. pairs: {interview_id, deal_id, account, reason}."""
    labels = dict(zip(themes["theme_id"], themes["label"]))
    rows = []
    for pair in pairs:
        reason_topics = topics_of(pair["reason"])
        counts = per_interview.get(pair["interview_id"], {})
        ordered = sorted(counts, key=lambda t: (-counts[t], t))
        said = statements[statements["interview_id"] == pair["interview_id"]]
        topic_counts: dict[str, int] = {}
        for text in said["text"]:
            for topic in topics_of(str(text)):
                topic_counts[topic] = topic_counts.get(topic, 0) + 1
        buyer_topics = sorted(topic_counts, key=lambda t: (-topic_counts[t], t))
        shared = [t for t in reason_topics if t in topic_counts]
        status = "agree" if shared else "disagree" if reason_topics and buyer_topics else "cannot tell"
        rows.append({**pair, "reason_topics": reason_topics, "buyer_themes": [
            {"theme_id": t, "label": labels[t], "statements": counts[t]} for t in ordered[:4]],
            "buyer_topics": buyer_topics[:4], "status": status,
            "quotes": _buyer_quote(quotes, pair["interview_id"], [t for t in buyer_topics if t not in reason_topics],
                                   ordered)})
    return rows


def _buyer_quote(quotes: pd.DataFrame, interview_id: str, topics: list[str], themes: list[str]) -> list[dict]:
    """The buyer's quote from quotes.csv that best shows what they talked about instead (most of those topics,
    then theme order); none when no quote of theirs touches those topics, rather than an off-topic one."""
    rank = {t: i for i, t in enumerate(themes)}
    rows = quotes[quotes["interview_id"] == interview_id]
    scored = [(len(set(topics_of(str(r.quote))) & set(topics)), -rank.get(r.theme_id, len(rank)), -r.Index, r.Index)
              for r in rows.itertuples()]
    best = max(scored, default=None)
    if best is None or best[0] == 0:
        return []
    return pick_quotes(quotes.loc[[best[3]]], [interview_id])
