"""A small interview study with planted themes, written as real transcript files, for the research tests."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from themes_data import PLANTED

QUESTIONS = {
    "pricing": "How did the price factor into the decision?",
    "onboarding": "How did the rollout and setup go?",
    "integration": "How did it fit with the other tools you use?",
    "support": "What was your experience with their support?",
    "reporting": "What did you think of the reports and dashboards?",
}
COHORTS = ("won", "lost", "churned")
# Said only in the interviews added later: a theme the first run never saw.
SECURITY = [
    "The security review stalled because they had no SOC 2 report.",
    "Our CISO blocked it until we saw their penetration test results.",
    "Legal needed a data processing agreement and their security questionnaire answers took weeks.",
    "We could not get sign-off from the security team without SSO and audit logs.",
]


def transcript(n: int, themes: list[str], extra: list[str] = ()) -> str:
    lines = ["Dana Ruiz: Thanks for making the time today, this should take about twenty minutes."]
    for theme in themes:
        lines.append(f"Dana Ruiz: {QUESTIONS[theme]}")
        lines.append(f"Customer {n}: {PLANTED[theme][n % len(PLANTED[theme])]}")
    for text in extra:
        lines.append("Dana Ruiz: Was there anything about security or compliance?")
        lines.append(f"Customer {n}: {text}")
    return "\n".join(lines) + "\n"


def write_study(root: Path, n_interviews: int = 12, added: int = 0, topics: list[str] | None = None) -> Path:
    """n_interviews planted interviews (on `topics`, default all); `added` more that also talk about security."""
    (root / "transcripts").mkdir(parents=True, exist_ok=True)
    rows = ["interview_id,cohort,file,interviewer,company"]
    themes = topics or list(PLANTED)
    for n in range(n_interviews + added):
        iid = f"R{n + 1:02d}"
        extra = SECURITY[n % 4: n % 4 + 2] if n >= n_interviews else []
        (root / "transcripts" / f"{iid}.txt").write_text(transcript(n, themes, extra), encoding="utf-8")
        rows.append(f"{iid},{COHORTS[n % 3]},transcripts/{iid}.txt,Dana Ruiz,Company {n + 1}")
    (root / "interviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


@lru_cache(maxsize=1)
def shared_embedder():
    """One loaded model for all research tests (the cache dir comes from conftest's per-session WINLOSS_CACHE_DIR)."""
    from winloss.themes.embedding import Embedder

    return Embedder()


def run_study(study: Path, out: Path):
    from winloss.pipeline import run

    return run(study, out, {"min_theme_size": 5}, embedder=shared_embedder())
