"""A bar chart of theme shares per cohort, next to report.md. PNG bytes depend only on the data."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

COHORT_COLOURS = {"won": "#2b8a3e", "lost": "#c92a2a", "churned": "#e67700"}


def share_bars(cohorts_df: pd.DataFrame, labels: dict[str, str], order: list[str], path: Path) -> Path:
    """Horizontal bars: per theme (top to bottom in `order`), the share of each cohort's interviews, with n of N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cohorts = [c for c in COHORT_COLOURS if c in set(cohorts_df["cohort"])]
    cells = cohorts_df.set_index(["theme_id", "cohort"])
    height = 0.8 / max(len(cohorts), 1)
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.3 * len(order) * len(cohorts) + 1.2)), dpi=100)
    for j, cohort in enumerate(cohorts):
        ys, shares, notes = [], [], []
        for i, tid in enumerate(order):
            if (tid, cohort) not in cells.index:
                continue
            row = cells.loc[(tid, cohort)]
            ys.append(i + (j - (len(cohorts) - 1) / 2) * height)
            shares.append(float(row["share"]))
            notes.append(f"{int(row['interviews_with_theme'])} of {int(row['interviews_in_cohort'])}")
        ax.barh(ys, shares, height=height * 0.95, color=COHORT_COLOURS[cohort], label=cohort.capitalize())
        for y, share, note in zip(ys, shares, notes):
            ax.text(share + 0.01, y, note, va="center", fontsize=7)
    ax.set_yticks(range(len(order)), [f"{t}  {_short(labels.get(t, t))}" for t in order], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("share of the cohort's interviews that raised the theme")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    # No software/date metadata: the same data gives the same bytes.
    fig.savefig(path, metadata={"Software": None}, pil_kwargs={"optimize": False})
    plt.close(fig)
    return path


def _short(label: str, width: int = 44) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
