"""Pure parsers for the values found in CRM exports: stages, numbers, employee counts, dates."""
from __future__ import annotations

import re
from datetime import date, datetime

from winloss.crm.settings import StageNames

WON_STAGES = {"closed won", "closedwon", "won", "closed won won", "closed/won", "signed", "closed - won"}
LOST_STAGES = {"closed lost", "closedlost", "lost", "closed/lost", "closed - lost", "closed no decision",
               "closed disqualified"}
# Open pipeline stages of the default Salesforce and HubSpot pipelines (and Close's `active` status): not closed,
# so outside the analysis.
OPEN_STAGES = {"prospecting", "qualification", "needs analysis", "value proposition", "id decision makers",
               "perception analysis", "proposal price quote", "negotiation review", "appointmentscheduled",
               "appointment scheduled", "qualifiedtobuy", "qualified to buy", "presentationscheduled",
               "presentation scheduled", "decisionmakerboughtin", "decision maker bought in", "contractsent",
               "contract sent", "discovery", "demo", "proposal", "negotiation", "open", "active",
               # Maven's CRM dataset, Pipedrive's and Zoho's default pipelines
               "engaging", "proposal sent", "proposal made", "qualified", "contact made", "demo scheduled",
               "needs defined", "negotiations started", "evaluation", "trial", "proof of concept", "commit",
               "closing", "verbal", "identify decision makers", "new"}


def stage_key(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", value.lower()).strip()


_REASON = re.compile(r"\s[-–—]\s|[(:/]")  # 'Closed Lost - No Decision', 'Closed Won (Renewal)': a reason follows


def stage_reason(value: str) -> str:
    """The reason a custom stage adds ('No Decision' of 'Closed Lost - No Decision'), or ''."""
    parts = _REASON.split(value, maxsplit=1)
    return parts[1].strip(" )") if len(parts) == 2 else ""


# "Went with X" in a stage, a loss reason or a note: X is a competitor when it is a name, not the status quo or a
# stand-in ("Went With Competitor", "lost to in-house build", "chose to wait").
_NAME = r"([A-Z][\w&.'+-]*(?:\s+[A-Z][\w&.'+-]*){0,2})"
_CHOSE = re.compile(r"\b(?i:lost to|went with|chose|selected|signed with|switched to|moved to|picked|bought)\s+"
                    r"(?i:the\s+)?" + _NAME)
# Stage names are Title Case, so a capital proves nothing: what follows "lost to" is often a reason or a stand-in
# ("Lost to Price", "Bought Elsewhere", "Switched To In House Solution"), never a rival's name.
_NOT_A_NAME = {"a", "an", "another", "other", "competitor", "competitors", "competition", "vendor", "alternative",
               "incumbent", "in-house", "internal", "inhouse", "in", "build", "status", "nothing", "none", "nobody",
               "no", "spreadsheet", "spreadsheets", "excel", "cheaper", "budget", "to", "not", "them", "us", "someone",
               "existing", "current", "legacy", "homegrown", "diy", "unknown", "n/a", "tbd", "their", "our",
               "elsewhere", "price", "pricing", "cost", "timing", "features", "feature", "different", "one", "own",
               "manual", "paper", "do"}


def named_competitor(text: str, known: list[str] | tuple[str, ...] = ()) -> str:
    """The competitor a stage, loss reason or note names: one of `known` (the Competitor column's and [crm]
    competitors, first in text order), else the name after "went with" / "lost to" ...; '' when it names none."""
    lowered = text.lower()
    hits = [(m.start(), name) for name in known if name
            for m in [re.search(r"(?<![\w])" + re.escape(name.lower()) + r"(?![\w])", lowered)] if m]
    if hits:
        return min(hits)[1]
    # "Competitor - Bundled" (fixtures/pagerly's CRM) is a reason after the word, as often as a name: only a name
    # the column or [crm] competitors knows is read there (above)
    for m in _CHOSE.finditer(text):
        words = m.group(1).split()
        while words and words[-1].lower().strip(".") in _NOT_A_NAME | {"because", "due", "for", "on", "after"}:
            words.pop()
        if words and words[0].lower() not in _NOT_A_NAME:
            return " ".join(words).rstrip(".,;")
    return ""


def chosen_in_interview(text: str, known: list[str] | tuple[str, ...]) -> str:
    """The rival a lost buyer says they chose ("we went with Payvance", "Payvance won on two things"), one of
    `known` written as a name (capitalised as the CRM writes it: "the numbers didn't tally" names no Tally); '' when
    they name none, or two."""
    named = set()
    for name in known:
        rival = r"(?-i:" + re.escape(name.strip()) + r")"
        said = re.finditer(rf"\b(?:{_CHOICE})\s+(?:the\s+)?{rival}(?![\w])|(?<![\w]){rival}\s+"
                           r"(?:won|got the deal|got the contract|was the pick)\b", text, re.IGNORECASE)
        # "we didn't go with Payvance", "if we'd gone with Tally" choose nobody
        if name.strip() and any(not _UNSAID.search(text[max(0, m.start() - 24):m.start()]) for m in said):
            named.add(name.strip())
    return named.pop() if len(named) == 1 else ""


def favoured_in_interview(statements: list[tuple[str, str]], known: list[str] | tuple[str, ...]) -> str:
    """The rival a lost buyer favours without saying they chose it ("On the tender scoring Clausewell came out ahead",
    "Papertrail didn't charge for them"): the only one of `known` they name (as a name, as `chosen_in_interview`
    reads it), named in a statement read against us. statements: (text, stance). '' when they name none, two, or
    only in passing (stances neutral or for us)."""
    stances = {}
    for name in {n.strip() for n in known if n.strip()}:
        pattern = re.compile(r"(?-i:" + re.escape(name) + r")(?![\w])")
        said = [stance for text, stance in statements if pattern.search(text)]
        if said:
            stances[name] = said
    if len(stances) != 1:
        return ""
    [(name, said)] = stances.items()
    return name if "negative" in said else ""


_UNSAID = re.compile(r"(?:n't|\bnot|\bnever|\bif|\balmost|\bnearly|\bconsidered|\bthought about)\W+(?:\w+\W+){0,2}$",
                     re.IGNORECASE)


_CHOICE = (r"went with|go with|going with|gone with|chose|choose|picked|selected|signed with|bought|switched to|"
           r"moved to|decided on|settled on|ended up with")
_LOST_TO = r"(?:lost to|went with|chose|selected|signed with|switched to|moved to|picked|bought)"
_JOINER = re.compile(r"^(?:[-\u2013\u2014:,/(]|\bon\b|\bfor\b|\bover\b|\bbecause(?: of)?\b|\bdue to\b)\s*",
                     re.IGNORECASE)


def reason_given(reason: str, competitor: str) -> str:
    """What a loss reason says beyond who won the deal: "OCR accuracy" of "Went with Payvance - OCR accuracy";
    '' for "Lost to competitor" or the rival's name alone. Tallied as written, one reason reads as two."""
    rest = reason.strip()
    rival = "|".join(re.escape(n) for n in (competitor.strip(), "a competitor", "competitor", "competition") if n)
    m = re.match(rf"(?:closed lost\s*[-\u2013\u2014:]\s*)?(?:{_LOST_TO}\s+(?:the\s+)?)?(?:{rival})(?![\w])\s*",
                 rest, re.IGNORECASE)
    after = rest[m.end():] if m else ""
    if m and (not after or _JOINER.match(after)):  # "Competitor pricing" is a reason of its own
        rest = _JOINER.sub("", after).strip(" )")
    return rest[:1].upper() + rest[1:]


def classify_stage(value: str, extra: StageNames | None = None) -> str:
    """'won', 'lost', 'open' or 'unknown'. `extra` ([crm.stages] in winloss.toml) adds names per outcome. A custom
    stage that adds a reason to a known one ('Closed Lost - Competitor') is that stage."""
    extra = extra or StageNames()
    for key in dict.fromkeys((stage_key(value), stage_key(_REASON.split(value, maxsplit=1)[0]))):
        for outcome, builtin in (("won", WON_STAGES), ("lost", LOST_STAGES), ("open", OPEN_STAGES)):
            names = {stage_key(s) for s in builtin} | {stage_key(s) for s in getattr(extra, outcome)}
            if key in names:
                return outcome
    return "unknown"


_SUFFIX = {"k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9}
# Compiled once: a 50,000-row export parses 150,000 numbers.
_BLANKS = re.compile(r"[\s\u00a0\u202f]")
_UNITS = re.compile(r"^[A-Z]{3}|[$€£]|[A-Z]{3}$|%$")
_NUMBER = re.compile(r"([-+]?\d[\d,]*(?:\.\d+)?)(k|m|mm|b|bn)?", flags=re.IGNORECASE)
_NO_VALUE = {"-", "--", "—", "–"}  # Excel's accounting format shows an empty or zero amount as a dash
_RANGE = re.compile(r"(\d+)\s*(?:-|–|to)\s*(\d+)")
_AT_LEAST = re.compile(r"(\d+)\s*\+")


def parse_number(value: str, decimal_comma: bool = False) -> float | None:
    """'$1,200,000', '1.2M', '45 000', '12.5%' -> float; '' -> None; anything else raises ValueError.
    decimal_comma (a ;-separated export from a European Excel): '1.234,56' -> 1234.56, '12,5 %' -> 12.5."""
    text = _BLANKS.sub("", value)
    if not text or _UNITS.sub("", text).lower() in _NO_VALUE:
        return None
    negative = text.startswith("(") and text.endswith(")")  # accounting format: (1,200.00) is -1200
    if negative:
        text = text[1:-1]
    if decimal_comma:
        text = text.replace(".", "").replace(",", ".")
    match = _NUMBER.fullmatch(_UNITS.sub("", text))
    if not match:
        raise ValueError(f"not a number: {value!r}")
    number = float(match.group(1).replace(",", ""))
    number = number * _SUFFIX[match.group(2).lower()] if match.group(2) else number
    return -number if negative else number


def parse_employees(value: str, decimal_comma: bool = False) -> float | None:
    """Employee counts as exported: '1,200', '51-200' (a range: its midpoint), '10000+' (its lower bound); with
    decimal_comma '1.200' is 1200."""
    text = value.strip().replace("." if decimal_comma else ",", "")
    range_match = _RANGE.fullmatch(text)
    if range_match:
        low, high = int(range_match.group(1)), int(range_match.group(2))
        return (low + high) / 2
    plus = _AT_LEAST.fullmatch(text)
    if plus:
        return float(plus.group(1))
    number = parse_number(value, decimal_comma)
    if number is not None and number < 0:
        raise ValueError(f"negative employee count: {value!r}")
    if number is not None and number != int(number):
        # '1.200' is 1200 in much of Europe and 1.2 in the US: refuse to guess a headcount.
        raise ValueError(f"not a whole number of employees: {value!r} (write it without separators, e.g. 1200)")
    return number


def plain_number(value: str) -> str:
    """A decimal-comma number written the way the rest of winloss reads numbers ('1.234,5' -> '1234.5'); any other
    text unchanged. For the free columns of a ;-separated export, which become dimensions."""
    if re.fullmatch(r"[-+]?\d{1,3}(?:\.\d{3})+(?:,\d+)?|[-+]?\d+,\d+", value):
        return value.replace(".", "").replace(",", ".")
    return value


_NUMERIC_DATE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?:[ T].*)?$")
_TEXT_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y")


def day_first(values: list[str], default: bool = False) -> bool:
    """Decide once per column whether numeric dates are day-first: 13/04/2025 proves it, 04/13/2025 disproves it;
    dotted dates (31.01.2025) are European. Deciding per column keeps 03/04 from meaning two things in one file."""
    for value in values:
        match = _NUMERIC_DATE.match(value.strip())
        if not match or len(match.group(1)) == 4:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 >= second:
            return True
        if second > 12 >= first:
            return False
    if any("." in v and _NUMERIC_DATE.match(v.strip()) for v in values):
        return True
    return default


def date_order_note(values: list[str], dayfirst: bool) -> str:
    """Why a column's numeric dates may be misread ('' when they cannot be): written both day first and month first
    (21/11/2025 beside 11/30/2025), or only ambiguously (11/4/2025), so the order is a guess."""
    parts = [m for m in (_NUMERIC_DATE.match(v.strip()) for v in values) if m and len(m.group(1)) < 4]
    days = [m.group(0) for m in parts if int(m.group(1)) > 12 >= int(m.group(2))]
    months = [m.group(0) for m in parts if int(m.group(2)) > 12 >= int(m.group(1))]
    unsure = [m.group(0) for m in parts if int(m.group(1)) <= 12 and int(m.group(2)) <= 12
              and m.group(1).lstrip("0") != m.group(2).lstrip("0")]
    order = "day first" if dayfirst else "month first"
    if days and months:
        return (f"dates are written both day first ({days[0]}) and month first ({months[0]}); all are read {order}, "
                "so some are wrong or unread: write them one way (2025-11-21 is never ambiguous)")
    if unsure and not (days or months):
        return (f"{len(unsure)} date(s) such as {unsure[0]} could be day or month first and nothing in the column "
                f"says which; read {order} (2025-11-04 is never ambiguous)")
    return ""


def parse_date(value: str, dayfirst: bool) -> date | None:
    """ISO (with or without time), 2025/01/31, numeric day/month in the column's order, '31 Jan 2025', 'Jan 31, 2025',
    Excel serial numbers. '' -> None; anything else raises ValueError."""
    text = value.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    match = _NUMERIC_DATE.match(text)
    if match:
        a, b, c = (int(g) for g in match.groups())
        if len(match.group(1)) == 4:
            year, month, day = a, b, c
        else:
            # Dotted dates (31.01.2025) are European whatever the rest of the column does.
            day, month = (a, b) if dayfirst or "." in text[: match.end(2)] else (b, a)
            year = c + 2000 if c < 100 else c
        try:
            return date(year, month, day)
        except ValueError as exc:
            raise ValueError(f"not a date: {value!r} ({exc})") from None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # Excel serial day number, counted from 1899-12-30
        return date.fromordinal(date(1899, 12, 30).toordinal() + int(float(text)))
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
    for fmt in _TEXT_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r}")
