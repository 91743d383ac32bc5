"""Strict reading of one CSV file into a DataFrame of strings.

The data files are UTF-8 without BOM, LF line endings (data/README.md). Anything else is
reported as a Problem naming the file and row, never as a traceback, so an analyst who
saved the file from a spreadsheet in GBK or with CRLF learns exactly what to fix.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import pandas as pd

from .errors import DataError, Problem, display_path

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

_BOMS = {
    b"\xef\xbb\xbf": "a UTF-8 byte-order mark (BOM)",
    b"\xff\xfe": "a UTF-16 byte-order mark",
    b"\xfe\xff": "a UTF-16 byte-order mark",
}


def _locate(data: bytes, offset: int) -> tuple[int, str]:
    """Spreadsheet row and column name of the byte at ``offset`` (best effort)."""
    row = data.count(b"\n", 0, offset) + 1
    header_line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    header = next(csv.reader([header_line]), [])
    line_start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[line_start:offset].decode("utf-8", errors="replace")
    index = len(next(csv.reader([prefix]), [""])) - 1 if prefix else 0
    column = header[index].strip().lstrip("\ufeff") if 0 <= index < len(header) else f"field {index + 1}"
    return row, column


def _decode(data: bytes, name: str) -> str:
    for bom, what in _BOMS.items():
        if data.startswith(bom):
            row, column = _locate(data, len(bom))
            raise DataError([Problem(name, row, column, f"file starts with {what}; save it as UTF-8 without BOM")])
    if b"\x00" in data:
        row, column = _locate(data, data.index(b"\x00"))
        raise DataError([Problem(name, row, column, "binary data (NUL byte): this is not a CSV text file")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row, column = _locate(data, exc.start)
        hint = ""
        try:
            data.decode("gb18030")
            hint = " (it looks like GBK/GB18030: re-save it as UTF-8)"
        except UnicodeDecodeError:
            pass
        raise DataError([Problem(name, row, column, f"not valid UTF-8 at byte {exc.start}{hint}")]) from None
    if "\r" in text:
        offset = data.index(b"\r")
        row, column = _locate(data, offset)
        raise DataError([Problem(name, row, column, "carriage return (CRLF or CR line ending); save with LF line endings")])
    hidden = [
        Problem(
            name,
            *_locate(data, len(text[: m.start()].encode("utf-8"))),
            f"invisible character U+{ord(m.group(0)):04X} ({unicodedata.name(m.group(0), 'a control character')}): "
            "it changes how the text displays (or what a terminal does) without showing; remove it",
        )
        for m in _HIDDEN.finditer(text)
    ]
    if hidden:
        raise DataError(hidden[:20])
    return text


#: Control characters (C0 but the line feed, DEL, C1), bidirectional overrides and isolates,
#: and a byte-order mark inside the file: none belongs in a cell, and each can make a page or a
#: terminal show what the file does not hold (U+202E reverses "CNY 50 billion").
_HIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def read_table(path: Path, columns: list[str], *, optional: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Read ``path`` as a table with exactly ``columns`` (``optional`` ones may be absent).

    Returns a DataFrame of ``str`` (blank cells are ""), indexed by spreadsheet row number.
    Raises DataError listing what is wrong with the file's shape or encoding.
    """
    name = display_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError([Problem(name, 0, "", "file not found")]) from None
    except IsADirectoryError:
        raise DataError([Problem(name, 0, "", "is a folder, not a CSV file")]) from None
    except OSError as exc:
        reasons: dict[int | None, str | None] = {
            40: "too many symbolic links (a loop?)",
            13: "permission denied: the file cannot be read",
        }
        reason = reasons.get(exc.errno, exc.strerror)
        raise DataError([Problem(name, 0, "", f"cannot read the file: {reason}")]) from None
    if not data.strip():
        raise DataError([Problem(name, 1, "(header)", "file is empty (expected a header row and data rows)")])
    text = _decode(data, name)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise DataError([Problem(name, reader.line_num, "(row)", f"malformed CSV (unbalanced quotes?): {exc}")]) from None

    header = [h.strip() for h in rows[0]]
    problems: list[Problem] = []
    for col in columns:
        if col not in header and col not in optional:
            problems.append(Problem(name, 1, col, "required column is missing from the header"))
    for col in header:
        if col not in columns:
            problems.append(Problem(name, 1, col or "(blank)", f"unknown column; expected: {', '.join(columns)}"))
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        problems.append(Problem(name, 1, ", ".join(dup), "column appears more than once in the header"))
    if problems:
        raise DataError(problems)

    records: dict[int, list[str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue  # blank line: harmless
        if len(row) != len(header):
            short = len(row) < len(header)
            column = header[len(row)] if short else f"field {len(header) + 1}"
            what = "truncated row: nothing from this column on" if short else "extra field beyond the header (stray comma?)"
            problems.append(Problem(name, number, column, f"{what}; row has {len(row)} fields, header has {len(header)}"))
            continue
        records[number] = [cell.strip() for cell in row]
    if problems:
        raise DataError(problems)
    if not records:
        raise DataError([Problem(name, 2, "(all)", "no data rows below the header")])

    frame = pd.DataFrame.from_dict(records, orient="index", columns=header, dtype=str)
    for col in optional - set(header):
        frame[col] = ""
    frame.index.name = "row"
    return frame[columns]
