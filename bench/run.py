"""Benchmark of the build, run on demand (never in the test suite): `make bench`.

Measured in one run, each in a fresh output folder:

a. the naive pipeline people write first: a loop that runs papermill once per province
   *and language* (a fresh kernel each time) and renders every document on its own (a new
   pandoc process and a new renderer, fonts loaded again, per document), one after the
   other; against a cold `briefings build` (one notebook run per province in a warm kernel
   per worker, the dataset validated once per build, one font book per worker, provinces
   in parallel);
b. a no-op rebuild; c. a template-only rebuild (the stylesheet changed); d. a
   translation-only rebuild (one Chinese interface string changed): both re-render without
   running a notebook;
e. scaling: a synthetic dataset with 330 cities (as many as China's prefecture-level
   cities) carrying five measures each: seconds per province and peak memory of the whole
   process tree;
g. growth: Henan's own figures held fixed while 2,000 synthetic cities are added
   elsewhere: Henan's build time against the real dataset's (target ≤ 1.5×), and the peak
   memory of a build of every province over the grown dataset (target < 1.5 GB);
f. per-stage times of one province (Henan): the notebook's cells (analysis, figures) from
   the executed notebook, and each render.

Results are printed as a Markdown table and written to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BRIEFINGS = [sys.executable, "-m", "briefings"]


class PeakMemory:
    """Samples the summed PSS of a process and all its descendants (kernels, workers).

    PSS, not RSS: forked workers share the parent's pages copy-on-write, and summing their
    RSS would count those pages once per worker."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree(self) -> list[int]:
        # read /proc directly: spawning ps this often would itself load the two cores
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
        tree, stack = [], [self.pid]
        while stack:
            pid = stack.pop()
            tree.append(pid)
            stack.extend(children.get(pid, []))
        return tree

    @staticmethod
    def _pss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except OSError:  # the process ended between the two reads
            pass
        return 0

    def _tree_pss_kb(self) -> int:
        return sum(self._pss_kb(pid) for pid in self._tree())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self._tree_pss_kb())
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def timed(cmd: list[str], *, memory: bool = True, **kwargs) -> tuple[float, float]:
    """Wall seconds and peak MiB of a command (with all its child processes). Sampling
    memory takes CPU from the command on two cores, so ``memory=False`` times it alone
    (peak 0)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
    sampler = PeakMemory(proc.pid) if memory else contextlib.nullcontext()
    with sampler:
        _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode()[-2000:]}")
    seconds, mb = time.perf_counter() - start, (sampler.peak_kb / 1024 if memory else 0.0)
    print(f"  {seconds:7.1f} s {mb:7.0f} MiB  {' '.join(cmd[-4:]) if len(cmd) > 6 else ' '.join(cmd[2:])}", flush=True)
    return seconds, mb


NAIVE = r"""
import sys
from pathlib import Path
import papermill
from briefings.analysis import read_results
from briefings.compare import provinces_with_measures
from briefings.document import render_document
from briefings.fsutil import atomic_write_text
from briefings.load import load_dataset
from briefings.project import Project
from briefings.render import BuiltinRenderer, Settings

project = Project.find().activate()
NOTEBOOK = project.notebook

data, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
for slug in provinces_with_measures(load_dataset(data)):
    for lang in ("zh", "en"):
        folder = (out / slug / lang).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        papermill.execute_notebook(str(NOTEBOOK), str(folder / "analysis.ipynb"), progress_bar=False, cwd=str(folder),
                                   parameters={"province": slug, "data_dir": str(data), "output_dir": "."})
        results = read_results(folder)
        qmd = folder / f"briefing.{lang}.qmd"
        atomic_write_text(qmd, render_document(results, lang, build_id="naive", templates=project.templates))
        for fmt in ("html", "pdf"):
            renderer = BuiltinRenderer(Settings.load(project.quarto_config))  # cold, per document
            renderer.render(qmd, (fmt,), lang=lang, data_date=results["data_as_of"])
"""


def naive_vs_cold(work: Path) -> dict[str, float]:
    naive_s, naive_mb = timed([sys.executable, "-c", NAIVE, str(ROOT / "data"), str(work / "naive")])
    cold_s, _ = timed([*BRIEFINGS, "build", "--out", str(work / "cold")], memory=False)
    _, cold_mb = timed([*BRIEFINGS, "build", "--out", str(work / "cold-memory")])  # the same build, sampled
    noop_s = statistics.median(timed([*BRIEFINGS, "build", "--out", str(work / "cold")], memory=False)[0] for _ in range(3))
    css = ROOT / "templates" / "briefing.css"
    po = ROOT / "templates" / "locale" / "zh_Hans" / "LC_MESSAGES" / "briefings.po"
    results = {"naive_s": naive_s, "naive_mb": naive_mb, "cold_s": cold_s, "cold_mb": cold_mb, "noop_s": noop_s}
    notebooks = sorted((work / "cold").glob("*/analysis.ipynb"))
    before = [p.read_bytes() for p in notebooks]
    for key, path, old, new in (
        ("template_s", css, b"", b"\n/* benchmark: template-only change */\n"),
        ("translation_s", po, 'msgstr "要点"'.encode(), 'msgstr "要点摘要"'.encode()),
    ):
        original = path.read_bytes()
        assert old in original, f"{path.name} lacks the string the benchmark changes"
        try:
            path.write_bytes(original.replace(old, new, 1) if old else original + new)
            results[key], _ = timed([*BRIEFINGS, "build", "--out", str(work / "cold")], memory=False)
        finally:
            path.write_bytes(original)
    # neither change ran a notebook: every executed notebook is byte for byte the cold build's
    results["notebooks_untouched"] = [p.read_bytes() for p in notebooks] == before
    return results


def stages(work: Path) -> dict[str, float]:
    """Per-stage seconds of Henan: notebook cells (from the executed notebook) and each render."""
    # the build's executed notebooks keep no timings (the audit trail is reproducible): run
    # Henan's notebook once more with papermill, reading the build's dataset cache as a build does
    (cache,) = (work / "cold" / ".briefings-cache").glob("dataset-*.json")
    notebook_script = r"""
import hashlib, json, sys
from pathlib import Path
import papermill
from briefings.execute import notebook_parameters
from briefings.project import Project
project = Project.find().activate()
data, cache, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
out.mkdir(parents=True)
parameters = notebook_parameters("henan", out, data_dir=data, cache=cache, build_id="bench", project_dir=project.root,
                                 cache_sha256=hashlib.sha256(cache.read_bytes()).hexdigest())
executed = out / "analysis.ipynb"
papermill.execute_notebook(str(project.notebook), str(executed), parameters=parameters, progress_bar=False, cwd=str(out))
cells = [c for c in json.loads(executed.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
print(json.dumps([["".join(c["source"]), c["metadata"]["papermill"]["duration"] or 0] for c in cells]))
"""
    ran = subprocess.run(
        [sys.executable, "-c", notebook_script, str(ROOT / "data"), str(cache), str(work / "stage-notebook")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    cells = json.loads(ran.stdout.strip().splitlines()[-1])

    def cell(marker: str) -> float:
        return float(sum(seconds for source, seconds in cells if marker in source))

    found = {
        "notebook (every cell; no kernel start)": float(sum(seconds for _, seconds in cells)),
        "load the validated dataset (from the build's cache)": cell("read_dataset("),
        "figures (all, both languages)": cell("draw_figures("),
    }
    script = r"""
import json, shutil, sys, time
from pathlib import Path
from briefings.project import Project
from briefings.render import BuiltinRenderer, Settings
src, tmp = Path(sys.argv[1]), Path(sys.argv[2])
shutil.copytree(src, tmp)
renderer, times = BuiltinRenderer(Settings.load(Project.find().activate().quarto_config)), {}
renderer.render(tmp / "briefing.zh.qmd", ("html",), lang="zh", data_date="2025")  # load fonts, templates once
for lang in ("zh", "en"):
    for fmt in ("html", "pdf"):
        start = time.perf_counter()
        renderer.render(tmp / f"briefing.{lang}.qmd", (fmt,), lang=lang, data_date="2025")
        times[f"{lang} {fmt.upper()}"] = time.perf_counter() - start
print(json.dumps(times))
"""
    out = subprocess.run(
        [sys.executable, "-c", script, str(work / "cold" / "henan"), str(work / "stage-henan")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    found.update({f"render {k}": v for k, v in json.loads(out.stdout).items()})
    return found


def synthetic_data(target: Path, cities: int, seed: int = 7, *, outside: str = "") -> Path:
    """The real dataset plus ``cities`` synthetic cities, each with five measures (none in
    the province whose slug is ``outside``: its own figures stay as they are)."""
    shutil.copytree(ROOT / "data", target)
    with (target / "regions.csv").open(encoding="utf-8", newline="") as handle:
        regions = list(csv.DictReader(handle))
    with (target / "measures.csv").open(encoding="utf-8", newline="") as handle:
        measures = list(csv.DictReader(handle))
    provinces = [r for r in regions if r["level"] == "province" and r["slug"] != outside]
    rng = random.Random(seed)
    source = "nbd-2025-henan"
    for i in range(cities):
        province = provinces[i % len(provinces)]
        k = i // len(provinces)  # unused prefecture codes 60..99, then their counties 01..
        code = f"{province['gb_code'][:2]}{60 + k % 40:02d}{k // 40:02d}"
        slug = f"synthetic-{i:03d}"
        regions.append(
            {
                "code": code,
                "gb_code": code,
                "level": "city",
                "name_zh": f"合成{i}市",
                "name_en": f"Synthetic {i}",
                "short_zh": f"合成{i}",
                "slug": slug,
                "parent": province["code"],
                "macro_region": province["macro_region"],
            }
        )
        words = {"eq": "", "max": "最高", "min": "超过", "approx": "约"}
        for n, (category, instrument, metric, value, unit, qualifier, period) in enumerate(
            [
                ("fund", "ai_industry_fund", "fund_size", rng.randint(5, 200), "亿元", "eq", ""),
                ("voucher", "compute_voucher", "pool_per_year", rng.randint(10, 900) * 10, "万元", "max", "per_year"),
                ("voucher", "compute_voucher", "cap_per_recipient", rng.randint(20, 1000), "万元", "max", ""),
                ("compute", "", "compute_intelligent", rng.randint(1, 120), "EFLOPS", rng.choice(["eq", "min", "approx"]), ""),
                ("industry", "", "ai_firm_count", rng.randint(50, 3000), "家", "min", ""),
            ],
            start=1,
        ):
            measures.append(
                {
                    "measure_id": f"{slug}-{n:03d}",
                    "region": province["code"],
                    "locality": code,
                    "policy": "",
                    "category": category,
                    "instrument": instrument,
                    "metric": metric,
                    "value_reported": str(value),
                    "unit_reported": unit,
                    "qualifier": qualifier,
                    "qualifier_word": words[qualifier],
                    "period": period,
                    "year": "" if category in ("fund", "voucher") else "2026",
                    "year_basis": "" if category in ("fund", "voucher") else "stated",
                    "status": "policy" if category in ("fund", "voucher") else "target",
                    "comparable": "yes",
                    "source_id": source,
                    "evidence": f"合成数据 {words[qualifier]}{value}",
                    "summary_zh": f"合成数据：{value}。",
                    "summary_en": f"Synthetic benchmark row: {value}.",
                    "note_zh": "基准测试用合成数据。",
                    "note_en": "Synthetic benchmark row.",
                }
            )
    for name, table in (("regions.csv", regions), ("measures.csv", measures)):
        with (target / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(table[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(table)
    return target


def scaling(work: Path, cities: int) -> dict[str, float]:
    data = synthetic_data(work / f"data-{cities}", cities)
    seconds, mb = timed([*BRIEFINGS, "build", "--data", str(data), "--out", str(work / f"synthetic-{cities}")])
    provinces = len([p for p in (work / f"synthetic-{cities}").iterdir() if (p / "results.json").is_file()])
    return {"cities": cities, "provinces": provinces, "seconds": seconds, "per_province": seconds / provinces, "peak_mb": mb}


ONE_PROVINCE = r"""
import sys
from pathlib import Path
from briefings.build import run_build
from briefings.project import Project

project = Project.find().activate()
result = run_build(project, Path(sys.argv[1]), Path(sys.argv[2]), provinces=(sys.argv[3],), jobs=1, renderer="builtin")
(outcome,) = [o for o in result.outcomes if o.slug == sys.argv[3]]
assert outcome.ok, outcome.error
print(outcome.seconds)
"""


def one_province(work: Path, data: Path, name: str, slug: str = "henan") -> float:
    """The worker's seconds on one province (its analysis and both languages in both
    formats) in a fresh build, without the dataset's validation, the national overview and
    the kernel's start (the worker's warm-up), which a build does once, not per province."""
    out = subprocess.run(
        [sys.executable, "-c", ONE_PROVINCE, str(data), str(work / name), slug],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = float(out.stdout.strip().splitlines()[-1])
    print(f"  {seconds:7.1f} s  {slug} alone ({data.name})", flush=True)
    return seconds


def growth(work: Path, regions: int) -> dict[str, float]:
    """g. One province's own figures held fixed while the other regions grow from the real
    dataset's to ``regions`` synthetic cities: that province's build time, and the peak
    memory of the whole build over the grown dataset."""
    base = one_province(work, ROOT / "data", "grow-base")
    data = synthetic_data(work / f"data-grow-{regions}", regions, seed=11, outside="henan")
    grown = one_province(work, data, "grow-one")
    seconds, mb = timed([*BRIEFINGS, "build", "--data", str(data), "--out", str(work / f"grow-all-{regions}")])
    return {"regions": regions, "base_s": base, "grown_s": grown, "ratio": grown / base, "all_s": seconds, "all_mb": mb}


def report(a: dict[str, float], e: dict[str, float], f: dict[str, float], command: str, g: dict[str, float] | None = None) -> str:
    speedup = a["naive_s"] / a["cold_s"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured with `{command}` on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},",
        "in one run. Wall-clock seconds of whole commands (the no-op: median of three); peak memory is the summed PSS",
        "(proportional set size) of the command and all its child processes (workers, kernels), sampled from /proc every",
        "200 ms. Sampling takes CPU from a build on two cores, so the cold build is timed unsampled and its memory taken",
        "from a second, sampled cold build; the naive loop (one core) and the 330-city build are timed while sampled.",
        "",
        "| run | seconds | peak MiB | notes |",
        "|---|---:|---:|---|",
        f"| a. naive loop (papermill per province and language, cold render per document) | {a['naive_s']:.1f} | {a['naive_mb']:.0f} | sequential |",  # noqa: E501 (one table row, one message)
        f"| a. cold `briefings build` (every province, zh+en, HTML+PDF) | {a['cold_s']:.1f} | {a['cold_mb']:.0f} | **{speedup:.1f}× faster** (target ≥ 10×) |",  # noqa: E501 (one table row, one message)
        f"| b. no-op rebuild | {a['noop_s']:.2f} | | target ≤ 0.3 s |",
        f"| c. template-only rebuild (stylesheet changed) | {a['template_s']:.1f} | | re-renders; target ≤ 4 s |",
        f"| d. translation-only rebuild (one zh string changed) | {a['translation_s']:.1f} | | re-renders |",
        f"| | | | no notebook ran in c or d: {'yes' if a['notebooks_untouched'] else 'NO'} |",
        f"| e. {e['cities']} synthetic cities ({e['provinces']} provinces) | {e['seconds']:.1f} | {e['peak_mb']:.0f} | {e['per_province']:.2f} s per province (peak target < 1.5 GB) |",  # noqa: E501 (one table row, one message)
        *(
            [
                f"| g. Henan alone, real dataset | {g['base_s']:.1f} | | one province, zh+en, HTML+PDF |",
                f"| g. Henan alone, {g['regions']} more synthetic cities elsewhere | {g['grown_s']:.1f} | | "
                f"**{g['ratio']:.2f}×** the real dataset's (target ≤ 1.5×) |",
                f"| g. every province over the grown dataset | {g['all_s']:.1f} | {g['all_mb']:.0f} | peak target < 1.5 GB |",
            ]
            if g
            else []
        ),
        "",
        "f. One province (Henan), per stage, seconds:",
        "",
        "| stage | seconds |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {seconds:.3f} |" for name, seconds in f.items()]
    lines += [
        "",
        "Reading the table: a cold build runs each province's notebook once in a warm kernel",
        "(kernel start and imports paid once per worker, while a cold build validates the",
        "dataset: so g's times hold the province's own work, not the kernel's start), reads the",
        "dataset validated once per build, and renders with one font book per worker; the naive",
        "loop pays a kernel start",
        "per province and language and loads the fonts per document (both read the fonts' code",
        "points from the glyph cache). A translation change re-renders every document from the",
        "stored results without running a notebook; a stylesheet change re-renders the HTML pages",
        "alone and keeps the PDFs.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=330, help="synthetic city count for the scaling run")
    parser.add_argument("--grow", type=int, default=2000, help="synthetic cities for the growth run (g)")
    parser.add_argument("--write", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefings-bench-") as tmp:
        work = Path(tmp)
        a = naive_vs_cold(work)
        f = stages(work)
        e = scaling(work, args.cities)
        g = growth(work, args.grow)
    text = report(a, e, f, "make bench", g)
    print(text)
    # the extractor's section (make bench-extract) is kept as it is
    start, end = "<!-- bench-extract:start -->", "<!-- bench-extract:end -->"
    old = args.write.read_text(encoding="utf-8") if args.write.is_file() else ""
    if start in old and end in old:
        text += "\n" + old[old.index(start) : old.index(end) + len(end)] + "\n"
    args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
