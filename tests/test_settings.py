"""Every section of winloss.toml is checked before any work: a typo or a wrong type stops the run (exit 2) with the
key named, and nothing is embedded, clustered or written."""
import pytest
from click.testing import CliRunner

from winloss.cli import main
from winloss.settings import cache_root, load_settings

STUDY_ROWS = "interview_id,cohort,file\nA,won,a.txt\n"


def study_with(tmp_path, toml: str):
    study = tmp_path / "study"
    study.mkdir()
    (study / "interviews.csv").write_text(STUDY_ROWS, encoding="utf-8")
    (study / "a.txt").write_text("Dana: Why did you buy?\nLee: The Salesforce sync worked from day one.\n",
                                 encoding="utf-8")
    (study / "winloss.toml").write_text(toml, encoding="utf-8")
    return study


@pytest.mark.parametrize("toml,message", [
    ("[audio]\nbeam_sise = 5\n", "unknown setting [audio] beam_sise"),
    ('[audio]\nbeam_size = "five"\n', "audio.beam_size must be a whole number, got 'five'"),
    ('[audio]\ninterviewer_channel = "middle"\n', "audio.interviewer_channel must be one of"),
    ("[llm]\ntemprature = 0.2\n", "unknown setting [llm] temprature"),
    ('[llm]\nresponse_format = "xml"\n', "llm.response_format must be one of"),
    ('[llm]\napi_key = "sk-secret"\n', "a key is never read from winloss.toml"),
    ("[crm]\ncolumn = {}\n", "unknown setting [crm] column"),
    ('[crm]\ndate_order = "ymd"\n', "crm.date_order must be one of"),
    ("[crm.icp]\nband_a = \"high\"\n", "crm.icp.band_a must be a whole number"),
    ("[crm.icp]\nprimary_min_shar = 0.9\n", "unknown setting [crm.icp] primary_min_shar"),
    ("[crm.cohorts]\nbest = 3\n", "unknown setting [crm.cohorts] best"),
    ("[crm.loss_types.overrides]\nD4 = 7\n", "crm.loss_types.overrides.D4 must be one of"),
    ("[crm.stages]\nwon = \"Signed\"\n", "crm.stages.won must be a list"),
    # a validator's own words keep the user's value and the format as written
    ('[crm]\nas_of = "December"\n', "crm.as_of 'December' is not a date: write it as YYYY-MM-DD"),
    ("[crm]\nas_of = 5\n", "crm.as_of must be a date (YYYY-MM-DD), got 5"),
])
def test_a_bad_setting_in_any_section_stops_before_any_work(tmp_path, toml, message):
    study = study_with(tmp_path, toml)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "winloss.toml" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists() and not (study / "codebook.toml").exists()  # nothing was run


def test_sections_are_typed_records(tmp_path):
    study = study_with(tmp_path, "[audio]\nbeam_size = 1\n[crm.icp]\nband_a = 80\n[crm.loss_types]\n"
                                 'no_decision = ["Procurement"]\n[llm]\nconcurrency = 2\n')
    settings = load_settings(study)
    assert settings.audio.beam_size == 1 and settings.audio.vad is True
    assert settings.crm.icp.band_a == 80 and settings.crm.icp.band_b == 55
    assert settings.crm.loss_types.no_decision == ("procurement",)
    assert settings.llm.concurrency == 2 and settings.llm.model is None
    assert load_settings(study, {"audio": {"beam_size": 3, "vad": None}}).audio.beam_size == 3


def test_one_cache_folder_honours_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("WINLOSS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "winloss"
    monkeypatch.setenv("WINLOSS_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
    assert cache_root(str(tmp_path / "set")) == tmp_path / "set"
