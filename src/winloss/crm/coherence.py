"""The self-contradiction check on a proposed ICP: a draft leadership reads must never say one thing and its
opposite. Rejected: two criteria of one direction on one dimension; a value or range that is both wanted and
disqualifying; a negative criterion common among best customers or seen in no churned or lost account; a primary
criterion missing from many best customers."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winloss.crm.icp import Criterion, IcpRules


class ContradictoryDraft(ValueError):
    """The criteria contradict each other; `problems` lists every contradiction in words."""

    def __init__(self, problems: list[str]):
        super().__init__("the proposed ICP contradicts itself: " + "; ".join(problems))
        self.problems = problems


def contradictions(criteria: list["Criterion"], rules: "IcpRules") -> list[str]:
    out: list[str] = []
    by_key: dict[tuple[str, bool], list["Criterion"]] = {}
    for c in criteria:
        by_key.setdefault((c.key, c.kind == "negative"), []).append(c)
    for (key, negative), group in sorted(by_key.items()):
        if len(group) > 1:
            out.append(f"{len(group)} {'negative' if negative else 'positive'} criteria on {group[0].dimension}: "
                       + ", ".join(c.label for c in group))
    for c in criteria:
        if c.kind == "negative":
            for p in by_key.get((c.key, False), []):
                if _overlap(p, c):
                    out.append(f"{p.label} ({p.kind}) overlaps the negative {c.label}")
            if c.share > rules.negative_max_share:
                out.append(f"negative {c.label} holds for {c.n} of {c.N} {c.group} (more than "
                           f"{rules.negative_max_share:.0%})")
            if c.n_other == 0 and c.deals_lost == 0:
                out.append(f"negative {c.label} holds for no {c.other} and no lost deal")
        elif c.kind == "primary" and c.share < rules.primary_min_share:
            out.append(f"primary {c.label} holds for only {c.n} of {c.N} {c.group} (under "
                       f"{rules.primary_min_share:.0%})")
    return out


def _overlap(a: "Criterion", b: "Criterion") -> bool:
    if a.numeric and b.numeric:
        return a.range.overlaps(b.range)
    return bool(set(a.values) & set(b.values))


def check_coherent(criteria: list["Criterion"], rules: "IcpRules") -> None:
    found = contradictions(criteria, rules)
    if found:
        raise ContradictoryDraft(found)
