"""The codebook: written by the first run, edited by users and the CLI, honoured by the next run with stable ids."""
import re
import sqlite3
import tomllib

import pandas as pd
import pytest
from click.testing import CliRunner
from research_study import SECURITY, run_study, write_study

from winloss.cli import main
from winloss.themes import codebook

OUTPUTS = ("statements.csv", "themes.csv", "theme_cohorts.csv", "quotes.csv", "report.md", "winloss.db",
           "theme_shares.png")


@pytest.fixture
def first_run(tmp_path):
    study = write_study(tmp_path / "study")
    run_study(study, tmp_path / "run1")
    return study, tmp_path


def themes(out) -> pd.DataFrame:
    return pd.read_csv(out / "themes.csv", keep_default_na=False)


def members(out) -> dict[str, str]:
    df = pd.read_csv(out / "statements.csv", keep_default_na=False)
    return dict(zip(df["statement_id"], df["theme_id"]))


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_first_run_writes_codebook_and_rerun_reproduces_it(first_run):
    study, tmp = first_run
    book = codebook.load(study)
    t1 = themes(tmp / "run1")
    assert [t.id for t in book.themes] == t1["theme_id"].tolist()
    assert [t.label for t in book.themes] == t1["label"].tolist()
    assert book.next_id == len(t1) + 1
    for theme in book.themes:
        assert theme.examples and all(members(tmp / "run1")[sid] == theme.id for sid in theme.examples)
    run_study(study, tmp / "run2")
    for name in OUTPUTS:
        assert (tmp / "run1" / name).read_bytes() == (tmp / "run2" / name).read_bytes(), name


def test_rename_survives_rerun(first_run):
    study, tmp = first_run
    cli("themes", "rename", "T02", "Too expensive at renewal", "--study", study)
    run_study(study, tmp / "run2")
    t2 = themes(tmp / "run2").set_index("theme_id")
    assert t2.loc["T02", "label"] == "Too expensive at renewal"
    assert members(tmp / "run2") == members(tmp / "run1")
    assert codebook.load(study).get("T02").label == "Too expensive at renewal"


def set_labels(study, theme_id: str, label: str, machine_label: str | None) -> None:
    """Write a theme's label and machine label into codebook.toml by hand (None: no machine_label line)."""
    path = study / codebook.CODEBOOK
    text = path.read_text(encoding="utf-8")
    block = re.search(rf'id = "{theme_id}"\nlabel = "[^"]*"\nmachine_label = "[^"]*"\n', text).group(0)
    lines = f'id = "{theme_id}"\nlabel = "{label}"\n' + ("" if machine_label is None else
                                                          f'machine_label = "{machine_label}"\n')
    path.write_text(text.replace(block, lines), encoding="utf-8")


def test_winloss_labels_are_refreshed_and_the_users_are_kept(first_run):
    """A label winloss gave (label = machine_label) is relabelled by each run, so a better labeller reaches a
    study that already has a codebook; a renamed one is the user's."""
    study, tmp = first_run
    before = themes(tmp / "run1").set_index("theme_id")["label"]
    assert all(t.machine_label == t.label for t in codebook.load(study).themes)
    set_labels(study, "T01", "An older winloss label", "An older winloss label")
    cli("themes", "rename", "T02", "Too expensive at renewal", "--study", study)
    run_study(study, tmp / "run2")
    after = themes(tmp / "run2").set_index("theme_id")["label"]
    assert after["T01"] == before["T01"] and after["T02"] == "Too expensive at renewal"
    book = codebook.load(study)
    assert book.get("T01").label == book.get("T01").machine_label == before["T01"]
    assert book.get("T02").named_by_user and book.get("T02").machine_label == before["T02"]
    out = cli("themes", "relabel", "T02", "--study", study)
    assert "T02 will be labelled by winloss" in out
    run_study(study, tmp / "run3")
    assert themes(tmp / "run3").set_index("theme_id")["label"]["T02"] == before["T02"]


def test_a_codebook_written_before_machine_labels_keeps_its_labels_as_the_users(first_run):
    study, tmp = first_run
    path = study / codebook.CODEBOOK
    set_labels(study, "T01", "Named before machine labels", "x")
    old = re.sub(r'machine_label = "[^"]*"\n', "", path.read_text(encoding="utf-8")).replace("version = 2", "version = 1")
    path.write_text(old, encoding="utf-8")
    result = run_study(study, tmp / "run2")
    assert themes(tmp / "run2").set_index("theme_id")["label"]["T01"] == "Named before machine labels"
    note = [w for w in result.warnings if "before winloss recorded its own labels" in w]
    n = len(themes(tmp / "run1"))
    assert len(note) == 1 and f"of {n} theme(s)" in note[0] and "themes relabel" in note[0]
    book = codebook.load(study)
    assert book.version == 2 and all(t.named_by_user for t in book.active())
    assert not any("own labels" in w for w in run_study(study, tmp / "run3").warnings)
    cli("themes", "relabel", "--study", study)
    run_study(study, tmp / "run4")
    assert themes(tmp / "run4")["label"].tolist() == themes(tmp / "run1")["label"].tolist()


def test_rename_to_a_used_label_is_refused(first_run):
    study, _ = first_run
    used = codebook.load(study).get("T01").label
    result = CliRunner().invoke(main, ["themes", "rename", "T02", used, "--study", str(study)])
    assert result.exit_code == 2 and "already used by T01" in result.output


def test_merge_survives_rerun_and_ids_are_not_reused(first_run):
    study, tmp = first_run
    before = themes(tmp / "run1").set_index("theme_id")
    cli("themes", "merge", "T01", "T03", "--study", study)
    run_study(study, tmp / "run2")
    after = themes(tmp / "run2").set_index("theme_id")
    assert "T03" not in after.index
    assert after.loc["T01", "n_statements"] == before.loc["T01", "n_statements"] + before.loc["T03", "n_statements"]
    assert after.loc["T01", "label"] == before.loc["T01", "label"]
    assert after.loc["T02", "label"] == before.loc["T02", "label"]
    book = codebook.load(study)
    assert "T03" not in [t.id for t in book.themes]
    assert book.next_id == len(before) + 1  # T03 stays retired: the next new theme is not T03


def test_split_with_seed_examples_survives_rerun(first_run):
    study, tmp = first_run
    m1 = members(tmp / "run1")
    texts = pd.read_csv(tmp / "run1" / "statements.csv").set_index("statement_id")["text"]
    # Split the statements like the seeds (integrations breaking) off the theme that holds them.
    parent = m1[texts[texts.str.contains("Salesforce integration")].index[0]]
    seeds = ["The Salesforce integration kept breaking and dropping fields.", "Their API was missing the endpoints"]
    out = cli("themes", "split", parent, "--study", study, "--seed-example", seeds[0], "--seed-example", seeds[1],
              "--label", "Integrations break")
    new_id = codebook.theme_id(len(themes(tmp / "run1")) + 1)
    assert new_id in out
    run_study(study, tmp / "run2")
    m2 = members(tmp / "run2")
    t2 = themes(tmp / "run2").set_index("theme_id")
    assert t2.loc[new_id, "label"] == "Integrations break"
    assert m2[texts[texts == seeds[0]].index[0]] == new_id
    moved = [sid for sid in m1 if m1[sid] == parent and m2[sid] == new_id]
    stayed = [sid for sid in m1 if m1[sid] == parent and m2[sid] == parent]
    assert moved and stayed
    assert all(any(w in texts[s] for w in ("integration", "API", "sync", "Salesforce", "HubSpot", "CRM", "warehouse"))
               for s in moved)
    # Untouched themes keep every statement; a third run changes nothing.
    assert all(m2[s] == m1[s] for s in m1 if m1[s] != parent)
    book = codebook.load(study)
    assert not book.get(new_id).split_from and book.get(new_id).description == f"Split from {parent}."
    run_study(study, tmp / "run3")
    assert members(tmp / "run3") == m2


def test_adding_interviews_keeps_existing_ids(first_run):
    study, tmp = first_run
    m1, t1 = members(tmp / "run1"), themes(tmp / "run1")
    write_study(study, n_interviews=12, added=6)
    result = run_study(study, tmp / "run2")
    m2, t2 = members(tmp / "run2"), themes(tmp / "run2").set_index("theme_id")
    assert all(m2[sid] == tid for sid, tid in m1.items() if tid)
    for row in t1.itertuples():
        assert t2.loc[row.theme_id, "label"] == row.label
    new_statements = [sid for sid in m2 if sid not in m1]
    assert sum(1 for sid in new_statements if m2[sid] in set(t1["theme_id"])) >= 20  # they joined old themes
    # Security reviews fit no existing theme: they form new themes with the next free ids, reported as new.
    new_ids = result.counts and sorted(set(t2.index) - set(t1["theme_id"]))
    assert new_ids and new_ids[0] == codebook.theme_id(len(t1) + 1)
    texts = pd.read_csv(tmp / "run2" / "statements.csv").set_index("statement_id")["text"]
    security = [sid for sid in new_statements if texts[sid] in SECURITY]
    assert sum(m2[sid] in new_ids for sid in security) >= len(security) - 2
    assert all(any(texts[s] in SECURITY for s in m2 if m2[s] == tid) for tid in new_ids)
    status = dict(sqlite3.connect(tmp / "run2" / "winloss.db").execute("SELECT theme_id, status FROM themes"))
    assert {t for t, v in status.items() if v == "new"} == set(new_ids)
    report = (tmp / "run2" / "report.md").read_text(encoding="utf-8")
    line = next(x for x in report.splitlines() if x.startswith("New themes this run"))
    assert all(f"{tid} " in line for tid in new_ids) and "T01 " not in line


def test_delete_and_pin(first_run):
    study, tmp = first_run
    cli("themes", "delete", "T04", "--study", study)
    cli("themes", "pin", "T03", "--study", study)
    run_study(study, tmp / "run2")
    t2 = themes(tmp / "run2")
    assert "T04" not in set(t2["theme_id"])
    assert "T04" not in set(members(tmp / "run2").values())
    book = codebook.load(study)
    assert book.get("T03").pinned and "T04" not in [t.id for t in book.themes]


def test_hand_edits_in_the_file_are_honoured(first_run):
    study, tmp = first_run
    path = study / codebook.CODEBOOK
    text = path.read_text(encoding="utf-8")
    text = text.replace('id = "T02"\n', 'id = "T02"\nmerge_into = "T04"\n', 1)
    path.write_text(text, encoding="utf-8")
    run_study(study, tmp / "run2")
    m1, m2 = members(tmp / "run1"), members(tmp / "run2")
    assert all(m2[s] == "T04" for s in m1 if m1[s] == "T02")


@pytest.mark.parametrize("edit, message", [
    ('merge_into = "T99"\n', "merge_into T99: no such theme"),
    ("colour = 'red'\n", "unknown key(s) colour"),
    ("label = \n", "not valid TOML"),
])
def test_bad_codebook_is_a_clear_error(first_run, edit, message):
    study, _ = first_run
    path = study / codebook.CODEBOOK
    path.write_text(path.read_text(encoding="utf-8").replace("pinned = false\n", "pinned = false\n" + edit, 1),
                    encoding="utf-8")
    with pytest.raises(codebook.CodebookError, match=re.escape(message)) as err:
        codebook.load(study)
    assert str(path) in str(err.value)
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(study.parent / "o")])
    assert result.exit_code == 2 and message in result.output


def test_toml_writer_round_trips_awkward_text(tmp_path):
    label = 'He said "no" \\ then\tleft\nnext line — ünïcode'
    book = codebook.Codebook(tmp_path / "codebook.toml", [codebook.Theme("T07", label, keywords=['a "b"', "c\\d"])],
                             8, {})
    codebook.save(book)
    data = tomllib.loads(book.path.read_text(encoding="utf-8"))
    assert data["theme"][0]["label"] == label and data["theme"][0]["keywords"] == ['a "b"', "c\\d"]
    assert codebook.load(tmp_path).get("t7").label == label


USER_NOTES = ["# Q3 codebook: reviewed with Dana on 2026-10-02", "# pricing is the one leadership asks about",
              "# keep this theme even if it shrinks"]


def add_user_notes(path) -> None:
    """Comments a user would write: at the top, above a theme, inside a theme, inline after a value."""
    text = path.read_text(encoding="utf-8")
    text = USER_NOTES[0] + "\n" + text
    text = text.replace('[[theme]]\nid = "T02"\n', f'{USER_NOTES[1]}\n[[theme]]\nid = "T02"\n{USER_NOTES[2]}\n', 1)
    text = text.replace('id = "T01"\n', 'id = "T01"  # the biggest one\n', 1)
    path.write_text(text, encoding="utf-8")


def user_lines_kept(path) -> None:
    text = path.read_text(encoding="utf-8")
    missing = [n for n in USER_NOTES + ['id = "T01"  # the biggest one'] if n not in text]
    assert not missing, f"comments lost: {missing}\n{text[:2000]}"
    assert text.index(USER_NOTES[1]) < text.index('id = "T02"') < text.index(USER_NOTES[2])


def test_comments_survive_every_themes_command_and_the_next_run(first_run):
    study, tmp = first_run
    path = study / codebook.CODEBOOK
    add_user_notes(path)
    comments_before = sum(line.lstrip().startswith("#") for line in path.read_text(encoding="utf-8").splitlines())
    n = len(codebook.load(study).themes)
    steps = [("rename", "T02", "Too expensive at renewal"), ("pin", "T02"), ("pin", "T02", "--off"),
             ("merge", "T01", f"T{n:02d}"), ("split", "T01", "--seed-example", "The Salesforce integration broke"),
             ("delete", f"T{n - 1:02d}")]
    for step in steps:
        before = path.read_text(encoding="utf-8")
        cli("themes", *step, "--study", study)
        after = path.read_text(encoding="utf-8")
        user_lines_kept(path)
        # Only the edited values change: every line that was there is still there, apart from the edited one.
        lost = [line for line in before.splitlines() if line not in after.splitlines()]
        assert len(lost) <= 1, (step, lost)
    book = codebook.load(study)
    assert book.get("T02").label == "Too expensive at renewal" and book.get(f"T{n:02d}").merge_into == "T01"
    assert sum(line.lstrip().startswith("#") for line in path.read_text(encoding="utf-8").splitlines()) \
        >= comments_before
    run_study(study, tmp / "run2")
    user_lines_kept(path)
    assert themes(tmp / "run2").set_index("theme_id").loc["T02", "label"] == "Too expensive at renewal"
    # The run keeps the examples' text beside them, and an unchanged study leaves the file as it is.
    written = path.read_text(encoding="utf-8")
    example = codebook.load(study).get("T02").examples[0]
    texts = pd.read_csv(tmp / "run2" / "statements.csv").set_index("statement_id")["text"]
    assert f'"{example}", # {" ".join(texts[example].split())}' in written
    run_study(study, tmp / "run3")
    assert path.read_text(encoding="utf-8") == written


def test_user_order_of_themes_is_kept(first_run):
    study, tmp = first_run
    path = study / codebook.CODEBOOK
    text = path.read_text(encoding="utf-8")
    head, *tables = text.split("\n[[theme]]\n")
    path.write_text("\n[[theme]]\n".join([head, *reversed(tables)]).rstrip("\n") + "\n", encoding="utf-8")
    order = [t.id for t in codebook.load(study).themes]
    cli("themes", "rename", "T01", "Forecasting", "--study", study)
    run_study(study, tmp / "run2")
    assert [t.id for t in codebook.load(study).themes][: len(order)] == order


def test_a_fresh_label_that_takes_a_users_label_falls_back(tmp_path):
    from winloss.themes.assign import keep_labels
    from winloss.themes.labeling import ThemeLabel

    book = codebook.Codebook(tmp_path / "codebook.toml", [
        codebook.Theme("T01", "Pricing", machine_label="Price went up"),  # renamed by the user
        codebook.Theme("T02", "Renewal price", machine_label="Renewal price"),  # winloss's
    ], 3, {})
    fresh = {tid: ThemeLabel(label, [], []) for tid, label in
             (("T01", "Price went up"), ("T02", "Pricing"), ("T03", "Pricing"))}
    out = {tid: tl.label for tid, tl in keep_labels(book, fresh).items()}
    assert out == {"T01": "Pricing", "T02": "Renewal price", "T03": "Pricing (new)"}
