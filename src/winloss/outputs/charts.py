"""The report's two charts next to report.md: the theme x cohort heatmap and the bars of theme shares.

PNG bytes depend only on the data, so each chart is kept in the cache under a hash of exactly what it draws: a rerun
whose counts and labels did not change copies the bytes instead of drawing again (drawing 76 themes took ~4 s of a
10,000-statement rerun, most of it matplotlib's import and text layout).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import partial
from importlib import metadata
from pathlib import Path

import pandas as pd

from winloss.cachefile import write_atomic

COHORT_COLOURS = {"won": "#2b8a3e", "lost": "#c92a2a", "churned": "#e67700"}
HEATMAP = "heatmap.png"
SHARE_CHART = "theme_shares.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHART_VERSION = 1  # bump when the drawing code changes, so cached charts are drawn again


def draw_charts(cohorts_df: pd.DataFrame, labels: dict[str, str], order: list[str], out_dir: Path,
                cache_dir: Path | None = None) -> tuple[str | None, str | None]:
    """(heatmap file name, share chart file name) written into out_dir; (None, None) when there is nothing to draw."""
    if not order or cohorts_df.empty:
        return None, None
    cells = _cells(cohorts_df, order)
    shown = {t: labels.get(t, t) for t in order}
    for name, draw in ((HEATMAP, _heatmap), (SHARE_CHART, _share_bars)):
        _cached_png(out_dir / name, cache_dir, [name, cells, shown, order], partial(draw, cells, shown, order))
    return HEATMAP, SHARE_CHART


def _cells(cohorts_df: pd.DataFrame, order: list[str]) -> list[list]:
    """[theme, cohort, share, n, N] for every drawn theme, in row order: all a chart reads, and its cache key."""
    rows = cohorts_df[cohorts_df["theme_id"].isin(set(order))]
    return [[str(r.theme_id), str(r.cohort), float(r.share), int(r.interviews_with_theme), int(r.interviews_in_cohort)]
            for r in rows.itertuples(index=False)]


def _cached_png(path: Path, cache_dir: Path | None, key: list, draw: Callable[[Path], None]) -> None:
    if cache_dir is None:
        draw(path)
        return
    # the installed version, from metadata: importing matplotlib just to read it cost ~1 s of a cached rerun
    blob = json.dumps([CHART_VERSION, metadata.version("matplotlib"), key], sort_keys=True).encode("utf-8")
    cached = cache_dir / f"{hashlib.sha256(blob).hexdigest()[:32]}.png"
    data = cached.read_bytes() if cached.is_file() else b""
    if data.startswith(PNG_SIGNATURE):  # anything else (a damaged entry) is drawn again
        path.write_bytes(data)
        return
    draw(path)
    write_atomic(cached, path.read_bytes())


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    # No software/date metadata: the same data gives the same bytes.
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None}, pil_kwargs={"optimize": False})


def _heatmap(cells: list[list], labels: dict[str, str], order: list[str], path: Path) -> None:
    """Share of interviews per theme (rows) and cohort (columns), with n of N in each cell."""
    plt = _pyplot()
    cohorts = list(dict.fromkeys(c[1] for c in cells))
    at = {(t, c): (share, n, total) for t, c, share, n, total in cells}
    grid = [[at.get((t, c), (float("nan"), 0, 0))[0] for c in cohorts] for t in order]
    fig, ax = plt.subplots(figsize=(2.2 + 1.6 * len(cohorts) + 3.2, max(2.5, 0.42 * len(order) + 1.2)), dpi=110)
    image = ax.imshow(grid, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i, theme_id in enumerate(order):
        for j, cohort in enumerate(cohorts):
            if (theme_id, cohort) in at:
                share, n, total = at[(theme_id, cohort)]
                ax.text(j, i, f"{n} of {total}", ha="center", va="center", fontsize=8,
                        color="white" if share > 0.55 else "black")
    ax.set_xticks(range(len(cohorts)), [c.capitalize() for c in cohorts])
    ax.set_yticks(range(len(order)), [f"{t}  {_short(labels[t], 48)}" for t in order], fontsize=8)
    ax.xaxis.tick_top()
    fig.colorbar(image, ax=ax, fraction=0.04, label="share of interviews")
    _save(fig, path)
    plt.close(fig)


def _share_bars(cells: list[list], labels: dict[str, str], order: list[str], path: Path) -> None:
    """Horizontal bars: per theme (top to bottom in `order`), the share of each cohort's interviews, with n of N."""
    plt = _pyplot()
    present = {c[1] for c in cells}
    cohorts = [c for c in COHORT_COLOURS if c in present]
    at = {(t, c): (share, n, total) for t, c, share, n, total in cells}
    height = 0.8 / max(len(cohorts), 1)
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.3 * len(order) * len(cohorts) + 1.2)), dpi=100)
    for j, cohort in enumerate(cohorts):
        bars = [(i + (j - (len(cohorts) - 1) / 2) * height, *at[(tid, cohort)])
                for i, tid in enumerate(order) if (tid, cohort) in at]
        ax.barh([b[0] for b in bars], [b[1] for b in bars], height=height * 0.95, color=COHORT_COLOURS[cohort],
                label=cohort.capitalize())
        for y, share, n, total in bars:
            ax.text(share + 0.01, y, f"{n} of {total}", va="center", fontsize=7)
    ax.set_yticks(range(len(order)), [f"{t}  {_short(labels[t], 44)}" for t in order], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("share of the cohort's interviews that raised the theme")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    _save(fig, path)
    plt.close(fig)


def _short(label: str, width: int) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
