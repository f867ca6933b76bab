"""Each bad input gets a clear one-line error naming the file or row, and the rest of the batch completes."""
import json

import pytest
from click.testing import CliRunner

from winloss.cli import main

GOOD_TURNS = [
    ("Dana", "What made you look at a new forecasting tool?"),
    ("Lee", "Our forecast was basically a guess every quarter and the board stopped trusting it."),
    ("Dana", "How did the Salesforce integration go?"),
    ("Lee", "The Salesforce sync was solid from day one, which honestly surprised our ops team."),
    ("Dana", "And pricing?"),
    ("Lee", "Pricing per seat felt steep, but the CFO signed off once she saw the accuracy numbers."),
]


def good_json(turns=GOOD_TURNS):
    return json.dumps([{"speaker": s, "start": i * 5, "end": i * 5 + 4, "text": t} for i, (s, t) in enumerate(turns)])


def run_cli(study, tmp_path):
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "out")])
    return result.exit_code, result.output


@pytest.mark.parametrize("csv_text,message", [
    (None, "interviews.csv: missing"),
    ("", "interviews.csv: empty"),
    ("interview_id,file\nI1,a.json\n", "missing required column(s) cohort"),
    ("interview_id,cohort,file\n", "no interview rows"),
])
def test_a_study_that_cannot_run_exits_2(tmp_path, csv_text, message):
    study = tmp_path / "study"
    study.mkdir()
    if csv_text is not None:
        (study / "interviews.csv").write_text(csv_text, encoding="utf-8")
    code, output = run_cli(study, tmp_path)
    assert code == 2
    assert message in output


def test_non_utf8_manifest_is_read_and_its_rows_named(tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    (study / "interviews.csv").write_bytes("interview_id,cohort,file\nI1,gewonnen é,a.json\n".encode("latin-1"))
    code, output = run_cli(study, tmp_path)
    assert code == 2 and "interviews.csv row 2: unknown cohort 'gewonnen é'" in output


def test_bad_rows_and_files_are_named_and_the_rest_completes(make_study, tmp_path):
    interviewer_only = json.dumps([{"speaker": "Dana", "start": 0, "end": 2, "text": "What happened?"},
                                   {"speaker": "Lee", "start": 2, "end": 3, "text": "Yeah."}])
    files = {f"t/g{i}.json": good_json() for i in range(4)}
    files.update({"t/empty.vtt": "", "t/broken.json": "[{\"speaker\": ", "t/latin.txt": "Dana: ¿Qué?\n".encode("latin-1"),
                  "t/silent.json": interviewer_only})
    rows = [f"G{i},{c},t/g{i}.json," for i, c in enumerate(["won", "Closed Won", "closed-lost", "churn"])]
    rows += ["G1,lost,t/g1.json,", "X1,pending,t/g0.json,", "X2,won,t/missing.srt,", "X3,lost,t/empty.vtt,",
             "X4,lost,t/broken.json,", "X5,churned,t/latin.txt,", "X6,won,t/silent.json,Dana"]
    study = make_study(files, rows)
    code, output = run_cli(study, tmp_path)
    assert code == 1, output
    expected = [
        "interviews.csv row 6: duplicate interview_id 'G1' (first on row 3)",
        "interviews.csv row 7: unknown cohort 'pending' for X1",
        "interviews.csv row 8: file not found: t/missing.srt (interview X2)",
        "empty.vtt (interview X3): empty transcript",
        "broken.json (interview X4): json: invalid JSON",
        "X5: latin.txt is not Unicode: decoded as cp1252",  # a warning: the file is read
        "silent.json (interview X6): no customer speech found",
    ]
    for line in expected:
        assert line in output, line
    statements = (tmp_path / "out" / "statements.csv").read_text(encoding="utf-8")
    assert {"G0", "G1", "G2", "G3", "X5"} == {line.split(",")[1] for line in statements.splitlines()[1:]}
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["counts"]["interviews_analysed"] == 5 and len(run["problems"]) == 6
    assert run["counts"]["interviews_per_cohort"] == {"won": 2, "lost": 1, "churned": 2}


def test_a_model_that_cannot_be_loaded_offline_exits_2(make_study, tmp_path):
    study = make_study({"t/a.json": good_json()}, ["A,won,t/a.json,"])
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "out"),
                                       "--model", "no-such-org/no-such-model"])
    assert result.exit_code == 2, result.output
    assert "no-such-org/no-such-model" in result.output


@pytest.mark.parametrize("line,message", [
    ('min_theme_size = "five"', "min_theme_size must be a whole number, got 'five'"),
    ("quotes_per_theme = -1", "quotes_per_theme must be at least 1, got -1"),
    ("interviewer_names = 5", "interviewer_names must be a list, got 5"),
    ("seed = 1", "seed is no longer a setting"),
    ("previous = 3", "previous must be a text, got 3"),
    ("min_theme_sise = 5", "unknown setting min_theme_sise"),
])
def test_a_bad_setting_in_winloss_toml_exits_2_with_one_line(make_study, tmp_path, line, message):
    study = make_study({"t/a.json": good_json(), "winloss.toml": line + "\n"}, ["A,won,t/a.json,"])
    code, output = run_cli(study, tmp_path)
    assert code == 2 and message in output, output
    assert "Traceback" not in output


def test_files_no_row_names_and_dates_of_two_orders_are_said(make_study):
    """A transcript dropped into transcripts/ but never listed would vanish from the study without a word; a date
    column written both day first and month first is misread somewhere. Both are warnings: the run goes on."""
    from winloss.interviews.study import read_manifest

    files = {"transcripts/a.json": good_json(), "transcripts/b.json": good_json(),
             "transcripts/forgotten.txt": "Dana: Hi?\nLee: Hello.\n", "recordings/c.wav": b"RIFF",
             "transcripts/c.vtt": "WEBVTT\n", "transcripts/.DS_Store": b"\0"}
    rows = ["A,won,a.json,,21/11/2025", "B,lost,transcripts/b.json,,11/30/2025", "C,lost,recordings/c.wav,,"]
    manifest = read_manifest(make_study(files, rows, header="interview_id,cohort,file,interviewer,date"))
    assert manifest.notes == [
        "interviews.csv date column: dates are written both day first (21/11/2025) and month first (11/30/2025); "
        "all are read day first, so some are wrong or unread: write them one way (2025-11-21 is never ambiguous)",
        "1 file(s) in the study's folders named by no row of interviews.csv, so not analysed: "
        "transcripts/forgotten.txt"]
