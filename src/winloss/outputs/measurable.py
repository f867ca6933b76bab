"""Can this study's interviews show a driver of a cohort at all? A lopsided study (no churned interviews, every
interview won, two of a cohort) cannot, and the report must say why instead of "no theme is praised more often",
which reads as a finding. Pure functions over the cohort sizes and the driver rule of themes/drivers."""
from __future__ import annotations

from winloss.themes.drivers import MAX_P, MIN_INTERVIEWS, one_sided

WHAT = {"won": "win", "lost": "loss", "churned": "churn"}


def unmeasurable(cohort: str, cohort_sizes: dict[str, int]) -> str:
    """Why no driver of `cohort` can come out of interviews of these sizes, in one sentence; '' when one can.
    The best case a test can see is every interview of the cohort raising the theme and none of the others."""
    n = cohort_sizes.get(cohort, 0)
    others = sum(cohort_sizes.values()) - n
    what = WHAT[cohort]
    if n == 0:
        return f"No {cohort} interviews in this study, so {what} drivers are not measured."
    if others == 0:
        return (f"Every interview is {cohort}: with no other cohort to compare against, {what} drivers cannot be "
                "measured.")
    if n < MIN_INTERVIEWS:
        return (f"Only {n} {cohort} interview{'s' if n != 1 else ''}: anecdote, not a rate; a driver needs at least "
                f"{MIN_INTERVIEWS}, so {what} drivers cannot be measured.")
    _, best = one_sided(n, n, 0, others)
    if best > MAX_P:
        return (f"With {n} {cohort} and {others} other interviews even a theme raised in all {n} and none of the "
                f"others would not reach one-sided Fisher p <= {MAX_P:.2f} (best possible p {best:.2f}), so {what} "
                "drivers cannot be measured.")
    return ""


def why_none(found: dict[str, str], cohort_sizes: dict[str, int]) -> dict[str, str]:
    """What the report says under a cohort's drivers when it has none: why none could be measured, else what the
    appendix found instead (`found`: outputs/context.no_driver_texts)."""
    return {c: unmeasurable(c, cohort_sizes) or text for c, text in found.items()}
