"""report.md as HTML for the workspace: CommonMark plus tables, raw HTML shown as text, images from the run's folder.

Quotes in the report are transcript text, so nothing in it may become markup: markdown-it runs with html off and
its link validation (no javascript:, vbscript:, file: or data: links) on.
"""
from __future__ import annotations

from urllib.parse import quote

from markdown_it import MarkdownIt


def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
    default_image = md.renderer.rules["image"]

    def image(tokens, idx, options, env):
        src = tokens[idx].attrGet("src") or ""
        if src and ":" not in src and not src.startswith(("/", "#")):
            tokens[idx].attrSet("src", "/files/" + quote(src))  # the run's own PNGs, served from its folder
        return default_image(tokens, idx, options, env)

    md.renderer.rules["image"] = image
    return md


_MD = _markdown()


def render_report(text: str) -> str:
    return _MD.render(text)
