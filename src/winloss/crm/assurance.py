"""Words and tables for the parts of the draft that say how far to trust the proposed ICP and what it is worth:
the criteria by the four dimensions, both back-tests, ICP health, the pressure tests, the money, the rescored open
pipeline and the nurture list. Every figure carries its n; money reads like '$979k'."""
from __future__ import annotations

from winloss.crm.followup import nurture, open_pipeline
from winloss.crm.health import PREDICTS_P
from winloss.crm.icp import earns_points
from winloss.crm.result import CrmAnalysis, compared
from winloss.crm.segments import KINDS
from winloss.themes.drivers import one_sided


def dollars(x: float | None) -> str:
    if x is None or x != x:
        return "n/a"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"${x / size:.3g}{suffix}"
    return f"${x:,.0f}"


def _nofn(n: int, N: int) -> str:
    return f"{n} of {N}" + (f" ({100 * n / N:.0f}%)" if N else "")


def by_dimension(rows: list[dict], criteria) -> list[dict]:
    """criteria_rows grouped by the four kinds of dimension, in the seeds' order; empty kinds left out."""
    kind_of = {c.label: (c.category, c.gate) for c in criteria}
    out = []
    for kind in KINDS:
        chosen = [{**r, "gate": kind_of[r["label"]][1]} for r in rows if kind_of[r["label"]][0] == kind]
        if chosen:
            out.append({"kind": kind, "criteria": chosen})
    return out


def backtest_rows(bt: dict) -> list[dict]:
    return [{"band": b["band"], "won": _nofn(b["won"], b["deals"]), "deals": b["deals"],
             "avg_amount": dollars(b.get("avg_amount")),
             "avg_cycle": "n/a" if b.get("avg_cycle_days") is None else f"{b['avg_cycle_days']:.0f} days",
             "best": b.get("best", 0), "problematic": b.get("problematic", 0), "accounts": b.get("accounts", 0)}
            for b in bt.get("bands", [])]


def holdout_edge(a: CrmAnalysis) -> tuple[int, int, int, int, float] | None:
    """Band A's wins against the bands below it in the out-of-sample holdout, and the one-sided Fisher p that A wins
    more often: (A won, A deals, rest won, rest deals, p); None without a holdout large enough to conclude."""
    oos = a.out_of_sample
    bands = {b["band"]: b for b in oos.get("bands", [])}
    if oos.get("too_small", True) or "A" not in bands:
        return None
    top = bands["A"]
    below = [b for k, b in bands.items() if k != "A"]
    won, deals = sum(b["won"] for b in below), sum(b["deals"] for b in below)
    if not top["deals"] or not deals:
        return None
    return top["won"], top["deals"], won, deals, one_sided(top["won"], top["deals"], won, deals)[1]


def out_of_sample_text(a: CrmAnalysis, edge: bool = True) -> str:
    """The out-of-sample back-test in a sentence or three; `edge`: with band A's wins against the rest and its test
    (the front's "Old vs new ICP" says that without the test statistic)."""
    oos = a.out_of_sample
    if not oos.get("holdout"):
        return "No out-of-sample back-test: " + (oos.get("reason") or "no close dates") + "."
    if "wins" not in oos:
        return f"No out-of-sample back-test for {oos['holdout']}: {oos.get('reason', '')}."
    text = (f"Out of sample: criteria fitted on the {oos['fit_deals']} deals closed before {oos['holdout']} "
            f"scored the {oos['holdout_deals']} deals closed in it: {_nofn(oos['wins_at_or_above_a'], oos['wins'])} "
            f"wins score {a.rules.band_a}+, {_nofn(oos['losses_below_b'], oos['losses'])} losses score below "
            f"{a.rules.band_b}.")
    if oos.get("too_small"):
        text += f" The holdout is too small to conclude: {oos['reason']}."
    found = holdout_edge(a) if edge else None
    if found is not None:
        n, N, m, M, p = found
        text += (f" Band A won {_nofn(n, N)} against {_nofn(m, M)} below it" +
                 (f": within chance (one-sided Fisher p {p:.2f}), so the score's edge on wins is not yet confirmed "
                  "out of sample." if p > PREDICTS_P else f" (one-sided Fisher p {p:.3f})."))
    return text


def health_rows(a: CrmAnalysis) -> list[dict]:
    def cell(c: dict, metric: str) -> str:
        if c["value"] is None:
            return "n/a"
        if "N" in c:
            return _nofn(c["n"], c["N"])
        value = dollars(c["value"]) if "value" in metric else f"{c['value']:.1f}"
        return f"{value} (n = {c['n']})"
    return [{"metric": r["metric"], "fit": cell(r["fit"], r["metric"]), "non_fit": cell(r["non_fit"], r["metric"]),
             "flag": "fit does worse: the definition needs refinement" if r["fit_worse"] else
             "fit does worse here, within chance" if r.get("within_chance") else
             f"too few on one side to compare (n = {min(c.get('N', c['n']) for c in (r['fit'], r['non_fit']))})"
             if r.get("thin") else ""}
            for r in a.health]


def pressure_texts(a: CrmAnalysis) -> dict:
    p = a.pressure
    recent = p["recent_losses"]
    if recent["losses"] and not a.gated and recent["old_icp"] is None:
        losses = (f"Nothing to test: there is no current ICP, and the proposed ICP has no gate to keep any of the "
                  f"{recent['losses']} losses closed since {recent['since']} out.")
    elif recent["losses"]:
        # with no gate every deal passes it: "12 of 12 pass" would read as a finding
        new = f"{_nofn(recent['new_icp'], recent['losses'])} pass the proposed ICP's gate" if a.gated else \
            "all pass the proposed ICP, which has no gate"
        losses = (f"Of the {recent['losses']} losses closed since {recent['since']}, "
                  + (f"{_nofn(recent['old_icp'], recent['losses'])} matched the current ICP and {new}."
                     if recent["old_icp"] is not None else f"{new} (there is no current ICP to compare)."))
    else:
        losses = "No losses in the latest quarter to test the ICPs on."
    bw = p["best_vs_worst"]
    if bw["k"]:
        feats = "; ".join(f"{f['dimension']} {f['value']}: {f['top']} of {bw['k']} top vs {f['bottom']} of "
                          f"{bw['k']} bottom" for f in bw["features"])
        best_worst = (f"The top and bottom {bw['k']} of {bw['N']} won accounts by composite score differ most on: "
                      f"{feats}.")
    else:
        best_worst = "Too few scored accounts to compare the best and worst fifth."
    v = p["fit_value"]
    if v["fit_total"] is not None and v["random_total"] is not None:
        value = (f"{v['fit_n']} fit accounts: {v['fit_n']} x {_nofn(v['fit']['won'], v['fit']['deals'])} win rate x "
                 f"{dollars(v['fit']['mean_arr'])} average retained ARR = {dollars(v['fit_total'])} expected "
                 f"retained ARR; {v['random_n']} random accounts: {v['random_n']} x "
                 f"{_nofn(v['random']['won'], v['random']['deals'])} x {dollars(v['random']['mean_arr'])} = "
                 f"{dollars(v['random_total'])}. One fit account is worth "
                 f"{v['fit']['per_account'] / v['random']['per_account']:.1f} random ones.")
    else:
        value = ("No retained-ARR figures (accounts.csv has no ARR)" if a.has_accounts else
                 "No retained-ARR figures (no crm/accounts.csv)") + " to value fit against random accounts."
    return {"recent_losses": losses, "best_vs_worst": best_worst, "fit_value": value}


def recite(a: CrmAnalysis) -> list[str]:
    """The 60-second recite: who we pursue, who we rank lower, who is out, in a few lines."""
    gate = [c.label for c in a.criteria if c.kind == "primary" and c.gate]
    counted = [c for c in a.criteria if earns_points(c, a.criteria)]  # one of no points ranks nothing: it is tested
    rank = [c.label for c in counted if c.kind != "negative" and not c.gate] + \
        [c.label for c in counted if c.kind == "secondary" and c.gate]
    out = [c.label for c in a.criteria if c.kind == "negative" and c.gate]
    lower = [c.label for c in counted if c.kind == "negative" and not c.gate]
    untested = [c.label for c in a.criteria if not earns_points(c, a.criteria)]
    groups = compared(a)
    lines = ["We sell to: " + (" and ".join(gate) or f"no single attribute separates our {groups['group']}"
                                 + ("" if groups["group"].startswith("best") else f" from {groups['other']}")) + "."]
    if rank:
        # with no gate there is no "them" to be best among; a criterion within chance says so
        chance = [c.label for c in a.criteria if c.label in rank and not c.beyond_chance]
        lines.append(("Best among them: " if gate else "Rank higher: ") + "; ".join(
            f"{r} (within chance)" if r in chance else r for r in rank) + ".")
    if out:
        lines.append("Not for us: " + "; ".join(out) + ".")
    if lower:
        weak = {c.label for c in a.criteria if not c.beyond_chance}
        lines.append("Rank lower, do not disqualify: " + "; ".join(
            f"{x} (within chance)" if x in weak else x for x in lower) + ".")
    if untested:
        lines.append("To test next quarter, no points yet (within chance): " + "; ".join(untested) + ".")
    return lines


def pipeline(a: CrmAnalysis) -> dict:
    """Open pipeline per band (deals and amount) and the nurture list, as the CSVs hold them."""
    table = open_pipeline(a.deals)
    bands = []
    for name in ("A", "B", "C"):
        rows = table[table["band"] == name]
        bands.append({"band": name, "deals": len(rows), "amount": dollars(float(rows["amount"].fillna(0).sum()))})
    m = a.money
    removed = [{"criterion": r["criterion"], "deals": r["deals"], "amount": dollars(r["amount"]),
                "gate": r["gate"]} for r in m["removed_by"] if r["deals"]]
    cv = m["contract_value"]
    return {"open_deals": len(table), "open_amount": dollars(m["open_pipeline"]), "bands": bands,
            "outside_gate": {"deals": m["open_outside_gate_deals"], "amount": dollars(m["open_outside_gate"])},
            "removed_by": removed,
            "gated": a.gated, "untested": a.untested, "has_retention": bool((a.accounts["retention_status"] != "").any()),
            "has_accounts": a.has_accounts, "as_of": a.as_of,
            "nurture": [{**r, "amount": dollars(r["amount"])}
                        for r in nurture(a.deals, not a.untested, a.as_of).to_dict("records")],
            "churned_arr": dollars(m["churned_arr"]), "churned_accounts": m["churned_accounts"],
            "contract_value": {"fit": dollars(cv["fit"]), "fit_n": cv["fit_n"], "non_fit": dollars(cv["non_fit"]),
                               "non_fit_n": cv["non_fit_n"]}}
