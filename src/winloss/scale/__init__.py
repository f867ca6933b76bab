"""Scale out: run the per-recording and per-batch computations on worker processes or a Ray cluster (docs/scale.md).

Importing this package is cheap; Ray is imported only when the ray engine is chosen.
"""
from winloss.scale.executor import (
    Done,
    EngineUnavailable,
    Executor,
    Failed,
    LocalExecutor,
    Outcome,
    Rejected,
    SetupError,
    Task,
    open_executor,
)
from winloss.scale.settings import ScaleSettings

__all__ = ["Done", "EngineUnavailable", "Executor", "Failed", "LocalExecutor", "Outcome", "Rejected", "ScaleSettings", "SetupError",
           "Task", "open_executor"]
