"""Hand-written interview-style statements with planted themes, shared by the theme-engine tests."""

PLANTED = {
    "pricing": [
        "The price went up almost forty percent at renewal and nobody warned us.",
        "Honestly it was just too expensive for a team our size.",
        "We couldn't justify the cost per seat once finance looked at it.",
        "Their pricing was double what the competitor quoted us.",
        "The renewal quote was way over our budget this year.",
        "Per-user pricing got painful as soon as we added the sales team.",
    ],
    "onboarding": [
        "Onboarding dragged on for three months before anyone was using it.",
        "The implementation took far longer than they promised in the sales process.",
        "Getting set up was painful, we needed four calls just to import our data.",
        "The onboarding specialist left halfway through our rollout.",
        "It took us ages to get the first team live on the platform.",
        "Setup and training ate up most of the first quarter.",
    ],
    "integration": [
        "The Salesforce integration kept breaking and dropping fields.",
        "We needed it to sync with HubSpot and that never worked properly.",
        "Their API was missing the endpoints our engineers needed.",
        "Data from our CRM didn't come across, the sync failed every night.",
        "The Slack integration was the main reason we picked them.",
        "Connecting it to our data warehouse required custom scripts.",
    ],
    "support": [
        "Support took days to answer a ticket, even the urgent ones.",
        "When something broke nobody from their support team got back to us.",
        "Our account manager changed three times in a year.",
        "The support people were friendly but could never fix anything.",
        "We were waiting a week for a response from customer success.",
        "Their help desk just kept closing our tickets without solving them.",
    ],
    "reporting": [
        "The dashboards were exactly what our leadership wanted to see.",
        "Reporting was too limited, we exported everything to spreadsheets.",
        "We couldn't build the custom reports our board asked for.",
        "The analytics view made it easy to track pipeline every week.",
        "Charts and reports were the feature my team used most.",
        "We needed better reporting on usage by department.",
    ],
}


def planted_rows():
    """(text, theme, interview id): each theme's statements come from different interviews."""
    rows = []
    for theme, texts in PLANTED.items():
        for i, text in enumerate(texts):
            rows.append((text, theme, f"I{i:02d}"))
    return rows
