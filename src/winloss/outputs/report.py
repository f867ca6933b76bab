"""Render report.md from plain tables with jinja2, and draw the theme x cohort heatmap."""
from __future__ import annotations

import math
from pathlib import Path

import jinja2
import pandas as pd

from winloss.outputs.timestamps import fmt_time


def pct(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value * 100:.0f}%"


def fmt_p(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def fmt_lift(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return "∞" if math.isinf(value) else f"{value:.1f}×"


def environment(extra_dirs: list[Path] | None = None) -> jinja2.Environment:
    # The package's own templates, loaded as package data so an installed wheel finds them; a folder given by the
    # caller comes first, so a PMM's edited copy of a template wins.
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader([str(p) for p in (extra_dirs or [])]),
                                  jinja2.PackageLoader("winloss", "templates")])
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, autoescape=False)
    env.filters.update(pct=pct, fmt_p=fmt_p, fmt_lift=fmt_lift, fmt_time=fmt_time)
    return env


def render(context: dict, template: str = "report.md.j2", extra_dirs: list[Path] | None = None) -> str:
    return environment(extra_dirs).get_template(template).render(**context)


def heatmap(table: pd.DataFrame, labels: dict[str, str], order: list[str], path: Path) -> None:
    """Share of interviews per theme (rows) and cohort (columns), with n of N in each cell."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cohorts = list(dict.fromkeys(table["cohort"]))
    grid = table.pivot(index="theme_id", columns="cohort", values="share").reindex(index=order, columns=cohorts)
    counts = table.set_index(["theme_id", "cohort"])
    height = max(2.5, 0.42 * len(order) + 1.2)
    fig, ax = plt.subplots(figsize=(2.2 + 1.6 * len(cohorts) + 3.2, height), dpi=110)
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i, theme_id in enumerate(order):
        for j, cohort in enumerate(cohorts):
            row = counts.loc[(theme_id, cohort)]
            share = row["share"]
            ax.text(j, i, f"{row['interviews_with_theme']} of {row['interviews_in_cohort']}", ha="center",
                    va="center", fontsize=8, color="white" if share > 0.55 else "black")
    ax.set_xticks(range(len(cohorts)), [c.capitalize() for c in cohorts])
    ax.set_yticks(range(len(order)), [f"{t}  {_short(labels[t])}" for t in order], fontsize=8)
    ax.xaxis.tick_top()
    fig.colorbar(image, ax=ax, fraction=0.04, label="share of interviews")
    fig.tight_layout()
    # Fixed metadata keeps the PNG byte-identical from run to run.
    fig.savefig(path, metadata={"Software": None}, pil_kwargs={"optimize": False})
    plt.close(fig)


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
