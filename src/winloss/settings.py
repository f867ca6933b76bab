"""Settings: defaults, overridden by STUDY/winloss.toml, overridden by CLI flags."""
from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

DEFAULT_MIN_THEME_SIZE = 8
LARGE_STUDY_STATEMENTS_PER_THEME = 250  # above 2,000 statements the default grows, keeping themes readable


class ConfigError(Exception):
    pass


@dataclass
class Settings:
    seed: int = 0
    min_theme_size: int | None = None  # None: 8, or n_statements / 250 for large studies (see theme_size)
    embedding_model: str | None = None  # None: the bundled all-MiniLM-L6-v2
    interviewer_names: list[str] = field(default_factory=list)
    quotes_per_theme: int = 3
    cache_dir: str | None = None
    # Tables owned by later stages, passed through untouched.
    audio: dict = field(default_factory=dict)
    crm: dict = field(default_factory=dict)
    llm: dict = field(default_factory=dict)
    previous: str | None = None  # previous quarter's output folder, relative to the study

    def cache_path(self) -> Path:
        if self.cache_dir:
            return Path(self.cache_dir).expanduser()
        env = os.environ.get("WINLOSS_CACHE_DIR")
        if env:
            return Path(env).expanduser()
        return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "winloss"

    def theme_size(self, n_statements: int) -> int:
        """The minimum theme size in force: the user's, else 8, growing with very large studies (docs/themes.md)."""
        if self.min_theme_size is not None:
            return self.min_theme_size
        return max(DEFAULT_MIN_THEME_SIZE, n_statements // LARGE_STUDY_STATEMENTS_PER_THEME)

    def to_record(self) -> dict:
        return asdict(self)


def load_settings(study_dir: Path, overrides: dict | None = None) -> Settings:
    """Read STUDY/winloss.toml (optional) and apply non-None CLI overrides."""
    values: dict = {}
    path = study_dir / "winloss.toml"
    if path.exists():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    if isinstance(values.get("interviewer_names"), str):
        values["interviewer_names"] = [values["interviewer_names"]]
    for key, value in values.items():
        problem = _check(key, value)
        if problem:
            raise ConfigError(f"{path}: {key} {problem}, got {value!r}")
    return Settings(**values)


def _check(key: str, value) -> str:
    """Why `value` can't be setting `key`, or '' when it can."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if key == "seed" and not whole:
        return "must be a whole number"
    if key == "min_theme_size" and not (whole and value >= 2):
        return "must be a whole number of at least 2"
    if key == "quotes_per_theme" and not (whole and value >= 1):
        return "must be a whole number of at least 1"
    if key == "interviewer_names" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return "must be a list of speaker labels"
    if key in ("embedding_model", "cache_dir", "previous") and not isinstance(value, str):
        return "must be a text"
    if key in ("audio", "crm", "llm") and not isinstance(value, dict):
        return f"must be a table ([{key}])"
    return ""
