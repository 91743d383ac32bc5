"""Pages ready to publish, read as an editor and a reader would.

- PDFs: PDF/UA-1 (tagged, a title, a language, alt text), document info, bookmarks, a short
  contents past four pages, no heading at a page foot, no last page under a fifth full,
  page-relative links absolute or plain text, a colophon with the build id (and no build id
  under the title), the review pack's cover and contents unnumbered.
- HTML in Debian's Chromium (Playwright): axe-core's WCAG 2.1 A and AA rules report nothing
  on a briefing in both languages, the index and the overview; at 390 px every table
  column is visible (cards labelled with their header), no value breaks from its unit, the
  page never scrolls sideways, and chart text is at least 9 px.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from briefings.figures import MIN_FONT_PT

from .conftest import CHROMIUM, CHROMIUM_ARGS, DATA, PROJECT, ROOT, build

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PROVINCES = ("henan", "guangdong", "beijing", "hubei", "hebei", "shanghai", "shanxi")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pages") / "reports"
    outcomes = build(DATA, out, provinces=PROVINCES, jobs=2, renderer="builtin")
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert not [w for o in outcomes for w in o.warnings], "typst warned"
    return out


def pdfs(reports: Path) -> list[Path]:
    return sorted(reports.glob("*/briefing.*.pdf")) + sorted(reports.glob("overview.*.pdf"))


def pdfinfo(pdf: Path) -> dict[str, str]:
    text = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines()) if v}


def words(pdf: Path, page: int) -> list[tuple[float, float, str]]:
    """(yMin, yMax, word) of one page's words, from pdftotext's bounding boxes."""
    html = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    return [
        (float(a), float(b), w)
        for a, b, w in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', html)
    ]


# -- PDF -------------------------------------------------------------------------------------
def test_pdfs_carry_document_info_and_conform_to_pdf_ua(reports):
    from pypdf import PdfReader

    for pdf in pdfs(reports):
        info = pdfinfo(pdf)
        assert info["Title"] and info["Author"] and info["Subject"] and info["Keywords"], (pdf, info)
        assert info["Tagged"] == "yes"
        reader = PdfReader(pdf)
        catalog = reader.trailer["/Root"]
        assert catalog["/Lang"] in ("zh", "zh-CN", "en", "en-GB"), catalog.get("/Lang")
        assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"]
        # PDF/UA-1 fails a document that marks tag suspects; typst writes /Suspects false, which
        # is valid (poppler up to 25.11 misreports it as "Suspects object is wrong type (boolean)")
        suspects = catalog["/MarkInfo"].get("/Suspects", False)
        assert getattr(suspects, "value", suspects) is False  # pypdf's BooleanObject is always truthy
        metadata = reader.xmp_metadata
        assert metadata is not None and b"pdfuaid" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
        assert reader.outline, pdf  # bookmarks, always
        lang = "zh" if ".zh." in pdf.name else "en"
        assert ("省级人工智能政策简报" if lang == "zh" else "Provincial AI-policy briefings") in info["Author"]


def test_figures_in_pdfs_have_alt_text(reports):
    from pypdf import PdfReader

    typ = (reports / "overview" / "overview.en.typ").read_text(encoding="utf-8")
    assert re.search(r'image\("fig-matrix\.en\.svg", alt: "Heat map', typ)
    reader = PdfReader(reports / "overview.en.pdf")
    data = b"".join(o.get_object().get_data() if hasattr(o.get_object(), "get_data") else b"" for o in [])
    assert data == b""
    # the figure's structure element carries the alt text
    found = []

    def walk(node, depth=0):
        node = node.get_object()
        if isinstance(node, dict):
            if node.get("/S") == "/Figure":
                found.append(str(node.get("/Alt", "")))
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, list) else [kids]:
                    if depth < 60:
                        walk(kid, depth + 1)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert found and all(alt.startswith("Heat map") for alt in found), found


def test_no_heading_ends_a_page_and_no_last_page_is_near_empty(reports):
    headings = {
        "zh": ["参考数字", "数据", "产业", "方法说明", "来源与证据", "未见于来源的数字"],
        "en": ["Reference figures", "Methodology", "Sources and evidence", "Industry", "Data"],
    }
    from pypdf import PdfReader

    def titles(outline) -> list[str]:
        return [t for item in outline for t in (titles(item) if isinstance(item, list) else [item.title])]

    for pdf in pdfs(reports):
        pages = int(pdfinfo(pdf)["Pages"])
        height = float(pdfinfo(pdf)["Page size"].split("x")[1].split()[0])
        # every heading the PDF bookmarks (the overview's "Instruments by region" above its heat map too)
        bookmarked = {re.sub(r"\s+", "", t) for t in titles(PdfReader(pdf).outline)}
        top, bottom = 2.2 / 2.54 * 72, height - 2.2 / 2.54 * 72
        for page in range(1, pages + 1):
            body = [(y0, y1, w) for y0, y1, w in words(pdf, page) if top - 2 < y0 and y1 < bottom + 2]
            if not body:
                continue
            last_line = max(y1 for _, y1, _ in body)
            tail = " ".join(w for y0, y1, w in body if y1 > last_line - 4)
            lang = "zh" if ".zh." in pdf.name else "en"
            if page < pages:
                assert not any(tail.strip() == h for h in headings[lang]), (pdf.name, page, tail)
                assert re.sub(r"\s+", "", tail) not in bookmarked, (pdf.name, page, tail)
            elif pages > 1:
                fill = (last_line - top) / (bottom - top)
                assert fill >= 0.2, (pdf.name, page, round(fill, 2))


def test_long_briefings_open_with_a_contents(reports):
    for pdf in pdfs(reports):
        pages = int(pdfinfo(pdf)["Pages"])
        first = " ".join(w for _, _, w in words(pdf, 1))
        has_contents = "目录" in first.replace(" ", "") or "Contents" in first
        assert has_contents == (pages > 4), (pdf.name, pages)


def test_page_links_in_pdfs_are_plain_text_without_a_base_address(reports):
    from pypdf import PdfReader

    for pdf in pdfs(reports):
        for page in PdfReader(pdf).pages:
            for annot in page.get("/Annots") or []:
                uri = annot.get_object().get("/A", {}).get("/URI")
                assert uri is None or re.match(r"^[a-z]+:", str(uri)), (pdf.name, uri)


def test_the_colophon_has_the_build_id_and_the_title_line_does_not(reports):
    manifest = json.loads((reports / "manifest.json").read_text())
    build_id = manifest["build_id"]
    for pdf in pdfs(reports):
        pages = int(pdfinfo(pdf)["Pages"])
        first = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
        head = first.split("\n\n")[:3]
        assert build_id not in " ".join(head), pdf.name
        last = subprocess.run(["pdftotext", "-f", str(pages), str(pdf), "-"], capture_output=True, text=True).stdout
        compact = last.replace(" ", "")
        assert build_id in last and ("建议引用" in compact or "Suggested citation" in last), pdf.name
        assert ("免责声明" in compact or "Disclaimer" in last) and "CC BY 4.0" in last
        # a Latin colon keeps its space (pandoc trims it from the metadata), a full-width one needs none
        if ".en." in pdf.name:
            assert re.search(r"Publisher: \S", last) and not re.search(r"\b[A-Z][a-z]+:[A-Za-z0-9]", last), last[-800:]
        # © the year of publication (the document's date), never a year written in _quarto.yml
        qmd = pdf.with_suffix(".qmd") if pdf.parent != reports else reports / "overview" / pdf.with_suffix(".qmd").name
        published = re.search(r'^date: "(\d{4})-', qmd.read_text(encoding="utf-8"), re.M)
        assert published and f"© {published.group(1)} " in last, (pdf.name, last[-300:])


class _Marked(HTMLParser):
    """The text of every span with a class, or a language, a test asks for (nested markup inside it flattened)."""

    def __init__(self, wanted) -> None:
        super().__init__()
        self.wanted, self.depth, self.found = wanted, [], []

    def handle_starttag(self, tag, attrs):
        if tag == "span":
            opens = self.wanted(dict(attrs))
            if opens and not any(self.depth):
                self.found.append("")
            self.depth.append(opens)

    def handle_endtag(self, tag):
        if tag == "span" and self.depth:
            self.depth.pop()

    def handle_data(self, data):
        if any(self.depth):
            self.found[-1] += data


def marked(page: Path, wanted) -> list[str]:
    parser = _Marked(wanted)
    parser.feed(page.read_text(encoding="utf-8"))
    return [" ".join(t.split()) for t in parser.found]


def test_headlines_marked_as_printed_are_quoted_verbatim(reports):
    """A source's own headline is printed exactly as the source printed it (the Chinese page
    marks it as-printed, the English page quotes it beside the translation): no spacing or
    punctuation of the house style is applied to it."""
    import csv

    with (DATA / "sources.csv").open(encoding="utf-8", newline="") as handle:
        printed = {" ".join(r["title_zh"].split()) for r in csv.DictReader(handle) if r["title_kind"] == "printed"}
    seen = 0
    for slug in PROVINCES:
        shown = marked(reports / slug / "briefing.zh.html", lambda a: "as-printed" in (a.get("class") or "").split())
        assert all(t in printed for t in shown), (slug, [t for t in shown if t not in printed])
        quoted = marked(reports / slug / "briefing.en.html", lambda a: (a.get("lang") or "").startswith("zh"))
        assert set(shown) <= set(quoted), (slug, set(shown) - set(quoted))  # the English page quotes the same headlines
        seen += len(shown)
    assert seen >= len(PROVINCES)  # most briefings cite printed headlines (a thin one may cite none)


def test_encoded_addresses_read_decoded_and_link_exactly(reports):
    """A percent-encoded address (%E5%85%A9…) shows its characters; the link goes where the
    source says, byte for byte."""
    import html as html_lib
    from urllib.parse import unquote

    from pypdf import PdfReader

    encoded = []
    for page in sorted(reports.glob("*/briefing.*.html")):
        for href, text in re.findall(
            r'<a\s+href="(https?://[^"]+)"\s+class="uri">(.*?)</a>', page.read_text(encoding="utf-8"), re.S
        ):
            href, text = html_lib.unescape(href), html_lib.unescape(re.sub(r"<[^>]+>", "", text))
            if re.search(r"%[89A-F][0-9A-F]", href, re.I):
                encoded.append(page)
                assert text == unquote(href) and "%" not in text, (page.name, href, text)
                pdf = page.with_suffix(".pdf")
                uris = {
                    str(a.get_object()["/A"]["/URI"])
                    for p in PdfReader(pdf).pages
                    for a in p.get("/Annots") or []
                    if "/URI" in a.get_object().get("/A", {})
                }
                assert href in uris, (pdf.name, href)
                shown = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
                shown = re.sub(r"[\s\u200b]+", "", shown)
                assert re.sub(r"\s+", "", unquote(href)) in shown and href not in shown, pdf.name
    assert encoded, "no percent-encoded address in the pages: the test checks nothing"


def test_a_base_address_makes_pdf_links_absolute(reports, tmp_path, monkeypatch):
    from pypdf import PdfReader

    from briefings.render import BuiltinRenderer, Settings

    settings = Settings.load(PROJECT.quarto_config)
    settings.raw["base-url"] = "https://example.org/briefings/"
    folder = tmp_path / "shanxi"  # a thin profile: it links the national overview
    shutil.copytree(reports / "shanxi", folder)
    renderer = BuiltinRenderer(settings)
    typ = renderer.typst_source(folder / "briefing.en.qmd").decode()
    assert '#link("https://example.org/briefings/overview.en.html")' in typ
    assert "../overview" not in typ
    (folder / "briefing.en.typ").write_text(typ, encoding="utf-8")
    pdf = renderer.compile_typst(folder / "briefing.en.typ", "2025-H2")
    (folder / "x.pdf").write_bytes(pdf)
    uris = [
        str(a.get_object()["/A"]["/URI"])
        for p in PdfReader(folder / "x.pdf").pages
        for a in p.get("/Annots") or []
        if "/URI" in a.get_object().get("/A", {})
    ]
    assert "https://example.org/briefings/overview.en.html" in uris


def test_the_review_pack_cover_and_contents_are_unnumbered(reports):
    from pypdf import PdfReader

    from briefings.pack import build_pack

    result = build_pack(PROJECT, reports, "en")
    reader = PdfReader(result.pdf)
    for number in (1, 2):
        text = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(result.pdf), "-"], capture_output=True, text=True
        ).stdout
        assert not re.search(r"\b\d+ / \d+\b", text), (number, text[-200:])
    assert reader.page_labels[2] == "1"
    assert pdfinfo(result.pdf)["Author"] == "Provincial AI-policy briefings"


# -- HTML ------------------------------------------------------------------------------------
needs_browser = pytest.mark.skipif(
    not CHROMIUM.exists() or not AXE.exists(), reason="Debian chromium and axe-core (npm ci) come with make setup"
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, path: Path, width: int):
    # the pages forbid scripts (Content-Security-Policy); the test's own axe-core is let in
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort())
    page.goto(path.as_uri())
    return page


@needs_browser
@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_wcag21_aa_violation(reports, browser, width):
    pages = [reports / "index.html", reports / "overview.zh.html", reports / "overview.en.html"]
    pages += [reports / slug / f"briefing.{lang}.html" for slug in ("henan", "hubei") for lang in ("zh", "en")]
    for path in pages:
        page = open_page(browser, path, width)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("opts => axe.run(document, opts)", {"runOnly": {"type": "tag", "values": WCAG21_AA}})
        violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
        assert not violations, (path.relative_to(reports), width, violations)
        page.context.close()


@needs_browser
def test_phone_tables_show_every_column_and_values_never_break(reports, browser):
    for slug in ("henan", "guangdong", "beijing"):
        for lang in ("zh", "en"):
            page = open_page(browser, reports / slug / f"briefing.{lang}.html", 390)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, (slug, lang)
            hidden = page.evaluate("""Array.from(document.querySelectorAll('tbody td')).filter(td => {
                const r = td.getBoundingClientRect();
                return td.textContent.trim() && (r.width === 0 || r.left < 0 || r.right > window.innerWidth
                        || !td.dataset.label || getComputedStyle(td, '::before').content.replace(/"/g, '') !== td.dataset.label);
            }).length""")
            assert hidden == 0, (slug, lang)
            broken = page.evaluate("""Array.from(document.querySelectorAll('.nowrap')).filter(s =>
                s.getClientRects().length > 1
                || s.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(s).lineHeight || 20)).length""")
            assert broken == 0, (slug, lang)
            assert page.locator("td .nowrap").count() > 0  # the values are marked
            page.context.close()


@needs_browser
def test_chart_text_is_readable_on_a_phone(reports, browser):
    pages = [reports / "overview.zh.html", reports / "overview.en.html"]
    pages += [reports / slug / f"briefing.{lang}.html" for slug in ("guangdong", "beijing") for lang in ("zh", "en")]
    for path in pages:
        page = open_page(browser, path, 390)
        charts = page.evaluate("""Array.from(document.querySelectorAll('figure.chart img')).map(img => ({
            shown: img.getBoundingClientRect().width, natural: img.naturalWidth, alt: img.alt,
            caption: img.closest('figure').querySelector('figcaption').textContent}))""")
        assert charts, path.name
        for chart in charts:
            # the chart's smallest text (MIN_FONT_PT as drawn) as shown on the phone, in CSS px
            assert MIN_FONT_PT * 96 / 72 * chart["shown"] / chart["natural"] >= 9, (path.name, chart["shown"], chart["natural"])
            assert chart["alt"] and chart["caption"] and chart["caption"] != chart["alt"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path.name  # a wide chart scrolls in its frame
        if path.parent == reports:
            alt = page.evaluate("document.querySelector('figure.chart img').alt")
            assert alt.startswith("热力图" if ".zh." in path.name else "Heat map")
        assert page.evaluate("document.querySelector('figure.chart figcaption').getAttribute('aria-hidden')") is None
        page.context.close()
