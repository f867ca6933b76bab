"""LLM settings: CLI flags, then environment, then the [llm] table of winloss.toml.

The LLM is off unless a model is named AND there is somewhere to send it (a base URL, or an OpenAI key for the
default endpoint). An OPENAI_API_KEY alone in the environment never switches it on: winloss stays offline by default.
The key itself is never read from winloss.toml (studies get shared); `api_key_env` may name another variable.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Literal

from pydantic import ConfigDict, Field, ValidationError
from pydantic.dataclasses import dataclass

from winloss.errors import ConfigError

OPENAI_BASE_URL = "https://api.openai.com/v1"


class LlmConfigError(ConfigError):
    """A bad [llm] setting: like any settings error, the run stops before doing anything (exit 2)."""


@dataclass(frozen=True, config=ConfigDict(extra="forbid", strict=True))
class LlmSettings:
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None  # from the environment only; see resolve_llm_settings
    api_key_env: str = "OPENAI_API_KEY"  # the variable that holds the key
    timeout: float = Field(60.0, gt=0)  # seconds per request
    max_retries: int = Field(3, ge=0)  # on 429, 5xx, timeouts and connection errors, with exponential backoff
    concurrency: int = Field(4, ge=1)  # requests in flight at once
    redact: bool = True
    redact_companies: bool = False
    # json_schema: structured outputs (OpenAI, Ollama >= 0.5, vLLM, llama.cpp); json_object for older servers.
    response_format: Literal["json_schema", "json_object", "none"] = "json_schema"
    temperature: float = 0.0
    max_consecutive_failures: int = Field(3, ge=1)  # after this many failed requests in a row, give up on it
    # Statements whose offline stance wins by less than this (log-odds) are read by the LLM; 0 asks for none. At
    # 0.5 about half the statements go (half of those the offline call gets wrong, 17 % of the others).
    stance_margin: float = Field(0.5, ge=0)
    stance_max: int = Field(2000, ge=0)  # at most this many statements a run (the least certain first)

    @property
    def enabled(self) -> bool:
        return bool(self.model) and bool(self.base_url or self.api_key)

    @property
    def endpoint(self) -> str:
        return (self.base_url or OPENAI_BASE_URL).rstrip("/")

    def to_record(self) -> dict:
        """For run.json: everything but the key."""
        record = dataclasses.asdict(self)
        record["api_key"] = "set" if self.api_key else None
        record["enabled"] = self.enabled
        record["endpoint"] = self.endpoint if self.enabled else None
        return record


def resolve_llm_settings(table: LlmSettings | dict | None = None, env: dict[str, str] | None = None,
                         **flags) -> LlmSettings:
    """The [llm] settings with the environment and CLI flags (None means 'not given') applied on top."""
    from winloss.settings import describe

    env = os.environ if env is None else env
    try:
        base = table if isinstance(table, LlmSettings) else LlmSettings(**dict(table or {}))
        values = {}
        for name, var in (("base_url", "WINLOSS_LLM_BASE_URL"), ("model", "WINLOSS_LLM_MODEL")):
            if env.get(var):
                values[name] = env[var]
        if env.get(base.api_key_env):
            values["api_key"] = env[base.api_key_env]
        unknown = set(flags) - {f.name for f in dataclasses.fields(LlmSettings)}
        if unknown:
            raise LlmConfigError(f"unknown LLM option(s) {', '.join(sorted(unknown))}")
        values |= {k: v for k, v in flags.items() if v is not None}
        return dataclasses.replace(base, **values)
    except ValidationError as exc:
        raise LlmConfigError(f"[llm] {describe(exc)}") from None
