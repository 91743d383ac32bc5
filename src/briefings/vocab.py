"""Controlled vocabularies of the dataset (documented in data/README.md).

To add a metric or instrument: add it here, document it in data/README.md, and give it
labels in the translation catalogs.
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "fund", "voucher", "subsidy", "compute", "data", "model",
    "application", "industry", "infrastructure", "priority",
)

INSTRUMENTS: tuple[str, ...] = (
    "compute_voucher", "training_voucher", "corpus_voucher", "model_voucher",
    "ai_industry_fund", "model_filing_grant", "corpus_grant",
    "enablement_centre_grant", "corpus_open_reward",
)

VOUCHERS: frozenset[str] = frozenset(
    {"compute_voucher", "training_voucher", "corpus_voucher", "model_voucher"}
)

QUALIFIERS: tuple[str, ...] = ("eq", "max", "min", "approx", "range")
PERIODS: tuple[str, ...] = ("one_time", "per_year", "total")
STATUSES: tuple[str, ...] = ("target", "policy", "baseline", "projection", "proposal")
REGION_LEVELS: tuple[str, ...] = ("country", "province", "city")
MACRO_REGIONS: tuple[str, ...] = ("east", "central", "west", "northeast")
POLICY_KINDS: tuple[str, ...] = ("policy", "plan", "work_report", "proposal", "report")
BASE_UNITS: tuple[str, ...] = (
    "CNY", "FLOPS", "percent", "count", "TB", "ms", "kW", "ratio", "rank",
)

QUALITATIVE_METRIC = "named"

#: metric -> the base unit its values must have (None: a qualitative row, no value).
METRIC_BASE_UNIT: dict[str, str | None] = {
    "fund_size": "CNY",
    "pool_per_year": "CNY",
    "pool_total": "CNY",
    "cap_per_recipient": "CNY",
    "grant_per_recipient": "CNY",
    "subsidy_rate": "percent",
    "startup_subsidy_rate": "percent",
    "compute_capacity": "FLOPS",
    "compute_cluster_size": "FLOPS",
    "intelligent_compute_share": "percent",
    "self_controlled_share": "percent",
    "compute_offsite_share": "percent",
    "compute_utilisation": "percent",
    "compute_growth_rate": "percent",
    "compute_rank": "rank",
    "chip_count": "count",
    "data_centre_count": "count",
    "rack_count": "count",
    "server_capacity": "count",
    "base_station_count": "count",
    "pue_limit": "ratio",
    "rack_power_limit": "kW",
    "rack_utilisation": "percent",
    "latency_limit": "ms",
    "dataset_volume": "TB",
    "data_listing_count": "count",
    "data_trade_volume": "CNY",
    "model_count": "count",
    "scenario_count": "count",
    "sector_count": "count",
    "firm_count": "count",
    "unicorn_count": "count",
    "project_count": "count",
    "policy_count": "count",
    "industry_scale": "CNY",
    "industry_growth_rate": "percent",
    "industry_segment_share": "percent",
    "digital_economy_share": "percent",
    QUALITATIVE_METRIC: None,
}
METRICS: tuple[str, ...] = tuple(METRIC_BASE_UNIT)

#: A metric that names a period must agree with the row's period.
METRIC_PERIOD: dict[str, str] = {"pool_per_year": "per_year", "pool_total": "total"}

YEAR_MIN, YEAR_MAX = 2000, 2040
