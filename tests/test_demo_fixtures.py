"""The bundled demo study is internally consistent: files exist and decode, cohorts and planted themes add up."""

import csv
import json
from collections import Counter
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo"

# The demo deliberately mixes cohort spellings; these are the ones it uses.
COHORT_SPELLINGS = {
    "won": "won", "closed won": "won",
    "lost": "lost", "closed-lost": "lost",
    "churned": "churned", "churn": "churned",
}


def rows():
    with open(DEMO / "interviews.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def planted():
    return json.loads((DEMO / "planted.json").read_text(encoding="utf-8"))


def test_every_listed_transcript_exists_and_is_utf8():
    listed = rows()
    assert len(listed) == 30
    for row in listed:
        path = DEMO / row["file"]
        assert path.is_file(), row["file"]
        text = path.read_bytes().decode("utf-8")  # raises on invalid UTF-8
        assert len(text.strip()) > 1000, f"{row['file']} looks truncated"


def test_every_transcript_file_is_listed_once():
    listed = [row["file"] for row in rows()]
    on_disk = sorted(f"transcripts/{p.name}" for p in (DEMO / "transcripts").iterdir())
    assert sorted(listed) == on_disk
    assert len({row["interview_id"] for row in rows()}) == 30


def test_cohort_counts_are_12_won_10_lost_8_churned():
    counts = Counter(COHORT_SPELLINGS[row["cohort"].strip().lower()] for row in rows())
    assert counts == {"won": 12, "lost": 10, "churned": 8}


def test_about_a_third_of_rows_leave_interviewer_empty():
    empty = sum(1 for row in rows() if not row["interviewer"].strip())
    assert 8 <= empty <= 12


def test_each_planted_theme_covers_at_least_five_known_interviews():
    ids = {row["interview_id"] for row in rows()}
    themes = planted()
    assert len(themes) >= 8
    for key, theme in themes.items():
        members = theme["interviews"]
        assert len(set(members)) == len(members) >= 5, key
        assert set(members) <= ids, key
        assert theme["description"], key


def test_planted_themes_are_skewed_by_cohort():
    cohort = {row["interview_id"]: COHORT_SPELLINGS[row["cohort"].strip().lower()] for row in rows()}
    themes = planted()
    share = {k: Counter(cohort[i] for i in t["interviews"]) for k, t in themes.items()}
    assert share["champion_left"] == {"churned": 5}
    assert share["forecast_accuracy_cfo_trust"]["won"] > 2 * share["forecast_accuracy_cfo_trust"]["lost"]
    assert share["pricing_per_seat"]["lost"] > share["pricing_per_seat"]["won"]
