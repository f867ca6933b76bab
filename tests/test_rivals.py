"""Competitors read from the interviews, beside or for want of those the CRM and settings name: what lost and churned
customers chose, never what a won one chose (that is us), nor a person, the status quo or a month."""
from winloss.themes.rivals import rivals_named


def test_rivals_are_what_lost_and_churned_customers_chose():
    interviews = [
        ("W1", "won", "We looked at Clarion, Tallyhub, and Northwind. We chose Northwind because of the forecast."),
        ("W2", "won", "You chose Wrenchline over JobRoute. Walk me through that."),
        ("L1", "lost", "So you went with Gustly in the end. What made the difference?"),
        ("L2", "lost", "Honestly we ended up with Excel for now, and we looked at Tallyhub."),
        ("L3", "lost", "The deal went to OpsGenius because it came in the suite."),
        ("C1", "churned", "The person who chose Northwind left in March. At renewal we switched to Papertrail."),
        ("C2", "churned", "We went with Maria on the renewal call, she handled it."),
    ]
    assert rivals_named(interviews, exclude=["Maria Lopez"]) == [
        "Gustly", "JobRoute", "OpsGenius", "Papertrail", "Tallyhub"]


def test_a_choice_not_made_names_no_rival():
    # a churned team's chatter about music apps ("I'd go with Spotify") is no move away from us
    interviews = [("C1", "churned", "For the office playlist? I'd go with Spotify."),
                  ("L1", "lost", "We would probably go with Tallyhub next year, if budget opens."),
                  ("L2", "lost", "We might just switch to Zendesk."),
                  ("L3", "lost", "In the end we decided to go with Clarion."),
                  ("L4", "lost", "By then we'd already signed with Tallyhub."),
                  ("L5", "lost", "Honestly we'd have gone with Gustly if it had SSO.")]
    assert rivals_named(interviews) == ["Clarion", "Tallyhub"]


def test_a_name_weighed_once_is_no_rival_and_lowercase_words_never_are():
    interviews = [("L1", "lost", "We evaluated Clarion briefly. Then we went with a cheaper tool."),
                  ("L2", "lost", "we went with the spreadsheet in the end"),
                  ("L3", "lost", "We picked January to look again.")]
    assert rivals_named(interviews) == []
    interviews.append(("L4", "lost", "We also looked at Clarion."))
    assert rivals_named(interviews) == ["Clarion"]


def test_an_interview_only_study_reads_its_rivals_and_their_praise_is_against_us(tmp_path):
    """The demo without its CRM names no competitor anywhere but in the interviews: Clarion and Tallyhub are read
    there, run.json says so, and "Clarion had the better demo" is against us, not a reason we win."""
    import csv
    import json
    import shutil
    from pathlib import Path

    from winloss.pipeline import run

    study = tmp_path / "study"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "demo", study,
                    ignore=shutil.ignore_patterns("codebook*", "crm"))
    run(study, tmp_path / "out")
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert any("competitors read from the interviews" in w and "Clarion, Tallyhub" in w for w in record["warnings"])
    with open(tmp_path / "out" / "statements.csv", newline="", encoding="utf-8") as f:
        said = {r["text"]: r["stance"] for r in csv.DictReader(f)}
    praise = [t for t in said if "Clarion" in t and "better demo" in t]
    assert praise and all(said[t] == "negative" for t in praise), {t: said[t] for t in praise}


def test_a_rival_the_interviews_name_beside_the_crms_is_read_and_its_loss_says_where_from(tmp_path):
    """A CRM that records Clarion and Vaultline but never Tallyhub: the lost buyers who say they went with
    Tallyhub still name a rival, the run says it read it from the interviews, and the loss type's rule says the
    competitor came from the buyer's interview, not from the CRM."""
    import csv
    import json
    import shutil
    from pathlib import Path

    from winloss.pipeline import run

    study = tmp_path / "study"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "demo", study,
                    ignore=shutil.ignore_patterns("codebook*"))
    deals = study / "crm" / "deals.csv"
    with deals.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for column in ("Competitor", "Closed Lost Reason", "Loss Notes"):
            r[column] = r[column].replace("Tallyhub", "")
    with deals.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    run(study, tmp_path / "out")
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert any("competitors read from the interviews (the CRM and [crm] competitors name others): Tallyhub" in w
               for w in record["warnings"]), record["warnings"]
    with open(tmp_path / "out" / "loss_types.csv", newline="", encoding="utf-8") as f:
        typed = [r for r in csv.DictReader(f) if r["competitor"] == "Tallyhub"]
    twos = [r for r in typed if r["loss_type"] == "2"]
    assert twos and all(r["rule"].startswith("competitor named in the buyer's interview (INT-") for r in twos), typed
