"""Figures as an editor sets them, with the source's qualifier word, period and year.

- ``figure(e, lang, style="table")`` — tables and charts. Chinese keeps the source's word
  (最高 5 亿元, 35 EFLOPS 以上, 30 余项, 近一半); English prints the word's symbol (≤, <, ≥, >,
  ≈) or, where no symbol is faithful, its words (nearly half, of the order of CNY 10 billion).
- ``figure(e, lang, style="words")`` — in sentences: the word in words in both languages
  (突破 94 EFLOPS / more than 94 EFLOPS), without period or year (patterns place them).
- ``period_words`` and ``when_words`` — 每年 / a year; 到 2025 年 / by 2025.

The qualifier forms (``qualifiers.csv``) travel with each figure as ``e["words"]``:
``{"symbol": "≥", "zh": "{v}以上", "en": "{v} or more"}``. Amounts are rounded before their
unit is chosen (9.9999999 亿元 is 10 亿元, never 10000 万元), in the unit a reader expects
(1500 万元, CNY 15 million). Chinese never groups digits (1500 个, 1000 亿元: larger numbers
take 万 or 亿); English groups by thousands (1,500).
"""

from __future__ import annotations

import re
from typing import Any

from . import vocab
from .i18n import number

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

SYMBOLS = {"max": "≤", "min": "≥", "approx": "≈", "eq": "", "range": ""}
_CN_DIGITS = "零一二三四五六七八九"


def qualifier_symbol(qualifier: str) -> str:
    """The symbol of a qualifier class with its space (charts: ``≥ 35``)."""
    symbol = SYMBOLS.get(qualifier, "")
    return f"{symbol} " if symbol else ""


def _num(value: float, lang: str, digits: int = 2) -> str:
    text = number(round(value, digits), lang, digits)
    return text.replace(",", "") if lang == "zh" else text


#: (factor, Chinese unit, English word) from the largest; an amount takes the largest unit it
#: reaches after rounding to two decimals.
_MONEY_ZH = ((1e12, "万亿元"), (1e8, "亿元"), (1e4, "万元"), (1.0, "元"))
_MONEY_EN = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
_COUNT_ZH = ((1e8, "亿"), (1e4, "万"))


def _scale(value: float, steps: tuple[tuple[float, str], ...]) -> tuple[float, str] | None:
    for factor, name in steps:
        if round(value / factor, 2) >= 1:
            return round(value / factor, 2), name
    return None


def money_parts(value: float, lang: str) -> tuple[str, str]:
    """(number, unit): ("30", "亿元"), ("1500", "万元"); ("3", "CNY billion") in English."""
    if lang == "zh":
        scaled = _scale(value, _MONEY_ZH)
        if scaled is None:
            return _num(value, lang), "元"
        return _num(scaled[0], lang), scaled[1]
    scaled = _scale(value, _MONEY_EN)
    if scaled is None:
        return _num(value, lang), "CNY"
    return _num(scaled[0], lang), f"CNY {scaled[1]}"


def money(value: float, lang: str) -> str:
    """CNY 3 billion / 30 亿元; CNY 15 million / 1500 万元."""
    n, u = money_parts(value, lang)
    if lang == "zh":
        return f"{n} {u}"
    return f"CNY {n} {u[4:]}".rstrip() if u != "CNY" else f"CNY {n}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def chinese_numeral(n: int) -> str:
    """A small whole number in Chinese numerals (1-99): 6 -> 六, 12 -> 十二."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _CN_DIGITS[tens]) + "十" if tens else "") + (_CN_DIGITS[ones] if ones else "")


def parts(e: dict[str, Any], lang: str, value: float | None = None) -> tuple[str, str]:
    """(number, unit) of a figure in a language; the unit is the reader's (亿元, EFLOPS, 家)."""
    v = e["value"] if value is None else value
    unit = e["unit"]
    reported = e.get("unit_reported") or ""
    if unit == "CNY":
        n, u = money_parts(v, lang)
        return n, u
    if unit == "FLOPS":
        return (_num(v / 1e18, lang), "EFLOPS") if v >= 1e17 else (_num(v / 1e15, lang), "PFLOPS")
    if unit == "percent":
        if lang == "zh" and reported == "成":
            return chinese_numeral(round(v / 10)), "成"
        if reported == "半" and v == 50:
            return ("一", "半") if lang == "zh" else ("half", "")
        return _num(v, lang), "%"
    if unit == "rank":
        return _num(v, lang, 0), "rank"
    if unit == "count":
        counter = reported.lstrip("万") if lang == "zh" else ""
        if lang == "zh":
            scaled = _scale(v, _COUNT_ZH)
            if scaled is not None and v >= 1e4:
                return _num(scaled[0], lang), scaled[1] + counter
        return _num(v, lang), counter
    if unit == "bps":
        factor, name = next(((f, n) for f, n in _BITS if v >= f), (1.0, "bps"))
        return _num(v / factor, lang, 3), name
    if unit == "TB" and v >= 1000:
        return _num(v / 1000, lang, 3), "PB"
    if unit not in BASE_UNIT_WORDS:
        raise ValueError(f"no display form for the base unit {unit!r}: add it to format.BASE_UNIT_WORDS")
    zh, en = BASE_UNIT_WORDS[unit]
    return _num(v, lang), zh if lang == "zh" else en


#: How a base unit (units.csv ``base_unit``) is printed, (Chinese, English), where it is not
#: scaled above (money, FLOPS, percent, rank, count, bps); never the unit's id.
BASE_UNIT_WORDS: dict[str, tuple[str, str]] = {
    "ratio": ("", ""),
    "ms": ("毫秒", "ms"),
    "kW": ("千瓦", "kW"),
    "card_hour": ("卡时", "card-hours"),
    "TB": ("TB", "TB"),
}
_BITS = ((1e12, "Tbps"), (1e9, "Gbps"), (1e6, "Mbps"), (1e3, "kbps"))


def _join(n: str, u: str, lang: str) -> str:
    """A number and its unit, as printed: 30 亿元, 35%, 2600 家, CNY 3 billion, 94 EFLOPS."""
    if u == "rank":
        return f"第 {n} 位" if lang == "zh" else ordinal(int(n.replace(",", "")))
    if not u:
        return n
    if u in ("%", "成", "半"):
        return f"{n}{u}"
    if lang == "en" and u.startswith("CNY"):
        return f"CNY {n}" + (f" {u[4:]}" if u != "CNY" else "")
    return f"{n} {u}"


def core(e: dict[str, Any], lang: str) -> tuple[str, str, str]:
    """(number+unit, number, unit) of a figure without its qualifier; a range as 2—3 个 / 2–3."""
    n, u = parts(e, lang)
    if e["qualifier"] == "range" and e.get("value_high") is not None:
        high, u = parts(e, lang, e["value_high"])
        low, _ = parts(e, lang, e["value"]) if e["unit"] != "CNY" else (money_parts(e["value"], lang)[0], "")
        n = f"{low}—{high}" if lang == "zh" else f"{low}–{high}"
    return _join(n, u, lang), n, u


def _apply(form: str, v: str, n: str, u: str) -> str:
    return form.replace("{v}", v).replace("{n}", n).replace("{u}", u)


def figure(e: dict[str, Any], lang: str, *, style: str = "table") -> str:
    """A figure with its qualifier: ``table`` (English symbols) or ``words`` (sentences).

    A rank is 第 12 位 / 12th in a table, and 12 位 / 12 in words (the metric's sentence
    pattern says 居全国第…, No. … nationally)."""
    v, n, u = core(e, lang)
    if e["unit"] == "rank":
        u = "位" if lang == "zh" else ""
        if style == "words":
            v = f"{n} 位" if lang == "zh" else n
    words = e.get("words") or {}
    if e["qualifier"] in ("max", "min", "approx"):
        if lang == "zh":
            text = _apply(words.get("zh") or "{v}", v, n, u)
        elif style == "table" and words.get("symbol"):
            text = f"{words['symbol']} {v}"
        elif words.get("en"):
            text = _apply(words["en"], v, n, u)
        else:
            text = f"{SYMBOLS[e['qualifier']]} {v}"
    else:
        text = v
    return cjk_spacing(text) if lang == "zh" else text


def period_words(e: dict[str, Any], lang: str, *, style: str = "words") -> str:
    """每年 / a year; 一次性 / as a one-time payment; 合计 / in total (tables: /年, a year)."""
    period = e.get("period") or ""
    if style == "table":
        return (
            {"per_year": "/年", "one_time": "（一次性）"}.get(period, "")
            if lang == "zh"
            else {"per_year": " a year", "one_time": " (one-time)"}.get(period, "")
        )
    if lang == "zh":
        return {"per_year": "每年", "one_time": "一次性", "total": "合计"}.get(period, "")
    return {"per_year": "a year", "one_time": "as a one-time payment", "total": "in total"}.get(period, "")


def when_words(e: dict[str, Any], lang: str) -> str:
    """到 2025 年 / by 2025 (targets, projections), 2024 年 / in 2024 (achieved), when the source
    states the year; empty otherwise (the sentence then names the document's year)."""
    year, status = e.get("year"), e.get("status")
    if not year or e.get("year_basis") not in vocab.YEAR_GIVEN or status not in ("target", "projection", "baseline"):
        return ""
    if lang == "zh":
        return f"{year} 年" if status == "baseline" else f"到 {year} 年"
    return f"in {year}" if status == "baseline" else f"by {year}"


def value_text(e: dict[str, Any], lang: str, *, style: str = "table") -> str:
    """A figure as a table cell (with its period), or in words with its period and year."""
    if style == "table":
        return figure(e, lang, style="table") + period_words(e, lang, style="table")
    text = " ".join(
        p
        for p in (
            period_words(e, lang) if lang == "zh" else "",
            figure(e, lang, style="words"),
            period_words(e, lang) if lang == "en" else "",
            when_words(e, lang),
        )
        if p
    )
    return cjk_spacing(text.replace(" ", "")) if lang == "zh" else text


_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_SPACE_AFTER_CJK = re.compile(f"([{_CJK}])([A-Za-z0-9≤≥≈<>])")
_SPACE_BEFORE_CJK = re.compile(f"([A-Za-z0-9%])([{_CJK}])")


def cjk_spacing(text: str) -> str:
    """The one spacing rule of the Chinese editions: a space between a CJK character and a
    Latin letter, a digit or a number's symbol (到 2026 年, 30 亿元, 80 EFLOPS), never next
    to full-width punctuation."""
    return _SPACE_BEFORE_CJK.sub(r"\1 \2", _SPACE_AFTER_CJK.sub(r"\1 \2", text))


def holder_name(holder: dict[str, Any], lang: str) -> str:
    """Region, city or district name by one rule: the short name (河南, 深圳, 成都高新区 /
    Henan, Shenzhen); which holders are cities the page says once, by level."""
    name: str = holder["name_zh"] if lang == "zh" else holder["name_en"]
    return name


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
    if unit == "bps":
        factor, name = next(((f, n) for f, n in _BITS if biggest >= f), (1.0, "bps"))
        return value / factor, name
    zh, en = BASE_UNIT_WORDS.get(unit, (unit, unit))
    return value, zh if lang == "zh" else en
