"""Quotes: verified verbatim against the transcript as parsed, one per interview, central first."""
import numpy as np

from winloss.interviews.transcripts import parse_transcript
from winloss.models import Statement
from winloss.themes.quotes import select_quotes


def two_interviews(tmp_path, text: str) -> dict:
    """Interviews A and B, both read from one real transcript file."""
    path = tmp_path / "a.txt"
    path.write_text(text, encoding="utf-8")
    return {"A": parse_transcript(path), "B": parse_transcript(path)}


def test_a_statement_that_is_not_in_its_transcript_is_never_quoted(tmp_path):
    transcripts = two_interviews(
        tmp_path, "Dana: Why did you leave?\nLee: Support took a week to answer every single ticket we filed.\n"
        "Dana: Anything else?\nLee: The renewal price went up forty percent without any warning.\n")
    said = transcripts["A"].turns[1].text
    # B's statement claims words its turn never had (an edited transcript, a splitter bug): it must be rejected,
    # even though it is the most central statement of the theme.
    statements = [
        Statement("A-1", "A", "churned", "Lee", None, None, said, said, 1),
        Statement("B-1", "B", "churned", "Lee", None, None, "Support never answered a single ticket at all.",
                  said, 1),
        Statement("A-2", "A", "churned", "Lee", None, None, transcripts["A"].turns[3].text,
                  transcripts["A"].turns[3].text, 3),
    ]
    vectors = np.array([[1.0, 0.1], [1.0, 0.0], [0.9, 0.4]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    quotes, rejected = select_quotes(statements, np.array(["T01"] * 3, dtype=object), vectors, 3, transcripts)
    assert rejected == 1
    assert [q.statement.statement_id for q in quotes] == ["A-1"]  # one per interview, and B's was refused
    assert all(q.quote in transcripts[q.interview_id].turns[q.statement.turn_index].text for q in quotes)


def test_a_customers_own_question_is_counted_but_never_the_quote(tmp_path):
    transcripts = two_interviews(
        tmp_path, "Nicole: Here is the proposal.\nKevin: And what's the investment for this, all in?\n"
        "Nicole: Eight thousand a month.\nKevin: That is more than we had budgeted for this year.\n")
    asked, said = transcripts["A"].turns[1].text, transcripts["A"].turns[3].text
    statements = [Statement("A-1", "A", "won", "Kevin", None, None, asked, asked, 1),
                  Statement("B-1", "B", "won", "Kevin", None, None, said, said, 3)]
    vectors = np.array([[1.0, 0.0], [0.8, 0.6]], dtype=np.float32)  # the question is the more central
    quotes, _ = select_quotes(statements, np.array(["T01"] * 2, dtype=object), vectors, 3, transcripts)
    assert [q.statement.statement_id for q in quotes] == ["B-1"]
    # a theme of questions alone is still quoted: the question is all there is to show
    quotes, _ = select_quotes(statements[:1], np.array(["T01"], dtype=object), vectors[:1], 3, transcripts)
    assert [q.statement.statement_id for q in quotes] == ["A-1"]
