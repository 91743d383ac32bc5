"""Provincial AI-policy briefings: dataset, comparison, bilingual reports."""

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

__version__ = "0.1.0"
