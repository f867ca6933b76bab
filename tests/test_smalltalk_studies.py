"""Short interviews open and close with small talk: real studies through the real model. Payloom (fixtures/payloom,
a colleague's 23 interviews of 4-11 statements) and a study of twelve short interviews written here."""
import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from winloss.pipeline import run

PAYLOOM = Path(__file__).resolve().parents[1] / "fixtures" / "payloom"

GREETINGS = [
    "Morning! I'm on my second espresso, so you're getting the good version of me.",
    "Sorry, it's raining sideways here so if you hear drumming that's the skylight.",
    "I just got back from dropping my kids at soccer, so, perfect timing.",
    "Sorry, the dog is barking at the mail carrier again, give me a second.",
    "It's been a crazy week, we had a long weekend at the lake and I'm still catching up.",
    "Sorry about the background noise, we're redoing the office this month.",
    "Tired. We had my daughter's birthday party all weekend, twelve kids in the house.",
    "Sorry, my cat is walking across the keyboard. Go away.",
    "I'm out at the warehouse so it might be a little loud, the forklifts are going.",
    "It's freezing here, I've got my coat on in the office, the heating broke.",
    "I've got about twenty minutes before my next call, just grabbed a coffee.",
    "I'm in the car, parked, so it's quiet, the kids are at their grandma's.",
]
GOODBYES = [
    "Enjoy the rest of your day, Sam.", "Have a good afternoon, and enjoy the sunshine.",
    "Say hi to the team for me, and have a lovely weekend.", "Anytime. Come by if you're ever in Denver, coffee's on me.",
    "Thanks, have a nice day.", "Cheers, enjoy your weekend.", "Take it easy, good luck with the rest of your calls.",
    "Have a great evening, Sam.", "Enjoy the rest of your week.", "Have a good one, stay dry out there.",
    "Happy Friday, enjoy the weekend.", "Have a nice afternoon, and good luck with the move.",
]
TOPICS = {
    "won": [
        "Payroll accuracy was the reason. We have not had a single payroll error since we switched.",
        "The multi-state tax filings are handled for us, every state registration and the quarterly returns.",
        "Our controller reconciles every payroll run against the bank and it matches to the penny.",
    ],
    "churned": [
        "The QuickBooks integration never synced, our bookkeeper re-entered the payroll journal by hand every month.",
        "We opened support tickets about the sync and nobody ever called us back.",
        "Paychecks went out with wrong deductions three runs in a row and our staff got shorted.",
    ],
}


def transcript(k: int, cohort: str) -> str:
    lines = ["Sam: Hi, thanks for joining. How's your week going?", f"Customer: {GREETINGS[k]}",
             "Sam: Great. So what was behind your decision?"]
    for j, text in enumerate(TOPICS[cohort]):
        lines += [f"Customer: {text}", "Sam: Can you say more about that?"] if j < 2 else [f"Customer: {text}"]
    if k == 0:
        lines += ["Sam: How has the mobile app been?", "Customer: Good. No complaints."]
    lines += ["Sam: That's really helpful, thank you.", f"Customer: {GOODBYES[k]}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def short_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("short")
    rows = ["interview_id,cohort,file,interviewer"]
    for k in range(12):
        cohort = "won" if k % 2 == 0 else "churned"
        (root / f"i{k:02d}.txt").write_text(transcript(k, cohort), encoding="utf-8")
        rows.append(f"I{k:02d},{cohort},i{k:02d}.txt,Sam")
    (root / "interviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    run(root, root / "out")
    return root / "out"


def test_a_short_interviews_greeting_and_goodbye_never_become_findings(short_study):
    statements = pd.read_csv(short_study / "statements.csv", keep_default_na=False)
    themes = pd.read_csv(short_study / "themes.csv", keep_default_na=False)
    chatter = set(GREETINGS) | set(GOODBYES)
    kind = dict(zip(themes["theme_id"], themes["kind"]))
    chat = statements[statements["text"].isin(chatter)]
    assert len(chat) >= 20, "the greetings and goodbyes should survive the statement cutter as statements"
    in_findings = chat[chat["theme_id"].map(lambda t: kind.get(t) == "finding")]
    assert in_findings.empty, list(in_findings["text"])
    assert "small talk" in set(themes["kind"]), "the chatter should form a theme of its own and be recognised"
    findings = set(themes.loc[themes["kind"] == "finding", "theme_id"])
    assert findings, "the substance in the middle of the interviews is still found"
    report = (short_study / "report.md").read_text(encoding="utf-8")
    with open(short_study / "quotes.csv", encoding="utf-8", newline="") as fh:  # kept, under small-talk themes only
        assert {kind[r["theme_id"]] for r in csv.DictReader(fh) if r["quote"] in chatter} == {"small talk"}
    assert not [text for text in chatter if text in report]


def test_no_complaints_keeps_its_no_in_a_real_transcript(short_study):
    statements = pd.read_csv(short_study / "statements.csv", keep_default_na=False)
    said = statements.loc[statements["interview_id"] == "I00", "text"].tolist()
    assert "No complaints." in said
    assert "complaints." not in said


@pytest.fixture(scope="module")
def payloom(tmp_path_factory):
    study = tmp_path_factory.mktemp("payloom") / "study"
    shutil.copytree(PAYLOOM, study, ignore=shutil.ignore_patterns("codebook*"))
    run(study, study.parent / "out")
    return study.parent / "out"


def test_payloom_small_talk_never_becomes_a_finding_a_driver_or_a_quote(payloom):
    statements = pd.read_csv(payloom / "statements.csv", keep_default_na=False)
    themes = pd.read_csv(payloom / "themes.csv", keep_default_na=False)
    key = pd.read_csv(PAYLOOM / "small_talk_key.csv", keep_default_na=False)
    chat = statements[[any(r.interview_id == i and r.text_contains in t for r in key.itertuples())
                       for i, t in zip(statements["interview_id"], statements["text"])]]
    assert len(chat) == len(key), "every marked greeting and goodbye is a statement"
    kind = dict(zip(themes["theme_id"], themes["kind"]))
    assert not [t for t, th in zip(chat["text"], chat["theme_id"]) if kind.get(th) == "finding"]
    small = set(themes.loc[themes["kind"] == "small talk", "theme_id"])
    assert small and set(themes.loc[themes["kind"] == "finding", "theme_id"])
    report = (payloom / "report.md").read_text(encoding="utf-8")
    for label in themes.loc[themes["kind"] == "small talk", "label"]:
        assert label not in report, label
    assert not [t for t in chat["text"] if t in report]


def test_payloom_keeps_its_negators(payloom):
    said = pd.read_csv(payloom / "statements.csv", keep_default_na=False)["text"].tolist()
    assert "No complaints." in said and "complaints." not in said
    assert [t for t in said if t.startswith("no hard feelings.")]
    assert not [t for t in said if t.startswith("hard feelings")]
