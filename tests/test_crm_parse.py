"""CRM export parsing: column names of Salesforce and HubSpot, stages, numbers, employee counts, dates."""
from datetime import date

import pytest

from winloss.crm.columns import (
    ACCOUNT_FIELDS,
    DEAL_FIELDS,
    normalise_header,
    resolve_columns,
)
from winloss.crm.parse import (
    classify_stage,
    date_order_note,
    day_first,
    parse_date,
    parse_employees,
    parse_number,
)
from winloss.crm.settings import StageNames

SALESFORCE = ["Opportunity ID", "Opportunity Name", "Account ID", "Account Name", "Stage", "Close Date",
              "Created Date", "Amount", "Closed Lost Reason", "Competitor", "Industry", "Employees",
              "Annual Revenue", "Billing Country", "Lead Source", "CRM Platform", "Opportunity Owner", "Segment Tier"]
HUBSPOT = ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Create Date", "Amount", "Closed Lost Reason",
           "Associated Company IDs", "Associated Company", "Number of Employees", "Country/Region",
           "Original Source", "Deal owner"]


def test_header_normalisation_folds_case_camel_case_and_punctuation():
    assert normalise_header("NumberOfEmployees") == "number of employees"
    assert normalise_header("number_of_employees") == "number of employees"
    assert normalise_header(" Country/Region ") == "country region"
    assert normalise_header("StageName") == "stage name"


def test_salesforce_report_columns_are_recognised_and_extras_kept():
    colmap, errors = resolve_columns(SALESFORCE, DEAL_FIELDS)
    assert errors == []
    assert colmap.fields["deal_id"] == "Opportunity ID"
    assert colmap.fields["stage"] == "Stage"
    assert colmap.fields["loss_reason"] == "Closed Lost Reason"
    assert colmap.fields["employees"] == "Employees"
    assert colmap.fields["country"] == "Billing Country"
    assert colmap.fields["crm_platform"] == "CRM Platform"
    assert colmap.fields["owner"] == "Opportunity Owner"
    assert colmap.extras == ("Segment Tier",)


def test_hubspot_export_columns_are_recognised():
    colmap, errors = resolve_columns(HUBSPOT, DEAL_FIELDS)
    assert errors == []
    assert colmap.fields["deal_id"] == "Record ID"
    assert colmap.fields["stage"] == "Deal Stage"
    assert colmap.fields["created_date"] == "Create Date"
    assert colmap.fields["account_id"] == "Associated Company IDs"
    assert colmap.fields["account_name"] == "Associated Company"
    assert colmap.fields["employees"] == "Number of Employees"
    assert colmap.fields["country"] == "Country/Region"
    assert colmap.fields["lead_source"] == "Original Source"
    assert colmap.extras == ()


def test_winloss_toml_mapping_overrides_and_bad_mappings_are_named():
    colmap, errors = resolve_columns(["Deal #", "Outcome", "Stage"], DEAL_FIELDS,
                                     {"deal_id": "Deal #", "stage": "Outcome", "industry": "Sector"})
    assert colmap.fields["deal_id"] == "Deal #"
    assert colmap.fields["stage"] == "Outcome"
    assert "Stage" in colmap.extras  # the mapped column wins; the other stays a candidate dimension
    assert len(errors) == 1 and "industry = 'Sector'" in errors[0] and "no such column" in errors[0]
    _, errors = resolve_columns(["x"], DEAL_FIELDS, {"colour": "x"})
    assert "colour is not a known field" in errors[0]


def test_account_columns():
    colmap, _ = resolve_columns(["Account ID", "Retention Status", "Starting ARR", "Current ARR", "NPS",
                                 "Days to First Value", "Support Tickets per Month"], ACCOUNT_FIELDS)
    assert set(colmap.fields) == {"account_id", "retention_status", "starting_arr", "current_arr", "nps",
                                  "days_to_first_value", "support_tickets_per_month"}


@pytest.mark.parametrize("value,expected", [
    ("Closed Won", "won"), ("closedwon", "won"), ("CLOSED - WON", "won"), ("Closed Lost", "lost"),
    ("closedlost", "lost"), ("Negotiation/Review", "open"), ("appointmentscheduled", "open"),
    ("Won-ish", "unknown"), ("Signed!", "won"), ("Closed Lost - No Decision", "lost"), ("Closed Won (Renewal)", "won"),
    ("Closed Lost: Competitor", "lost"), ("Lost Cause", "unknown")])
def test_stage_classification(value, expected):
    assert classify_stage(value) == expected


def test_stage_names_can_be_added_in_settings():
    assert classify_stage("Verbal yes") == "unknown"
    assert classify_stage("Verbal yes", StageNames(won=["Verbal Yes"])) == "won"


@pytest.mark.parametrize("value,expected", [
    ("$1,200,000", 1_200_000.0), ("1.2M", 1_200_000.0), ("45 000", 45_000.0), ("EUR 3k", 3_000.0), ("", None),
    ("12.5%", 12.5), ("28,800.00 USD", 28_800.0), ("(1,200.00)", -1_200.0), ("$ -", None),
    ("--", None)])
def test_numbers(value, expected):
    assert parse_number(value) == expected


def test_non_numbers_raise():
    with pytest.raises(ValueError, match="not a number"):
        parse_number("lots")


@pytest.mark.parametrize("value,expected", [("1,200", 1200.0), ("51-200", 125.5), ("10000+", 10000.0),
                                            ("", None)])
def test_employee_counts(value, expected):
    assert parse_employees(value) == expected


def test_bad_employee_counts_raise():
    for bad in ("about fifty", "-3"):
        with pytest.raises(ValueError):
            parse_employees(bad)


def test_dates_in_many_formats():
    assert parse_date("2026-03-15", False) == date(2026, 3, 15)
    assert parse_date("2026-03-15T10:32:00Z", False) == date(2026, 3, 15)
    assert parse_date("2026-03-15 10:32", False) == date(2026, 3, 15)
    assert parse_date("2026/03/15", False) == date(2026, 3, 15)
    assert parse_date("3/15/2026", False) == date(2026, 3, 15)
    assert parse_date("15/03/2026", True) == date(2026, 3, 15)
    assert parse_date("15.03.26", True) == date(2026, 3, 15)
    assert parse_date("15 Mar 2026", False) == date(2026, 3, 15)
    assert parse_date("March 15th, 2026", False) == date(2026, 3, 15)
    assert parse_date("46096", False) == date(2026, 3, 15)  # Excel serial day
    assert parse_date("", False) is None
    with pytest.raises(ValueError, match="not a date"):
        parse_date("sometime in spring", False)
    with pytest.raises(ValueError, match="not a date"):
        parse_date("2/30/2026", False)


def test_day_order_is_decided_once_per_column():
    assert day_first(["3/4/2026", "13/4/2026"]) is True
    assert day_first(["3/4/2026", "4/13/2026"]) is False
    assert day_first(["3/4/2026"]) is False
    assert day_first(["3/4/2026"], default=True) is True
    assert day_first(["03.04.2026"]) is True
    assert day_first(["2026-04-03"]) is False


def test_dotted_dates_are_day_first_even_in_a_month_first_column():
    assert parse_date("15.03.2026", False) == date(2026, 3, 15)
    assert parse_date("03/15/2026", False) == date(2026, 3, 15)


def test_a_fractional_headcount_is_refused_not_guessed():
    with pytest.raises(ValueError, match="not a whole number of employees"):
        parse_employees("1.200")
    assert parse_employees("1,200") == 1200


def test_a_date_column_whose_order_is_a_guess_is_said():
    assert date_order_note(["11/4/2025", "3/5/2026", "2026-01-02"], False).startswith(
        "2 date(s) such as 11/4/2025 could be day or month first and nothing in the column says which; read month")
    assert date_order_note(["11/4/2025", "21/11/2025"], True) == ""  # 21/11 settles the column
    assert date_order_note(["1/1/2025", "2025-04-11", ""], False) == ""
