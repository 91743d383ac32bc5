"""Bad input: every case exits 2 with a message naming file, row and column, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import edit_cell, read_rows, run, write_rows

VALUED = lambda r: r["value_reported"] not in ("", None) and "-" not in r["value_reported"]
QUALITATIVE = lambda r: r["metric"] == "named"
ANY = lambda r: True
CNY_ROW = lambda r: r["metric"] == "fund_size" and r["value_reported"] != ""


def measures(d: Path) -> Path:
    return d / "measures.csv"


def set_measure(pick, column, value):
    def mutate(d: Path):
        return "measures.csv", edit_cell(measures(d), pick, column, value), column

    return mutate


def reencode_gbk(d: Path):
    path = measures(d)
    rows = read_rows(path)
    # the first non-ASCII character is where decoding as UTF-8 fails
    number, row = next((n, r) for n, r in enumerate(rows, start=1) if any(ord(c) > 127 for c in ",".join(r)))
    column = rows[0][next(i for i, cell in enumerate(row) if any(ord(c) > 127 for c in cell))]
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    return "measures.csv", number, column


def add_bom(d: Path):
    path = d / "units.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return "units.csv", 1, "unit"


def crlf(d: Path):
    path = d / "policies.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return "policies.csv", 1, "period"


def empty(d: Path):
    (d / "sources.csv").write_bytes(b"")
    return "sources.csv", 1, "(header)"


def truncate_row(d: Path):
    path = measures(d)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[3] = ",".join(lines[3].split(",")[:4])  # row 4 keeps 4 fields
    path.write_text("\n".join(lines), encoding="utf-8")
    return "measures.csv", 4, "policy"


def extra_field(d: Path):
    path = d / "units.csv"
    rows = read_rows(path)
    rows[2].append("oops")
    write_rows(path, rows)
    return "units.csv", 3, "field 5"


def drop_column(d: Path):
    path = measures(d)
    rows = read_rows(path)
    i = rows[0].index("status")
    write_rows(path, [r[:i] + r[i + 1 :] for r in rows])
    return "measures.csv", 1, "status"


def binary_garbage(d: Path):
    (d / "regions.csv").write_bytes(b"code,gb_code\n\x00\x89PNG\x1a\n\xff\xfe")
    return "regions.csv", 2, "code"


def duplicate_id(d: Path):
    path = measures(d)
    rows = read_rows(path)
    rows[3][0] = rows[2][0]
    write_rows(path, rows)
    return "measures.csv", 4, "measure_id"


def city_with_bad_parent(d: Path):
    return "regions.csv", edit_cell(d / "regions.csv", lambda r: r["level"] == "city", "parent", "CN-ZZ"), "parent"


def bad_factor(d: Path):
    return "units.csv", edit_cell(d / "units.csv", lambda r: r["unit"] == "亿元", "factor", "1e8"), "factor"


def bad_policy_region(d: Path):
    return "policies.csv", edit_cell(d / "policies.csv", ANY, "region", "CN-XX"), "region"


def unbalanced_quote(d: Path):
    path = d / "units.csv"
    path.write_text(path.read_text(encoding="utf-8") + 'x,"count,1,unfinished\n', encoding="utf-8")
    return "units.csv", len(read_rows_lines(path)), "(row)"


def unit_factor(value: str):
    def mutate(d: Path):
        return "units.csv", edit_cell(d / "units.csv", lambda r: r["unit"] == "亿元", "factor", value), "factor"

    return mutate


def source_date(value: str):
    def mutate(d: Path):
        return "sources.csv", edit_cell(d / "sources.csv", ANY, "date", value), "date"

    return mutate


def region_name(column: str, value: str):
    def mutate(d: Path):
        return "regions.csv", edit_cell(d / "regions.csv", lambda r: r["code"] == "CN-HA", column, value), column

    return mutate


def read_rows_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


CASES = {
    "gbk-encoding": reencode_gbk,
    "utf8-bom": add_bom,
    "crlf-line-endings": crlf,
    "empty-file": empty,
    "truncated-row": truncate_row,
    "extra-field": extra_field,
    "missing-column": drop_column,
    "binary-garbage": binary_garbage,
    "unbalanced-quote": unbalanced_quote,
    "duplicate-id": duplicate_id,
    "unknown-category": set_measure(ANY, "category", "lottery"),
    "unknown-instrument": set_measure(ANY, "instrument", "free_lunch_voucher"),
    "unknown-metric": set_measure(ANY, "metric", "vibes"),
    "bad-qualifier": set_measure(VALUED, "qualifier", "最高"),
    "bad-period": set_measure(ANY, "period", "monthly"),
    "bad-status": set_measure(ANY, "status", "rumour"),
    "non-numeric-value": set_measure(VALUED, "value_reported", "三十"),
    "thousands-separator": set_measure(VALUED, "value_reported", "12,000"),
    "unknown-region": set_measure(ANY, "region", "CN-XX"),
    "locality-not-a-city": set_measure(ANY, "locality", "999999"),
    "locality-outside-region": set_measure(lambda r: r["locality"] == "", "locality", "440300"),
    "unknown-policy": set_measure(ANY, "policy", "no-such-policy"),
    "unknown-source": set_measure(ANY, "source_id", "no-such-source"),
    "unknown-unit": set_measure(VALUED, "unit_reported", "斤"),
    "unit-of-wrong-kind": set_measure(CNY_ROW, "unit_reported", "%"),
    "implausible-year": set_measure(ANY, "year", "1899"),
    "year-not-a-year": set_measure(ANY, "year", "2025年"),
    "missing-evidence": set_measure(VALUED, "evidence", ""),
    "missing-qualifier": set_measure(VALUED, "qualifier", ""),
    "qualitative-row-with-value": set_measure(QUALITATIVE, "value_reported", "5"),
    "value-without-metric-value": set_measure(CNY_ROW, "value_reported", ""),
    "pool-period-mismatch": set_measure(lambda r: r["metric"] == "pool_per_year", "period", "total"),
    "backwards-range": set_measure(lambda r: r["qualifier"] == "range", "value_reported", "3-2"),
    "city-with-bad-parent": city_with_bad_parent,
    "unit-factor-not-a-number": bad_factor,
    "policy-with-unknown-region": bad_policy_region,
    "value-overflowing-to-infinity": set_measure(VALUED, "value_reported", "9" * 400),
    "unit-factor-zero": unit_factor("0"),
    "unit-factor-overflowing": unit_factor("1" + "0" * 400),
    "impossible-date": source_date("2025-13-45"),
    "impossible-day": source_date("2025-02-30"),
    "date-in-another-form": source_date("17/03/2025"),
    "markup-in-name": region_name("name_en", "Henan<script>alert(1)</script>"),
    "mathtext-in-name": region_name("short_zh", "$\\foo$"),
    "rich-markup-in-name": region_name("name_zh", "河南[/x]"),
    # invisible characters: a right-to-left override shows "CNY 50 billion" reversed on the
    # page while a search of the file finds nothing; ESC is a terminal's control sequence
    "bidi-override": set_measure(ANY, "summary_en", "Fund of \u202enoillib 05 YNC\u202c."),
    "escape-character": set_measure(ANY, "note_en", "\x1b]0;pwned\x07 a note"),
    "c1-control": set_measure(ANY, "summary_zh", "基金\x85规模"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported_precisely(case, data_copy):
    file, row, column = CASES[case](data_copy)
    result = run("validate", "--data", data_copy)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if file in line]
    assert lines, result.output
    assert any(f"row {row}," in line and f"column {column}:" in line for line in lines), result.output


def test_every_problem_is_listed_not_just_the_first(data_copy):
    path = measures(data_copy)
    edit_cell(path, ANY, "category", "lottery")
    edit_cell(path, VALUED, "qualifier", "最高")
    edit_cell(path, ANY, "source_id", "nowhere")
    result = run("validate", "--data", data_copy)
    assert result.exit_code == 2
    for text in ("column category", "column qualifier", "column source_id"):
        assert text in result.output


def test_missing_data_folder(tmp_path):
    result = run("validate", "--data", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "data folder not found" in result.output


def test_a_folder_in_place_of_a_file_and_a_symlink_loop(data_copy):
    (data_copy / "units.csv").unlink()
    (data_copy / "units.csv").mkdir()
    (data_copy / "policies.csv").unlink()
    (data_copy / "policies.csv").symlink_to(data_copy / "policies.csv")
    result = run("validate", "--data", data_copy)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "units.csv: is a folder, not a CSV file" in result.output
    assert "policies.csv: cannot read the file: too many symbolic links" in result.output


def test_missing_file(data_copy):
    (data_copy / "units.csv").unlink()
    result = run("validate", "--data", data_copy)
    assert result.exit_code == 2
    assert "units.csv: file not found" in result.output
