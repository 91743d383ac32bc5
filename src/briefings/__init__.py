"""Provincial AI-policy briefings: dataset, comparison, bilingual reports."""

__version__ = "0.1.0"
