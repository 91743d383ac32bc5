"""The worker pool never hangs when a worker dies.

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
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # the stuck task was stopped with its broken pool and then ran again on its own;
    # the task that kills its worker is the one reported as dead
    assert done.stdout.split() == ["second", "run", "WorkerDied"]
