"""Which quotes back a CRM criterion: a quote must be about the criterion's topic."""


def test_a_quote_is_about_company_size_when_it_counts_heads_not_when_it_says_people():
    """"Pagerly's review template walks people through it" was quoted under "Employees up to 420"."""
    from winloss.crm.evidence import mentions_topic
    from winloss.crm.icp import Criterion

    size = Criterion("primary", "employees", "Employees", (), "Employees up to 420", 5, 9, 1, 8, "won deals",
                     "lost deals")
    assert mentions_topic("And our sales team is about forty-five people.", size)
    assert mentions_topic("Our app team is small, three people, and nobody has missed a page.", size)
    assert mentions_topic("We have 200 employees across two offices.", size)
    assert not mentions_topic("Pagerly's review template walks people through it.", size)
    assert not mentions_topic("Pages went to the wrong people.", size)
