"""Optional LLM assistance: better labels and prose from any OpenAI-compatible endpoint; off unless configured."""
