"""Interview evidence joined to the CRM: which deal each interview is about, themes per loss type and per
competitor, the rep's loss reason against the buyer's own themes, and verbatim quotes from quotes.csv."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from winloss.crm.load import account_key
from winloss.crm.settings import type_names
from winloss.models import Interview, Problem
from winloss.themes.drivers import MAX_P, MIN_INTERVIEWS, one_sided
from winloss.themes.parties import alternation, cased

if TYPE_CHECKING:
    from winloss.crm.result import CrmAnalysis

# Topics shared by CRM loss reasons and interview themes, so "Price" in the CRM can be compared with what the buyer
# talked about. Matching is on whole words of the reason, and of the theme's label, keywords and statements.
TOPICS: dict[str, tuple[str, ...]] = {
    "price": ("price", "pricing", "priced", "cost", "costs", "expensive", "cheaper", "per-seat", "per seat", "seats",
              "discount", "quote", "quotes", "money", "platform fee", "tiered", "fee", "fees", "charge", "charged",
              "pay", "paid", "paying", "bundle", "bundled", "bundling", "zero extra", "no extra", "for free"),
    "product gaps": ("feature", "features", "missing", "functionality", "capability", "reporting", "report",
                     "reports", "dashboard", "dashboards", "roadmap", "mobile", "report builder"),
    "ease of use": ("ease of use", "usability", "complex", "complicated", "clunky", "confusing", "tabs", "settings",
                    "demo", "learning curve", "adoption", "intuitive", "easy"),
    "integration": ("integration", "integrations", "connector", "salesforce", "hubspot", "sync", "api", "crm",
                    "data", "mapping", "mapped", "fields"),
    "timing and budget": ("budget", "freeze", "timing", "no decision", "postponed", "on hold", "not now",
                          "next year", "priorities", "spend", "not right now", "busy season", "the season",
                          "call us in", "call me in", "come back in", "wait until",
                          # the company changed under the deal (Quillstack's L2: "We were acquired in June")
                          "acquired", "acquisition", "merger", "merged", "reorg", "re-org", "restructuring",
                          "layoffs"),
    # "legal review", not "legal": to a legal team's vendor every answer is about legal work
    "security and procurement": ("security", "procurement", "soc 2", "compliance", "legal review", "vendor risk",
                                 "questionnaire"),
    "onboarding and support": ("support", "onboarding", "implementation", "setup", "training", "ticket",
                               "time to value", "go-live", "rollout"),
    "forecast accuracy": ("forecast", "forecasting", "accuracy", "accurate", "ai", "model", "prediction"),
    "sales experience": ("rep", "sales process", "responsive", "pushy", "trust", "relationship"),
    "fit": ("not a fit", "too small", "too big", "no need", "use case"),
}


def topics_of(text: str, competitors: frozenset[str] = frozenset()) -> list[str]:
    """The topics a text is about; with `competitors`, a rival's capability told ("JobRoute lets the tech show a
    monthly payment") is a product gap, whatever the capability's words."""
    lowered = text.lower()
    found = [topic for topic, words in TOPICS.items()
             if any(re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", lowered) for w in words)]
    if "product gaps" not in found and rival_can(text, competitors):
        found = [t for t in TOPICS if t in found or t == "product gaps"]
    return found


# what a named rival's product does: "Gustly lets you", "Clausewell has AI redlining", "their app offers"
CAN = (r"(?:lets?|allows?|offers?|offered|has(?!\s+(?:been|to|got)\b)|gives?|supports?|supported|includes?|"
       r"included|comes with|came with|shows?|showed|does it)")


def rival_can(text: str, competitors: frozenset[str]) -> bool:
    """A sentence that names a competitor and, within a few words after it, what its product does."""
    if not competitors:
        return False
    names = alternation(frozenset(competitors), cased(text))
    return bool(names) and re.search(rf"\b(?:{names})(?:'s)?\b(?:\W+\w+){{0,3}}?\W+{CAN}\b", text,
                                     re.IGNORECASE) is not None


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


# Words that put a quote on a dimension's topic, besides the criterion's own values ("Salesforce").
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    # the company's size, not a team's: "about sixty reps" or "a small team" sizes a department
    "employees": ("employees", "headcount", "staff", "our size", "mid-market", "enterprise"),
    "annual_revenue": ("revenue", "our size", "mid-market", "enterprise"),
    "crm_platform": ("crm", "connector", "integration"),
    "industry": ("industry", "vertical", "regulated"),
    "lead_source": ("referred", "referral", "recommended", "partner", "introduced", "introduction", "webinar",
                    "google", "ad", "ads", "search", "event", "conference"),
    "country": ("country", "region", "office"),
}
# A head count is about size ("about forty-five people"); "people" alone is not ("walks people through it").
HEADCOUNT = re.compile(r"\b(?:\d[\d,]*|a few|a dozen|dozens|hundreds|thousands|(?:\w+-)?(?:one|two|three|four|five|"
                       r"six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|"
                       r"eighty|ninety|hundred|thousand))\s+(?:people|employees|engineers|staff|folks|heads)\b",
                       re.IGNORECASE)


TEAM = re.compile(r"\b(?:team|teams|department|squad|crew|group|reps|sellers|engineers|developers)\b", re.IGNORECASE)


def mentions_topic(text: str, criterion) -> bool:
    """Does the quote name the criterion's value or its dimension's topic (whole words, any case)?"""
    words = [v for v in criterion.values if len(v) > 3 and not v[0].isdigit()]
    words += TOPIC_WORDS.get(criterion.key, tuple(w for w in re.split(r"\W+", criterion.dimension.lower())
                                                  if len(w) > 3))
    lowered = text.lower()
    if criterion.key == "employees":
        # "we're 300 people" sizes the company; "our app team is small, three people" sizes a team
        for found in HEADCOUNT.finditer(text):
            clause = re.split(r"[.!?;]", text[:found.start()])[-1]
            if not TEAM.search(clause):
                return True
    return any(re.search(r"(?<!\w)" + re.escape(w.lower()) + r"(?!\w)", lowered) for w in words)


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


def _themed(statements: pd.DataFrame, stance: str | None) -> pd.DataFrame:
    """The statements whose themes are counted: all with a theme, or those of one stance. The interviews counted
    against stay every interview, so a stance narrows what is said, never who could have said it."""
    themed = statements[statements["theme_id"].fillna("").astype(str) != ""]
    return themed if stance is None or "stance" not in themed else themed[themed["stance"] == stance]


def themes_by_lift(statements: pd.DataFrame, interview_ids, stance: str | None = None) -> list[str]:
    """Theme ids ordered by how much more often these interviews raise them (with `stance`, if given) than the
    other interviews do: the quotes that speak for a group come from the themes that set it apart."""
    inside_ids = set(interview_ids)
    themed = _themed(statements, stance)
    n_in = len(inside_ids & set(statements["interview_id"]))
    n_out = statements.loc[~statements["interview_id"].isin(inside_ids), "interview_id"].nunique()
    lift = {}
    for tid, group in themed.groupby("theme_id", sort=True):
        inside = group["interview_id"].isin(inside_ids)
        has_in, has_out = group.loc[inside, "interview_id"].nunique(), group.loc[~inside, "interview_id"].nunique()
        lift[tid] = (has_in / n_in if n_in else 0.0) - (has_out / n_out if n_out else 0.0)
    return sorted(lift, key=lambda t: (-round(lift[t], 9), t))


def themes_apart(statements: pd.DataFrame, interview_ids, stance: str | None = None) -> list[str]:
    """themes_by_lift, kept to the themes that pass the drivers' own test: raised in at least MIN_INTERVIEWS of
    these interviews, one-sided Fisher p <= MAX_P against the other interviews. Only these may be said to "set the
    group apart" or "stand out"; a theme every interview raises sets nobody apart. `stance`: count only the
    statements of that stance."""
    inside_ids = set(interview_ids) & set(statements["interview_id"])
    n_in = len(inside_ids)
    n_out = statements.loc[~statements["interview_id"].isin(inside_ids), "interview_id"].nunique()
    themed = _themed(statements, stance)
    kept = set()
    for tid, group in themed.groupby("theme_id", sort=True):
        inside = group["interview_id"].isin(inside_ids)
        has_in, has_out = group.loc[inside, "interview_id"].nunique(), group.loc[~inside, "interview_id"].nunique()
        if has_in >= MIN_INTERVIEWS and one_sided(has_in, n_in, has_out, n_out)[1] <= MAX_P:
            kept.add(tid)
    return [t for t in themes_by_lift(statements, interview_ids, stance) if t in kept]


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
                 statements: pd.DataFrame, quotes: pd.DataFrame,
                 competitors: frozenset[str] = frozenset()) -> list[dict]:
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
            for topic in topics_of(str(text), competitors):
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


def interview_evidence(a: "CrmAnalysis", statements: pd.DataFrame, themes: pd.DataFrame,
                       quotes: pd.DataFrame) -> dict:
    """Theme x loss type, theme x competitor, rep vs buyer, and quotes for criteria."""
    per_interview = themes_per_interview(statements)
    analysed = set(statements["interview_id"])
    deals_by_id = a.deals[a.deals["excluded"] == ""].set_index("deal_id")
    joined = [j for j in a.joins if j.deal_id and j.interview_id in analysed and j.deal_id in deals_by_id.index]
    lost_joined = [j for j in joined if deals_by_id.loc[j.deal_id, "outcome"] == "lost" and j.cohort == "lost"]
    by_type: dict[str, list[str]] = {}
    for t in (1, 2, 3):
        ids = [j.interview_id for j in lost_joined if deals_by_id.loc[j.deal_id, "loss_type"] == t]
        if ids:  # a column of "0 of 0" says nothing: a type no interviewed loss has is left out
            by_type[type_names(a.untested)[t]] = ids
    by_comp: dict[str, list[str]] = {}
    for j in lost_joined:
        # a deal typed no decision went to nobody, whatever rival it evaluated (result.to_rivals)
        name = "(no decision)" if deals_by_id.loc[j.deal_id, "loss_type"] == 3 else \
            str(deals_by_id.loc[j.deal_id, "competitor"]).strip() or "(none recorded)"
        by_comp.setdefault(name, []).append(j.interview_id)
    by_comp = dict(sorted(by_comp.items(), key=lambda kv: (kv[0] in ("(no decision)", "(none recorded)"), kv[0])))
    pairs = []
    for j in joined:
        deal = deals_by_id.loc[j.deal_id]
        reason = " ".join(x for x in (deal["loss_reason"], deal["loss_notes"]) if x) if j.cohort == "lost" else ""
        if j.cohort == "churned":
            reason = ""
        if reason:
            pairs.append({"interview_id": j.interview_id, "deal_id": j.deal_id, "cohort": j.cohort,
                          "account": deal["account_name"], "reason": str(deal["loss_reason"]),
                          "notes": str(deal["loss_notes"]), "loss_type": int(deal["loss_type"])})
    # Quotes for a criterion come from interviewed accounts that match it: won customers that are not problematic
    # for positive criteria, churned or lost accounts for negative ones.
    index_of = {d: i for i, d in zip(a.values.index, a.deals.loc[a.values.index, "deal_id"])}
    cohort_by_key = dict(zip(a.accounts["account_key"], a.accounts["cohort"]))
    crit_quotes: dict[str, list[dict]] = {}
    won_themes = themes_by_lift(statements, cohort_ids(statements, "won"))
    churn_themes = themes_by_lift(statements, cohort_ids(statements, "churned", "lost"))
    for c in a.criteria:
        ids = []
        for j in joined:
            if not bool(c.met(a.values.loc[[index_of[j.deal_id]]]).iloc[0]):
                continue
            cohort = cohort_by_key.get(str(deals_by_id.loc[j.deal_id, "account_key"]), "")
            if c.kind != "negative" and j.cohort == "won" and cohort != "problematic":
                ids.append(j.interview_id)
            elif c.kind == "negative" and j.cohort in ("churned", "lost"):
                ids.append(j.interview_id)
        # Only quotes that are about the criterion (they name its value or its topic): no quote is better than an
        # unrelated one. Quotes already shown under another criterion are not repeated.
        shown = {q["quote"] for qs in crit_quotes.values() for q in qs}
        about = quotes[quotes["quote"].map(lambda q, c=c: mentions_topic(str(q), c)).astype(bool)]
        crit_quotes[c.label] = pick_quotes(about, ids, churn_themes if c.kind == "negative" else won_themes,
                                           limit=2, avoid=shown)
    return {"per_interview": per_interview, "themes_by_loss_type": theme_crosstab(by_type, per_interview, themes),
            "loss_type_groups": {k: len(v) for k, v in by_type.items()},
            "themes_by_competitor": theme_crosstab(by_comp, per_interview, themes),
            "competitor_groups": {k: len(v) for k, v in by_comp.items()},
            "rep_vs_buyer": rep_vs_buyer(pairs, per_interview, themes, statements, quotes, a.competitor_names),
            "criterion_quotes": crit_quotes, "joined": len(joined), "interviews": len(analysed)}
