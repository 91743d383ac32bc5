"""Every shortcut the build takes gives what the slow path gives.

- a warm kernel (one per worker) vs papermill's fresh kernel per notebook, also one started
  and warmed up (the notebook's modules imported) before its first notebook;
- the dataset validated once per build (cache) vs loaded and validated by each notebook;
- one pandoc process per worker serving many documents vs pandoc's command line per
  document and format (byte for byte, over several provinces in a row, so no state leaks).
(A new Typst compiler per document with shared fonts vs a fresh process: test_pdf_fidelity.)
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import papermill
import pytest

from briefings.cache import prepare, read, write_cache
from briefings.compare import province_results
from briefings.engine import ENGINE_NAME
from briefings.execute import notebook_parameters

from .conftest import DATA, PROJECT, build, builtin_renderer

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

NOTEBOOK = PROJECT.notebook


def test_the_warm_kernel_is_reused_reset_and_moved(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        # nothing of the previous notebook, nor of the reset's memory release (_c, _g), is left
        nbformat.v4.new_code_cell(
            "import os\nprint(os.getpid(), os.getcwd(), any(n in globals() for n in ('leftover', '_c', '_g')))"
        ),
        nbformat.v4.new_code_cell("leftover = 1"),
    ]
    source = tmp_path / "probe.ipynb"
    nbformat.write(nb, source)
    seen = []
    for i in range(3):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        out = papermill.execute_notebook(
            str(source),
            str(folder / "out.ipynb"),
            engine_name=ENGINE_NAME,
            progress_bar=False,
            cwd=str(folder),
            kernel_name="python3",
        )
        pid, cwd, leftover = out.cells[0].outputs[0]["text"].split()
        seen.append(pid)
        assert cwd == str(folder)  # the kernel works in this notebook's folder
        assert leftover == "False"  # nothing of the previous notebook's namespace
    assert len(set(seen)) == 1  # one kernel for all three


def test_a_notebook_in_the_warm_kernel_equals_one_in_a_fresh_kernel(tmp_path):
    results = {}
    for engine in (ENGINE_NAME, None):
        folder = tmp_path / (engine or "fresh")
        folder.mkdir()
        papermill.execute_notebook(
            str(NOTEBOOK),
            str(folder / "analysis.ipynb"),
            engine_name=engine,
            progress_bar=False,
            kernel_name="python3",
            cwd=str(folder),
            parameters=notebook_parameters("henan", folder, data_dir=DATA, cache=None, build_id="x", project_dir=PROJECT.root),
        )
        results[engine] = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".json", ".svg")}
    assert results[ENGINE_NAME] and results[ENGINE_NAME] == results[None]


def test_a_kernel_started_and_warmed_before_its_first_notebook_runs_it_as_a_fresh_kernel(tmp_path):
    """A cold build's worker starts its kernel in an empty folder and imports the notebook's
    modules in it while the dataset is validated (``build.warm_worker``)."""
    from briefings.engine import WARM_MODULES, WarmKernelEngine

    WarmKernelEngine.shutdown()  # no kernel left by another test: this one's first notebook is the first
    home = tmp_path / "home"
    home.mkdir()
    probe = nbformat.v4.new_notebook()
    probe.cells = [
        nbformat.v4.new_code_cell(
            "import os, sys\n"
            "print(os.getcwd(), 'briefings' in globals(), 'briefings.figures' in sys.modules, 'pandas' in sys.modules)"
        )
    ]
    nbformat.write(probe, tmp_path / "probe.ipynb")
    try:
        WarmKernelEngine.prestart("python3", str(home))
        assert WarmKernelEngine.warm("python3")
        assert "briefings.figures" in WARM_MODULES
        seen = []
        for name in ("probe", "warmed"):
            folder = tmp_path / name
            folder.mkdir()
            source = tmp_path / "probe.ipynb" if name == "probe" else NOTEBOOK
            parameters = (
                {}
                if name == "probe"
                else notebook_parameters("henan", folder, data_dir=DATA, cache=None, build_id="x", project_dir=PROJECT.root)
            )
            out = papermill.execute_notebook(
                str(source),
                str(folder / "analysis.ipynb"),
                engine_name=ENGINE_NAME,
                progress_bar=False,
                kernel_name="python3",
                cwd=str(folder),
                parameters=parameters,
            )
            seen.append(out)
        cwd, leftover, figures, pandas = seen[0].cells[0].outputs[0]["text"].split()
        # moved to the notebook's folder, the warm-up's names gone, its modules loaded
        assert (cwd, leftover, figures, pandas) == (str(tmp_path / "probe"), "False", "True", "True")
    finally:
        WarmKernelEngine.shutdown()
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(fresh / "analysis.ipynb"),
        progress_bar=False,
        kernel_name="python3",
        cwd=str(fresh),
        parameters=notebook_parameters("henan", fresh, data_dir=DATA, cache=None, build_id="x", project_dir=PROJECT.root),
    )

    def outputs(folder: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".json", ".svg")}

    assert outputs(tmp_path / "warmed") and outputs(tmp_path / "warmed") == outputs(fresh)


def test_a_kernel_that_fails_its_warm_up_is_let_go_and_the_next_notebook_starts_one(tmp_path):
    from briefings.engine import WarmKernelEngine

    WarmKernelEngine.shutdown()
    home = tmp_path / "home"
    home.mkdir()
    try:
        WarmKernelEngine.prestart("python3", str(home))
        assert not WarmKernelEngine.warm("python3", ("no_such_module_anywhere",))
        assert not WarmKernelEngine._managers and not WarmKernelEngine._clients
    finally:
        WarmKernelEngine.shutdown()


def test_the_cached_dataset_gives_the_same_results_as_the_csv_files(tmp_path):
    slow = prepare(DATA)
    path, digest = write_cache(slow, tmp_path)
    fast = read(DATA, path, digest)
    assert fast is not slow and fast.table.equals(slow.table)
    for name in ("measures", "regions", "metrics", "qualifiers"):
        assert getattr(fast.dataset, name).equals(getattr(slow.dataset, name)), name
    for slug in ("henan", "guangdong", "hubei"):
        a = province_results(slow.dataset, slug, slow.table)
        b = province_results(fast.dataset, slug, fast.table)
        assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def test_a_stale_tampered_or_foreign_cache_is_never_used(tmp_path, data_copy, monkeypatch):
    from briefings import cache

    path, digest = write_cache(prepare(DATA), tmp_path)
    slow_calls = []
    real = cache.prepare
    monkeypatch.setattr(cache, "prepare", lambda d: slow_calls.append(d) or real(d))
    # the data changed since: the cache was made from other data
    (data_copy / "measures.csv").write_text(
        (data_copy / "measures.csv")
        .read_text(encoding="utf-8")
        .replace("设立总规模 30 亿元的人工智能产业基金", "设立总规模 30 亿元的人工智能产业基金 "),
        encoding="utf-8",
    )
    assert read(data_copy, path, digest).dataset.measures.equals(real(data_copy).dataset.measures)
    assert slow_calls == [data_copy]
    # a figure changed inside the cache (valid JSON, its digest no longer the recorded one)
    text = path.read_text(encoding="utf-8")
    assert "3000000000.0" in text
    path.write_text(text.replace("3000000000.0", "999000000000.0"), encoding="utf-8")
    assert read(DATA, path, digest).table.equals(real(DATA).table) and len(slow_calls) == 2
    # a cache given without the digest the build recorded is never read
    write_cache(prepare(DATA), tmp_path)
    read(DATA, path, "")
    assert len(slow_calls) == 3
    # and nothing in a cache can run: it is JSON, read with json.loads
    path.write_bytes(b"\x80\x04cos\nsystem\n.")
    assert read(DATA, path, hashlib.sha256(path.read_bytes()).hexdigest()).table.equals(real(DATA).table)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("served")
    assert all(o.ok for o in build(DATA, out, provinces=("henan", "guangdong", "hebei", "hubei"), jobs=1, renderer="builtin"))
    return out


def test_the_index_made_from_the_workers_summaries_is_the_index_made_from_results_json(built, tmp_path):
    """The build writes its index from what each worker took from the results it rendered
    (``results_summary``): the same page as the index made by reading every results.json, and
    the same count of claim variants the build reports as ``briefings check`` lists."""
    from briefings.analysis import read_results
    from briefings.build import results_summary, write_index
    from briefings.cli import dropped_claims
    from briefings.manifest import InputKeys

    copy = tmp_path / "out"
    shutil.copytree(built, copy)
    (copy / "index.html").unlink()
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    keys = InputKeys(manifest["inputs"]["analysis"], manifest["inputs"]["render"], manifest["data_as_of"])
    assert keys.build_id == manifest["build_id"]
    write_index(PROJECT, copy, keys)  # no summaries: every province's results.json read
    assert (copy / "index.html").read_bytes() == (built / "index.html").read_bytes()
    slugs = ("henan", "guangdong", "hebei", "hubei")
    summaries = {slug: results_summary(read_results(built / slug)) for slug in slugs}
    assert sum(s["dropped"] for s in summaries.values()) == len(dropped_claims(built, slugs)) > 0  # guangdong has some


def test_the_pandoc_server_writes_what_pandocs_command_line_writes(built, tmp_path):
    """Four provinces rendered in a row by one served pandoc process (jobs=1) equal pandoc's
    command line run for each document and format on its own."""

    renderer = builtin_renderer()
    documents = 0
    for folder in sorted(p for p in built.iterdir() if (p / "results.json").is_file()):  # provinces and the overview
        copy = tmp_path / folder.name
        shutil.copytree(folder, copy)
        for qmd in sorted(copy.glob("*.qmd")):
            documents += 1
            html = built / folder.name / qmd.with_suffix(".html").name
            if not html.is_file():  # the overview's pages sit beside the province folders
                html = built / qmd.with_suffix(".html").name
            assert renderer.html(qmd) == html.read_bytes(), qmd.name
            assert renderer.typst_source(qmd) == (folder / qmd.with_suffix(".typ").name).read_bytes(), qmd.name
    assert documents == 2 * 5  # four provinces and the overview, in two languages


def test_the_pandoc_server_survives_its_own_death(tmp_path, built):

    renderer = builtin_renderer()
    shutil.copytree(built / "hubei", tmp_path / "hubei")
    qmd = tmp_path / "hubei" / "briefing.en.qmd"
    renderer.render_documents([qmd], ("html",), data_date="2025")
    renderer._server.kill()  # a crash between two documents
    renderer._server.wait()
    assert (
        renderer.render_documents([qmd], ("html",), data_date="2025")[qmd][0].read_bytes()
        == (built / "hubei" / "briefing.en.html").read_bytes()
    )


def test_the_pandoc_server_runs_with_its_heap_options_and_without_them_where_pandoc_refuses_them(tmp_path, built):
    """The served pandoc takes the GHC runtime options that size its heap (the pinned binary
    accepts them); a pandoc that refuses runtime options is served without them. Both write
    the build's pages (which the served pandoc with the options wrote, and which equal pandoc's
    command line: test above)."""
    import stat

    from briefings.render import PANDOC_SERVER_RTS, server_rts_options

    renderer = builtin_renderer()
    assert server_rts_options(renderer.pandoc) == PANDOC_SERVER_RTS
    shutil.copytree(built / "hubei", tmp_path / "hubei")
    qmd = tmp_path / "hubei" / "briefing.en.qmd"
    renderer.render_documents([qmd], ("html",), data_date="2025")
    assert b"-H4m" in Path(f"/proc/{renderer._server.pid}/cmdline").read_bytes().split(b"\0")
    # a pandoc linked without -rtsopts: it refuses any runtime option, as such a binary does
    refusing = tmp_path / "pandoc"
    refusing.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do [ "$a" = "+RTS" ] && { echo "pandoc: Most RTS options are disabled." >&2; exit 1; }; done\n'
        f'exec {renderer.pandoc} "$@"\n',
        encoding="utf-8",
    )
    refusing.chmod(refusing.stat().st_mode | stat.S_IXUSR)
    assert server_rts_options(str(refusing)) == ()
    plain = builtin_renderer()
    plain.pandoc = str(refusing)  # a cached property: set, it is this renderer's pandoc
    (tmp_path / "hubei" / "briefing.en.html").unlink()
    assert (
        plain.render_documents([qmd], ("html",), data_date="2025")[qmd][0].read_bytes()
        == (built / "hubei" / "briefing.en.html").read_bytes()
    )


def test_after_large_documents_pandoc_starts_afresh_and_writes_the_same(tmp_path, built, monkeypatch):
    """A request of large documents ends the pandoc process (its heap goes with it); the next
    request starts another, and every page equals the build's."""
    from briefings import render

    renderer = builtin_renderer()
    monkeypatch.setattr(render, "LARGE_INPUT_BYTES", 0)  # every document is large
    for slug in ("hubei", "hebei"):
        shutil.copytree(built / slug, tmp_path / slug)
        qmd = tmp_path / slug / "briefing.zh.qmd"
        assert (
            renderer.render_documents([qmd], ("html",), data_date="2025")[qmd][0].read_bytes()
            == (built / slug / "briefing.zh.html").read_bytes()
        )
        assert "_server" not in renderer.__dict__  # ended after the request


def test_pandoc_reads_large_documents_under_the_workers_lock(tmp_path, built, monkeypatch):
    """A request of large documents holds the lock a large Typst compile holds, so the two
    never run at once in two workers; a small request takes no lock."""
    import fcntl

    from briefings import render, typst_pdf

    lock = tmp_path / "large.lock"
    monkeypatch.setattr(typst_pdf, "_large_lock", str(lock))

    def held() -> bool:
        with lock.open("a") as other:  # another worker's attempt
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(other, fcntl.LOCK_UN)
            return False

    renderer = builtin_renderer()
    seen: list[bool] = []
    ask = renderer._ask

    def watched(request):
        seen.append(held())
        return ask(request)

    monkeypatch.setattr(renderer, "_ask", watched)
    shutil.copytree(built / "hubei", tmp_path / "hubei")
    qmd = tmp_path / "hubei" / "briefing.zh.qmd"
    for limit in (10**9, 0):  # small, then large
        monkeypatch.setattr(render, "LARGE_INPUT_BYTES", limit)
        page = renderer.render_documents([qmd], ("html",), data_date="2025")[qmd][0]
        assert page.read_bytes() == (built / "hubei" / "briefing.zh.html").read_bytes()
    assert seen == [False, True]
    assert not held()  # released after the request


def test_a_document_read_from_its_kept_tree_renders_as_from_its_markdown(tmp_path, built):
    """A re-render reads each kept document from the tree pandoc read the first time
    (``briefing.zh.ast.json``): every page and Typst source equals the one rendered from the
    markdown, in both languages; an unreadable tree is read from the markdown again."""
    from briefings.render import read_tree

    renderer = builtin_renderer()
    shutil.copytree(built / "henan", tmp_path / "henan")
    documents = [tmp_path / "henan" / f"briefing.{lang}.qmd" for lang in ("zh", "en")]

    def outputs() -> dict[str, bytes]:
        done = renderer.render_documents(documents, ("html",), data_date="2025", keep_read=True)
        typst = {q.name: renderer.typst_source(q) for q in documents}
        return {p.name: p.read_bytes() for paths in done.values() for p in paths} | typst

    assert all(read_tree(q).is_file() for q in documents)  # the build kept them
    for q in documents:
        read_tree(q).unlink()
    from_markdown = outputs()
    assert all(read_tree(q).is_file() for q in documents)
    stamps = {q: read_tree(q).stat().st_mtime_ns for q in documents}
    assert outputs() == from_markdown  # read from the trees
    assert {q: read_tree(q).stat().st_mtime_ns for q in documents} == stamps  # read, not written again
    assert from_markdown["briefing.zh.html"] == (built / "henan" / "briefing.zh.html").read_bytes()
    read_tree(documents[1]).write_text("{not json", encoding="utf-8")
    assert outputs() == from_markdown


def test_large_typst_documents_compile_one_at_a_time(tmp_path, monkeypatch):
    """A worker holds the workers' shared lock while it compiles a large document; a small one
    takes no lock; an unusable lock file never stops a compile."""
    import fcntl

    from briefings import typst_pdf

    lock = tmp_path / "typst.lock"
    small, large = tmp_path / "small.zh.typ", tmp_path / "large" / "briefing.en.typ"
    small.write_text("= Small\n")
    (tmp_path / "fig-funds.en.svg").write_text("<svg/>" + " " * 300)  # another language's chart
    large.parent.mkdir()
    large.write_text("= Large\n")
    (large.parent / "fig-funds.en.svg").write_text("<svg/>" + " " * 300)  # its chart makes it large
    monkeypatch.setattr(typst_pdf, "LARGE_SOURCE_BYTES", 100)
    monkeypatch.setattr(typst_pdf, "_large_lock", str(lock))

    def held() -> bool:
        with lock.open("a") as other:  # another worker's attempt
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(other, fcntl.LOCK_UN)
            return False

    with typst_pdf.one_at_a_time(str(large)) as is_large:
        assert is_large and held()
    assert not held()
    with typst_pdf.one_at_a_time(str(small)) as is_large:
        assert not is_large and not held()
    monkeypatch.setattr(typst_pdf, "_large_lock", str(tmp_path / "no-such-folder" / "typst.lock"))
    with typst_pdf.one_at_a_time(str(large)) as is_large:
        assert is_large  # compiled without the lock
    target = tmp_path / "someone-elses.txt"
    target.write_text("theirs")
    (tmp_path / "planted.lock").symlink_to(target)
    monkeypatch.setattr(typst_pdf, "_large_lock", str(tmp_path / "planted.lock"))
    with typst_pdf.one_at_a_time(str(large)) as is_large:
        assert is_large  # a link at the lock's name is not followed: compiled without the lock
    assert target.read_text() == "theirs"


def test_the_jinja_environment_is_compiled_once_per_language(built):
    from briefings.analysis import read_results
    from briefings.document import environment, render_document

    results = read_results(built / "henan")
    first = render_document(results, "en", build_id="x", templates=PROJECT.templates)
    assert environment("en", PROJECT.templates) is environment("en", PROJECT.templates)
    assert render_document(results, "en", build_id="x", templates=PROJECT.templates) == first


def test_the_reused_notebook_exporter_writes_what_a_new_one_writes(built, tmp_path):
    """analysis.html of several provinces converted in a row by the worker's one exporter
    is the document a new nbconvert HTMLExporter makes of each: the same bytes once both are
    serialized by BeautifulSoup, as nbconvert serializes its own page (the worker's exporter
    skips that pass, and gives images their alt text in the template)."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from briefings.execute import EXECUTED_NOTEBOOK, export_html

    slugs = ("henan", "guangdong", "hebei", "hubei", "henan")
    for slug in slugs:
        export_html(built / slug / EXECUTED_NOTEBOOK, tmp_path / f"{slug}.html", title=f"{slug}: analysis notebook")
        fresh, _ = HTMLExporter(template_name="basic").from_notebook_node(
            nbformat.read(built / slug / EXECUTED_NOTEBOOK, as_version=4)
        )
        page = (tmp_path / f"{slug}.html").read_text(encoding="utf-8")
        assert fresh in str(BeautifulSoup(page, features="html.parser")), slug
        assert not re.search(r"<img(?![^>]*\salt=)", page), slug  # every image has its alt text, as nbconvert's
        assert page == (built / slug / "analysis.html").read_text(encoding="utf-8"), slug
    assert "<img " in (tmp_path / "henan.html").read_text(encoding="utf-8")  # henan's notebook shows its charts


def test_the_notebook_exporter_rejects_an_invalid_notebook_as_nbconvert_does(built, tmp_path):
    """The exporter validates once, after its last preprocessor, instead of after each: a
    notebook that is not valid nbformat still stops the conversion, as it stops nbconvert's."""
    import json

    import nbformat
    from nbconvert import HTMLExporter

    from briefings.execute import EXECUTED_NOTEBOOK, export_html

    notebook = json.loads((built / "henan" / EXECUTED_NOTEBOOK).read_text(encoding="utf-8"))
    code = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    code["execution_count"] = "seven"  # an integer or null in nbformat 4
    broken = tmp_path / "broken.ipynb"
    broken.write_text(json.dumps(notebook), encoding="utf-8")
    with pytest.raises(nbformat.ValidationError):
        HTMLExporter(template_name="basic").from_notebook_node(nbformat.read(broken, as_version=4))
    with pytest.raises(nbformat.ValidationError):
        export_html(broken, tmp_path / "broken.html", title="broken")
    assert not (tmp_path / "broken.html").exists()


def test_format_independent_filters_run_once_and_give_what_each_format_would(tmp_path):
    """The batch runs the leading filters that never read the output format once per document
    (typography.lua): each format's output equals the one made by running every filter for
    that format alone, metadata defaults included, shared or of one format only."""
    import subprocess

    from briefings.render import BATCH_SCRIPT, READER, document_filters

    filters = [str(PROJECT.root / "templates" / "filters" / f) for f in ("typography.lua", "quarto-compat.lua")]
    assert document_filters(filters) == 1  # quarto-compat.lua reads FORMAT
    assert document_filters(list(reversed(filters))) == 0  # only leading ones
    assert document_filters([str(tmp_path / "missing.lua")]) == 0

    doc = tmp_path / "doc.md"
    doc.write_text(
        r"""---
lang: en
title: "Henan\\'s plan"
---

Henan\'s \"AI+\" fund is ≥ CNY 5 billion (2025).^1^
""",
        encoding="utf-8",
    )
    template = tmp_path / "t.txt"
    template.write_text("$title$|$author$|$note$\n$body$\n", encoding="utf-8")
    shared = {"author": "O'Brien's desk"}  # a default both formats have
    formats = {
        "html5": {"template": str(template), "metadata": shared},
        "typst": {"template": str(template), "metadata": {**shared, "note": "the 'AI+' plan: 3 billion yuan"}},
    }

    def run(request: dict, name: str) -> dict[str, str]:
        outputs = {f: str(tmp_path / f"{name}.{f}") for f in formats}
        request = {"reader": READER, "formats": formats, "documents": [{"input": str(doc), "outputs": outputs}], **request}
        (tmp_path / f"{name}.json").write_text(json.dumps(request), encoding="utf-8")
        pandoc = builtin_renderer().pandoc
        reply = subprocess.run([pandoc, "lua", str(BATCH_SCRIPT), str(tmp_path / f"{name}.json")], capture_output=True, text=True)
        assert reply.returncode == 0 and '"error":null' in reply.stdout.replace(" ", ""), reply.stdout + reply.stderr
        return {f: (tmp_path / f"{name}.{f}").read_text(encoding="utf-8") for f in formats}

    once = run({"document_filters": filters[:1], "filters": filters[1:]}, "once")
    each = run({"filters": filters}, "each")
    assert once == each
    # the defaults were curled, the shared one and the one of Typst alone (whose writer prints ’ as ')
    assert "O’Brien’s desk" in once["html5"] and "the ‘AI+' plan" in once["typst"]
    assert "nowrap" in once["html5"] and "#box[" in once["typst"]


def test_stopping_a_warm_kernel_kills_it_and_removes_its_connection_file(tmp_path):
    """engine._stop kills and reaps the kernel itself (jupyter_client would poll for its end
    every tenth of a second) and leaves jupyter_client's own clean-up to remove the rest."""
    import psutil
    from jupyter_core.utils import run_sync

    from briefings.engine import WarmKernelEngine

    WarmKernelEngine.shutdown()
    WarmKernelEngine.prestart("python3", str(tmp_path))
    assert WarmKernelEngine.warm("python3", ())
    km = WarmKernelEngine._managers["python3"]
    pid, connection_file = km.provisioner.process.pid, Path(km.connection_file)
    assert connection_file.parent == tmp_path  # a prestarted kernel keeps its connection file in its folder
    printed: list[str] = []
    run_sync(WarmKernelEngine._clients["python3"].execute_interactive)(
        "import subprocess; print(subprocess.Popen(['sleep', '600']).pid)",
        output_hook=lambda msg: printed.append(msg["content"].get("text", "")),
    )
    (child,) = [int(t) for t in "".join(printed).split()]
    assert psutil.pid_exists(pid) and psutil.pid_exists(child) and connection_file.is_file()
    WarmKernelEngine.shutdown()

    def gone(p: int) -> bool:
        try:
            return psutil.Process(p).status() == psutil.STATUS_ZOMBIE
        except psutil.Error:
            return True

    assert gone(pid) and gone(child) and not connection_file.exists()  # the kernel's process group went
    assert not WarmKernelEngine._managers
