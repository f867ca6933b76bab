"""[scale] in winloss.toml: where the heavy stages run. The default, local with one worker, is today's loop.

Validated with the rest of the settings (winloss.settings); none of it can change a result, so run.json records
it with the timings, not with the settings."""
from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic.dataclasses import dataclass

SECTION = ConfigDict(extra="forbid", strict=True)


@dataclass(frozen=True, config=SECTION)
class ScaleSettings:
    engine: Literal["local", "ray"] = "local"  # "local": this machine; "ray": a pool of Ray actors
    address: str = ""  # Ray cluster to join ("auto", "ray://head:10001", "head:6379"); "" starts one in-process
    workers: int = Field(0, ge=0)  # local: processes (0 or 1 = in this process); ray: actors (0 = one per CPU)
    retries: int = Field(2, ge=0)  # a job that raised or whose worker died is tried this many more times
    threads: int = Field(0, ge=0)  # CPU threads per worker (0: local = the cores shared out, ray = 1)

    @model_validator(mode="after")
    def _address_needs_ray(self):
        if self.address and self.engine != "ray":
            raise ValueError('address is for the ray engine only (set engine = "ray")')
        return self
