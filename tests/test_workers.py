"""The worker pool never hangs: not when a worker dies, not when the process that starts
the pool has made a PDF before.

A worker killed while it holds the task queue's lock leaves every sibling waiting on that
lock forever; the executor then stops the siblings with SIGTERM. In a worker whose
kernel client runs threads, that signal can land on a thread other than the main one,
and a Python-level handler would then never run: the build hung (seen in fault tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from briefings import typst_pdf
from briefings.workers import run_tasks

from .conftest import DATA, PROJECT, builtin_renderer

pytestmark = pytest.mark.slow  # builds briefings or runs notebooks: not in make test-fast

SRC = Path(__file__).resolve().parents[1] / "src"

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    from pathlib import Path
    from briefings.workers import run_tasks, WorkerDied

    here = Path(sys.argv[1])

    def stuck_main_thread(name):
        # the first time: a thread that takes signals, and a main thread that cannot
        marker = here / "sleeper-ran"
        if marker.exists():
            return "second run"
        marker.write_text("x")
        threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        (here / "sleeping").write_text("x")
        time.sleep(3600)

    def dies(name):
        while not (here / "sleeping").exists():
            time.sleep(0.05)
        os._exit(1)

    def task(kind, name):
        return {"stuck": stuck_main_thread, "dies": dies}[kind](name)

    results = {}
    run_tasks(task,
              [("stuck", ("stuck", "a")), ("dies", ("dies", "b"))], jobs=2,
              on_result=lambda key, value: results.__setitem__(key, value))
    print(results["stuck"], type(results["dies"]).__name__)
    """
)


def test_a_dead_worker_never_leaves_a_sibling_hanging(tmp_path):
    script = tmp_path / "pool.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # the stuck task was stopped with its broken pool and then ran again on its own;
    # the task that kills its worker is the one reported as dead
    assert done.stdout.split() == ["second", "run", "WorkerDied"]


BUILD_AFTER_A_PDF = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from briefings.build import run_build
    from briefings.project import Project
    from briefings.render import BuiltinRenderer, Settings

    here, data, root = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    project = Project.at(root)
    (here / "x.typ").write_text("#set document(title: [x])\\n= 工程\\n大模型", encoding="utf-8")
    # a PDF made before the build forks
    BuiltinRenderer(Settings.load(project.quarto_config)).compile_typst(here / "x.typ", "2025")
    outcomes = run_build(project, data, here / "out", provinces=("hebei",), jobs=1, renderer="builtin").outcomes
    print(all(o.ok for o in outcomes))
    """
)


def test_a_build_after_a_pdf_in_the_same_process_never_hangs(tmp_path):
    """typst starts a thread pool on first use; a worker forked from a process that had
    compiled waited forever on its first PDF."""
    script = tmp_path / "after.py"
    script.write_text(BUILD_AFTER_A_PDF, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(DATA), str(PROJECT.root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and done.stdout.split() == ["True"], done.stderr[-2000:]


def test_a_compile_in_a_worker_equals_one_in_a_fresh_process(tmp_path):
    renderer = builtin_renderer()
    typ = tmp_path / "x.typ"
    typ.write_text(
        '#set document(title: [x])\n#set text(font: "Noto Serif CJK SC")\n= 人工智能+工程\n大模型 EFLOPS 10¹⁸', encoding="utf-8"
    )
    fresh = renderer.compile_typst(typ, "2025-H2")  # this test process is no worker: a fresh process
    assert not typst_pdf.compiles_in_process()
    results: dict[str, object] = {}
    run_tasks(_compile_in_worker, [("pdf", (str(typ),))], jobs=1, on_result=results.__setitem__)
    assert results["pdf"] == fresh
    assert fresh.startswith(b"%PDF")


def _compile_in_worker(typ: str) -> bytes:
    assert typst_pdf.compiles_in_process()
    return builtin_renderer().compile_typst(Path(typ), "2025-H2")


def _write_pid(folder: str, home: str) -> None:
    """A warm-up: starts a process of its own (as a worker's kernel is) and records both."""
    assert Path(home).is_dir()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    Path(folder, f"warm-{os.getpid()}").write_text(str(child.pid), encoding="utf-8")


def _first_dies(folder: str, home: str) -> None:
    """A warm-up that kills the first worker to run it (as the OOM killer might)."""
    try:
        os.close(os.open(os.path.join(folder, "died"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    os._exit(1)


def _warmed(folder: str) -> bool:
    return Path(folder, f"warm-{os.getpid()}").is_file()


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_workers_started_before_their_tasks_warm_up_first_and_then_run_them(tmp_path):
    import functools

    from briefings.workers import Pool

    pool = Pool(2, functools.partial(_write_pid, str(tmp_path)))
    results: dict[str, object] = {}
    run_tasks(_warmed, [(k, (str(tmp_path),)) for k in "abcd"], jobs=2, on_result=results.__setitem__, pool=pool)
    try:
        assert results == dict.fromkeys("abcd", True)  # every task ran in a worker that had warmed up
        assert not Path(pool.home).exists()  # the pool's folder goes with it
    finally:
        for record in tmp_path.glob("warm-*"):  # (a worker's kernel goes with its worker: engine.py)
            os.kill(int(record.read_text()), 9)


def test_a_worker_that_dies_before_its_tasks_come_costs_no_task(tmp_path):
    import functools
    import time

    from briefings.workers import Pool

    pool = Pool(2, functools.partial(_first_dies, str(tmp_path)))
    for _ in range(600):  # the death has happened (not timed: a loaded machine may be slow)
        if (tmp_path / "died").exists():
            break
        time.sleep(0.1)
    time.sleep(0.5)  # and the executor has seen it (either way the tasks must all run)
    results: dict[str, object] = {}
    run_tasks(os.path.basename, [(k, (f"/x/{k}",)) for k in "abc"], jobs=2, on_result=results.__setitem__, pool=pool)
    assert results == {k: k for k in "abc"}


def test_a_pool_that_gets_no_tasks_is_stopped_with_what_its_workers_started(tmp_path):
    import functools
    import time

    from briefings.workers import Pool

    pool = Pool(2, functools.partial(_write_pid, str(tmp_path)))
    for _ in range(600):  # both workers have warmed up (their start is not timed: a loaded machine may be slow)
        if len(list(tmp_path.glob("warm-*"))) == 2:
            break
        time.sleep(0.1)
    workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("warm-*")]
    started = [int(p.read_text()) for p in tmp_path.glob("warm-*")]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers + started)
    pool.close()
    assert not any(_alive(pid) for pid in workers + started)
    assert not Path(pool.home).exists()
    pool.close()  # twice is harmless


def test_a_cold_build_that_fails_before_its_tasks_leaves_no_process_behind(tmp_path):
    """A cold build starts its workers (and their kernels) before it validates the data and
    resolves the provinces; an error there stops them all."""
    import tempfile

    import psutil

    from .conftest import run

    folders = set(Path(tempfile.gettempdir()).glob("briefings-workers-*"))
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    result = run("build", "--province", "atlantis", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "unknown province" in result.output
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before and _alive(p.pid)]
    assert not left, [p.cmdline() for p in left]
    # nor any file: the workers' folder (their kernels' working folder and connection files) is gone
    assert set(Path(tempfile.gettempdir()).glob("briefings-workers-*")) <= folders
