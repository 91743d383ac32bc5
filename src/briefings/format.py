"""Locale formatting of figures with their qualifier, period and year.

Two styles, as an editor would set them:

- ``table`` (tables and charts): symbols for qualifiers and no year (tables have a year
  column): ≤ 5 亿元/年, ≥ 94 EFLOPS, ≈ 100 亿元 / ≤ CNY 500 million a year.
- ``prose`` (sentences): qualifiers in words and the year as a target or a measurement:
  每年最高 5 亿元, 到 2025 年不低于 94 EFLOPS, 2024 年 7083.4 亿元 /
  up to CNY 500 million a year, at least 94 EFLOPS by 2025, CNY 708.34 billion in 2024.

Numbers go through Babel for the locale; amounts are in the unit a reader expects
(1500 万元, not 0.15 亿元; CNY 15 million).
"""

from __future__ import annotations

import re
from typing import Any

from babel.numbers import format_compact_decimal

from .i18n import babel_locale, number

SYMBOLS = {"max": "≤ ", "min": "≥ ", "approx": "≈ ", "eq": "", "range": ""}


def qualifier_symbol(qualifier: str) -> str:
    return SYMBOLS.get(qualifier, "")


def _compact(value: float, lang: str) -> str:
    """Babel compact form: 3000000000 -> '3 billion' (en) / '30亿' (zh)."""
    kind = "long" if lang == "en" else "short"
    return format_compact_decimal(value, format_type=kind, locale=babel_locale(lang), fraction_digits=2)


def money(value: float, lang: str) -> str:
    """CNY 3 billion / 30 亿元; CNY 15 million / 1500 万元."""
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
        return f"第 {number(value, lang, 0)} 位" if lang == "zh" else ordinal(int(value))
    if unit in ("TB", "ms", "kW"):
        return f"{number(value, lang)} {unit}"
    if unit == "count" and lang == "zh":
        text = _compact(value, lang) if value >= 1e4 else number(value, lang)
        digits = text.rstrip("万亿")
        return f"{digits} {text[len(digits):]}{counter}".rstrip()
    return number(value, lang)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _counter(entry: dict[str, Any]) -> str:
    unit = entry.get("unit_reported") or ""
    return unit.lstrip("万") if entry["unit"] == "count" else ""


def _core(entry: dict[str, Any], lang: str) -> str:
    unit, counter = entry["unit"], _counter(entry)
    if entry["qualifier"] == "range" and entry.get("value_high") is not None:
        low = number(entry["value"] / 1e18, lang) if unit == "FLOPS" else number(entry["value"], lang)
        high = plain(entry["value_high"], unit, lang, counter)
        return f"{low}—{high}" if lang == "zh" else f"{low} to {high}"
    return plain(entry["value"], unit, lang, counter)


def _max_word(unit: str, lang: str) -> str:
    if lang == "zh":
        return {"CNY": "最高", "percent": "不超过", "ms": "小于"}.get(unit, "不高于")
    return {"CNY": "up to", "percent": "up to", "ms": "under"}.get(unit, "no more than")


def _min_word(unit: str, lang: str) -> str:
    if lang == "zh":
        return "不少于" if unit in ("CNY", "count", "TB") else "不低于"
    return "at least"


def qualifier_words(entry: dict[str, Any], lang: str) -> str:
    q, unit = entry["qualifier"], entry["unit"]
    if q == "max":
        return _max_word(unit, lang)
    if q == "min":
        return _min_word(unit, lang)
    if q == "approx":
        return "约" if lang == "zh" else "about"
    return ""


def value_text(entry: dict[str, Any], lang: str, *, style: str = "table") -> str:
    """A figure as a table or a sentence prints it (see the module docstring)."""
    core = _core(entry, lang)
    period = entry.get("period") or ""
    if style == "table":
        text = qualifier_symbol(entry["qualifier"]) + core
        if period == "per_year":
            text += "/年" if lang == "zh" else " a year"
        elif period == "one_time":
            text += "（一次性）" if lang == "zh" else " (one-time)"
        return text
    words = qualifier_words(entry, lang)
    year, status = entry.get("year"), entry.get("status")
    if lang == "zh":
        text = words + core
        if period == "per_year":
            text = "每年" + text if entry["unit"] == "CNY" else text + "/年"
        elif period == "one_time":
            text = "一次性" + text
        if year and status in ("baseline", "projection", "target"):
            prefix = {"baseline": f"{year} 年", "projection": f"预计到 {year} 年"}.get(status, f"到 {year} 年")
            text = prefix + text
        return cjk_spacing(text)
    text = f"{words} {core}" if words else core
    if period == "per_year":
        text += " a year"
    elif period == "one_time":
        text += " (one-time)"
    if year:  # a policy's or a proposal's year is its document's, not the figure's: tables show it
        if status == "baseline":
            text += f" in {year}"
        elif status == "projection":
            text += f", expected by {year}"
        elif status == "target":
            text += f" by {year}"
    return text


_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_SPACE_AFTER_CJK = re.compile(f"([{_CJK}])([A-Za-z0-9≤≥≈])")
_SPACE_BEFORE_CJK = re.compile(f"([A-Za-z0-9%])([{_CJK}])")


def cjk_spacing(text: str) -> str:
    """The one spacing rule of the Chinese editions: a space between a CJK character and a
    Latin letter, a digit or a number's symbol (到 2026 年, 30 亿元, 80 EFLOPS), never next
    to full-width punctuation."""
    return _SPACE_BEFORE_CJK.sub(r"\1 \2", _SPACE_AFTER_CJK.sub(r"\1 \2", text))


def holder_name(holder: dict[str, Any], lang: str) -> str:
    """Region or city name; a city is marked as such so it is never read as its province."""
    if lang == "zh":
        return holder["name_zh"] + ("市" if holder.get("is_city") else "")
    return holder["name_en"] + (" (city)" if holder.get("is_city") else "")


def scaled(value: float, unit: str, lang: str, entries: list[dict[str, Any]]) -> tuple[float, str]:
    """A value on the common scale of a chart panel, and the axis label of that scale."""
    biggest = max((e["value"] for e in entries), default=value)
    if unit == "CNY":
        if lang == "zh":
            return (value / 1e8, "亿元") if biggest >= 1e8 else (value / 1e4, "万元")
        return (value / 1e9, "CNY billion") if biggest >= 1e9 else (value / 1e6, "CNY million")
    if unit == "FLOPS":
        return value / 1e18, "EFLOPS"
    if unit == "percent":
        return value, "%"
    if unit == "count":
        return value, "个" if lang == "zh" else "count"
    return value, unit
