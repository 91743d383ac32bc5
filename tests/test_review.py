"""The editors' workflow: review record, change report, review pack, national overview."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import DATA, build, edit_cell, run

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

PROVINCES = ("henan", "hebei", "hubei")


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """A build signed off, then the data changed in one row (value and its evidence) and rebuilt."""
    root = tmp_path_factory.mktemp("review")
    data = root / "data"
    shutil.copytree(DATA, data)
    out = root / "reports"
    record = root / "review" / "reviewed.json"
    assert all(o.ok for o in build(data, out, provinces=PROVINCES, jobs=2, renderer="builtin"))
    result = run("review", "accept", "--out", out, "--review", record, "--date", "2026-11-20")
    assert result.exit_code == 0, result.output
    before = json.loads(record.read_text(encoding="utf-8"))
    # Henan's one-fund size grows: its statement changes, and so does its place among the funds
    edit_cell(data / "measures.csv", lambda r: r["measure_id"] == "henan-001", "value_reported", "300")
    edit_cell(
        data / "measures.csv", lambda r: r["measure_id"] == "henan-001", "evidence", "设立总规模 300 亿元的人工智能产业基金"
    )
    outcomes = build(data, out, provinces=PROVINCES, jobs=2, renderer="builtin", review=record)
    assert all(o.ok for o in outcomes)
    return out, record, before


def test_the_record_is_small_sorted_and_signs_off_every_printed_claim(reviewed):
    _, record, before = reviewed
    text = record.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True, indent=1) + "\n"  # diff-friendly
    assert before["accepted"] == {"date": "2026-11-20", "build_id": before["accepted"]["build_id"]}
    henan = before["provinces"]["henan"]
    assert henan["figures"]["henan-001"]["zh"] == "30 亿元" and henan["figures"]["henan-001"]["en"] == "CNY 3 billion"
    claim = next(c for c in henan["claims"].values() if "henan-001" in c["measure_ids"])
    assert claim["zh"].endswith("。") and claim["en"].endswith(".") and len(claim["basis"]) == 16
    assert len(henan["claims"]) >= 3 and all(c["zh"] and c["en"] for c in henan["claims"].values())


def test_diff_speaks_in_claims(reviewed):
    out, record, _ = reviewed
    result = run("diff", "--out", out, "--review", record, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["changed"] == ["henan"]  # the others are unchanged
    henan = report["provinces"]["henan"]
    changed = [c for c in henan["claims_changed"] if "CNY 30 billion" in c["new_en"]]
    assert changed and "CNY 3 billion" in changed[0]["old_en"] and "basis" in changed[0]["what"]
    assert [c["measure_id"] for c in henan["figures_changed"]] == ["henan-001"]
    text = run("diff", "--out", out, "--review", record)
    assert text.exit_code == 1 and "was:" in text.output and "now:" in text.output and "CNY 30 billion" in text.output
    status = run("review", "status", "--out", out, "--review", record)
    assert status.exit_code == 0 and "henan" in status.output


def test_the_changed_briefing_shows_the_box_in_both_languages(reviewed):
    out, _, _ = reviewed
    for lang, heading in (("en", "Changes since the review of 2026-11-20"), ("zh", "2026-11-20")):
        html = (out / "henan" / f"briefing.{lang}.html").read_text(encoding="utf-8")
        assert 'class="changes"' in html and heading in html, lang
        pdf = subprocess.run(
            ["pdftotext", str(out / "henan" / f"briefing.{lang}.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "2026-11-20" in pdf
        for slug in ("hebei", "hubei"):
            assert 'class="changes"' not in (out / slug / f"briefing.{lang}.html").read_text(encoding="utf-8")
    assert "CNY 30 billion" in (out / "henan" / "briefing.en.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    hubei = index.split('id="hubei"')[1].split("</section>")[0]
    henan = index.split('id="henan"')[1].split("</section>")[0]
    assert "unchanged" in hubei and "status changed" in henan


def test_accepting_again_clears_the_changes_and_one_province_can_be_signed_off(reviewed, tmp_path):
    out, record, _ = reviewed
    copy_out, copy_record = tmp_path / "reports", tmp_path / "reviewed.json"
    shutil.copytree(out, copy_out)
    shutil.copy(record, copy_record)
    assert run("review", "accept", "--out", copy_out, "--review", copy_record, "--province", "hebei").exit_code == 0
    assert run("diff", "--out", copy_out, "--review", copy_record).exit_code == 1  # henan still changed
    assert run("review", "accept", "--out", copy_out, "--review", copy_record, "--province", "henan").exit_code == 0
    result = run("diff", "--out", copy_out, "--review", copy_record)
    assert result.exit_code == 0 and "none" in result.output


def test_a_held_back_claim_never_prints_and_a_rephrased_one_prints_as_written(reviewed, tmp_path):
    out, record, _ = reviewed
    work = tmp_path / "w"
    shutil.copytree(out.parent, work)
    out, record, data = work / "reports", work / "review" / "reviewed.json", work / "data"
    results = json.loads((out / "henan" / "results.json").read_text(encoding="utf-8"))
    held, reworded = results["findings"][:2]
    from briefings.wording import Words

    claims = {c["id"]: c for c in results["claims"]}
    held_en = Words(results, "en").sentence(claims[held])
    assert run("review", "hold", held, "--out", out, "--review", record, "--note", "checking").exit_code == 0
    hostile = "Editors' words *with* [a link](http://x) <b>and</b> `code`"
    assert (
        run(
            "review", "rephrase", reworded, "--out", out, "--review", record, "--en", hostile, "--zh", "编辑改写的句子。"
        ).exit_code
        == 0
    )
    assert all(o.ok for o in build(data, out, provinces=("henan",), jobs=1, renderer="builtin", review=record))
    en = (out / "henan" / "briefing.en.html").read_text(encoding="utf-8")
    zh = re.sub(r"<[^>]+>", "", (out / "henan" / "briefing.zh.html").read_text(encoding="utf-8"))
    assert held_en.split(",")[0] not in en  # held back: not printed
    assert "*with*" in en and "<b>and</b>" not in en and 'href="http://x"' not in en  # printed as written, escaped
    assert "编辑改写的句子" in zh
    # the basis changes: the rephrasing is no longer printed, and the change is flagged
    value = results["measures"][claims[reworded]["measure_ids"][0]]["value_reported"]
    measure = claims[reworded]["measure_ids"][0]
    new_value = str(int(float(value)) + 1)
    edit_cell(data / "measures.csv", lambda r: r["measure_id"] == measure, "value_reported", new_value)
    edit_cell(
        data / "measures.csv",
        lambda r: r["measure_id"] == measure,
        "evidence",
        results["measures"][measure]["evidence"].replace(value, new_value, 1),
    )
    assert all(o.ok for o in build(data, out, provinces=("henan",), jobs=1, renderer="builtin", review=record))
    en = (out / "henan" / "briefing.en.html").read_text(encoding="utf-8")
    assert "*with*" not in en and "rephrased now rests on another basis" in en
    assert run("review", "release", held, "--out", out, "--review", record).exit_code == 0
    assert held not in json.loads(record.read_text(encoding="utf-8"))["editorial"]


@pytest.mark.parametrize(
    "damage, message",
    [
        ('{"format": 2, "accepted": {"date": "2025-99-99", "build_id": "x"}, "provinces": {}}', "not a date of the calendar"),
        ('{"format": 2, "provinces": []}', "expected an object"),
        ('{"format": 2, "provinces": {"henan": {"claims": {"x": {}}}}}', "not a claim id"),
        ('{"format": 2, "provinces": {}, "editorial": {"rank-henan-001-0123456789": {"action": "delete"}}}', "action"),
        ('{"format": 2, "provinces": {', "not JSON"),
    ],
)
def test_a_damaged_record_is_a_clear_error_everywhere(reviewed, tmp_path, damage, message):
    out, _, _ = reviewed
    record = tmp_path / "reviewed.json"
    record.write_text(damage, encoding="utf-8")
    for args in (("review", "status"), ("diff",), ("pack", "--lang", "en")):
        result = run(*args, "--out", out, "--review", record)
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, (args, result.output)
    assert run("review", "accept", "--out", out, "--review", record, "--date", "2025-02-30").exit_code == 2


def outline(pdf: Path) -> list[tuple[int, str, int]]:
    """(depth, title, page) of every bookmark (poppler's XML output of the outline)."""
    xml = subprocess.run(
        ["pdftohtml", "-stdout", "-xml", "-i", "-q", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
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
    for lang, names in (("en", ["Henan", "Hebei", "Hubei"]), ("zh", ["河南省", "河北省", "湖北省"])):
        pdf = out / f"pack.{lang}.pdf"
        marks = outline(pdf)
        provinces = [(title, page) for depth, title, page in marks if depth == 1]
        assert [re.sub(r"\s*·.*", "", t) for t, _ in provinces] == names  # changed first (Henan), then Hebei, Hubei
        assert "·" in provinces[0][0] and "·" not in provinces[1][0]  # the changed one is marked
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
        html = " ".join((out / f"overview.{lang}.html").read_text(encoding="utf-8").split())
        for slug in provinces_with_measures(prepared.dataset):
            assert names.at[slug, column] in html, (lang, slug)
        assert "<img" in html and (out / f"overview.{lang}.pdf").stat().st_size > 10000
    assert 'href="overview.zh.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_pack_and_proof_on_a_read_only_output_folder_are_clear_errors(reviewed, tmp_path, monkeypatch):
    """A folder where nothing can be written is an error naming it, never a traceback."""
    import errno
    import tempfile

    source, record, _ = reviewed
    out = tmp_path / "reports"
    shutil.copytree(source, out, symlinks=True)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", kwargs.get("dir") or str(out))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)  # as on a read-only mount (root included)
    for args in (("pack", "--lang", "en"), ("proof", "--province", "henan")):
        result = run(*args, "--out", out, "--review", record)
        assert result.exit_code == 2 and "read-only" in result.output and "Traceback" not in result.output, (args, result.output)
