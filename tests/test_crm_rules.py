"""The analysis rules on small hand-made tables: cohorts, segment statistics against hand-computed values, ICP
criteria and scorecard, loss types, the current-ICP diff, and rep vs buyer."""
import math

import pandas as pd
import pytest
from scipy.stats import fisher_exact

from winloss.crm.backtest import backtest
from winloss.crm.cohorts import CohortRules, score_accounts
from winloss.crm.current_icp import current_criteria, diff_icp
from winloss.crm.evidence import rep_vs_buyer, topics_of
from winloss.crm.icp import Criterion, IcpRules, assess, derive_criteria, range_label
from winloss.crm.loss_types import LossRules, classify_loss
from winloss.crm.segments import (
    EMPLOYEE_BANDS,
    UNKNOWN,
    Dimension,
    band_of,
    quartile_bands,
    segment_table,
)

EMP = Dimension("employees", "Employees", tuple(b for _, b in EMPLOYEE_BANDS), tuple(u for u, _ in EMPLOYEE_BANDS))
CRM = Dimension("crm_platform", "CRM platform")


def accounts(rows):
    cols = ["retention_status", "nps", "days_to_first_value", "support_tickets_per_month"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows])


def test_cohort_score_by_hand():
    table = score_accounts(accounts([
        ("expanded", 9, 20, 1),      # 2 + 1 + 1 + 0 = 4 -> best
        ("active", 10, 25, 2),       # 1 + 1 + 1 = 3 -> best
        ("active", 8, 60, 2),        # 1 -> average
        ("contracted", 9, 20, 1),    # -1 + 1 + 1 = 1 -> average
        ("active", 5, 120, 6),       # 1 - 1 - 1 - 1 = -2 -> problematic
        ("churned", 10, 10, 0),      # churned is problematic whatever else
        ("expanded", math.nan, math.nan, math.nan),  # 2, missing inputs score 0 -> average
    ]), CohortRules())
    assert table["score"].tolist() == [4, 3, 1, 1, -2, -1, 2]
    assert table["cohort"].tolist() == ["best", "best", "average", "average", "problematic", "problematic",
                                        "average"]


def test_cohort_thresholds_are_overridable_and_nps_on_a_hundred_scale():
    rules = CohortRules(best_min=2)
    table = score_accounts(accounts([("expanded", 60, 50, 1), ("active", -20, 50, 1)]), rules)
    assert table["score"].tolist() == [3, 0]  # NPS 60 on the -100..100 scale is a promoter, -20 a detractor
    assert table["cohort"].tolist() == ["best", "average"]


def test_bands():
    assert [band_of(v, EMPLOYEE_BANDS) for v in (5, 10, 11, 200, 201, 1000, 1001, 10**6)] == [
        "1-10", "1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+"]
    assert band_of(math.nan, EMPLOYEE_BANDS) == UNKNOWN
    bands = quartile_bands(pd.Series([10_000, 20_000, 30_000, 40_000, 50_000]))
    assert [label for _, label in bands] == ["<=20k", "20k-30k", "30k-40k", ">40k"]


def test_segment_statistics_match_hand_computed_fisher():
    # 10 closed deals on one dimension: Salesforce 4 won / 1 lost, HubSpot 1 won / 4 lost.
    values = pd.DataFrame({"crm_platform": ["Salesforce"] * 5 + ["HubSpot"] * 5})
    outcome = pd.Series(["won"] * 4 + ["lost"] + ["won"] + ["lost"] * 4)
    acc_values = pd.DataFrame({"crm_platform": ["Salesforce"] * 4 + ["HubSpot"]})
    cohort = pd.Series(["best", "best", "best", "problematic", "problematic"])
    retention = pd.Series(["active", "expanded", "active", "churned", "churned"])
    table = segment_table([CRM], values, outcome, acc_values, cohort, retention).set_index("value")
    sf = table.loc["Salesforce"]
    assert (sf["won"], sf["lost"], sf["win_rate"]) == (4, 1, 0.8)
    assert sf["p_win"] == pytest.approx(fisher_exact([[4, 1], [1, 4]])[1])
    assert sf["p_win"] == pytest.approx(0.2063492, abs=1e-6)  # (C(5,4)C(5,1)*2 + 2) / C(10,5) = 52/252
    assert (sf["best"], sf["problematic"], sf["retained"], sf["known"]) == (3, 1, 3, 4)
    assert sf["p_best"] == pytest.approx(fisher_exact([[3, 1], [0, 1]])[1])
    hs = table.loc["HubSpot"]
    assert hs["retention"] == 0.0 and hs["churned"] == 1
    # BH over the two identical p-values leaves them unchanged
    assert sf["q_win"] == pytest.approx(sf["p_win"])


def test_range_labels():
    assert range_label(EMP, ("201-500", "501-1000")) == "Employees 201-1000"
    assert range_label(EMP, ("1001-5000", "5001+")) == "Employees 1001+"
    assert range_label(EMP, ("51-200",)) == "Employees 51-200"
    assert range_label(CRM, ("HubSpot", "Pipedrive")) == "CRM platform: HubSpot or Pipedrive"


def planted():
    """20 won accounts: 10 best (all Salesforce, 201-1000 employees), 10 problematic (mostly HubSpot, small)."""
    emp = ["201-500", "501-1000"] * 5 + ["11-50", "51-200"] * 4 + ["201-500", "51-200"]
    crm = ["Salesforce"] * 10 + ["HubSpot"] * 6 + ["Salesforce"] * 4
    acc = pd.DataFrame({"employees": emp, "crm_platform": crm})
    cohort = pd.Series(["best"] * 10 + ["problematic"] * 10)
    deals = acc.copy()
    outcome = pd.Series(["won"] * 20)
    lost = pd.DataFrame({"employees": ["11-50"] * 4 + ["501-1000"] * 8,
                         "crm_platform": ["HubSpot"] * 4 + ["Salesforce"] * 4 + ["HubSpot"] * 4})
    return acc, cohort, pd.concat([deals, lost], ignore_index=True), pd.concat([outcome, pd.Series(["lost"] * 12)],
                                                                                ignore_index=True)


def test_criteria_recover_a_planted_profile_with_evidence_and_weights():
    acc, cohort, deals, outcome = planted()
    criteria = derive_criteria([EMP, CRM], acc, cohort, deals, outcome, IcpRules())
    by_label = {c.label: c for c in criteria}
    emp = by_label["Employees 201-1000"]
    assert (emp.kind, emp.n, emp.N, emp.n_other, emp.N_other) == ("primary", 10, 10, 1, 10)
    assert emp.p_value == pytest.approx(fisher_exact([[10, 0], [1, 9]])[1])
    sf = by_label["CRM platform: Salesforce"]
    assert (sf.kind, sf.n, sf.n_other) == ("primary", 10, 4)
    assert by_label["CRM platform: HubSpot"].kind == "negative"
    assert by_label["Employees 11-200"].kind == "negative"
    assert sum(c.weight for c in criteria if c.kind != "negative") == 100
    # weights follow the gap, doubled for primary: 0.9 vs 0.6 -> 60 and 40
    assert (emp.weight, sf.weight) == (60, 40)
    assert all(c.weight == -50 for c in criteria if c.kind == "negative")


def planted_with_platform():
    """planted(), with an ecommerce platform: Shopify in 1 of the 10 best customers and 3 of the 10 problematic."""
    acc, cohort, deals, outcome = planted()
    platform = Dimension("x:platform", "Ecommerce Platform", kind="technographic")
    acc["x:platform"] = ["Shopify"] + ["Woo"] * 9 + ["Shopify"] * 3 + ["Woo"] * 7
    deals["x:platform"] = list(acc["x:platform"]) + ["Woo"] * 12
    return acc, cohort, deals, outcome, platform


def test_a_disqualifier_within_chance_ranks_lower_and_never_gates():
    """1 of 10 best customers against 3 of 10 problematic ones run Shopify (Fisher p 0.29): a disqualifier that
    would make the whole gate a hypothesis beside criteria at p 0.005. It lowers the score, it disqualifies nobody;
    the HubSpot disqualifier (0 of 10 against 6 of 10) stays in the gate."""
    acc, cohort, deals, outcome, platform = planted_with_platform()
    criteria = {c.label: c for c in derive_criteria([EMP, CRM, platform], acc, cohort, deals, outcome, IcpRules())}
    shopify = criteria["Ecommerce Platform: Shopify"]
    assert shopify.kind == "negative" and shopify.p_value > 0.05 and not shopify.gate
    assert criteria["CRM platform: HubSpot"].gate
    _, failures = assess(pd.DataFrame({"employees": ["501-1000"], "crm_platform": ["Salesforce"],
                                       "x:platform": ["Shopify"]}), list(criteria.values()))
    assert failures[0] == []  # right fit: the weak disqualifier only ranks


def test_a_ranking_criterion_within_chance_earns_no_points_unless_its_deals_lose_beyond_chance():
    """Beside criteria at p 0.0001 a ranking disqualifier at p 0.58 would move deals between bands on a difference
    this sample could show by chance: it gets 0 points and is listed to test. The same disqualifier whose closed
    deals lose beyond chance (its second test) keeps its points."""
    acc, cohort, deals, outcome, platform = planted_with_platform()
    criteria = {c.label: c for c in derive_criteria([EMP, CRM, platform], acc, cohort, deals, outcome, IcpRules())}
    shopify = criteria["Ecommerce Platform: Shopify"]
    assert not shopify.beyond_chance and shopify.weight == 0
    assert criteria["Employees 201-1000"].beyond_chance and criteria["Employees 201-1000"].weight == 60
    assert sum(c.weight for c in criteria.values() if c.kind != "negative") == 100

    # twenty more Shopify deals, all lost
    losing = pd.concat([deals, deals.iloc[[0] * 20].assign(employees="51-200")], ignore_index=True)
    lost = pd.concat([outcome, pd.Series(["lost"] * 20)], ignore_index=True)
    again = {c.label: c for c in derive_criteria([EMP, CRM, platform], acc, cohort, losing, lost, IcpRules())}
    shopify = again["Ecommerce Platform: Shopify"]
    assert shopify.p_value > 0.05 and shopify.deals_p <= 0.05 and shopify.deals_edge < 0
    assert shopify.beyond_chance and shopify.weight < 0


def test_scorecard_fit_and_backtest():
    acc, cohort, deals, outcome = planted()
    criteria = derive_criteria([EMP, CRM], acc, cohort, deals, outcome, IcpRules())
    rows = pd.DataFrame({"employees": ["501-1000", "11-50", UNKNOWN, "11-50"],
                         "crm_platform": ["Salesforce", "HubSpot", "Salesforce", "Salesforce"]})
    scores, failures = assess(rows, criteria)
    assert scores.tolist() == [100, 0, 40, 0]  # 0: 0 - 50 - 50 clamped; 0: 40 - 50 clamped; unknown earns nothing
    assert failures[0] == [] and failures[2] == []
    assert failures[3] == [
        "fails Employees 201-1000", "hits negative Employees 11-200"]
    scores = pd.Series([100, 100, 60, 0, 40, 100])
    result = backtest(scores, pd.Series(["won", "won", "won", "lost", "lost", "lost"]), pd.Series([100, 0]),
                      pd.Series(["best", "problematic"]), IcpRules())
    assert (result["wins_at_or_above_a"], result["wins"], result["losses_below_b"], result["losses"]) == (2, 3, 2, 3)
    assert [(b["band"], b["won"], b["lost"], b["best"], b["problematic"]) for b in result["bands"]] == [
        ("A", 2, 1, 1, 0), ("B", 1, 0, 0, 0), ("C", 0, 2, 0, 1)]


def test_a_criterion_that_repeats_a_stronger_one_is_dropped():
    acc, cohort, deals, outcome = planted()
    revenue = Dimension("annual_revenue", "Annual revenue", ("small", "mid"), (1, 2))
    acc["annual_revenue"] = ["mid" if e in ("201-500", "501-1000") else "small" for e in acc["employees"]]
    deals["annual_revenue"] = ["mid" if e in ("201-500", "501-1000") else "small" for e in deals["employees"]]
    labels = [c.label for c in derive_criteria([EMP, revenue, CRM], acc, cohort, deals, outcome, IcpRules())]
    assert "Employees 201-1000" in labels and not any(label.startswith("Annual revenue") for label in labels)


def test_too_few_customers_falls_back_to_won_vs_lost_deals():
    acc, cohort, deals, outcome = planted()
    criteria = derive_criteria([EMP, CRM], acc, pd.Series([""] * 20), deals, outcome, IcpRules())
    assert criteria and {c.group for c in criteria} == {"won deals"}


def test_deal_attributes_are_never_criteria():
    acc, cohort, deals, outcome = planted()
    amount = Dimension("amount", "Deal amount", ("<=1", ">1"), (1, math.inf))
    acc["amount"] = ["<=1"] * 10 + [">1"] * 10
    deals["amount"] = ["<=1"] * len(deals)
    assert all(c.key != "amount" for c in derive_criteria([amount], acc, cohort, deals, outcome, IcpRules()))


RULES = LossRules()


@pytest.mark.parametrize("args,expected", [
    (("D1", "Price", "", "Clarion", ["fails Employees 201-1000"]), (1, "profile: fails Employees 201-1000")),
    (("D2", "Not a fit", "", "", []), (1, "loss reason says 'not a fit'")),
    (("D3", "Budget freeze", "", "Clarion", []), (3, "loss reason says 'budget'")),
    (("D4", "Price", "", "Clarion", []), (2, "competitor recorded: Clarion")),
    (("D5", "Price", "Went with a cheaper tool", "", []), (2, "loss notes says 'went with'")),
    (("D6", "Other", "Went dark after the pilot", "", []), (3, "loss notes say 'went dark'")),
    (("D7", "Price", "", "", []), (3, "fallback: right fit and no competitor on record")),
])
def test_loss_type_rules_in_order(args, expected):
    assert classify_loss(*args, RULES) == expected


def test_loss_type_overrides_keywords_and_llm_reading():
    rules = LossRules(overrides={"D4": 3}, no_decision=["Procurement"])
    assert classify_loss("D4", "Price", "", "Clarion", [], rules) == (3, "override in winloss.toml")
    assert classify_loss("D8", "Procurement stalled", "", "", [], rules) == (3, "loss reason says 'procurement'")
    assert classify_loss("D9", "Price", "", "", [], RULES, (2, "LLM reading of loss notes: chose Clarion")) == (
        2, "LLM reading of loss notes: chose Clarion")
    # the profile still comes first: a wrong-fit deal stays Type 1 whatever the notes say
    assert classify_loss("D9", "Price", "", "", ["fails X"], RULES, (2, "LLM"))[0] == 1


def test_current_icp_diff():
    crit = [Criterion("primary", "employees", "Employees", ("201-500", "501-1000"), "Employees 201-1000", 9, 10, 1,
                      10, "best customers", "problematic customers"),
            Criterion("primary", "crm_platform", "CRM platform", ("Salesforce",), "CRM platform: Salesforce", 10, 10,
                      4, 10, "best customers", "problematic customers"),
            Criterion("negative", "industry", "Industry", ("Retail",), "Industry: Retail", 0, 10, 5, 10,
                      "best customers", "problematic customers")]
    current = {"criteria": [{"dimension": "Employees", "min": 201, "max": 1000},
                            {"dimension": "crm platform", "values": ["salesforce"]},
                            {"dimension": "Industry", "values": ["Software"], "kind": "primary"},
                            {"dimension": "Funding stage", "values": ["Series B"]}]}
    converted, messages = current_criteria(current, [EMP, CRM, Dimension("industry", "Industry")])
    assert messages == ["current ICP criterion on 'Funding stage': no such column in the CRM data; not compared"]
    assert converted[0].values == ("201-500", "501-1000")
    rows = diff_icp(converted, crit)
    assert [(r["change"], r["current"], r["proposed"]) for r in rows] == [
        ("kept", "CRM platform: salesforce (primary)", "CRM platform: Salesforce (primary)"),
        ("kept", "Employees 201-1000 (primary)", "Employees 201-1000 (primary)"),
        ("added", "", "Industry: Retail (negative)"),
        ("dropped", "Industry: Software", ""),
    ]


def test_rep_vs_buyer_flags_a_disagreement_and_quotes_the_buyer():
    themes = pd.DataFrame({"theme_id": ["T01", "T02"], "label": ["Budget freeze stopped the project",
                                                                 "Per-seat price too high"],
                           "keywords": ["freeze; budget", "price; seats"]})
    statements = pd.DataFrame({
        "interview_id": ["I1", "I1", "I2"], "theme_id": ["T01", "T01", "T02"], "cohort": ["lost"] * 3,
        "text": ["Our CEO froze all new spend in June.", "It got a not now.", "Your quote was double theirs."]})
    quotes = pd.DataFrame({"theme_id": ["T01", "T02"], "cohort": ["lost", "lost"], "interview_id": ["I1", "I2"],
                           "speaker": ["Ann", "Bo"], "start": [12.0, None],
                           "quote": ["Our CEO froze all new spend in June.", "Your quote was double theirs."]})
    per = {"I1": {"T01": 2}, "I2": {"T02": 1}}
    rows = rep_vs_buyer([{"interview_id": "I1", "deal_id": "D1", "reason": "Price"},
                         {"interview_id": "I2", "deal_id": "D2", "reason": "Price"},
                         {"interview_id": "I2", "deal_id": "D3", "reason": "Other"}], per, themes, statements, quotes)
    assert [r["status"] for r in rows] == ["disagree", "agree", "cannot tell"]
    assert rows[0]["buyer_topics"] == ["timing and budget"]
    assert rows[0]["quotes"][0]["quote"] == "Our CEO froze all new spend in June."
    assert topics_of("Missing feature: dashboards") == ["product gaps"]
    # a buyer who says "not now" in the words of the trade agrees with a "Timing" reason (Wrenchline's L9)
    assert topics_of("It's July. I'm not changing anything in the busy season.") == ["timing and budget"]
    assert topics_of("Not really. Call me in November.") == ["timing and budget"]


def test_a_rivals_capability_told_by_the_buyer_is_the_missing_feature_the_rep_recorded():
    """Wrenchline's Bayview: CRM "Missing Feature", and the buyer: "JobRoute lets the tech show a monthly payment".
    The feature has no word of the topic's list, yet what a named rival's product does is a product gap; a rival
    named with its price is not, and neither is a lowercase common noun that happens to be a rival's name."""
    rivals = frozenset({"JobRoute", "Crew"})
    said = "Financing, right in the quote. JobRoute lets the tech show a monthly payment on a new system."
    assert "product gaps" in topics_of(said, rivals) and "product gaps" not in topics_of(said)
    assert topics_of("Crew has a mobile app the techs actually open.", rivals) == ["product gaps"]
    assert topics_of("We went with Crew because it was cheaper.", rivals) == ["price"]
    assert topics_of("Honestly the Crew has been fine to deal with.", rivals) == []
    statements = pd.DataFrame({"interview_id": ["I1"], "theme_id": ["T01"], "cohort": ["lost"], "text": [said]})
    themes = pd.DataFrame({"theme_id": ["T01"], "label": ["Financing in the quote"], "keywords": ["financing"]})
    quotes = pd.DataFrame({"theme_id": ["T01"], "cohort": ["lost"], "interview_id": ["I1"], "speaker": ["Sandra"],
                           "start": [13.0], "quote": [said]})
    pair = [{"interview_id": "I1", "deal_id": "D1", "reason": "Missing Feature"}]
    assert rep_vs_buyer(pair, {"I1": {"T01": 1}}, themes, statements, quotes, rivals)[0]["status"] == "agree"
    assert rep_vs_buyer(pair, {"I1": {"T01": 1}}, themes, statements, quotes)[0]["status"] == "disagree"
    # the rep's "Bundled" and the buyer's "OpsGenius was zero extra" are one topic (Pagerly)
    assert topics_of("Bundled") == topics_of("OpsGenius was zero extra on our enterprise agreement.") == ["price"]
