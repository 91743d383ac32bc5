"""Source dates of different precision: 2025, 2025-H2, 2024-Q1, 2025-07, 2025-03-17.

A date is the interval it allows (2025 is 1 January to 31 December 2025). "Data as of" is
the latest source: the one whose interval ends last (then starts last), printed at its own
precision. Comparing the strings would put 2025-03-17 after 2025, though an article of
"2025" may be from December.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)


PATTERN = re.compile(
    r"^(?P<year>[0-9]{4})(?:-(?:H(?P<half>[12])|Q(?P<quarter>[1-4])|(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?))?$"
)
FORMS = "YYYY, YYYY-Hn (half year), YYYY-Qn (quarter), YYYY-MM or YYYY-MM-DD"


@dataclass(frozen=True)
class SourceDate:
    text: str
    start: date
    end: date
    precision: str  # year, half, quarter, month, day

    @property
    def sort_key(self) -> tuple[date, date]:
        return self.end, self.start


def parse(text: str) -> SourceDate:
    """Parse a recorded date; ValueError for a malformed or impossible one (2025-13-45)."""
    m = PATTERN.match(text or "")
    if not m:
        raise ValueError(f"{text!r} is not a date of the form {FORMS}")
    year = int(m["year"])
    if m["half"]:
        first = 1 if m["half"] == "1" else 7
        return SourceDate(text, date(year, first, 1), _month_end(year, first + 5), "half")
    if m["quarter"]:
        first = 3 * int(m["quarter"]) - 2
        return SourceDate(text, date(year, first, 1), _month_end(year, first + 2), "quarter")
    if m["month"]:
        month = int(m["month"])
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r}: there is no month {month}")
        if m["day"]:
            try:
                day = date(year, month, int(m["day"]))
            except ValueError:
                raise ValueError(f"{text!r} is not a day of the calendar") from None
            return SourceDate(text, day, day, "day")
        return SourceDate(text, date(year, month, 1), _month_end(year, month), "month")
    return SourceDate(text, date(year, 1, 1), date(year, 12, 31), "year")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def latest(texts: list[str]) -> str:
    """The latest of several recorded dates, as recorded."""
    return max((parse(t) for t in texts), key=lambda d: d.sort_key).text


def span(texts: list[str]) -> tuple[str, str]:
    """The earliest and the latest of several recorded dates, as recorded: the earliest to
    start and the latest to end. When one contains the other (2025-10-31 and 2025-H2), the
    wider one alone: a span whose end contains its start says nothing."""
    dates = [parse(t) for t in texts]
    if not dates:
        raise ValueError("no dates")
    first = min(dates, key=lambda d: (d.start, d.end, d.text))
    last = max(dates, key=lambda d: (d.end, d.start, d.text))
    for a, b in ((first, last), (last, first)):
        if a.start <= b.start and b.end <= a.end:
            return a.text, a.text
    return first.text, last.text


def display_span(texts: list[str], lang: str) -> str:
    """Several recorded dates as one span a reader writes: 2024 年 3 月至 2025 年下半年 /
    March 2024 – second half of 2025; one date alone; empty for none."""
    if not texts:
        return ""
    first, last = span(texts)
    if first == last:
        return display(first, lang)
    return f"{display(first, lang)}至{display(last, lang)}" if lang == "zh" else f"{display(first, lang)} – {display(last, lang)}"


def timestamp(text: str) -> datetime:
    """A fixed instant for a recorded date (its first day), for reproducible PDF metadata."""
    return datetime.combine(parse(text).start, datetime.min.time(), tzinfo=UTC)


_ZH_QUARTERS = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
_EN_QUARTERS = {1: "first quarter", 2: "second quarter", 3: "third quarter", 4: "fourth quarter"}


def display(text: str, lang: str) -> str:
    """A recorded date as a reader writes it: 2025 年下半年 / second half of 2025."""
    d = parse(text)
    year = d.start.year
    if lang == "zh":
        if d.precision == "year":
            return f"{year} 年"
        if d.precision == "half":
            return f"{year} 年{'上' if d.start.month == 1 else '下'}半年"
        if d.precision == "quarter":
            return f"{year} 年{_ZH_QUARTERS[(d.start.month + 2) // 3]}"
        if d.precision == "month":
            return f"{year} 年 {d.start.month} 月"
        return f"{year} 年 {d.start.month} 月 {d.start.day} 日"
    if d.precision == "year":
        return str(year)
    if d.precision == "half":
        return f"{'first' if d.start.month == 1 else 'second'} half of {year}"
    if d.precision == "quarter":
        return f"{_EN_QUARTERS[(d.start.month + 2) // 3]} of {year}"
    from babel.dates import format_date  # here: a no-op build formats no date

    return format_date(d.start, "MMMM y" if d.precision == "month" else "d MMMM y", locale="en")
