"""The front's sections that need the CRM: old vs new ICP, competitors, churn (no decision and the open pipeline
are in front_followup.py). Pure
functions of the CRM result (crm.analysis.CrmAnalysis, read by its attributes), the appendix's tables and the
run's interview tables; each sentence cites the appendix figures it states."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from winloss.crm.assurance import dollars, holdout_edge
from winloss.crm.evidence import (
    MIN_INTERVIEWS,
    TOPICS,
    pick_quotes,
    themes_apart,
    topics_of,
)
from winloss.crm.health import PREDICTS_P, predicts, unproven_gate
from winloss.crm.narrative import churn_sentence
from winloss.crm.parse import reason_given
from winloss.crm.result import to_rivals
from winloss.outputs.consistency import (
    GAP_SHARE,
    Appendix,
    Cite,
    Claim,
    flip_text,
    praised_by_won,
)
from winloss.outputs.front_records import (
    CompetitorBlock,
    Line,
    deals,
    driver_cites,
    firm,
    of,
    tentative,
)

if TYPE_CHECKING:
    from winloss.crm.analysis import CrmAnalysis
    from winloss.themes.drivers import Driver

MIN_COMPETITOR_DEALS = 3  # a competitor gets its own block from this many closed-lost deals
# CRM loss reasons and notes that name something the product lacks: a right-fit loss citing them is a product gap;
# other right-fit competitive losses (price, demo, ease of use) are a positioning gap.
PRODUCT_WORDS = ("feature", "missing", "certification", "soc 2", "soc2", "iso 27001", "hipaa", "gdpr",
                 "compliance", "security", "integration", "api", "sso", "capability", "functionality", "roadmap")
# Relationship triggers of churn: the customer's buyer, champion, sponsor or a leader left or changed ("she left in
# March", "Our VP, who picked you, left", "our champion moved on", "the new CFO looked at the cost"). A leaving verb
# needs one such person as its subject: "engineers who had left the team" is a staffing detail, not a trigger.
# "She left us a one-star review" gives something: "left" before a thing given ("a", "an", "some", after "us" or
# "me" or not) is no one leaving. The person who chose or set us up is the champion whatever their title ("Sheila,
# our office manager, who set the whole thing up, retired in March").
GIVING = r"(?!(?:\s+(?:us|me|them|him|her))?\s+(?:a|an|some)\b)"
LEAVING = (rf"(?:left{GIVING}|retired|quit|resigned|departed|moved on"
           r"|moved into (?:a|another) (?:different |new )?role|changed roles?)")
LEADER = (r"(?:champion\w*|sponsor\w*|buyer|vp|svp|evp|cfo|cro|ceo|coo|cto|cio|head of \w+|director|boss|founder"
          r"|leadership|executive|the (?:person|one|guy|woman|man) who"
          r"|who (?:set|picked|chose|bought|brought|found|ran|championed|signed|pushed for)\b)")
TRIGGERS = re.compile(rf"\b(?:(?:she|he)\b[^.;]{{0,30}}?\b{LEAVING}|{LEADER}\b[^.;]{{0,40}}?\b{LEAVING}"
                      rf"|new (?:vp|cfo|cro|ceo|coo|cto|head|director|boss|leadership)\b)\b", re.IGNORECASE)
NAMED_LEFT = re.compile(rf"\b[A-Z][a-z]+ (?:left{GIVING}|retired|quit)\b")  # "Kevin left": a person, so case matters
# ... but only a person on the customer's side: the vendor's rep or CSM leaving ("our sales rep, who had left") is a
# service problem, not the loss of the buyer's champion. Read in the words just before the trigger.
VENDOR_SIDE = re.compile(r"\b(?:(?:sales|account|support) (?:rep|representative|manager|executive|person|agent)s?"
                         r"|reps?|AEs?|CSMs?|customer success(?: manager| rep| person)?|success manager"
                         r"|your (?:\w+ )?(?:team|rep|person|guy|contact|side))\b", re.IGNORECASE)
VENDOR_WINDOW = 40  # characters before a trigger in which a vendor-side role makes it the vendor's person
MIN_TRIGGER = 2  # churned interviews with a trigger before a decision asks Customer Success to watch for it


# ---- old vs new ICP ---------------------------------------------------------------------------------------------

def icp_section(a: CrmAnalysis) -> tuple[tuple[str, ...], tuple[Line, ...]]:
    rows = a.changes or []
    changes = tuple(f"{word}: " + "; ".join(f"{c['current']} → {c['proposed']}" if change == "changed" else
                                            c["proposed"] or c["current"] for c in rows if c["change"] == change)
                    for change, word in (("changed", "Changed"), ("added", "Added"), ("dropped", "Dropped"))
                    if any(c["change"] == change for c in rows))
    lines = [] if a.gated else [Line("The new ICP has no gate: no firmographic or technographic criterion is "
                                     "backed by customers, so no deal is known to be wrong fit.")]
    ovn = a.money.get("old_vs_new")
    if ovn:
        c, o = ovn["closed"], ovn["open"]
        old_n, new_n = c["both"]["deals"] + c["old_only"]["deals"], c["both"]["deals"] + c["new_only"]["deals"]
        lines.append(Line(
            f"Of {sum(v['deals'] for v in c.values())} closed deals, the current ICP admitted {old_n} and the new "
            f"one admits {new_n}: it removes {c['old_only']['deals']} the old one let in (we won "
            f"{of(c['old_only']['won'], c['old_only']['deals'])}) and admits {c['new_only']['deals']} it kept out "
            f"(we won {of(c['new_only']['won'], c['new_only']['deals'])}).",
            cites=tuple(Cite("money", f"old_vs_new.closed.{k}.{f}", "value", c[k][f])
                        for k in ("old_only", "new_only") for f in ("deals", "won"))))
        lines.append(Line(
            f"In the open pipeline it removes {deals(o['old_only']['deals'])} "
            f"({dollars(o['old_only']['amount'])}) that the current ICP admits, and admits "
            f"{deals(o['new_only']['deals'])} ({dollars(o['new_only']['amount'])}) that it left out.",
            cites=tuple(Cite("money", f"old_vs_new.open.{k}.{f}", "value", o[k][f])
                        for k in ("old_only", "new_only") for f in ("deals", "amount"))))
    # a ranking disqualifier lowers a score and removes no deal; a deal may fail more than one gate criterion
    removed = [(i, r) for i, r in enumerate(a.money.get("removed_by", [])) if r["deals"] and r["gate"]]
    if removed:
        lines.append(Line("Open deals each gate criterion removes (a deal can fail more than one): " + "; ".join(
            f"{r['criterion']}, {r['deals']} ({dollars(r['amount'])})" for _, r in removed) + ".",
            cites=tuple(Cite("money", f"removed_by.{i}.deals", "value", r["deals"]) for i, r in removed)))
    health = {r["metric"]: r for r in a.health}
    found, measured = [], []
    for metric, word, counted, verb in (("win rate", "wins", "closed deals", "won"),
                                        ("retention", "retention", "won accounts with retention data", "kept")):
        r = health.get(metric)
        if r is None or not r["fit"].get("N") or not r["non_fit"].get("N"):
            continue
        measured.append(word)
        f, nf = r["fit"], r["non_fit"]
        lines.append(Line(f"Inside the new ICP we {verb} {of(f['n'], f['N'])} {counted}; outside it "
                          f"{of(nf['n'], nf['N'])}.",
                          cites=tuple(Cite("health", metric, f"{g}.{k}", r[g][k])
                                      for g in ("fit", "non_fit") for k in ("n", "N"))))
        if predicts(f, nf):
            found.append(word)
    # win rates that differ do not make a rule of a gate whose own criterion is within chance (health.unproven_gate)
    weak = unproven_gate(a) if "wins" in found else ""
    found = [w for w in found if not (weak and w == "wins")]
    verdict = {("wins", "retention"): "both wins and retention", ("wins",): "wins, not retention",
               ("retention",): "retention, not wins"}.get(tuple(found), "neither wins nor retention beyond chance")
    if not measured:  # no gate, so no deal is inside or outside the ICP: "predicts neither" would claim a test
        lines.append(Line("Whether it predicts wins or retention is not measured: " + (
            "the closed deals do not fall on both sides of its gate." if a.gated else
            "without a gate no deal is inside or outside it.")))
        return changes, tuple(lines)
    unmeasured = measured == ["wins"]  # retention unmeasured is not "not predicted"
    if unmeasured:
        verdict = "wins" if found else "no better win rate than chance"
    edge = holdout_edge(a) if "wins" in found else None
    faded = edge is not None and edge[4] > PREDICTS_P  # the in-sample win edge, within chance on unseen deals
    lines.append(Line(f"The new ICP predicts {verdict}, measured on the same deals it was fitted on"
                      # the reason in full is under Confidence (decisions.gate_note); once is enough for a reader
                      + (": its win rates differ, but its gate's criterion is within chance on its own test (see "
                         "Confidence)." if weak else
                         f"; out of sample ({a.out_of_sample['holdout']}, {a.out_of_sample['holdout_deals']} deals), "
                         f"band A won {of(*edge[:2])} against {of(*edge[2:4])} below it, within chance." if faded
                         else ".")
                      + (" Retention is not measured" + _told_churned(a) + "." if unmeasured else "")))
    return changes, tuple(lines)


def _told_churned(a: CrmAnalysis) -> str:
    """Without retention data, the churn interviews still say which won accounts left, inside the ICP and outside:
    a gate that admits most of them wins deals it then loses."""
    acc = a.accounts
    if acc is None or acc.empty or not {"fit", "churned_interview"} <= set(acc.columns) \
            or not acc["churned_interview"].any():
        return ""
    inside = acc["fit"] == "fit"
    k_in, k_out = int((acc["churned_interview"] & inside).sum()), int((acc["churned_interview"] & ~inside).sum())
    return (f", but {of(k_in, int(inside.sum()))} won accounts inside it churned, as their churn interviews say "
            f"({of(k_out, int((~inside).sum()))} outside)")


# ---- competitors ------------------------------------------------------------------------------------------------

def names_lack(text: str) -> bool:
    said = text.lower()
    return any(re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", said) for w in PRODUCT_WORDS)


def verdict_of(rows: pd.DataFrame, notes: dict[str, str]) -> str:
    """The playbook's rule: mostly right-fit competitive losses are a product gap (when most of the right-fit ones'
    CRM reason or notes name something the product lacks) or a positioning gap, never a qualification problem;
    mostly wrong-fit ones are qualification. notes: deal id -> CRM loss notes."""
    right = rows[rows["loss_type"] != 1]
    if len(right) < GAP_SHARE * len(rows) or right.empty:
        return "qualification"
    lacking = sum(names_lack(f"{r} {notes.get(d, '')}") for d, r in zip(right["deal_id"], right["loss_reason"]))
    return "product gap" if lacking >= GAP_SHARE * len(right) else "positioning gap"


def competitor_blocks(a: CrmAnalysis, appendix: Appendix, drivers: dict[str, list[Driver]],
                      statements: pd.DataFrame, themes: pd.DataFrame, quotes: pd.DataFrame
                      ) -> tuple[CompetitorBlock, ...]:
    losses = appendix.losses
    named = to_rivals(losses).assign(name=lambda t: t["competitor"].str.strip())
    size = named.groupby("name")["amount"].agg(["size", "sum"])
    blocks = []
    for name in sorted(size.index, key=lambda c: (-size.loc[c, "size"], -size.loc[c, "sum"], c)):
        rows = named[named["name"] == name]
        if len(rows) < MIN_COMPETITOR_DEALS:
            continue
        n, value, fit = len(rows), float(rows["amount"].fillna(0).sum()), int((rows["fit"] == "fit").sum())
        wrong = int((rows["loss_type"] == 1).sum())
        mine = a.deals[a.deals["deal_id"].isin(rows["deal_id"])]
        notes = mine["loss_notes"].astype(str).str.strip()
        # Without a gate, or with one that is not yet beyond chance, no deal is known to be right fit, so the
        # playbook's rule cannot be applied.
        verdict = verdict_of(rows, dict(zip(mine["deal_id"], notes))) if not a.untested else "unknown"
        given = rows["loss_reason"].map(lambda r: reason_given(str(r), name))
        reasons = given[given != ""].value_counts()
        ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        bare = int((given == "").sum())
        reason_text = (", ".join(f"{k} {v}" for k, v in ranked) or "none") + (
            f"; {bare} {'gives' if bare == 1 else 'give'} none beyond the competitor" if ranked and bare else "")
        # "Interviewed losses": interviews of the lost cohort joined to one of these closed-lost deals, as in the
        # appendix's themes-by-competitor table; a won or churned account whose deal lists the rival is not one.
        lost_deals = set(rows["deal_id"])
        ids = sorted({j.interview_id for j in a.joins if j.cohort == "lost" and j.deal_id in lost_deals}
                     & set(statements["interview_id"]))
        block = CompetitorBlock(name, n, value, fit, verdict, ", ".join(k for k, _ in ranked) or "(none)", ())
        reading, evidence = ("", "") if verdict != "unknown" else \
            losses_name(name, rows, dict(zip(mine["deal_id"], notes)), ids, statements, themes)
        blocks.append(replace(block, reading=reading, evidence=evidence, lines=(
            Line(f"Took {n} closed-lost {'deal' if n == 1 else 'deals'} worth {dollars(value)}; " + (
                 f"{of(fit, n)} {'was' if fit == 1 else 'were'} right fit for the new ICP." if not a.untested
                 else "their fit is unknown.")
                 + f" CRM loss reasons: {reason_text}.", cites=block.cites()),
            why_chosen(name, ids, _common(notes), drivers, statements, themes, quotes,
                       quoted=verdict != "qualification", crm_reason=(ranked[0] + (n,)) if ranked else None,
                       appendix=appendix),
            verdict_line(name, verdict, n, wrong) if verdict != "unknown" else
            untested_line(reading, evidence, a.gated))))
    return tuple(blocks)


def untested_line(reading: str, evidence: str, gated: bool) -> Line:
    """The verdict line when no deal's fit is known: no playbook verdict, but what the losses name (losses_name)."""
    why = "the ICP's gate is not yet beyond chance" if gated else "the ICP has no gate"
    if not reading:
        return Line(f"No verdict: {why}, so a product or positioning gap cannot be told from a qualification "
                    "problem.")
    return Line(f"No verdict on fit ({why}), but what these losses name is {reading}: {evidence}.")


def losses_name(name: str, rows: pd.DataFrame, notes: dict[str, str], ids: list[str], statements: pd.DataFrame,
                themes: pd.DataFrame) -> tuple[str, str]:
    """With no deal's fit known the playbook's verdict cannot be given, but what the losses name can, as (reading,
    evidence), ('', '') when reps and buyers name nothing in common:
    - "a product gap" where at least half the deals' CRM reasons or notes, or half the interviewed buyers (two or
      more, in their statements against us), say what the product lacks or what the rival's product does;
    - else "price", where half of either says price;
    - else a product gap in a theme the buyers raise whose key words half the CRM reasons use (`_shared_subject`);
    - else a topic (crm.evidence.TOPICS) that half the CRM reasons and half the buyers share ("onboarding and
      support": "Implementation effort" in the CRM, "their onboarding was simpler" in the interviews).
    Each side's count is given, so a reader sees whether the reps and the buyers agree."""
    crm = [f"{r} {notes.get(d, '')}" for d, r in zip(rows["deal_id"], rows["loss_reason"])]
    said = statements[statements["interview_id"].isin(ids)]
    if "stance" in said:  # the buyer's reason is said against us ("their tool reviews the whole document")
        said = said[said["stance"] == "negative"]
    rival = frozenset({name})
    buyers = {i: " ".join(map(str, t)) for i, t in said.groupby("interview_id")["text"]}
    n, k = len(crm), len(buyers)
    heard = (lambda m: f" and {of(m, k)} interviewed buyers") if k else (lambda m: "")
    lack = (sum(map(names_lack, crm)),
            sum(names_lack(t) or "product gaps" in topics_of(t, rival) for t in buyers.values()))
    price = (sum("price" in topics_of(t) for t in crm), sum("price" in topics_of(t) for t in buyers.values()))
    for reading, (crm_n, buyers_n), told in (("a product gap", lack, "what our product lacks"),
                                             ("price", price, "price")):
        if crm_n >= GAP_SHARE * n or (k >= 2 and buyers_n >= GAP_SHARE * k):
            return reading, f"the CRM reasons or notes of {of(crm_n, n)} deals{heard(buyers_n)} say {told}"
    shared = _shared_subject(name, crm, said, k, themes)
    if shared is not None:
        subject, crm_n, buyers_n = shared
        return "a product gap", (f"the CRM reasons or notes of {of(crm_n, n)} deals{heard(buyers_n)} name "
                                 f"{subject}, which is neither price nor timing")
    if k >= 2:
        for topic in TOPICS:
            if topic in NOT_PRODUCT or topic == "product gaps":
                continue
            crm_n = sum(topic in topics_of(t) for t in crm)
            buyers_n = sum(topic in topics_of(t, rival) for t in buyers.values())
            if crm_n >= GAP_SHARE * n and buyers_n >= GAP_SHARE * k:
                return (f"a gap in {topic}",
                        f"the CRM reasons or notes of {of(crm_n, n)} deals{heard(buyers_n)} speak of {topic}")
    return "", ""


def _common(notes: pd.Series) -> tuple[str, int]:
    counts = notes[notes != ""].value_counts()
    if counts.empty:
        return "", 0
    text, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return str(text), int(n)


def why_chosen(name: str, ids: list[str], note: tuple[str, int], drivers: dict[str, list[Driver]],
               statements: pd.DataFrame, themes: pd.DataFrame, quotes: pd.DataFrame, quoted: bool = True,
               crm_reason: tuple[str, int, int] | None = None, appendix: Appendix | None = None) -> Line:
    """Why buyers chose the competitor: the loss-driver themes raised in at least two of the interviews of those
    losses (one buyer's reason is an anecdote, not why buyers chose it), quoted from them (unless `quoted` is off: a
    wrong-fit competitor needs no quote to be qualified out); then the themes that set those interviews apart;
    without interviews, the CRM note reps wrote most. Every theme named comes with its n of N. `crm_reason`, the
    CRM's most given loss reason for the competitor (reason, deals giving it, deals), is said beside drivers of
    another topic: the buyers' words and the reps' field then disagree, and the reader must see both."""
    crm_note = "" if not note[0] else f" Reps' most common CRM note: \"{note[0]}\" ({deals(note[1])})." \
        if note[1] > 1 else f" No CRM note repeats; one reads: \"{note[0]}\"."
    if not ids:
        return Line(f"Why buyers chose {name}: no lost buyer was interviewed, so only the CRM says.{crm_note}")
    mine, found, picked, told = set(ids), [], [], []
    # a reason against us that won buyers praise is a mixed record, said as one ("approvals" praised by won buyers,
    # their approver seats' price what Papertrail's buyers left over)
    praised = {} if appendix is None else {
        t: f"; praised in {of(*won)} won interviews" for t in set(statements.get("theme_id", pd.Series(dtype=str)))
        if (won := praised_by_won(appendix, str(t))) is not None}
    # a circumstance (a loss driver told neutrally: "we sell on Shopify and Amazon") is no reason against us
    hits = [(d, mine & set(d.interviews)) for d in drivers.get("lost", []) if d.stance == "negative"]
    hits = [(d, hit) for d, hit in hits if hit]
    for d, hit in hits:
        if len(hit) >= 2:
            # as elsewhere in the front, a driver that is not firm is said to be a lead
            lead = "" if firm(d) else "; a lead to check, not a finding"
            # counted in the statements against us, as the driver is: the themes table beside it counts every one
            found.append(f"{d.label} (against us in {of(len(hit), len(ids))}{lead}{praised.get(d.theme_id, '')})")
            told.append(d.theme_id)
            picked += [q for q in d.quotes if q.interview_id in hit][:1]
    if not found:
        # a reason to choose the rival is said against us: "Price didn't really come into it" raises price, and
        # gives no reason, so the themes are counted in the statements that take the rival's side
        against = "negative" if "stance" in statements else None
        said = statements if against is None else statements[statements["stance"] == against]
        labels = dict(zip(themes["theme_id"], themes["label"]))
        top = themes_apart(statements, ids, against)[:2]
        raising = said[said["interview_id"].isin(mine)].groupby("theme_id")["interview_id"].nunique()
        counted = "against us in " if against else ""
        found = [f"{labels.get(t, t)} ({counted}{of(int(raising.get(t, 0)), len(ids))}{praised.get(t, '')})"
                 for t in top]
        told = list(top)
        picked = pick_quotes(quotes[quotes["statement_id"].isin(said["statement_id"])], ids, top, limit=2)
    if not found and len(ids) < MIN_INTERVIEWS:  # themes_apart needs that many: say so, not "no theme"
        # (no loss driver is shared by two of them either: that was tested above)
        return Line(f"Why buyers chose {name}: only {len(ids)} of its lost buyers "
                    f"{'was' if len(ids) == 1 else 'were'} interviewed: too few for any theme to set them "
                    f"apart (that takes {MIN_INTERVIEWS}).{crm_note}")
    if not found:
        return Line(f"Why buyers chose {name}: no theme sets its {len(ids)} interviewed losses apart from the other "
                    f"interviews beyond chance.{crm_note}")
    return Line(f"Why buyers chose {name}, in the {len(ids)} interviewed losses: {'; '.join(found[:2])}."
                + _disagrees(crm_reason, found[:2] + _keywords(themes, told[:2])) + crm_note,
                quotes=tuple(picked[:1]) if quoted else ())


NOT_PRODUCT = {"price", "timing and budget", "sales experience", "fit"}
KEY_PHRASES = 4  # a theme's subject: its first keyphrases, most distinctive first


def _shared_subject(name: str, crm: list[str], said: pd.DataFrame, k: int, themes: pd.DataFrame
                    ) -> tuple[str, int, int] | None:
    """The theme at least half the interviewed buyers (two or more) raise against us whose key words the CRM
    reasons of at least half the deals also use, when it is about neither price nor timing: (its label, deals,
    buyers). Reps writing "AI review" and buyers telling "Clausewell's AI redlining" name one capability."""
    if k < 2 or "keywords" not in themes or said.empty:
        return None
    raised = said[said["theme_id"].astype(str) != ""].groupby("theme_id")["interview_id"].nunique()
    rival = {w.lower() for w in re.findall(r"\w+", name)}
    for theme_id, buyers in sorted(raised.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        if buyers < GAP_SHARE * k:
            break
        row = themes[themes["theme_id"].astype(str) == str(theme_id)]
        if row.empty:
            continue
        label, keywords = str(row["label"].iloc[0]), str(row["keywords"].iloc[0])
        if NOT_PRODUCT & set(topics_of(f"{label} {keywords}")):
            continue
        phrases = [p for p in keywords.lower().split(";") if p.strip()][:KEY_PHRASES]
        words = {w for p in phrases for w in re.findall(r"\w+", p) if len(w) >= 2 and w not in rival}
        deals = sum(bool(words & set(re.findall(r"\w+", t.lower()))) for t in crm)
        if words and deals >= GAP_SHARE * len(crm):
            return label, deals, int(buyers)
    return None


def _keywords(themes: pd.DataFrame, ids: list[str]) -> list[str]:
    """The themes' keywords: a label can miss its subject ("Looked at Gustly" over "their onboarding was simpler")."""
    if "keywords" not in themes:
        return []
    words = dict(zip(themes["theme_id"].astype(str), themes["keywords"].fillna("").astype(str)))
    return [words.get(t, "") for t in ids]


def _disagrees(crm_reason: tuple[str, int, int] | None, found: list[str]) -> str:
    """" The CRM's most given reason is another: ..." when the reason repeats and no theme named (its label and
    keywords, `found`) shares its topic (crm.evidence.TOPICS) or, for a reason of no known topic, a word."""
    if crm_reason is None or crm_reason[1] < 2:
        return ""
    reason, k, n = crm_reason
    named = " ".join(found).lower()
    topics = set(topics_of(reason))
    if topics & set(topics_of(named)) if topics else any(w in named for w in re.findall(r"\w{4,}", reason.lower())):
        return ""
    return f" The CRM's most given reason is another: {reason} ({k} of {n} deals)."


def verdict_line(name: str, verdict: str, n: int, wrong: int) -> Line:
    """The playbook's verdict, when the deals' fit is known (untested_line says what the losses name otherwise)."""
    if verdict == "qualification":
        text = (f"Verdict: qualification. {of(wrong, n)} {'was' if wrong == 1 else 'were'} wrong fit (outside the "
                "new ICP's gate): the counter-play is the gate, not the product.")
    else:
        fix = "build what these buyers needed" if verdict == "product gap" else f"Sales needs a counter to {name}"
        # the right-fit count is the block's first line; the verdict says what follows from it
        text = f"Verdict: {verdict}. Mostly right fit, so not a qualification problem: {fix}."
    return Line(text, cites=(Cite("losses", name, "type1", wrong), Cite("losses", name, "deals", n)),
                claim=Claim("verdict", name, verdict))


# ---- churn ------------------------------------------------------------------------------------------------------

def churn_section(a: CrmAnalysis | None, drivers: dict[str, list[Driver]], statements: pd.DataFrame,
                  quotes: pd.DataFrame, appendix: Appendix | None = None) -> tuple[Line, ...]:
    lines = []
    if a is not None:
        m = a.money
        known = a.accounts[a.accounts["retention_status"] != ""]
        churned = a.churned
        if len(known):
            lost = known[known["retention_status"] == "churned"]
            told = len(churned) - len(lost)
            lines.append(Line(f"{of(len(lost), len(known))} won accounts with retention data churned, taking "
                              f"{dollars(m['churned_arr'])} of starting ARR"
                              + (f"; {told} more churned, as their churn interviews say." if told > 0 else "."),
                              cites=(Cite("money", "churned_accounts", "value", len(lost)),
                                     Cite("money", "churned_arr", "value", m["churned_arr"]))))
        elif len(churned):  # told by the churn interviews alone: who left, never a rate or ARR
            lines.append(Line(churn_sentence(a)))
        if len(churned):
            kept, name = a.kept
            who = sorted(((int(c.met(churned).sum()), c.label, int(c.met(kept).sum())) for c in a.criteria
                          if c.kind == "negative"), key=lambda t: (-t[0], t[1]))
            who = [w for w in who if w[0] >= 2][:3]
            outside = a.outside_gate()  # the gate as a whole, beside its parts
            gate = f"{outside[0]} fall outside the new ICP's gate (against {of(outside[1], len(kept))} {name} accounts)" \
                if outside and outside[0] >= 2 else ""
            parts = ", ".join(f"{k} {'match ' if i == 0 else ''}{label} ({of(m, len(kept))}"
                              f"{f' {name}' if i == 0 and not gate else ''})" for i, (k, label, m) in enumerate(who))
            if who or gate:
                lines.append(Line(f"Who churns: of the {len(churned)} churned accounts, "
                                  + "; ".join(x for x in (gate, parts) if x) + "."))
    why = [d for d in drivers.get("churned", []) if d.kind == "driver"][:2]
    for i, d in enumerate(why):
        e = d.evidence
        flip, flip_cites = flip_text(appendix, d.theme_id) if appendix is not None else ("", ())
        lines.append(Line(f"Why: {d.label}, criticised in {of(e.n, e.N)} churned interviews against "
                          f"{of(e.n_other, e.N_other)} others{tentative(d)}" + (f"; {flip}" if flip else "")
                          + ".", cites=driver_cites(d) + flip_cites,
                          quotes=tuple(d.quotes[:1]) if i == 0 else (), claim=Claim("blame", d.theme_id)))
    shown = {q.quote if hasattr(q, "quote") else q["quote"] for x in lines for q in x.quotes}
    trigger = trigger_line(statements, quotes, avoid=shown)
    if trigger is not None:
        lines.append(trigger)
    return tuple(lines)


def customer_side_trigger(text: str) -> bool:
    """Does the statement say a person on the customer's side left or changed (not the vendor's rep or CSM)?"""
    for pattern in (TRIGGERS, NAMED_LEFT):
        for m in pattern.finditer(text):
            before = re.split(r"[.!?;]", text[max(0, m.start() - VENDOR_WINDOW):m.start()])[-1]
            if not VENDOR_SIDE.search(before + m.group(0)):
                return True
    return False


def trigger_line(statements: pd.DataFrame, quotes: pd.DataFrame, avoid: set[str] | None = None) -> Line | None:
    """Relationship triggers: churned interviews in which the customer says their champion or sponsor left, a new
    leader arrived, or the company reorganised. Quoted with a statement that says so (quotes.csv's first, else the
    statement itself: a statement is an exact substring of its turn), never one shown under another sentence."""
    churned = statements[statements["cohort"] == "churned"]
    if churned.empty:
        return None
    hits = churned[churned["text"].map(lambda t: customer_side_trigger(str(t)))]
    n = hits["interview_id"].nunique()
    if n < 1:
        return None
    quoted = quotes[quotes["statement_id"].isin(hits["statement_id"])].sort_values("interview_id", kind="mergesort")
    own = hits.rename(columns={"text": "quote"}).assign(**{c: None for c in ("speaker", "theme_id", "start")
                                                          if c not in hits})
    ids = sorted(set(hits["interview_id"]))
    picked = pick_quotes(quoted, ids, limit=1, avoid=avoid) or pick_quotes(own, ids, limit=1, avoid=avoid)
    N = churned["interview_id"].nunique()
    # one interview is shown (a champion leaving is worth a look), and said to be one customer's story
    return Line(f"Relationship trigger: in {of(n, N)} churned interviews the customer says their champion or "
                "sponsor left, or leadership changed" + (": one customer's story, not yet a pattern." if n == 1
                                                          else "."), quotes=tuple(picked),
                claim=Claim("trigger", "champion or sponsor left", of(n, N)))
