"""Translations and locale formatting (Babel).

Interface strings are English msgids translated through gettext catalogs in
``templates/locale/<locale>/LC_MESSAGES/briefings.po`` (managed with Babel: ``pybabel
extract`` / ``update``). The .po files are compiled in memory when loaded, so no
generated .mo file is committed. Numbers are formatted with Babel for the locale:
30 亿元 / CNY 3 billion.

To add a language: add its code to LANGUAGES, create its catalog with
``pybabel init -l <locale>``, translate, and add its number wording below.
"""

from __future__ import annotations

import gettext
import io
import math
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES: dict[str, str] = {"zh": "zh_Hans", "en": "en"}
DOMAIN = "briefings"
LOCALE_DIR = Path(__file__).resolve().parents[2] / "templates" / "locale"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


#: Labels of vocabulary values (extracted into the catalogs through N_).
VOCAB_LABELS: dict[str, str] = {
    # instruments
    "compute_voucher": N_("compute voucher"),
    "training_voucher": N_("training voucher"),
    "corpus_voucher": N_("corpus voucher"),
    "model_voucher": N_("model voucher"),
    "ai_industry_fund": N_("AI industry fund"),
    "model_filing_grant": N_("grant for filing a generative AI model"),
    "corpus_grant": N_("grant per high-quality training corpus"),
    "enablement_centre_grant": N_("grant per AI industry enablement centre"),
    "corpus_open_reward": N_("reward per unit opening corpora"),
    # metrics
    "fund_size": N_("fund size"),
    "pool_per_year": N_("pool per year"),
    "pool_total": N_("pool in total"),
    "cap_per_recipient": N_("cap per recipient"),
    "grant_per_recipient": N_("grant per recipient"),
    "subsidy_rate": N_("subsidy rate"),
    "startup_subsidy_rate": N_("subsidy rate for start-ups"),
    "compute_capacity": N_("compute capacity"),
    "compute_cluster_size": N_("size of one compute cluster"),
    "intelligent_compute_share": N_("intelligent-compute share"),
    "self_controlled_share": N_("self-controlled share of new compute"),
    "compute_offsite_share": N_("share of compute used but deployed elsewhere"),
    "compute_utilisation": N_("utilisation of intelligent-compute centres"),
    "compute_growth_rate": N_("yearly growth of compute"),
    "compute_rank": N_("national rank in compute"),
    "chip_count": N_("intelligent-compute chips"),
    "data_centre_count": N_("data and computing centres"),
    "rack_count": N_("racks"),
    "server_capacity": N_("server capacity"),
    "base_station_count": N_("5G base stations"),
    "pue_limit": N_("PUE limit"),
    "rack_power_limit": N_("design power per rack"),
    "rack_utilisation": N_("rack utilisation"),
    "latency_limit": N_("one-way network latency"),
    "dataset_volume": N_("high-quality datasets"),
    "data_listing_count": N_("data products listed"),
    "data_trade_volume": N_("data trading volume"),
    "model_count": N_("models"),
    "scenario_count": N_("application scenarios and cases"),
    "sector_count": N_("sectors with AI application programmes"),
    "firm_count": N_("AI firms"),
    "unicorn_count": N_("AI unicorns"),
    "project_count": N_("projects attracted"),
    "policy_count": N_("supporting policies"),
    "industry_scale": N_("industry scale"),
    "industry_growth_rate": N_("industry growth per year"),
    "industry_segment_share": N_("segment share of the industry"),
    "digital_economy_share": N_("digital economy share of GDP"),
    # statuses
    "target": N_("target"),
    "policy": N_("policy"),
    "baseline": N_("baseline"),
    "projection": N_("projection"),
    "proposal": N_("proposal"),
    # periods
    "one_time": N_("one-time"),
    "per_year": N_("per year"),
    "total": N_("in total"),
    # sections
    "funds": N_("Funds"),
    "vouchers": N_("Vouchers and grants"),
    "compute": N_("Compute and infrastructure"),
    "other": N_("Other targets"),
    # macro-regions
    "east": N_("east"),
    "central": N_("central"),
    "west": N_("west"),
    "northeast": N_("northeast"),
}


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / LANGUAGES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def _catalog(lang: str):
    po = catalog_path(lang)
    if not po.is_file():
        return None
    with po.open("rb") as handle:
        return read_po(handle, locale=LANGUAGES[lang], domain=DOMAIN)


def catalog_messages(lang: str) -> dict[str, str]:
    """msgid -> msgstr of every translated, non-fuzzy message of ``lang``'s catalog."""
    catalog = _catalog(lang)
    if catalog is None:
        return {}
    return {m.id if isinstance(m.id, str) else m.id[0]: m.string if isinstance(m.string, str) else "\x00".join(m.string)
            for m in catalog if m.id and m.string and not m.fuzzy}


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext translations of ``lang`` (``zh`` or ``en``), compiled from its .po file."""
    catalog = _catalog(lang)
    if catalog is None:
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(lang: str):
    return translations(lang).gettext


def label(key: str, lang: str) -> str:
    """Translated label of a vocabulary value (instrument, metric, status, period ...)."""
    message = VOCAB_LABELS.get(key, key.replace("_", " "))
    return translations(lang).gettext(message)


def babel_locale(lang: str) -> Locale:
    return Locale.parse(LANGUAGES[lang])


def number(value: float, lang: str, digits: int = 2) -> str:
    """A plain number, locale formatted, at most ``digits`` decimals: 7,083.4 / 7,083.4."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    fmt = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=fmt, locale=babel_locale(lang))
