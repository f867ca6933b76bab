"""The report's research sections: theme shares as bars, themes new to the codebook, quarter over quarter."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from winloss.outputs.compare import (
    CompareError,
    compare,
    current_quarter,
    load_quarter,
    previous_folder,
)


def report_sections(study_dir: Path, previous: str | None, statements_df: pd.DataFrame,
                    themes_df: pd.DataFrame, cohorts_df: pd.DataFrame, text_vectors: np.ndarray, model_id: str,
                    new_themes: list[str], share_chart: str | None, warnings: list[str]) -> dict:
    """Context for templates/_research.md.j2 (under the key "research"); share_chart: the bars' file, if drawn."""
    labels = dict(zip(themes_df["theme_id"], themes_df["label"]))
    comparison = None
    if previous:
        folder = previous_folder(study_dir, previous)
        try:
            cohorts = list(dict.fromkeys(cohorts_df["cohort"])) if not cohorts_df.empty else []
            comparison = compare(load_quarter(folder), current_quarter(statements_df, themes_df, cohorts_df,
                                                                       text_vectors, model_id), previous, cohorts)
        except CompareError as exc:
            warnings.append(f"quarter over quarter skipped: {exc}")
    return {"share_chart": share_chart, "new_themes": [{"id": t, "label": labels.get(t, t)} for t in new_themes],
            "compare": comparison}
