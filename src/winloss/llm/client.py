"""One careful way to ask an OpenAI-compatible endpoint for JSON.

Every request is redacted first (the only path to the network goes through `chat_json`), answered from the disk
cache when the same endpoint, model and prompt were asked before, otherwise sent with a timeout and the openai
client's bounded retries (exponential backoff on 429, 5xx, timeouts, connection errors; Retry-After honoured).
The reply must parse as JSON and validate against the task's pydantic schema; an invalid reply is re-asked once.
Nothing here raises for an endpoint's sake: failures come back as an outcome the task turns into a fallback.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from winloss.cachefile import write_atomic
from winloss.llm.config import LlmSettings
from winloss.llm.redact import Redactor, restore_all

T = TypeVar("T")
CACHE_VERSION = 1
REASK = ("Your previous reply was not valid JSON for the required schema ({error}). "
         "Reply again with only the JSON object, nothing else.")


@dataclass
class Outcome:
    value: BaseModel | None  # validated, with placeholders mapped back; None when the task must fall back
    status: str  # "ok", "cached", "invalid" (bad JSON twice), "failed" (endpoint error), "skipped" (endpoint given up)
    detail: str = ""


@dataclass
class ClientStats:
    requests: int = 0  # chat completions that reached the endpoint and answered (openai's retries are inside)
    cache_hits: int = 0
    failures: int = 0
    invalid: int = 0
    reasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


def estimate_tokens(text: str) -> int:
    """About four characters per token for English prose; good enough to decide whether to spend."""
    return max(1, len(text) // 4)


def strict_schema(model: type[BaseModel]) -> dict:
    """The model's JSON schema in the form OpenAI's strict structured outputs accept."""
    schema = model.model_json_schema()

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
                node["required"] = list(node["properties"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def _parse_json(content: str | None) -> Any:
    if not content:
        raise ValueError("empty reply")
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, flags=re.DOTALL)  # models love code fences
    return json.loads(fenced.group(1) if fenced else text)


class LlmClient:
    def __init__(self, settings: LlmSettings, cache_dir: Path | None, redactor: Redactor | None = None):
        import openai  # imported here so a run without an LLM never loads it

        self.settings = settings
        self.cache_dir = Path(cache_dir) / "llm" if cache_dir else None
        self.redactor = redactor or Redactor(enabled=settings.redact)
        self.stats = ClientStats()
        self._lock = threading.Lock()
        self._consecutive_failures = 0
        self._unsupported: set[str] = set()  # request features this endpoint rejected: not sent again
        # base_url always explicit: the openai client would otherwise read OPENAI_BASE_URL behind our back.
        self._bad_request = openai.BadRequestError
        self._openai = openai.OpenAI(base_url=settings.endpoint, api_key=settings.api_key or "not-needed",
                              timeout=settings.timeout, max_retries=settings.max_retries)

    # -- planning --------------------------------------------------------------------------------------------------
    def _prepare(self, messages: list[dict], schema: type[BaseModel], name: str):
        contents, mapping = self.redactor.redact([m["content"] for m in messages])
        sent = [{"role": m["role"], "content": c} for m, c in zip(messages, contents)]
        response_format = self._response_format(schema, name)
        key_source = json.dumps({"v": CACHE_VERSION, "endpoint": self.settings.endpoint, "model": self.settings.model,
                                 "messages": sent, "response_format": response_format,
                                 "temperature": self.settings.temperature}, sort_keys=True, ensure_ascii=False)
        key = hashlib.sha256(key_source.encode("utf-8")).hexdigest()
        return sent, mapping, response_format, key

    def needs_call(self, messages: list[dict], schema: type[BaseModel], name: str) -> tuple[bool, int]:
        """Whether asking this would reach the endpoint (not cached), and its estimated tokens (prompt + reply)."""
        sent, _, response_format, key = self._prepare(messages, schema, name)
        if self._cache_read(key) is not None:
            return False, 0
        prompt = sum(estimate_tokens(m["content"]) for m in sent)
        prompt += estimate_tokens(json.dumps(response_format)) if response_format else 0
        return True, prompt + 300  # a structured reply is rarely longer than a few hundred tokens

    # -- asking ----------------------------------------------------------------------------------------------------
    def chat_json(self, messages: list[dict], schema: type[BaseModel], name: str) -> Outcome:
        sent, mapping, response_format, key = self._prepare(messages, schema, name)
        cached = self._cache_read(key)
        if cached is not None:
            outcome = self._validate(cached, schema, mapping)
            if outcome.value is not None:
                with self._lock:
                    self.stats.cache_hits += 1
                return Outcome(outcome.value, "cached")
        conversation = list(sent)
        for attempt in range(2):
            content, error = self._send(conversation, response_format)
            if error:
                return Outcome(None, "skipped" if error.startswith("skipped") else "failed", error)
            outcome = self._validate(content, schema, mapping)
            if outcome.value is not None:
                self._cache_write(key, content)
                return outcome
            if attempt == 0:
                with self._lock:
                    self.stats.reasks += 1
                conversation += [{"role": "assistant", "content": content or ""},
                                 {"role": "user", "content": REASK.format(error=outcome.detail[:300])}]
        with self._lock:
            self.stats.invalid += 1
        return Outcome(None, "invalid", outcome.detail)

    def map(self, fn: Callable[[T], Any], items: Sequence[T]) -> list:
        """Run fn over items with at most `concurrency` requests in flight; results in input order."""
        if len(items) <= 1 or self.settings.concurrency == 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.settings.concurrency) as pool:
            return list(pool.map(fn, items))

    def record(self) -> dict:
        return {"settings": self.settings.to_record(), **asdict(self.stats)}

    # -- internals -------------------------------------------------------------------------------------------------
    def _response_format(self, schema: type[BaseModel], name: str) -> dict | None:
        if self.settings.response_format == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": name, "schema": strict_schema(schema),
                                                           "strict": True}}
        if self.settings.response_format == "json_object":
            return {"type": "json_object"}
        return None

    def _send(self, messages: list[dict], response_format: dict | None) -> tuple[str | None, str]:
        with self._lock:
            if self._consecutive_failures >= self.settings.max_consecutive_failures:
                return None, f"skipped: endpoint failed {self._consecutive_failures} times in a row"
        kwargs: dict = {"model": self.settings.model, "messages": messages}
        if "temperature" not in self._unsupported:
            kwargs["temperature"] = self.settings.temperature
        if response_format:
            kwargs["response_format"] = response_format if "json_schema" not in self._unsupported \
                else {"type": "json_object"}
        try:
            while True:
                try:
                    response = self._openai.chat.completions.create(**kwargs)
                    break
                except self._bad_request as exc:
                    # Reasoning models refuse a temperature, older servers a JSON schema: drop what the endpoint
                    # names and ask again (each at most once); the cache key keeps the settings, so reruns hit.
                    if not self._drop_unsupported(str(exc), kwargs):
                        raise
            content = response.choices[0].message.content
        except Exception as exc:  # an endpoint fails in more ways than openai's classes name; the run must go on
            with self._lock:
                self._consecutive_failures += 1
                self.stats.failures += 1
            return None, f"{type(exc).__name__}: {str(exc)[:200]}"
        with self._lock:
            self._consecutive_failures = 0
            self.stats.requests += 1
            usage = getattr(response, "usage", None)
            if usage is not None:
                self.stats.prompt_tokens += usage.prompt_tokens or 0
                self.stats.completion_tokens += usage.completion_tokens or 0
        return content, ""

    def _drop_unsupported(self, message: str, kwargs: dict) -> bool:
        lowered = message.lower()
        if "temperature" in lowered and "temperature" in kwargs:
            kwargs.pop("temperature")
            feature = "temperature"
        elif ("json_schema" in lowered or "response_format" in lowered) and \
                kwargs.get("response_format", {}).get("type") == "json_schema":
            kwargs["response_format"] = {"type": "json_object"}
            feature = "json_schema"
        else:
            return False
        with self._lock:
            self._unsupported.add(feature)
        return True

    @staticmethod
    def _validate(content: str | None, schema: type[BaseModel], mapping) -> Outcome:
        try:
            data = _parse_json(content)
            schema.model_validate(data)  # validate the redacted form first: placeholders are plain strings
            return Outcome(schema.model_validate(restore_all(data, mapping)), "ok")
        except (ValueError, ValidationError) as exc:
            return Outcome(None, "invalid", f"{type(exc).__name__}: {str(exc)[:300]}")

    def _cache_path(self, key: str) -> Path | None:
        return self.cache_dir / key[:2] / f"{key}.json" if self.cache_dir else None

    def _cache_read(self, key: str) -> str | None:
        path = self._cache_path(key)
        if path is None or not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))["content"]
        except (OSError, ValueError, KeyError):
            return None  # a damaged entry is asked again and rewritten

    def _cache_write(self, key: str, content: str) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        write_atomic(path, json.dumps({"model": self.settings.model, "content": content},
                                      ensure_ascii=False).encode("utf-8"))


def make_client(settings: LlmSettings, cache_dir: Path | None, redactor: Redactor | None = None) -> LlmClient | None:
    """The client, or None when no LLM is configured (then nothing is constructed and nothing leaves the machine)."""
    if not settings.enabled:
        return None
    return LlmClient(settings, cache_dir, redactor)
