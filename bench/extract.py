"""Extraction benchmark: ``make bench-extract`` (on demand, never in the tests).

Runs ``briefings extract`` (in process) over every source text in the given folders and
measures it against ``data/measures.csv``:

- recall: of the rows with a value whose source text is in the folders, the share a
  candidate matches (same value and unit, the candidate's number inside the row's
  evidence clause: ``extract.matches_row``);
- precision: of the candidates from texts whose source has rows, the share that match a
  row;
- both overall and for money (CNY), compute (FLOPS, cards) and rates (%, 成, 半);
- whether every candidate's evidence holds its number (``sources.number_in_text``), and,
  for the matched rows, how often each proposed field equals the row's.

Writes the section "Extraction" of BENCHMARKS.md (between its markers) and prints it.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from briefings.extract import (
    Candidate,
    Unit,
    extract,
    lexicon_from_dataset,
    matches_row,
    read_text_file,
)
from briefings.load import load_dataset
from briefings.sources import normalize_text, number_in_text

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- bench-extract:start -->", "<!-- bench-extract:end -->"
CLASSES = ("money", "compute", "rates")
FIELDS = (
    "qualifier",
    "qualifier_word",
    "period",
    "year",
    "status",
    "region",
    "locality",
    "instrument",
    "metric",
    "category",
    "policy",
)
COMPUTE_COUNTS = {"张", "万张", "卡", "万卡"}
CONFIDENT = 0.5


def figure_class(unit: str, base: str) -> str:
    """money, compute, rates or other, by a unit as written and its base unit."""
    if base == "CNY":
        return "money"
    if base == "FLOPS" or unit in COMPUTE_COUNTS:
        return "compute"
    if base == "percent":
        return "rates"
    return "other"


@dataclass
class Tally:
    rows: int = 0
    recalled: int = 0
    candidates: int = 0
    precise: int = 0
    confident: int = 0  # candidates with confidence >= 0.5
    confident_precise: int = 0

    def recall(self) -> str:
        return f"{self.recalled}/{self.rows} = {100 * self.recalled / self.rows:.1f}%" if self.rows else "—"

    def precision(self) -> str:
        return f"{self.precise}/{self.candidates} = {100 * self.precise / self.candidates:.1f}%" if self.candidates else "—"

    def confident_precision(self) -> str:
        if not self.confident:
            return "—"
        return f"{self.confident_precise}/{self.confident} = {100 * self.confident_precise / self.confident:.1f}%"


@dataclass
class Report:
    tallies: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in ("all", *CLASSES, "other")})
    texts: list[tuple[str, str, int, int, int, float]] = field(default_factory=list)  # file, source, rows, cands, matched, s
    number_misses: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    agree: Counter[str] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)  # how many matched rows have each field
    compared: int = 0


def source_of(path: Path, sources: list[dict[str, str]]) -> tuple[str, str | None]:
    """(source_id, date) of a text: its row of sources.csv by file name, else its name
    (a date in the name, 010_hunan_2025-10-31.txt, is the document date)."""
    for s in sources:
        if s["file"] == path.name:
            return s["source_id"], s["date"]
    m = re.search(r"(20\d\d(?:-\d\d){0,2})", path.stem)
    return path.stem, m.group(1) if m else None


def run(folders: list[Path], data_dir: Path) -> Report:
    ds = load_dataset(data_dir)
    lex = lexicon_from_dataset(ds)
    sources = ds.sources.to_dict("records")
    measures = ds.measures.to_dict("records")
    units = lex.units
    report = Report()
    texts = sorted({p.resolve(): p for folder in folders for p in folder.glob("*.txt")}.values(), key=lambda p: p.name)
    for path in texts:
        source_id, date = source_of(path, sources)
        started = time.perf_counter()
        body, cands = extract(read_text_file(path), lex, source_id, date if source_id not in lex.source_dates else None)
        seconds = time.perf_counter() - started
        rows = [r for r in measures if r["source_id"] == source_id and r["value_reported"]]
        matched = _score(report, cands, rows, body, units)
        for c in cands:
            if not number_in_text(c.row["value_reported"], c.row["unit_reported"], normalize_text(c.row["evidence"])):
                report.number_misses.append(
                    f"{path.name}: {c.row['value_reported']} {c.row['unit_reported']} not in “{c.row['evidence']}”"
                )
        report.texts.append((path.name, source_id, len(rows), len(cands), matched, seconds))
    return report


def _score(report: Report, cands: list[Candidate], rows: list[dict[str, str]], body: str, units: dict[str, Unit]) -> int:
    """Count recall and precision for one text; returns how many rows were recalled."""

    def hit(c: Candidate, r: dict[str, str]) -> bool:
        return matches_row(
            c.row["value_reported"], c.row["unit_reported"], c.row["evidence"], (c.figure.start, c.figure.end), r, body, units
        )

    recalled = 0
    for r in rows:
        base = units[r["unit_reported"]].base_unit if r["unit_reported"] in units else ""
        cls = figure_class(r["unit_reported"], base)
        found = [c for c in cands if hit(c, r)]
        for key in ("all", cls):
            report.tallies[key].rows += 1
            report.tallies[key].recalled += bool(found)
        if found:
            recalled += 1
            fields = [f for f in FIELDS if f in r]  # the columns the dataset has
            best = max(found, key=lambda c: sum(c.row[f] == r[f] for f in fields))
            report.compared += 1
            report.fields.update(fields)
            report.agree.update(f for f in fields if best.row[f] == r[f])
        else:
            report.missed.append(f"{r['measure_id']}: {r['value_reported']} {r['unit_reported']} “{r['evidence']}”")
    if rows:  # precision only where the data has rows for the source
        for c in cands:
            cls = figure_class(c.row["unit_reported"], c.figure.unit.base_unit)
            ok = any(hit(c, r) for r in rows)
            confident = float(c.row["confidence"]) >= CONFIDENT
            for key in ("all", cls):
                report.tallies[key].candidates += 1
                report.tallies[key].precise += ok
                report.tallies[key].confident += confident
                report.tallies[key].confident_precise += ok and confident
    return recalled


def markdown(report: Report, folders: list[Path], command: str) -> str:
    t = report.tallies
    lines = [
        START,
        "## Extraction (`make bench-extract`)",
        "",
        (
            f"`{command}` on {platform.machine()}, Python {platform.python_version()}, one run over "
            f"{len(report.texts)} source text(s) in {', '.join(f'`{f}`' for f in folders)}. A row is recalled when a "
            "candidate has its value and unit (as written, or the same amount in the base unit) and the candidate's "
            "number lies inside the row's evidence clause; a candidate is precise when it matches a row. Precision "
            "counts only texts whose source has rows in `data/measures.csv` (texts of sources not yet in the data "
            "have candidates but nothing to score them against); the last column counts the candidates an analyst "
            f"reads first, those with confidence ≥ {CONFIDENT} (the rest are mostly figures of paragraphs about "
            "other things: economy briefs, company rounds)."
        ),
        "",
        "| figures | recall (rows found) | precision (candidates that are rows) | precision, confidence ≥ 0.5 |",
        "|---|---:|---:|---:|",
    ]
    names = {
        "all": "all",
        "money": "money (CNY)",
        "compute": "compute (FLOPS, cards)",
        "rates": "rates (%, 成, 半)",
        "other": "other (counts, ranks, TB, ms ...)",
    }
    for key in ("all", *CLASSES, "other"):
        lines.append(f"| {names[key]} | {t[key].recall()} | {t[key].precision()} | {t[key].confident_precision()} |")
    total_cands = sum(x[3] for x in report.texts)
    lines += [
        "",
        (
            f"Every candidate's evidence holds its number: {'yes' if not report.number_misses else 'no'} "
            f"({total_cands - len(report.number_misses)}/{total_cands}). "
            f"Extraction time: {sum(x[5] for x in report.texts):.2f} s for all texts."
        ),
        "",
        f"Fields of the best matching candidate equal to the row's ({report.compared} matched rows): "
        + ", ".join(f"{f} {100 * report.agree[f] / report.fields[f]:.0f}%" for f in FIELDS if report.fields[f])
        + ". (Where a source states no year the dataset leaves it blank, the extractor gives the document's year "
        "with year_basis `document`; policy ids often name a document the text calls by a phrase.) The seed "
        "texts were the extractor's development set."
        if report.compared
        else "",
        "",
        "| text | source | rows with a value | candidates | rows recalled | seconds |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, source, rows, cands, matched, seconds in report.texts:
        lines.append(f"| {name} | {source} | {rows} | {cands} | {matched} | {seconds:.2f} |")
    if report.missed:
        lines += ["", "Rows not recalled:", ""] + [f"- {m}" for m in report.missed]
    if report.number_misses:
        lines += ["", "Candidates whose evidence lacks their number:", ""] + [f"- {m}" for m in report.number_misses]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the section between the markers in ``path``, or add it at the end."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--folder", action="append", type=Path, help="folder of source texts (repeatable) [default: ../shared/seeds]"
    )
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="dataset folder [default: data]")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="file whose section is written")
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    args = parser.parse_args()
    folders = args.folder or [ROOT.parent / "shared" / "seeds"]
    missing = [f for f in folders if not f.is_dir()]
    if missing:
        sys.exit(f"error: source texts folder not found: {', '.join(map(str, missing))}")
    report = run(folders, args.data)
    shown = [os.path.relpath(f, ROOT) if f.is_absolute() else str(f) for f in folders]
    command = "make bench-extract" + ("" if shown == ["../shared/seeds"] else f' EXTRACT_FOLDERS="{" ".join(shown)}"')
    section = markdown(report, [Path(x) for x in shown], command)
    print(section)
    if not args.no_write:
        write_section(args.out, section)


if __name__ == "__main__":
    main()
