"""Cut customer turns into statements: a sentence, or a short run of sentences about one thing.

Every statement is a slice `turn.text[a:b]`, so it is verbatim by construction. Leading fillers are trimmed off the
slice, never edited inside it; backchannels and small talk are dropped.
"""
from __future__ import annotations

import re

from winloss.models import RoleResult, Statement, Transcript

MAX_WORDS = 45  # a statement longer than this is cut at a clause boundary
SHORT_WORDS = 7  # a sentence this short leans on its neighbour and joins it
MIN_CONTENT_WORDS = 1

_ABBREV = r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bvs)(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bInc)(?<!\bSt)(?<!\bNo)"
_SENTENCE_END = re.compile(_ABBREV + r"(?:[.!?]+|…)[\"')\]]*(?=\s+|$)")
# Leading words trimmed off a statement. Pure discourse markers go whether or not a comma follows; words that can
# also modify what follows ("like two days", "right now", "great support", "kind of slow") go only when punctuation
# sets them apart. A negator (no, nope, uh-uh, not, never ...) is never trimmed: "No complaints." without its "No"
# says the opposite.
_DISCOURSE = (
    r"yeah|yes|yep|yup|um+|umm+|uh+|erm|er|ah|oh|hmm+|mm+|mhm|mm-hmm|mm-hm|uh-huh|ok|okay|so|well|anyway|alright|"
    r"all right|hey|hi|hello|you know|i mean|honestly|basically|actually"
)
_MODIFIERS = (
    r"like|right|sure|totally|exactly|absolutely|definitely|cool|great|got it|i see|i guess|kind of|sort of|wow|"
    r"thanks|thank you|true|fair"
)
_LEADING_FILLER = re.compile(
    rf"^(?:(?:(?:{_DISCOURSE})(?:[,.!?…]+|\s*-+)?|(?:{_MODIFIERS})(?:[,.!?…]+|\s*-+))\s+)+", re.I)
# Words that, alone, carry no subject (so "Nope." or "Yeah, totally." is not evidence); negators included.
_FILLER_TOKEN = re.compile(rf"^(?:{_DISCOURSE}|{_MODIFIERS}|no|nope|uh-uh)$", re.I)
_SMALL_TALK = re.compile(
    r"\b(thanks for having me|thank you for having me|nice to (meet|see|chat)|good to (meet|see|chat)|happy to (help|do this|chat)|"
    r"can you hear me|you're (on )?mute|my pleasure|no problem|you're welcome|take care|have a (good|great) (one|day|weekend)|"
    r"how are you|how's it going|doing well|not bad|talk soon|bye|sorry (i'm|i am|for being) (a bit |two minutes |a few minutes )?late|"
    r"ran over|that's (about )?it from me|i think that's it|that covers it|that's everything( from me| i had| i have)?|"
    r"that's all (from me|i have|i had|i've got)|anything else|of course|good luck|sounds good|"
    r"appreciate (it|you|that)|"
    r"looking forward|glad (i|we) could help|hope (that|this) helps|feel free to (reach|ping|email))\b", re.I)
_CLAUSE_BREAK = re.compile(r"(?:,|;|\s-{1,2}|\s—)\s+(?=(?:and|but|so|because|which|although|though|then)\b)|;\s+", re.I)
_WORD = re.compile(r"[\w'’-]+")
# Words that carry no subject on their own; a sentence needs MIN_CONTENT_WORDS others to be evidence.
_STOPWORDS = frozenset("""
a an the and or but nor so if then than that this these those there here it its it's i i'm i've i'd i'll me my we
we're we've our us you you're your he she they them their is am are was were be been being do does did doing have has
had having to of in on at by for with from as into about up out just really very quite pretty kind sort stuff thing
things think guess mean know nah not no yes yeah what which who whom whose when where why how all any some one
that's what's there's can could would should will shall may might must also too again still even lot lots bit
good fine nice great question let see maybe probably mostly
""".split())
_CONTINUATION = re.compile(r"^(?:which|because|'cause|cause|so that|and that's why|that's why)\b", re.I)


MAX_QUOTE_WORDS = 60  # a quotation up to this long stays in one statement; longer, it is cut like any speech


def _quotations(text: str) -> list[tuple[int, int]]:
    """(open, close) character positions of the double-quoted runs that close within the text."""
    out, opened = [], None
    for i, ch in enumerate(text):
        if ch == "\u201c" or (ch == '"' and opened is None):
            opened = i
        elif ch in "\u201d\"" and opened is not None:
            out.append((opened, i))
            opened = None
    return [(a, b) for a, b in out if len(_WORD.findall(text[a:b])) <= MAX_QUOTE_WORDS]


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences, never cut inside a quotation ("He said 'we're not renewing. Find something cheaper.'") nor where
    a quotation ends and the sentence goes on in lower case ('... call support?" and nobody did')."""
    spans, start = [], 0
    quotes = _quotations(text) if '"' in text or "\u201c" in text else []
    for m in _SENTENCE_END.finditer(text):
        if any(a < m.start() and m.end() <= b for a, b in quotes):
            continue
        after = text[m.end():].lstrip()
        if m.group()[-1:] in "\"\u201d" and after[:1].islower():
            continue
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [_strip(text, a, b) for a, b in spans if text[a:b].strip()]


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _trim_fillers(text: str, a: int, b: int) -> tuple[int, int]:
    m = _LEADING_FILLER.match(text[a:b])
    if m and m.end() < b - a:
        a += m.end()
    # Drop a leading dash or ellipsis left over from a false start.
    while a < b and text[a] in "-—–…. ,":
        a += 1
    return a, b


def content_words(text: str, names: frozenset[str] = frozenset()) -> int:
    return sum(1 for w in _WORD.findall(text)
               if not _FILLER_TOKEN.match(w) and w.lower() not in _STOPWORDS and w.lower() not in names)


def _is_evidence(sentence: str, trimmed: str, names: frozenset[str]) -> bool:
    if content_words(trimmed, names) < MIN_CONTENT_WORDS:
        return False
    return not (_SMALL_TALK.search(sentence) and content_words(trimmed) < 12)


def _split_long(text: str, a: int, b: int) -> list[tuple[int, int]]:
    words = len(_WORD.findall(text[a:b]))
    if words <= MAX_WORDS:
        return [(a, b)]
    middle = (a + b) // 2
    breaks = [a + m.start() for m in _CLAUSE_BREAK.finditer(text[a:b])]
    breaks = [p for p in breaks if len(_WORD.findall(text[a:p])) >= 8 and len(_WORD.findall(text[p:b])) >= 8]
    if not breaks:
        return [(a, b)]
    cut = min(breaks, key=lambda p: abs(p - middle))
    left = _strip(text, a, cut)
    right = text.index(text[cut:b].lstrip(",;—- ")[:1], cut) if text[cut:b].strip(",;—- ") else b
    return _split_long(text, *left) + _split_long(text, *_strip(text, right, b))


def split_turn(text: str, names: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Character spans of the statements in one customer turn; `names` (lower-case words of the speakers' names)
    carry no subject, so "Thanks, Dana." is not evidence."""
    kept: list[tuple[int, int]] = []
    for a0, b0 in _sentence_spans(text):
        a, b = _trim_fillers(text, a0, b0)
        if not _is_evidence(text[a0:b0], text[a:b], names):
            continue
        n = len(_WORD.findall(text[a:b]))
        leans = n < SHORT_WORDS or _CONTINUATION.match(text[a:b])
        if kept and leans and len(_WORD.findall(text[kept[-1][0]:b])) <= MAX_WORDS:
            kept[-1] = (kept[-1][0], b)
            continue
        if kept and len(_WORD.findall(text[kept[-1][0]:kept[-1][1]])) < SHORT_WORDS \
                and len(_WORD.findall(text[kept[-1][0]:b])) <= MAX_WORDS:
            kept[-1] = (kept[-1][0], b)
            continue
        kept.append((a, b))
    spans: list[tuple[int, int]] = []
    for a, b in kept:
        spans.extend(_split_long(text, a, b))
    return spans


# Without speaker labels, what the interviewer says must be told from the words alone. Besides a question mark, an
# interviewer prompts: "So the first question is simply why you cancelled.", "I want to start with how you found
# us.", "Tell me about the rollout", "What made you switch" (ASR often drops the "?").
_PROMPT = re.compile(
    r"^(?:(?:so|and|okay|ok|right|great|alright|well|now|perfect|thanks|thank you)[,.!]? )*"
    r"(?:(?:what|why|how|when|where|who|which)\s+(?:did|do|does|made|makes|was|were|would|could|can|will|has|have"
    r"|had)\s+(?:you|your)\b|(?:did|do|does|were|are|have|had|can|could|would|will)\s+you\b(?! know\b)|tell me\b"
    r"|(?:walk|talk) me through\b|help me understand\b|i(?:'d| would) (?:love|like) to (?:hear|know|understand|ask"
    r"|start)\b|i (?:want|wanted) to (?:start|ask|begin|go back|understand why)\b|i'm curious\b|i was curious\b"
    r"|i'm wondering\b|i was wondering\b|let me ask\b|let's (?:start|begin|move on|turn|go back|dig|switch)\b"
    r"|thanks?(?: you)?(?: so much| again)? for (?:coming|joining|taking|making|doing this|agreeing|your time)\b)"
    r"|\b(?:first|next|last|final|one more|another|my) question (?:is|was|would be|for you)\b", re.I)


# A question whose "?" the transcript lost ("Who were the other vendors you looked at.", "Was price a factor."): a
# short sentence opening with a question word and the verb a question puts next ("how long", "what made", "who
# else"), or with an inverted verb; never with the speaker's own "I" or "we" (a customer explains: "What we needed
# was offline sync."), nor with its answer inside ("What happened was the sync broke.").
_LEAD = r"^(?:(?:so|and|but|okay|ok|right|then|got it|great|interesting|makes sense|sure)[,.!]?\s+)*"
_AUX = r"was|were|is|are|did|does|do|would|could|will|has|had|have"
_BARE_QUESTION = re.compile(
    _LEAD + rf"(?:what\s+(?:{_AUX}|else|about|kind|other|made|happened|exactly|specifically)\b"
    rf"|why\s+(?:{_AUX}|not|that)\b|how\s+(?:{_AUX}|long|much|many|often|about|come|big|quickly)\b"
    rf"|who\s+(?:{_AUX}|else|made|decided|owned|signed)\b"
    r"|(?:was|were|is|are|did|does|do|has|had|have|can|could|would|will|should)\s+(?:it|that|this|there|the|they|"
    r"he|she|anyone|anybody|someone|price|pricing|cost|security|support|onboarding|implementation)\b[^,;]*$"
    r"|any(?:thing)?\s+(?:other|else)\b(?!.*\b(?:would|was|is|were)\s+(?:have|been|be|too|the|a)\b))", re.I)
_OWN_VOICE = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|we|we're|we've|we'd|we'll|our|ours|my|mine|me)\b", re.I)
_ANSWERED = re.compile(r"^\W*what\b.*\b(?:was|is|were)\b.*\b(?:was|is|were)\b|\bhappened (?:was|is)\b", re.I)
BARE_QUESTION_WORDS = 15


def _asks(span: str) -> bool:
    """A sentence the interviewer would say, in a transcript with nobody named: one that asks or prompts."""
    if span.rstrip(" \"'\u201d)").endswith("?") or _PROMPT.search(_trimmed(span)):
        return True
    plain = _trimmed(span)
    return bool(_BARE_QUESTION.match(plain)) and len(_WORD.findall(plain)) <= BARE_QUESTION_WORDS \
        and not _OWN_VOICE.search(plain) and not _ANSWERED.search(plain)


def _trimmed(span: str) -> str:
    a, b = _trim_fillers(span, 0, len(span))
    return span[a:b]


def _acknowledges(span: str) -> bool:
    """Only fillers ("Got it.", "Thank you.", "Sure, totally."): with nobody named, the interviewer's
    acknowledgement before the next question, never evidence. (With speakers named they stay: small talk finds them.)"""
    filler = _LEADING_FILLER.match(span + " ")
    return bool(filler) and filler.end() >= len(span)


def _speakerless_pieces(text: str, names: frozenset[str]) -> list[tuple[int, int, bool]]:
    """(a, b, asks) in order: each sentence that asks or prompts, and the statements of the speech between them.

    Cut there first, so that a prompt and the answer after it in one segment ("What made you switch? We needed
    offline sync.") never join into one statement."""
    pieces: list[tuple[int, int, bool]] = []
    start = 0
    for a, b in [*[(a, b) for a, b in _sentence_spans(text) if _asks(text[a:b])], (len(text), len(text))]:
        pieces += [(start + x, start + y, False) for x, y in split_turn(text[start:a], names)
                   if not _acknowledges(text[start + x:start + y])]
        if a < b:
            pieces.append((a, b, True))
        start = b
    return pieces


def extract_statements(interview_id: str, cohort: str, transcript: Transcript, roles: RoleResult) -> list[Statement]:
    statements: list[Statement] = []
    question = ""
    names = frozenset(w.lower() for t in transcript.turns for w in _WORD.findall(t.speaker))
    for index, turn in enumerate(transcript.turns):
        if turn.speaker in roles.interviewers:
            if "?" in turn.text or content_words(turn.text, names) >= 3:  # "Mm-hmm." is no question
                question = turn.text
            continue
        if turn.speaker not in roles.customers:
            continue
        pieces = _speakerless_pieces(turn.text, names) if roles.method == "speakerless" else \
            [(a, b, False) for a, b in split_turn(turn.text, names)]
        for a, b, asks in pieces:
            if asks:  # without speaker labels the only sign of the interviewer is the asking: never evidence
                question = turn.text[a:b]
                continue
            start, _ = turn.time_at(a)
            _, end = turn.time_at(b - 1)
            statements.append(Statement(
                statement_id=f"{interview_id}.{len(statements) + 1:03d}", interview_id=interview_id, cohort=cohort,
                speaker=turn.speaker, start=start, end=end, text=turn.text[a:b], turn_text=turn.text,
                turn_index=index, question=question,
            ))
    return statements
