"""Words and tables for the ICP update draft: every figure carries its n of N, every quote comes from quotes.csv."""
from __future__ import annotations

import re

import pandas as pd

from winloss.crm.assurance import (
    backtest_rows,
    by_dimension,
    health_rows,
    out_of_sample_text,
    pipeline,
    pressure_texts,
    recite,
)
from winloss.crm.backtest import too_few
from winloss.crm.evidence import (
    TOPICS,
    mentions_topic,
    pick_quotes,
    themes_apart,
    themes_by_lift,
    topics_of,
)
from winloss.crm.followup import unrecorded
from winloss.crm.health import (
    PREDICTS_P,
    doubted_criterion,
    unproven_gate,
    unproven_score,
)
from winloss.crm.icp import earns_points
from winloss.crm.result import CrmAnalysis, compared, to_rivals
from winloss.crm.segments import UNKNOWN
from winloss.crm.settings import type_names

SMALL = 5  # groups smaller than this are called out as anecdotal


def nofn(n: int, N: int) -> str:
    return f"{n} of {N}" + (f" ({100 * n / N:.0f}%)" if N else "")


def scope(a: CrmAnalysis) -> dict:
    deals = a.deals
    closed = a.closed
    dates = sorted(d for d in closed["close_date"] if d is not None and not pd.isna(d))
    excluded = deals[deals["excluded"] != ""]["excluded"].value_counts().sort_index()
    cohorts = a.accounts["cohort"].value_counts()
    return {
        "rows": len(deals), "closed": len(closed), "won": int((closed["outcome"] == "won").sum()),
        "lost": int((closed["outcome"] == "lost").sum()),
        "excluded": [{"reason": k, "n": int(v)} for k, v in excluded.items()],
        "date_range": f"{dates[0].isoformat()} to {dates[-1].isoformat()}" if dates else "",
        "won_accounts": len(a.accounts),
        "cohorts": {c: int(cohorts.get(c, 0)) for c in ("best", "average", "problematic")},
        "no_cohort": int((a.accounts["cohort"] == "").sum()),
        "interviews_joined": a.evidence.get("joined", 0), "interviews": a.evidence.get("interviews", 0),
        "failed_joins": [{"interview_id": j.interview_id, "note": j.note} for j in a.joins if not j.deal_id],
    }


def criteria_rows(a: CrmAnalysis) -> list[dict]:
    closed = a.closed
    overall = (int((closed["outcome"] == "won").sum()), len(closed))
    rows = []
    for c in a.criteria:
        evidence = f"{nofn(c.n, c.N)} {c.group} vs {nofn(c.n_other, c.N_other)} {c.other}"
        if c.basis == "win rate":
            evidence = (f"won {nofn(c.deals_won, c.deals_won + c.deals_lost)} closed deals vs "
                        f"{nofn(overall[0], overall[1])} overall; {c.n} of {c.N} {c.group}")
        if c.ungated:
            evidence += f"; {c.ungated}"
        if not c.beyond_chance:  # neither the groups' test nor the closed deals' passes
            evidence += f"; within chance (p {c.p_value:.2f})"
        rows.append({"kind": c.kind, "label": c.label, "weight": c.weight, "counts": earns_points(c, a.criteria),
                     "evidence": evidence,
                     "deals": f"{c.deals_won} won / {c.deals_lost} lost",
                     "win_rate": nofn(c.deals_won, c.deals_won + c.deals_lost),
                     "quotes": a.evidence.get("criterion_quotes", {}).get(c.label, [])})
    return rows


def loss_types(a: CrmAnalysis) -> dict:
    lost = a.closed[a.closed["outcome"] == "lost"]
    N = len(lost)
    types = []
    for t, name in type_names(a.untested).items():
        group = lost[lost["loss_type"] == t]
        rules = group["loss_rule"].map(lambda r: r.split(":")[0] if r.startswith(("profile", "competitor", "fallback"))
                                       else r).value_counts()
        types.append({"type": t, "name": name, "n": len(group), "N": N, "text": nofn(len(group), N),
                      "rules": [{"rule": k, "n": int(v)} for k, v in sorted(rules.items(), key=lambda kv: (-kv[1],
                                                                                                   kv[0]))]})
    competitors = []
    comp = to_rivals(lost)
    for name, group in comp.groupby(comp["competitor"].str.strip(), sort=True):
        reasons = group["loss_reason"].replace("", "(none)").value_counts()
        competitors.append({"competitor": name, "n": len(group), "text": nofn(len(group), N),
                            "right_fit": nofn(int((group["fit"] == "fit").sum()), len(group)) if not a.untested
                            else f"not tested ({a.untested})",
                            "reasons": ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(),
                                                                              key=lambda kv: (-kv[1], kv[0])))})
    return {"N": N, "types": types, "competitors": sorted(competitors, key=lambda c: (-c["n"], c["competitor"]))}


def theme_shares(statements: pd.DataFrame, themes: pd.DataFrame, cohort: str) -> list[dict]:
    """Themes the cohort's interviews raise more often than the other interviews, widest gap first (n of N each):
    a theme every interview raises says nothing about why this cohort is different."""
    inside = statements["cohort"] == cohort
    ids_in = set(statements.loc[inside, "interview_id"])
    ids_out = set(statements.loc[~inside, "interview_id"])
    themed = statements[statements["theme_id"].fillna("") != ""]
    labels = dict(zip(themes["theme_id"], themes["label"]))
    rows = []
    for tid, group in themed.groupby("theme_id", sort=True):
        n = group.loc[group["cohort"] == cohort, "interview_id"].nunique()
        n_out = group.loc[group["cohort"] != cohort, "interview_id"].nunique()
        gap = (n / len(ids_in) if ids_in else 0.0) - (n_out / len(ids_out) if ids_out else 0.0)
        if n and gap > 0:
            rows.append({"theme_id": tid, "label": labels.get(tid, tid), "n": n, "N": len(ids_in), "gap": gap,
                         "text": f"{nofn(n, len(ids_in))} {cohort} interviews vs {nofn(n_out, len(ids_out))} others"})
    return sorted(rows, key=lambda r: (-round(r["gap"], 9), -r["n"], r["theme_id"]))


def firmographics(a: CrmAnalysis) -> list[dict]:
    out = []
    for dim in a.dims:
        rows = a.segments[a.segments["key"] == dim.key]
        out.append({"dimension": dim.label, "rows": [{
            "value": r.value, "won": nofn(int(r.won), int(r.deals)) if r.deals else "0 of 0",
            "best": int(r.best), "problematic": int(r.problematic),
            "retention": nofn(int(r.retained), int(r.known)) if r.known else "n/a",
            "p_win": float(r.p_win), "q_win": float(r.q_win), "p_best": float(r.p_best), "q_best": float(r.q_best),
            "small": int(r.deals) < SMALL} for r in rows.itertuples()]})
    return out


def notable_segments(a: CrmAnalysis, q_max: float = 0.1) -> list[dict]:
    """Segments whose win rate or best-vs-problematic mix differs from the rest beyond chance (BH q <= q_max)."""
    seg = a.segments[a.segments["value"] != UNKNOWN]
    closed = a.closed
    overall = float((closed["outcome"] == "won").mean())
    rows = []
    for r in seg.itertuples():
        if r.q_win <= q_max:
            direction = "higher" if r.win_rate > overall else "lower"
            rows.append({"q": r.q_win, "text": f"{r.dimension} {r.value}: won {nofn(r.won, r.deals)} of its closed "
                                               f"deals, {direction} than the {overall * 100:.0f}% overall "
                                               f"(Fisher p {r.p_win:.3g}, BH q {r.q_win:.3g})"})
        if r.q_best <= q_max:
            rows.append({"q": r.q_best, "text": f"{r.dimension} {r.value}: {r.best} best and {r.problematic} "
                                                f"problematic customers (Fisher p {r.p_best:.3g}, "
                                                f"BH q {r.q_best:.3g})"})
    return sorted(rows, key=lambda r: (r["q"], r["text"]))


def critical_text(a: CrmAnalysis) -> str:
    c = a.critical
    comp, best, prob = c["lost_to_competitor"], c["best_customers"], c["problematic_customers"]
    lead = {"yes": "Yes.", "no": "No.", "partly": "Partly.", "cannot tell": "Cannot tell from this data."}[c["answer"]]
    if not comp["N"] or not best["N"]:
        return f"{lead} There are {cannot_tell(a)}."
    text = (f"{lead} {nofn(comp['n'], comp['N'])} deals lost to a competitor match the best-customer profile, "
            f"against {nofn(best['n'], best['N'])} best customers and {nofn(prob['n'], prob['N'])} problematic "
            f"customers (Fisher exact p {c['p_value']:.3g} lost-to-competitor vs best). Mean ICP score "
            f"{comp['mean_score']:.0f} vs {best['mean_score']:.0f} for best customers.")
    if c["by_competitor"]:
        text += " By competitor: " + "; ".join(f"{b['competitor']} {nofn(b['n_fit'], b['N'])} right fit"
                                               for b in c["by_competitor"]) + "."
    if a.untested and c["answer"] in ("yes", "no"):
        # the loss types and competitor verdicts give no verdict on fit here: this answer cannot give one either
        text += (f" The profile it is measured against is not yet a rule ({a.untested}): a hypothesis to test "
                 "before changing whom we target or how we qualify.")
    elif c["answer"] == "yes":
        text += " These are winnable deals: the fix is in why we lose them, not in whom we target."
    elif c["answer"] == "no":
        text += " Most competitive losses were not our customers to win: tighten qualification before competing."
    return text


def churn_sentence(a: CrmAnalysis) -> str:
    """How many won accounts churned, and what says so: accounts.csv's retention status, else the churn
    interviews (which tell who left, never who stayed: no churn rate is made of them)."""
    accounts, churned = a.accounts, a.churned
    known = accounts["retention_status"] != ""
    told = int((churned["retention_status"] == "").sum())
    if known.any():
        more = f"; {told} more churned, as their churn interviews say" if told else ""
        return (f"{nofn(int((accounts.loc[known, 'retention_status'] == 'churned').sum()), int(known.sum()))} won "
                f"accounts with retention data have churned{more}.")
    if told:
        # no percentage: beside "no churn rate can be given" it would read as one
        return (f"{told} of {len(accounts)} won accounts churned, as their churn interviews say; the other "
                f"{len(accounts) - told} have no retention data, so no churn rate can be given.")
    return "No won account has retention data."


def cannot_tell(a: CrmAnalysis) -> str:
    """What the critical question lacks: '7 deals lost to a competitor and 0 best customers to compare'."""
    c = a.critical
    if not a.has_accounts:  # "0 best customers" would read as a finding about the customers
        return (f"{c['lost_to_competitor']['N']} deals lost to a competitor, but no crm/accounts.csv to find best "
                "customers in")
    return (f"{c['lost_to_competitor']['N']} deals lost to a competitor and {c['best_customers']['N']} best "
            "customers to compare")


def summary(a: CrmAnalysis) -> str:
    """The 60-second version for leadership, one paragraph."""
    s, lt, bt = scope(a), loss_types(a), a.backtest
    primary = [c for c in a.criteria if c.kind == "primary"]
    secondary = [c for c in a.criteria if c.kind == "secondary"]
    negative = [c for c in a.criteria if c.kind == "negative"]
    unproven = unproven_gate(a)
    best = " and ".join(c.label for c in primary)
    groups = compared(a)  # best against problematic customers, or won against lost deals where none is scored best
    group = groups["group"]
    parts = [f"From {s['closed']} closed deals ({s['won']} won, {s['lost']} lost"
             + (f", {s['date_range']}" if s["date_range"] else "") + f") and {s['interviews_joined']} joined "
             + (f"interviews: {too_few(a.closed['outcome'])}." if not primary and too_few(a.closed["outcome"]) else
                f"interviews, our {group} are not yet set apart from {groups['other']} by any single attribute."
                if not primary else
                # the same verdict as the front's "Old vs new ICP": a profile that does not predict wins is no rule
                f"interviews, our {group} so far share {best}, but that profile does not yet predict wins: "
                f"{unproven}." if unproven else
                f"interviews, our best customers are {best}." if group == "best customers" else
                f"interviews, our {group} share {best}.")]
    # the unproven reason already gives its weak criterion's counts
    named = doubted_criterion(a)
    counted = " ".join(f"{c.label}: {c.n} of {c.N} {c.group} vs {c.n_other} of {c.N_other} {c.other}."
                       for c in primary if c is not named)
    if counted:
        parts.append(counted)
    strong = [c for c in secondary if c.beyond_chance]
    if strong:
        parts.append("Strong but not required: " + "; ".join(c.label for c in strong) + ".")
    if len(strong) < len(secondary):  # "strong" would overstate a difference this sample could show by chance
        parts.append(f"More common among {group}, within chance: "
                     + "; ".join(c.label for c in secondary if c not in strong) + ".")
    counted = [c for c in negative if earns_points(c, a.criteria)]
    if counted:
        parts.append("Disqualify or deprioritise: " + "; ".join(c.label for c in counted) + ".")
    if len(counted) < len(negative):
        parts.append("Within chance, to test next quarter: "
                     + "; ".join(c.label for c in negative if c not in counted) + ".")
    t = {x["type"]: x for x in lt["types"]}
    if lt["N"]:
        of = f"Of {lt['N']} {'loss' if lt['N'] == 1 else 'losses'}, "
        parts.append(f"{of}{t[1]['n']} were wrong-fit, {t[2]['n']} right-fit lost to a competitor "
                     f"and {t[3]['n']} right-fit with no decision." if not a.untested else
                     of + (f"{t[1]['n']} were wrong-fit by their CRM reason, " if t[1]["n"] else "")
                     + f"{t[2]['n']} went to a competitor and {t[3]['n']} to no decision; their fit is not tested "
                     f"({a.untested}).")
        blank = unrecorded(a.deals)
        if blank:
            parts.append(f"{'All' if blank == t[3]['n'] else f'{blank} of the'} {t[3]['n']} no-decision losses "
                         "have nothing on record (no loss reason, notes, competitor or interview): that type is a "
                         "default, not a finding." if t[3]["n"] > 1 else
                         "That no-decision loss has nothing on record (no loss reason, notes, competitor or "
                         "interview): its type is a default, not a finding.")
    c = a.critical
    comp = c["lost_to_competitor"]
    if comp["N"] and c["answer"] != "cannot tell":  # what cannot be told is said under the front's Confidence
        per = "; ".join(f"{b['competitor']} {b['n_fit']} of {b['N']}" for b in c["by_competitor"])
        parts.append(f"Do competitive losses look like our best customers? {c['answer'].capitalize()}: "
                     f"{nofn(comp['n'], comp['N'])} match the best-customer profile ({per}).")
    if bt.get("wins") and a.criteria:  # with no criterion every deal scores 0: no scorecard to back-test
        parts.append(f"In sample, the proposed scorecard puts {nofn(bt['wins_at_or_above_a'], bt['wins'])} "
                     f"historical wins at {a.rules.band_a}+ and {nofn(bt['losses_below_b'], bt['losses'])} losses "
                     f"below {a.rules.band_b}" + ("; fitted on these deals from criteria within chance, it is no rule "
                                                  "to route on yet." if unproven_score(a) and not unproven else "."))
        parts.append(out_of_sample_text(a))
    return " ".join(parts)


def headlines(a: CrmAnalysis, statements: pd.DataFrame, themes: pd.DataFrame, quotes: pd.DataFrame,
              drivers: dict | None = None) -> list[dict]:
    """Three to five findings, each with its n of N and one verbatim quote."""
    ev = a.evidence
    out = []
    comp_ids = [j.interview_id for j in a.joins if j.deal_id and j.cohort == "lost" and _competitor(a, j.deal_id)]
    if a.critical["answer"] != "cannot tell":  # a headline slot is for a finding; the front's Confidence says why not
        out.append({"text": "Do deals lost to competitors look like our best customers? " + critical_text(a),
                    "quotes": pick_quotes(quotes, comp_ids, themes_by_lift(statements, comp_ids))})
    used = {q["quote"] for h in out for q in h["quotes"]}
    for c in [c for c in a.criteria if c.kind == "primary"][:2]:
        fresh = [q for q in ev["criterion_quotes"].get(c.label, []) if q["quote"] not in used][:1]
        used |= {q["quote"] for q in fresh}
        # a criterion within chance is said to be, or the headline reads as the finding the appendix denies
        chance = f", within chance (Fisher p {c.p_value:.2f})" if c.p_value > PREDICTS_P else ""
        out.append({"text": f"{c.label} is present in {nofn(c.n, c.N)} {c.group} and "
                            f"{nofn(c.n_other, c.N_other)} {c.other}{chance}.", "quotes": fresh})
    lt = loss_types(a)
    if lt["N"]:
        top = max(lt["types"], key=lambda t: (t["n"], -t["type"]))
        ids = [j.interview_id for j in a.joins if j.deal_id and j.cohort == "lost"
               and _loss_type(a, j.deal_id) == top["type"]]
        about = quotes[quotes["quote"].map(lambda q: about_loss_type(str(q), top["type"], a)).astype(bool)]
        out.append({"text": f"{top['name']} is the most common loss: {top['text']} closed-lost deals.",
                    "quotes": pick_quotes(about, ids, themes_by_lift(statements, ids), avoid=used)})
        used |= {q["quote"] for q in out[-1]["quotes"]}
    churned = sorted(set(statements.loc[statements["cohort"] == "churned", "interview_id"]))
    found = churn_headline(drivers or {}, used)
    if found is not None:
        out.append(found)
        return out
    # a churn driver's theme is counted by its stance everywhere (Churn, Decisions): never by mentions here
    blamed = {d.theme_id for d in (drivers or {}).get("churned", [])}
    apart = themes_apart(statements, churned)  # "stand out" only for a theme that passes the test
    churn = [t for t in theme_shares(statements, themes, "churned") if t["theme_id"] in apart
             and t["theme_id"] not in blamed]
    if churn:
        t = churn[0]
        out.append({"text": f"Churned customers stand out on \"{t['label']}\": {t['text']}.",
                    "quotes": pick_quotes(quotes, churned, [t["theme_id"]], avoid=used)})
    return out


def churn_headline(drivers: dict, used: set[str]) -> dict | None:
    """The first firm churn driver, with the counts the front's Churn section and decisions give it, and a quote of
    its own: the driver's quotes have its stance and topic (the theme's quotes in churned interviews need not: "The
    setup took a long time" sat in the Salesforce theme)."""
    from winloss.outputs.front_records import firm

    d = next((d for d in drivers.get("churned", []) if d.kind == "driver" and firm(d)), None)
    if d is None:
        return None
    e = d.evidence
    return {"text": f"Churned customers criticise \"{d.label}\": {nofn(e.n, e.N)} churned interviews vs "
                    f"{nofn(e.n_other, e.N_other)} others.",
            "quotes": [{"quote": q.quote, "interview_id": q.interview_id, "speaker": q.speaker, "cohort": q.cohort,
                        "theme_id": q.theme, "start": q.start} for q in d.quotes if q.quote not in used][:1]}


def about_loss_type(quote: str, loss_type: int, a: CrmAnalysis) -> bool:
    """Is the quote about what makes a loss this type? Type 1 (wrong fit): it names a gate criterion's value or
    topic, or fit itself; Type 2 (lost to a competitor): it names a competitor; Type 3 (no decision): it is about
    timing or budget. A quote under a loss-type headline must say the headline, or none is shown."""
    if loss_type == 1:
        return "fit" in topics_of(quote) or any(mentions_topic(quote, c) for c in a.criteria if c.gate)
    if loss_type == 2:
        return any(re.search(r"(?<!\w)" + re.escape(c) + r"(?!\w)", quote, re.IGNORECASE)
                   for c in a.competitor_names)
    return any(re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", quote.lower()) for w in TOPICS["timing and budget"])


def _competitor(a: CrmAnalysis, deal_id: str) -> str:
    row = a.deals[(a.deals["deal_id"] == deal_id) & (a.deals["excluded"] == "")]
    return str(row["competitor"].iloc[0]).strip() if len(row) else ""


def _loss_type(a: CrmAnalysis, deal_id: str) -> int:
    row = a.deals[(a.deals["deal_id"] == deal_id) & (a.deals["excluded"] == "")]
    return int(row["loss_type"].iloc[0]) if len(row) and not pd.isna(row["loss_type"].iloc[0]) else 0


def actions(a: CrmAnalysis, statements: pd.DataFrame, themes: pd.DataFrame) -> list[str]:
    out = []
    positive = [c for c in a.criteria if c.kind != "negative"]
    negative = [c for c in a.criteria if c.kind == "negative"]
    unproven = unproven_score(a)  # routing, targeting and disqualifying on the ICP wait for a score that predicts
    if a.criteria:
        out.append("CRM scoring: add an ICP score field computed from the scorecard ("
                   + ", ".join(f"{c.label} {c.weight:+d}" for c in a.criteria if earns_points(c, a.criteria)) + "); "
                   + (f"record it, but route no deal on it yet: {unproven}." if unproven else
                      f"route A ({a.rules.band_a}+) deals to full sales cycles, review B, deprioritise C."))
    primary = [c.label for c in positive if c.kind == "primary"]
    # Lists are built on what is required of a customer; with only "strong but not required" criteria, or a gate
    # that does not yet predict wins, they are tried beside the usual lists and compared.
    targets = primary or [c.label for c in positive]
    if targets and (unproven or not primary):
        out.append("Outbound targeting: try account lists on " + " and ".join(targets) + " beside the usual ones, "
                   "and compare their win rate next quarter.")
    elif targets:
        out.append("Outbound targeting: build account lists on " + " and ".join(targets) + " first.")
    closed = a.closed
    used = [d for d in a.dims if any(c.key == d.key for c in a.criteria)]
    if used:
        empty = [f"{d.label} empty on {nofn(int((a.values[d.key] == UNKNOWN).sum()), len(closed))} closed deals"
                 for d in used if (a.values[d.key] == UNKNOWN).any()]
        tested = " and ".join(c.label for c in positive or a.criteria)
        # a criterion of no points is in no score: its field is kept so next quarter can test it
        untried = [c.label for c in a.criteria if not earns_points(c, a.criteria)]
        why = f"so next quarter's deals can test {tested}" if unproven else "the scorecard is computed from them" + (
            f", and next quarter's deals can test {'; '.join(untried)}" if untried else "")
        out.append("Qualification fields: make " + ", ".join(d.label for d in used) + " required at qualification"
                   + (", " if unproven else "; ") + why + (f" ({'; '.join(empty)})" if empty else "") + ".")
    # a disqualifier outside the gate only lowers the score: the appendix says "rank lower, do not disqualify"
    gate_out = [c.label for c in negative if c.gate]
    ranked = [c.label for c in negative if not c.gate and earns_points(c, a.criteria)]  # of no points: lowers nothing
    if gate_out:
        out.append(("Qualification: flag, not yet disqualify, " if unproven else "Qualification: disqualify early on ")
                   + "; ".join(gate_out) + ("; rank lower, without disqualifying, " + "; ".join(ranked)
                                            if ranked else "") + ".")
    elif ranked:
        out.append("Qualification: rank lower, without disqualifying, " + "; ".join(ranked) + ".")
    comp_ids = [j.interview_id for j in a.joins if j.deal_id and j.cohort == "lost" and _competitor(a, j.deal_id)]
    labels = dict(zip(themes["theme_id"], themes["label"])) if len(themes) else {}
    top2 = themes_apart(statements, comp_ids)[:2] if comp_ids else []  # "set apart" only if the test passes
    if top2:
        # the group is the losses whose CRM deal names a competitor, which the Type 2 table may count differently:
        # each theme carries its own n of N of that group
        ids = set(comp_ids) & set(statements["interview_id"])
        raised = statements[statements["interview_id"].isin(ids)].groupby("theme_id")["interview_id"].nunique()
        out.append("Messaging: in competitive deals, answer " + " and ".join(
            f"\"{labels[t]}\" (raised in {int(raised.get(t, 0))} of the {len(ids)} interviewed losses to a named "
            "competitor)" for t in top2)
                   + (", the themes that set" if len(top2) > 1 else ", the theme that sets")
                   + " those losses apart.")
    return out


def context(a: CrmAnalysis, st: pd.DataFrame, th: pd.DataFrame, qu: pd.DataFrame, drivers: dict | None = None
            ) -> dict:
    """Everything the ICP templates need, as plain data, from the CRM result and the run's statements, themes and
    quotes tables."""
    if not a.usable:
        return {"usable": False, "problems": [str(p) for p in a.problems], "notes": a.notes}
    win_themes = theme_shares(st, th, "won")[:5]
    won_ids = sorted(set(st.loc[st["cohort"] == "won", "interview_id"]))
    for t in win_themes:
        t["quotes"] = pick_quotes(qu, won_ids, [t["theme_id"]])
    churn_themes = theme_shares(st, th, "churned")[:5]
    churn_ids = sorted(set(st.loc[st["cohort"] == "churned", "interview_id"]))
    for t in churn_themes:
        t["quotes"] = pick_quotes(qu, churn_ids, [t["theme_id"]])
    churned, (kept, kept_name) = a.churned, a.kept
    churn_hits = [{"label": c.label, "text": nofn(int(c.met(churned).sum()), len(churned)),
                   "kept": f"{nofn(int(c.met(kept).sum()), len(kept))} {kept_name} accounts"}
                  for c in a.criteria if c.kind == "negative" and earns_points(c, a.criteria)] if len(churned) else []
    bt = a.backtest
    return {
        "usable": True, "scope": scope(a), "summary": summary(a), "headlines": headlines(a, st, th, qu, drivers),
        "win_themes": win_themes, "churn_themes": churn_themes,
        "churn": {"text": churn_sentence(a), "negatives": churn_hits},
        "loss": loss_types(a), "critical": critical_text(a),
        "themes_by_loss_type": a.evidence["themes_by_loss_type"][:8],
        "loss_type_groups": a.evidence["loss_type_groups"],
        "themes_by_competitor": a.evidence["themes_by_competitor"][:8],
        "competitor_groups": a.evidence["competitor_groups"],
        "rep_vs_buyer": a.evidence["rep_vs_buyer"],
        "disagreements": [r for r in a.evidence["rep_vs_buyer"] if r["status"] == "disagree"],
        "firmographics": firmographics(a), "notable": notable_segments(a),
        "criteria": criteria_rows(a),
        "bands": {"a": a.rules.band_a, "b": a.rules.band_b}, "negative_points": a.rules.negative_points,
        "range_min_support": a.rules.range_min_support, "compared": compared(a),
        "backtest": {**bt, "wins_text": nofn(bt["wins_at_or_above_a"], bt["wins"]),
                     "losses_text": nofn(bt["losses_below_b"], bt["losses"]),
                     "bands": [{**b, "text": nofn(b["won"], b["deals"])} for b in bt["bands"]]},
        "changes": a.changes, "current_name": a.current_name,
        "notes": a.notes, "problems": [str(p) for p in a.problems],
        # an empty cohort is in Scope's counts (and, without customer-success data, in the notes), not "only 0"
        "small": {k: v for k, v in scope(a)["cohorts"].items() if 0 < v < SMALL},
        "actions": actions(a, st, th),
        "dimensions": by_dimension(criteria_rows(a), a.criteria), "backtest_rows": backtest_rows(bt),
        "out_of_sample": {**a.out_of_sample, "text": out_of_sample_text(a),
                          "rows": backtest_rows(a.out_of_sample)},
        "health": health_rows(a), "pressure": pressure_texts(a), "recite": recite(a), "pipeline": pipeline(a),
        "groups": a.groups, "unproven": unproven_score(a),
    }
