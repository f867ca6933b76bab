"""winloss: win/loss/churn interview evidence, offline by default."""

__version__ = "0.1.0"
