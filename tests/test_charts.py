"""The report's charts: drawn from the data alone, and kept in the cache under a hash of what they draw."""
import pandas as pd

from winloss.outputs.charts import HEATMAP, SHARE_CHART, draw_charts

COHORTS = pd.DataFrame([
    {"theme_id": t, "cohort": c, "share": n / total, "interviews_with_theme": n, "interviews_in_cohort": total}
    for t, counts in (("T01", (9, 2)), ("T02", (1, 6))) for c, n, total in zip(("won", "churned"), counts, (12, 8))
])


def draw(tmp_path, name, labels, cache=True):
    out = tmp_path / name
    out.mkdir()
    names = draw_charts(COHORTS, labels, ["T01", "T02"], out, tmp_path / "cache" if cache else None)
    return out, names


def test_a_rerun_with_the_same_counts_copies_the_charts_from_the_cache(tmp_path):
    labels = {"T01": "Forecast accuracy", "T02": "Salesforce sync"}
    first, names = draw(tmp_path, "a", labels)
    assert names == (HEATMAP, SHARE_CHART)
    second, _ = draw(tmp_path, "b", labels)
    fresh, _ = draw(tmp_path, "c", labels, cache=False)
    for name in names:
        assert (first / name).read_bytes()[:4] == b"\x89PNG"
        assert (first / name).read_bytes() == (second / name).read_bytes() == (fresh / name).read_bytes()
    assert len(list((tmp_path / "cache").glob("*.png"))) == 2


def test_a_changed_label_draws_the_charts_again(tmp_path):
    first, _ = draw(tmp_path, "a", {"T01": "Forecast accuracy", "T02": "Salesforce sync"})
    second, _ = draw(tmp_path, "b", {"T01": "Forecast accuracy", "T02": "CRM sync broke"})
    assert (first / HEATMAP).read_bytes() != (second / HEATMAP).read_bytes()
    assert len(list((tmp_path / "cache").glob("*.png"))) == 4


def test_nothing_to_draw_draws_nothing(tmp_path):
    assert draw_charts(COHORTS.iloc[0:0], {}, [], tmp_path, tmp_path / "cache") == (None, None)
    assert not list(tmp_path.glob("*.png"))


def test_a_damaged_cache_entry_is_drawn_again(tmp_path):
    labels = {"T01": "Forecast accuracy", "T02": "Salesforce sync"}
    first, _ = draw(tmp_path, "a", labels)
    for entry in (tmp_path / "cache").glob("*.png"):
        entry.write_bytes(b"half a fi")
    second, _ = draw(tmp_path, "b", labels)
    assert (first / HEATMAP).read_bytes() == (second / HEATMAP).read_bytes()
    assert all(e.read_bytes()[:4] == b"\x89PNG" for e in (tmp_path / "cache").glob("*.png"))
