"""Locale formatting of values with their qualifier, period and year.

30 亿元 / CNY 3 billion; 5 亿元/年 / CNY 500 million a year; ≥ 94 EFLOPS（2025 年）/
at least 94 EFLOPS by 2025. Numbers go through Babel for the locale.
"""

from __future__ import annotations

from typing import Any

from babel.numbers import format_compact_decimal

from .i18n import babel_locale, gettext_for, number

SYMBOLS = {"max": "≤ ", "min": "≥ ", "approx": "≈ ", "eq": "", "range": "", "": ""}


def qualifier_symbol(qualifier: str) -> str:
    return SYMBOLS.get(qualifier or "", "")


def _compact(value: float, lang: str) -> str:
    """Babel compact form: 3000000000 -> '3 billion' (en) / '30亿' (zh)."""
    kind = "long" if lang == "en" else "short"
    return format_compact_decimal(value, format_type=kind, locale=babel_locale(lang), fraction_digits=2)


def money(value: float, lang: str) -> str:
    """CNY 3 billion / 30 亿元."""
    if lang == "en":
        return "CNY " + (_compact(value, lang) if value >= 1e6 else number(value, lang))
    text = _compact(value, lang) if value >= 1e4 else number(value, lang)
    digits = text.rstrip("万亿")
    return f"{digits} {text[len(digits):]}元"


def plain(value: float, unit: str, lang: str, counter: str = "") -> str:
    """A base-unit value, without qualifier: CNY 3 billion, 94 EFLOPS, 35%, 200 TB.

    ``counter`` is the Chinese measure word of a count (个, 家, 张), shown in Chinese.
    """
    if unit == "CNY":
        return money(value, lang)
    if unit == "FLOPS":
        if value >= 1e17:
            return f"{number(value / 1e18, lang)} EFLOPS"
        return f"{number(value / 1e15, lang)} PFLOPS"
    if unit == "percent":
        return f"{number(value, lang)}%"
    if unit == "rank":
        return f"第 {number(value, lang, 0)} 位" if lang == "zh" else _ordinal(int(value))
    if unit in ("TB", "ms", "kW"):
        return f"{number(value, lang)} {unit}"
    if unit == "count" and lang == "zh":
        text = _compact(value, lang) if value >= 1e4 else number(value, lang)
        return f"{text} {counter}".rstrip() if text[-1].isdigit() else f"{text}{counter}"
    return number(value, lang)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def value_text(entry: dict[str, Any], lang: str, *, with_year: bool = True) -> str:
    """The full reading of a figure: qualifier, value, unit, period, year."""
    _ = gettext_for(lang)
    unit = entry["unit"]
    counter = (entry.get("unit_reported") or "").lstrip("万")
    if entry["qualifier"] == "range" and entry.get("value_high") is not None:
        low, high = number(entry["value"], lang), plain(entry["value_high"], unit, lang, counter)
        core = _("{low} to {high}").format(low=low, high=high)
    else:
        core = plain(entry["value"], unit, lang, counter)
    qualifier = entry["qualifier"]
    if lang == "en":
        words = {"max": "up to ", "min": "at least ", "approx": "about "}
        text = words.get(qualifier, "") + core
        if entry.get("period") == "per_year":
            text += " a year"
        elif entry.get("period") == "one_time":
            text += " one-time"
        if with_year and entry.get("year"):
            status = entry.get("status")
            year = entry["year"]
            text += f" in {year}" if status == "baseline" else (f" by {year}" if status in ("target", "projection") else f" ({year})")
        return text
    text = qualifier_symbol(qualifier) + core
    if entry.get("period") == "per_year":
        text += "/年"
    elif entry.get("period") == "one_time":
        text += "（一次性）"
    if with_year and entry.get("year"):
        text += f"（{entry['year']} 年）"
    return text


def holder_name(holder: dict[str, Any], lang: str) -> str:
    """Region or city name; a city is marked as such so it is never read as its province."""
    if lang == "zh":
        return holder["name_zh"] + ("市" if holder.get("is_city") else "")
    return holder["name_en"] + (" (city)" if holder.get("is_city") else "")


def scaled(value: float, unit: str, lang: str, entries: list[dict[str, Any]]) -> tuple[float, str]:
    """A value on the common scale of a chart, and the axis label of that scale."""
    _ = gettext_for(lang)
    biggest = max((e["value"] for e in entries), default=value)
    if unit == "CNY":
        if lang == "zh":
            return (value / 1e8, "亿元") if biggest >= 1e8 else (value / 1e4, "万元")
        return (value / 1e9, _("CNY billion")) if biggest >= 1e9 else (value / 1e6, _("CNY million"))
    if unit == "FLOPS":
        return value / 1e18, "EFLOPS"
    return value, unit
