"""Drivers: why we win, why we lose, why customers churn, as theme x stance evidence. Pure functions over tables.

A win driver is a theme whose *positive* mentions come from won interviews more often than from the others; a loss
or churn driver is one whose *negative* mentions are over-represented among lost or churned interviews. Counted in
interviews, never statements ("n of N"), tested with a one-sided Fisher exact test of that cohort against the rest
(the direction is the claim), Benjamini-Hochberg over every theme x cohort tested. A theme that drives a win and,
with the opposite stance, a loss or churn is a flip: the analyst's finding that its absence costs us.
A lost cohort's theme whose mentions are mostly neutral (a budget freeze, a reorg) is reported as a circumstance:
it explains losses without saying anything against us.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from winloss.models import Statement
from winloss.themes.ids import theme_sort_key
from winloss.themes.quotes import MIN_QUOTE_WORDS, Quote
from winloss.themes.stats import benjamini_hochberg
from winloss.themes.vectors import centre

# cohort -> (stance that drives it, how the report says that stance)
DIRECTIONS = {"won": ("positive", "praised"), "lost": ("negative", "criticised or missed"),
              "churned": ("negative", "criticised or missed")}
OPPOSITE = {"positive": "negative", "negative": "positive"}
MIN_INTERVIEWS = 3  # fewer interviews than this in the cohort with the stance: an anecdote, not a driver
MAX_P = 0.10  # one-sided Fisher p at or below this (and lift > 1) makes a driver; q is shown beside it
QUOTES = 3


@dataclass(frozen=True)
class Evidence:
    """Interviews of one cohort that mention a theme with one stance, against the other cohorts."""
    theme_id: str
    cohort: str
    stance: str
    n: int
    N: int
    n_other: int
    N_other: int
    lift: float
    p: float
    q: float = math.nan

    @property
    def share(self) -> float:
        return self.n / self.N if self.N else math.nan


@dataclass(frozen=True)
class Driver:
    theme_id: str
    label: str
    cohort: str  # won / lost / churned
    stance: str  # the stance whose mentions drive it (neutral for a circumstance)
    kind: str  # "driver" or "circumstance"
    evidence: Evidence
    verb: str  # "praised", "criticised or missed", "mentioned as a circumstance"
    flip: str = ""  # "praised in 9 of 14 won interviews; criticised or missed in 6 of 9 churned", else ""
    # a win driver also criticised where we lose or churn, more often than elsewhere (a flip's other side, or one
    # short of a driver): that cohort's negative evidence (against_text says it), else None
    against: Evidence | None = None
    interviews: tuple[str, ...] = ()
    competitors: tuple[tuple[str, int], ...] = ()  # lost drivers: the interviews' CRM competitor, most first
    loss_types: tuple[tuple[str, int], ...] = ()
    quotes: tuple[Quote, ...] = field(default_factory=tuple)
    told: int = 0  # the cohort's interviews with the theme at all, whatever their stance

    @property
    def against_text(self) -> str:
        """"criticised or missed in 4 of 9 churned interviews against 2 of 21 others, within chance", or ''."""
        e = self.against
        if e is None:
            return ""
        chance = "" if _is_driver(e) else ", within chance"
        return f"criticised or missed in {e.n} of {e.N} {e.cohort} interviews against {e.n_other} of {e.N_other} " \
               f"others{chance}"

    @property
    def text(self) -> str:
        e = self.evidence
        # "criticised in 4 of 8" beside another section's "5 of 8 say their champion left" reads as a contradiction
        # unless the fifth, who told it without judging, is counted too
        told = f"; {self.told} of {e.N} mention it" if self.told > e.n and self.kind == "driver" else ""
        return (f"{self.verb} in {e.n} of {e.N} {e.cohort} interviews vs {e.n_other} of {e.N_other} others "
                f"(lift {_lift(e.lift)}, one-sided Fisher p {_p(e.p)}, q {_p(e.q)}){told}")


def _lift(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.1f}×"


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def stance_presence(statements: pd.DataFrame) -> pd.DataFrame:
    """One row per (theme, interview, stance) that occurs; statements: interview_id, cohort, theme_id, stance."""
    rows = statements[statements["theme_id"].astype(str) != ""]
    return rows[["theme_id", "interview_id", "cohort", "stance"]].drop_duplicates()


def stance_counts(statements: pd.DataFrame, cohort_sizes: dict[str, int]) -> pd.DataFrame:
    """Interviews per theme, cohort and stance (an interview that both praises and criticises counts in both)."""
    presence = stance_presence(statements)
    counts = presence.groupby(["theme_id", "cohort", "stance"]).size()
    rows = []
    for theme_id in sorted(presence["theme_id"].unique(), key=theme_sort_key):
        for cohort in cohort_sizes:
            rows.append({"theme_id": theme_id, "cohort": cohort,
                         **{f"interviews_{s}": int(counts.get((theme_id, cohort, s), 0))
                            for s in ("positive", "negative", "neutral")}})
    return pd.DataFrame(rows, columns=["theme_id", "cohort", "interviews_positive", "interviews_negative",
                                       "interviews_neutral"])


@lru_cache(maxsize=4096)  # a study's tests repeat the same small tables (0 of 12 against 1 of 18) many times
def one_sided(a: int, n: int, b: int, m: int) -> tuple[float, float]:
    """Lift of a/n over b/m and the one-sided Fisher p that the cohort's share is the larger."""
    if n == 0 or m == 0:
        return math.nan, 1.0
    share, other = a / n, b / m
    lift = share / other if other > 0 else (math.inf if share > 0 else math.nan)
    _, p = fisher_exact([[a, n - a], [b, m - b]], alternative="greater")
    return lift, float(p)


# The claims a report can make of a theme: each cohort's driver direction, and a lost theme told neutrally (a
# circumstance). Only those are tested, so the BH family is the claims that could be printed, not also the five
# directions no sentence ever states (won criticism, churned praise ...), which would only inflate every q.
CLAIMS = tuple((cohort, stance) for cohort, (stance, _) in DIRECTIONS.items()) + (("lost", "neutral"),)


def evidence_table(statements: pd.DataFrame, cohort_sizes: dict[str, int]) -> list[Evidence]:
    """Every theme x claim test the drivers need (CLAIMS), with BH q-values over all of them."""
    presence = stance_presence(statements)  # one row per interview: counting rows counts interviews
    in_cohort = presence.groupby(["theme_id", "stance", "cohort"]).size().to_dict()
    anywhere = presence.groupby(["theme_id", "stance"]).size().to_dict()
    total = sum(cohort_sizes.values())
    tests: list[Evidence] = []
    for theme_id in sorted(presence["theme_id"].unique(), key=theme_sort_key):
        for cohort, stance in CLAIMS:
            if cohort in cohort_sizes:
                size = cohort_sizes[cohort]
                a = int(in_cohort.get((theme_id, stance, cohort), 0))
                b = int(anywhere.get((theme_id, stance), 0)) - a
                lift, p = one_sided(a, size, b, total - size)
                tests.append(Evidence(theme_id, cohort, stance, a, size, b, total - size, lift, p))
    q = benjamini_hochberg([t.p for t in tests])
    return [Evidence(**{**t.__dict__, "q": qi}) for t, qi in zip(tests, q)]


def _is_driver(e: Evidence) -> bool:
    return e.n >= MIN_INTERVIEWS and e.p <= MAX_P and (math.isinf(e.lift) or e.lift > 1)


def find_drivers(statements: pd.DataFrame, cohort_sizes: dict[str, int], labels: dict[str, str],
                 extra: dict[str, dict[str, str]] | None = None,
                 related: dict[str, set[str]] | None = None) -> dict[str, list[Driver]]:
    """Drivers per cohort ("won", "lost", "churned"), strongest first (p, then the widest share, then theme id).

    statements: interview_id, cohort, theme_id ("" unassigned), stance, text; only finding themes (no small talk).
    labels: theme_id -> label. extra: interview_id -> {"competitor": ..., "loss_type": ...} from the CRM, if any.
    related: theme_id -> sibling themes on the same topic (`related_themes`): praise in one and criticism in a
    sibling is a flip too ("salesforce connection" praised by won, "salesforce sync broke" by churned).
    """
    tests = {(e.theme_id, e.cohort, e.stance): e for e in evidence_table(statements, cohort_sizes)}
    presence = stance_presence(statements)
    found: dict[str, list[Driver]] = {c: [] for c in DIRECTIONS if c in cohort_sizes}
    for (theme_id, cohort, stance), e in tests.items():
        if cohort not in found:
            continue
        want, verb = DIRECTIONS[cohort]
        # A theme is read one way in one cohort: a report that calls a budget freeze both a circumstance and a
        # criticism contradicts itself, so where most of its interviews tell it neutrally it is a circumstance.
        circumstance = cohort == "lost" and _is_driver(tests[(theme_id, cohort, "neutral")]) \
            and _mostly_neutral(statements, theme_id, cohort)
        if stance == want and _is_driver(e) and not circumstance:
            kind = "driver"
        elif stance == "neutral" and circumstance:
            kind, verb = "circumstance", "mentioned as a circumstance, not a judgement of us,"
        else:
            continue
        here = presence[(presence["theme_id"] == theme_id) & (presence["cohort"] == cohort)]
        ids = tuple(sorted(here.loc[here["stance"] == stance, "interview_id"]))
        found[cohort].append(Driver(theme_id, labels.get(theme_id, theme_id), cohort, stance, kind, e, verb,
                                    interviews=ids, competitors=_tally(ids, extra, "competitor"),
                                    loss_types=_tally(ids, extra, "loss_type"),
                                    told=int(here["interview_id"].nunique())))
    flips = _flips(found, labels, related or {})
    for cohort, drivers in found.items():
        drivers[:] = sorted((_with_against(_with_flip(d, flips), tests) for d in drivers),
                            key=lambda d: (d.kind != "driver", round(d.evidence.p, 12), -d.evidence.share,
                                           theme_sort_key(d.theme_id)))
    return found


# Our price is our offer, not the buyer's situation: a lost theme that talks price ("your per-responder pricing",
# "four times what OpsGenius cost") is never "a circumstance, not a judgement of us", however neutral its words read.
PRICE = re.compile(r"\b(?:prices?|priced|pricing|pricier|costs?|costly|quotes?|quoted|expensive|cheap|cheaper|"
                   r"cheapest|discounts?|per[- ](?:seat|user|head|responder|employee|rep|license|licence))\b",
                   re.IGNORECASE)
PRICE_SHARE = 1 / 3


def _mostly_neutral(statements: pd.DataFrame, theme_id: str, cohort: str) -> bool:
    """More of the cohort's interviews tell the theme neutrally than negatively, each interview by the majority of
    its statements on it (a tie is neither). Counting interviews that say it at all would count "the CEO froze all
    new spend. The deal just stopped." as a complaint as often as a circumstance."""
    rows = statements[(statements["theme_id"] == theme_id) & (statements["cohort"] == cohort)]
    if len(rows) and rows["text"].str.contains(PRICE).mean() >= PRICE_SHARE:
        return False
    told = {"neutral": 0, "negative": 0, "positive": 0}
    for _, stances in rows.groupby("interview_id")["stance"]:
        counts = stances.value_counts()
        top = counts[counts == counts.max()].index
        if len(top) == 1:
            told[str(top[0])] += 1
    return told["neutral"] > told["negative"]


def _tally(ids: tuple[str, ...], extra: dict[str, dict[str, str]] | None, key: str) -> tuple[tuple[str, int], ...]:
    if not extra:
        return ()
    values = [extra.get(i, {}).get(key, "") for i in ids]
    counts: dict[str, int] = {}
    for v in values:
        if v:
            counts[v] = counts.get(v, 0) + 1
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _flips(found: dict[str, list[Driver]], labels: dict[str, str], related: dict[str, set[str]]) -> dict[str, str]:
    """theme_id -> the flip sentence, for a theme praised by won interviews whose own or a sibling theme's
    criticism drives a loss or churn."""
    out: dict[str, str] = {}
    wins = [d for d in found.get("won", []) if d.kind == "driver"]
    for cohort in ("churned", "lost"):
        for d in found.get(cohort, []):
            for w in wins:
                same = w.theme_id == d.theme_id
                if d.kind != "driver" or d.theme_id in out or not (same or d.theme_id in related.get(w.theme_id, ())):
                    continue
                where = "" if same else f" ({d.theme_id} {labels.get(d.theme_id, '')})"
                here = "" if same else f" ({w.theme_id} {labels.get(w.theme_id, '')})"
                text = (f"praised in {w.evidence.n} of {w.evidence.N} won interviews{here}; criticised or missed "
                        f"in {d.evidence.n} of {d.evidence.N} {cohort}{where}")
                out.setdefault(w.theme_id, text)
                out[d.theme_id] = text
    return out


def related_themes(keywords: dict[str, list[str]], centroids: dict[str, np.ndarray], min_cosine: float = 0.6,
                   top: int = 3) -> dict[str, set[str]]:
    """Siblings: themes that share a word of their top keyphrases and whose centroids are close (unit vectors)."""
    words = {t: {w for k in ks[:top] for w in k.split()} for t, ks in keywords.items()}
    ids = sorted(set(words) & set(centroids), key=theme_sort_key)
    out: dict[str, set[str]] = {t: set() for t in ids}
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if words[a] & words[b] and float(centroids[a] @ centroids[b]) >= min_cosine:
                out[a].add(b)
                out[b].add(a)
    return out


def _with_flip(d: Driver, flips: dict[str, str]) -> Driver:
    return Driver(**{**d.__dict__, "flip": flips.get(d.theme_id, "")})


def _with_against(d: Driver, tests: dict[tuple[str, str, str], Evidence]) -> Driver:
    """A win driver's other side: the churned (else lost) interviews that criticise the same theme, at least
    MIN_INTERVIEWS of them and over-represented (a flip's other side, or one short of a driver). "Praised in 5 of 11
    won" alone would hide that 4 of 9 churned customers say the opposite."""
    if d.cohort != "won" or d.kind != "driver":
        return d
    for cohort in ("churned", "lost"):
        e = tests.get((d.theme_id, cohort, "negative"))
        if e is not None and e.n >= MIN_INTERVIEWS and (math.isinf(e.lift) or e.lift > 1):
            return Driver(**{**d.__dict__, "against": e})
    return d


def driver_quotes(driver: Driver, rows: pd.DataFrame, vectors: np.ndarray, statements: list[Statement],
                  limit: int = QUOTES, keywords: list[str] | None = None) -> tuple[Quote, ...]:
    """The most central statements of the driver's theme, cohort and stance, one per interview.

    rows: the statements that may be quoted (already checked to be verbatim by the caller): a positional `row`
    into `vectors` and `statements`, and theme_id, cohort, stance, statement_id, text, optionally stance_score.
    keywords: the theme's keyphrases; a statement that says none of their words comes after those that do. Its
    vector can sit at the centre on its question's and turn's strength ("And that's actually the reason, that's
    why we picked Payloom" under "State filings") while saying nothing of the theme itself.
    """
    pool = rows[(rows["theme_id"] == driver.theme_id) & (rows["cohort"] == driver.cohort)
                & (rows["stance"] == driver.stance)]
    if pool.empty:
        return ()
    v = vectors[pool["row"].to_numpy()]
    short = pool["text"].str.split().str.len() < MIN_QUOTE_WORDS  # a fragment proves little: last resort
    # A statement whose own words carry the stance says the driver; one that got it from its neighbours comes later.
    sign = {"positive": 1.0, "negative": -1.0}.get(driver.stance, 0.0)
    weak = (pool["stance_score"] * sign < 1.0) if sign and "stance_score" in pool else False
    words = {w for k in keywords or () for w in re.findall(r"[a-z0-9]+", k.lower()) if len(w) > 2}
    pattern = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, words))) + r")", re.IGNORECASE) if words else None
    off = ~pool["text"].map(lambda t: bool(pattern.search(t))) if pattern is not None else False
    ranked = pool.assign(c=np.round(v @ centre(v), 6), short=short, weak=weak, off=off).sort_values(
        ["short", "weak", "off", "c", "statement_id"], ascending=[True, True, True, False, True], kind="mergesort")
    picked: list[Quote] = []
    for r in ranked.itertuples():
        if any(q.interview_id == r.interview_id for q in picked):
            continue  # one interview twice would overstate the evidence
        picked.append(Quote(driver.theme_id, driver.cohort, statements[r.row], float(r.c)))
        if len(picked) == limit:
            break
    return tuple(picked)


def with_quotes(found: dict[str, list[Driver]], rows: pd.DataFrame, vectors: np.ndarray,
                statements: list[Statement], keywords: dict[str, list[str]] | None = None
                ) -> dict[str, list[Driver]]:
    keywords = keywords or {}
    return {c: [Driver(**{**d.__dict__, "quotes": driver_quotes(d, rows, vectors, statements,
                                                              keywords=keywords.get(d.theme_id))}) for d in ds]
            for c, ds in found.items()}
