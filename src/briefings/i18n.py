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
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale
    from babel.messages.catalog import Catalog

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

# Babel is imported where it is used: a no-op build needs the language list, not Babel.

LANGUAGES: dict[str, str] = {"zh": "zh_Hans", "en": "en"}
DOMAIN = "briefings"

#: The folder of the catalogs in use (``use_catalogs``, called by ``Project.activate``); when
#: no project was activated, the one ``Project.find()`` gives.
_catalog_dir: Path | None = None


def use_catalogs(folder: Path) -> None:
    """Read translations from ``folder`` (``<locale>/LC_MESSAGES/briefings.po``) from now on."""
    global _catalog_dir
    folder = Path(folder).resolve()
    if folder != _catalog_dir:
        _catalog_dir = folder
        _catalog.cache_clear()
        translations.cache_clear()


def catalog_dir() -> Path:
    if _catalog_dir is None:
        from .project import Project

        use_catalogs(Project.find().locale)
    assert _catalog_dir is not None
    return _catalog_dir


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


#: Labels of the fixed vocabularies (extracted into the catalogs through N_). Labels of
#: metrics and instruments are data: data/metrics.csv and data/instruments.csv.
VOCAB_LABELS: dict[str, str] = {
    # statuses
    "target": N_("target"),
    "policy": N_("policy"),
    "baseline": N_("achieved"),
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
    "data": N_("Data"),
    "applications": N_("Models and applications"),
    "industry": N_("Industry"),
    "priorities": N_("Priorities"),
    "reference": N_("Reference figures"),
    # macro-regions
    "east": N_("east"),
    "central": N_("central"),
    "west": N_("west"),
    "northeast": N_("northeast"),
}


def catalog_path(lang: str) -> Path:
    return catalog_dir() / LANGUAGES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _catalog(lang: str) -> Catalog | None:
    from babel.messages.pofile import read_po

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
    return {
        m.id if isinstance(m.id, str) else m.id[0]: m.string if isinstance(m.string, str) else "\x00".join(m.string)
        for m in catalog
        if m.id and m.string and not m.fuzzy
    }


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext translations of ``lang`` (``zh`` or ``en``), compiled from its .po file."""
    from babel.messages.mofile import write_mo

    catalog = _catalog(lang)
    if catalog is None:
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(lang: str) -> Callable[[str], str]:
    return translations(lang).gettext


def ngettext_for(lang: str) -> Callable[[str, str, int], str]:
    """Plural-aware translation (Babel catalogs carry each language's plural rule)."""
    return translations(lang).ngettext


def label(key: str, lang: str) -> str:
    """Translated label of a vocabulary value (instrument, metric, status, period ...)."""
    message = VOCAB_LABELS.get(key, key.replace("_", " "))
    return translations(lang).gettext(message)


@cache
def babel_locale(lang: str) -> Locale:
    from babel import Locale

    return Locale.parse(LANGUAGES[lang])


def number(value: float, lang: str, digits: int = 2) -> str:
    """A plain number, locale formatted, at most ``digits`` decimals: 7,083.4 / 7,083.4."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    from babel.numbers import format_decimal

    fmt = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=fmt, locale=babel_locale(lang))
