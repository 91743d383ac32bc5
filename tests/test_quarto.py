"""The Quarto route, testable without Quarto.

1. ``_quarto.yml`` uses every key with the type Quarto's own schema gives it. The table
   below is this project's reading of quarto-cli's ``src/resources/schema/`` at v1.7.34
   (the version the project targets) and v1.11.0 (the types are the same in both); no
   Quarto file is copied here.
2. A stand-in ``quarto`` executable records how the renderer calls it and writes outputs
   the way a project render does (``output-dir/<path>.html|pdf``), so the staging project,
   the command line, the placement of outputs, the cleanup and the error paths are tested.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest
import yaml

from briefings.render import Settings

from .conftest import DATA, PROJECT, ROOT, build, run

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

QUARTO_VERSION = "1.7.34"
LENGTH = re.compile(r"^\d+(\.\d+)?(cm|mm|in|pt|em)$")

#: key -> (accepted Python types, as Quarto's schema declares them). None is never accepted.
SCHEMA = {
    "project.type": (str,),
    "project.output-dir": (str,),
    "project.render": (list,),
    "lang": (str,),
    "filters": (list,),
    "format.html.minimal": (bool,),
    "format.html.embed-resources": (bool,),
    "format.html.template": (str,),
    "format.html.css": (str, list),
    "format.html.toc": (bool,),
    "format.html.toc-depth": (int,),
    "format.html.number-sections": (bool,),
    "format.typst.papersize": (str,),
    "format.typst.margin": (dict,),
    "format.typst.mainfont": (str,),  # one family, not a list
    "format.typst.sansfont": (str,),  # not in Quarto's typst schema: passed through to our partial
    "format.typst.fontsize": (str,),
    "format.typst.toc": (bool,),
    "format.typst.number-sections": (bool,),
    "format.typst.shift-heading-level-by": (int,),
    "format.typst.section-numbering": (str,),  # a string only: never null
    "format.typst.template-partials": (str, list),
    "format.typst.keep-typ": (bool,),
    "format.typst.pdf-standard": (str, list),  # Quarto 1.9 and later; 1.7 passes it by
    # publication metadata: Quarto's document keys (author, copyright, license, citation)
    "author": (str, list, dict),
    "copyright": (str, dict),
    "copyright.holder": (str,),
    "copyright.year": (str, int),
    "license": (str, dict, list),
    "citation": (bool, dict),
    "citation.type": (str,),
    "citation.publisher": (str,),
    "base-url": (str,),  # not Quarto's: read by the Lua filter (PDF links)
}
PROJECT_KEYS = {
    "type",
    "output-dir",
    "render",
    "title",
    "execute-dir",
    "lib-dir",
    "resources",
    "preview",
    "pre-render",
    "post-render",
    "detect",
    "brand",
}  # project: is a closed object
MARGIN_KEYS = {"x", "y", "top", "bottom", "left", "right"}


def flatten(config: dict, prefix: str = "") -> dict[str, object]:
    found = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        found[path] = value
        if isinstance(value, dict) and key not in ("margin",):
            found.update(flatten(value, path + "."))
    return found


def test_quarto_yml_has_the_types_quartos_schema_gives():
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    keys = flatten(config)
    assert all(value is not None for value in keys.values()), [k for k, v in keys.items() if v is None]
    for key, value in keys.items():
        if key in SCHEMA:
            assert isinstance(value, SCHEMA[key]) and not (isinstance(value, bool) and bool not in SCHEMA[key]), (key, value)
    assert set(config["project"]) <= PROJECT_KEYS
    margin = config["format"]["typst"]["margin"]
    assert set(margin) <= MARGIN_KEYS and all(isinstance(v, str) and LENGTH.match(v) for v in margin.values())
    assert "section-numbering" not in config["format"]["typst"] or config["format"]["typst"]["section-numbering"]
    # every setting the look depends on is here, and every file it names exists
    assert config["format"]["typst"]["papersize"] == "a4" and config["format"]["html"]["embed-resources"] is True
    assert config["format"]["html"]["toc"] is True and "Noto Serif CJK SC" in config["format"]["typst"]["mainfont"]
    # Quarto's Typst format shifts headings by -1 in a document without a level-1 heading
    # (src/format/typst/format-typst.ts): ## would take the title's style, unless set here
    assert config["format"]["typst"]["shift-heading-level-by"] == 0
    named = (
        config["filters"]
        + [config["format"]["html"]["css"], config["format"]["html"]["template"]]
        + config["format"]["typst"]["template-partials"]
    )
    for path in named:
        assert (ROOT / path).is_file(), path
    assert config["base-url"] == "" or re.match(r"^https?://.+/$", config["base-url"])


def test_a_generated_document_renders_by_hand_where_it_lies(tmp_path):
    """Each province folder gets a _quarto.yml: the project's settings with paths from there,
    and an output folder of its own, so `quarto render briefing.zh.qmd` there gives the
    build's document and never overwrites the build's outputs. The date is one Quarto parses."""
    import datetime

    from briefings.quarto import HAND_RENDER_DIR, hand_render_config

    out = tmp_path / "reports"
    assert all(o.ok for o in build(DATA, out, provinces=("henan",), formats=("html",), jobs=1, renderer="builtin"))
    root = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    for folder in (out / "henan", out / "overview"):
        text = (folder / "_quarto.yml").read_text(encoding="utf-8")
        assert text == hand_render_config(folder, Settings.load(PROJECT.quarto_config))
        config = yaml.safe_load(text)
        assert config["project"] == {"type": "default", "output-dir": HAND_RENDER_DIR}
        for name in (
            config["filters"]
            + [config["format"]["html"]["css"], config["format"]["html"]["template"]]
            + config["format"]["typst"]["template-partials"]
        ):
            assert (folder / name).resolve().is_file(), name
        same = {k: v for k, v in config.items() if k not in ("project", "filters", "format")}
        assert same == {k: v for k, v in root.items() if k not in ("project", "filters", "format")}
        assert config["format"]["typst"]["papersize"] == "a4" and config["format"]["html"]["embed-resources"] is True
        assert config["format"]["typst"]["mainfont"] == "Noto Serif CJK SC"
        for qmd in folder.glob("*.qmd"):
            front = yaml.safe_load(qmd.read_text(encoding="utf-8").split("---")[1])
            datetime.date.fromisoformat(front["date"])  # Quarto parses it; the display date is data-as-of
            from briefings.dates import display

            data_date = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["data_as_of"]
            assert front["data-as-of"] in (display(data_date, "zh"), display(data_date, "en"))
            # the author in the front matter is _quarto.yml's, translated
            if ".en." in qmd.name:
                assert front["author"].replace("\\", "") == root["author"]


STAND_IN = r'''#!{python}
"""Stand-in quarto: records its calls, renders the project's render list like quarto does."""
import json, os, sys, pathlib, yaml
calls = pathlib.Path({calls!r})
if sys.argv[1:] == ["--version"]:
    print("{version}"); sys.exit(0)
stage = pathlib.Path(sys.argv[2])
config = yaml.safe_load((stage / "_quarto.yml").read_text())
record = {{"argv": sys.argv[1:], "cwd": os.getcwd(), "no_color": os.environ.get("NO_COLOR"),
          "epoch": os.environ.get("SOURCE_DATE_EPOCH"), "config": config,
          "files": sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())}}
with calls.open("a") as f:
    f.write(json.dumps(record) + "\n")
to = sys.argv[sys.argv.index("--to") + 1] if "--to" in sys.argv else "all"
formats = {{"all": ["html", "pdf"], "html": ["html"], "typst": ["pdf"]}}[to]
out = stage / config["project"]["output-dir"]
documents = config["project"]["render"]
for i, doc in enumerate(documents, start=1):
    sys.stderr.write(f"\r\x1b[1;34m[{{i:2d}}/{{len(documents)}}] {{doc}}\x1b[0m\n")
    if "FAIL-ME" in (stage / doc).read_text():
        sys.stderr.write("\x1b[31mERROR: Validation of YAML front matter failed.\x1b[0m\nIn file " + doc + "\n"
                         "Stack trace:\n    at renderFiles (file:///quarto.js:1:1)\n")
        sys.exit(1)
    for fmt in formats:
        target = out / pathlib.Path(doc).with_suffix("." + fmt)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"stand-in {{fmt}} of {{doc}}")
(stage / ".quarto").mkdir(exist_ok=True)
'''


@pytest.fixture
def quarto(tmp_path, monkeypatch):
    """A stand-in quarto on PATH; returns the file its calls are recorded in."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.jsonl"
    script = bin_dir / "quarto"
    script.write_text(STAND_IN.format(python=sys.executable, calls=str(calls), version=QUARTO_VERSION), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return calls


def recorded(calls: Path) -> list[dict]:
    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


def test_one_batched_render_for_the_whole_build(quarto, tmp_path):
    out = tmp_path / "reports"
    outcomes = build(DATA, out, provinces=("henan", "hubei", "hebei"), jobs=2)  # renderer auto: quarto is on PATH
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    calls = [c for c in recorded(quarto) if c["argv"][0] == "render"]
    assert len(calls) == 1  # one start-up for 3 provinces x 2 languages x 2 formats
    call = calls[0]
    stage = Path(call["argv"][1])
    assert call["argv"][:2] == ["render", str(stage)] and "--to" not in call["argv"]  # both formats from _quarto.yml
    assert "--log" in call["argv"] and call["no_color"] == "1" and call["epoch"]
    assert call["cwd"] == str(stage)
    # the staging project is outside the output folder and the repository, and is removed
    assert not stage.is_relative_to(out) and not stage.is_relative_to(ROOT) and not stage.exists()
    config = call["config"]
    # 3 provinces x 2 languages, and the national overview in 2 languages
    assert config["project"]["output-dir"] == "_out" and len(config["project"]["render"]) == 8
    assert config["format"]["typst"]["papersize"] == "a4"  # the project's settings apply
    for path in [
        "templates/briefing.css",
        "templates/typst/typst-template.typ",
        "templates/filters/typography.lua",
        "templates/filters/quarto-compat.lua",
    ]:
        assert path in call["files"]
    # outputs at the same paths as the built-in renderer's, and nothing left behind
    for slug in ("henan", "hubei", "hebei"):
        for name in ("briefing.zh.html", "briefing.zh.pdf", "briefing.en.html", "briefing.en.pdf"):
            assert (out / slug / name).read_text().startswith("stand-in")
    assert not list(out.rglob(".quarto")) and not list(out.rglob("*_files")) and not (ROOT / ".quarto").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tools"]["renderer"] == "quarto" and manifest["tools"]["renderer_version"] == QUARTO_VERSION


def test_one_format_is_asked_for_with_to(quarto, tmp_path):
    out = tmp_path / "reports"
    assert all(o.ok for o in build(DATA, out, provinces=("hubei",), formats=("pdf",), jobs=1, renderer="quarto"))
    (call,) = [c for c in recorded(quarto) if c["argv"][0] == "render"]
    assert call["argv"][call["argv"].index("--to") + 1] == "typst"
    assert (out / "hubei" / "briefing.en.pdf").exists() and not (out / "hubei" / "briefing.en.html").exists()


def test_a_failing_document_fails_its_province_with_a_plain_message(quarto, tmp_path, monkeypatch):
    from briefings import build as build_module

    original = build_module.write_documents

    def poison_hebei(task, folder, *rest):
        files = original(task, folder, *rest)
        if task.slug == "hebei":
            qmd = folder / "briefing.zh.qmd"
            qmd.write_text(qmd.read_text(encoding="utf-8") + "\nFAIL-ME\n", encoding="utf-8")
        return files

    monkeypatch.setattr(build_module, "write_documents", poison_hebei)
    out = tmp_path / "reports"
    result = run("build", "--province", "hebei", "--province", "hubei", "--jobs", "1", "--out", out, "--data", DATA)
    assert result.exit_code == 1, result.output
    assert "quarto render failed for briefing.zh.qmd" in result.output
    assert "Validation of YAML front matter failed" in result.output
    assert "\x1b[" not in result.output and "Stack trace" not in result.output and "Traceback" not in result.output
    assert (out / "hubei" / "briefing.en.pdf").exists()  # rendered in a further call after the failure
    assert not (out / "hebei").exists()
    assert len([c for c in recorded(quarto) if c["argv"][0] == "render"]) == 2


def test_a_missing_output_is_a_render_error(quarto, tmp_path, monkeypatch):
    from briefings.quarto import QuartoRenderer

    original = QuartoRenderer.project_config

    def elsewhere(self, render):
        config = original(self, render)
        config["project"]["output-dir"] = "_elsewhere"  # quarto writes where the renderer does not look
        return config

    monkeypatch.setattr(QuartoRenderer, "project_config", elsewhere)
    outcomes = build(DATA, tmp_path / "reports", provinces=("hubei",), jobs=1, renderer="quarto")
    assert not outcomes[0].ok and "wrote no html, pdf output for briefing" in outcomes[0].error
