"""Quarter over quarter: shares per cohort then and now, new and vanished themes."""
import shutil

import numpy as np
import pandas as pd
from research_study import run_study, write_study

from winloss.outputs.compare import compare, load_quarter, match_themes
from winloss.themes import codebook


def next_quarter(tmp_path, previous_out, carry_codebook: bool, **study):
    q3 = write_study(tmp_path / "q3", **study)
    if carry_codebook:
        for name in (codebook.CODEBOOK, codebook.MEMBERS, codebook.CENTRES):
            shutil.copy(tmp_path / "q2" / name, q3 / name)
    (q3 / "winloss.toml").write_text(f'previous = "../{previous_out.name}"\n', encoding="utf-8")
    return q3


def test_report_compares_with_previous_quarter(tmp_path):
    run_study(write_study(tmp_path / "q2"), tmp_path / "q2out")
    q3 = next_quarter(tmp_path, tmp_path / "q2out", carry_codebook=True, n_interviews=12, added=6)
    result = run_study(q3, tmp_path / "q3out")
    assert not [w for w in result.warnings if "quarter" in w]
    report = (tmp_path / "q3out" / "report.md").read_text(encoding="utf-8")
    section = report.split("## Quarter over quarter", 1)[1]
    assert "Against `../q2out`" in section
    front = report.split("\n# Appendix", 1)[0]  # the front says it too, in words
    assert "## Since last quarter" in front and "interviews this quarter" in front
    before = pd.read_csv(tmp_path / "q2out" / "themes.csv")["theme_id"].tolist()
    now = pd.read_csv(tmp_path / "q3out" / "themes.csv")["theme_id"].tolist()
    for tid in before:
        assert f"| {tid} " in section
    # The security themes exist only this quarter; nothing vanished.
    new_line = next(line for line in section.splitlines() if line.startswith("New this quarter"))
    assert set(now) > set(before) and all(f"{tid} " in new_line for tid in set(now) - set(before))
    assert "Vanished since last quarter: none." in section
    assert (tmp_path / "q3out" / "theme_shares.png").read_bytes()[:4] == b"\x89PNG"


def test_vanished_theme_and_missing_previous(tmp_path):
    run_study(write_study(tmp_path / "q2"), tmp_path / "q2out")
    q3 = next_quarter(tmp_path, tmp_path / "q2out", carry_codebook=True, topics=["pricing", "support", "reporting"])
    run_study(q3, tmp_path / "q3out")
    statements = pd.read_csv(tmp_path / "q2out" / "statements.csv", keep_default_na=False)
    onboarding = statements[statements["text"].str.startswith("Onboarding dragged on")]["theme_id"].iloc[0]
    section = (tmp_path / "q3out" / "report.md").read_text(encoding="utf-8").split("## Quarter over quarter", 1)[1]
    vanished = next(line for line in section.splitlines() if line.startswith("Vanished"))
    assert f"{onboarding} " in vanished
    (q3 / "winloss.toml").write_text('previous = "../nowhere"\n', encoding="utf-8")
    result = run_study(q3, tmp_path / "q3out2")
    assert any("quarter over quarter skipped" in w and "nowhere" in w for w in result.warnings)
    assert result.exit_code == 0 and "## Quarter over quarter" not in (tmp_path / "q3out2" / "report.md").read_text()


def test_themes_match_by_meaning_when_ids_differ(tmp_path):
    run_study(write_study(tmp_path / "q2"), tmp_path / "q2out")
    q2 = load_quarter(tmp_path / "q2out")
    ids = sorted(q2.centres)
    renamed = {old: f"T{90 + n}" for n, old in enumerate(ids)}
    now = {renamed[t]: c for t, c in q2.centres.items()}
    pairs = match_themes(q2.centres, now)
    assert [(b, n) for b, n, _ in pairs] == [(t, renamed[t]) for t in ids]
    assert all(abs(s - 1) < 1e-5 for _, _, s in pairs)
    # Unrelated centres are not paired: a theme that changed meaning is new, and the old one vanished.
    rng = np.random.default_rng(0)
    noise = {t: (lambda v: v / np.linalg.norm(v))(rng.normal(size=c.shape)) for t, c in q2.centres.items()}
    assert match_themes(q2.centres, noise) == []
    cmp = compare(q2, q2, "same", ["won", "lost", "churned"])
    assert [r["id"] for r in cmp.rows] == ids and not cmp.new and not cmp.vanished
    assert all(c["change"] == 0 for r in cmp.rows for c in r["cohorts"])
