"""The front never contradicts the appendix: each check on tables built by hand, and the front that comes back."""
from __future__ import annotations

import pandas as pd

from winloss.models import Statement
from winloss.outputs.consistency import Appendix, Cite, Claim, check, enforce, recount
from winloss.outputs.front_records import CompetitorBlock, Front, Line
from winloss.themes.drivers import Driver, Evidence
from winloss.themes.quotes import Quote


def driver(theme: str, cohort: str, stance: str, n: int, N: int, n_other: int, N_other: int, *,
           label: str = "fast setup", kind: str = "driver", quote: str = "", competitors=()) -> Driver:
    e = Evidence(theme, cohort, stance, n, N, n_other, N_other, 2.0, 0.01, 0.05)
    quotes = ()
    if quote:
        s = Statement("S1", "INT-1", cohort, "Ann", 1.0, 2.0, quote, quote, 0)
        quotes = (Quote(theme, cohort, s, 1.0),)
    return Driver(theme, label, cohort, stance, kind, e, "praised", competitors=tuple(competitors), quotes=quotes)


def losses(*rows) -> pd.DataFrame:
    """rows: (deal_id, competitor, loss_type, amount, fit)"""
    return pd.DataFrame(rows, columns=["deal_id", "competitor", "loss_type", "amount", "fit"]).assign(
        loss_reason="Price", rule="")


def win_line(theme: str, quotes=()) -> Line:
    return Line(f"{theme} wins us deals", quotes=quotes, claim=Claim("win_driver", theme))


def test_a_win_driver_must_be_praised_and_over_represented_among_wins():
    good = driver("T01", "won", "positive", 8, 10, 2, 20)
    under = driver("T02", "won", "positive", 3, 10, 12, 20)  # 30% of wins vs 60% of the others
    critic = driver("T03", "won", "negative", 8, 10, 2, 20)
    appendix = Appendix(drivers={"won": [good, under, critic]})
    front = Front(drivers=(win_line("T01"), win_line("T02"), win_line("T03"), win_line("T09")))
    found = {v.text: v.reason for v in check(front, appendix)}
    assert "T01 wins us deals" not in found
    assert "not over-represented" in found["T02 wins us deals"]
    assert "not a win driver" in found["T03 wins us deals"] and "not a win driver" in found["T09 wins us deals"]


def test_a_competitors_strength_never_appears_under_why_we_win():
    praised_rival = driver("T04", "won", "positive", 6, 10, 1, 20, label="simple demo",
                           quote="Clarion's demo was simpler, honestly.")
    also_lost = driver("T05", "won", "positive", 6, 10, 1, 20)
    appendix = Appendix(drivers={"won": [praised_rival, also_lost],
                                 "lost": [driver("T05", "lost", "negative", 4, 8, 1, 22,
                                                 competitors=[("Clarion", 3)])]},
                        competitors=("Clarion",))
    front = Front(drivers=(win_line("T04", praised_rival.quotes), win_line("T05")))
    reasons = {v.text: v.reason for v in check(front, appendix)}
    assert "names the competitor Clarion" in reasons["T04 wins us deals"]
    assert "loss driver of deals lost to Clarion" in reasons["T05 wins us deals"]


def test_a_verdict_must_agree_with_the_loss_type_table():
    table = losses(("D1", "Vaultline", 2, 100, "fit"), ("D2", "Vaultline", 2, 100, "fit"),
                   ("D3", "Vaultline", 1, 50, "no"), ("D4", "Tallyhub", 1, 10, "no"),
                   ("D5", "Tallyhub", 1, 10, "no"), ("D6", "Tallyhub", 2, 10, "fit"))
    appendix = Appendix(losses=table)

    def verdict(name: str, value: str) -> Line:
        return Line(f"{name}: {value}", claim=Claim("verdict", name, value))

    block = CompetitorBlock("x", 0, 0.0, 0, "", "", (verdict("Vaultline", "product gap"), verdict("Vaultline", "qualification"),
                                  verdict("Tallyhub", "positioning gap"), verdict("Tallyhub", "qualification"),
                                  verdict("Nobody", "product gap")))
    bad = {v.text for v in check(Front(competitors=(block,)), appendix)}
    assert bad == {"Vaultline: qualification", "Tallyhub: positioning gap", "Nobody: product gap"}


def test_every_cited_number_is_recounted_from_its_appendix_table():
    table = losses(("D1", "Vaultline", 2, 100.0, "fit"), ("D2", "Vaultline", 2, 250.0, "fit"),
                   ("D3", "Clarion", 1, 40.0, "no"))
    nurture = pd.DataFrame({"deal_id": ["D9"], "amount": [70.0], "recontact": [""]})
    appendix = Appendix(losses=table, nurture=nurture, money={"churned_arr": 500.0,
                                                              "removed_by": [{"deals": 2}]},
                        health=[{"metric": "win rate", "fit": {"n": 5, "N": 9}, "non_fit": {"n": 1, "N": 7}}])
    assert recount(appendix, Cite("losses", "Vaultline", "amount", 0)) == 350.0
    assert recount(appendix, Cite("losses", "type:1", "deals", 0)) == 1
    assert recount(appendix, Cite("money", "removed_by.0.deals", "value", 0)) == 2
    assert recount(appendix, Cite("money", "removed_by.5.deals", "value", 0)) is None
    right = Line("right", cites=(Cite("losses", "Vaultline", "deals", 2), Cite("losses", "Vaultline", "right_fit", 2),
                                 Cite("nurture", "*", "amount", 70), Cite("money", "churned_arr", "value", 500),
                                 Cite("health", "win rate", "non_fit.N", 7)))
    wrong = Line("wrong", cites=(Cite("losses", "Vaultline", "amount", 300),))
    missing = Line("missing", cites=(Cite("money", "open_pipeline", "value", 1),))
    found = check(Front(icp=(right, wrong, missing)), appendix)
    assert {v.text for v in found} == {"wrong", "missing"}
    assert "the appendix has 350" in next(v.reason for v in found if v.text == "wrong")


def test_a_contradicted_claim_is_dropped_and_the_front_says_so():
    appendix = Appendix(losses=losses(("D1", "Vaultline", 1, 10.0, "no")))
    kept = Line("kept", cites=(Cite("losses", "Vaultline", "deals", 1),))
    bad = Line("Verdict: product gap", claim=Claim("verdict", "Vaultline", "product gap"),
               cites=(Cite("losses", "Vaultline", "deals", 5),))
    front, found = enforce(Front(competitors=(CompetitorBlock("Vaultline", 1, 10.0, 0, "product gap", "Price",
                                                              (kept, bad)),),
                                 decisions=(Line("decide", cites=bad.cites, owner="Product"),)), appendix)
    assert [x.text for x in front.competitors[0].lines] == ["kept"] and front.decisions == ()
    assert len(found) == 3  # the verdict twice (number and claim), the decision once
    notes = [c for c in front.confidence if c.startswith("Left off this front")]
    assert len(notes) == 3 and any("Verdict: product gap" in n and "Type 1" in n for n in notes)


def test_a_deal_typed_no_decision_is_no_rivals_loss_wherever_it_is_counted():
    """Payloom's OPP-5211: "No decision", Competitor ADPro (it stayed with what it had). The appendix listed ADPro
    under "By competitor" while the draft counted 5 deals lost to a competitor; the loss table, the recount and the
    verdict check now all read the losses a rival took through one rule."""
    from winloss.crm.result import to_rivals

    losses = pd.DataFrame({"deal_id": ["D1", "D2", "D3", "D4"], "loss_type": [2, 3, 1, 2],
                           "competitor": ["Gustly", "ADPro", "Gustly", ""], "amount": [10.0, 20.0, 30.0, 40.0],
                           "fit": ["fit", "fit", "no", "fit"]})
    assert list(to_rivals(losses)["deal_id"]) == ["D1", "D3"]
    appendix = Appendix(losses=losses)
    assert recount(appendix, Cite("losses", "ADPro", "deals", 1)) == 0
    assert recount(appendix, Cite("losses", "Gustly", "deals", 2)) == 2
