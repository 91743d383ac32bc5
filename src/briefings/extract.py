"""From a source text to candidate rows of ``measures.csv`` (``briefings extract``).

The extractor proposes; an analyst confirms. Each step is a small function:

1. ``prepare_text``: the article as ``verify-sources`` reads it (pinyin dropped, OpenCC
   t2s, full-width digits folded, whitespace folded), one normalized line per paragraph,
   joined by ``\\n``. Every offset below is a character offset into that body, and every
   evidence clause is a verbatim slice of it.
2. ``find_mentions``: each figure: a number (Arabic, Chinese or mixed: 30, 1.5万, 二十,
   百亿, 六成, 30余), a range (2—3个, 20%—50%), its unit as written and the qualifier
   word next to it (最高, 以上, 左右 ...).
3. ``candidates_from``: for each figure, the clause holding it (evidence), then period,
   year, status, region, instrument and metric read from the clause, its sentence, its
   paragraph or the document, with a confidence and the reasons (``why``).
4. ``append_confirmed``: the analyst's confirmed candidates as new rows of
   ``measures.csv`` with fresh ids, validated before anything is written.

Vocabularies come from the dataset (``Lexicon``): units from ``units.csv``, place names
from ``regions.csv``, keywords from ``metrics.csv`` and ``instruments.csv``.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DataError, Problem, UsageError, display_path
from .sources import normalize_text, number_in_text

if TYPE_CHECKING:
    import pandas as pd

    from .load import Dataset

STAGE = "tool"  # neither analysis nor rendering: a change rebuilds nothing

#: The columns of ``measures.csv`` a candidate carries, in order (the widened dataset).
MEASURE_COLUMNS: tuple[str, ...] = (
    "measure_id",
    "region",
    "locality",
    "joint_with",
    "policy",
    "category",
    "instrument",
    "metric",
    "value_reported",
    "unit_reported",
    "qualifier",
    "qualifier_word",
    "period",
    "year",
    "year_basis",
    "status",
    "comparable",
    "source_id",
    "evidence",
    "summary_zh",
    "summary_en",
    "note_zh",
    "note_en",
    "curator_note",
)
#: After the measure columns: the extractor's confidence (0-1) and reasons, the id of an
#: existing row the candidate repeats, and the analyst's decision (yes / no / blank).
EXTRA_COLUMNS: tuple[str, ...] = ("confidence", "why", "duplicate_of", "confirmed")
CANDIDATE_COLUMNS: tuple[str, ...] = MEASURE_COLUMNS + EXTRA_COLUMNS
#: Columns a reviewed candidates file may leave out (an older or a widened dataset).
OPTIONAL_CANDIDATE_COLUMNS: frozenset[str] = frozenset(
    {
        "measure_id",
        "joint_with",
        "qualifier_word",
        "year_basis",
        "comparable",
        "curator_note",
        "note_zh",
        "note_en",
        "confidence",
        "why",
        "duplicate_of",
    }
)

# ---------------------------------------------------------------------------------------
# 1. Text
# ---------------------------------------------------------------------------------------

_SENTENCE_MARKS = "。！？!?；;\n"
_CLAUSE_MARKS = _SENTENCE_MARKS + "，,：:"


def prepare_text(raw: str) -> str:
    """The article normalized line by line (``sources.normalize_text``), blank lines
    dropped, lines joined by ``\\n``: the body every offset and evidence refers to."""
    lines = (normalize_text(line) for line in raw.splitlines())
    return "\n".join(line for line in lines if line)


def read_text_file(path: Path) -> str:
    """A source text as a string; UsageError (exit 2) when it is missing, a folder,
    binary, not UTF-8 (with the line and a GBK hint) or empty."""
    name = display_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{name}: source text not found") from None
    except IsADirectoryError:
        raise UsageError(f"{name}: is a folder, not a source text file") from None
    except OSError as exc:
        raise UsageError(f"{name}: cannot read the source text: {exc.strerror}") from None
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise UsageError(f"{name}, line {line}: binary data (NUL byte): not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            data.decode("gb18030")
            hint = " (it looks like GBK/GB18030: re-save it as UTF-8)"
        except UnicodeDecodeError:
            pass
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"{name}, line {line}: not valid UTF-8 at byte {exc.start}{hint}") from None
    if not text.strip():
        raise UsageError(f"{name}: the source text is empty")
    return text


def _is_break(body: str, i: int, marks: str) -> bool:
    """Whether ``body[i]`` ends a span; a comma or colon between digits (12,000; 10:45) does not."""
    ch = body[i]
    if ch not in marks:
        return False
    between_digits = 0 < i < len(body) - 1 and body[i - 1].isdigit() and body[i + 1].isdigit()
    return not (ch in ",:" and between_digits)


def span_around(body: str, start: int, end: int, marks: str) -> tuple[int, int]:
    """The widest span around ``body[start:end]`` without a mark: (first, past-last) offsets."""
    a, b = start, end
    while a > 0 and not _is_break(body, a - 1, marks):
        a -= 1
    while b < len(body) and not _is_break(body, b, marks):
        b += 1
    return a, b


@dataclass(frozen=True)
class Context:
    """Offsets (start, end) of the phrase, clause, sentence and paragraph holding one figure.

    A clause runs between commas, colons or sentence marks; a phrase is the part of a clause
    that lists several figures (2个超大型数据中心、11个大型数据中心、40个边缘数据中心) holding
    this one when it says what the figure counts (four Chinese characters besides the
    number), else the clause itself.
    """

    phrase: tuple[int, int]
    clause: tuple[int, int]
    sentence: tuple[int, int]
    paragraph: tuple[int, int]


#: Where a list of figures splits into phrases: after 、, before 和/及/与 and a number.
_PHRASE_CUT = re.compile(r"、|(?=(?:以及|和|及|与) ?[\d零〇一二两三四五六七八九十百千])")


def context_of(body: str, start: int, end: int, figure_starts: Sequence[int] = ()) -> Context:
    """The context of the figure at body[start:end]; ``figure_starts`` (every figure's start)
    tells whether its clause lists several figures."""
    clause = span_around(body, start, end, _CLAUSE_MARKS)
    phrase = clause
    if sum(clause[0] <= x < clause[1] for x in figure_starts) > 1:
        a, b = clause
        for cut in _PHRASE_CUT.finditer(body, clause[0], clause[1]):
            if cut.end() <= start:
                a = cut.end()
            elif cut.start() >= end:
                b = cut.start()
                break
        words = len(re.findall(r"[\u4e00-\u9fff]", body[a:start] + body[end:b]))
        phrase = (a, b) if words >= 4 else clause  # 31.0% alone says nothing: the clause does
    return Context(phrase, clause, span_around(body, start, end, _SENTENCE_MARKS), span_around(body, start, end, "\n"))


# ---------------------------------------------------------------------------------------
# 2. Numbers, units and figures
# ---------------------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_PLACES = {"十": 10, "百": 100, "千": 1000}


def chinese_number(numeral: str) -> int | None:
    """A Chinese numeral below 10000 as an int: 二十 -> 20, 百 -> 100, 三千五百 -> 3500,
    六 -> 6, 二〇二四 -> 2024 (digit by digit); None when it is not a numeral."""
    if not numeral or any(c not in _CN_DIGITS and c not in _CN_PLACES for c in numeral):
        return None
    if len(numeral) > 1 and all(c in _CN_DIGITS for c in numeral):
        return int("".join(str(_CN_DIGITS[c]) for c in numeral))
    total, digit = 0, None
    for c in numeral:
        if c in "零〇":
            continue  # 一百零五: a zero only marks a skipped place
        if c in _CN_DIGITS:
            if digit is not None:
                return None  # two digits in a row inside a place numeral: not a number
            digit = _CN_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * _CN_PLACES[c]
            digit = None
    return total + (digit or 0)


@dataclass(frozen=True)
class Unit:
    """A unit as written: its base unit and the factor to it (亿元 -> CNY, 100000000);
    ``listed`` when it is a row of units.csv (else the extractor knows it on its own)."""

    spelling: str
    base_unit: str
    factor: Decimal
    listed: bool


#: Units the extractor knows besides units.csv: spelling -> (base unit, factor).
BUILTIN_UNITS: dict[str, tuple[str, str]] = {
    "元": ("CNY", "1"),
    "万元": ("CNY", "1e4"),
    "百万元": ("CNY", "1e6"),
    "千万元": ("CNY", "1e7"),
    "亿元": ("CNY", "1e8"),
    "万亿元": ("CNY", "1e12"),
    "万": ("CNY", "1e4"),
    "百万": ("CNY", "1e6"),
    "千万": ("CNY", "1e7"),
    "亿": ("CNY", "1e8"),
    "万亿": ("CNY", "1e12"),
    "P": ("FLOPS", "1e15"),
    "PFLOPS": ("FLOPS", "1e15"),
    "PFlops": ("FLOPS", "1e15"),
    "Pflops": ("FLOPS", "1e15"),
    "E": ("FLOPS", "1e18"),
    "EFLOPS": ("FLOPS", "1e18"),
    "EFlops": ("FLOPS", "1e18"),
    "Eflops": ("FLOPS", "1e18"),
    "TFLOPS": ("FLOPS", "1e12"),
    "%": ("percent", "1"),
    "成": ("percent", "10"),
    "半": ("percent", "50"),
    "个": ("count", "1"),
    "家": ("count", "1"),
    "项": ("count", "1"),
    "支": ("count", "1"),
    "条": ("count", "1"),
    "宗": ("count", "1"),
    "张": ("count", "1"),
    "台": ("count", "1"),
    "卡": ("count", "1"),
    "万卡": ("count", "1e4"),
    "TB": ("TB", "1"),
    "PB": ("TB", "1e3"),
    "EB": ("TB", "1e6"),
    "ms": ("ms", "1"),
    "kW": ("kW", "1"),
    "KW": ("kW", "1"),
    "千瓦": ("kW", "1"),
    "MW": ("kW", "1e3"),
    "Gbps": ("bps", "1e9"),
    "Tbps": ("bps", "1e12"),
    "Mbps": ("bps", "1e6"),
    "PUE": ("ratio", "1"),
    "位": ("rank", "1"),
}
_MULTIPLIERS: dict[str, Decimal] = {
    "万亿": Decimal("1e12"),
    "千万": Decimal("1e7"),
    "百万": Decimal("1e6"),
    "十万": Decimal("1e5"),
    "万": Decimal("1e4"),
    "亿": Decimal("1e8"),
}
#: What may follow a unit word without making it part of another word (支持 is not 支, 项目 not 项).
_NOT_A_UNIT_AFTER: dict[str, str] = {
    "个": "百分点|月|工作日|小时|季度|人|体",
    "家": "庭|电|居|用|乡|长",
    "项": "目",
    "支": "持|付|撑|出|柱",
    "条": "件|例|款|线|链",
    "台": "阶|湾",
    "张": "家口",
    "元": "化|素|宇宙|器件|件|旦|年|月",
    "成": "为|立|果|本|效|员|就|熟|长|功|交|型|都|绩|品|像|套|熟",
    "卡": "片|脖子|时",
    "宗": "旨|教",
    "万": "人|户|次|吨|辆|套|件|名|平|亩|字|首|份|千瓦|里|余人",
    "亿": "人|户|次|吨|辆|套|件|名|平|亩|字|首|份|千瓦|里",
    "千万": "人|户|次|吨|辆|套|件|名",
}
#: Words that make a paragraph about AI, compute or data; a figure in a paragraph without
#: any (nor an instrument's keyword) is kept with a low confidence (economy briefs, ads).
_TOPIC = re.compile(
    r"人工智能|(?<![A-Za-z])AI(?![A-Za-z])|算力|智算|超算|大模型|模型|语料|数据|数字经济|数字产业|智能体|"
    r"芯片|云计算|5G|PUE|机架|机柜|独角兽|券"
)
#: A bare 亿 or 万 (no 元) is an amount only in a clause with one of these words.
_MONEY_WORDS = re.compile(r"元|资金|基金|投资|融资|估值|补贴|补助|奖励|资助|产值|营收|收入|交易额|金额|总额|预算|规模")


def units_from_table(rows: Iterable[Mapping[str, str]]) -> dict[str, Unit]:
    """Every unit the extractor reads: units.csv rows (``listed``) and ``BUILTIN_UNITS``."""
    units = {s: Unit(s, base, Decimal(f), False) for s, (base, f) in BUILTIN_UNITS.items()}
    for r in rows:
        try:
            units[r["unit"]] = Unit(r["unit"], r["base_unit"], Decimal(r["factor"]), True)
        except InvalidOperation:
            continue  # validation reports it
    return units


@dataclass(frozen=True)
class Figure:
    """One figure found in the body.

    ``start``/``end``: the number and its unit as written (for 2—3个 the whole range);
    ``value``: value_reported (``30``, ``19.63``, ``2-3``; Chinese numerals as digits);
    ``qualifier``: eq, max, min, approx or range, and ``word`` the source's own word for
    it (最高, 以上, 余, 近, 百亿 ... or blank); ``word_start``/``word_end`` its offsets
    (equal to ``start``/``end`` when there is none); ``numeral``: arabic, chinese or
    implicit (突破万亿元: the 1 is not written).
    """

    start: int
    end: int
    value: str
    unit: Unit
    qualifier: str
    word: str
    word_start: int
    word_end: int
    numeral: str

    @property
    def written(self) -> tuple[int, int]:
        """Offsets of the figure with its qualifier word."""
        return min(self.start, self.word_start), max(self.end, self.word_end)


_AR = r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CN = r"[零〇一二两三四五六七八九十百千]+"
_QUANT = re.compile(rf"(?P<num>{_AR}|{_CN})(?P<more1> ?[余多])?(?P<mult>万亿|千万|百万|十万|万|亿)?(?P<more2>[余多])?")
_NUMBER_START = re.compile(rf"{_AR}|{_CN}")
_RANGE_SEP = re.compile(r" ?(?:——|—|–|-|~|～|至|到) ?")
_RANK = re.compile(
    rf"(?:居|位居|位列|排名|排在|排)(?:全国|全球|世界|全省|中部|西部|东部|东北)?(?:各省份|各省|省份)?第(?P<num>{_AR}|{_CN})(?P<unit>位|名)?"
)
_PUE = re.compile(
    r"PUE(?:值)?(?P<word>不高于|不超过|不大于|低于|小于|控制在|降至|降到|达到|高于|为|在)? ?(?P<num>\d+(?:\.\d+)?)(?P<suffix>以下|以内)?"  # noqa: E501 (one table row, one message)
)
_HALF = re.compile(
    r"(?P<word>近|接近|超过|过|约|逾)?(?P<one>一)?半(?P<shu>数)?(?!导|年|月|天|岛|径|场|自动|成品|山|夜|小时|个|程|封闭|价)"
)
_IMPLICIT_ONE = re.compile(r"(?:突破|超过|达到|迈上|跨越|超|逾|近|达) ?(?P<unit>万亿元|万亿)(?![0-9])")

#: Qualifier words before a number: word -> qualifier. Longest first when matching.
PREFIX_WORDS: dict[str, str] = {
    "最高": "max",
    "最多": "max",
    "不超过": "max",
    "不高于": "max",
    "不大于": "max",
    "小于": "max",
    "低于": "max",
    "不到": "max",
    "不足": "max",
    "不超": "max",
    "不多于": "max",
    "超过": "min",
    "超": "min",
    "突破": "min",
    "不少于": "min",
    "不低于": "min",
    "多于": "min",
    "大于": "min",
    "逾": "min",
    "至少": "min",
    "最低": "min",
    "约": "approx",
    "近": "approx",
    "接近": "approx",
    "大约": "approx",
    "将近": "approx",
}
#: Of those, the words that qualify a number further on in the clause (按不超过合同金额的30%).
FAR_WORDS: tuple[str, ...] = ("最高", "最多", "不超过", "不高于", "不大于", "不低于", "不少于", "最低")
#: Qualifier words after a number or unit.
SUFFIX_WORDS: dict[str, str] = {
    "以上": "min",
    "以下": "max",
    "以内": "max",
    "左右": "approx",
    "上下": "approx",
    "余": "min",
    "多": "min",
    "级": "approx",
}
_FAR_WINDOW = 14


def _unit_pattern(units: Mapping[str, Unit]) -> re.Pattern[str]:
    """Every unit spelling that may follow a number (longest first), with the guards that
    keep 支持, 项目, 5G or PUE from reading as units. Ranks (位) are read only by ``_RANK``."""
    parts = []
    for s in sorted(units, key=len, reverse=True):
        u = units[s]
        if u.base_unit == "rank" or s in ("半", "PUE") or s in _MULTIPLIERS:
            continue
        guard = "(?![A-Za-z])" if s[-1].isascii() and s[-1].isalpha() else ""
        if s in _NOT_A_UNIT_AFTER:
            guard += f"(?!{_NOT_A_UNIT_AFTER[s]})"
        parts.append(re.escape(s) + guard)
    return re.compile("|".join(parts))


def _number_value(num: str) -> tuple[str, str] | None:
    """(value as plain digits, arabic|chinese) of a numeral as written; commas dropped."""
    if num[0].isdigit():
        return num.replace(",", ""), "arabic"
    n = chinese_number(num)
    return (str(n), "chinese") if n is not None and n > 0 else None


def _resolve_unit(units: Mapping[str, Unit], mult: str, unit: str) -> Unit | None:
    """The unit of 万 + 个 (万个), 亿 + 元 (亿元), a bare 亿 (an amount) ...; a spelling
    neither in units.csv nor built in is composed from its parts (万家 = 10000 家)."""
    spelled = mult + unit
    if spelled in units:
        return units[spelled]
    if unit in units and mult in _MULTIPLIERS:
        base = units[unit]
        return Unit(spelled, base.base_unit, base.factor * _MULTIPLIERS[mult], False)
    return None


def _prefix_word(body: str, start: int, floor: int) -> tuple[str, int] | None:
    """The qualifier word ending right before ``start`` (one space allowed), or a far word
    (最高, 不超过 ...) a few characters before it with no other number between."""
    pos = start - 1 if start > floor and body[start - 1] == " " else start
    for word in sorted(PREFIX_WORDS, key=len, reverse=True):
        if pos - len(word) >= floor and body.startswith(word, pos - len(word)):
            return word, pos - len(word)
    window_start = max(floor, start - _FAR_WINDOW)
    best: tuple[str, int] | None = None
    for word in FAR_WORDS:
        at = body.rfind(word, window_start, start)
        if at >= 0 and not re.search(r"\d", body[at + len(word) : start]) and (best is None or at > best[1]):
            best = (word, at)
    return best


def _suffix_word(body: str, end: int) -> tuple[str, int] | None:
    pos = end + 1 if body[end : end + 1] == " " else end
    for word in ("以上", "以下", "以内", "左右", "上下", "级"):
        if body.startswith(word, pos):
            return word, pos + len(word)
    return None


def _figure(
    body: str,
    start: int,
    end: int,
    value: str,
    unit: Unit,
    numeral: str,
    clause_start: int,
    *,
    more: str = "",
    magnitude: str = "",
) -> Figure:
    """A figure with its qualifier: a suffix word (以上, 左右) first, then 余/多 inside the
    number, a prefix word (最高, 超过), an order of magnitude (百亿), else eq."""
    if "-" in value:
        return Figure(start, end, value, unit, "range", "", start, end, numeral)
    suffix = _suffix_word(body, end)
    if suffix:
        word, word_end = suffix
        if magnitude:
            word = body[start:word_end].replace(" ", "")
        return Figure(
            start, end, value, unit, SUFFIX_WORDS[word[-1:] if word.endswith("级") else word], word, start, word_end, numeral
        )
    if more:
        return Figure(start, end, value, unit, "min", more, start, end, numeral)
    prefix = _prefix_word(body, start, clause_start)
    if prefix:
        word, at = prefix
        return Figure(start, end, value, unit, PREFIX_WORDS[word], word, at, end, numeral)
    if magnitude:
        return Figure(start, end, value, unit, "approx", magnitude, start, end, numeral)
    return Figure(start, end, value, unit, "eq", "", start, end, numeral)


def _quantity_at(
    body: str, pos: int, units: Mapping[str, Unit], unit_re: re.Pattern[str]
) -> tuple[re.Match[str], str, str, Unit | None, int] | None:
    """(numeral match, value, numeral kind, unit or None, end offset) of the quantity at
    ``pos``: 1.5万台 -> (…, "1.5", "arabic", 万台, end of 台)."""
    m = _QUANT.match(body, pos)
    if not m:
        return None
    parsed = _number_value(m["num"])
    if parsed is None:
        return None
    value, kind = parsed
    end = m.end()
    u = unit_re.match(body, end + 1 if body[end : end + 1] == " " else end)
    mult = m["mult"] or ""
    unit = None
    if u:
        unit = _resolve_unit(units, mult, u.group())
        end = u.end() if unit else end
    elif mult and not re.match(_NOT_A_UNIT_AFTER["万"], body[end : end + 3]):
        clause = span_around(body, pos, end, _CLAUSE_MARKS)
        if _MONEY_WORDS.search(body, clause[0], clause[1]):
            unit = units.get(mult)  # a bare 亿, 万, 千万 where the clause talks money: an amount
    return m, value, kind, unit, end


def find_figures(body: str, units: Mapping[str, Unit]) -> list[Figure]:
    """Every figure in ``body`` with a known unit, in order, none overlapping."""
    unit_re = _unit_pattern(units)
    found: list[Figure] = []
    found.extend(_special_figures(body, units))
    taken = [(f.start, f.end) for f in found]
    pos = 0
    while True:
        m = _NUMBER_START.search(body, pos)
        if not m:
            break
        start = m.start()
        pos = m.end()
        if any(a <= start < b for a, b in taken):
            continue
        before = body[start - 1 : start]
        if before and ((before.isascii() and before.isalpha()) or before in "._/第#" or before.isdigit()):
            continue  # H100, v1.5, 第十, a date's tail
        q = _quantity_at(body, start, units, unit_re)
        if q is None:
            continue
        qm, value, kind, unit, end = q
        clause_start = span_around(body, start, start + 1, _CLAUSE_MARKS)[0]
        if unit is None:
            rng = _range_from(body, qm.end(), value, kind, units, unit_re)
            if rng is None:
                continue
            value_hi, unit, end = rng
            value = f"{value}-{value_hi}"
        else:
            sep = _RANGE_SEP.match(body, end)
            if sep:
                q2 = _quantity_at(body, sep.end(), units, unit_re)
                if q2 is not None and q2[3] is not None and q2[3].spelling == unit.spelling and _ascending(value, q2[1]):
                    value, end = f"{value}-{q2[1]}", q2[4]
        if not _plausible(value, kind, unit, qm["num"]):
            pos = max(pos, end)
            continue
        more = ((qm["more1"] or "") + (qm["more2"] or "")).strip()
        magnitude = ""
        if kind == "chinese" and qm["num"] in ("百", "千") and qm["mult"]:
            magnitude = qm["num"] + qm["mult"]  # 百亿: an order of magnitude
        found.append(_figure(body, start, end, value, unit, kind, clause_start, more=more, magnitude=magnitude))
        taken.append((start, end))
        pos = max(pos, end)
    return sorted(found, key=lambda f: f.start)


def _ascending(low: str, high: str) -> bool:
    try:
        return Decimal(low) < Decimal(high)
    except InvalidOperation:
        return False


def _range_from(
    body: str, pos: int, low: str, kind: str, units: Mapping[str, Unit], unit_re: re.Pattern[str]
) -> tuple[str, Unit, int] | None:
    """(high value, unit, end) when ``pos`` continues a range (2—3个): a separator, then a
    number with the unit both ends share; None otherwise."""
    sep = _RANGE_SEP.match(body, pos)
    if not sep:
        return None
    q = _quantity_at(body, sep.end(), units, unit_re)
    if q is None or q[3] is None or q[2] != kind or not _ascending(low, q[1]):
        return None
    return q[1], q[3], q[4]


def _plausible(value: str, kind: str, unit: Unit, numeral: str) -> bool:
    """Drop what reads as prose, not a figure: 一个, 两项 (a lone small Chinese numeral with
    a count), a count written 第一."""
    if kind == "chinese" and unit.base_unit == "count" and numeral in ("一", "两", "二", "几", "千", "百", "十"):
        return False
    return not (kind == "chinese" and numeral == "一" and unit.spelling != "半")


def _special_figures(body: str, units: Mapping[str, Unit]) -> list[Figure]:
    """Figures the number-then-unit reading misses: ranks (居全国第12位), PUE before its
    number (PUE不高于1.5), halves (近一半, 过半) and an unwritten 1 (突破万亿元)."""
    found: list[Figure] = []
    rank = units.get("位")
    for m in _RANK.finditer(body):
        parsed = _number_value(m["num"])
        if rank and parsed:
            found.append(Figure(m.start("num"), m.end(), parsed[0], rank, "eq", "", m.start(), m.end(), parsed[1]))
    pue = units.get("PUE")
    for m in _PUE.finditer(body):
        if pue is None:
            break
        word = m["suffix"] or m["word"] or ""
        qualifier = "max" if word in ("不高于", "不超过", "不大于", "低于", "小于", "以下", "以内") else "eq"
        found.append(
            Figure(
                m.start("num"),
                m.end("num"),
                m["num"],
                pue,
                qualifier,
                word if qualifier == "max" else "",
                m.start(),
                m.end(),
                "arabic",
            )
        )
    half = units.get("半")
    for m in _HALF.finditer(body):
        if half is None or not (m["one"] or m["shu"] or m["word"] in ("过", "超过")):
            continue
        word = m["word"] or ""
        qualifier = {"近": "approx", "接近": "approx", "约": "approx", "过": "min", "超过": "min", "逾": "min"}.get(word, "eq")
        found.append(
            Figure(
                m.start("word") if word else m.start(),
                m.end(),
                "1",
                half,
                qualifier,
                word,
                m.start(),
                m.end(),
                "chinese" if m["one"] else "implicit",
            )
        )
    for m in _IMPLICIT_ONE.finditer(body):
        unit = units.get(m["unit"])
        if unit is None:
            continue
        clause_start = span_around(body, m.start(), m.end(), _CLAUSE_MARKS)[0]
        found.append(_figure(body, m.start("unit"), m.end(), "1", unit, "implicit", clause_start))
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Figure] = []
    for f in found:
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


# ---------------------------------------------------------------------------------------
# 3. The dataset's vocabularies
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A place name as written (河南, 河南省, 深圳) and the region it names."""

    name: str
    code: str  # regions.csv code: CN, CN-HA, 440300
    region: str  # province ISO code or CN
    locality: str  # city code or blank
    level: str  # country, province, city


@dataclass(frozen=True)
class Keyworded:
    """A metric or instrument and the words that name it (keywords_zh and keywords_en)."""

    id: str
    keywords: tuple[str, ...]
    kind: str = ""  # an instrument's kind (voucher, grant, fund), a metric's (ranked, reference ...)
    base_unit: str = ""  # metrics: the base unit of its figures
    period_rule: str = ""  # metrics: none, per_year, total, one_time, any
    section: str = ""


@dataclass(frozen=True)
class Lexicon:
    """What the extractor knows, all of it read from the dataset.

    ``category_of``: a metric's most frequent category in measures.csv; ``instrument_kinds``:
    the kinds of instrument a metric's rows name (blank: a row without one);
    ``measures``: the existing rows (for duplicates); ``source_dates``: source_id -> date.
    """

    units: dict[str, Unit]
    places: tuple[Place, ...]
    metrics: tuple[Keyworded, ...]
    instruments: tuple[Keyworded, ...]
    policies: tuple[tuple[str, str, str], ...]  # (title_zh, policy_id, region code)
    category_of: dict[str, str]
    instrument_kinds: dict[str, frozenset[str]]
    measures: tuple[dict[str, str], ...]
    source_dates: dict[str, str]
    slugs: dict[str, str] = field(default_factory=dict)  # region code -> slug


def _keywords(row: Mapping[str, str]) -> tuple[str, ...]:
    words = [w for col in ("keywords_zh", "keywords_en") for w in (row.get(col) or "").split(";") if w]
    return tuple(dict.fromkeys(words))


def lexicon_from_dataset(ds: Dataset) -> Lexicon:
    """The extractor's vocabularies from a validated ``load.Dataset``."""
    records = {
        name: getattr(ds, name).to_dict("records")
        for name in ("units", "regions", "metrics", "instruments", "policies", "measures", "sources")
    }
    return lexicon_from_records(records)


def lexicon_from_records(t: Mapping[str, Sequence[Mapping[str, str]]]) -> Lexicon:
    """The extractor's vocabularies from the dataset's tables as lists of row dicts."""
    places: list[Place] = []
    parent = {r["code"]: r["parent"] for r in t["regions"]}
    for r in t["regions"]:
        code, level = r["code"], r["level"]
        region, locality = (parent[code], code) if level == "city" else (code, "")
        names = {"我国", "中国"} if level == "country" else {r["name_zh"], r["short_zh"]}
        places.extend(Place(n, code, region, locality, level) for n in names if n)
    instrument_kind = {r["instrument"]: r["kind"] for r in t["instruments"]}
    categories: dict[str, Counter[str]] = {}
    kinds: dict[str, set[str]] = {}
    for m in t["measures"]:
        categories.setdefault(m["metric"], Counter())[m["category"]] += 1
        kinds.setdefault(m["metric"], set()).add(instrument_kind.get(m["instrument"], ""))
    return Lexicon(
        units=units_from_table(t["units"]),
        places=tuple(sorted(places, key=lambda p: -len(p.name))),
        metrics=tuple(
            Keyworded(r["metric"], _keywords(r), r["kind"], r["base_unit"], r["period"], r["section"]) for r in t["metrics"]
        ),
        instruments=tuple(Keyworded(r["instrument"], _keywords(r), r["kind"]) for r in t["instruments"]),
        policies=tuple((r["title_zh"], r["policy_id"], r["region"]) for r in t["policies"]),
        category_of={k: c.most_common(1)[0][0] for k, c in categories.items()},
        instrument_kinds={k: frozenset(v) for k, v in kinds.items()},
        measures=tuple(dict(m) for m in t["measures"]),
        source_dates={r["source_id"]: r["date"] for r in t["sources"]},
        slugs={r["code"]: r["slug"] for r in t["regions"]},
    )


# ---------------------------------------------------------------------------------------
# 3b. Reading a figure's context
# ---------------------------------------------------------------------------------------

_YEAR = re.compile(r"(?P<pre>到|至|截至|截止到|截止|于)? ?(?P<year>20[0-4]\d) ?年(?![\d—–-])")
_RELATIVE_YEARS = {"今年": 0, "去年": -1, "明年": 1, "前年": -2, "上年": -1}
_PERIOD_WORDS: dict[str, str] = {"每年": "per_year", "年均": "per_year", "一次性": "one_time", "累计": "total"}
_STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "proposal": ("建议", "提议", "呼吁"),
    "projection": ("预计", "预期", "有望"),
    "target": ("力争", "目标", "达到", "争取", "确保", "计划", "培育", "打造", "形成"),
    "policy": ("设立", "给予", "发放", "补贴", "资助", "奖励", "补助", "按不超过", "原则上"),
    "baseline": ("已", "建成", "截至", "截止", "累计", "同比", "目前", "正在", "据统计"),
}
_TARGET_VERBS = re.compile(r"(?<![重主需只想必纲提概])要(?![求素点闻])|(?<![即])将(?![之近军来])")
_PROVINCE_MARKERS = ("全省", "我省", "本省", "该省")
_CITY_MARKERS = ("全市", "我市", "本市", "该市")
#: 中国 names the country only before words like these (not 中国特色, 中国声谷, 中国电子 ...).
_CHINA_BEFORE = re.compile(
    r"[^\u4e00-\u9fffA-Za-z]|人工智能产业|人工智能市场|算力|智算|数字经济|产业|经济|的|已|将|在|大模型|数据|企业"
)


def year_of(body: str, f: Figure, ctx: Context, doc_year: int | None) -> tuple[str, str, str]:
    """(year, year_basis, reason): the year the text states for the figure: the last year
    written before it in its sentence (到2025年, 2024 年, 今年 ...), else earlier in its
    paragraph, else a 到/至 year later in its sentence (建设…集群,“到2026年 …”); else the
    document's year (``document``; blank when the document date is not known)."""
    s0, s1 = ctx.sentence
    for years, where in (
        (_years_in(body, s0, f.start, doc_year), ""),
        (_years_in(body, ctx.paragraph[0], s0, doc_year), " earlier in the paragraph"),
    ):
        if years:
            _, year, written = years[-1]
            return str(year), "stated", f"year {year} stated{where} ({written})"
    after = [y for y in _years_in(body, f.end, s1, doc_year) if y[2][:1] in ("到", "至")]
    if after:
        return str(after[0][1]), "stated", f"year {after[0][1]} stated later in the sentence ({after[0][2]})"
    if doc_year is None:
        return "", "document", "no year stated and no document date (give --date)"
    return str(doc_year), "document", f"year {doc_year} from the document date"


def _years_in(body: str, a: int, b: int, doc_year: int | None) -> list[tuple[int, int, str]]:
    """(offset, year, as written) of each year written in body[a:b], in order."""
    found = [(m.start(), int(m["year"]), m.group().strip()) for m in _YEAR.finditer(body, a, b)]
    if doc_year is not None:
        for word, delta in _RELATIVE_YEARS.items():
            found.extend((a + m.start(), doc_year + delta, word) for m in re.finditer(word, body[a:b]))
    return sorted(found)


def period_of(body: str, f: Figure, ctx: Context) -> tuple[str, str]:
    """(period, word): the period word of the figure's clause: before the figure (每年,
    年均 -> per_year; 一次性 -> one_time; 累计 -> total; the nearest, but 每年 or 一次性 over
    累计: 每年累计最高500万元 is yearly), else right after it (100万元一次性奖励); or blank."""
    before = body[ctx.clause[0] : f.start]
    found = [(before.rfind(w), p, w) for w, p in _PERIOD_WORDS.items() if w in before]
    if found:
        specific = [x for x in found if x[1] != "total"]
        _, period, word = max(specific or found)
        return period, word
    after = body[f.end : min(ctx.clause[1], f.end + 6)]
    for word in ("一次性", "每年"):
        if word in after:
            return _PERIOD_WORDS[word], word
    return "", ""


def status_of(body: str, f: Figure, ctx: Context, year: str, basis: str, doc_year: int | None) -> tuple[str, str]:
    """(status, reason) from the wording: 建议 anywhere in the sentence -> proposal; 预计
    before the figure -> projection; else the cue nearest before the figure in its clause,
    then in its sentence (力争/目标/达到 target, 设立/给予/发放 policy, 已/建成/截至
    baseline); else a stated year after the document's (target) or before it (baseline);
    else target."""
    s0, s1 = ctx.sentence
    sentence = body[s0:s1]
    for word in _STATUS_WORDS["proposal"]:
        if word in sentence:
            return "proposal", f"status proposal ({word})"
    before = body[s0 : f.start]
    for word in _STATUS_WORDS["projection"]:
        if word in before:
            return "projection", f"status projection ({word})"
    for a in (ctx.clause[0], s0):
        cue = _nearest_cue(body, a, f.start)
        if cue:
            return cue[0], f"status {cue[0]} ({cue[1]})"
    if basis == "stated" and doc_year is not None and year:
        if int(year) > doc_year:
            return "target", f"status target (year {year} after the document's)"
        if int(year) < doc_year:
            return "baseline", f"status baseline (year {year} before the document's)"
    return "target", "status target (no status word: check)"


def _nearest_cue(body: str, a: int, b: int) -> tuple[str, str] | None:
    text = body[a:b]
    best: tuple[int, str, str] | None = None
    for status in ("target", "policy", "baseline"):
        for word in _STATUS_WORDS[status]:
            at = text.rfind(word)
            if at >= 0 and (best is None or at + len(word) > best[0]):
                best = (at + len(word), status, word)
    for m in _TARGET_VERBS.finditer(text):
        if best is None or m.end() > best[0]:
            best = (m.end(), "target", m.group())
    for m in re.finditer(r"(?:(?<!止)到|(?<!截)至) ?20[0-4]\d ?年", text):
        if best is None or m.end() > best[0]:
            best = (m.end(), "target", m.group())
    return (best[1], best[2]) if best else None


@dataclass(frozen=True)
class PlaceMention:
    start: int
    end: int
    place: Place | None  # None for a marker (全省, 本市)
    marker: str = ""


def find_places(body: str, places: Sequence[Place]) -> list[PlaceMention]:
    """Every place name and every 全省/本市 marker in the body, longest names first, none
    overlapping; 中国 inside a name (中国电子, 中国声谷, 中国特色) is not the country."""
    names = {p.name: p for p in places}
    pattern = re.compile(
        "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + "|" + "|".join(_PROVINCE_MARKERS + _CITY_MARKERS)
    )
    found = []
    for m in pattern.finditer(body):
        word = m.group()
        if word in _PROVINCE_MARKERS or word in _CITY_MARKERS:
            found.append(PlaceMention(m.start(), m.end(), None, word))
        elif word != "中国" or m.end() == len(body) or _CHINA_BEFORE.match(body, m.end()):
            found.append(PlaceMention(m.start(), m.end(), names[word]))
    return found


def document_place(body: str, mentions: Sequence[PlaceMention]) -> Place | None:
    """The place the document is about: the most mentioned province or city (the title
    line counts three times; the country only when nothing else is named)."""
    title_end = body.find("\n")
    counts: Counter[str] = Counter()
    first: dict[str, Place] = {}
    for m in mentions:
        if m.place is None:
            continue
        first.setdefault(m.place.code, m.place)
        counts[m.place.code] += 3 if 0 <= m.start < title_end else 1
    ranked = [code for code, _ in counts.most_common() if first[code].level != "country"]
    if ranked:
        return first[ranked[0]]
    return next(iter(first.values()), None)


def paragraph_topics(body: str, mentions: Sequence[PlaceMention], doc: Place | None) -> dict[int, Place | None]:
    """Paragraph start -> the place the paragraph is about: the province named most often
    in it (a city's mention counts for its province; the city itself when it is the only
    place of that province named), else the previous paragraph's, else the document's."""
    topics: dict[int, Place | None] = {}
    current = doc
    start = 0
    for end in [i for i, ch in enumerate(body) if ch == "\n"] + [len(body)]:
        inside = [m.place for m in mentions if start <= m.start < end and m.place is not None and m.place.level != "country"]
        if inside:
            by_province = Counter(p.region for p in inside)
            region = by_province.most_common(1)[0][0]
            named = {p.code for p in inside if p.region == region}
            places = [p for p in inside if p.region == region]
            current = places[0] if len(named) == 1 else next((p for p in places if p.level == "province"), places[0])
            if current.level == "city" and len(named) > 1:
                current = Place(region, region, region, "", "province")
        topics[start] = current
        start = end + 1
    return topics


def place_of(
    body: str, f: Figure, ctx: Context, mentions: Sequence[PlaceMention], topic: Place | None
) -> tuple[Place | None, list[Place], str]:
    """(place, joint places, reason): the first place named before the figure in its clause,
    else in its sentence (the subject comes first: 深圳“训力券”的规模比东莞多 … is
    Shenzhen's); 全省/本市 resolve to the province or city named before in the paragraph,
    else the topic's. Without a name in the sentence: the first place of the last earlier
    sentence of the paragraph that names one, else the paragraph's topic
    (``paragraph_topics``). Places listed together as the subject (北京、广东、上海凭借 …,
    not 天津等) make a joint figure."""
    for (a, _), where in ((ctx.clause, "clause"), (ctx.sentence, "sentence")):
        named = [m for m in mentions if a <= m.start < f.start]
        if named:
            m = named[0]
            if m.place is None:
                earlier = [x for x in mentions if ctx.paragraph[0] <= x.start < m.start and x.place is not None]
                place = _marker_place(m, earlier, topic)
                return place, [], f"region {place.name if place else '?'} ({m.marker})"
            return m.place, _joint(m, mentions, body), f"region {m.place.name} ({where})"
    earlier = [m for m in mentions if ctx.paragraph[0] <= m.start < ctx.sentence[0] and m.place is not None]
    if earlier:  # the sentence names no place: the first place of the last sentence that does
        last = span_around(body, earlier[-1].start, earlier[-1].end, _SENTENCE_MARKS)
        m = next(x for x in earlier if x.start >= last[0])
        place = m.place
        if place is not None and place.level == "city" and (topic is None or topic.code != place.code):
            place = Place(place.region, place.region, place.region, "", "province")  # a city named in passing
        return place, [], f"region {m.place.name if m.place else ''} (an earlier sentence)"
    if topic is not None:
        return topic, [], f"region {topic.name} (paragraph or document)"
    return None, [], "no region named"


def _marker_place(marker: PlaceMention, earlier: Sequence[PlaceMention], doc: Place | None) -> Place | None:
    want = "province" if marker.marker in _PROVINCE_MARKERS else "city"
    for m in reversed(earlier):
        if m.place is not None and m.place.level == want:
            return m.place
    if doc is not None and want == "province" and doc.level == "city":
        return Place(doc.region, doc.region, doc.region, "", "province")
    return doc


def _joint(m: PlaceMention, mentions: Sequence[PlaceMention], body: str) -> list[Place]:
    """The places enumerated with ``m`` (A、B和C) when two or more and not followed by 等
    (天津等 gives examples, not a joint figure)."""
    group = [x for x in mentions if x.place is not None]
    i = next((k for k, x in enumerate(group) if x.start == m.start), None)
    if i is None:
        return []

    def listed(a: PlaceMention, b: PlaceMention) -> bool:
        return body[a.end : b.start] in ("、", "和", "与", "及")

    lo = hi = i
    while lo > 0 and listed(group[lo - 1], group[lo]):
        lo -= 1
    while hi < len(group) - 1 and listed(group[hi], group[hi + 1]):
        hi += 1
    members = group[lo : hi + 1]
    if len(members) < 2 or body.startswith("等", members[-1].end):
        return []
    return [x.place for x in members if x.place is not None]


def _nearest_keyword(body: str, items: Sequence[Keyworded], a: int, b: int, f: Figure) -> tuple[Keyworded, str] | None:
    """The item whose keyword occurs in body[a:b] nearest to the figure (either side)."""
    best: tuple[int, Keyworded, str] | None = None
    for item in items:
        for word in item.keywords:
            for m in re.finditer(re.escape(word), body[a:b]):
                at = a + m.start()
                distance = f.start - (at + len(word)) if at < f.start else at - f.end
                distance = abs(distance)
                if best is None or distance < best[0] or (distance == best[0] and len(word) > len(best[2])):
                    best = (distance, item, word)
    return (best[1], best[2]) if best else None


def instrument_of(body: str, f: Figure, ctx: Context, instruments: Sequence[Keyworded]) -> tuple[Keyworded | None, str, str]:
    """(instrument, where, reason): the instrument whose keyword is nearest the figure in
    its clause (in its phrase only, when the clause lists several figures: 1亿元算力券、
    1亿元模型扶持资金), else in its sentence, else the one named last before it in the
    paragraph; ``where`` says which (phrase, clause, sentence, paragraph)."""
    (pa, pb), (ca, cb), (sa, sb) = ctx.phrase, ctx.clause, ctx.sentence
    if (pa, pb) == (ca, cb):
        spans = [[(pa, pb)], [(sa, sb)], [(ctx.paragraph[0], f.start)]]
    else:  # a list of figures: another item's instrument is not this one's
        spans = [[(pa, pb)], [(sa, ca), (cb, sb)], [(ctx.paragraph[0], ca)]]
    for parts, where in zip(spans, ("phrase" if (pa, pb) != (ca, cb) else "clause", "sentence", "paragraph")):
        hits = [h for a, b in parts if (h := _nearest_keyword(body, instruments, a, b, f))]
        if hits:
            item, word = min(hits, key=lambda h: _distance(body, h[1], parts, f))
            return item, where, f"instrument {item.id} ({word}, {where})"
    return None, "", ""


def _distance(body: str, word: str, parts: Sequence[tuple[int, int]], f: Figure) -> int:
    """Characters between the figure and the nearest ``word`` in the spans."""
    best = len(body)
    for a, b in parts:
        at = body.find(word, a, b)
        while at >= 0:
            best = min(best, f.start - at - len(word) if at < f.start else at - f.end)
            at = body.find(word, at + 1, b)
    return abs(best)


def _keyword_hits(text: str, metrics: Sequence[Keyworded]) -> dict[str, list[str]]:
    """Metric id -> keywords found in ``text``, longest match first: a keyword inside a
    longer one found at the same place (算力 in 智能算力) does not count."""
    occurrences = []
    lowered = text.lower()
    for m in metrics:
        for word in m.keywords:
            for hit in re.finditer(re.escape(word.lower()), lowered):
                occurrences.append((hit.start(), hit.end(), m.id, word))
    occurrences.sort(key=lambda o: (-(o[1] - o[0]), o[0]))
    kept: list[tuple[int, int, str, str]] = []
    claimed: list[tuple[int, int, str]] = []
    for start, end, mid, word in occurrences:
        # a shorter keyword overlapping a longer one found first is dropped, unless the same
        # word (several metrics share 时延) claimed the place
        if any(start < ce and cs < end and not (cs == start and ce == end and cw == word) for cs, ce, cw in claimed):
            continue
        claimed.append((start, end, word))
        kept.append((start, end, mid, word))
    hits: dict[str, list[str]] = {}
    for _, _, mid, word in kept:
        hits.setdefault(mid, []).append(word)
    return hits


def metric_of(
    body: str,
    f: Figure,
    ctx: Context,
    lex: Lexicon,
    period_word: str,
    instrument: Keyworded | None,
    instrument_where: str = "phrase",
) -> tuple[Keyworded | None, str]:
    """(metric, reason): among metrics with the figure's base unit, the best score of
    keywords (their length: in full in the phrase, 0.35 in the rest of the clause, 0.15 in
    the rest of the sentence), a period word the metric's rule wants (+3) or forbids (-2),
    and an instrument of a kind the metric's rows name (+3) or, named in the sentence, not
    (-4); blank below 2."""
    (pa, pb), (ca, cb), (sa, sb) = ctx.phrase, ctx.clause, ctx.sentence
    fitting = [m for m in lex.metrics if m.kind != "qualitative" and m.base_unit == f.unit.base_unit]
    weighted = (
        (1.0, _keyword_hits(body[pa:pb], fitting)),
        (0.35, _keyword_hits(body[ca:pa] + "\n" + body[pb:cb], fitting)),
        (0.15, _keyword_hits(body[sa:ca] + "\n" + body[cb:sb], fitting)),
    )
    best: tuple[float, Keyworded, list[str]] | None = None
    period = _PERIOD_WORDS.get(period_word, "")
    for m in fitting:
        words = [w for _, hits in weighted for w in hits.get(m.id, [])]
        score = sum(weight * len(w) for weight, hits in weighted for w in hits.get(m.id, []))
        if period and m.period_rule == period:
            score += 3
        elif period == "per_year" and m.period_rule in ("none", "total"):
            score -= 2
        elif m.period_rule in ("per_year", "one_time") and period != m.period_rule:
            score -= 1  # a yearly or one-time figure the text does not call so
        kinds = lex.instrument_kinds.get(m.id)
        if instrument is not None and kinds is not None:
            if instrument.kind in kinds:
                score += 3
            elif instrument_where != "paragraph":
                score -= 4
        elif instrument is None and kinds is not None and "" not in kinds:
            score -= 4  # this metric's rows always name an instrument
        if best is None or score > best[0]:
            best = (score, m, words)
    if best is None or best[0] < 2:
        return None, "no metric: its keywords are not in the sentence (set metric)"
    return best[1], f"metric {best[1].id} ({', '.join(dict.fromkeys(best[2])) or 'instrument, period'})"


def category_of(metric: Keyworded | None, instrument: Keyworded | None, f: Figure, lex: Lexicon) -> str:
    """The category rows of this metric have in measures.csv, else from the instrument's
    kind (voucher, grant -> subsidy, fund), the metric's section or the base unit."""
    if instrument is not None and instrument.kind in ("voucher", "fund"):
        return instrument.kind
    if instrument is not None and instrument.kind == "grant":
        return "subsidy"
    if metric is not None and metric.id in lex.category_of:
        return lex.category_of[metric.id]
    section = {
        "funds": "fund",
        "vouchers": "voucher",
        "compute": "compute",
        "data": "data",
        "applications": "application",
        "industry": "industry",
    }
    if metric is not None and metric.section in section:
        return section[metric.section]
    return "compute" if f.unit.base_unit == "FLOPS" else "industry"


def _title_pattern(title: str) -> re.Pattern[str]:
    """A policy title as a source may print it: spaces anywhere, （） or (), “” or \"."""
    same = {"（": "[（(]", "(": "[（(]", "）": "[）)]", ")": "[）)]", "“": '[“"]', "”": '[”"]'}
    return re.compile(" ?".join(same.get(c, re.escape(c)) for c in normalize_text(title) if c != " "))


_SHORT_TITLE = re.compile(r"[（(] ?(?:以下简称|以下称|下称|简称) ?(?P<short>《[^》]{1,20}》|“[^”]{1,20}”)")


def policy_mentions(body: str, lex: Lexicon) -> list[tuple[int, str, str]]:
    """(offset, policy_id, issuing region) of every place the text names a policy of
    policies.csv: its title, or the short title the text gives it right after
    ((以下简称《意见》), (下称《行动计划》)), at each later use."""
    found: list[tuple[int, str, str]] = []
    for title, policy_id, region in lex.policies:
        if not title:
            continue
        for m in _title_pattern(title).finditer(body):
            found.append((m.start(), policy_id, region))
            short = _SHORT_TITLE.match(body, m.end() + 1 if body[m.end() : m.end() + 1] in "》 " else m.end())
            if short is None and body.startswith("》", m.end()):
                short = _SHORT_TITLE.match(body, m.end() + 1 + (body[m.end() + 1 : m.end() + 2] == " "))
            if short:
                later = re.compile(re.escape(short["short"])).finditer(body, short.end())
                found.extend((x.start(), policy_id, region) for x in later)
    return sorted(found)


def policy_of(
    f: Figure, ctx: Context, place: Place | None, named: Sequence[tuple[int, str, str]], head_end: int
) -> tuple[str, str]:
    """(policy_id, reason): the policy issued by the figure's city or province that its
    paragraph names last before it (``policy_mentions``), else the one whose title heads
    the text (the text is that policy); blank otherwise."""
    if place is None:
        return "", ""
    mine = [(at, pid) for at, pid, region in named if region in (place.locality, place.region)]
    before = [(at, pid) for at, pid in mine if ctx.paragraph[0] <= at < f.start]
    if before:
        return before[-1][1], f"policy {before[-1][1]} (named in the paragraph)"
    heading = [pid for at, pid in mine if at < head_end]
    if heading:
        return heading[0], f"policy {heading[0]} (its title heads the text)"
    return "", ""


# ---------------------------------------------------------------------------------------
# 3c. Candidates
# ---------------------------------------------------------------------------------------


@dataclass
class Candidate:
    """One proposed row: ``row`` holds every column of CANDIDATE_COLUMNS (strings);
    ``figure`` and ``evidence_span`` locate it in the body."""

    row: dict[str, str]
    figure: Figure
    evidence_span: tuple[int, int]


def evidence_span(body: str, f: Figure, ctx: Context) -> tuple[int, int]:
    """The shortest clause holding the figure and its qualifier word, spaces trimmed: its
    phrase (``Context``), else the clause; a clause over 60
    characters is narrowed to the part between 、 (or spaces) that holds them."""
    wa, wb = f.written
    pa, pb = ctx.phrase
    a, b = (pa, pb) if pa <= wa and wb <= pb else ctx.clause
    if (a, b) == ctx.clause and b - a > 60:
        left = max(body.rfind("、", a, wa), body.rfind(" ", a, max(a, wa - 1)))
        right = min((x for x in (body.find("、", wb, b), body.find(" ", wb + 1, b)) if x >= 0), default=b)
        if left >= a and wa - left >= 6:
            a = left + 1
        if right < b and right - wb >= 4:
            b = right
    while a < b and body[a] in " “”\"'（(《":
        if body[a] in "“（(《" and _closes(body, a, b):
            break
        a += 1
    while b > a and body[b - 1] in " ":
        b -= 1
    while a < min(b, wa) and body[a] in "=+-@":
        a += 1  # a clause a spreadsheet would read as a formula: start past the sign
    return a, b


def _closes(body: str, a: int, b: int) -> bool:
    pair = {"“": "”", "（": "）", "(": ")", "《": "》"}[body[a]]
    return pair in body[a:b]


def parse_doc_year(date: str | None) -> int | None:
    """The year of a date of any precision (2025, 2025-H2, 2025-03-17), or None."""
    m = re.match(r"^(\d{4})", date or "")
    return int(m.group(1)) if m else None


def date_in_text(body: str) -> str | None:
    """The first full date printed near the top of a text (2025-07-29, 2025年7月28日)."""
    head = body[:600]
    m = re.search(r"(20[0-4]\d)[-年./](\d{1,2})[-月./](\d{1,2})", head)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None


def candidates_from(body: str, lex: Lexicon, source_id: str, doc_date: str | None) -> list[Candidate]:
    """Every candidate row of a prepared body (``prepare_text``), in text order."""
    doc_year = parse_doc_year(doc_date)
    mentions = find_places(body, lex.places)
    doc = document_place(body, mentions)
    topics = paragraph_topics(body, mentions, doc)
    named_policies = policy_mentions(body, lex)
    second_line = body.find("\n", body.find("\n") + 1)
    head_end = second_line if second_line >= 0 else len(body)
    out: list[Candidate] = []
    figures = find_figures(body, lex.units)
    starts = [f.start for f in figures]
    for f in figures:
        ctx = context_of(body, f.start, f.end, starts)
        place, joint, place_why = place_of(body, f, ctx, mentions, topics.get(ctx.paragraph[0], doc))
        holders: list[Place | None] = list(joint) if joint else [place]
        for holder in holders:
            others = [p for p in joint if p.code != (holder.code if holder else None)]
            out.append(_candidate(body, f, ctx, lex, source_id, doc_year, holder, others, place_why, named_policies, head_end))
    return out


def _candidate(
    body: str,
    f: Figure,
    ctx: Context,
    lex: Lexicon,
    source_id: str,
    doc_year: int | None,
    place: Place | None,
    joint: Sequence[Place],
    place_why: str,
    named_policies: Sequence[tuple[int, str, str]],
    head_end: int,
) -> Candidate:
    why: list[str] = []
    confidence = 0.5
    unit_note = f"unit {f.unit.spelling}" + ("" if f.unit.listed else " not in units.csv (add it, or write a listed unit)")
    why.append(unit_note)
    confidence += 0.15 if f.unit.listed else -0.2
    if f.word:
        why.append(f"qualifier {f.word} → {f.qualifier}")
    elif f.qualifier == "range":
        why.append("range")
    period, period_word = period_of(body, f, ctx)
    instrument, where, instrument_why = instrument_of(body, f, ctx, lex.instruments)
    metric, metric_why = metric_of(body, f, ctx, lex, period_word, instrument, where)
    if metric is not None and metric.period_rule in ("per_year", "total", "one_time"):
        if period != metric.period_rule:
            why.append(f"period {metric.period_rule} (metric {metric.id})")
        period = metric.period_rule
    elif metric is not None and metric.period_rule == "none" and period:
        why.append(f"{period_word} ignored: metric {metric.id} takes no period")
        period = ""
    elif period:
        why.append(f"period {period} ({period_word})")
    if (
        instrument is not None
        and metric is not None
        and instrument.kind not in lex.instrument_kinds.get(metric.id, {instrument.kind})
    ):
        instrument = None  # a keyword nearby, but this metric is not one of an instrument
    elif instrument is not None:
        why.append(instrument_why)
    why.append(metric_why)
    confidence += 0.2 if metric is not None else -0.15
    year, basis, year_why = year_of(body, f, ctx, doc_year)
    why.append(year_why)
    status, status_why = status_of(body, f, ctx, year, basis, doc_year)
    why.append(status_why)
    why.append(place_why if place is not None else "no region named (set region)")
    if joint:
        why.append("joint figure with " + ", ".join(p.name for p in joint))
    policy, policy_why = policy_of(f, ctx, place, named_policies, head_end)
    why.append(policy_why)
    if f.numeral == "chinese" or f.unit.base_unit == "count":
        confidence -= 0.1
    paragraph = body[ctx.paragraph[0] : ctx.paragraph[1]]
    if not _TOPIC.search(paragraph) and not any(w in paragraph for i in lex.instruments for w in i.keywords):
        confidence = min(confidence, 0.1)
        why.append("off topic: the paragraph names no AI, compute or data term")
    if basis == "stated":
        confidence += 0.05
    span = evidence_span(body, f, ctx)
    comparable = (
        "yes" if metric is not None and metric.kind == "ranked" and not joint and not f.word.endswith(("级", "亿")) else "no"
    )
    row = dict.fromkeys(CANDIDATE_COLUMNS, "")
    row.update(
        {
            "region": place.region if place else "",
            "locality": place.locality if place else "",
            "joint_with": ";".join(p.code for p in joint),
            "policy": policy,
            "category": category_of(metric, instrument, f, lex),
            "instrument": instrument.id if instrument else "",
            "metric": metric.id if metric else "",
            "value_reported": f.value,
            "unit_reported": f.unit.spelling,
            "qualifier": f.qualifier,
            "qualifier_word": f.word,
            "period": period,
            "year": year,
            "year_basis": basis,
            "status": status,
            "comparable": comparable,
            "source_id": source_id,
            "evidence": body[span[0] : span[1]],
            "confidence": f"{min(0.99, max(0.05, confidence)):.2f}",
            "why": "; ".join(w for w in why if w),
        }
    )
    return Candidate(row, f, span)


# ---------------------------------------------------------------------------------------
# 3d. Duplicates and matching against existing rows
# ---------------------------------------------------------------------------------------


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", normalize_text(text))


def _amount(value: str, unit: str, units: Mapping[str, Unit]) -> tuple[str, tuple[Decimal, ...]] | None:
    """(base unit, values in it) of a reported value (a range gives two), or None."""
    u = units.get(unit)
    if u is None or not value:
        return None
    try:
        return u.base_unit, tuple(Decimal(v) * u.factor for v in value.split("-"))
    except InvalidOperation:
        return None


def same_figure(a_value: str, a_unit: str, b_value: str, b_unit: str, units: Mapping[str, Unit]) -> bool:
    """Same value and unit as written, or the same amount in the same base unit (100 亿 and
    100 亿元; 1 万亿元 and 10000 亿元)."""
    if (a_value, a_unit) == (b_value, b_unit):
        return bool(a_value)
    a, b = _amount(a_value, a_unit, units), _amount(b_value, b_unit, units)
    return a is not None and a == b


def evidence_spans(body: str, evidence: str) -> list[tuple[int, int]]:
    """Every place the (normalized) evidence occurs in the body."""
    needle = normalize_text(evidence)
    if not needle:
        return []
    spans, at = [], body.find(needle)
    while at >= 0:
        spans.append((at, at + len(needle)))
        at = body.find(needle, at + 1)
    return spans


def matches_row(
    value: str,
    unit: str,
    evidence: str,
    figure_span: tuple[int, int] | None,
    row: Mapping[str, str],
    body: str,
    units: Mapping[str, Unit],
) -> bool:
    """Whether a candidate repeats ``row``: the same figure (``same_figure``), and the
    candidate's number lies inside the row's evidence where the body holds it, or the two
    evidence clauses are the same text."""
    if not row.get("value_reported") or not same_figure(value, unit, row["value_reported"], row["unit_reported"], units):
        return False
    if _squeeze(evidence) == _squeeze(row["evidence"]):
        return True
    if figure_span is None:
        return False
    return any(a <= figure_span[0] and figure_span[1] <= b for a, b in evidence_spans(body, row["evidence"]))


_RESTATED = ("region", "locality", "instrument", "metric", "qualifier", "source_id")


def restates(candidate: Mapping[str, str], row: Mapping[str, str], units: Mapping[str, Unit]) -> bool:
    """Whether a candidate states a row's figure again elsewhere in the same source: same
    source, holder, instrument, metric, qualifier and figure (a text that sums up its
    measures twice)."""
    return (
        bool(candidate["metric"])
        and all(candidate[k] == row.get(k, "") for k in _RESTATED)
        and same_figure(
            candidate["value_reported"], candidate["unit_reported"], row["value_reported"], row["unit_reported"], units
        )
    )


def mark_duplicates(
    candidates: Sequence[Candidate], rows: Sequence[Mapping[str, str]], body: str, units: Mapping[str, Unit]
) -> int:
    """Set ``duplicate_of`` on each candidate that repeats an existing row: the same figure
    and evidence (``matches_row``; by position only for rows of the candidate's source), or
    the same figure of the same source restated (``restates``); returns how many."""
    marked = 0
    for c in candidates:
        for r in rows:
            same_source = r.get("source_id") == c.row["source_id"]
            if matches_row(
                c.row["value_reported"],
                c.row["unit_reported"],
                c.row["evidence"],
                (c.figure.start, c.figure.end) if same_source else None,
                r,
                body,
                units,
            ):
                how = "repeats"
            elif r.get("value_reported") and restates(c.row, r, units):
                how = "restates"
            else:
                continue
            c.row["duplicate_of"] = r["measure_id"]
            c.row["why"] = f"{how} {r['measure_id']}; " + c.row["why"]
            marked += 1
            break
    return marked


def extract(raw: str, lex: Lexicon, source_id: str, doc_date: str | None = None) -> tuple[str, list[Candidate]]:
    """(body, candidates) of a raw source text; duplicates of existing rows are marked.
    ``doc_date`` defaults to the source's date in sources.csv, else a date printed in the text."""
    body = prepare_text(raw)
    date = doc_date or lex.source_dates.get(source_id) or date_in_text(body)
    candidates = _first_of_each(candidates_from(body, lex, source_id, date))
    mark_duplicates(candidates, lex.measures, body, lex.units)
    return body, candidates


def _first_of_each(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates without repeats: a headline and the body stating the same clause and
    figure (发放6亿元算力券 twice) give one candidate; a joint figure keeps one per region."""
    seen: set[tuple[str, ...]] = set()
    kept = []
    for c in candidates:
        key = (c.row["region"], c.row["locality"], c.row["value_reported"], c.row["unit_reported"], c.row["evidence"])
        if key not in seen:
            seen.add(key)
            kept.append(c)
    return kept


def candidates_csv(candidates: Iterable[Candidate]) -> str:
    """The candidates as CSV text (UTF-8 without BOM, LF, a header of CANDIDATE_COLUMNS)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CANDIDATE_COLUMNS)
    for c in candidates:
        writer.writerow([c.row[col] for col in CANDIDATE_COLUMNS])
    return buf.getvalue()


# ---------------------------------------------------------------------------------------
# 4. The analyst's loop: --append
# ---------------------------------------------------------------------------------------


@dataclass
class AppendResult:
    """What ``append_confirmed`` did: new ids by candidate row (spreadsheet numbering),
    confirmed candidates skipped as duplicates (row, id they repeat), how many were not
    confirmed, and candidate columns the dataset has no column for yet."""

    appended: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    unconfirmed: int = 0
    left_out: list[str] = field(default_factory=list)


def _read_candidates(path: Path) -> pd.DataFrame:
    from .tables import read_table

    if not path.is_file():
        raise UsageError(f"{display_path(path)}: no candidates file to append from (run briefings extract --out first)")
    return read_table(path, list(CANDIDATE_COLUMNS), optional=OPTIONAL_CANDIDATE_COLUMNS)


def _csv_header(path: Path) -> list[str]:
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    return next(csv.reader([first]))


def _next_ids(rows: Sequence[Mapping[str, str]]) -> dict[str, int]:
    """Highest number in use per id prefix (henan-014 -> henan: 14)."""
    top: dict[str, int] = {}
    for r in rows:
        m = re.match(r"^(.*)-(\d+)$", r["measure_id"])
        if m:
            top[m.group(1)] = max(top.get(m.group(1), 0), int(m.group(2)))
    return top


def append_confirmed(candidates_path: Path, raw_text: str, source_id: str, data_dir: Path) -> AppendResult:
    """Add the candidates the analyst confirmed (``confirmed`` = yes) to
    ``data_dir/measures.csv`` with fresh ids (``<slug of the city or region>-<nnn>``).

    Each confirmed row's evidence must occur in the source text and its number in the
    evidence; one that repeats an existing row (same figure; its number inside the row's
    evidence, for a row of this source, or the same evidence) is skipped and reported. The
    whole dataset is then validated with the new rows, and measures.csv replaced
    atomically only when every check passes: on any problem nothing changes and DataError
    lists them all, each naming the candidates file, row and column. Candidate columns the
    dataset has no column for yet are left out (reported).
    """
    from .fsutil import atomic_write_text
    from .load import TABLES, load_dataset

    dataset = load_dataset(data_dir)
    lex = lexicon_from_dataset(dataset)
    frame = _read_candidates(candidates_path)
    name = display_path(candidates_path)
    body = prepare_text(raw_text)
    result = AppendResult()
    problems: list[Problem] = []
    confirmed: list[tuple[int, dict[str, str]]] = []
    for row_number, r in frame.iterrows():
        row = {k: str(v) for k, v in r.items()}
        decision = row.get("confirmed", "").strip().lower()
        if decision not in ("yes", "no", ""):
            problems.append(Problem(name, int(row_number), "confirmed", f"must be yes, no or blank; found {row['confirmed']!r}"))
            continue
        if decision != "yes":
            result.unconfirmed += 1
            continue
        found = _confirmed_problems(name, int(row_number), row, body, source_id)
        problems.extend(found)
        if not found:
            confirmed.append((int(row_number), row))

    measures_path = data_dir / "measures.csv"
    header = _csv_header(measures_path)
    existing = [dict(m) for m in lex.measures]
    top = _next_ids(existing)
    new_rows: list[tuple[int, dict[str, str]]] = []
    for row_number, row in confirmed:
        same = next(
            (
                m["measure_id"]
                for m in existing
                if matches_row(
                    row["value_reported"],
                    row["unit_reported"],
                    row["evidence"],
                    _figure_span(body, row) if m["source_id"] == source_id else None,
                    m,
                    body,
                    lex.units,
                )
            ),
            None,
        )
        if same:
            result.duplicates.append((row_number, same))
            continue
        prefix = lex.slugs.get(row["locality"] or row["region"], "")
        if not prefix:
            problems.append(
                Problem(
                    name,
                    row_number,
                    "locality" if row["locality"] else "region",
                    f"unknown region {row['locality'] or row['region']!r} (a code of regions.csv)",
                )
            )
            continue
        top[prefix] = top.get(prefix, 0) + 1
        row = {**row, "measure_id": f"{prefix}-{top[prefix]:03d}"}
        existing.append(row)
        new_rows.append((row_number, row))
    result.left_out = sorted({c for _, r in new_rows for c in MEASURE_COLUMNS if c not in header and r.get(c)})
    if not new_rows:
        if problems:
            raise DataError(problems)
        return result

    text = measures_path.read_text(encoding="utf-8")
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    for _, row in new_rows:
        writer.writerow([row.get(col, "") for col in header])
    new_text = (text if text.endswith("\n") else text + "\n") + buf.getvalue()
    first_new = text.rstrip("\n").count("\n") + 2  # spreadsheet row of the first new line
    problems.extend(_validate_with(data_dir, new_text, TABLES, {first_new + i: n for i, (n, _) in enumerate(new_rows)}, name))
    if problems:
        raise DataError(problems)
    atomic_write_text(measures_path, new_text)
    result.appended = [(n, row["measure_id"]) for n, row in new_rows]
    return result


def _figure_span(body: str, row: Mapping[str, str]) -> tuple[int, int] | None:
    """Where a candidate's number sits in the body: inside the first occurrence of its evidence."""
    spans = evidence_spans(body, row["evidence"])
    if not spans:
        return None
    a, b = spans[0]
    value = row["value_reported"].split("-")[0]
    at = body.find(value, a, b) if value else -1
    return (at, at + len(value)) if at >= 0 else (a, b)


def _confirmed_problems(name: str, row_number: int, row: Mapping[str, str], body: str, source_id: str) -> list[Problem]:
    problems = []
    if row.get("measure_id"):
        problems.append(Problem(name, row_number, "measure_id", "leave measure_id blank: --append assigns fresh ids"))
    if row["source_id"] != source_id:
        problems.append(
            Problem(
                name, row_number, "source_id", f"{row['source_id']!r} is not the source given with --source-id ({source_id!r})"
            )
        )
    if not row["evidence"]:
        problems.append(Problem(name, row_number, "evidence", "a confirmed row needs its evidence clause"))
    elif not evidence_spans(body, row["evidence"]):
        problems.append(Problem(name, row_number, "evidence", "not found in the source text (after normalization)"))
    elif row["value_reported"] and not number_in_text(
        row["value_reported"], row["unit_reported"], normalize_text(row["evidence"])
    ):
        problems.append(
            Problem(name, row_number, "value_reported", f"number {row['value_reported']} is not in its evidence clause")
        )
    return problems


def _validate_with(
    data_dir: Path, measures_text: str, tables: Mapping[str, tuple[str, str]], new_rows: Mapping[int, int], candidates_name: str
) -> list[Problem]:
    """Validate the dataset as it would be with ``measures_text``, in a scratch copy; each
    problem of a new row names the candidates file's row instead."""
    from .load import load_dataset

    with tempfile.TemporaryDirectory(prefix="briefings-append-") as tmp:
        scratch = Path(tmp) / "data"
        scratch.mkdir()
        for filename, _ in tables.values():
            if (data_dir / filename).exists():
                shutil.copyfile(data_dir / filename, scratch / filename)
        (scratch / "measures.csv").write_text(measures_text, encoding="utf-8")
        try:
            load_dataset(scratch)
            return []
        except DataError as err:
            scratch_measures = display_path(scratch / "measures.csv")
            real = display_path(data_dir / "measures.csv")
            mapped = []
            for p in err.problems:
                if p.file == scratch_measures and p.row in new_rows:
                    mapped.append(
                        Problem(candidates_name, new_rows[p.row], p.column, f"{p.message} (would be {real} row {p.row})")
                    )
                else:
                    mapped.append(
                        Problem(p.file.replace(display_path(scratch), display_path(data_dir)), p.row, p.column, p.message)
                    )
            return mapped
