"""Settings: defaults, overridden by STUDY/winloss.toml, overridden by CLI flags.

One pydantic model for the whole file, sections included ([audio], [crm], [llm], [scale]), validated before any
work: an unknown key or a value of the wrong type anywhere stops the run at once (exit 2) with the key named, so a
typo never falls back to a default silently, and never surfaces half an hour into a run.
"""
from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from winloss.audio.settings import AudioSettings
from winloss.crm.settings import CrmSettings
from winloss.errors import ConfigError
from winloss.llm.config import LlmSettings
from winloss.scale.settings import ScaleSettings

DEFAULT_MIN_THEME_SIZE = 8
LARGE_STUDY_STATEMENTS_PER_THEME = 250  # above 2,000 statements the default grows, keeping themes readable
REMOVED = {"seed": "the theme engine uses no randomness, so a seed changed nothing; delete the line"}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    min_theme_size: int | None = Field(None, ge=2)  # None: 8, or statements / 250 for large studies
    embedding_model: str | None = None  # None: the bundled all-MiniLM-L6-v2
    interviewer_names: list[str] = []
    our_names: list[str] = []  # what customers call us (company, product): the stance reads them as "you"
    title: str = ""  # the report's title ("Q3 2026 win/loss study"); the study folder's name when empty
    quotes_per_theme: int = Field(3, ge=1)
    cache_dir: str | None = None
    previous: str | None = None  # previous quarter's output folder, relative to the study
    audio: AudioSettings = AudioSettings()
    crm: CrmSettings = CrmSettings()
    llm: LlmSettings = LlmSettings()
    scale: ScaleSettings = ScaleSettings()  # where the heavy stages run: never changes a result

    @field_validator("interviewer_names", mode="before")
    @classmethod
    def _one_name(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def cache_path(self) -> Path:
        return cache_root(self.cache_dir)

    def theme_size(self, n_statements: int) -> int:
        """The minimum theme size in force: the user's, else 8, growing with very large studies (docs/themes.md)."""
        if self.min_theme_size is not None:
            return self.min_theme_size
        return max(DEFAULT_MIN_THEME_SIZE, n_statements // LARGE_STUDY_STATEMENTS_PER_THEME)

    def to_record(self) -> dict:
        """For run.json: what was in force, secrets left out; where the work ran ([scale]) is with the timings."""
        record = self.model_dump(mode="json", exclude={"scale"})
        record["llm"] = self.llm.to_record()
        return record


def cache_root(configured: str | None = None) -> Path:
    """The one place winloss keeps caches: the setting, else $WINLOSS_CACHE_DIR, else $XDG_CACHE_HOME/winloss."""
    if configured:
        return Path(configured).expanduser()
    if os.environ.get("WINLOSS_CACHE_DIR"):
        return Path(os.environ["WINLOSS_CACHE_DIR"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "winloss"


def load_settings(study_dir: Path, overrides: dict | None = None) -> Settings:
    """Read STUDY/winloss.toml (optional), apply the CLI's non-None overrides, validate everything."""
    path = Path(study_dir) / "winloss.toml"
    values: dict = {}
    if path.exists():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    for key, why in REMOVED.items():
        if key in values:
            raise ConfigError(f"{path}: {key} is no longer a setting: {why}")
    if isinstance(values.get("llm"), dict) and "api_key" in values["llm"]:
        raise ConfigError(f"{path}: [llm] api_key: a key is never read from winloss.toml (studies get shared); "
                          "put it in the environment variable that api_key_env names (default OPENAI_API_KEY)")
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if isinstance(value, dict):
            values[key] = {**values.get(key, {}), **{k: v for k, v in value.items() if v is not None}}
        else:
            values[key] = value
    try:
        # Validated as JSON data, which is what a TOML file is: strict types (no "5" for 5), tables for the
        # sections, arrays for lists and tuples.
        return Settings.model_validate_json(json.dumps(values, default=str))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """A pydantic error as one line a user can act on: the key as written in winloss.toml, what is wrong, the value."""
    parts = []
    for error in exc.errors():
        loc = [str(x) for x in error["loc"] if not isinstance(x, int)]
        key = ".".join(loc)
        kind = error["type"]
        if kind in ("extra_forbidden", "unexpected_keyword_argument"):
            section = f"[{'.'.join(loc[:-1])}] " if len(loc) > 1 else ""
            parts.append(f"unknown setting {section}{loc[-1]}" if loc else "unknown setting")
            continue
        parts.append(f"{key} {_plain(kind, error)}, got {error.get('input')!r}")
    return "; ".join(parts)


def _plain(kind: str, error: dict) -> str:
    ctx = error.get("ctx") or {}
    words = {
        "int_type": "must be a whole number", "int_from_float": "must be a whole number",
        "float_type": "must be a number", "string_type": "must be a text", "bool_type": "must be true or false",
        "list_type": "must be a list", "tuple_type": "must be a list", "dict_type": "must be a table",
        "model_type": "must be a table", "dataclass_type": "must be a table",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "greater_than": f"must be more than {ctx.get('gt')}", "less_than_equal": f"must be at most {ctx.get('le')}",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "date_type": "must be a date (YYYY-MM-DD)",
    }
    if kind == "value_error":  # our own validators' words, which quote the user's value: kept as written
        return str(error["msg"]).removeprefix("Value error, ")
    return words.get(kind, error["msg"].lower())
