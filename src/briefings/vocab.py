"""Controlled vocabularies of the dataset that are not data themselves (data/README.md).

Metrics and instruments are defined in ``data/metrics.csv`` and ``data/instruments.csv``
(one row each, with their labels in both languages); the values here are the fixed
vocabularies those files and ``measures.csv`` use.
"""

from __future__ import annotations

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

CATEGORIES: tuple[str, ...] = (
    "fund",
    "voucher",
    "subsidy",
    "compute",
    "data",
    "model",
    "application",
    "industry",
    "infrastructure",
    "priority",
)
QUALIFIERS: tuple[str, ...] = ("eq", "max", "min", "approx", "range")
PERIODS: tuple[str, ...] = ("one_time", "per_year", "total")
STATUSES: tuple[str, ...] = ("target", "policy", "baseline", "projection", "proposal")
REGION_LEVELS: tuple[str, ...] = ("country", "province", "city", "district")
#: Whether a measure's year is stated by the source for that figure, or is only the year of
#: the document or report that sets it (the page then says so, never "by <year>").
YEAR_BASES: tuple[str, ...] = ("stated", "period_end", "document")
#: Year bases a comparison may rely on: the source states the year, or names the plan period
#: the year ends (行动计划 2024-2026: 2026). ``document``: only the document's own year is known.
YEAR_GIVEN: tuple[str, ...] = ("stated", "period_end")
#: How a source's date is known.
DATE_BASES: tuple[str, ...] = ("printed", "address", "document_number", "inferred")
#: What a source is: the issuing body's own page, a reprint of an official text, a news report.
SOURCE_KINDS: tuple[str, ...] = ("policy_text", "reprint", "news_report")
MACRO_REGIONS: tuple[str, ...] = ("east", "central", "west", "northeast")
POLICY_KINDS: tuple[str, ...] = ("policy", "plan", "work_report", "proposal", "report")
BASE_UNITS: tuple[str, ...] = ("CNY", "FLOPS", "percent", "count", "TB", "ms", "kW", "ratio", "rank", "bps", "card_hour")
TITLE_KINDS: tuple[str, ...] = ("printed", "descriptive")

#: Briefing sections, in the order a briefing prints them.
SECTIONS: tuple[str, ...] = ("funds", "vouchers", "compute", "data", "applications", "industry")
#: ranked: figures of different regions may share a ranking; reference: a figure that is a
#: comparison or share itself (a national rank); qualitative: the one metric ``named``.
METRIC_KINDS: tuple[str, ...] = ("ranked", "reference", "qualitative")
#: What a metric allows in a measure's period column: none (blank), exactly one period,
#: or any (the period then splits rankings).
PERIOD_RULES: tuple[str, ...] = ("none", "per_year", "total", "one_time", "any")
INSTRUMENT_KINDS: tuple[str, ...] = ("voucher", "grant", "fund")
YES_NO: tuple[str, ...] = ("yes", "no")

QUALITATIVE_METRIC = "named"

#: Statuses whose figures compare only for the same year (a policy's year is its document's:
#: instruments in force compare whatever year they were set).
DATED_STATUSES: frozenset[str] = frozenset({"target", "projection", "baseline"})
#: Municipalities directly under the central government: province-level regions that are
#: also cities, so their figures compare with provinces' and with cities' (each claim names
#: the level it compares at).
MUNICIPALITIES: frozenset[str] = frozenset({"CN-BJ", "CN-SH", "CN-TJ", "CN-CQ"})
#: The levels a comparison is made at.
LEVELS: tuple[str, ...] = ("province", "city")

#: Where a row without a figure (metric named) is listed: by its instrument's kind, else its category.
QUALITATIVE_SECTION_BY_KIND: dict[str, str] = {"voucher": "vouchers", "grant": "vouchers", "fund": "funds"}
QUALITATIVE_SECTION_BY_CATEGORY: dict[str, str] = {
    "fund": "funds",
    "voucher": "vouchers",
    "subsidy": "vouchers",
    "compute": "compute",
    "infrastructure": "compute",
    "data": "data",
    "model": "applications",
    "application": "applications",
    "industry": "industry",
}

YEAR_MIN, YEAR_MAX = 2000, 2040
