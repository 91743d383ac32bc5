"""The briefing's sections: their order, their headings, and where a row without a figure is
listed. A project on another topic names its own in ``data/sections.csv``; without that file
the AI-policy sections below apply (headings from the catalogs).

``data/sections.csv``: one row per section, in page order::

    section,label_zh,label_en,categories,instrument_kinds
    funds,产业基金,Funds,fund,fund

``categories`` and ``instrument_kinds`` (space separated) say where a row without a figure
goes: by its instrument's kind when it names one, else by its category; a category or kind
no section claims goes to the last section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import vocab
from .errors import DataError, Problem, display_path

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

FILE = "sections.csv"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
COLUMNS = ["section", "label_zh", "label_en", "categories", "instrument_kinds"]


@dataclass(frozen=True)
class Section:
    key: str
    label_zh: str
    label_en: str
    categories: tuple[str, ...] = ()
    instrument_kinds: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


def default_sections() -> tuple[Section, ...]:
    """The AI-policy sections (``vocab.SECTIONS``), headed as the catalogs translate them."""
    from .i18n import label

    return tuple(
        Section(
            key,
            label(key, "zh"),
            label(key, "en"),
            tuple(c for c, s in vocab.QUALITATIVE_SECTION_BY_CATEGORY.items() if s == key),
            tuple(k for k, s in vocab.QUALITATIVE_SECTION_BY_KIND.items() if s == key),
        )
        for key in vocab.SECTIONS
    )


def read_sections(data_dir: Path) -> tuple[Section, ...]:
    """The project's sections (``data/sections.csv``), else the defaults; DataError naming the
    file, row and column of anything wrong."""
    path = data_dir / FILE
    if not path.is_file():
        return default_sections()
    from .tables import read_table

    frame = read_table(path, COLUMNS)
    name = display_path(path)
    problems: list[Problem] = []
    sections: list[Section] = []
    claimed: dict[tuple[str, str], int] = {}
    for row, r in frame.iterrows():
        number = int(str(row))
        if not _ID.match(r["section"]):
            problems.append(Problem(name, number, "section", f"{r['section']!r} is not an id (lower-case letters, digits, _)"))
        for column in ("label_zh", "label_en"):
            if not r[column].strip():
                problems.append(Problem(name, number, column, "every section needs its heading in both languages"))
        for column, allowed in (("categories", vocab.CATEGORIES), ("instrument_kinds", vocab.INSTRUMENT_KINDS)):
            for word in r[column].split():
                if word not in allowed:
                    what = "category" if column == "categories" else "instrument kind"
                    problems.append(Problem(name, number, column, f"unknown {what} {word!r} (one of: {', '.join(allowed)})"))
                elif (column, word) in claimed:
                    problems.append(Problem(name, number, column, f"{word!r} is already listed in row {claimed[(column, word)]}"))
                else:
                    claimed[(column, word)] = number
        sections.append(
            Section(
                r["section"], r["label_zh"], r["label_en"], tuple(r["categories"].split()), tuple(r["instrument_kinds"].split())
            )
        )
    keys = [s.key for s in sections]
    for row, r in frame.iterrows():
        if keys.count(r["section"]) > 1:
            problems.append(Problem(name, int(str(row)), "section", f"section {r['section']!r} is listed twice"))
    if not sections:
        problems.append(Problem(name, 1, "section", "no section: list at least one, or remove the file for the defaults"))
    if problems:
        raise DataError(problems)
    return tuple(sections)


def section_of_row(sections: tuple[Section, ...], category: str, instrument_kind: str) -> str:
    """Where a row without a figure is listed: its instrument kind's section, else its
    category's, else the last section."""
    for s in sections:
        if instrument_kind and instrument_kind in s.instrument_kinds:
            return s.key
    for s in sections:
        if category in s.categories:
            return s.key
    return sections[-1].key


def as_records(sections: tuple[Section, ...]) -> list[dict[str, str]]:
    """The sections as results.json carries them, in page order."""
    return [{"key": s.key, "label_zh": s.label_zh, "label_en": s.label_en} for s in sections]
