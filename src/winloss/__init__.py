"""winloss: win/loss/churn interview evidence, offline by default.

    from winloss import Settings, run
    result = run("studies/q3", "reports/q3")      # -> RunResult: out_dir, counts, problems, warnings, exit_code
"""

import os

# MKL's strict conditional reproducibility: a matrix product's rows keep their bits whatever else is in the batch,
# on any thread count. Without it, on 2 threads, a vector moved (1.5e-7) with its batch-mates, so with which texts the
# cache already held (tests/test_embedding.py). Read at MKL's first call, so set before any model runs; same speed.
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

__version__ = "0.1.0"
__all__ = ["RunResult", "Settings", "__version__", "run"]


def __getattr__(name: str):
    # Lazy, so `import winloss` (and `winloss --help`) does not import the whole pipeline.
    if name in ("run", "RunResult"):
        from winloss import pipeline

        return getattr(pipeline, name)
    if name == "Settings":
        from winloss.settings import Settings

        return Settings
    raise AttributeError(f"module 'winloss' has no attribute {name!r}")
