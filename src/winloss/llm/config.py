"""LLM settings: CLI flags, then environment, then the [llm] table of winloss.toml.

The LLM is off unless a model is named AND there is somewhere to send it (a base URL, or an OpenAI key for the
default endpoint). An OPENAI_API_KEY alone in the environment never switches it on: winloss stays offline by default.
The key itself is never read from winloss.toml (studies get shared); `api_key_env` may name another variable.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace

from winloss.settings import ConfigError

OPENAI_BASE_URL = "https://api.openai.com/v1"
RESPONSE_FORMATS = ("json_schema", "json_object", "none")


class LlmConfigError(ConfigError):
    """A bad [llm] setting: like any settings error, the run stops before doing anything (exit 2)."""


@dataclass(frozen=True)
class LlmSettings:
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    timeout: float = 60.0  # seconds per request
    max_retries: int = 3  # on 429, 5xx, timeouts and connection errors, with exponential backoff
    concurrency: int = 4  # requests in flight at once
    redact: bool = True
    redact_companies: bool = False
    # json_schema: structured outputs (OpenAI, Ollama >= 0.5, vLLM, llama.cpp); json_object for older servers.
    response_format: str = "json_schema"
    temperature: float = 0.0
    max_consecutive_failures: int = 3  # after this many failed requests in a row the endpoint is given up on

    @property
    def enabled(self) -> bool:
        return bool(self.model) and bool(self.base_url or self.api_key)

    @property
    def endpoint(self) -> str:
        return (self.base_url or OPENAI_BASE_URL).rstrip("/")

    def to_record(self) -> dict:
        """For run.json: everything but the key."""
        record = asdict(self)
        record["api_key"] = "set" if self.api_key else None
        record["enabled"] = self.enabled
        record["endpoint"] = self.endpoint if self.enabled else None
        return record


_TOML_KEYS = {f.name for f in fields(LlmSettings)} - {"api_key"} | {"api_key_env"}


def resolve_llm_settings(table: dict | None = None, env: dict[str, str] | None = None,
                         **flags) -> LlmSettings:
    """Merge the winloss.toml [llm] table, the environment and CLI flags (None means 'not given')."""
    table = dict(table or {})
    env = os.environ if env is None else env
    unknown = sorted(set(table) - _TOML_KEYS)
    if unknown:
        raise LlmConfigError(f"winloss.toml [llm]: unknown setting(s) {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(_TOML_KEYS))}")
    key_env = table.pop("api_key_env", "OPENAI_API_KEY")
    values = dict(table)
    for name, var in (("base_url", "WINLOSS_LLM_BASE_URL"), ("model", "WINLOSS_LLM_MODEL")):
        if env.get(var):
            values[name] = env[var]
    if env.get(key_env):
        values["api_key"] = env[key_env]
    for name, value in flags.items():
        if name not in {f.name for f in fields(LlmSettings)}:
            raise LlmConfigError(f"unknown LLM option {name}")
        if value is not None:
            values[name] = value
    try:
        settings = replace(LlmSettings(), **values)
    except TypeError as exc:
        raise LlmConfigError(f"winloss.toml [llm]: {exc}") from exc
    if settings.response_format not in RESPONSE_FORMATS:
        raise LlmConfigError(f"llm.response_format must be one of {', '.join(RESPONSE_FORMATS)}, "
                             f"got {settings.response_format!r}")
    if settings.concurrency < 1 or settings.max_retries < 0 or settings.timeout <= 0:
        raise LlmConfigError("llm: concurrency must be >= 1, max_retries >= 0 and timeout > 0")
    return settings
