"""The editors' workflow: review record, change report, review pack, national overview."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest


from .conftest import DATA, edit_cell, run, build

PROVINCES = ("henan", "hebei", "hubei")


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """A build accepted as reviewed, then the data changed in two rows and rebuilt."""
    root = tmp_path_factory.mktemp("review")
    data = root / "data"
    shutil.copytree(DATA, data)
    out = root / "reports"
    record = root / "review" / "reviewed.json"
    assert all(o.ok for o in build(data, out, provinces=PROVINCES, jobs=2, renderer="builtin"))
    result = run("review", "accept", "--out", out, "--review", record, "--date", "2026-11-20")
    assert result.exit_code == 0, result.output
    before = json.loads(record.read_text(encoding="utf-8"))
    # Hebei's total compute target rises above Henan's projection: a figure changes and two ranks move
    edit_cell(data / "measures.csv", lambda r: r["measure_id"] == "hebei-001", "value_reported", "135")
    outcomes = build(data, out, provinces=PROVINCES, jobs=2, renderer="builtin", review=record)
    assert all(o.ok for o in outcomes)
    return out, record, before


def test_the_record_is_small_sorted_and_names_every_figure(reviewed):
    out, record, before = reviewed
    text = record.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True, indent=1) + "\n"  # diff-friendly
    assert before["accepted"] == {"date": "2026-11-20", "build_id": before["accepted"]["build_id"]}
    henan = before["provinces"]["henan"]
    assert henan["figures"]["henan-001"]["en"] == "CNY 3 billion" and henan["figures"]["henan-001"]["zh"] == "30 亿元"
    assert any(k.startswith("compute_total|") for k in henan["ranks"]) and henan["sources"] and henan["findings"]


def test_diff_names_exactly_the_changed_figure_and_the_ranks_it_moved(reviewed):
    out, record, _ = reviewed
    result = run("diff", "--out", out, "--review", record, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["changed"] == ["hebei", "henan"]  # Hubei is unchanged
    hebei = report["provinces"]["hebei"]
    assert [c["measure_id"] for c in hebei["figures_changed"]] == ["hebei-001"]
    change = hebei["figures_changed"][0]
    assert change["old_en"] == "at least 35 EFLOPS by 2025" and change["new_en"] == "at least 135 EFLOPS by 2025"
    assert change["fields"] == ["value_reported"] and "EFlops" in change["evidence"]
    assert [(m["measure_id"], m["old"], m["new"]) for m in hebei["ranks_moved"]] == [("hebei-001", "2/2", "1/2")]
    henan = report["provinces"]["henan"]
    assert henan["figures_changed"] == []  # Henan's own figures did not change ...
    assert [(m["measure_id"], m["old"], m["new"]) for m in henan["ranks_moved"]] == [("henan-007", "1/2", "2/2")]  # ... its rank did
    text = run("diff", "--out", out, "--review", record)
    assert text.exit_code == 1 and "changed hebei-001: at least 35 EFLOPS by 2025 -> at least 135 EFLOPS by 2025" in text.output
    status = run("review", "status", "--out", out, "--review", record)
    assert status.exit_code == 0 and "hebei, henan" in status.output


def test_the_changed_briefings_show_the_box_in_both_languages(reviewed):
    out, _, _ = reviewed
    for lang, heading in (("en", "Changes since the review of 2026-11-20"), ("zh", "2026-11-20")):
        for slug in ("hebei", "henan"):
            html = (out / slug / f"briefing.{lang}.html").read_text(encoding="utf-8")
            assert 'class="changes"' in html and heading in html, (slug, lang)
            pdf = subprocess.run(["pdftotext", str(out / slug / f"briefing.{lang}.pdf"), "-"], capture_output=True,
                                 text=True, check=True).stdout
            assert "2026-11-20" in pdf
        assert 'class="changes"' not in (out / "hubei" / f"briefing.{lang}.html").read_text(encoding="utf-8")
    assert "135 EFLOPS" in (out / "hebei" / "briefing.en.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    hubei = index.split('id="hubei"')[1].split("</section>")[0]
    hebei = index.split('id="hebei"')[1].split("</section>")[0]
    assert "unchanged" in hubei and 'status changed' in hebei


def test_accepting_again_clears_the_changes(reviewed, tmp_path):
    out, record, _ = reviewed
    copy_out, copy_record = tmp_path / "reports", tmp_path / "reviewed.json"
    shutil.copytree(out, copy_out)
    assert run("review", "accept", "--out", copy_out, "--review", copy_record).exit_code == 0
    result = run("diff", "--out", copy_out, "--review", copy_record)
    assert result.exit_code == 0 and "none" in result.output


def outline(pdf: Path) -> list[tuple[int, str, int]]:
    """(depth, title, page) of every bookmark (poppler's XML output of the outline)."""
    xml = subprocess.run(["pdftohtml", "-stdout", "-xml", "-i", "-q", str(pdf)], capture_output=True, text=True, check=True).stdout
    found, depth = [], 0
    for token in re.finditer(r'<outline>|</outline>|<item page="(\d+)">(.*?)</item>', xml, re.S):
        if token.group(0) == "<outline>":
            depth += 1
        elif token.group(0) == "</outline>":
            depth -= 1
        else:
            found.append((depth, token.group(2), int(token.group(1))))
    return found


def test_the_review_pack_has_a_bookmark_per_province_and_page_labels(reviewed):
    out, record, _ = reviewed
    result = run("pack", "--out", out, "--review", record, "--changed-first")
    assert result.exit_code == 0, result.output
    for lang, names in (("en", ["Hebei", "Henan", "Hubei"]), ("zh", ["河北省", "河南省", "湖北省"])):
        pdf = out / f"pack.{lang}.pdf"
        marks = outline(pdf)
        provinces = [(title, page) for depth, title, page in marks if depth == 1]
        assert [re.sub(r"\s*·.*", "", t) for t, _ in provinces] == names  # changed first (Hebei, Henan), then Hubei
        assert "·" in provinces[0][0] and "·" not in provinces[2][0]  # changed ones are marked
        pages = [p for _, p in provinces]
        assert pages == sorted(pages) and pages[0] >= 3  # after the cover and the contents
        assert any(depth == 2 for depth, _, _ in marks)  # sections bookmarked under each province
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        total = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert total >= pages[-1] and b"/PageLabels" in pdf.read_bytes()
    again = out / "pack.en.pdf"
    first = again.read_bytes()
    assert run("pack", "--out", out, "--review", record, "--changed-first", "--lang", "en").exit_code == 0
    assert again.read_bytes() == first  # deterministic


def test_the_overview_lists_every_province_with_measures(reviewed):
    out, _, _ = reviewed
    from briefings.cache import prepare
    from briefings.compare import provinces_with_measures

    prepared = prepare(DATA)
    names = prepared.dataset.regions.set_index("slug")
    for lang, column in (("en", "name_en"), ("zh", "short_zh")):
        html = (out / f"overview.{lang}.html").read_text(encoding="utf-8")
        for slug in provinces_with_measures(prepared.dataset):
            assert names.at[slug, column] in html, (lang, slug)
        assert "<img" in html and (out / f"overview.{lang}.pdf").stat().st_size > 10000
    assert 'href="overview.zh.html"' in (out / "index.html").read_text(encoding="utf-8")
