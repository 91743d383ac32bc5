"""PDFs print exactly the characters of their source, whatever the build order.

A Typst compiler reused across documents once printed 工例 for 工程 in a later document.
Here a single worker builds several provinces, in two orders; every PDF must equal a fresh
compile of its own ``.typ`` in a new process (byte for byte), and every evidence clause the
HTML prints must be printed identically in the PDF.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DATA, PROJECT, build

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

PROVINCES = ("henan", "jiangsu", "guangdong", "hebei")

FRESH_COMPILE = """
import sys, typst
from pathlib import Path
from briefings.project import Project
from briefings.render import BuiltinRenderer, Settings, source_date
typ, date, out, root = sys.argv[1:5]
renderer = BuiltinRenderer(Settings.load(Project.at(Path(root)).quarto_config))
compiler = typst.Compiler(font_paths=renderer.font_dirs, ignore_system_fonts=True)
open(out, "wb").write(compiler.compile(input=typ, root=str(Path(typ).parent),
                                       timestamp=int(source_date(date).timestamp()),
                                       pdf_standards=renderer.pdf_standards))
"""


@pytest.fixture(scope="module", params=["forward", "reverse"])
def single_worker_build(request, tmp_path_factory) -> Path:
    order = PROVINCES if request.param == "forward" else tuple(reversed(PROVINCES))
    out = tmp_path_factory.mktemp(f"order-{request.param}")
    outcomes = build(DATA, out, provinces=order, jobs=1, renderer="builtin")
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    return out


def flat(text: str) -> str:
    # the PDF may add zero-width break opportunities inside long unbroken runs
    return re.sub(r"[\s\u200b]+", "", text)


def pdf_text(path: Path) -> str:
    # content-stream order keeps each table cell's lines together
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_every_pdf_equals_a_fresh_compile_of_its_source(single_worker_build, tmp_path):
    pdfs = sorted(single_worker_build.glob("*/briefing.*.pdf"))
    assert len(pdfs) == 2 * len(PROVINCES)
    for pdf in pdfs:
        data_date = json.loads((pdf.parent / "results.json").read_text(encoding="utf-8"))["data_as_of"]
        fresh = tmp_path / f"{pdf.parent.name}.{pdf.name}"
        subprocess.run(
            [sys.executable, "-c", FRESH_COMPILE, str(pdf.with_suffix(".typ")), data_date, str(fresh), str(PROJECT.root)],
            check=True,
        )
        if fresh.read_bytes() != pdf.read_bytes():
            assert pdf_text(fresh) == pdf_text(pdf), f"{pdf} prints other characters than a fresh compile of its source"
            pytest.fail(f"{pdf} differs from a fresh compile of its source (same text, other bytes)")


def test_every_evidence_clause_in_the_html_is_printed_identically_in_the_pdf(single_worker_build):
    checked = 0
    for slug in PROVINCES:
        folder = single_worker_build / slug
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        clauses = {m["evidence"] for m in results["measures"].values() if m["evidence"]}
        for lang in ("zh", "en"):
            page = flat(html.unescape(re.sub(r"<[^>]+>", "", (folder / f"briefing.{lang}.html").read_text(encoding="utf-8"))))
            printed = flat(pdf_text(folder / f"briefing.{lang}.pdf"))
            shown = [c for c in clauses if flat(c) in page]
            assert shown, f"{slug} {lang}: no evidence clause found in the HTML"
            missing = [c for c in shown if flat(c) not in printed]
            assert not missing, f"{slug} {lang}: printed differently in the PDF: {missing}"
            checked += len(shown)
    assert checked > 50


def test_two_orders_give_the_same_pdfs(tmp_path):
    """The build order must not change a single byte of any PDF."""
    firsts = {}
    for order in (PROVINCES[:2], tuple(reversed(PROVINCES[:2]))):
        out = tmp_path / "-".join(order)
        assert all(
            o.ok for o in build(DATA, out, provinces=order, languages=("zh",), formats=("pdf",), jobs=1, renderer="builtin")
        )
        for pdf in sorted(out.glob("*/briefing.zh.pdf")):
            firsts.setdefault(pdf.parent.name, set()).add(pdf.read_bytes())
    assert all(len(versions) == 1 for versions in firsts.values())
