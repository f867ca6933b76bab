"""Bad CRM input: every case gets a clear message naming the file and row, and no row is silently dropped."""
import json
import math
from pathlib import Path

import pandas as pd

from winloss.crm import analyse_crm
from winloss.crm.files import write_crm
from winloss.crm.load import load_deals
from winloss.crm.narrative import context as crm_context
from winloss.crm.settings import CrmSettings
from winloss.models import Interview
from winloss.settings import Settings

HEADER = "Opportunity ID,Account ID,Account Name,Stage,Close Date,Employees,Industry,Competitor,Closed Lost Reason"
EMPTY_STATEMENTS = pd.DataFrame(columns=["statement_id", "interview_id", "cohort", "speaker", "start", "end", "text",
                                         "theme_id"])
EMPTY_THEMES = pd.DataFrame(columns=["theme_id", "label", "keywords", "n_statements", "n_interviews"])
EMPTY_QUOTES = pd.DataFrame(columns=["theme_id", "cohort", "interview_id", "speaker", "start", "end", "quote"])


def crm_settings(table: dict) -> CrmSettings:
    """[crm] as winloss.toml gives it, validated the way load_settings does."""
    return Settings.model_validate_json(json.dumps({"crm": table})).crm


def good_rows(n=12):
    """Enough closed deals of both outcomes for the analysis to run."""
    rows = []
    for i in range(n):
        stage = "Closed Won" if i % 2 == 0 else "Closed Lost"
        rows.append(f"D{i:02d},A{i:02d},Acme {i},{stage},2026-0{1 + i % 9}-1{i % 10},{100 + 50 * i},Software,,")
    return rows


def write_deals(tmp_path: Path, rows, header=HEADER) -> Path:
    (tmp_path / "crm").mkdir(exist_ok=True)
    (tmp_path / "crm" / "deals.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return tmp_path / "crm" / "deals.csv"


def analyse(study: Path, interviews=(), settings=None):
    return analyse_crm(study, list(interviews), EMPTY_STATEMENTS, EMPTY_THEMES, EMPTY_QUOTES, crm_settings(settings or {}))


def messages(problems):
    return [str(p) for p in problems]


def test_no_deals_file_means_no_crm_analysis(tmp_path):
    assert analyse(tmp_path) is None


def test_missing_stage_column_is_one_clear_problem(tmp_path):
    write_deals(tmp_path, ["D1,A1,Acme,2026-01-01,100,Software,,"],
                header="Opportunity ID,Account ID,Account Name,Close Date,Employees,Industry,Competitor,Reason")
    result = analyse(tmp_path)
    assert result is not None and not result.usable
    assert len(result.problems) == 1
    text = str(result.problems[0])
    assert "deals.csv" in text and "no Stage column" in text and "[crm.columns] stage" in text
    assert crm_context(result, EMPTY_STATEMENTS, EMPTY_THEMES, EMPTY_QUOTES)["usable"] is False


def test_stage_column_named_in_winloss_toml(tmp_path):
    write_deals(tmp_path, [r.replace("Closed Won", "Signed").replace("Closed Lost", "Dead") for r in good_rows()],
                header=HEADER.replace("Stage", "Outcome"))
    result = analyse(tmp_path, settings={"columns": {"stage": "Outcome"}, "stages": {"won": ["Signed"],
                                                                                     "lost": ["Dead"]}})
    assert result.usable and result.problems == []
    assert result.backtest["wins"] == 6 and result.backtest["losses"] == 6


def test_unknown_stage_values_are_named_and_kept(tmp_path):
    rows = good_rows() + ["D90,A90,Beta,Pending legal,2026-02-02,300,Software,,",
                          "D91,A91,Gamma,,2026-02-03,300,Software,,"]
    write_deals(tmp_path, rows)
    result = analyse(tmp_path)
    text = messages(result.problems)
    assert any("deals.csv row 14 (D90)" in m and "unknown stage 'Pending legal'" in m for m in text)
    assert any("deals.csv row 15 (D91)" in m and "empty Stage" in m for m in text)
    assert len(result.deals) == 14  # every row is still there, marked
    excluded = dict(zip(result.deals["deal_id"], result.deals["excluded"]))
    assert excluded["D90"] == "unknown stage" and excluded["D91"] == "no stage"


def test_one_unknown_stage_on_many_rows_is_one_problem_naming_its_rows(tmp_path):
    rows = good_rows() + [f"D9{k},A9{k},Beta {k},Churned - budget,2026-02-02,300,Software,," for k in range(5)]
    write_deals(tmp_path, rows)
    result = analyse(tmp_path)
    said = [m for m in messages(result.problems) if "unknown stage 'Churned - budget'" in m]
    assert len(said) == 1 and "deals.csv row 14 (D90)" in said[0] and "(5 rows)" in said[0], said
    assert (result.deals["excluded"] == "unknown stage").sum() == 5


def test_duplicate_ids_are_reported_with_both_rows(tmp_path):
    rows = good_rows() + ["D03,A99,Copy Co,Closed Won,2026-03-03,250,Retail,,"]
    write_deals(tmp_path, rows)
    result = analyse(tmp_path)
    dup = [m for m in messages(result.problems) if "duplicate" in m]
    assert dup == ["deals.csv row 14 (D03): duplicate deal id D03 (first on row 5); this row is left out"]
    assert len(result.deals) == 13
    assert list(result.deals["excluded"]).count("duplicate id") == 1


def test_non_numeric_employees_is_reported_and_the_deal_still_counts(tmp_path):
    rows = good_rows() + ["D50,A50,Delta,Closed Won,2026-04-04,about fifty,Software,,"]
    write_deals(tmp_path, rows)
    result = analyse(tmp_path)
    assert messages(result.problems) == [
        "deals.csv row 14 (D50): Employees 'about fifty' is not a number; counted as unknown"]
    row = result.deals[result.deals["deal_id"] == "D50"].iloc[0]
    assert math.isnan(row["employees"]) and row["excluded"] == ""
    assert result.backtest["wins"] == 7  # the deal is in the analysis, with an unknown employee band
    seg = result.segments[(result.segments["key"] == "employees") & (result.segments["value"] == "(unknown)")]
    assert int(seg["won"].iloc[0]) == 1


def test_dates_in_several_formats_in_one_file(tmp_path):
    rows = ["D1,A1,A,Closed Won,2026-03-15,100,X,,", "D2,A2,B,Closed Lost,3/16/2026,100,X,,",
            "D3,A3,C,Closed Won,17 Mar 2026,100,X,,", "D4,A4,D,Closed Lost,\"March 18, 2026\",100,X,,",
            "D5,A5,E,Closed Won,46103,100,X,,", "D6,A6,F,Closed Lost,next week,100,X,,"]
    tables = load_deals(write_deals(tmp_path, rows), CrmSettings())
    dates = dict(zip(tables.deals["deal_id"], tables.deals["close_date"]))
    assert [dates[f"D{i}"].isoformat() for i in range(1, 6)] == ["2026-03-15", "2026-03-16", "2026-03-17",
                                                                  "2026-03-18", "2026-03-22"]
    assert dates["D6"] is None
    assert messages(tables.problems) == ["deals.csv row 7 (D6): Close Date: not a date: 'next week'; counted as "
                                         "unknown"]


def test_day_first_dates_are_detected_from_the_column(tmp_path):
    rows = ["D1,A1,A,Closed Won,03/04/2026,100,X,,", "D2,A2,B,Closed Lost,25/04/2026,100,X,,"]
    tables = load_deals(write_deals(tmp_path, rows), CrmSettings())
    assert [d.isoformat() for d in tables.deals["close_date"]] == ["2026-04-03", "2026-04-25"]


def test_interview_deal_missing_from_crm_is_a_problem_and_account_join_is_tried(tmp_path):
    write_deals(tmp_path, good_rows())
    interviews = [
        Interview("INT-1", "won", tmp_path / "a.txt", 2, account_id="", deal_id="D00"),
        Interview("INT-2", "lost", tmp_path / "b.txt", 3, account_id="", deal_id="D77"),
        Interview("INT-3", "lost", tmp_path / "c.txt", 4, account_id="A01", deal_id="D78"),
        Interview("INT-4", "won", tmp_path / "d.txt", 5, company="ACME 2"),
        Interview("INT-5", "won", tmp_path / "e.txt", 6, deal_id="D01"),
    ]
    result = analyse(tmp_path, interviews)
    joins = {j.interview_id: (j.deal_id, j.method) for j in result.joins}
    assert joins["INT-1"] == ("D00", "deal_id")
    assert joins["INT-2"] == ("", "")
    assert joins["INT-3"] == ("D01", "account_id")
    assert joins["INT-4"] == ("D02", "company")
    text = messages(result.problems)
    assert ("interviews.csv row 3 (INT-2): deal_id D77 is not in crm/deals.csv; interview not joined to the CRM"
            in text)
    assert any(m.startswith("interviews.csv row 4 (INT-3): deal_id D78 is not in crm/deals.csv") and
               "joined by account_id" in m for m in text)
    assert any(m.startswith("interviews.csv row 6 (INT-5)") and "cohort won but deal D01 is Closed Lost" in m
               for m in text)


def test_accounts_without_a_won_deal_and_unknown_retention_are_reported(tmp_path):
    write_deals(tmp_path, good_rows())
    (tmp_path / "crm" / "accounts.csv").write_text(
        "Account ID,Retention Status,Starting ARR,Current ARR,NPS\n"
        "A00,Active,100,100,9\nA02,Paused,100,0,5\nZZ9,Active,100,100,9\nA04,Churned,100,0,n/a\n",
        encoding="utf-8")
    result = analyse(tmp_path, [Interview("INT-9", "churned", tmp_path / "x.txt", 2, account_id="A00")])
    assert "INT-9 is a churn interview but accounts.csv says the account is active" in result.notes
    text = messages(result.problems)
    assert "accounts.csv row 3 (A02): unknown Retention Status 'Paused' (expected Active, Expanded, Contracted or " \
           "Churned); derived from ARR where possible" in text
    assert "accounts.csv row 4 (ZZ9): no Closed Won deal for this account in deals.csv; its customer-success data " \
           "is not used" in text
    assert "accounts.csv row 5 (A04): NPS 'n/a' is not a number; counted as unknown" in text
    cohorts = dict(zip(result.accounts["account_key"], result.accounts["retention_status"]))
    assert cohorts["id:A02"] == "churned"  # derived from Current ARR 0


def test_deals_with_existing_customers_stay_out_of_the_win_loss_analysis(tmp_path):
    """Salesforce's Opportunity Type: an upgrade or renewal is won on the account's history with us, so it counts in
    no win rate; HubSpot's "existingbusiness" is the same. New business and an empty type stay in."""
    rows = [f"{r},New Customer" for r in good_rows()] + [
        "D90,A00,Acme 0,Closed Won,2026-08-01,500,Software,,,Existing Customer - Upgrade",
        "D91,A02,Acme 2,Closed Won,2026-08-02,500,Software,,,existingbusiness",
        "D92,A04,Acme 4,Closed Lost,2026-08-03,500,Software,,,Renewal",
        "D93,A06,Acme 6,Closed Won,2026-08-04,500,Software,,,"]
    write_deals(tmp_path, rows, HEADER + ",Type")
    result = analyse(tmp_path)
    excluded = dict(zip(result.deals["deal_id"], result.deals["excluded"]))
    assert [excluded[d] for d in ("D90", "D91", "D92")] == ["existing customer"] * 3
    assert excluded["D93"] == "" and excluded["D00"] == ""
    assert set(result.closed["deal_id"]) == {f"D{i:02d}" for i in range(12)} | {"D93"}
    assert not any("Type" in d.label for d in result.dims)  # no criterion "Existing Customer - Upgrade"
    assert ("3 deals are with existing customers (Type: Existing Customer - Upgrade 1, Renewal 1, existingbusiness "
            "1) and stay out of the analysis: win rates, criteria and the nurture list are about new customers"
            in result.notes)


def test_traits_only_the_accounts_report_holds_become_dimensions(tmp_path):
    """A Salesforce Accounts report keeps the fulfilment model on the account, not on each opportunity: it is a
    candidate dimension of the deals. The account's lifecycle (Type), its dates and what only customers have (Health
    Score) would restate the outcome, so they are named in the notes and left out; a column the deals carry too
    is the deal's."""
    write_deals(tmp_path, good_rows())
    lines = ["Account ID,Type,Fulfillment Model,Health Score,Customer Since,Industry,Starting ARR,Current ARR"]
    for i in range(12):
        won = i % 2 == 0
        lines.append(f"A{i:02d},{'Customer' if won else 'Prospect'},{'3PL' if i % 3 else 'In-house'},"
                     f"{'Green' if won else ''},{'2025-01-01' if won else ''},Retail,"
                     f"{'100,100' if won else ','}")
    (tmp_path / "crm" / "accounts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = analyse(tmp_path)
    labels = {d.label for d in result.dims}
    assert "Fulfillment Model" in labels
    assert not labels & {"Type", "Health Score", "Customer Since"}
    assert dict(zip(result.deals["deal_id"], result.deals["x:Fulfillment Model"]))["D04"] == "3PL"
    assert "Retail" not in set(result.values.get("industry", []))  # the deals' own Industry (Software) is kept
    notes = " | ".join(result.notes)
    assert "accounts.csv column 'Type' says the account's history with us" in notes
    assert "accounts.csv column 'Health Score' has a value (not empty, not 0) for 100% of won deals' accounts and 0% of lost ones" in notes


def test_prospect_rows_of_an_accounts_report_are_no_problem(tmp_path):
    """A Salesforce Accounts report lists prospects and lost accounts beside customers: a row with no won deal and
    nothing of a customer is counted in a note, while a customer row with no won deal is still a problem."""
    write_deals(tmp_path, good_rows())
    (tmp_path / "crm" / "accounts.csv").write_text(
        "Account ID,Type,Starting ARR,Current ARR,NPS\n"
        "A00,Customer - Direct,100,100,9\nP01,Prospect,,,\nP02,Prospect,,,\nZZ9,Customer - Direct,100,100,\n",
        encoding="utf-8")
    result = analyse(tmp_path)
    text = messages(result.problems)
    assert not any("P01" in m or "P02" in m for m in text)
    assert any(m.startswith("accounts.csv row 5 (ZZ9): no Closed Won deal") for m in text)
    assert ("2 accounts.csv rows have no Closed Won deal and no customer data (ARR, retention, NPS): prospects or "
            "lost accounts, not customers") in result.notes


def test_only_one_outcome_is_a_clear_problem(tmp_path):
    write_deals(tmp_path, [r for r in good_rows() if "Closed Won" in r])
    result = analyse(tmp_path)
    assert not result.usable
    assert any("needs both Closed Won and Closed Lost" in m for m in messages(result.problems))


def test_non_utf8_export_is_read(tmp_path):
    path = write_deals(tmp_path, good_rows())
    path.write_bytes(path.read_text(encoding="utf-8").replace("Acme 1,", "Acmé 1,").encode("cp1252"))
    tables = load_deals(path, CrmSettings())
    assert "Acmé 1" in set(tables.deals["account_name"])
    assert tables.notes == [] and tables.sources[0].encoding == "cp1252"  # run.json says so


def test_hubspot_export_with_internal_stage_names(tmp_path):
    header = "Record ID,Deal Name,Deal Stage,Close Date,Create Date,Amount,Number of Employees,Original Source"
    rows = ["101,Acme,closedwon,2026-01-05 10:00,2025-12-01 09:00,\"$12,000\",250,Referrals",
            "102,Beta,closedlost,2026-01-06 10:00,2025-11-01 09:00,8000,40,Paid search",
            "103,Gamma,appointmentscheduled,,2026-01-02 09:00,5000,60,Paid search"]
    tables = load_deals(write_deals(tmp_path, rows, header), CrmSettings())
    assert tables.problems == []
    deals = tables.deals.set_index("deal_id")
    assert list(deals["outcome"]) == ["won", "lost", "open"]
    assert deals.loc["101", "sales_cycle_days"] == 35 and deals.loc["101", "amount"] == 12000
    assert tables.notes == ["1 open deal in the CRM export is not closed and stays out of the analysis"]


def test_extra_columns_become_dimensions_and_free_text_is_named(tmp_path):
    header = HEADER + ",Segment Tier,Comments"
    rows = [r + f",{'Tier 1' if i % 3 else 'Tier 2'},note {i}" for i, r in enumerate(good_rows())]
    write_deals(tmp_path, rows, header)
    result = analyse(tmp_path)
    assert "Segment Tier" in {d.label for d in result.dims}
    tiers = result.segments[result.segments["dimension"] == "Segment Tier"]
    assert list(tiers["value"]) == ["Tier 1", "Tier 2"] and tiers["deals"].sum() == 12
    assert "column 'Comments' has 12 distinct values in 12 rows (free text or ids); not used as a dimension" \
        in result.notes


def test_a_bare_export_still_gives_a_draft_without_interviews(tmp_path):
    write_deals(tmp_path, ["Closed Won", "Closed Lost", "Closed Won"], header="Stage")
    result = analyse(tmp_path)
    assert result.usable
    assert messages(result.problems) == [f"{tmp_path / 'crm' / 'deals.csv'}: no deal id column (Opportunity ID, "
                                         "Deal ID, Record ID); rows are identified as row-N, so interviews cannot "
                                         "join by deal_id"]
    context = crm_context(result, EMPTY_STATEMENTS, EMPTY_THEMES, EMPTY_QUOTES)
    assert context["loss"]["types"][2]["n"] == 1  # the one loss: right fit by default, no competitor -> Type 3
    write_crm(result, tmp_path / "out")
    assert (tmp_path / "out" / "loss_types.csv").read_text().splitlines()[1].startswith("row-3,,3,")


def test_current_icp_in_yaml(tmp_path):
    write_deals(tmp_path, good_rows())
    (tmp_path / "icp_current.yaml").write_text("name: ours\ncriteria:\n  - dimension: Industry\n"
                                               "    values: [Software]\n", encoding="utf-8")
    result = analyse(tmp_path)
    assert result.current_name == "ours"
    assert result.changes and result.changes[-1]["current"] == "Industry: Software"
    (tmp_path / "icp_current.yaml").write_text("criteria: [unclosed", encoding="utf-8")
    assert any(m.startswith(f"{tmp_path / 'icp_current.yaml'}: cannot read the current ICP")
               for m in messages(analyse(tmp_path).problems))


EXPORTS = Path(__file__).resolve().parent / "data" / "exports" / "crm"


def test_pipedrive_export_reads_status_not_pipeline_stage_and_drops_its_entity_prefix():
    """Pipedrive writes `Deal - Stage` (the pipeline stage reached, 'Proposal Made') beside `Deal - Status`
    (Won / Lost / Open), and closes a deal at its won or lost time."""
    t = load_deals(EXPORTS / "pipedrive_deals.csv", CrmSettings())
    assert t.usable and messages(t.problems) == []
    d = t.deals.set_index("deal_id")
    assert list(d["outcome"]) == ["won", "lost", "open", "won"]
    assert list(d["amount"]) == [28800.0, 19200.0, 12000.0, 61500.0]
    assert [str(x) for x in d["close_date"]] == ["2026-07-02", "2026-07-06", "None", "2026-08-10"]
    assert d.loc["102", "loss_reason"] == "Price too high" and d.loc["101", "account_name"] == "Acme Corp"
    assert d.loc["101", "sales_cycle_days"] == 113.0
    assert t.extras == ["Deal - Currency", "Deal - Pipeline"]  # the pipeline stage and dates are no dimension
    assert "column 'Deal - Stage' is a second stage column (where a deal stopped in the pipeline restates won or " \
           "lost); not used as a dimension" in t.notes


def test_close_export_reads_status_type_formatted_value_and_won_or_lost_date():
    """Close writes `value` in cents beside `value_formatted`; `status_type` is active / won / lost."""
    t = load_deals(EXPORTS / "close_opportunities.csv", CrmSettings())
    assert t.usable and messages(t.problems) == []
    d = t.deals.set_index("deal_id")
    assert list(d["outcome"]) == ["won", "lost", "open"]
    assert list(d["amount"]) == [28800.0, 19200.0, 12000.0]
    assert [str(x) for x in d["close_date"]] == ["2026-07-02", "2026-07-06", "None"]
    assert list(d["account_name"]) == ["Acme Corp", "Beta LLC", "Gamma Inc"] and d.loc["oppo_1", "owner"] == "Kim Alvarez"


def test_hubspot_ui_export_with_stage_labels_and_times_in_dates():
    t = load_deals(EXPORTS / "hubspot_deals.csv", CrmSettings())
    assert t.usable and messages(t.problems) == []
    d = t.deals.set_index("deal_id")
    assert list(d["outcome"]) == ["won", "lost", "open", "won"]
    assert list(d["amount"]) == [28800.0, 19200.0, 12000.0, 61500.0]
    assert str(d.loc["9876543213", "close_date"]) == "2026-08-10"


def test_a_status_column_beside_a_real_stage_column_does_not_take_its_place(tmp_path):
    path = write_deals(tmp_path, ["D1,A1,Acme,Closed Won,Active", "D2,A2,Beta,Closed Lost,Inactive"],
                       header="Opportunity ID,Account ID,Account Name,Stage,Status")
    t = load_deals(path, CrmSettings())
    assert list(t.deals["outcome"]) == ["won", "lost"] and "Status" in t.extras


def test_columns_that_restate_the_outcome_or_hold_dates_are_no_icp_dimension(tmp_path):
    """A Salesforce report with Probability (%) and Forecast Category, or a Pipedrive pipeline stage, would pass
    for a perfect criterion ('Probability 100 in 4 of 4 won deals'); each is named in the notes instead."""
    rows = [f"D{i},A{i},Acme {i},{'Closed Won' if i % 2 else 'Closed Lost'},{100 if i % 2 else 0},"
            f"{'Closed' if i % 2 else 'Omitted'},2026-0{1 + i % 3}-15,Q{1 + i % 2}-2026,{('EMEA', 'NA')[i % 2]}"
            for i in range(8)]
    path = write_deals(tmp_path, rows, header="Opportunity ID,Account ID,Account Name,Stage,Probability (%),"
                                              "Forecast Category,Last Activity,Fiscal Period,Region")
    t = load_deals(path, CrmSettings())
    assert t.extras == ["Region"]
    assert [n for n in t.notes if "not used as a dimension" in n] == [
        "column 'Probability (%)' restates won or lost; not used as a dimension",
        "column 'Forecast Category' restates won or lost; not used as a dimension",
        "column 'Last Activity' holds dates or periods, no trait of a customer; not used as a dimension",
        "column 'Fiscal Period' holds dates or periods, no trait of a customer; not used as a dimension"]


def test_hubspot_outcome_flags_and_our_own_people_are_no_icp_dimension(tmp_path):
    """HubSpot's export carries "Is closed lost" (true/false), "Closed won count" and who created the deal: each
    would pass for a perfect criterion or send reps after their own colleagues. A flag under any other name that
    splits won from lost on every deal is the outcome too; a two-valued trait that does not ("Region") stays."""
    rows = [f"D{i},A{i},Acme {i},{'closedwon' if i % 2 else 'closedlost'},{'false' if i % 2 else 'true'},"
            f"{1 if i % 2 else 0},{9100 + i % 3},Ann {i % 2},{'Y' if i % 2 else 'N'},{i % 3},{('EMEA', 'NA')[i % 3 == 0]}"
            for i in range(12)]
    path = write_deals(tmp_path, rows, header="Record ID,Company ID,Associated Company,Deal Stage,Is closed lost,"
                                              "Closed won count,Created by user ID,Deal Collaborator,Signed Flag,"
                                              "Lost deals of the account,Region")
    t = load_deals(path, CrmSettings())
    assert t.extras == ["Region"]
    assert [n for n in t.notes if "not used as a dimension" in n] == [
        "column 'Created by user ID' names someone on our side (a user or an owner), no trait of a customer; not "
        "used as a dimension",
        "column 'Deal Collaborator' names someone on our side (a user or an owner), no trait of a customer; not "
        "used as a dimension",
        "column 'Is closed lost' holds one value on every won deal and the other on every lost one: a flag of the "
        "outcome; not used as a dimension",
        "column 'Closed won count' has a value (not empty, not 0) for 100% of won deals and 0% of lost ones: known "
        "after a win, it would restate the outcome; not used as a dimension",
        "column 'Signed Flag' holds one value on every won deal and the other on every lost one: a flag of the "
        "outcome; not used as a dimension",
        "column 'Lost deals of the account' names won or lost: it restates the outcome; not used as a dimension"]


def test_custom_closed_stages_with_a_reason_count_and_give_the_loss_reason(tmp_path):
    """Salesforce orgs often add the reason to the stage: 'Closed Lost - No Budget' is lost, and says why."""
    path = write_deals(tmp_path, ["D1,A1,Acme,Closed Won - Signed,,,,,", "D2,A2,Beta,Closed Lost - No Budget,,,,,",
                                  "D3,A3,Gamma,Closed Lost - Competitor,,,,,Price"])
    t = load_deals(path, CrmSettings())
    assert messages(t.problems) == []
    assert list(t.deals["outcome"]) == ["won", "lost", "lost"]
    assert list(t.deals["loss_reason"]) == ["", "No Budget", "Price"]  # the column, when filled, wins


def test_a_competitor_named_only_in_the_stage_reason_or_notes_reaches_the_competitor_column(tmp_path):
    """'Closed Lost - Went With Clarion' names the rival: it is the deal's competitor (and so a Type 2 loss), and a
    name the column holds on another row is found in free text; stand-ins ('Competitor', 'in-house build') are not
    names."""
    path = write_deals(tmp_path, [
        "D1,A1,Acme,Closed Lost - Went With Clarion,,,,,",
        "D2,A2,Beta,Closed Lost,,,,,Lost to in-house build",
        "D3,A3,Gamma,Closed Lost,,,,Forecastly,Price",
        "D4,A4,Delta,Closed Lost,,,,,They preferred forecastly's reports",
        "D5,A5,Eps,Closed Lost - Went with Competitor,,,,,",
        "D6,A6,Zeta,Closed Won,,,,,"])
    t = load_deals(path, CrmSettings())
    assert messages(t.problems) == []
    assert list(t.deals["competitor"]) == ["Clarion", "", "Forecastly", "Forecastly", "", ""]
    assert "the competitor of 2 lost deals was read from the stage, loss reason or notes (the Competitor cell was " \
           "empty)" in t.notes
    configured = load_deals(path, crm_settings({"competitors": ["In-House"]}))
    assert list(configured.deals["competitor"])[:2] == ["Clarion", "In-House"]


def test_configured_competitors_reach_the_stance_without_a_competitor_column(tmp_path):
    """[crm] competitors names rivals a CRM export has no column for; the stance reads them like the column's."""
    from winloss.stages import competitor_names

    write_deals(tmp_path, ["D1,A1,Acme,Closed Won,,,,,", "D2,A2,Beta,Closed Lost - Went with Signal,,,,,"])
    settings = Settings.model_validate_json(json.dumps({"crm": {"competitors": ["OpsGenius"]}}))
    assert competitor_names(tmp_path, settings) == ["OpsGenius", "Signal"]
    assert competitor_names(tmp_path / "no-such-study", settings) == ["OpsGenius"]


def test_stage_names_in_title_case_name_a_rival_only_where_one_is_named():
    """Title-Case stages capitalise reasons too: "Lost to Price", "Bought Elsewhere" or "Competitor - Bundled"
    (fixtures/pagerly's CRM) name no rival; a name after "lost to" does, and a known one anywhere."""
    from winloss.crm.parse import named_competitor

    for stage in ("Lost to Price", "Bought Elsewhere", "Picked The Cheaper Option", "Switched To In House Solution",
                  "Closed Lost - Selected Another Vendor", "Lost to Status Quo", "Went With Existing Provider",
                  "Competitor - Bundled", "Closed Lost - Chose Competitor (Price)"):
        assert named_competitor(stage) == "", stage
    assert named_competitor("Lost to HubSpot Sales Hub") == "HubSpot Sales Hub"
    assert named_competitor("Closed Lost - Chose Competitor (Gong)", ["Gong"]) == "Gong"


def test_a_loss_reason_is_what_it_says_beyond_who_won():
    """Ledgerlark's Payvance deals gave "OCR accuracy" and "Went with Payvance - OCR accuracy": tallied as written,
    the CRM's most given reason read as two reasons of one deal each."""
    from winloss.crm.parse import reason_given

    assert reason_given("Went with Payvance - OCR accuracy", "Payvance") == "OCR accuracy"
    assert reason_given("Lost to Payvance on price", "Payvance") == "Price"
    assert reason_given("Chose Tally (cheaper)", "Tally") == "Cheaper"
    assert reason_given("Payvance: scanning", "Payvance") == "Scanning"
    assert reason_given("Closed Lost - Competitor", "Gong") == ""
    for bare in ("Lost to competitor", "Went With Competitor", "Payvance", "Competitor", ""):
        assert reason_given(bare, "Payvance") == "", bare
    for kept in ("OCR accuracy", "Price", "Budget freeze", "Competitor pricing"):
        assert reason_given(kept, "Payvance") == kept, kept


def test_the_rival_a_lost_buyer_says_they_chose():
    from winloss.crm.parse import chosen_in_interview

    known = ["Payvance", "Tally"]
    assert chosen_in_interview("Payvance won on two things. Their capture read our invoices.", known) == "Payvance"
    assert chosen_in_interview("So in the end we went with Tally, honestly.", known) == "Tally"
    assert chosen_in_interview("We looked at Payvance and Tally, and chose Tally.", known) == "Tally"
    for none in ("the numbers in our P&L didn't tally with what we'd approved",  # a word, not the rival
                 "We didn't go with Payvance, we did nothing.", "If we had gone with Tally it would be cheaper.",
                 "We almost went with Payvance.", "We chose Payvance, and Tally won the next one.",  # two: neither
                 "We went with nobody."):
        assert chosen_in_interview(none, known) == "", none


def test_the_one_rival_a_lost_buyer_names_against_us():
    """Quillstack's L5 and L8 never say "we went with": "On the tender scoring Clausewell came out ahead on review
    speed", "Papertrail didn't charge for them". The CRM left both blank, and both counted as no decision."""
    from winloss.crm.parse import favoured_in_interview

    known = ["Clausewell", "Papertrail"]
    l5 = [("Leo is our procurement lead.", "neutral"),
          ("On the tender scoring Clausewell came out ahead on review speed by a distance.", "negative"),
          ("Quillstack was strong on approvals.", "positive")]
    assert favoured_in_interview(l5, known) == "Clausewell"
    assert favoured_in_interview([("We looked at Clausewell briefly.", "neutral"), ("Then the budget froze.",
                                                                                  "neutral")], known) == ""
    assert favoured_in_interview([("Clausewell was slower.", "positive")], known) == ""  # praise of us
    assert favoured_in_interview(l5 + [("Papertrail was cheaper.", "negative")], known) == ""  # two: neither
    assert favoured_in_interview([("The papertrail was thin.", "negative")], known) == ""  # a word, not the name
