"""`winloss serve` over real HTTP: every page, the same search as the CLI, Range requests on the recording, CSV of
the selection, escaping, path traversal on every route that takes a name, CSRF / same-origin edits, the token."""
import csv
import http.client
import io
import json
import os
import re
import shutil
import sqlite3
import time
from urllib.parse import urlencode, urlsplit

import pytest
from click.testing import CliRunner
from serve_study import known_turns, served_run, serving

from winloss.cli import main
from winloss.themes import codebook


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory):
    return served_run(tmp_path_factory.getbasetemp() / "served")


@pytest.fixture(scope="module")
def server(run_dirs):
    with serving(run_dirs[1]) as (url, _):
        yield url


def request(base: str, path: str, method: str = "GET", body: str | None = None, headers: dict | None = None):
    """One raw HTTP request: the path goes out exactly as written (no client-side ../ clean-up)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    heads = {"Host": parts.netloc, **(headers or {})}
    if body is not None:
        heads.setdefault("Content-Type", "application/x-www-form-urlencoded")
    conn.request(method, path, body=body, headers=heads)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), data


def page(base: str, path: str) -> str:
    status, _, data = request(base, path)
    assert status == 200, (path, status, data[:300])
    return data.decode("utf-8")


def db(out):
    conn = sqlite3.connect(out / "winloss.db")
    conn.row_factory = sqlite3.Row
    return conn


def statement_ids(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="/statements/([^"]+)" class="quote"', html)))


def test_themes_list_shows_n_of_n_per_cohort(server, run_dirs):
    html = page(server, "/")
    conn = db(run_dirs[1])
    for r in conn.execute("SELECT * FROM theme_cohorts WHERE theme_id = 'T01'"):
        assert f"{r['interviews_with_theme']} of {r['interviews_in_cohort']}" in html
    labels = [r[0] for r in conn.execute("SELECT label FROM themes ORDER BY n_statements DESC, theme_id DESC")]
    by_size = page(server, "/?sort=statements&desc=1")
    positions = [by_size.index(f">{lab.replace(chr(39), '&#39;')}</a>") for lab in labels]
    assert positions == sorted(positions)


def test_theme_page_lists_every_statement_and_filters(server, run_dirs):
    conn = db(run_dirs[1])
    tid = conn.execute("SELECT theme_id FROM themes ORDER BY n_statements DESC").fetchone()[0]
    everything = [r[0] for r in conn.execute("SELECT statement_id FROM statements WHERE theme_id = ? ORDER BY id",
                                             (tid,))]
    html = page(server, f"/themes/{tid}")
    assert f"{len(everything)} statements" in html
    assert statement_ids(html.split("All statements")[1]) == everything[:200]
    lost = [r[0] for r in conn.execute("SELECT statement_id FROM statements WHERE theme_id = ? AND cohort = 'lost' "
                                       "ORDER BY id", (tid,))]
    html = page(server, f"/themes/{tid}?cohort=lost")
    assert statement_ids(html.split("All statements")[1]) == lost and f"{len(lost)} statements" in html
    speaker = conn.execute("SELECT speaker FROM statements WHERE theme_id = ? AND cohort = 'lost'", (tid,)).fetchone()[0]
    html = page(server, f"/themes/{tid}?{urlencode({'cohort': 'lost', 'speaker': speaker})}")
    assert statement_ids(html.split("All statements")[1]) == [
        r[0] for r in conn.execute("SELECT statement_id FROM statements WHERE theme_id = ? AND cohort = 'lost' AND "
                                   "speaker = ? ORDER BY id", (tid, speaker))]


def test_csv_download_is_the_selection(server, run_dirs):
    conn = db(run_dirs[1])
    status, headers, data = request(server, "/themes/T01.csv?cohort=won")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    expected = conn.execute("SELECT statement_id, text FROM statements WHERE theme_id = 'T01' AND cohort = 'won' "
                            "ORDER BY id").fetchall()
    assert [(r["statement_id"], r["text"]) for r in rows] == [tuple(e) for e in expected]
    status, _, data = request(server, "/search.csv?" + urlencode({"q": "too expensive", "cohort": "lost"}))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert status == 200 and rows and all(r["cohort"] == "lost" for r in rows)


def test_search_is_the_cli_search(server, run_dirs):
    query = {"q": "it cost more than we could afford", "cohort": "lost"}
    html = page(server, "/search?" + urlencode(query))
    cli = CliRunner().invoke(main, ["search", query["q"], "--db", str(run_dirs[1] / "winloss.db"), "--cohort", "lost",
                                    "--limit", "50", "--json"])
    assert cli.exit_code == 0, cli.output
    assert statement_ids(html) == [h["statement_id"] for h in json.loads(cli.stdout)]
    assert "unknown cohort" in page(server, "/search?q=x&cohort=maybe")


def test_statement_in_context_with_recording(server, run_dirs):
    conn = db(run_dirs[1])
    row = conn.execute("SELECT * FROM statements WHERE interview_id = 'REC-1' AND text LIKE '%onboarding%'").fetchone()
    html = page(server, f"/statements/{row['statement_id']}")
    question = next(t["text"] for t in known_turns() if "pricing compare" in t["text"])
    assert question.split("?")[0] in html and 'class="turn interviewer question"' in html
    assert f"<mark>{row['text']}</mark>" in html.replace("&#39;", "'")
    assert f'src="/audio/REC-1#t={row["start"]:.2f}"' in html
    recording = run_dirs[0] / "recordings" / "call-a.ogg"
    status, headers, data = request(server, "/audio/REC-1", headers={"Range": "bytes=100-199"})
    assert status == 206 and headers["content-range"] == f"bytes 100-199/{recording.stat().st_size}"
    assert data == recording.read_bytes()[100:200]


def test_transcript_text_renders_as_text(server, run_dirs):
    conn = db(run_dirs[1])
    rows = conn.execute("SELECT statement_id, theme_id FROM statements WHERE interview_id = 'XSS-1'").fetchall()
    assert rows, "the hostile interview produced no statements"
    pages = [page(server, f"/statements/{r[0]}") for r in rows]
    pages += [page(server, f"/themes/{r[1]}") for r in rows if r[1]]
    pages += [page(server, "/search?" + urlencode({"q": "pricing page said script alert"})), page(server, "/report")]
    for html in pages:
        assert "<script" not in html and "<img src=x" not in html
        assert 'href="javascript:' not in html and "<b>Hostile" not in html
    texts = conn.execute("SELECT text FROM statements WHERE interview_id = 'XSS-1'").fetchall()
    assert any("<script>" in t[0] for t in texts) and any("onerror" in t[0] for t in texts)  # the markup got in
    shown = "".join(pages)
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in shown and "&lt;img src=x onerror=alert(2)&gt;" in shown
    assert "reset link to javascript:alert(1) for the seat price" in shown  # a link in the text stays text
    assert "&lt;b&gt;Hostile&lt;/b&gt; Inc" in shown


CANARY = "canary-outside-the-study"
TRAVERSALS = ["../{f}", "..%2f{f}", "%2e%2e/{f}", "..%2F..%2F{f}", "/{abs}", "%2F{abs_q}", "..\\{f}",
              "....//{f}", "%252e%252e%252f{f}"]


def test_no_path_outside_the_study(server, run_dirs):
    outside = run_dirs[1].parent / "secret.png"
    outside.write_text(CANARY)
    (run_dirs[1].parent / "secret.txt").write_text(CANARY)
    names = []
    for pattern in TRAVERSALS:
        for f in ("secret.png", "secret.txt", "../secret.png", "study/interviews.csv"):
            names.append(pattern.format(f=f, abs=str(outside).lstrip("/"), abs_q=str(outside).lstrip("/")
                                        .replace("/", "%2F")))
    names += ["/etc/passwd", "%2Fetc%2Fpasswd", "run.json", "winloss.db", "report.md", "../run.json"]
    routes = ["/files/{}", "/themes/{}", "/themes/{}.csv", "/statements/{}", "/audio/{}", "/static/{}"]
    for route in routes:
        for name in names:
            status, _, data = request(server, route.format(name))
            assert status in (400, 404), (route.format(name), status)
            assert CANARY.encode() not in data and b"root:" not in data
    ok, _, _ = request(server, "/files/heatmap.png")
    assert ok == 200


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_edits_need_the_csrf_token_and_the_same_origin(server, run_dirs):
    study = run_dirs[0]
    before = (study / codebook.CODEBOOK).read_text(encoding="utf-8")
    token = csrf_of(page(server, "/codebook"))
    origin = {"Origin": server.rstrip("/")}
    attempts = [({}, {"theme_id": "T03", "label": "Hijacked"}),  # no token
                (origin, {"theme_id": "T03", "label": "Hijacked", "csrf": "guess"}),
                ({"Origin": "http://evil.example"}, {"theme_id": "T03", "label": "Hijacked", "csrf": token}),
                ({"Referer": "http://evil.example/page"}, {"theme_id": "T03", "label": "Hijacked", "csrf": token}),
                ({"Host": "evil.example", "Origin": "http://evil.example"}, {"theme_id": "T03", "label": "Hijacked",
                                                                            "csrf": token})]
    for headers, form in attempts:
        status, _, _ = request(server, "/codebook/rename", "POST", urlencode(form), headers)
        assert status in (403, 421), (headers, form, status)
    assert (study / codebook.CODEBOOK).read_text(encoding="utf-8") == before
    status, _, _ = request(server, "/codebook/rename", "GET")
    assert status == 405


def test_every_edit_goes_through_the_codebook_and_keeps_comments(run_dirs, tmp_path):
    study, out = tmp_path / "study", tmp_path / "out"
    shutil.copytree(run_dirs[0], study)
    shutil.copytree(run_dirs[1], out)
    record = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**record, "study": str(study)}))
    path = study / codebook.CODEBOOK
    path.write_text("# my note: check T02 with Dana\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with serving(out) as (url, _):
        token = csrf_of(page(url, "/codebook"))
        origin = {"Origin": url.rstrip("/")}
        n = len(codebook.load(study).themes)
        edits = [("rename", {"theme_id": "T02", "label": "Weeks to go live"}),
                 ("merge", [("theme_id", "T01"), ("absorb", "T03"), ("absorb", "T04")]),
                 ("split", {"theme_id": "T05", "seeds": "support tickets sat for days\nno one answered", "label": "Slow"}),
                 ("pin", {"theme_id": "T06", "pinned": "1"}), ("delete", {"theme_id": "T07"})]
        for action, form in edits:
            items = list(form.items()) if isinstance(form, dict) else form
            status, headers, _ = request(url, f"/codebook/{action}", "POST", urlencode([*items, ("csrf", token)]),
                                         origin)
            assert status == 303, (action, status)
            assert "The themes change after the next <code>winloss run</code>" in page(url, headers["location"])
        status, _, data = request(url, "/codebook/rename", "POST",
                                  urlencode({"theme_id": "T08", "label": "Weeks to go live", "csrf": token}), origin)
        assert status == 400 and b"already used by T02" in data
    book = codebook.load(study)
    assert book.get("T02").label == "Weeks to go live"
    assert book.get("T03").merge_into == "T01" and book.get("T04").merge_into == "T01"
    assert book.get(codebook.theme_id(n + 1)).split_from == "T05" and book.get(codebook.theme_id(n + 1)).label == "Slow"
    assert book.get("T06").pinned and book.get("T07").deleted
    assert path.read_text(encoding="utf-8").startswith("# my note: check T02 with Dana\n")


def test_beyond_loopback_needs_the_printed_token(run_dirs):
    with serving(run_dirs[1], "--host", "0.0.0.0") as (url, _):
        token = re.search(r"\?token=([\w-]+)$", url).group(1)
        base = url.split("?")[0].replace("0.0.0.0", "127.0.0.1")
        assert request(base, "/")[0] == 403 and request(base, "/?token=wrong")[0] == 403
        status, headers, _ = request(base, f"/?token={token}")
        assert status == 303 and "HttpOnly" in headers["set-cookie"] and token not in headers["location"]
        cookie = headers["set-cookie"].split(";")[0]
        assert request(base, "/", headers={"Cookie": cookie})[0] == 200
        assert request(base, "/report", headers={"Cookie": "winloss_token=nope"})[0] == 403


def test_unknown_host_is_refused_on_loopback(server):
    status, _, _ = request(server, "/", headers={"Host": "attacker.example:80"})
    assert status == 421


def test_bad_folder_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["serve", str(tmp_path)])
    assert result.exit_code == 2 and "neither a run's output folder" in result.output


def test_menus_and_theme_counts_follow_a_new_run_of_the_database(run_dirs, tmp_path):
    """The themes table and filter menus are computed once per version of winloss.db, not per request: a rewritten
    database (the next `winloss run`) is what the next page shows."""
    from winloss.outputs.locations import resolve
    from winloss.web.workspace import Workspace

    _, out = run_dirs
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    ws = Workspace.open(resolve(copy))
    first = ws.themes()[0]
    assert ws.themes()[0] is first  # the same rows, not a second scan
    cohorts = ws.choices()["cohort"]
    with sqlite3.connect(copy / "winloss.db") as conn:
        conn.execute("UPDATE themes SET label = 'Relabelled by the next run' WHERE theme_id = ?", (first.theme_id,))
        conn.execute("UPDATE statements SET cohort = 'won'")
    os.utime(copy / "winloss.db", ns=(time.time_ns(), time.time_ns() + 10**9))  # however coarse the clock
    assert ws.themes()[0].label == "Relabelled by the next run"
    assert ws.choices()["cohort"] == ["won"] != cohorts
