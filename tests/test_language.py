"""Speech in another language: counted, named, and its stance left neutral rather than guessed by English rules."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from winloss.cli import main
from winloss.interviews.language import english_share, reads_as_english
from winloss.interviews.transcripts import TranscriptError, parse_transcript

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = ROOT / "fixtures" / "imports" / "transcripts"

SPANISH = """Dana Ruiz: Gracias por tu tiempo. ¿Por qué eligieron a la competencia?
Lucía Gómez: Bueno, la verdad es que la implementación tardó tres meses y nadie nos ayudó con la migración de los \
datos. El soporte no contestaba los correos y cuando contestaban era tarde.
Dana Ruiz: ¿Y el precio?
Lucía Gómez: El precio era más alto, y para nuestro equipo de ventas eso pesó mucho. Elegimos a la otra empresa \
porque su integración con HubSpot funcionaba desde el primer día.
Dana Ruiz: ¿Algo más?
Lucía Gómez: Sinceramente, el producto es bueno, los paneles son muy claros, pero no nos dieron el acompañamiento \
que necesitábamos durante la prueba.
"""
GERMAN = ("Die Einführung hat drei Monate gedauert und niemand hat uns geholfen. Wir haben uns für den Wettbewerber "
          "entschieden, weil der Preis niedriger war und die Integration mit Salesforce vom ersten Tag an "
          "funktioniert hat. Der Support hat auf unsere E-Mails erst nach einer Woche geantwortet, und das war "
          "für unser Vertriebsteam zu spät.")


def test_every_bundled_english_transcript_reads_as_english_and_other_languages_do_not():
    for path in sorted(IMPORTS.iterdir()):
        if path.suffix in {".txt", ".vtt", ".srt", ".json", ".csv", ".docx", ".md"}:
            try:
                turns = parse_transcript(path).turns
            except TranscriptError:  # the corpus holds deliberately broken files too
                continue
            assert reads_as_english(t.text for t in turns), path.name
    assert english_share([SPANISH]) < 0.2
    assert not reads_as_english([SPANISH]) and not reads_as_english([GERMAN])
    # too little to judge: a short answer or a list of names is never called foreign
    assert reads_as_english(["Salesforce, HubSpot, Gong."]) and english_share(["Sí."]) is None


def test_an_interview_in_another_language_is_counted_named_and_its_stance_left_neutral(tmp_path):
    study = tmp_path / "study"
    (study / "transcripts").mkdir(parents=True)
    rows = ["interview_id,cohort,file,interviewer"]
    for i, name in enumerate(["otter.txt", "teams.vtt", "gong.json"]):
        shutil.copy(IMPORTS / name, study / "transcripts" / name)
        rows.append(f"EN-{i},{('won', 'lost', 'churned')[i]},transcripts/{name},Dana Ruiz")
    (study / "transcripts" / "es.txt").write_text(SPANISH, encoding="utf-8")
    rows.append("ES-1,lost,transcripts/es.txt,Dana Ruiz")
    (study / "interviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    result = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "ES-1: its customer speech does not read as English" in result.output
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["coverage"]["not_english"] == ["ES-1"]
    with open(tmp_path / "out" / "statements.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    spanish = [r for r in rows if r["interview_id"] == "ES-1"]
    # "nadie nos ayudó" is a complaint, but an English scorer cannot know it: neutral, not a guess either way
    assert len(spanish) >= 4 and {r["stance"] for r in spanish} == {"neutral"}
    assert {r["stance"] for r in rows if r["interview_id"] != "ES-1"} > {"neutral"}
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "1 interview is not in English (ES-1)" in report
