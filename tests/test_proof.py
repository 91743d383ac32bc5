"""The editor's proof sheet: every claim a briefing prints, and nothing else, beside its source
clauses in both languages; built from results.json alone."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from briefings.review import printed_claims

from .conftest import DATA, build, run

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

PROVINCES = ("henan", "guangdong", "shanxi")


@pytest.fixture(scope="module")
def proofed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("proof") / "reports"
    assert all(o.ok for o in build(DATA, out, provinces=PROVINCES, jobs=2, renderer="builtin"))
    result = run("proof", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_a_sheet_lists_every_printed_claim_and_nothing_else(proofed):
    for slug in PROVINCES:
        results = json.loads((proofed / slug / "results.json").read_text(encoding="utf-8"))
        html = (proofed / "proof" / f"{slug}.html").read_text(encoding="utf-8")
        listed = re.findall(r'id="claim-([a-z0-9-]+)"', html)
        assert listed == [c["id"] for c in printed_claims(results)], slug
        # each claim beside the verbatim clause of every measure it rests on, in both languages
        text = " ".join(re.sub(r"<[^>]+>", "", html).split())
        for claim in printed_claims(results):
            for measure_id in claim["measure_ids"]:
                clause = results["measures"][measure_id]["evidence"]
                assert " ".join(clause.split())[:12] in text, (slug, claim["id"], measure_id)
        # the claims dropped as unsound close the sheet, each with its rule
        if results["dropped"]:
            assert "Dropped as unsound" in html
            assert all(r["rule"] in text for d in results["dropped"] for r in d["rules"])


def test_a_thin_profile_proofs_its_statements(proofed):
    results = json.loads((proofed / "shanxi" / "results.json").read_text(encoding="utf-8"))
    assert results["profile"] == "thin"
    html = (proofed / "proof" / "shanxi.html").read_text(encoding="utf-8")
    assert len(re.findall(r'id="claim-', html)) == len(printed_claims(results))


def test_the_combined_sheet_has_a_bookmark_per_province(proofed):
    from .test_review import outline

    marks = outline(proofed / "proof" / "proofs.pdf")
    names = [title for depth, title, _ in marks if depth == 1]
    assert len(names) == len(PROVINCES) and any("Henan" in n for n in names)
    pdf = subprocess.run(
        ["pdftotext", str(proofed / "proof" / "henan.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "中文" in pdf and "English" in pdf


def test_the_sheet_needs_no_notebook(proofed, monkeypatch):
    import briefings.execute

    def refuse(*args, **kwargs):
        raise AssertionError("a proof sheet runs no notebook")

    monkeypatch.setattr(briefings.execute, "run_analysis", refuse)
    assert run("proof", "--out", proofed, "--province", "henan").exit_code == 0
    assert (proofed / "proof" / "guangdong.pdf").is_file()  # the others' sheets stay
