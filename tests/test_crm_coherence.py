"""A draft that contradicts itself is rejected (crm/coherence.py), and the gate decides wrong fit: a weak
behavioural disqualifier alone lowers the score but never makes a deal Type 1 (issue 18)."""
import pandas as pd
import pytest

from winloss.crm.coherence import ContradictoryDraft, check_coherent, contradictions
from winloss.crm.icp import Criterion, IcpRules, assess
from winloss.crm.loss_types import LossRules, classify_loss
from winloss.crm.segments import raw_column

RULES = IcpRules()


def crit(kind, key, label, n, N, n_other, N_other, values=(), low=None, high=None, exclusive=False, **kw):
    dimension = {"employees": "Employees", "crm_platform": "CRM platform", "lead_source": "Lead source"}[key]
    return Criterion(kind, key, dimension, values, label, n, N, n_other, N_other, "best customers",
                     "problematic customers", low=low, high=high, exclusive=exclusive, deals_lost=kw.pop("lost", 5),
                     **kw)


def test_the_reported_bad_draft_is_rejected():
    """The draft from the issue: employees both a secondary 201-5000 and a negative 1001-5000, and a primary
    present in too few best customers."""
    bad = [crit("primary", "crm_platform", "CRM platform: Salesforce", 15, 40, 2, 20, values=("Salesforce",)),
           crit("secondary", "employees", "Employees 201-5000", 30, 40, 4, 20, low=201, high=5000),
           crit("negative", "employees", "Employees 1001-5000", 2, 40, 9, 20, low=1001, high=5000)]
    found = contradictions(bad, RULES)
    assert "Employees 201-5000 (secondary) overlaps the negative Employees 1001-5000" in found
    assert any(f.startswith("primary CRM platform: Salesforce holds for only 15 of 40") for f in found)
    with pytest.raises(ContradictoryDraft, match="contradicts itself"):
        check_coherent(bad, RULES)


@pytest.mark.parametrize("criteria,expected", [
    ([crit("primary", "crm_platform", "CRM platform: Salesforce", 38, 40, 2, 20, values=("Salesforce",)),
      crit("negative", "crm_platform", "CRM platform: Salesforce or HubSpot", 0, 40, 9, 20,
           values=("Salesforce", "HubSpot"))], "overlaps the negative"),
    ([crit("negative", "lead_source", "Lead source: Webinar", 8, 40, 9, 20, values=("Webinar",))],
     "holds for 8 of 40 best customers"),
    ([crit("negative", "lead_source", "Lead source: Webinar", 0, 40, 0, 20, values=("Webinar",), lost=0)],
     "holds for no problematic customers and no lost deal"),
    ([crit("primary", "employees", "Employees 120-700", 38, 40, 2, 20, low=120, high=700),
      crit("secondary", "employees", "Employees 150-600", 30, 40, 2, 20, low=150, high=600)],
     "2 positive criteria on Employees"),
])
def test_each_kind_of_contradiction(criteria, expected):
    with pytest.raises(ContradictoryDraft) as raised:
        check_coherent(criteria, RULES)
    assert any(expected in p for p in raised.value.problems), raised.value.problems


def test_a_tail_beside_its_range_is_not_a_contradiction():
    good = [crit("primary", "employees", "Employees 120-700", 38, 40, 2, 20, low=120, high=700),
            crit("negative", "employees", "Employees under 120", 0, 40, 12, 20, high=120, exclusive=True)]
    assert contradictions(good, RULES) == []


def scorecard():
    return [crit("primary", "employees", "Employees 120-700", 38, 40, 2, 20, low=120, high=700, weight=60,
                 gate=True, category="firmographic"),
            crit("primary", "crm_platform", "CRM platform: Salesforce", 40, 40, 8, 20, values=("Salesforce",),
                 weight=40, gate=True, category="technographic"),
            crit("negative", "crm_platform", "CRM platform: HubSpot", 0, 40, 9, 20, values=("HubSpot",),
                 weight=-50, gate=True, category="technographic"),
            crit("negative", "lead_source", "Lead source: Paid Search", 0, 40, 9, 20, values=("Paid Search",),
                 weight=-10, gate=False, category="behavioural")]


def test_a_behavioural_disqualifier_alone_never_makes_a_deal_wrong_fit():
    deals = pd.DataFrame({raw_column("employees"): [300.0, 300.0, 60.0, 300.0],
                          "employees": ["201-500", "201-500", "51-200", "201-500"],
                          "crm_platform": ["Salesforce", "Salesforce", "Salesforce", "HubSpot"],
                          "lead_source": ["Paid Search", "Referral", "Referral", "Referral"]})
    scores, failures = assess(deals, scorecard())
    assert scores.tolist() == [90, 100, 40, 10]  # paid search only ranks lower: 100 - 10
    assert failures == [[], [], ["fails Employees 120-700"], ["fails CRM platform: Salesforce",
                                                                "hits negative CRM platform: HubSpot"]]
    rules = LossRules()
    # a right-fit paid-search loss with no competitor and a budget reason is Type 3, not wrong fit
    assert classify_loss("D1", "Budget freeze", "", "", failures[0], rules) == (3, "loss reason says 'budget'")
    assert classify_loss("D3", "Price", "", "Tallyhub", failures[2], rules) == (1, "profile: fails Employees 120-700")
