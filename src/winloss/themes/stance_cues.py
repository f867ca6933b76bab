"""The stance scorer's cues (themes/stance.py reads them): a vendor-talk lexicon beside VADER's, the words that
negate, and the patterns that carry a stance without a judgement word. Data only; docs/themes.md says where each
came from and what it changed on the answer keys."""
from __future__ import annotations

import re

# Valence of words and phrases in interview talk about a vendor; phrases are matched before single words.
# QUALITY words judge whoever the clause is about (flipped when that is a competitor); RELATIVE words already
# say how we compare ("cheaper" is said of the other side), so they are never flipped.
QUALITY: dict[str, float] = {
    "plug and play": 2.5, "just worked": 2.0, "just connected": 2.0, "picked it up": 1.5, "picked those up": 1.5,
    "same day": 2.0, "same afternoon": 2.0, "before lunch": 1.5, "before i logged off": 1.5, "in an hour": 1.5,
    "in like an hour": 1.5, "right away": 1.0, "on the first try": 1.5, "turned that around": 1.5,
    "kept it moving": 1.5, "dealt with it": 1.0, "stuck to it": 1.0, "walked us through": 1.5, "showed its work": 2.0,
    "not a black box": 2.0, "shows up": 0.5, "no thank you": -2.0, "went quiet": -1.0, "fell apart": -2.0,
    "took forever": -2.5, "a long time": -1.5, "too long": -2.0, "back and forth": -1.5, "on the roadmap": -2.0,
    "not a lot of progress": -2.0, "pretty face": -2.0, "a lot of product": -1.5, "more to learn": -1.5,
    "glaze over": -1.5, "tuned out": -1.5, "too many": -1.5, "nobody understood": -1.5, "nobody owned": -2.0,
    "nobody really owned": -2.0, "dropped off": -2.0, "went back to": -1.5, "easy call": -0.5,
    "smooth": 2.0, "seamless": 2.0, "straightforward": 1.5, "responsive": 2.0, "reliable": 2.0, "accurate": 2.0,
    "accuracy": 1.0, "closer": 1.5, "closest": 1.5, "within": 0.8, "handled": 1.2, "fixed": 0.8, "fix": 0.3,
    "answered": 1.2, "replied": 1.2, "explained": 1.0, "quick": 1.2, "quickly": 1.2, "fast": 1.2, "refreshing": 2.0,
    "impressive": 2.0, "solid": 1.5, "trusts": 2.0, "trusted": 2.0, "believe": 0.8, "deciding": 1.5, "sold": 1.5,
    "worth": 1.5, "value": 1.0, "reasonable": 1.2, "thoughtful": 1.6, "clear": 1.0, "clearly": 1.0, "shocked": 0.5,
    "broke": -2.5, "broken": -2.5, "breaking": -2.5, "breaks": -2.5, "break": -1.5, "stale": -2.0, "slow": -1.8,
    "slower": -1.5, "forever": -2.0, "clunky": -1.8, "rigid": -1.8, "limited": -1.5, "duplicate": -1.5,
    "duplicates": -1.5, "inflated": -1.5, "basic": -1.2, "simplistic": -1.5, "crowded": -1.5, "busy": -0.8,
    "confusing": -1.5, "rough": -1.5, "stopped": -1.5, "stop": -1.0, "waiting": -1.2, "wait": -1.0, "waited": -1.2,
    "homework": -1.2, "chase": -1.5, "chasing": -1.5, "reached out": 1.2, "reach out": 0.5, "generic": -1.5, "escalate": -1.5, "tabs": -0.8, "froze": -1.5,
    "frozen": -0.5, "silently": -1.5, "quietly": -1.0, "lost": -1.0, "nobody": -1.0,
    "cannot": -0.8, "unusual": 0.0, "weird": 0.0, "problem": -1.2,
    "problems": -1.2, "issue": -0.6, "gripe": -1.0, "manual": -1.0, "minor": 0.5, "free": 0.0, "kind": 0.0, "dumb": 0.0,
    "nightly": -1.0, "yesterday's": -1.0, "mostly cost": -1.5,
    # a price told as a fact: "came in over what we'd budgeted", "it just felt like too much for us", "clever gets
    # expensive"
    "over budget": -1.8, "over our budget": -1.8, "over what we'd budgeted": -1.8, "over what we had budgeted": -1.8,
    "above our budget": -1.8, "out of our budget": -1.8, "outside our budget": -1.8, "out of budget": -1.8,
    "too much for us": -1.5, "gets expensive": -2.5, "got expensive": -2.5, "added up fast": -2.0,
    "adds up fast": -2.0, "add up fast": -2.0,
    # service that fails the customer, in any trade ("on hold for an hour", "never heard back", "hung up on me")
    "on hold": -1.5, "hung up": -2.0, "hangs up": -2.0, "hang up": -1.5, "heard back": 1.2,
    "no response": -2.0, "no answer": -2.0, "no reply": -2.0, "nightmare": -2.5, "stranded": -2.0,
    "delayed": -1.5, "delays": -1.5, "heavy": -1.2, "a joke": -2.0, "too high": -2.0, "uses it": 0.8, "use it": 0.5,
    # software that fails, words VADER lacks ("it kept crashing", "the sync went down", "a glitch every pay run")
    # judge whoever the clause is about ("Gustly was pricier" is for us)
    "expensive": -1.8, "pricier": -1.5, "quicker": 1.2,
    # doing the job for the customer ("handles the state withholding", "Payroll's always right")
    "handles": 1.2, "took care of": 1.5, "takes care of": 1.5, "gets it right": 1.5, "got it right": 1.5,
    "gets that right": 1.5, "always right": 1.5,
    "crashing": -2.0, "crashed": -2.0, "crashes": -2.0, "glitch": -1.5, "glitches": -1.5, "glitchy": -1.8,
    "bug": -1.2, "bugs": -1.2, "buggy": -2.0, "outage": -2.0, "outages": -2.0, "downtime": -1.5, "went down": -1.5,
    "was down": -1.5, "on time": 1.5, "ran late": -1.5, "was late": -1.2, "were late": -1.2,
    # idioms whose negator is part of the praise ("I can't say enough good things"): written as _tokens splits
    # them; the negator inside negates nothing after it
    "ca n't say enough": 2.5, "could n't be happier": 3.0, "could n't ask for": 2.0, "ca n't complain": 1.5,
    "could n't have done": 2.0, "could n't live without": 2.5, "ca n't live without": 2.5,
    "would n't have made it": 2.0, "never looked back": 2.5, "never let us down": 2.5, "no-brainer": 2.0,
    "no brainer": 2.0,
    # a complaint worded as a possibility ("the API docs could be better"); burnout in any trade; "fired off a
    # test" is no firing
    "could be better": -1.5, "could have been better": -1.5, "could be improved": -1.5, "room for improvement": -1.0,
    "left a lot to be desired": -2.0, "leaves a lot to be desired": -2.0, "a bit long": -1.0, "a little long": -1.0,
    "burnout": -2.0, "burned out": -2.0, "burnt out": -2.0, "fired off": 0.0,
    # the job done with nobody doing it, and right: "posts each bill without anyone touching it", "every one matched"
    "without anyone": 1.5, "without anybody": 1.5, "without us": 1.0, "without touching": 1.5, "matched": 1.2,
    "to the penny": 1.5, "reconciled": 1.0,
    # agreeing with someone ("and she wasn't wrong", about a complaint) judges nothing by itself
    "was n't wrong": 0.0, "is n't wrong": 0.0, "were n't wrong": 0.0, "not wrong": 0.0,
}
RELATIVE: dict[str, float] = {
    "cheaper": -1.8, "cheapest": -1.8, "flat fee": -1.0, "flat platform fee": -1.0, "tiered pricing": -1.0,
    "per-seat": -1.0, "per seat": -1.0, "per-user": -1.0, "per user": -1.0, "per-employee": -1.0, "per employee": -1.0, "seat price": -1.0, "seats": -0.3,
    "higher": -0.8, "more than": -0.3, "price increase": -1.5, "twice the money": -2.0,
    "double": -0.8, "well above": -1.5, "export": -1.0, "exporting": -1.2, "exports": -0.8, "by hand": -1.0,
    "more like": -1.5, "simpler": -1.2, "cleaner": -1.2, "easier": -0.5, "better demo": -2.0,
    "demoed better": -2.0, "ready on day one": -2.0, "momentum was on their side": -2.0, "rounding error": 1.5,
    "pays for itself": 2.5, "a ramp": 1.0, "don't count": 1.0,
}
# VADER words that in speech are fillers or hedges, not judgements ("honestly", "kind of", "pretty fast", "like").
FILLERS = {"honestly", "honest", "kind", "pretty", "like", "yeah", "yes", "okay", "ok", "sorry", "no", "want",
           "please", "thank", "thanks", "ha", "haha", "lol", "well", "sure", "joking", "fun", "true", "interested",
           "care", "cares", "big", "share", "agreed", "agree", "number", "god", "chance", "party", "hand",
           "support", "supported", "play", "important", "matter", "matters", "ready", "top", "cut", "cutting",
           "freeze", "united", "save", "credit", "wish", "hope", "hopefully", "bridge", "hard", "super",
           "straight", "security", "secure", "question", "questions", "pay", "paid", "paying", "weeks", "reach",
           "popular", "lead", "win", "won", "champion", "champions", "excel", "winning", "losing", "demand", "innocent", "risk", "crazy", "intense"}
NEGATORS = {"not", "never", "nobody", "no", "zero", "none", "nothing", "nowhere", "neither", "nor", "without", "hardly",
            "barely", "rarely", "seldom", "n't", "cannot", "no one", "noone",
            # what was there and is no more: "we'd lost confidence", "the sync stopped being something we could
            # trust" (within four words), "we stopped chasing paperwork" (alone, "the sync stopped" is still a complaint)
            "lost", "stopped"}
CONTRACTION = re.compile(r"n't\b")
# A regret looks back ("if it had worked", "we would have stayed"); a forward condition ("if the accuracy holds, I
# would put my name on it") is not one.
COUNTERFACTUAL = re.compile(r"\bif\b[^.?!]*\b(had|'d been|'d have|were)\b|\bwould have\b|\bwould've\b",
                            re.IGNORECASE)
WISH = re.compile(r"\bi'd (love|like|want)\b|\bi want(ed)? to be able\b|\bi wish\b", re.IGNORECASE)
CONTRAST = re.compile(r"\bbut\b", re.IGNORECASE)
# The buyer's own past or old tools ("our old spreadsheet was painful", "before you, we were drowning"): their pain
# is the situation, not a judgement of us, so its complaints do not count against us (nor, unsaid, for us).
OWN_PAST = re.compile(r"\b(our (old|previous|former|legacy|last) \w+|the old (way|process|system|tool|setup)"
                      r"|before (you|we (switched|moved|bought|signed|had you))|we used to|used to be)\b", re.IGNORECASE)
THAN = re.compile(r"\bthan\b", re.IGNORECASE)
# A change the customer tells ("it used to take a day to write. Now it takes an hour.", "She reads every postmortem
# now. She never did that before"): the past is the contrast, the present is what changed since they bought.
BEFORE = re.compile(r"\b(used to|didn't use to|never did (that|this|it) before|before,? (it|we|they|that) (took|was|were"
                    r"|had|would))\b", re.IGNORECASE)
NOW = re.compile(r"\b(now|these days|nowadays)\b", re.IGNORECASE)
CHANGE_WEIGHT = 1.5
# A condition judges nothing yet ("probably not, unless the price was a lot closer"): its words are not counted.
UNLESS = re.compile(r"\bunless\b[^.;!?]*", re.IGNORECASE)
# A freeze on spending is the buyer's circumstance ("Finance froze every new software purchase"), not the software
# freezing: "froze" with a budget word after it counts nothing.
FREEZE = re.compile(r"\b(froze|frozen|freezing)\b(?=(?:\W+\w+){0,4}?\W+(budgets?|spend|spending|purchases?|"
                    r"purchasing|hiring|headcount|contracts?|vendors?|software|projects?|everything)\b)", re.IGNORECASE)
# The customer clearing us of what they tell ("the security review took a while on our side. Not your fault.",
# "Nothing to do with you, really."): the statement tells a circumstance, neither praise nor complaint.
EXONERATED = re.compile(r"\b(?:not|wasn't|isn't|was not|is not|never) (?:really )?(?:your|you guys'|you folks') fault"
                        r"|\bno fault of (?:yours|you)|\bnothing to do with (?:you|your|us)\b"
                        r"|\bnot (?:a|any) (?:comment|reflection) on (?:you|your)"
                        # a decision deferred, not refused: "It's not a no, it's a not yet", "it got a not now"
                        r"|\bnot a no\b|\ba not (?:now|yet)\b", re.IGNORECASE)
# Patterns that carry a stance without a judgement word. Weights in the same valence units.
PATTERNS: tuple[tuple[re.Pattern, float], ...] = tuple((re.compile(p, re.IGNORECASE), w) for p, w in (
    # a capability the customer needed and did not get: "we couldn't build that view", "they don't let you"
    ((r"\b(couldn't|can't|cannot|could not|can not|unable to|wasn't able to|weren't able to|no way to)"
      r"( really| even| just)? (build|make|recreate|change|add|customi[sz]e|filter|combine|see|get|do|show|trust"
      r"|defend|prove|sell|use)\b"), -1.8),
    (r"\b(don't|doesn't|didn't|won't) (let|allow) (you|us|me)\b", -1.8),
    (r"\b(didn't|doesn't|did not|does not|never)( really| quite| ever| fully| properly| always)? work(ed|s)?\b", -1.8),
    # what was sent and never came: "their money never arrived", "it didn't land in their account until the 20th"
    ((r"\b(never|didn't|did not|hasn't|haven't|wasn't|weren't)( \w+)? (arrive[ds]?|land(ed|s)?|show(ed)? up"
      r"|c[oa]me through|went through|go through|turn(ed)? up)\b"), -1.8),
    # waiting: "two, three days to hear back", "one ticket open for five weeks", "four months before anybody"
    (r"\b(days|weeks|months) (before|until|to hear|later|of setup|of that)\b", -1.5),
    ((r"\b(open|waiting|waited|sat|sit|stuck) (for )?(like |about |almost )?(a|two|three|four|five|six|ten|several"
      r"|a few|a couple of)? ?(days?|weeks?|months?)\b"), -1.5),
    (r"\btook (us )?(almost |about |like |maybe )?(two|three|four|five|six|nine|several|a few)? ?(months|weeks)\b",
     -1.5),
    # "it took me a whole afternoon to set up" ("in an afternoon" is speed, above)
    (r"\btook (me |us |them )?(a whole|an entire|the whole|the entire|all) (afternoon|day|morning|evening|week|month"
     r"|weekend)\b", -1.5),
    # "our biggest supplier put us on credit hold"
    (r"\bon (credit|payment|account|shipping) hold\b", -1.5),
    # speed: "in like an afternoon", "by the second week", "in a couple of days", "live in about three weeks"
    ((r"\b(in|within) (like |about |just |under |less than )?(a|an|one|two|three|four|five|ten|fifteen|twenty|"
      r"thirty|forty|sixty|ninety|a few|a couple of|a couple|\d+)? ?(seconds?|minutes?|hours?|days?|afternoon)\b"),
     1.5),
    (r"\bby (the )?(day|week) (one|two|three|\w+)\b|\bby the (second|third) week\b", 1.5),
    (r"\blive in (about |like |just )?(a|two|three|a few|a couple of)? ?(days|weeks?)\b", 1.5),
    # a fee that grows: "the per-order fee added up fast on small baskets"
    (r"\b(fees?|costs?|charges?|pricing|bills?|invoices?)( really| quickly| just)? add(ed|s)? up\b", -2.0),
    # asked why they would pay at all: "finance asked why we'd pay for Pagerly when we already own something"
    (r"\bwhy (we'd|we would|we should|would we|should we|i'd|they'd) (even )?pay\b", -1.5),
    # workarounds: the customer is back in a spreadsheet
    (r"\b(in|to|into) (excel|sheets|a spreadsheet|spreadsheets|google sheets)\b", -1.2),
    (r"\bspending hours\b|\bhours in\b", -1.2),
))
