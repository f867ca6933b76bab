"""The run's four CSV tables (statements, themes, theme x cohort counts, quotes) and their findings view."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from winloss.themes.quotes import Quote
from winloss.themes.smalltalk import small_talk_themes
from winloss.themes.stats import theme_cohorts
from winloss.themes.themeset import ThemeSet

COHORT_COLUMNS = ["theme_id", "cohort", "interviews_with_theme", "interviews_in_cohort", "share", "lift", "p_value",
                  "q_value", "small_sample"]
QUOTE_COLUMNS = ["theme_id", "cohort", "interview_id", "speaker", "start", "end", "quote", "statement_id"]


@dataclass(frozen=True)
class Tables:
    statements: pd.DataFrame
    themes: pd.DataFrame  # with `kind`: "finding", or "small talk" for opening and closing chatter
    cohorts: pd.DataFrame
    quotes: pd.DataFrame

    def findings(self) -> Tables:
        """The tables as findings see them: small-talk themes' statements count as unassigned, their rows go."""
        chatter = set(self.themes.loc[self.themes["kind"] == "small talk", "theme_id"])
        statements = self.statements.assign(
            theme_id=self.statements["theme_id"].where(~self.statements["theme_id"].isin(chatter), ""))
        return Tables(statements, *(t[~t["theme_id"].isin(chatter)].reset_index(drop=True)
                                    for t in (self.themes, self.cohorts, self.quotes)))

    def write(self, out_dir: Path) -> None:
        for name, table in (("statements", self.statements), ("themes", self.themes),
                            ("theme_cohorts", self.cohorts), ("quotes", self.quotes)):
            write_csv(table, Path(out_dir) / f"{name}.csv")


def build_tables(themes: ThemeSet, quotes: list[Quote], cohort_sizes: dict[str, int]) -> Tables:
    statements = statements_table(themes)
    assigned = statements[statements["theme_id"] != ""]
    cohorts = theme_cohorts(assigned, cohort_sizes) if len(assigned) else pd.DataFrame(columns=COHORT_COLUMNS)
    table = themes_table(statements, themes)
    # Opening and closing chatter forms themes too; the tables keep them, findings never use them.
    chatter = small_talk_themes(statements, themes.chat_likeness)
    table["kind"] = ["small talk" if t in chatter else "finding" for t in table["theme_id"]]
    return Tables(statements, table, cohorts, quotes_table(quotes))


def statements_table(themes: ThemeSet) -> pd.DataFrame:
    s = themes.statements
    return pd.DataFrame({
        "statement_id": [x.statement_id for x in s], "interview_id": [x.interview_id for x in s],
        "cohort": [x.cohort for x in s], "speaker": [x.speaker for x in s], "start": [x.start for x in s],
        "end": [x.end for x in s], "text": [x.text for x in s], "theme_id": list(themes.theme_of),
    })


def themes_table(statements: pd.DataFrame, themes: ThemeSet) -> pd.DataFrame:
    rows = []
    for tid in themes.ids:
        members = statements[statements["theme_id"] == tid]
        label = themes.labels[tid]
        rows.append({"theme_id": tid, "label": label.label, "keywords": "; ".join(label.keywords),
                     "n_statements": len(members), "n_interviews": members["interview_id"].nunique()})
    return pd.DataFrame(rows, columns=["theme_id", "label", "keywords", "n_statements", "n_interviews"])


def quotes_table(quotes: list[Quote]) -> pd.DataFrame:
    rows = [{"theme_id": q.theme, "cohort": q.cohort, "interview_id": q.statement.interview_id,
             "speaker": q.statement.speaker, "start": q.statement.start, "end": q.statement.end,
             "quote": q.statement.text, "statement_id": q.statement.statement_id} for q in quotes]
    return pd.DataFrame(rows, columns=QUOTE_COLUMNS)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.6g")
