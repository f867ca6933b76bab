"""The mixed-format study in fixtures/imports through the read stage, and bad files through `winloss run`."""
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from winloss.cli import main
from winloss.interviews.study import load_interviews
from winloss.pipeline import read_interviews
from winloss.settings import Settings

IMPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
SPEAKERLESS = {"IMP-27", "IMP-28", "IMP-29", "IMP-30"}


def test_every_format_imports_into_one_study_with_verbatim_timed_statements():
    interviews, problems = load_interviews(IMPORTS)
    assert problems == [] and len(interviews) == 34
    problems, warnings = [], []
    reading = read_interviews(interviews, Settings(), problems, warnings)
    transcripts, statements = reading.transcripts, reading.statements
    assert problems == []
    assert set(transcripts) == {i.interview_id for i in interviews}
    by_interview = {}
    for s in statements:
        by_interview.setdefault(s.interview_id, []).append(s)
        assert s.text in s.turn_text and s.turn_text == transcripts[s.interview_id].turns[s.turn_index].text
    assert set(by_interview) == set(transcripts)  # every interview yields customer evidence
    for iid, found in by_interview.items():
        timed = all(t.start is not None for t in transcripts[iid].turns)
        assert all((s.start is not None) == timed for s in found), iid
    # the interviewer named in the manifest never speaks as evidence, whatever their label looks like
    interviewer = {i.interview_id: set(i.interviewers) for i in interviews}
    assert not [s for s in statements if s.speaker in interviewer[s.interview_id]]
    assert not [s for s in statements if s.interview_id == "IMP-09" and s.speaker.startswith("Dana Ruiz")]
    speakerless = {w.split(":")[0] for w in warnings if "no speaker labels" in w}
    assert speakerless == SPEAKERLESS
    assert any(w.startswith("IMP-13: legacy.txt is not Unicode: decoded as cp1252") for w in warnings)


def test_bad_files_each_get_one_line_naming_the_interviews_and_the_rest_completes(tmp_path):
    study = tmp_path / "study"
    (study / "transcripts").mkdir(parents=True)
    keep = ["otter.txt", "teams.vtt", "gong.json", "descript.csv", "teams.docx", "fathom.md", "whisper.srt"]
    rows = ["interview_id,cohort,file,interviewer"]
    for i, name in enumerate(keep):
        shutil.copy(IMPORTS / "transcripts" / name, study / "transcripts" / name)
        rows.append(f"OK-{i},{('won', 'lost', 'churned')[i % 3]},transcripts/{name},Dana Ruiz")
    bad = {
        "cut.json": b'{"segments": [{"start": 0.0, "end": 2.5, "text": "We chose',
        "notes.docx": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        "empty.csv": b"",
        "header.csv": b"Speaker,Start Time,End Time,Text\r\n",
    }
    for name, data in bad.items():
        (study / "transcripts" / name).write_bytes(data)
    rows += ["BAD-1,lost,transcripts/cut.json,", "BAD-2,won,transcripts/notes.docx,", "BAD-3,won,transcripts/empty.csv,",
             "BAD-4,lost,transcripts/header.csv,", "BAD-5,churned,transcripts/header.csv,"]
    (study / "interviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    result = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("problem:")]
    assert len(lines) == 4, lines
    expected = {
        "cut.json (interview BAD-1): json: invalid JSON": "is the file complete?",
        "notes.docx (interview BAD-2): unsupported format: notes.docx is a PDF document": "supported: .csv",
        "empty.csv (interview BAD-3): empty transcript": "",
        "header.csv (interviews BAD-4, BAD-5): table: header only": "Speaker, Start Time, End Time, Text",
    }
    for start, detail in expected.items():
        assert any(start in line and detail in line for line in lines), start
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["counts"]["interviews_analysed"] == len(keep)
    # what the counts leave out is said where they are stated: the unread interviews by id, and the speakerless
    # one whose statements may hold the interviewer's questions
    assert run["coverage"] == {"listed": len(keep) + 5, "unread": ["BAD-1", "BAD-2", "BAD-3", "BAD-4", "BAD-5"],
                               "unsure_roles": ["OK-6"], "not_english": []}
    report = (tmp_path / "out" / "report.md").read_text()
    scope = report[report.index("## Scope"):]
    assert "5 of the 12 listed could not be read (BAD-1, BAD-2, BAD-3, BAD-4, BAD-5) and are not counted" in scope
    assert "in 1 interview (OK-6) it could not be told apart" in scope
    assert "interviewer speech is never counted" not in report
