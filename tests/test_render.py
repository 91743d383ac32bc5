"""Rendered briefings: key figures in both languages, CJK fonts, self-contained HTML,
inert hostile data, complete catalogs, and a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from briefings.build import build
from briefings.i18n import LANGUAGES, LOCALE_DIR

from .conftest import CHROMIUM, CHROMIUM_ARGS, DATA, ROOT, edit_cell


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    outcomes = build(DATA, out, provinces=("henan", "guangdong"), jobs=2, renderer="builtin")
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    return out


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_four_files_per_province(reports):
    for slug in ("henan", "guangdong"):
        for name in ("briefing.zh.html", "briefing.en.html", "briefing.zh.pdf", "briefing.en.pdf"):
            assert (reports / slug / name).stat().st_size > 1000, name
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="henan/briefing.zh.pdf"' in index and 'href="guangdong/briefing.en.html"' in index


def test_pdf_key_figures_in_both_languages(reports):
    zh = re.sub(r"\s+", " ", pdftotext(reports / "henan" / "briefing.zh.pdf"))
    en = re.sub(r"\s+", " ", pdftotext(reports / "henan" / "briefing.en.pdf"))
    assert "30 亿元" in zh and "≥ 94 EFLOPS" in zh and "河南" in zh
    assert "CNY 3 billion" in en and "at least 94 EFLOPS by 2025" in en
    gd = re.sub(r"\s+", " ", pdftotext(reports / "guangdong" / "briefing.en.pdf"))
    assert "up to CNY 500 million a year" in gd  # Shenzhen's training voucher pool


def test_chinese_pdf_embeds_a_cjk_font(reports):
    fonts = subprocess.run(["pdffonts", str(reports / "henan" / "briefing.zh.pdf")], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)


def test_html_is_self_contained_and_labelled(reports):
    for lang in LANGUAGES:
        html = (reports / "henan" / f"briefing.{lang}.html").read_text(encoding="utf-8")
        assert re.search(r'(src|href)\s*=\s*["\']?https?://', html) is None
        assert "@import" not in html and "url(http" not in html
        assert f'<html lang="{"zh-Hans" if lang == "zh" else "en"}"' in html
        assert 'class="lang-switch"' in html
        assert 'id="TOC"' in html


def test_catalogs_are_complete():
    extracted = {msg[2] for msg in extract_from_dir(str(ROOT), method_map=[("src/**.py", "python"), ("templates/**.j2", "jinja2")],
                                                     options_map={"templates/**.j2": {"extensions": "jinja2.ext.i18n"}},
                                                     keywords={"_": None, "N_": None, "gettext": None})}
    extracted = {m if isinstance(m, str) else m[0] for m in extracted}
    assert len(extracted) > 100
    zh = read_po((LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "briefings.po").open("rb"))
    translated = {m.id: m.string for m in zh if m.id}
    missing = sorted(m for m in extracted if not translated.get(m))
    assert not missing, f"untranslated in zh_Hans: {missing}"


def test_hostile_data_is_inert(tmp_path, data_copy):
    hostile = '<script>alert("x")</script> **bold** [link](https://evil.example) #head |pipe|'
    edit_cell(data_copy / "measures.csv", lambda r: r["measure_id"] == "henan-001", "evidence", hostile)
    out = tmp_path / "reports"
    outcomes = build(data_copy, out, provinces=("henan",), languages=("en",), jobs=1, renderer="builtin")
    assert outcomes[0].ok, outcomes[0].error
    html = (out / "henan" / "briefing.en.html").read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "https://evil.example" in html and 'href="https://evil.example' not in html
    assert "<strong>bold</strong>" not in html
    text = re.sub(r"\s+", " ", pdftotext(out / "henan" / "briefing.en.pdf"))
    assert '<script>alert("x")</script> **bold**' in text


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make setup installs it)")
def test_browser_index_link_language_switch_images(reports, tmp_path):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})

        def guard(route):
            if route.request.url.startswith(("file:", "data:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.goto((reports / "index.html").as_uri())
        page.click('a[href="henan/briefing.zh.html"]')
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        assert "河南" in page.title()
        page.click("a.lang-switch")
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == "en"
        images = page.evaluate("Array.from(document.images).map(i => [i.complete && i.naturalWidth > 0, i.alt])")
        assert images and all(ok for ok, _ in images), images
        assert all(alt for _, alt in images)  # alt text in the page language
        page.screenshot(path=str(tmp_path / "briefing.en.png"), full_page=False)
        browser.close()
    assert (tmp_path / "briefing.en.png").stat().st_size > 10000
    assert outside == []


def test_long_comparison_tables_keep_the_largest_and_this_province():
    from briefings.document import MAX_ROWS, Citations, _comparison_view

    def entry(i: int, subject: bool) -> dict:
        return {"measure_id": f"m-{i:03d}", "holder": {"name_zh": f"市{i}", "name_en": f"City {i}", "is_subject": subject, "is_city": True},
                "instrument": "", "metric": "fund_size", "value": float(100 - i), "value_high": None, "unit": "CNY",
                "qualifier": "eq", "period": "", "year": None, "status": "policy", "rank": i + 1, "tie": False, "uncertain": False}

    entries = [entry(i, subject=(i == 30)) for i in range(40)]
    comparison = {"id": "c", "metric": "fund_size", "family": "ai_industry_fund", "period": None, "status_class": "planned",
                  "n": 40, "entries": entries, "national": [], "lower_is_stronger": False}
    view = _comparison_view(comparison, "en", Citations({"measures": {}, "sources": []}))
    assert [e["measure_id"] for e in view["entries"]] == [f"m-{i:03d}" for i in range(MAX_ROWS)] + ["m-030"]
    assert view["hidden"] == 40 - MAX_ROWS - 1
