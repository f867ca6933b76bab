"""End to end on the bundled demo study: outputs, evidence rules, determinism."""
import csv
import json
import shutil

from conftest import DEMO

from winloss.interviews.roles import detect_roles
from winloss.interviews.study import load_interviews
from winloss.interviews.transcripts import parse_transcript
from winloss.models import RoleResult
from winloss.pipeline import run

OUTPUTS = ["statements.csv", "themes.csv", "theme_cohorts.csv", "quotes.csv", "report.md", "run.json"]


def rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def customer_turns(study):
    """interview_id -> list of (speaker, text) of customer-side turns, from the source files."""
    interviews, _ = load_interviews(study)
    found = {}
    for i in interviews:
        t = parse_transcript(i.file)
        roles: RoleResult = detect_roles(t, set(i.interviewers))
        found[i.interview_id] = ([(x.speaker, x.text) for x in t.turns if x.speaker in roles.customers],
                                 [x.text for x in t.turns if x.speaker in roles.interviewers], i.interviewers)
    return found


def test_demo_run_writes_all_outputs(demo_run):
    assert demo_run.exit_code == 0, demo_run.problems
    for name in OUTPUTS + ["heatmap.png"]:
        assert (demo_run.out_dir / name).stat().st_size > 0, name
    run_json = json.loads((demo_run.out_dir / "run.json").read_text())
    assert run_json["counts"]["interviews_analysed"] == 30
    assert run_json["counts"]["interviews_per_cohort"] == {"won": 12, "lost": 10, "churned": 8}
    assert "seed" not in run_json and set(run_json["timings"]["stages_s"]) >= {"read", "embed", "themes", "report"}
    assert run_json["counts"]["themes"] >= 5
    report = (demo_run.out_dir / "report.md").read_text()
    assert "12 won, 10 lost, 8 churned" in report and " of 12 (" in report and "heatmap.png" in report


def test_every_statement_is_verbatim_customer_speech(demo_run):
    turns = customer_turns(DEMO)
    statements = rows(demo_run.out_dir / "statements.csv")
    assert len(statements) > 300
    for s in statements:
        customer, interviewer, named = turns[s["interview_id"]]
        assert s["speaker"] not in named
        assert any(s["speaker"] == sp and s["text"] in text for sp, text in customer), s
        assert not any(s["text"] in text for text in interviewer) or any(s["text"] in t for _, t in customer)
    for q in rows(demo_run.out_dir / "quotes.csv"):
        customer, _, _ = turns[q["interview_id"]]
        assert any(q["speaker"] == sp and q["quote"] in text for sp, text in customer), q


def test_counts_are_interviews_not_statements(demo_run):
    statements = rows(demo_run.out_dir / "statements.csv")
    for r in rows(demo_run.out_dir / "theme_cohorts.csv"):
        ids = {s["interview_id"] for s in statements if s["theme_id"] == r["theme_id"] and s["cohort"] == r["cohort"]}
        assert int(r["interviews_with_theme"]) == len(ids)
        assert float(r["share"]) == round(len(ids) / int(r["interviews_in_cohort"]), 6) or \
            abs(float(r["share"]) - len(ids) / int(r["interviews_in_cohort"])) < 1e-5


def test_the_themes_table_calls_no_clear_contrast_unclear(demo_run):
    """"Strongest contrast" says "no clear difference" only where no cohort differs clearly (BH q under CLEAR_Q),
    either way: T03 in 9 of 12 won, 0 of 10 lost and 8 of 8 churned had read "no clear difference" because its
    clearest cohort (lost, 0 of 10) comes up less often, not more."""
    from winloss.outputs.context import CLEAR_Q

    with open(demo_run.out_dir / "theme_cohorts.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    report = (demo_run.out_dir / "report.md").read_text(encoding="utf-8")
    table = report.split("| theme | won | lost | churned | strongest contrast |", 1)[1].split("\n\n", 1)[0]
    cells = {line.split(" | ")[0].strip("| ").split(" ")[0]: line.rsplit(" | ", 1)[1].strip(" |")
             for line in table.splitlines() if line.startswith("| T")}
    assert len(cells) >= 10
    for theme_id, contrast in cells.items():
        clear = [r for r in rows if r["theme_id"] == theme_id and float(r["q_value"]) < CLEAR_Q]
        assert contrast.startswith("no clear difference (most in ") == (not clear), (theme_id, contrast)
        if contrast.startswith("less often in "):
            assert not [r for r in clear if float(r["lift"]) > 1], theme_id


def test_two_runs_are_byte_identical_except_timings(demo_run, tmp_path):
    study = tmp_path / "demo"
    shutil.copytree(DEMO, study, ignore=shutil.ignore_patterns("codebook*"))
    result = run(study, tmp_path / "again")
    for name in OUTPUTS[:-1] + ["heatmap.png"]:
        assert (result.out_dir / name).read_bytes() == (demo_run.out_dir / name).read_bytes(), name
    first, second = (json.loads((d / "run.json").read_text()) for d in (demo_run.out_dir, result.out_dir))
    for record in (first, second):
        record.pop("timings")
        record.pop("study")
    assert first == second
    assert json.loads((result.out_dir / "run.json").read_text())["timings"]["embeddings_computed"] == 0


def test_interviewer_lines_never_become_evidence_when_both_sides_use_the_same_words(make_study, tmp_path):
    echo = [("Sam", "So the Salesforce sync kept breaking and support took days to answer, is that right?"),
            ("Ana", "The Salesforce sync kept breaking and support took days to answer, yes."),
            ("Sam", "Why did onboarding take four months for your team?"),
            ("Ana", "Onboarding took four months for our team because the data mapping was a mess.")]
    files = {f"t/{i}.txt": "\n".join(f"{s}: {t}" for s, t in echo) for i in range(6)}
    study = make_study(files, [f"I{i},{'won' if i % 2 else 'lost'},t/{i}.txt," for i in range(6)])
    result = run(study, tmp_path / "out", {"min_theme_size": 3})
    got = rows(result.out_dir / "statements.csv")
    assert {s["speaker"] for s in got} == {"Ana"}
    # no CRM export: the interview report, not the ICP draft
    assert (result.out_dir / "report.md").read_text(encoding="utf-8").startswith("# Win/loss interview findings")
    assert not any(s["text"].startswith("So the") or s["text"].startswith("Why") for s in got)
