"""Column-level schemas of the data files, declared with pandera.

Each table is read as strings (blank cells are ""), so the checks here are about
presence, vocabularies, patterns, uniqueness and numbers; relations between tables
(foreign keys) and between columns of a row are checked in ``load``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from . import dates, vocab
from .errors import Problem

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

NUMBER_RE = r"^[0-9]+(\.[0-9]+)?$"
RANGE_RE = r"^[0-9]+(\.[0-9]+)?-[0-9]+(\.[0-9]+)?$"


def required() -> pa.Check:
    return pa.Check(lambda s: s != "", error="a value is required here (the cell is blank)")


def one_of(values: Iterable[str], *, blank: bool = False) -> pa.Check:
    allowed = list(values)
    shown = ", ".join(allowed) + (" (or blank)" if blank else "")
    return pa.Check(lambda s: s.isin(allowed) | ((s == "") & blank), error=f"must be one of: {shown}")


def matches(pattern: str, what: str, *, blank: bool = False) -> pa.Check:
    rx = re.compile(pattern)
    return pa.Check(
        lambda s: s.map(lambda v: bool(rx.fullmatch(v)) or (blank and v == "")),  # fullmatch: no trailing newline
        error=f"must be {what}" + (" (or blank)" if blank else ""),
    )


def slug_id() -> pa.Check:
    """A source or policy id: lower-case letters, digits and hyphens."""
    return matches(r"^[a-z0-9][a-z0-9-]*$", "a lower-case id (letters, digits, -)")


def code_id() -> pa.Check:
    """A metric, instrument or comparison-group id: lower-case letters, digits and _."""
    return matches(r"^[a-z][a-z0-9_]*$", "a lower-case id (letters, digits, _)")


#: A place name: letters or digits in any script, with inner spaces, apostrophes, dots,
#: hyphens or a middle dot (Xi'an, Inner Mongolia, 哈尔滨). Nothing that a renderer could
#: read as markup (<, [, $, `, *, #, |, \ ...), no control character.
NAME_RE = r"^[^\W_](?:[^\W_]|[ '’.·-](?=[^\W_]))*$"


def plain_name() -> pa.Check:
    rx = re.compile(NAME_RE)
    return pa.Check(
        lambda s: s.map(lambda v: bool(rx.fullmatch(v))),
        error="must be a plain name: letters and digits with inner spaces, ' . - or ·, and no markup characters",
    )


def real_date(*, blank: bool = False) -> pa.Check:
    def ok(value: str) -> bool:
        if blank and value == "":
            return True
        try:
            dates.parse(value)
            return True
        except ValueError:
            return False

    return pa.Check(lambda s: s.map(ok), error=f"must be a real date written as {dates.FORMS}")


def finite_number(*, positive: bool = False) -> pa.Check:
    """A plain number whose value stays finite as a float (400 digits would overflow to inf)."""

    def ok(value: str) -> bool:
        if not value:
            return True
        parts = value.split("-") if re.match(RANGE_RE, value) else [value]
        try:
            numbers = [float(Decimal(p)) for p in parts]
        except (InvalidOperation, ValueError):
            return True  # the pattern check reports it
        return all(math.isfinite(n) and abs(n) < 1e30 and (n > 0 or not positive) for n in numbers)

    what = "a positive number" if positive else "a number"
    return pa.Check(lambda s: s.map(ok), error=f"must be {what} of reasonable size (below 10^30)")


#: A keyword list: ``;``-separated words or phrases, none blank, no space around a ``;``
#: (``算力券;智能算力券``). Blank when a metric or instrument has no keywords yet.
KEYWORDS_RE = r"^[^;\s](?:[^;]*[^;\s])?(?:;[^;\s](?:[^;]*[^;\s])?)*$"


def keyword_list() -> pa.Check:
    return matches(KEYWORDS_RE, "keywords separated by ; (no blank keyword, no space around ;)", blank=True)


def text(*checks: pa.Check, unique: bool = False) -> pa.Column:
    return pa.Column(str, checks=list(checks), unique=unique, nullable=False)


def optional_text() -> pa.Column:
    return pa.Column(str, nullable=False)


#: A source text's file name: a plain name inside the source-texts folder (never a path).
FILE_NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]*\.txt$"

SOURCES = pa.DataFrameSchema(
    {
        "source_id": text(required(), slug_id(), unique=True),
        "file": text(
            required(), matches(FILE_NAME_RE, "a plain .txt file name (letters, digits, . _ -; no folder)"), unique=True
        ),
        "sha256": text(matches(r"^[0-9a-f]{64}$", "the sha256 of the source text, 64 lower-case hex digits", blank=True)),
        "publisher_zh": text(required()),
        "publisher_en": text(required()),
        "issuer_zh": optional_text(),  # the issuing body when the page reprints an official text
        "issuer_en": optional_text(),
        "title_zh": optional_text(),  # blank when the stored article has no headline
        "title_en": text(required()),
        "title_kind": text(one_of(vocab.TITLE_KINDS)),
        "date": text(real_date()),
        "date_basis": text(one_of(vocab.DATE_BASES)),
        "kind": text(one_of(vocab.SOURCE_KINDS)),
        "script": text(one_of(["zh-Hans", "zh-Hant"])),
        "url": text(
            matches(r"^https?://[^\s\"'<>\[\]{}|\\^`]+$", "an http(s) URL (no spaces, quotes, brackets or <>)", blank=True)
        ),
        "accessed": text(matches(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "a date YYYY-MM-DD", blank=True), real_date(blank=True)),
        "curator_note": optional_text(),
    },
    name="sources",
)

REGIONS = pa.DataFrameSchema(
    {
        "code": text(
            required(),
            matches(
                r"^(CN|CN-[A-Z]{2}|[0-9]{6}|[0-9]{6}-[A-Z0-9]{1,8})$",
                "CN, an ISO 3166-2:CN code (CN-HA), a GB/T 2260 code (440300) or a zone code (510100-GX)",
            ),
            unique=True,
        ),
        "gb_code": text(matches(r"^[0-9]{6}$", "a six-digit GB/T 2260 code", blank=True)),
        "level": text(one_of(vocab.REGION_LEVELS)),
        "name_zh": text(required(), plain_name()),
        "name_en": text(required(), plain_name()),
        "short_zh": text(required(), plain_name()),
        "slug": text(matches(r"^[a-z][a-z0-9-]*$", "a lower-case pinyin slug (letters, digits, -)"), unique=True),
        "parent": optional_text(),
        "macro_region": text(one_of(vocab.MACRO_REGIONS, blank=True)),
    },
    name="regions",
)

POLICIES = pa.DataFrameSchema(
    {
        "policy_id": text(required(), slug_id(), unique=True),
        "region": text(required()),
        "title_zh": text(required()),
        "title_en": text(required()),
        "issuer_zh": optional_text(),
        "issuer_en": optional_text(),
        "kind": text(one_of(vocab.POLICY_KINDS)),
        "year": text(matches(r"^[0-9]{4}$", "a four-digit year")),
        "period": text(matches(r"^[0-9]{4}-[0-9]{4}$", "a period as YYYY-YYYY", blank=True)),
    },
    name="policies",
)

UNITS = pa.DataFrameSchema(
    {
        "unit": text(required(), unique=True),
        "base_unit": text(one_of(vocab.BASE_UNITS)),
        "factor": text(matches(NUMBER_RE, "a positive plain number such as 100000000"), finite_number(positive=True)),
        "label_en": text(required()),
    },
    name="units",
)

METRICS = pa.DataFrameSchema(
    {
        "metric": text(required(), code_id(), unique=True),
        "section": text(matches(r"^(|[a-z][a-z0-9_]*)$", "a section id (data/sections.csv, or the default sections)")),
        "kind": text(one_of(vocab.METRIC_KINDS)),
        "base_unit": text(one_of(vocab.BASE_UNITS, blank=True)),
        "period": text(one_of(vocab.PERIOD_RULES)),
        "lower_is_stronger": text(one_of(vocab.YES_NO)),
        "ceiling": text(one_of(vocab.YES_NO)),
        "charted": text(one_of(vocab.YES_NO)),
        "label_zh": text(required()),
        "label_en": text(required()),
        "definition_zh": text(required()),
        "definition_en": text(required()),
        "sentence_zh": optional_text(),  # sentence patterns (sentences.py); checked in load
        "sentence_en": optional_text(),
        # words that name this metric in a source text, for ``briefings extract``
        "keywords_zh": text(keyword_list()),
        "keywords_en": text(keyword_list()),
    },
    name="metrics",
)

INSTRUMENTS = pa.DataFrameSchema(
    {
        "instrument": text(required(), code_id(), unique=True),
        "kind": text(one_of(vocab.INSTRUMENT_KINDS)),
        "compare_group": text(required(), code_id()),
        "label_zh": text(required()),
        "label_en": text(required()),
        "pays_for_zh": text(required()),
        "pays_for_en": text(required()),
        "sentence_zh": optional_text(),
        "sentence_en": optional_text(),
        # words that name this instrument in a source text, for ``briefings extract``
        "keywords_zh": text(keyword_list()),
        "keywords_en": text(keyword_list()),
    },
    name="instruments",
)

QUALIFIERS = pa.DataFrameSchema(
    {
        "word": text(required(), unique=True),
        "qualifier": text(one_of(("max", "min", "approx"))),
        "symbol": text(one_of(("≤", "<", "≥", ">", "≈"), blank=True)),
        "zh_form": text(required()),
        "en_form": text(required()),
    },
    name="qualifiers",
)

MEASURES = pa.DataFrameSchema(
    {
        "measure_id": text(required(), matches(r"^[a-z][a-z0-9-]*-[0-9]{3}$", "an id like henan-001"), unique=True),
        "region": text(required()),
        "locality": optional_text(),
        "joint_with": optional_text(),  # other regions of a joint figure (codes, space separated)
        "policy": optional_text(),
        "category": text(one_of(vocab.CATEGORIES)),
        "instrument": optional_text(),  # an instrument of instruments.csv (checked in load)
        "metric": text(required()),  # a metric of metrics.csv (checked in load)
        "value_reported": text(
            matches(f"{NUMBER_RE}|{RANGE_RE}", "a plain number such as 30 or 19.63, or a range such as 2-3", blank=True),
            finite_number(),
        ),
        "unit_reported": optional_text(),
        "qualifier": text(one_of(vocab.QUALIFIERS, blank=True)),
        "qualifier_word": optional_text(),  # the source's own word (qualifiers.csv)
        "period": text(one_of(vocab.PERIODS, blank=True)),
        "year": text(matches(r"^[0-9]{4}$", "a four-digit year", blank=True)),
        "year_basis": text(one_of(vocab.YEAR_BASES, blank=True)),
        "status": text(one_of(vocab.STATUSES)),
        "comparable": text(one_of(vocab.YES_NO)),
        "source_id": text(required()),
        "evidence": optional_text(),
        "summary_zh": text(required()),
        "summary_en": text(required()),
        "note_zh": optional_text(),
        "note_en": optional_text(),
        "curator_note": optional_text(),  # for curators and editors (proof sheet), never on a reader's page
    },
    name="measures",
)

#: Columns a file may leave out of its header.
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {
    "measures": frozenset({"note_zh", "note_en", "curator_note", "joint_with"}),
    "sources": frozenset({"url", "sha256", "issuer_zh", "issuer_en", "accessed", "curator_note"}),
    "metrics": frozenset({"sentence_zh", "sentence_en", "keywords_zh", "keywords_en"}),
    "instruments": frozenset({"sentence_zh", "sentence_en", "keywords_zh", "keywords_en"}),
}


def check_table(schema: pa.DataFrameSchema, frame: pd.DataFrame, file: str) -> list[Problem]:
    """Validate ``frame`` (indexed by spreadsheet row) and return every failure as a Problem."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        return [_problem(file, case) for case in err.failure_cases.to_dict("records")]
    return []


def _problem(file: str, case: dict[str, Any]) -> Problem:
    row = case.get("index")
    row = int(row) if row is not None and not pd.isna(row) else 0
    column = str(case.get("column") or "")
    check = str(case.get("check") or "")
    value = case.get("failure_case")
    if check.startswith("field_uniqueness") or check == "column_in_dataframe_unique":
        message = f"duplicate value {value!r}: must be unique"
    elif check.startswith("column_in_dataframe"):
        message = "required column is missing"
    else:
        message = f"{check}; found {value!r}" if value not in (None, "") else check
    return Problem(file, row, column, message)
