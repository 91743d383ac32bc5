"""Rendered briefings as readers see them: figures in both languages, CJK fonts, each
language marked, caveats on the page, no placeholder, complete catalogs, a real browser."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from briefings.i18n import LANGUAGES

from .conftest import CHROMIUM, CHROMIUM_ARGS, DATA, ROOT, build, builtin_renderer
from .pages import unmarked_chinese, unmarked_english

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

PROVINCES = ("henan", "guangdong", "hebei", "hubei", "shanxi")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    outcomes = build(DATA, out, provinces=PROVINCES, jobs=2, renderer="builtin")
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    return out


def pdftotext(path: Path) -> str:
    return re.sub(r"\s+", " ", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)


def test_four_files_per_province_and_an_index(reports):
    for slug in PROVINCES:
        for name in ("briefing.zh.html", "briefing.en.html", "briefing.zh.pdf", "briefing.en.pdf"):
            assert (reports / slug / name).stat().st_size > 1000, name
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="henan/briefing.zh.pdf"' in index and 'href="guangdong/briefing.en.html"' in index


def test_pdf_key_figures_in_both_languages(reports):
    zh, en = pdftotext(reports / "henan" / "briefing.zh.pdf"), pdftotext(reports / "henan" / "briefing.en.pdf")
    # the source's own qualifier word in Chinese (突破), its faithful English (more than)
    assert "30 亿元" in zh and "突破 94 EFLOPS" in zh and "河南" in zh
    assert "CNY 3 billion" in en and "> 94 EFLOPS" in en
    gd = pdftotext(reports / "guangdong" / "briefing.en.pdf")
    assert "up to CNY 500 million a year" in gd  # Shenzhen's training voucher pool
    gd_zh = pdftotext(reports / "guangdong" / "briefing.zh.pdf")
    assert "每年最高 5 亿元" in gd_zh and "1500 万元" in gd_zh and "0.15 亿元" not in gd_zh


def test_chinese_is_set_in_simplified_chinese_fonts_only(reports):
    for lang in LANGUAGES:
        fonts = subprocess.run(
            ["pdffonts", str(reports / "henan" / f"briefing.{lang}.pdf")], capture_output=True, text=True, check=True
        ).stdout
        cjk = [line for line in fonts.splitlines() if "CJK" in line]
        assert cjk and all(" yes " in line for line in cjk)  # embedded
        assert all("CJKsc" in line for line in cjk), cjk  # never the Japanese forms (CJKjp)


def test_html_is_self_contained_and_labelled(reports):
    for lang in LANGUAGES:
        html = (reports / "henan" / f"briefing.{lang}.html").read_text(encoding="utf-8")
        # no resource from elsewhere (a source's address is a link a reader may follow, not a resource)
        assert re.search(r'src\s*=\s*["\']?https?://|<link\b[^>]*href\s*=\s*["\']?https?://', html) is None
        assert "@import" not in html and "url(http" not in html
        assert f'<html lang="{"zh-Hans" if lang == "zh" else "en"}"' in html
        assert 'class="lang-switch"' in html and 'href="../index.html"' in html
        assert 'id="TOC"' in html and "Content-Security-Policy" in html


def test_each_language_is_marked(reports):
    for slug in PROVINCES:
        assert unmarked_chinese(reports / slug / "briefing.en.html") == [], slug
        assert unmarked_english(reports / slug / "briefing.zh.html") == [], slug
    assert unmarked_english(reports / "index.html") == []


def test_no_placeholder_anywhere(reports):
    for path in list(reports.glob("*/briefing.*.html")) + list(reports.glob("*/briefing.*.qmd")):
        text = path.read_text(encoding="utf-8")
        for placeholder in (
            r"headline not in the stored text",
            r"\[headline",
            r"\bTODO\b",
            r"\bNone\b",
            r"\bnan\b",
            r"\{who\}",
            r"%\(",
            r"\{\{",
            r"\bundefined\b",
        ):
            assert not re.search(placeholder, text), (path, placeholder)


def test_caveats_reach_html_and_pdf_in_both_languages(reports):
    import json

    results = json.loads((reports / "henan" / "results.json").read_text(encoding="utf-8"))
    note = results["measures"]["henan-007"]
    assert note["note_en"] and note["note_zh"]
    flat = lambda text: re.sub(r"[\s\u200b]+", "", text)
    for lang in LANGUAGES:
        wanted = straight(flat(note["note_zh"] if lang == "zh" else note["note_en"]))
        html = flat(re.sub(r"<[^>]+>", "", (reports / "henan" / f"briefing.{lang}.html").read_text(encoding="utf-8")))
        assert wanted[:40] in straight(html.replace("&#39;", "'").replace("&quot;", '"')), lang
        pdf = subprocess.run(
            ["pdftotext", "-raw", str(reports / "henan" / f"briefing.{lang}.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert wanted[:40] in straight(flat(pdf)), lang


def straight(text: str) -> str:
    """Text with typographic quotes as the data writes them (straight)."""
    return text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))


@pytest.mark.parametrize(
    "source, curled",
    [
        ("Henan\\'s fund\\.\n", "Henan’s"),  # in the body
        ("Text.^[A note on \\'AI+\\'\\.]\n", "‘AI+’"),  # in a note (stringify skips notes)
        ("---\nabstract: |\n  Text^[a note \\'q\\' here]\n---\n\nNo quote here.\n", "‘q’"),  # a note in the metadata only
        ("| Region |\n|:---|\n| Anhui\\'s |\n\n: The \\'caption\\'\n", "‘caption’"),  # a cell and a caption
    ],
)
def test_straight_quotes_are_curled_wherever_english_text_is(source, curled):
    """typography.lua skips the blocks with no straight quote in their text; a note's text is
    not in that text, so a document with a note anywhere is read whole."""
    import json

    import pypandoc

    from briefings.render import READER

    tree = pypandoc.convert_text(
        "---\nlang: en\n---\n\n" + source if not source.startswith("---") else source.replace("---\n", "---\nlang: en\n", 1),
        "json",
        format=READER,
        extra_args=["--lua-filter", str(ROOT / "templates/filters/typography.lua")],
    )
    text = json.dumps(json.loads(tree), ensure_ascii=False)
    assert curled in text and "'" not in text, text


def test_english_quotes_are_typographic_and_chinese_pages_keep_theirs(reports):
    from .pages import runs

    for slug in PROVINCES:
        en = reports / slug / "briefing.en.html"
        plain = [t for t, lang, _verbatim, code in runs(en) if not code and not lang.startswith("zh") and re.search("['\"]", t)]
        assert not plain, (slug, plain[:3])
        pdf = pdftotext(en.with_suffix(".pdf"))
        assert not re.search(r"[A-Za-z][\'\"]|[\'\"][A-Za-z]", pdf), (slug, re.findall(r".{20}[\'\"].{20}", pdf)[:3])
        assert "’s" in pdf or slug == "shanxi"  # Henan’s, the province’s
        # a Chinese page is left as its source writes it: no quote is curled there
        zh = reports / slug / "briefing.zh.html"
        source = zh.with_suffix(".qmd").read_text(encoding="utf-8")
        shown = "".join(t for t, _lang, _verbatim, code in runs(zh) if not code)
        assert sum(shown.count(q) for q in "‘’") <= sum(source.count(q) for q in "‘’"), slug


def test_a_province_with_few_figures_gets_a_one_page_profile(reports):
    import json

    results = json.loads((reports / "shanxi" / "results.json").read_text(encoding="utf-8"))
    assert results["profile"] == "thin"
    zh = pdftotext(reports / "shanxi" / "briefing.zh.pdf")
    assert "来源所述" in zh and "简况" in zh and "全国概览" in zh
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(reports / "shanxi" / "briefing.zh.pdf")], capture_output=True, text=True).stdout,
        ).group(1)
    )
    assert pages <= 2
    html = (reports / "shanxi" / "briefing.en.html").read_text(encoding="utf-8")
    assert "<img" not in html and "../overview.en.html" in html
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "profile" in index.split('id="shanxi"')[1].split("</section>")[0]  # the index marks it


def test_chinese_prose_follows_one_spacing_rule_and_full_width_punctuation(reports):
    from .pages import runs

    for slug in PROVINCES:
        for text, lang, verbatim, code in runs(reports / slug / "briefing.zh.html"):
            if verbatim or code or lang.startswith("en"):
                continue
            unquoted = re.sub(r"“[^”]*”", "“”", text)  # a note may quote the source's own spelling (“10.6万P”)
            assert not re.search(r"[\u4e00-\u9fff][A-Za-z0-9]|[A-Za-z0-9%][\u4e00-\u9fff]", unquoted), (slug, text)
            assert not re.search(r"[\u4e00-\u9fff][(),:;]|[(,:;][\u4e00-\u9fff]", text), (slug, text)
            # no space next to full-width punctuation: between sentences, after a label, before a
            # citation (a line break inside a paragraph is a space to the browser)
            assert not re.search(r"[。，、；：！？）”][ \n]|[ \n][（“]", text), (slug, text)


def test_sentences_say_qualifiers_in_words_tables_use_symbols(reports):
    for slug in PROVINCES:
        for lang in LANGUAGES:
            html = (reports / slug / f"briefing.{lang}.html").read_text(encoding="utf-8")
            if 'id="key-findings"' not in html:
                continue  # a profile with no key finding
            findings = html.split('id="key-findings"', 1)[1].split("<h2", 1)[0]
            assert not re.search(r"[≤≥≈]", re.sub(r"<[^>]+>", "", findings)), (slug, lang)


def test_plural_forms_follow_the_count():
    from briefings.i18n import ngettext_for

    ngettext = ngettext_for("en")
    one = ngettext("%(num)s new figure.", "%(num)s new figures.", 1) % {"num": 1}
    two = ngettext("%(num)s new figure.", "%(num)s new figures.", 2) % {"num": 2}
    assert one == "1 new figure." and two == "2 new figures."
    assert ngettext_for("zh")("%(num)s new figure.", "%(num)s new figures.", 2) % {"num": 2} == "新增 2 个数字。"


def test_catalogs_are_complete_and_have_no_fuzzy_entry():
    extracted = {
        msg[2]
        for msg in extract_from_dir(
            str(ROOT),
            method_map=[("src/**.py", "python"), ("templates/**.j2", "jinja2")],
            options_map={"templates/**.j2": {"extensions": "jinja2.ext.i18n"}},
            keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)},
        )
    }
    extracted = {m if isinstance(m, str) else m[0] for m in extracted}
    assert len(extracted) > 80
    zh = read_po((ROOT / "templates" / "locale" / "zh_Hans" / "LC_MESSAGES" / "briefings.po").open("rb"))
    fuzzy = sorted(str(m.id) for m in zh if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy entries are skipped by the build (English would print in Chinese): {fuzzy}"
    translated = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in zh if m.id}
    missing = sorted(m for m in extracted if not translated.get(m) or translated.get(m) == ("",))
    assert not missing, f"untranslated in zh_Hans: {missing}"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make setup installs it)")
def test_browser_index_links_language_switch_and_phone_width(reports, tmp_path):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})

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
        assert all(ok for ok, _ in images), images  # (a chart only for rankings of three regions or more)
        assert all(alt for _, alt in images)
        # every table's header cells stand over its body cells (one table, not two boxes)
        misaligned = page.evaluate("""Array.from(document.querySelectorAll('table')).filter(t => {
            const head = t.querySelector('thead tr'), row = t.querySelector('tbody tr');
            if (!head || !row || head.cells.length !== row.cells.length) return !!head && !!row;
            return Array.from(head.cells).some((c, i) => Math.abs(c.getBoundingClientRect().left
                                                                  - row.cells[i].getBoundingClientRect().left) > 1);
        }).length""")
        assert page.locator("table").count() > 3 and misaligned == 0
        page.click("a.index-link")
        page.wait_for_load_state("load")
        assert page.url.endswith("index.html")
        # a 390 px phone: no table overflows the page; a wide table scrolls in its own box
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        for slug in ("henan", "guangdong"):
            for lang in LANGUAGES:
                phone.goto((reports / slug / f"briefing.{lang}.html").as_uri())
                page_width = phone.evaluate("document.documentElement.scrollWidth")
                assert page_width <= 390, (slug, lang, page_width)
                bad = phone.evaluate("""Array.from(document.querySelectorAll('table')).filter(t => {
                    const box = t.parentElement;
                    const r = box.getBoundingClientRect();
                    return !box.classList.contains('table-scroll') || r.right > 391
                        || (box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== 'auto');
                }).length""")
                assert bad == 0, (slug, lang)
        phone.screenshot(path=str(tmp_path / "phone.png"))
        browser.close()
    assert outside == []


def test_a_character_no_font_has_is_reported_with_its_row(tmp_path):
    """An emoji in a summary prints as an empty box (typst#5137): the build says so, naming
    the character and the row that holds it; common text reads no font file at all."""
    import json

    renderer = builtin_renderer()
    (tmp_path / "results.json").write_text(
        json.dumps({"measures": {"henan-003": {"summary_en": "Launch 🚀 now", "summary_zh": "启动"}}}), encoding="utf-8"
    )
    typ = tmp_path / "briefing.en.typ"
    typ.write_text("= Henan\nLaunch 🚀 now · 河南 “quoted” — café\n", encoding="utf-8")
    (warning,) = renderer.missing_glyphs(typ)
    assert "U+1F680 ROCKET" in warning and "briefing.en.pdf" in warning and "henan-003 (summary_en)" in warning
    plain = builtin_renderer()
    typ.write_text("= 河南\n河南提出 30 亿元 “quoted” — café ≤ ≥\n", encoding="utf-8")
    assert plain.missing_glyphs(typ) == []


def test_the_cached_glyph_coverage_equals_reading_the_fonts(tmp_path, monkeypatch):
    """The shortcut (code points read once in a fresh process, kept per font set in the cache
    folder) equals reading every font here; a damaged or foreign cache file is read afresh."""
    import json

    from briefings import glyphs

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folders = builtin_renderer().font_dirs
    slow = glyphs.coverage(folders, cached=False)
    assert glyphs.coverage(folders) == slow  # computed and written
    (cache,) = (tmp_path / "briefings").glob("glyph-coverage-*.json")
    assert glyphs.coverage(folders) == slow  # read back
    assert 0x6CB3 in slow and ord("A") in slow and 0x1F680 not in slow  # 河, A; no rocket
    points = {p for first, last in slow.ranges for p in range(first, last + 1)}
    assert points == glyphs.read_code_points(folders)
    for damage in ("not json", json.dumps({"key": "other", "ranges": [[0, 0x10FFFF]]}), '{"key": 1}'):
        cache.write_text(damage, encoding="utf-8")
        assert glyphs.coverage(folders) == slow
    data = json.loads(cache.read_text(encoding="utf-8"))
    cache.write_text(json.dumps({**data, "ranges": [[0, 0x10FFFF]]}), encoding="utf-8")
    assert glyphs.coverage(folders).ranges == ((0, 0x10FFFF),)  # the same key: trusted, as a cache is
    cache.write_text(json.dumps({**data, "ranges": [[5, 1], [0, "x"]]}), encoding="utf-8")
    assert glyphs.coverage(folders) == slow


def test_a_markup_sign_starting_a_list_item_prints_as_written_in_the_pdf(tmp_path):
    """Data or an editor's wording starting with =, +, /, - or "2." is text, not Typst markup
    (a heading in the PDF outline, a numbered item, a term list): pandoc#9586 kind."""
    import pypandoc

    from briefings.document import md

    items = ["= Heading here", "+ Plus sign opens this finding", "/ Term: a definition list", "2. Phase two opens", "- dash"]
    source = tmp_path / "x.md"
    source.write_text("".join(f"- {md(item)}\n" for item in items) + "\n" + md("= para start") + "\n", encoding="utf-8")
    typ = pypandoc.convert_file(
        str(source),
        "typst",
        format="markdown",
        extra_args=[
            a for f in ("typography", "quarto-compat") for a in ("--lua-filter", str(ROOT / f"templates/filters/{f}.lua"))
        ],
    )
    (tmp_path / "x.typ").write_text('#set document(title: [x])\n#set text(lang: "en")\n' + typ, encoding="utf-8")
    # through the renderer: compiling in this process would leave typst's pool to a later fork
    pdf = builtin_renderer().compile_typst(tmp_path / "x.typ", "2025")
    (tmp_path / "x.pdf").write_bytes(pdf)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "x.pdf"), "-"], capture_output=True, text=True).stdout.split())
    for item in [*items, "= para start"]:
        assert item in text, (item, text)
    # and Typst read none of them as markup: no heading, no numbered item, no term
    assert not re.search(r"^- ([=+/\-] |\d+\. )|^([=+/] |\d+\. )", typ, re.M), typ
