"""Load and validate the dataset: the first stage of the pipeline.

``load_dataset`` reads every file in ``data/``, runs the column schemas (``schema``),
then the checks that span rows and tables (foreign keys, units agreeing with metrics,
qualitative rows having no value ...). It returns a ``Dataset`` or raises ``DataError``
with every problem found, each naming file, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from . import vocab
from .errors import DataError, Problem, display_path
from .tables import read_table

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

#: Names the tool uses for its own outputs: a region slug may not take them (its folder
#: would collide with the national overview's or the review pack's).
RESERVED_SLUGS = frozenset({"overview", "pack", "proof", "review", "index", "manifest"})

TABLES: dict[str, tuple[str, str]] = {
    # attribute: (file name, its schema in schema.py, named: importing pandera takes a third
    # of a second, which a notebook reading the validated dataset from the cache never needs)
    "sources": ("sources.csv", "SOURCES"),
    "regions": ("regions.csv", "REGIONS"),
    "policies": ("policies.csv", "POLICIES"),
    "units": ("units.csv", "UNITS"),
    "metrics": ("metrics.csv", "METRICS"),
    "instruments": ("instruments.csv", "INSTRUMENTS"),
    "qualifiers": ("qualifiers.csv", "QUALIFIERS"),
    "measures": ("measures.csv", "MEASURES"),
}

#: A measure id in reader text (a summary or a note): curators' ids never reach a page.
MEASURE_ID_IN_TEXT = re.compile(r"(?<![A-Za-z0-9-])[a-z][a-z0-9]*(?:-[a-z0-9]+)*-[0-9]{3}(?![0-9])")


@dataclass(frozen=True)
class Dataset:
    """The validated tables, each indexed by spreadsheet row number."""

    data_dir: Path
    sources: pd.DataFrame
    regions: pd.DataFrame
    policies: pd.DataFrame
    units: pd.DataFrame
    metrics: pd.DataFrame
    instruments: pd.DataFrame
    qualifiers: pd.DataFrame
    measures: pd.DataFrame

    def files(self) -> list[Path]:
        return [self.data_dir / name for name, _ in TABLES.values()]


def load_dataset(data_dir: Path) -> Dataset:
    """Read and validate every table under ``data_dir``."""
    if not data_dir.is_dir():
        raise DataError([Problem(display_path(data_dir), 0, "", "data folder not found")])
    from . import schema

    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for attr, (filename, schema_name) in TABLES.items():
        path = data_dir / filename
        table_schema = getattr(schema, schema_name)
        columns = list(table_schema.columns)
        try:
            frame = read_table(path, columns, optional=schema.OPTIONAL_COLUMNS.get(attr, frozenset()))
        except DataError as err:
            problems.extend(err.problems)
            continue
        problems.extend(schema.check_table(table_schema, frame, display_path(path)))
        frames[attr] = frame
    if len(frames) < len(TABLES):
        # A file that could not be read at all: cross-table checks would only mislead.
        raise DataError(problems)
    dataset = Dataset(data_dir=data_dir, **frames)
    problems.extend(_check_relations(dataset))
    problems.extend(_check_sections(dataset))
    if problems:
        raise DataError(problems)
    return dataset


def _check_sections(ds: Dataset) -> list[Problem]:
    """sections.csv (when the project has one) is well formed, and every metric names one of
    its sections."""
    from .sections import read_sections

    try:
        keys = {s.key for s in read_sections(ds.data_dir)}
    except DataError as exc:
        return list(exc.problems)
    name = display_path(ds.data_dir / TABLES["metrics"][0])
    return [
        Problem(name, int(str(row)), "section", f"unknown section {m['section']!r} (one of: {', '.join(sorted(keys))})")
        for row, m in ds.metrics.iterrows()
        if m["kind"] != "qualitative" and m["section"] not in keys
    ]


def _check_relations(ds: Dataset) -> list[Problem]:
    name = {attr: display_path(ds.data_dir / filename) for attr, (filename, _) in TABLES.items()}
    problems: list[Problem] = []
    regions = ds.regions
    level = dict(zip(regions["code"], regions["level"]))
    parent = dict(zip(regions["code"], regions["parent"]))

    provinces = regions[regions["level"] == "province"]
    if len(provinces) != 31:
        problems.append(Problem(name["regions"], 0, "level", f"expected all 31 province-level divisions, found {len(provinces)}"))
    parent_level = {"city": ("province",), "district": ("city", "province")}
    for row, r in regions.iterrows():
        wanted = parent_level.get(r["level"])
        if r["level"] == "district" and level.get(r["parent"]) == "province" and r["parent"] not in vocab.MUNICIPALITIES:
            problems.append(
                Problem(
                    name["regions"],
                    row,
                    "parent",
                    f"a district's parent must be a city or a municipality (Beijing, Shanghai, Tianjin, "
                    f"Chongqing); found {r['parent']!r}",
                )
            )
        elif wanted:
            if level.get(r["parent"]) not in wanted:
                problems.append(
                    Problem(
                        name["regions"],
                        row,
                        "parent",
                        f"a {r['level']}'s parent must be a {' or '.join(wanted)} code; found {r['parent']!r}",
                    )
                )
        elif r["parent"]:
            problems.append(Problem(name["regions"], row, "parent", "only cities and districts have a parent"))
        if r["level"] != "country" and not r["macro_region"]:
            problems.append(Problem(name["regions"], row, "macro_region", "a province, city or district needs its macro-region"))
        if r["level"] in ("province", "city") and not r["gb_code"]:
            problems.append(Problem(name["regions"], row, "gb_code", "a province or city needs its GB/T 2260 code"))
        if r["slug"] in RESERVED_SLUGS:
            problems.append(
                Problem(
                    name["regions"],
                    row,
                    "slug",
                    f"{r['slug']!r} is a name the tool uses itself ({', '.join(sorted(RESERVED_SLUGS))}): choose another slug",
                )
            )

    for row, p in ds.policies.iterrows():
        if p["region"] not in level:
            problems.append(
                Problem(name["policies"], row, "region", f"unknown region {p['region']!r} (not a code in regions.csv)")
            )

    problems.extend(_check_metrics(ds.metrics, name["metrics"]))
    problems.extend(_check_patterns(ds, name))
    units = ds.units.set_index("unit")
    metrics = ds.metrics.set_index("metric")
    instruments = ds.instruments.set_index("instrument")
    qualifiers = dict(zip(ds.qualifiers["word"], ds.qualifiers["qualifier"]))
    policies = set(ds.policies["policy_id"])
    sources = set(ds.sources["source_id"])
    context = _Context(level, parent, policies, sources, units, metrics, instruments, qualifiers)
    for row, m in ds.measures.iterrows():
        problems.extend(Problem(name["measures"], row, col, msg) for col, msg in _measure_problems(m, context))
    return problems


def province_of(code: str, level: dict[str, str], parent: dict[str, str]) -> str:
    """The province-level region a city or district lies in ('' when unknown)."""
    for _ in range(3):
        if level.get(code) in ("province", "country"):
            return code
        code = parent.get(code, "")
    return ""


@dataclass(frozen=True)
class _Context:
    """What the row checks look up in the other tables."""

    level: dict[str, str]
    parent: dict[str, str]
    policies: set[str]
    sources: set[str]
    units: pd.DataFrame
    metrics: pd.DataFrame
    instruments: pd.DataFrame
    qualifiers: dict[str, str]


def _check_patterns(ds: Dataset, name: dict[str, str]) -> list[Problem]:
    """Sentence patterns parse, and every figure finds one in both languages (sentences.py)."""
    from .sentences import PatternError, Patterns, choose, parse, required

    problems: list[Problem] = []
    parsed: dict[tuple[str, str, str], Patterns] = {}
    for table, key_column, frame in (("metrics", "metric", ds.metrics), ("instruments", "instrument", ds.instruments)):
        for row, r in frame.iterrows():
            for lang in ("zh", "en"):
                column = f"sentence_{lang}"
                try:
                    patterns = parse(r[column])
                except PatternError as exc:
                    problems.append(Problem(name[table], row, column, str(exc)))
                    continue
                parsed[(table, r[key_column], lang)] = patterns
                if table == "instruments":
                    keys = {k.split("/")[0] for k in patterns.variants}
                    unknown = keys - set(ds.metrics["metric"]) - {"*"}
                    unknown |= {k for k in patterns.variants if "/" in k and k.split("/")[1] not in vocab.STATUSES}
                    if unknown:
                        problems.append(
                            Problem(
                                name[table], row, column, f"unknown metric(s) or status(es) as keys: {', '.join(sorted(unknown))}"
                            )
                        )
                elif set(patterns.variants) - set(vocab.STATUSES) - {"*"}:
                    problems.append(
                        Problem(name[table], row, column, f"keys must be statuses ({', '.join(vocab.STATUSES)}) or *")
                    )
    for row, m in ds.measures.iterrows():
        if m["metric"] == vocab.QUALITATIVE_METRIC or not m["value_reported"]:
            continue
        for lang in ("zh", "en"):
            chosen = choose(
                parsed.get(("instruments", m["instrument"], lang)),
                parsed.get(("metrics", m["metric"], lang)),
                m["metric"],
                m["status"],
            )
            if chosen:
                if "instrument" in required(chosen) and not m["instrument"]:
                    problems.append(
                        Problem(
                            name["measures"],
                            row,
                            "instrument",
                            f"blank, but the sentence_{lang} pattern that states it ({m['metric']}, {m['status']}) needs "
                            "{instrument}: name the instrument, or make that part of the pattern optional ([...])",
                        )
                    )
                continue
            if ("metrics", m["metric"], lang) in parsed:
                problems.append(
                    Problem(
                        name["measures"],
                        row,
                        "metric",
                        f"no sentence_{lang} pattern of metric {m['metric']} for status {m['status']} "
                        f"(add `{m['status']}: ...` to metrics.csv)",
                    )
                )
    return problems


def _factor(units: pd.DataFrame, unit: str) -> Decimal:
    """A unit's factor, or 1 when it is not a number (the schema reports that)."""
    try:
        return Decimal(units.at[unit, "factor"])
    except (InvalidOperation, KeyError):
        return Decimal(1)


def _check_metrics(metrics: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    if vocab.QUALITATIVE_METRIC not in set(metrics["metric"]):
        problems.append(
            Problem(file, 0, "metric", f"the metric {vocab.QUALITATIVE_METRIC!r} (rows without a figure) must be defined")
        )
    for row, m in metrics.iterrows():
        qualitative = m["kind"] == "qualitative"
        if qualitative != (m["metric"] == vocab.QUALITATIVE_METRIC):
            problems.append(Problem(file, row, "kind", f"only the metric {vocab.QUALITATIVE_METRIC!r} is qualitative"))
        if not qualitative and not m["base_unit"]:
            problems.append(Problem(file, row, "base_unit", "a metric with figures needs its base unit"))
        if not qualitative and not m["section"]:
            problems.append(Problem(file, row, "section", "a metric with figures needs its briefing section"))
    return problems


def _measure_problems(m: pd.Series, c: _Context) -> Iterator[tuple[str, str]]:
    """Yield (column, message) for everything wrong with one measure row."""
    if c.level.get(m["region"]) not in ("province", "country"):
        yield "region", f"{m['region']!r} is not a province-level ISO code or CN in regions.csv"
    if m["locality"]:
        if c.level.get(m["locality"]) not in ("city", "district"):
            yield "locality", f"{m['locality']!r} is not a city or district code in regions.csv"
        elif province_of(m["locality"], c.level, c.parent) != m["region"]:
            yield (
                "locality",
                f"{m['locality']} lies in {province_of(m['locality'], c.level, c.parent) or 'no province'}, not in {m['region']}",
            )
    for code in m["joint_with"].split():
        if c.level.get(code) != "province" or code == m["region"]:
            yield "joint_with", f"{code!r} is not another province-level region (codes separated by spaces)"
    if m["policy"] and m["policy"] not in c.policies:
        yield "policy", f"unknown policy {m['policy']!r} (not a policy_id in policies.csv)"
    if m["source_id"] not in c.sources:
        yield "source_id", f"unknown source {m['source_id']!r} (not a source_id in sources.csv)"
    if not m["evidence"]:
        yield "evidence", "every row needs a verbatim evidence clause from its source"
    if m["year"].isdigit() and not vocab.YEAR_MIN <= int(m["year"]) <= vocab.YEAR_MAX:
        yield "year", f"implausible year {m['year']} (expected {vocab.YEAR_MIN}-{vocab.YEAR_MAX})"
    if bool(m["year"]) != bool(m["year_basis"]):
        yield (
            "year_basis",
            (
                "say whether the source states the year (stated) or it is the document's (document)"
                if m["year"]
                else "a year basis needs a year"
            ),
        )
    for column in ("summary_zh", "summary_en", "note_zh", "note_en"):
        found = MEASURE_ID_IN_TEXT.search(m[column])
        if found:
            yield column, f"reader text names the measure id {found.group(0)!r}: ids and cleaning remarks go to curator_note"

    if m["instrument"] and m["instrument"] not in c.instruments.index:
        yield "instrument", f"unknown instrument {m['instrument']!r} (add it to instruments.csv)"
    if bool(m["note_zh"]) != bool(m["note_en"]):
        yield ("note_zh" if not m["note_zh"] else "note_en"), "a caveat needs both languages (note_zh and note_en), or neither"
    if m["metric"] not in c.metrics.index:
        yield "metric", f"unknown metric {m['metric']!r} (define it in metrics.csv)"
        return
    base = c.metrics.at[m["metric"], "base_unit"] or None
    rule = c.metrics.at[m["metric"], "period"]
    if rule == "none" and m["period"]:
        yield "period", f"metric {m['metric']} takes no period (it is a stock, share or count), found {m['period']}"
    elif rule in vocab.PERIODS and m["period"] != rule:
        yield "period", f"metric {m['metric']} needs period {rule}, found {m['period'] or 'blank'}"
    if m["metric"] == vocab.QUALITATIVE_METRIC:
        for col in ("value_reported", "unit_reported", "qualifier", "qualifier_word"):
            if m[col]:
                yield col, "a qualitative row (metric named) has no value, unit or qualifier"
        return
    if m["category"] == "priority":
        yield "category", "priority rows are qualitative: use metric named and no value"
    if not m["value_reported"]:
        yield "value_reported", f"metric {m['metric']} needs a value (use metric named for an instrument without an amount)"
        return
    if not m["qualifier"]:
        yield "qualifier", "a row with a value needs a qualifier (eq, max, min, approx, range)"
    elif m["qualifier"] in ("eq", "range") and m["qualifier_word"]:
        yield "qualifier_word", f"qualifier {m['qualifier']} takes no word; found {m['qualifier_word']!r}"
    elif m["qualifier"] in ("max", "min", "approx"):
        if not m["qualifier_word"]:
            yield "qualifier_word", f"qualifier {m['qualifier']} needs the source's own word (最高, 以上, 余, 近 ...)"
        elif m["qualifier_word"] not in c.qualifiers:
            yield "qualifier_word", f"unknown word {m['qualifier_word']!r}: add it to qualifiers.csv"
        elif c.qualifiers[m["qualifier_word"]] != m["qualifier"]:
            yield "qualifier_word", f"{m['qualifier_word']!r} is a {c.qualifiers[m['qualifier_word']]} word, not {m['qualifier']}"
        elif m["evidence"] and normalize_digits(m["qualifier_word"]) not in _fold(m["evidence"]):
            yield "qualifier_word", f"the word {m['qualifier_word']!r} is not in the evidence clause"
    from .schema import NUMBER_RE, RANGE_RE

    if not re.match(f"{NUMBER_RE}|{RANGE_RE}", m["value_reported"]):
        return  # already reported by the schema
    is_range = "-" in m["value_reported"]
    bounds = [Decimal(v) for v in m["value_reported"].split("-")]
    if is_range != (m["qualifier"] == "range"):
        yield "value_reported", "a range (2-3) goes with qualifier range, and qualifier range needs a range"
    elif is_range and bounds[0] >= bounds[1]:
        yield "value_reported", f"range {m['value_reported']} must run from low to high"
    if m["unit_reported"] not in c.units.index:
        yield "unit_reported", f"unknown unit {m['unit_reported']!r} (add it to units.csv)"
    elif c.units.at[m["unit_reported"], "base_unit"] != base:
        yield (
            "unit_reported",
            f"unit {m['unit_reported']} measures {c.units.at[m['unit_reported'], 'base_unit']}, but metric {m['metric']} is in {base}",  # noqa: E501 (one table row, one message)
        )
    elif base == "percent" and any(b * _factor(c.units, m["unit_reported"]) > 100 for b in bounds):
        yield "value_reported", f"a percentage above 100: {m['value_reported']} {m['unit_reported']}"
    if m["evidence"]:
        from .sources import number_in_text

        if not number_in_text(m["value_reported"], m["unit_reported"], _fold(m["evidence"])):
            yield (
                "evidence",
                (
                    f"the number {m['value_reported']} is not in the evidence clause: the value and its "
                    "evidence disagree (was one edited without the other?)"
                ),
            )


def normalize_digits(text: str) -> str:
    """Full-width digits and letters as ASCII (NFKC), for matching words and numbers."""
    import unicodedata

    return unicodedata.normalize("NFKC", text)


def _fold(text: str) -> str:
    """An evidence clause as the number check reads it: NFKC, whitespace folded."""
    return " ".join(normalize_digits(text).split())
