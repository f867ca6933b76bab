"""CRM exports in the layouts of real public datasets: Maven Analytics' CRM sales pipeline (deals with close_value,
an accounts file keyed by name with the firmographics), a Salesforce export whose renewals are told only by the
opportunity name, and one with too few closed deals. Each case is a layout a user's export really has."""
from datetime import date
from pathlib import Path

import pandas as pd
from test_crm_load import (
    EMPTY_QUOTES,
    EMPTY_THEMES,
    analyse,
    crm_settings,
    good_rows,
    write_deals,
)

from winloss.crm import analyse_crm
from winloss.crm.followup import nurture, recontact, unrecorded
from winloss.crm.loss_types import NOTHING_ON_RECORD
from winloss.crm.narrative import summary
from winloss.crm.ranges import Range, range_text
from winloss.models import Interview
from winloss.outputs.front import appendix_of
from winloss.outputs.front_followup import no_decision_section

MAVEN_DEALS = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value"
MAVEN_ACCOUNTS = "account,sector,year_established,revenue,employees,office_location,subsidiary_of"


def maven_study(tmp_path: Path, n: int = 40) -> Path:
    """Maven's layout: a lost deal's close_value is 0, the firmographics sit on accounts.csv only, and the
    account is the join key by name; a few open deals are Engaging or Prospecting."""
    rows, accounts = [], [MAVEN_ACCOUNTS]
    for i in range(n):
        won = i % 3 != 0
        big = i % 2 == 0  # the larger accounts win more often: the employees criterion to find
        won = won or big
        rows.append(f"{i:08X},Agent {i % 5},GTX Basic,Account {i},{'Won' if won else 'Lost'},2016-10-{1 + i % 28:02d},"
                    f"2017-0{1 + i % 6}-{1 + i % 27:02d},{1000 + 37 * i if won else 0}")
        accounts.append(f"Account {i},{'retail' if i % 4 else 'medical'},{1980 + i % 30},{100.5 + i},"
                        f"{5000 + i if big else 100 + i},United States,")
    rows += ["OPEN0001,Agent 1,GTX Basic,Account 1,Engaging,2017-03-01,,",
             "OPEN0002,Agent 2,GTX Basic,Account 2,Prospecting,2017-03-02,,"]
    write_deals(tmp_path, rows, MAVEN_DEALS)
    (tmp_path / "crm" / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    return tmp_path


def test_a_value_filled_only_once_won_is_the_amount_and_never_a_criterion(tmp_path):
    """close_value is Maven's deal amount. Set to 0 on every lost deal, it would split won from lost perfectly and
    become the whole ICP ("close_value 40+: 142 of 142 won vs 0 of 32 lost"): it is named in the notes instead."""
    result = analyse(maven_study(tmp_path))
    assert result.deals["amount"].max() > 1000  # read as the amount
    assert not any(d.key == "amount" for d in result.dims)
    assert not any("close" in c.label.lower() for c in result.criteria)
    assert ("column 'close_value' has a value (not empty, not 0) for 100% of won deals and 0% of lost ones: known "
            "after a win, it would restate the outcome; not used as a dimension") in result.notes
    assert set(result.deals.loc[result.deals["deal_id"].str.startswith("OPEN"), "excluded"]) == {"open"}
    assert not [p for p in result.problems if "unknown stage" in str(p)]


def test_a_column_only_lost_deals_fill_is_no_criterion_but_a_sparse_signal_is(tmp_path):
    """A "Lost Reason Detail" only lost deals have restates the loss; a partner named on 5 of 10 won deals and 1 of
    10 lost ones may be the signal itself, and stays a candidate."""
    header = "Opportunity ID,Account Name,Stage,Close Date,Lost Reason Detail,Partner"
    rows = [f"D{i},Acme {i},{'Closed Won' if i % 2 == 0 else 'Closed Lost'},2025-0{1 + i % 9}-10,"
            f"{'' if i % 2 == 0 else ['Price', 'Timing', 'Features'][i % 3]},"
            f"{'Northwind' if (i % 4 == 0) or i == 1 else ''}" for i in range(20)]
    write_deals(tmp_path, rows, header)
    result = analyse(tmp_path)
    labels = {d.label for d in result.dims}
    assert "Lost Reason Detail" not in labels and "Partner" in labels
    assert ("column 'Lost Reason Detail' has a value (not empty, not 0) for 0% of won deals and 100% of lost ones: "
            "known after a loss, it would restate the outcome; not used as a dimension") in result.notes


def test_firmographics_only_the_accounts_file_holds_are_joined_by_account_name(tmp_path):
    """Maven keeps employees, revenue and sector on accounts.csv, keyed by its `account` column; the deals carry
    none, so they are the deals' dimensions, and the employees split is found. A year is banded as years."""
    result = analyse(maven_study(tmp_path))
    labels = {d.label: d for d in result.dims}
    assert {"sector", "employees", "revenue", "year_established"} <= set(labels)
    assert [c.label for c in result.criteria] == ["employees 5,000+"]
    assert all("k" not in b for b in labels["year_established"].order)  # 1988-1995, not 2k
    year = labels["year_established"]
    assert year.unit == "year" and range_text(Range(1992, 2005, 0, 0, 0, 0), year.unit) == "1992-2005"  # not 1,992
    assert not [p for p in result.problems if "Account ID or Account Name" in str(p)]


def test_losses_with_nothing_on_record_are_counted_and_not_re_engaged(tmp_path):
    """With no loss reason, notes or competitor column, a lost deal is typed no decision only by default: the
    draft says so, and nurture.csv lists only the losses whose buyer was interviewed."""
    study = maven_study(tmp_path)
    lost = analyse(study).closed.query("outcome == 'lost'")
    interviewed = lost["deal_id"].iloc[0]
    (study / "transcripts").mkdir()
    interviews = [Interview(interview_id="INT-1", cohort="lost", file=study / "transcripts" / "a.txt", row=2,
                            deal_id=interviewed, date="2026-07-09")]
    statements = pd.DataFrame({"statement_id": ["S1"], "interview_id": ["INT-1"], "cohort": ["lost"],
                               "speaker": ["Buyer"], "start": [0.0], "end": [1.0], "theme_id": [""],
                               "text": ["Budget froze in June, so reach out in January and we will look again."]})
    result = analyse_crm(study, interviews, statements, EMPTY_THEMES, EMPTY_QUOTES, crm_settings({}))
    closed_lost = result.closed[result.closed["outcome"] == "lost"]
    assert set(closed_lost["loss_rule"]) <= {NOTHING_ON_RECORD, "loss notes say 'budget'"}
    table = nurture(result.deals, fit_known=False, as_of="")
    assert list(table["deal_id"]) == [interviewed]
    # "in January", said in a July 2026 interview, is January 2027, not the January after the 2017 close
    assert list(table["recontact"]) == ["2027-01-01"]
    assert unrecorded(result.deals) == len(closed_lost) - 1
    # a 2017 export beside a 2026 interview: the draft says they describe different times
    assert any(n.startswith("the interviews (2026-07-09 to 2026-07-09) were held 9 or more years after the last deal")
               for n in result.notes)
    assert f"{len(closed_lost) - 1} of the {len(closed_lost)} no-decision losses have nothing on record" \
        in summary(result)


def test_renewals_told_only_by_the_deal_name_stay_out(tmp_path):
    """Without a Type column, "Company_099 Inc - Renewal" is still an existing customer's deal."""
    header = "opp_id,account_id,opp_name,amount,stage,close_date,lead_source"
    rows = [f"O{i},A{i},Company_{i:03d} Corp - {'New Business' if i < 12 else ['Renewal', 'Upsell'][i % 2]},"
            f"{1000 + i},{'Closed Won' if i % 2 == 0 else 'Closed Lost'},2025-0{1 + i % 9}-10,"
            f"{'Referral' if i % 2 == 0 else 'Outbound'}" for i in range(16)]
    write_deals(tmp_path, rows, header)
    result = analyse(tmp_path)
    excluded = dict(zip(result.deals["deal_id"], result.deals["excluded"]))
    assert [excluded[f"O{i}"] for i in range(12, 16)] == ["existing customer"] * 4
    assert excluded["O0"] == ""
    write_deals(tmp_path, ["P1,A1,Tech Innovators Upgrade,500,Closed Won,2025-01-10,Referral",
                           "P2,A2,Warehouse Expansion Project,500,Closed Lost,2025-01-11,Referral"], header)
    projects = analyse(tmp_path).deals  # a project's name, no tag after a dash: new business
    assert list(projects["excluded"]) == ["", ""]
    assert ("4 deals are with existing customers (named in opp_name: Renewal 2, Upsell 2) and stay out of the "
            "analysis: win rates, criteria and the nurture list are about new customers") in result.notes


def test_too_few_closed_deals_set_no_criterion(tmp_path):
    """One won and one lost deal share nothing but chance: no criterion, and the 60-second version says why."""
    header = "Opportunity ID,Account Name,Stage,Close Date,Lead Source"
    write_deals(tmp_path, ["D1,Acme,Closed Won,2025-01-10,Referral", "D2,Beta,Closed Lost,2025-02-10,Outbound",
                           "D3,Gamma,Closed Won,2025-03-10,Referral"], header)
    result = analyse(tmp_path)
    assert result.criteria == []
    why = ("3 closed deals (2 won, 1 lost) are too few to set any criterion on: at least 10 with 3 of each are "
           "needed")
    assert why in result.notes and why in summary(result)


def test_re_contact_dates_of_next_year():
    assert recontact("call back in Q2 next year", date(2026, 1, 15)) == (date(2027, 4, 1),
                                                                          "call back in Q2 next year")
    assert recontact("revisit in March of next year", date(2026, 1, 15))[0] == date(2027, 3, 1)
    assert recontact("revisit in March", date(2026, 1, 15))[0] == date(2026, 3, 1)


def test_the_front_counts_losses_nobody_recorded(tmp_path):
    """The front's no-decision section names the losses with nothing on record rather than re-engaging them."""
    result = analyse(maven_study(tmp_path))
    lines, rows = no_decision_section(result, appendix_of(result, {}))
    assert rows == ()
    assert lines[0].text.startswith("No deal lost to no decision is left to re-engage.")
    assert "were lost with nothing on record (no loss reason, notes, competitor or interview)" in lines[0].text


def test_customers_missing_from_a_one_year_deals_export_are_one_problem(tmp_path):
    """A deals export of one year leaves every older customer of accounts.csv without a won deal: one problem that
    names the first rows and counts them all, not a line per account."""
    write_deals(tmp_path, good_rows())
    lines = ["Account ID,Starting ARR,Current ARR"] + [f"OLD{i},100,100" for i in range(40)]
    (tmp_path / "crm" / "accounts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = [str(p) for p in analyse(tmp_path).problems]
    assert text == ["accounts.csv row 2 (OLD0), accounts.csv row 3 (OLD1), accounts.csv row 4 (OLD2) ... (40 rows): "
                    "no Closed Won deal for these accounts in deals.csv; their customer-success data is not used"]
