"""The records of the report's front (outputs/front.py builds them, templates/front/*.md.j2 render them).

Every sentence is a `Line`: its words, the numbers it cites (checked against the appendix by outputs/consistency)
and the verbatim quotes that back it."""
from __future__ import annotations

from dataclasses import dataclass, replace

from winloss.outputs.consistency import Cite, Claim
from winloss.outputs.context import CLEAR_Q
from winloss.themes.stats import SMALL_COHORT


@dataclass(frozen=True)
class Line:
    text: str
    cites: tuple[Cite, ...] = ()
    quotes: tuple = ()  # themes.quotes.Quote, or the quotes.csv rows crm.evidence.pick_quotes returns
    claim: Claim | None = None
    owner: str = ""  # decisions only: Product, Sales, Marketing, Customer Success, RevOps
    metric: str = ""  # decisions only: what shows next quarter that it worked


@dataclass(frozen=True)
class CompetitorBlock:
    name: str
    deals: int  # closed-lost deals it took
    value: float  # their amount
    right_fit: int  # of them, right fit for the new ICP
    verdict: str  # "product gap", "positioning gap" or "qualification" (front_crm.verdict_of)
    reasons: str  # the CRM loss reasons, most given first: "Price, Missing feature"
    lines: tuple[Line, ...]
    # with no fit known (no verdict): what reps and buyers agree these losses name, and their counts
    # ("price", "the CRM reasons or notes of 4 of 4 deals and 3 of 3 interviewed buyers say price"); "" if nothing
    reading: str = ""
    evidence: str = ""

    def cites(self) -> tuple[Cite, ...]:
        return (Cite("losses", self.name, "deals", self.deals), Cite("losses", self.name, "amount", self.value),
                Cite("losses", self.name, "right_fit", self.right_fit))


@dataclass(frozen=True)
class NurtureRow:
    account: str
    deal_id: str
    amount: str
    reason: str
    recontact: str


@dataclass(frozen=True)
class Front:
    decisions: tuple[Line, ...] = ()
    drivers: tuple[Line, ...] = ()  # without a CRM: why we win, lose and churn
    icp: tuple[Line, ...] = ()
    icp_changes: tuple[str, ...] = ()  # "Employees 51-1,000 -> Employees 120-700"
    competitors: tuple[CompetitorBlock, ...] = ()
    losses: tuple[Line, ...] = ()  # with a CRM but no competitor block: why we lose, from the interviews
    churn: tuple[Line, ...] = ()
    no_decision: tuple[Line, ...] = ()
    nurture: tuple[NurtureRow, ...] = ()
    pipeline: tuple[Line, ...] = ()
    since: tuple[Line, ...] = ()  # quarter over quarter, when `previous` is set
    confidence: tuple[str, ...] = ()
    has_crm: bool = False
    has_current: bool = False  # a current ICP was given (icp_current.toml): the ICP section compares old and new

    def lines(self):
        """(section, line) for every sentence the checks read."""
        for name in ("decisions", "drivers", "icp", "losses", "churn", "no_decision", "pipeline", "since"):
            for line in getattr(self, name):
                yield name, line
        for block in self.competitors:
            for line in block.lines:
                yield f"competitors/{block.name}", line

    def without(self, texts: set[str], notes: list[str]) -> Front:
        keep = {name: tuple(x for x in getattr(self, name) if x.text not in texts)
                for name in ("decisions", "drivers", "icp", "losses", "churn", "no_decision", "pipeline", "since")}
        blocks = tuple(replace(b, lines=tuple(x for x in b.lines if x.text not in texts)) for b in self.competitors)
        return replace(self, **keep, competitors=blocks,
                       confidence=self.confidence + tuple(f"Left off this front, where the appendix disagrees: {n}"
                                                          for n in notes))

    def quoted_once(self) -> Front:
        """Each shown quote under its first sentence only (decisions show none: their quotes are for the checks)."""
        seen: set[str] = set()

        def fresh(items: tuple[Line, ...]) -> tuple[Line, ...]:
            out = []
            for x in items:
                keep = tuple(q for q in x.quotes if _said(q) not in seen)
                seen.update(_said(q) for q in keep)
                out.append(x if keep == x.quotes else replace(x, quotes=keep))
            return tuple(out)

        sections = {name: fresh(getattr(self, name)) for name in ("drivers", "icp")}
        blocks = tuple(replace(b, lines=fresh(b.lines)) for b in self.competitors)
        sections["losses"] = fresh(self.losses)
        sections |= {name: fresh(getattr(self, name)) for name in ("churn", "no_decision", "pipeline", "since")}
        return replace(self, **sections, competitors=blocks)


def _said(q) -> str:
    return q["quote"] if isinstance(q, dict) else q.quote


def of(n: int, N: int) -> str:
    return f"{n} of {N}"


def noun(n: int, word: str = "deal", many: str | None = None) -> str:
    """`word` for one, its plural (`many`, else word + "s") for any other count."""
    return word if n == 1 else many or word + "s"


def deals(n: int) -> str:
    return f"{n} {noun(n)}"


def firm(d) -> bool:
    """Is the driver's BH q under the bar the appendix calls a clear difference, from a cohort large enough for
    rates (Confidence calls a smaller one's shares anecdotes)? Only a firm driver makes a decision or a headline; a q
    not computed is no reason to drop one."""
    return not d.evidence.q >= CLEAR_Q and d.evidence.N >= SMALL_COHORT


def tentative(d) -> str:
    """Why a driver is not firm, for the sentence that states it."""
    if firm(d):
        return ""
    if d.evidence.N < SMALL_COHORT:
        return (f" (from only {d.evidence.N} {d.cohort} interviews: an anecdote to check in its quotes, not a "
                "finding)")
    # the front keeps test statistics out (its q is in the appendix's driver table)
    return (" (with every driver this report could name tested, a gap this size can be chance: a lead to check in "
            "its quotes, not a finding)")


def driver_cites(d) -> tuple[Cite, Cite]:
    """The n and N a sentence about a driver (themes.drivers.Driver) states, for the checks."""
    key = f"{d.cohort}:{d.theme_id}"
    return Cite("driver", key, "n", d.evidence.n), Cite("driver", key, "N", d.evidence.N)
