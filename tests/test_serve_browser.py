"""The workspace in a real browser: Debian's chromium, headless, driven by Playwright (no browser download).

Set WINLOSS_SCREENSHOTS=docs/screenshots to refresh the screenshots docs/serve.md shows.
"""
import csv
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from serve_study import served_run, serving

from winloss.themes import codebook

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).exists()), None)
if CHROMIUM is None and os.environ.get("CI"):
    # .ci/run installs chromium: in CI a missing browser is a broken set-up, never a quiet skip
    raise RuntimeError("CI without chromium: .ci/run should have installed it (apt-get install -y chromium)")
if CHROMIUM is None:
    pytest.skip("no chromium found (Debian: apt-get install -y chromium); browser tests skipped",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the dev extra) is not installed")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]
STANCES = ("negative", "neutral", "positive")
SHOTS = os.environ.get("WINLOSS_SCREENSHOTS")


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory):
    """The served run, with the stance of every statement as the run scored it."""
    return served_run(tmp_path_factory.getbasetemp() / "served")


@pytest.fixture(scope="module")
def base(run_dirs):
    with serving(run_dirs[1]) as (url, _):
        yield url.rstrip("/")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    pg = context.new_page()
    dialogs = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    yield pg
    assert not dialogs, f"a script ran in the page: {dialogs}"
    context.close()


def shot(pg, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def poll(condition, timeout: float = 20.0) -> None:
    """Wait for a condition in Python: the pages' CSP forbids the string eval wait_for_function uses."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


def db(out):
    conn = sqlite3.connect(out / "winloss.db")
    conn.row_factory = sqlite3.Row
    return conn


def test_open_a_theme_filter_by_cohort_and_stance_and_open_a_quote(page, base, run_dirs):
    page.goto(base + "/")
    shot(page, "themes")
    conn = db(run_dirs[1])
    tid, label = conn.execute("SELECT theme_id, label FROM themes ORDER BY n_statements DESC").fetchone()
    page.get_by_role("link", name=label, exact=True).click()
    assert page.url.endswith(f"/themes/{tid}")
    shot(page, "theme")
    page.select_option("select[name=cohort]", "lost")
    page.select_option("select[name=stance]", "negative")
    page.get_by_role("button", name="Filter").click()
    expected = conn.execute("SELECT count(*) FROM statements WHERE theme_id = ? AND cohort = 'lost' "
                            "AND stance = 'negative'", (tid,)).fetchone()[0]
    assert expected, "the demo's largest theme has negative statements from lost interviews"
    assert page.locator("#count").inner_text().startswith(f"{expected} statement")
    cells = page.locator("table.statements tbody tr td:nth-child(4)").all_inner_texts()
    stances = page.locator("table.statements tbody tr td:nth-child(6)").all_inner_texts()
    assert len(cells) == expected and set(cells) <= {"lost"} and set(stances) <= {"negative"}
    first = page.locator("table.statements a.quote").first
    text = first.inner_text().strip("“”")
    first.click()
    assert page.locator(".turn.current mark").inner_text() == text
    assert page.locator(".turn.question").count() <= 1 and page.locator("h1").inner_text().strip("“”") == text
    shot(page, "statement")


def test_playback_starts_at_the_statement(page, base, run_dirs):
    row = db(run_dirs[1]).execute("SELECT statement_id, start FROM statements WHERE interview_id = 'REC-1' "
                                  "ORDER BY id DESC").fetchone()
    page.goto(f"{base}/statements/{row['statement_id']}")
    player = page.locator("#player")
    poll(lambda: player.evaluate("a => a.readyState") >= 1)
    assert player.evaluate("a => a.currentTime") == pytest.approx(row["start"], abs=0.05)
    player.evaluate("a => a.play()")
    poll(lambda: player.evaluate("a => a.currentTime") > row["start"] + 0.3)
    assert player.evaluate("a => a.paused") is False
    assert player.evaluate("a => a.duration") == pytest.approx(20.57, abs=0.2)


def test_search(page, base):
    page.goto(base + "/search")
    page.fill("input[name=q]", "it cost more than we could afford")
    page.select_option("select[name=cohort]", "lost")
    page.get_by_role("button", name="Search").click()
    assert re.match(r"\d+ results", page.locator("#count").inner_text())
    whos = page.locator("ol.hits .who").all_inner_texts()
    assert whos and all("(lost)" in w for w in whos)
    shot(page, "search")
    page.locator("ol.hits a.quote").first.click()
    assert "/statements/" in page.url and page.locator("mark").count() == 1


def test_rename_a_theme_lands_in_codebook_toml(page, base, run_dirs):
    study = run_dirs[0]
    label = 'Seat <i>price</i> & "renewal" shock'
    page.goto(base + "/themes/T02")
    page.fill("form.edit input[name=label]", label)
    page.get_by_role("button", name="Rename").click()
    assert page.url.endswith("/codebook?edited=T02")
    assert "The themes change after the next winloss run" in page.locator("#done").inner_text()
    assert codebook.load(study).get("T02").label == label
    assert page.locator("table.codebook a", has_text="Seat <i>price</i>").count() == 1  # shown as text
    shot(page, "codebook")


def test_transcript_markup_stays_text(page, base, run_dirs):
    sid = db(run_dirs[1]).execute("SELECT statement_id FROM statements WHERE text LIKE '%<script>%'").fetchone()[0]
    page.goto(f"{base}/statements/{sid}")
    assert "<script>alert('pwned')</script>" in page.locator("h1").inner_text()
    assert page.evaluate("document.scripts.length") == 0
    page.goto(base + "/search?q=portal+link+reset+seat+price")
    assert page.locator("a[href^='javascript:']").count() == 0 and page.locator("img[src=x]").count() == 0
    assert "reset link to javascript:alert(1) for the seat price" in page.content()


def test_paths_outside_the_study_are_not_found(page, base, run_dirs):
    (run_dirs[1].parent / "secret.png").write_text("canary")
    for path in ["/files/%2e%2e/secret.png", "/files/..%2fsecret.png", "/audio/..%2f..%2fetc%2fpasswd",
                 "/files/%2Fetc%2Fpasswd"]:
        response = page.goto(base + path)
        assert response.status == 404 and "canary" not in page.content() and "root:" not in page.content()


def test_csv_download_of_the_filtered_theme(page, base, run_dirs):
    page.goto(base + "/themes/T01?cohort=won")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    with open(info.value.path(), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = [r[0] for r in db(run_dirs[1]).execute(
        "SELECT statement_id FROM statements WHERE theme_id = 'T01' AND cohort = 'won' ORDER BY id")]
    assert [r["statement_id"] for r in rows] == expected and {r["stance"] for r in rows} <= set(STANCES)
    assert info.value.suggested_filename == "T01.csv"


def test_report_renders_headings_tables_and_images(page, base):
    page.goto(base + "/report")
    assert page.locator("article h1").count() >= 1 and page.locator("article table").count() >= 1
    images = page.locator("article img")
    assert images.count() >= 1
    poll(lambda: all(images.evaluate_all("xs => xs.map(i => i.complete)")))
    widths = images.evaluate_all("xs => xs.map(i => i.naturalWidth)")
    assert all(w > 100 for w in widths), widths  # the run's PNGs, loaded from its folder
    page.locator("article h2", has_text="Themes").first.scroll_into_view_if_needed()
    shot(page, "report")
