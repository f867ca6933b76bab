"""Render report.md from plain tables with jinja2 (the charts beside it: outputs/charts.py)."""
from __future__ import annotations

import math
from pathlib import Path

import jinja2

from winloss.interviews.roles import quoted_speaker
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
    env.filters.update(pct=pct, fmt_p=fmt_p, fmt_lift=fmt_lift, fmt_time=fmt_time, who=quoted_speaker)
    return env


def render(context: dict, template: str = "report.md.j2", extra_dirs: list[Path] | None = None) -> str:
    return environment(extra_dirs).get_template(template).render(**context)
