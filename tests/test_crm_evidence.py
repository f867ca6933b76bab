"""Which quotes back a CRM criterion: a quote must be about the criterion's topic."""


def test_a_quote_is_about_company_size_when_it_counts_heads_not_when_it_says_people():
    """"Pagerly's review template walks people through it" was quoted under "Employees up to 420", and so were
    "our app team is small, three people" and "our sales team is about forty-five people": a team's size is not the
    company's, and an analyst reading "Employees 120-700" above "about sixty reps" would not sign it."""
    from winloss.crm.evidence import mentions_topic
    from winloss.crm.icp import Criterion

    size = Criterion("primary", "employees", "Employees", (), "Employees up to 420", 5, 9, 1, 8, "won deals",
                     "lost deals")
    assert not mentions_topic("And our sales team is about forty-five people.", size)
    assert not mentions_topic("Our app team is small, three people, and nobody has missed a page.", size)
    assert not mentions_topic("About sixty reps, mostly field.", size)
    assert mentions_topic("We have 200 employees across two offices.", size)
    assert mentions_topic("We're about 300 people. The sales team is twelve.", size)
    assert not mentions_topic("Pagerly's review template walks people through it.", size)
    assert not mentions_topic("Pages went to the wrong people.", size)
