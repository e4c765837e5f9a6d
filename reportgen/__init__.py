"""reportgen: LLM-judge comparisons of a fine-tuned model against its base model,
ingested into DuckDB, reported with SQL and published as a static site."""

__version__ = "0.1.0"
