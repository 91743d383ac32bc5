"""CLI behaviour: help, exit codes, export and list output."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from briefings.normalize import EXPORT_COLUMNS

from .conftest import DATA, ROOT, run


@pytest.mark.parametrize("command", [[], ["validate"], ["export"], ["verify-sources"], ["list"], ["check"], ["proof"], ["init"]])
def test_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "briefings", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "briefings" in out.stdout


def test_validate_ok():
    result = run("validate", "--data", DATA)
    assert result.exit_code == 0, result.output
    assert "measures" in result.output


def test_unknown_command_is_a_usage_error():
    assert run("frobnicate").exit_code == 2


def test_export_writes_the_normalized_table(tmp_path):
    out = tmp_path / "x.csv"
    result = run("export", "--data", DATA, "--out", out)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == sum(1 for _ in DATA.joinpath("measures.csv").open(encoding="utf-8")) - 1
    units = {r["unit"] for r in rows}
    assert {"CNY", "FLOPS", "percent", "count"} <= units
    for r in rows:
        if r["value"]:
            float(r["value"])  # every value parses as a number


def test_export_requires_out():
    result = run("export", "--data", DATA)
    assert result.exit_code == 2
    assert "--out" in result.output


def test_export_of_bad_data_writes_nothing(tmp_path, data_copy):
    (data_copy / "measures.csv").write_bytes(b"")
    out = tmp_path / "x.csv"
    out.write_text("previous good export\n", encoding="utf-8")
    result = run("export", "--data", data_copy, "--out", out)
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous good export\n"


def test_list_shows_regions_and_categories():
    result = run("list", "--data", DATA)
    assert result.exit_code == 0, result.output
    for text in ("CN-HA", "Henan", "CN-GD", "Shenzhen", "fund", "compute"):
        assert text in result.output


def test_check_lists_the_claims_a_build_did_not_print(tmp_path):
    import json

    out = tmp_path / "reports"
    dropped = [
        {
            "claim": {"kind": "pair", "variant": "ratio", "measure_ids": ["henan-001", "anhui-002"]},
            "rules": [{"rule": "exact_ratio", "why": "a ratio of figures that are not exact (anhui-002: ≥, ≤, ≈ or a range)"}],
        },
        {
            "claim": {"kind": "rank", "variant": "rank", "measure_ids": ["henan-003", "hebei-001", "anhui-004"]},
            "rules": [{"rule": "certain_order", "why": "the qualifiers leave the order with hebei-001 open"}],
        },
    ]
    for slug, items in (("henan", dropped), ("hebei", [])):
        (out / slug).mkdir(parents=True)
        (out / slug / "results.json").write_text(json.dumps({"dropped": items}), encoding="utf-8")
    result = run("check", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (
        "exact_ratio" in result.output
        and "certain_order" in result.output
        and "2 rule break(s) in 1 briefing(s)" in result.output
    )
    only = run("check", "--out", str(out), "--rule", "certain_order")
    assert "exact_ratio" not in only.output and "1 rule break(s)" in only.output
    assert run("check", "--out", str(out), "--rule", "no_such_rule").exit_code == 2
    missing = run("check", "--out", str(out), "--province", "shanxi")
    assert missing.exit_code == 2 and "build it first" in missing.output


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SOURCE_DATE_EPOCH", "abc", "not a number of seconds"),
        ("SOURCE_DATE_EPOCH", "", "not a number of seconds"),
        ("SOURCE_DATE_EPOCH", "9" * 5000, "after the year 9999"),
        ("TMPDIR", "/nonexistent-folder", "not a writable folder"),
        ("TMPDIR", "/proc", "not a writable folder"),
    ],
    ids=["epoch-text", "epoch-empty", "epoch-5000-digits", "tmpdir-missing", "tmpdir-proc"],
)
def test_an_unusable_environment_is_a_clear_error_before_any_work(name, value, says):
    import os

    env = {**os.environ, name: value}
    result = subprocess.run([sys.executable, "-m", "briefings", "list"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr and len(result.stderr) < 400, result.stderr


def test_a_source_date_epoch_with_leading_zeros_is_still_a_date():
    import os

    env = {**os.environ, "SOURCE_DATE_EPOCH": "0" * 5000 + "1700000000"}
    result = subprocess.run([sys.executable, "-m", "briefings", "list"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_export_never_writes_a_live_spreadsheet_formula(tmp_path, data_copy):
    """Every text cell a spreadsheet would run as a formula starts with an apostrophe, whichever
    column it is in (a qualifier word, a summary, a note)."""
    from .conftest import edit_cell

    edit_cell(data_copy / "measures.csv", lambda r: r["measure_id"] == "henan-001", "summary_en", '=HYPERLINK("http://x","y")')
    edit_cell(data_copy / "measures.csv", lambda r: r["measure_id"] == "henan-001", "note_en", "@SUM(A1)")
    edit_cell(data_copy / "measures.csv", lambda r: r["measure_id"] == "henan-001", "note_zh", "一条说明。")
    out = tmp_path / "export.csv"
    assert run("export", "--data", data_copy, "--out", out).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    for row in rows:
        for column, value in row.items():
            if column not in ("value", "value_high", "year"):
                assert not value.startswith(("=", "+", "-", "@")), (row["measure_id"], column, value)
    henan = next(r for r in rows if r["measure_id"] == "henan-001")
    assert henan["summary_en"] == '\'=HYPERLINK("http://x","y")' and henan["note_en"] == "'@SUM(A1)"
