"""Hostile text in the data comes out inert, or is rejected by validate.

Every free-text column of every data file carries a payload that tries markdown, raw HTML,
raw Typst, mathtext, rich markup, a local file and a network fetch. Names are rejected by
``validate`` (exit 2); everything else is printed literally in HTML (checked in Chromium:
no script runs, no request leaves the page) and PDF, and pandoc reads no file and fetches
no URL while building.
"""

from __future__ import annotations

import http.server
import re
import subprocess
import threading
import typing
from html.parser import HTMLParser

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, build, edit_cell, run

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

PAYLOAD = (
    "<script>alert(1)</script> ![](/etc/passwd) ![]({url}) <img src=x onerror=alert(2)> "
    '`#text(fill: red)[X]`{{=typst}} $\\foo$ [/x] " onload="alert(3)'
)

NAME_COLUMNS = ("name_zh", "name_en", "short_zh")

#: (file, column, which row) that a Henan briefing prints, each given the payload.
PRINTED_COLUMNS = [
    ("measures.csv", "evidence", lambda r: r["measure_id"] == "henan-001"),
    ("measures.csv", "note_en", lambda r: r["measure_id"] == "henan-001"),
    ("measures.csv", "note_zh", lambda r: r["measure_id"] == "henan-001"),
    ("measures.csv", "summary_en", lambda r: r["measure_id"] == "henan-002"),
    ("measures.csv", "summary_zh", lambda r: r["measure_id"] == "henan-002"),
    ("metrics.csv", "label_en", lambda r: r["metric"] == "fund_size"),
    ("metrics.csv", "label_zh", lambda r: r["metric"] == "fund_size"),
    ("metrics.csv", "definition_en", lambda r: r["metric"] == "fund_size"),
    ("metrics.csv", "definition_zh", lambda r: r["metric"] == "fund_size"),
    ("instruments.csv", "label_en", lambda r: r["instrument"] == "ai_industry_fund"),
    ("instruments.csv", "label_zh", lambda r: r["instrument"] == "ai_industry_fund"),
    ("sources.csv", "publisher_en", lambda r: r["source_id"] == "nbd-2025-henan"),
    ("sources.csv", "publisher_zh", lambda r: r["source_id"] == "nbd-2025-henan"),
    ("sources.csv", "title_en", lambda r: r["source_id"] == "nbd-2025-henan"),
    ("sources.csv", "title_zh", lambda r: r["source_id"] == "nbd-2025-henan"),
]
#: Free-text columns that no briefing prints today; they still must not break a build.
OTHER_COLUMNS = [
    ("policies.csv", "title_zh", lambda r: r["policy_id"] == "henan-2025-ai-ecosystem"),
    ("policies.csv", "title_en", lambda r: r["policy_id"] == "henan-2025-ai-ecosystem"),
    ("policies.csv", "issuer_zh", lambda r: r["policy_id"] == "henan-2025-ai-ecosystem"),
    ("policies.csv", "issuer_en", lambda r: r["policy_id"] == "henan-2025-ai-ecosystem"),
    ("units.csv", "label_en", lambda r: r["unit"] == "亿元"),
    ("instruments.csv", "pays_for_en", lambda r: r["instrument"] == "ai_industry_fund"),
    ("instruments.csv", "pays_for_zh", lambda r: r["instrument"] == "ai_industry_fund"),
]


class Recorder(http.server.BaseHTTPRequestHandler):
    hits: typing.ClassVar[list[str]] = []

    def do_GET(self):
        Recorder.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def listener():
    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("column", NAME_COLUMNS)
def test_validate_rejects_markup_in_names(data_copy, column):
    row = edit_cell(
        data_copy / "regions.csv", lambda r: r["code"] == "CN-HA", column, "Henan<script>alert(1)</script> $\\foo$ [/x]"
    )
    result = run("validate", "--data", data_copy)
    assert result.exit_code == 2
    assert f"regions.csv, row {row}, column {column}" in result.output
    assert "plain name" in result.output
    assert "[/x]" in result.output  # rich markup printed literally, not interpreted
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory, listener):
    data = tmp_path_factory.mktemp("hostile") / "data"
    import shutil

    from .conftest import DATA

    shutil.copytree(DATA, data)
    for file, column, pick in PRINTED_COLUMNS + OTHER_COLUMNS:
        # the evidence keeps its number (the number-in-evidence check runs on every build)
        keep = "设立总规模 30 亿元 " if column == "evidence" else ""
        edit_cell(data / file, pick, column, keep + f"{column.upper()} " + PAYLOAD.format(url=f"{listener}/{file}/{column}"))
    out = data.parent / "reports"
    outcomes = build(data, out, provinces=("henan",), jobs=1, renderer="builtin")
    assert outcomes[0].ok, outcomes[0].error
    return out / "henan"


def test_pandoc_fetched_nothing_and_embedded_no_local_file(hostile_build):
    assert Recorder.hits == []
    for lang in ("zh", "en"):
        page = (hostile_build / f"briefing.{lang}.html").read_text(encoding="utf-8")
        assert "root:x:0:0" not in page and "cm9vdDp4OjA6MD" not in page  # /etc/passwd, plain or base64
        sources = re.findall(r'<img\b[^>]*\bsrc="([^"]*)"', page)
        assert all(s.startswith("data:image/svg+xml;base64,") for s in sources)  # (charts: three regions or more)


class Elements(HTMLParser):
    """Every element and attribute of a page, and its text."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_prints_the_payload_as_text(hostile_build):
    for lang in ("zh", "en"):
        page = Elements((hostile_build / f"briefing.{lang}.html").read_text(encoding="utf-8"))
        assert not [t for t, _ in page.tags if t in ("script", "iframe", "object", "embed", "link", "base")]
        assert not [(t, a) for t, a in page.tags for name in a if name.startswith("on")]
        assert all(a["src"].startswith("data:image/svg+xml;base64,") for t, a in page.tags if "src" in a)
        text = " ".join(" ".join(page.text).split())
        from briefings.document import chinese_title

        def shown(c: str, lang: str = lang) -> str:
            # a Chinese page sets names and descriptive titles (this source's) full-width
            payload = f"{c.upper()} <script>alert(1)</script> ![](/etc/passwd)"
            return " ".join(chinese_title(payload).split()) if lang == "zh" and c in ("publisher_zh", "title_zh") else payload

        printed = {c for _f, c, _p in PRINTED_COLUMNS if shown(c) in text}
        suffix = "_zh" if lang == "zh" else "_en"
        expected = {c for _f, c, _p in PRINTED_COLUMNS if not c.endswith(("_zh", "_en")) or c.endswith(suffix)}
        assert expected <= printed, (lang, expected - printed)


def test_pdf_prints_the_payload_literally(hostile_build):
    text = subprocess.run(
        ["pdftotext", "-raw", str(hostile_build / "briefing.en.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    for fragment in ("<script>alert(1)</script>", "![](/etc/passwd)", "`#text(fill:red)[X]`{=typst}", "$\\foo$", "[/x]"):
        assert fragment in flat, fragment


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make setup installs it)")
def test_chromium_runs_no_script_and_makes_no_request(hostile_build):
    from playwright.sync_api import sync_playwright

    requests, dialogs = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: requests.append(r.url))
        for lang in ("zh", "en"):
            url = (hostile_build / f"briefing.{lang}.html").as_uri()
            page.goto(url)
            page.wait_for_load_state("load")
            assert page.evaluate("document.scripts.length") == 0
        browser.close()
    assert dialogs == []
    assert [r for r in requests if not r.startswith(("file:", "data:"))] == []


def test_charts_draw_labels_literally():
    """A $ in a label (a metric label, a name) is a dollar sign, never mathtext, and never an error."""
    from briefings.figures import draw_section

    def entry(code, value, subject):
        holder = {
            "code": code,
            "level": "province",
            "name_zh": "$\\foo$",
            "name_en": "$\\foo$ [/x]",
            "is_subject": subject,
            "is_city": False,
            "macro_region": "central",
        }
        return {
            "measure_id": f"{code}-001",
            "holder": holder,
            "value": value,
            "unit": "CNY",
            "qualifier": "eq",
            "metric": "fund_size",
            "instrument": "",
            "period": "",
            "year": None,
            "status": "policy",
        }

    comparison = {"id": "c", "entries": [entry("A", 3e9, True), entry("B", 1e9, False)]}
    for lang in ("zh", "en"):
        svg = draw_section(
            [comparison],
            lang,
            {"macro_region": "central", "short_zh": "$\\x$", "name_en": "$\\x$"},
            {"c": "$\\frac{1}{0}$ <b>"},
            {},
        )
        assert svg.startswith(b"<?xml") and len(svg) > 1000


def test_terminal_prints_markup_in_arguments_literally(tmp_path):
    result = run("build", "--province", "[/x]", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "[/x]" in result.output and "Traceback" not in result.output
