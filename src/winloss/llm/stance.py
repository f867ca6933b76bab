"""The LLM's reading of the statements whose offline stance is unsure, validated, with the offline call as fallback.

Only the cohort-blind text goes out (the statement, the question before it and the rest of its answer), never the
interview's cohort: drivers test stance against cohort, so a stance read from the cohort would prove itself.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from winloss.llm.client import LlmClient
from winloss.llm.common import LlmUse, off_use, render

PER_CALL = 25
MAX_CONTEXT_CHARS = 600


@dataclass(frozen=True)
class StanceQuestion:
    item_id: str  # the statement id
    text: str
    question: str  # the interviewer's question before the answer, "" when none
    answer: str  # the whole answer (turn) the statement was cut from


class StanceItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    stance: Literal["positive", "negative", "neutral"]


class StanceReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stances: list[StanceItem]


def batches(items: Sequence[StanceQuestion]) -> list[list[StanceQuestion]]:
    ordered = sorted(items, key=lambda q: q.item_id)  # the same batches, so the same cache keys, run after run
    return [ordered[i:i + PER_CALL] for i in range(0, len(ordered), PER_CALL)]


def stance_messages(batch: Sequence[StanceQuestion], competitors: Sequence[str], our_names: Sequence[str] = ()
                    ) -> list[dict]:
    """Our own names go with the competitors: without them "Payloom's onboarding was slower" reads as a third party's
    flaw, which is praise of us, when it is what the customer calls us."""
    rows = [{"id": q.item_id, "statement": q.text, "question": q.question[:MAX_CONTEXT_CHARS],
             "answer": q.answer[:MAX_CONTEXT_CHARS]} for q in batch]
    return render("statement_stance.j2", statements=rows, competitors=sorted(competitors),
                  our_names=sorted(set(our_names)))


def batch_problem(batch: Sequence[StanceQuestion], reply: StanceReply) -> str:
    """Why a reply cannot be used whole: the ids must be exactly the batch's, each once."""
    asked = [q.item_id for q in batch]
    got = [item.id for item in reply.stances]
    if len(got) != len(set(got)):
        return "an id answered twice"
    if set(got) != set(asked):
        missing, unknown = sorted(set(asked) - set(got)), sorted(set(got) - set(asked))
        return f"ids do not match the statements asked (missing {missing[:3]}, unknown {unknown[:3]})"
    return ""


def refine_stances(client: LlmClient | None, items: Sequence[StanceQuestion], competitors: Sequence[str] = (),
                   our_names: Sequence[str] = ()) -> tuple[dict[str, str], LlmUse]:
    """item id -> the LLM's stance, for the batches whose reply names exactly the ids asked with one of the three
    labels each; the statements of any other batch (invalid JSON after a re-ask, a wrong id, a failed request) keep
    their offline stance."""
    if client is None:
        return {}, off_use("stance", len(items))
    use = LlmUse("stance", items=len(items))
    groups = batches(items)
    out: dict[str, str] = {}
    outcomes = client.map(lambda b: client.chat_json(stance_messages(b, competitors, our_names), StanceReply,
                                                     "stance"), groups)
    for batch, outcome in zip(groups, outcomes):
        where = f"statements {batch[0].item_id}..{batch[-1].item_id}"
        if outcome.value is None:
            use.note(outcome, where)
            continue
        problem = batch_problem(batch, outcome.value)
        if problem:
            use.note(problem, where)
            continue
        out.update({item.id: item.stance for item in outcome.value.stances})
    use.from_llm = len(out)
    use.fell_back = len(items) - len(out)
    return out, use
