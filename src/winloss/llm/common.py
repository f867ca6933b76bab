"""What every LLM task shares: prompt templates (shipped in the package) and the record of how a task went."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from winloss.llm.client import Outcome


# -- prompts -----------------------------------------------------------------------------------------------------------
def _data(value) -> str:
    """Data for a <data> block: JSON, so quotes and newlines are escaped, and '<' '>' escaped so that no text can
    close the block and pose as instructions."""
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("winloss", "prompts"), undefined=StrictUndefined, autoescape=False,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["data"] = _data
    return env


def render(template: str, **context) -> list[dict]:
    """A prompt template's `system` and `user` blocks as chat messages."""
    module = _environment().get_template(template).make_module(vars=context)
    return [{"role": "system", "content": str(module.system).strip()},
            {"role": "user", "content": str(module.user).strip()}]


# -- record of use -----------------------------------------------------------------------------------------------------
@dataclass
class LlmUse:
    task: str
    items: int = 0
    from_llm: int = 0
    fell_back: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """'off' (no LLM), 'llm' (all from the LLM), 'partial', or 'fallback' (none from the LLM)."""
        if self.notes == ["no LLM configured"]:
            return "off"
        if not self.items:
            return "none"
        if self.from_llm and not self.fell_back:
            return "llm"
        return "partial" if self.from_llm else "fallback"

    def note(self, outcome_or_text: Outcome | str, where: str = "") -> None:
        text = outcome_or_text if isinstance(outcome_or_text, str) else \
            f"{outcome_or_text.status}: {outcome_or_text.detail}"
        self.notes.append(f"{where}: {text}" if where else text)

    def to_record(self) -> dict:
        return {**asdict(self), "status": self.status}


def off_use(task: str, items: int) -> LlmUse:
    return LlmUse(task, items=items, fell_back=items, notes=["no LLM configured"])
