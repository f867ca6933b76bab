"""winloss: win/loss/churn interview evidence, offline by default.

    from winloss import Settings, run
    result = run("studies/q3", "reports/q3")      # -> RunResult: out_dir, counts, problems, warnings, exit_code
"""

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
