"""Three types of loss for every closed-lost deal, by documented rules tried in order (first match wins):

1. override   [crm.loss_types.overrides] names the deal: that type.
2. profile    the deal fails a primary ICP criterion or hits a negative one: Type 1 (wrong fit).
   (LLM)      when the LLM stage is on, its reading of the loss reason and notes of a right-fit deal decides here.
3. fit words  the loss reason or notes say it was not a fit ("not a fit", "too small", ...): Type 1.
4. no-decision reason   the loss reason says budget, freeze, timing, no decision, ...: Type 3.
5. competitor the Competitor column names one: Type 2 (right fit, lost to a competitor).
6. competitor words     reason or notes say "went with", "chose", "competitor", ...: Type 2.
7. no-decision notes    the notes say budget, freeze, timing, ...: Type 3.
8. fallback   right fit, no competitor on record: Type 3 (the buyer bought nothing we know of). With no reason,
              notes or competitor at all, the rule says "nothing on record": the type is a default, not a finding, and
              such a deal is re-engaged only when its buyer's interview tells the story (crm.followup.no_decision).

Keyword lists are overridable in winloss.toml [crm.loss_types] (wrong_fit, competitor, no_decision). Free-text
notes can later be classified by the LLM stage; these keyword rules are the offline default.
"""
from __future__ import annotations

import re

from winloss.crm.settings import TYPE_NAMES, LossRules


def find_keyword(text: str, keywords: tuple[str, ...]) -> str:
    """The first keyword found as whole words in text ('' if none)."""
    lowered = text.lower()
    for keyword in keywords:
        if re.search(r"(?<!\w)" + re.escape(keyword) + r"(?!\w)", lowered):
            return keyword
    return ""


def classify_loss(deal_id: str, loss_reason: str, loss_notes: str, competitor: str, profile_failures: list[str],
                  rules: LossRules, llm: tuple[int, str] | None = None) -> tuple[int, str]:
    """(loss type, the rule that fired, in words). `llm`: the LLM stage's (type, reason) for this deal, if any."""
    if deal_id in rules.overrides:
        return rules.overrides[deal_id], "override in winloss.toml"
    if profile_failures:
        return 1, "profile: " + "; ".join(profile_failures)
    if llm is not None and llm[0] in TYPE_NAMES:
        return llm
    for source, text in (("loss reason", loss_reason), ("loss notes", loss_notes)):
        keyword = find_keyword(text, rules.wrong_fit)
        if keyword:
            return 1, f"{source} says {keyword!r}"
    keyword = find_keyword(loss_reason, rules.no_decision)
    if keyword:
        return 3, f"loss reason says {keyword!r}"
    if competitor.strip():
        return 2, f"competitor recorded: {competitor.strip()}"
    for source, text in (("loss reason", loss_reason), ("loss notes", loss_notes)):
        keyword = find_keyword(text, rules.competitor)
        if keyword:
            return 2, f"{source} says {keyword!r}"
    keyword = find_keyword(loss_notes, rules.no_decision)
    if keyword:
        return 3, f"loss notes say {keyword!r}"
    if not (loss_reason.strip() or loss_notes.strip()):
        return 3, NOTHING_ON_RECORD
    return 3, "fallback: right fit and no competitor on record"


NOTHING_ON_RECORD = "fallback: nothing on record (no loss reason, notes or competitor)"
