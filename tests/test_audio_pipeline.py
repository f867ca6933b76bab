"""`winloss run` on a study that mixes recordings with transcripts: customer speech only, nothing transcribed twice."""
import csv
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from winloss.cli import main
from winloss.pipeline import run

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "audio"


def test_run_on_recordings_keeps_only_customer_speech_and_reuses_transcripts(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(ROOT / "fixtures" / "demo", study, ignore=shutil.ignore_patterns("codebook*"))
    (study / "recordings").mkdir()
    shutil.copy(FIXTURES / "two_voices.ogg", study / "recordings" / "call-a.ogg")
    shutil.copy(FIXTURES / "two_voices_stereo.ogg", study / "recordings" / "call-b.ogg")
    (study / "recordings" / "broken.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A " + b"\x13" * 200)
    with open(study / "interviews.csv", "a", encoding="utf-8") as f:
        f.write("REC-1,lost,recordings/call-a.ogg,,,,Dana Ruiz,\n")
        f.write("REC-2,lost,recordings/call-b.ogg,,,,,\n")
        f.write("REC-3,won,recordings/broken.m4a,,,,,\n")

    result = run(study, tmp_path / "out")
    assert result.exit_code == 1
    assert [(p.interview_id, Path(p.where).name) for p in result.problems] == [("REC-3", "broken.m4a")]
    rows = list(csv.DictReader(open(tmp_path / "out" / "statements.csv", encoding="utf-8")))
    for rec in ("REC-1", "REC-2"):
        said = [r for r in rows if r["interview_id"] == rec]
        assert {r["speaker"] for r in said} == {"Customer 1"}
        text = " ".join(r["text"] for r in said).lower()
        assert "onboarding dragged on for months" in text and "billing system" in text
        assert "vendor" not in text and "pricing compare" not in text and "change" not in text
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["audio"]["files"]["REC-1"]["interviewer"] == "Dana Ruiz"
    assert record["timings"]["audio"]["transcribed"] == 2
    assert "transcribed" not in json.dumps(record["audio"])  # run-to-run figures live under timings only

    # `winloss transcribe` on the same study: everything is cached, the broken file named, exit 1.
    cli = CliRunner().invoke(main, ["transcribe", str(study)])
    assert cli.exit_code == 1, cli.output
    assert "broken.m4a" in cli.output and "transcribed 0" in cli.output

