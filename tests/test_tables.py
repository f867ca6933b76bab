"""Spreadsheets as users save them (issue 17): every layout of the demo study's tables gives byte-identical outputs to
the clean CSVs; unreadable rows are named; two files for one table is an error naming both."""
import json
import sys
from datetime import datetime

import pytest
from conftest import DEMO, ROOT
from openpyxl import Workbook

from winloss.crm import analyse_crm
from winloss.crm.load import load_deals
from winloss.crm.parse import parse_employees, parse_number
from winloss.crm.settings import CrmSettings
from winloss.interviews.study import StudyError, read_manifest
from winloss.tables import TableError, find_table, read_table

sys.path.insert(0, str(ROOT / "fixtures" / "spreadsheets"))
from layouts import (  # the export layouts live with the fixtures; the benchmark uses them too
    copy_demo,
    european_csv,
    plain_xlsx,
    read,
    salesforce_csv,
    salesforce_xlsx,
    unicode_text,
)

COMPARED = ("statements.csv", "themes.csv", "theme_cohorts.csv", "quotes.csv", "loss_types.csv", "segments.csv",
            "icp.json", "report.md", "heatmap.png")
INTERVIEWS, DEALS, ACCOUNTS = (read(DEMO / p) for p in ("interviews.csv", "crm/deals.csv", "crm/accounts.csv"))


def known(*names):
    return lambda cells: sum(c.lower() in names for c in cells)


def write(path, data: bytes | str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


# --- the demo study in every layout ------------------------------------------------------------------------------

def layout_xlsx(study):
    """Salesforce Formatted Reports (.xlsx), deals on a named second sheet; interviews.xlsx typed by Excel."""
    plain_xlsx(study / "interviews.xlsx", *INTERVIEWS)
    salesforce_xlsx(study / "crm" / "deals.xlsx", *DEALS, "Closed Opportunities FY26", sheet="Opportunities")
    salesforce_xlsx(study / "crm" / "accounts.xlsx", *ACCOUNTS, "Customer Health")
    write(study / "winloss.toml", '[crm]\nsheet = { deals = "Opportunities" }\n')


def layout_europe(study):
    """Excel in most of Europe: sep=; line, ;-separated, Windows-1252, decimal commas, dotted dates."""
    for rel, table in (("interviews.csv", INTERVIEWS), ("crm/deals.csv", DEALS), ("crm/accounts.csv", ACCOUNTS)):
        write(study / rel, european_csv(*table))


def layout_salesforce_csv(study):
    """Salesforce Details Only CSV with its footer; Excel "Unicode Text" (UTF-16, tabs) for the others."""
    write(study / "interviews.txt", unicode_text(*INTERVIEWS))
    write(study / "crm" / "deals.csv", salesforce_csv(*DEALS, "Closed Opportunities FY26"))
    write(study / "crm" / "accounts.tsv", unicode_text(*ACCOUNTS))


LAYOUTS = {"xlsx": layout_xlsx, "europe": layout_europe, "salesforce_csv": layout_salesforce_csv}


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def layout_run(request, tmp_path_factory):
    from winloss.pipeline import run

    study = copy_demo(DEMO, tmp_path_factory.mktemp(request.param) / "demo")
    LAYOUTS[request.param](study)
    return request.param, run(study, study.parent / "out")


def test_every_layout_gives_byte_identical_outputs(layout_run, demo_run):
    name, result = layout_run
    assert result.problems == [], result.problems
    for output in COMPARED:
        same = (result.out_dir / output).read_bytes() == (demo_run.out_dir / output).read_bytes()
        assert same, f"{name}: {output} differs from the clean CSV run"


def test_run_json_says_how_each_table_was_read(layout_run):
    name, result = layout_run
    inputs = {i["file"]: i for i in json.loads((result.out_dir / "run.json").read_text())["inputs"]}
    if name == "xlsx":
        assert set(inputs) == {"interviews.xlsx", "deals.xlsx", "accounts.xlsx"}
        deals = inputs["deals.xlsx"]
        assert deals["sheet"] == "Opportunities" and deals["header_row"] == 4
        assert deals["title_rows"][0] == "Closed Opportunities FY26"
        assert [f.split(": ", 1)[1] for f in deals["footer_rows"]] == [
            "Total", "Confidential Information - Do Not Distribute",
            "Copyright © 2000-2026 salesforce.com, inc. All rights reserved."]
        assert inputs["accounts.xlsx"]["sheet"] == "Sheet"
    elif name == "europe":
        for i in inputs.values():
            assert (i["separator"], i["header_row"]) == (";", 1)
        assert inputs["accounts.csv"]["encoding"] == "cp1252"  # its euro signs; the others are plain ASCII
        assert inputs["deals.csv"]["decimal_comma"] and inputs["accounts.csv"]["decimal_comma"]
    else:
        assert inputs["interviews.txt"]["separator"] == "tab" and inputs["interviews.txt"]["encoding"] == "utf-16"
        deals = inputs["deals.csv"]
        assert (deals["separator"], deals["header_row"], deals["title_rows"]) == (",", 1, [])
        assert deals["footer_rows"][:2] == [f"row {len(DEALS[1]) + 3}: Grand Totals ({len(DEALS[1])} records)",
                                            f"row {len(DEALS[1]) + 5}: Closed Opportunities FY26"]
        assert len(deals["footer_rows"]) == 6


# --- dialects --------------------------------------------------------------------------------------------------

def test_excel_europe_line_and_decimal_commas(tmp_path):
    path = write(tmp_path / "deals.csv", "sep=;\nOpportunity ID;Stage;Amount;Employees\nD1;Closed Won;1.234,56;1.200\n"
                 "D2;Closed Lost;12,5 %;40\n".encode("cp1252"))
    table = read_table(path, known("opportunity id", "stage"))
    assert table.source.separator == ";" and table.source.decimal_comma
    assert table.rows == [(2, ["D1", "Closed Won", "1.234,56", "1.200"]), (3, ["D2", "Closed Lost", "12,5 %", "40"])]
    deals = load_deals(path, CrmSettings()).deals.set_index("deal_id")
    assert deals.loc["D1", "amount"] == 1234.56 and deals.loc["D2", "amount"] == 12.5
    assert deals.loc["D1", "employees"] == 1200


def test_semicolons_with_point_decimals_are_not_decimal_commas(tmp_path):
    path = write(tmp_path / "deals.csv", "Opportunity ID;Stage;Amount\nD1;Closed Won;1234.50\nD2;Closed Lost;1,5\n")
    assert not read_table(path, known("stage")).source.decimal_comma


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_separator_is_detected_with_quoted_separators_inside_cells(tmp_path, sep):
    rows = [["interview_id", "cohort", "file"], ["I1", "won", f"a{sep}b.txt"], ["I2", "lost", "c.txt"]]
    text = "\n".join(sep.join(f'"{c}"' if sep in c else c for c in r) for r in rows) + "\n"
    table = read_table(write(tmp_path / "interviews.csv", text), known("interview_id", "cohort", "file"))
    assert table.source.separator == sep
    assert table.rows[0] == (2, ["I1", "won", f"a{sep}b.txt"])


def test_hubspot_style_title_rows_blank_rows_and_trailing_separators(tmp_path):
    text = ("Deals closed last quarter,,,\nDate range: 2026-07-01 to 2026-09-30,,,\n,,,\n"
            "Record ID,Deal Name,Deal Stage,Amount,\n101,Acme,closedwon,500,\n,,,,\n102,Beta,closedlost,700,\n")
    table = read_table(write(tmp_path / "deals.csv", text), known("record id", "deal stage", "amount"))
    assert table.header == ["Record ID", "Deal Name", "Deal Stage", "Amount"]
    assert table.source.header_row == 4
    assert table.source.title_rows == ("Deals closed last quarter", "Date range: 2026-07-01 to 2026-09-30")
    assert table.rows == [(5, ["101", "Acme", "closedwon", "500"]), (7, ["102", "Beta", "closedlost", "700"])]


def test_a_deal_named_total_is_data_and_a_grand_total_row_is_not(tmp_path):
    text = ("Opportunity ID,Opportunity Name,Stage,Amount\nD1,Total Wine & More,Closed Won,500\nD2,Beta,Closed Lost,"
            "700\nGrand Totals (2 records),,,1200\n")
    table = read_table(write(tmp_path / "deals.csv", text), known("opportunity id", "stage"))
    assert [r[1][1] for r in table.rows] == ["Total Wine & More", "Beta"]
    assert table.source.footer_rows == ((4, "Grand Totals (2 records)"),)


def test_one_cell_last_row_without_a_footer_marker_stays(tmp_path):
    text = "interview_id,cohort,file\nI1,won,a.txt\nI2\n"
    table = read_table(write(tmp_path / "interviews.csv", text), known("interview_id", "cohort", "file"))
    assert table.rows[-1] == (3, ["I2", "", ""]) and table.source.footer_rows == ()


# --- workbooks -------------------------------------------------------------------------------------------------

def test_xlsx_cells_read_as_the_csv_would_hold_them(tmp_path):
    book = Workbook()
    ws = book.active
    ws.append(["Opportunity ID", "Close Date", "Amount", "Tickets", "Won?", "Formula"])
    ws.append(["D1", datetime(2026, 3, 5), 61000.0, 0.6, True, "=C2*2"])
    ws.append(["D2", datetime(2026, 3, 5, 14, 30), 12, None, False, None])
    book.save(tmp_path / "deals.xlsx")
    table = read_table(tmp_path / "deals.xlsx", known("opportunity id", "close date"))
    # A formula saved by a program that does not calculate has no cached value: it reads as empty.
    assert table.rows == [(2, ["D1", "2026-03-05", "61000", "0.6", "TRUE", ""]),
                          (3, ["D2", "2026-03-05 14:30:00", "12", "", "FALSE", ""])]
    assert table.source.sheet == "Sheet" and table.source.format == "xlsx"


def test_a_missing_sheet_names_the_sheets_there(tmp_path):
    (tmp_path / "crm").mkdir()
    salesforce_xlsx(tmp_path / "crm" / "deals.xlsx", *DEALS, "Closed", sheet="Opportunities")
    result = analyse_crm(tmp_path, [], *([None] * 3), CrmSettings(sheet="Deals"))
    expected = (f"{tmp_path / 'crm' / 'deals.xlsx'}: no sheet 'Deals' (sheets: Summary, Opportunities); "
                "fix [crm] sheet in winloss.toml")
    assert [str(p) for p in result.problems] == [expected]


def test_a_file_that_is_no_workbook_is_named(tmp_path):
    write(tmp_path / "crm" / "deals.xlsx", b"PK\x03\x04 not really a zip")
    result = analyse_crm(tmp_path, [], *([None] * 3), CrmSettings())
    assert len(result.problems) == 1 and "not a readable .xlsx workbook" in str(result.problems[0])


# --- bad rows and files ----------------------------------------------------------------------------------------

def test_an_unclosed_quote_is_named_and_the_rows_after_it_load(tmp_path):
    text = ('interview_id,cohort,file\nI1,won,a.txt\nI2,"lost,b.txt\nI3,churned,c.txt\nI4,won,"d\n.txt"\n'
            "I5,lost,e.txt\n")
    table = read_table(write(tmp_path / "interviews.csv", text), known("interview_id", "cohort", "file"))
    assert [str(p) for p in table.problems] == [
        "interviews.csv row 3: unreadable row (a quote opened in this row is never closed); row skipped"]
    # A quoted cell spanning two lines is one row, as in Excel.
    assert table.rows == [(2, ["I1", "won", "a.txt"]), (4, ["I3", "churned", "c.txt"]),
                          (5, ["I4", "won", "d\n.txt"]), (6, ["I5", "lost", "e.txt"])]


def test_bad_manifest_rows_are_named_and_the_rest_loads(tmp_path):
    for name in ("a.txt", "b.txt"):
        write(tmp_path / name, "Dana: hi\n")
    write(tmp_path / "interviews.csv", 'interview_id;cohort;file\nI1;won;a.txt\nI2;"lost;x\nI3;lost;b.txt;extra\n')
    manifest = read_manifest(tmp_path)
    assert [i.interview_id for i in manifest.interviews] == ["I1", "I3"]
    assert [str(p) for p in manifest.problems] == [
        "interviews.csv row 3: unreadable row (a quote opened in this row is never closed); row skipped",
        "interviews.csv row 4: 4 cells but 3 columns; extra cells ignored"]
    assert manifest.listed == 3


def test_manifest_headers_as_a_person_types_them_in_excel(tmp_path):
    """'Interview ID', 'Outcome', 'Transcript', 'Company Name': the columns are found case-, space- and
    punctuation-blind and by their common names, with a title row above the header."""
    for name in ("a.txt", "b.txt"):
        write(tmp_path / name, "Dana: hi\n")
    write(tmp_path / "interviews.csv", "Q3 win/loss interviews,,,,\nInterview ID,Outcome,Transcript,Interviewer,"
                                       "Company Name\nI1,Closed Won,a.txt,Dana,Acme\nI2,Churned,b.txt,Dana,Beta\n")
    manifest = read_manifest(tmp_path)
    assert [(i.interview_id, i.cohort, i.file.name, i.interviewers, i.company) for i in manifest.interviews] == [
        ("I1", "won", "a.txt", ("Dana",), "Acme"), ("I2", "churned", "b.txt", ("Dana",), "Beta")]
    write(tmp_path / "interviews.csv", "Interview ID,Notes\nI1,good\n")
    with pytest.raises(StudyError, match=r"missing required column\(s\) cohort, file \(found: Interview ID, Notes\)"):
        read_manifest(tmp_path)


def test_manifest_paths_and_cohorts_as_people_write_them(tmp_path):
    """A Windows path (`transcripts\\a.txt`), a bare file name kept in transcripts/, and an outcome with its reason
    ('Closed Lost - Competitor', 'Won (renewal)'); 'churn risk' is no cohort and is named."""
    for name in ("a.txt", "b.txt", "c.txt"):
        write(tmp_path / "transcripts" / name, "Dana: hi\n")
    write(tmp_path / "interviews.csv", "interview_id,cohort,file\nI1,Closed Lost - Competitor,transcripts\\a.txt\n"
                                       "I2,Won (renewal),b.txt\nI3,churn risk,c.txt\nI4,won,d.txt\n"
                                       "I5,Former Customer,a.txt\n")
    manifest = read_manifest(tmp_path)
    assert [(i.interview_id, i.cohort, i.file.name) for i in manifest.interviews] == [
        ("I1", "lost", "a.txt"), ("I2", "won", "b.txt"), ("I5", "churned", "a.txt")]
    assert [str(p) for p in manifest.problems] == [
        "interviews.csv row 4: unknown cohort 'churn risk' for I3; use won, lost or churned",
        "interviews.csv row 5: file not found: d.txt (interview I4)"]


def test_two_files_for_one_table_is_an_error_naming_both(tmp_path):
    write(tmp_path / "interviews.csv", "interview_id,cohort,file\n")
    plain_xlsx(tmp_path / "interviews.xlsx", ["interview_id", "cohort", "file"], [])
    with pytest.raises(StudyError, match=r": interviews\.csv and interviews\.xlsx are both the interviews table; keep one"):
        read_manifest(tmp_path)
    write(tmp_path / "crm" / "deals.csv", ",".join(DEALS[0]) + "\n")
    plain_xlsx(tmp_path / "crm" / "Deals.xlsx", *DEALS)
    result = analyse_crm(tmp_path, [], *([None] * 3), CrmSettings())
    assert [str(p) for p in result.problems] == [
        f"{tmp_path / 'crm'}: Deals.xlsx and deals.csv are both the deals table; keep one and rerun"]
    assert not result.usable


def test_an_old_excel_workbook_is_refused_with_what_to_do(tmp_path):
    write(tmp_path / "crm" / "deals.xls", b"\xd0\xcf\x11\xe0")
    with pytest.raises(TableError, match=r"deals\.xls: an Excel 97-2003 workbook is not read; save it as \.xlsx"):
        find_table(tmp_path / "crm", "deals")
    assert find_table(tmp_path / "crm", "accounts") is None


def test_decimal_comma_numbers():
    assert parse_number("1.234,56", decimal_comma=True) == 1234.56
    assert parse_number("12,5 %", decimal_comma=True) == 12.5
    assert parse_number("17.800,00 €", decimal_comma=True) == 17800
    assert parse_number("-3,25", decimal_comma=True) == -3.25
    assert parse_number("1,234.56") == 1234.56  # unchanged without the dialect
    assert parse_employees("1.200", decimal_comma=True) == 1200
    with pytest.raises(ValueError):
        parse_employees("1,5", decimal_comma=True)


def test_interview_dates_become_iso_whatever_the_locale_wrote(tmp_path):
    for name in ("a.txt", "b.txt", "c.txt"):
        write(tmp_path / name, "Dana: hi\n")
    write(tmp_path / "interviews.csv", "interview_id;cohort;file;date\nI1;won;a.txt;07.07.2026\n"
                                       "I2;lost;b.txt;13/07/2026\nI3;lost;c.txt;sometime in July\n")
    dates = [i.date for i in read_manifest(tmp_path).interviews]
    assert dates == ["2026-07-07", "2026-07-13", "sometime in July"]  # a non-date stays as written


def test_the_sheet_setting_is_a_name_or_one_per_table(tmp_path):
    from winloss.errors import ConfigError
    from winloss.settings import load_settings

    write(tmp_path / "winloss.toml", '[crm]\nsheet = { deals = "Opportunities" }\n')
    assert load_settings(tmp_path).crm.sheet.deals == "Opportunities"
    write(tmp_path / "winloss.toml", '[crm]\nsheet = "Report"\n')
    assert load_settings(tmp_path).crm.sheet == "Report"
    write(tmp_path / "winloss.toml", '[crm]\nsheet = { deal = "Opportunities" }\n')
    with pytest.raises(ConfigError, match="sheet"):
        load_settings(tmp_path)
