"""Worker processes of a build: parallel, isolated, and never left behind.

- Each worker dies with the build (``PR_SET_PDEATHSIG``), so ``kill -9`` of the command
  stops its workers at once; their Jupyter kernels follow within a second (ipykernel's
  parent poller).
- Ctrl-C (or SIGTERM) kills every worker and kernel of the build at once, instead of
  waiting for running notebooks to finish.
- An exception in a task fails that task only. A worker that dies (a crash, the OOM
  killer) breaks the pool and every task in flight with it; those tasks are run again,
  each in a pool of its own, so only the task that kills its worker fails.
- Workers send small progress events (which province, which stage) to the parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import multiprocessing
import os
import queue
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import FrameType
from typing import Any, NoReturn, TypeAlias

from . import typst_pdf

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

_PR_SET_PDEATHSIG = 1
_events: Any = None

#: A task: its key and the arguments of the function run for it.
Task: TypeAlias = tuple[str, tuple[Any, ...]]
#: What ``signal.signal`` takes and returns.
SignalHandler: TypeAlias = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class WorkerDied(Exception):
    """The worker process running a task died."""


def release_memory() -> None:
    """Hand the memory a finished task freed back to the system (glibc keeps freed heap pages
    for reuse otherwise: a worker would hold its largest province's peak for the rest of the
    build). Changes nothing the task made; malloc_trim is skipped where it does not exist.

    What survives a task (modules, font book, catalogs) lives as long as the worker: frozen,
    the collector never walks it again, and the next task's collection costs what that task
    made (a full walk of a worker's heap took 0.1 s per province)."""
    import gc

    gc.collect()
    gc.freeze()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def large_compile_lock(parent: int) -> str:
    """The lock file a build's workers share for large Typst compiles (``typst_pdf``)."""
    return os.path.join(tempfile.gettempdir(), f"briefings-{parent}-typst.lock")


def _init_worker(events: Any, parent: int, warm: Callable[[], None] | None = None) -> None:
    global _events
    _events = events
    typst_pdf.mark_worker(large_compile_lock(parent))
    # a sibling killed while writing to the queue may leave its lock taken: never let that
    # make this worker wait at exit for its queue thread (progress events are a courtesy)
    events.cancel_join_thread()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: Ctrl-C still kills workers; kill -9 leaves them to finish their task
    if os.getppid() != parent:  # the build died before this worker was set up
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills the workers
    # the fork inherited the parent's Python SIGTERM handler; Python runs handlers only in
    # the main thread, which may be stuck on a queue lock a killed sibling held, while the
    # signal lands on a kernel-client thread. The executor's terminate() must really kill.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if warm is not None:
        try:
            warm()
        except Exception:  # a warm-up only saves time: whatever it failed to do, the tasks do
            pass


def report(key: str, stage: str) -> None:
    """Tell the parent that ``key`` (a province) entered ``stage``; a no-op outside a pool."""
    if _events is not None:
        try:
            _events.put_nowait((key, stage))
        except Exception:  # progress is a courtesy; it never fails a task
            pass


def kill_descendants(pids: list[int] | None = None) -> None:
    """Kill every process this one started (workers, and the kernels they started), or only
    the processes ``pids`` and theirs."""
    import psutil

    children = []
    for pid in [os.getpid()] if pids is None else pids:
        try:
            process = psutil.Process(pid)
            children += ([] if pids is None else [process]) + process.children(recursive=True)
        except psutil.Error:
            continue
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(children, timeout=2)


class Pool:
    """Worker processes started before their tasks are known: forked at once, each one runs
    ``warm(home)`` (say, starting its kernel) while the parent is still busy (validating the
    dataset), and ``run_tasks(..., pool=this)`` then hands them the tasks. ``home`` is an
    empty folder the pool makes for what its workers start (a kernel's working folder and
    connection file) and removes when it ends, whatever ended it. ``close()`` stops the
    workers when no tasks come (an error before them)."""

    #: Seconds a graceful ``close`` lets the workers end their warm-up before killing them.
    GRACE = 10.0

    def __init__(self, jobs: int, warm: Callable[[str], None] | None = None):
        context = multiprocessing.get_context("fork")
        self.jobs = max(1, jobs)
        self.home = tempfile.mkdtemp(prefix="briefings-workers-")
        self.events = context.Queue()
        self.executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=context,
            initializer=_init_worker,
            initargs=(self.events, os.getpid(), functools.partial(warm, self.home) if warm else None),
        )
        try:
            # the executor forks every worker (fork: all at once) when it gets its first task
            self.executor.submit(os.getpid)
        except BaseException:  # Ctrl-C, or a fork refused, half-way: the workers forked so far go
            self.close()
            raise

    def take(self) -> tuple[ProcessPoolExecutor, Any] | None:
        """The executor and its event queue, for one run of tasks (None once taken or closed)."""
        executor, self.executor = self.executor, None
        return (executor, self.events) if executor is not None else None

    def close(self, *, graceful: bool = False) -> None:
        """Stop the workers of a pool that was never taken (and what they started), then
        remove ``home``. At once (killed), or ``graceful``: each ends its warm-up and exits as
        after a build, its kernel stopped and its files removed (killed after ``GRACE`` s)."""
        executor, self.executor = self.executor, None
        if executor is not None:
            workers = list((getattr(executor, "_processes", None) or {}).values())  # the executor keeps no public list
            executor.shutdown(wait=False, cancel_futures=True)
            if graceful:
                deadline = time.monotonic() + self.GRACE
                for worker in workers:
                    worker.join(max(0.0, deadline - time.monotonic()))
            kill_descendants([w.pid for w in workers if w.pid is not None and w.is_alive()])
            self.events.cancel_join_thread()
            self.events.close()
        shutil.rmtree(self.home, ignore_errors=True)


def run_tasks(
    function: Callable[..., Any],
    tasks: list[Task],
    *,
    jobs: int,
    on_result: Callable[[str, Any], None],
    on_event: Callable[[str, str], None] | None = None,
    pool: Pool | None = None,
) -> None:
    """Run ``function(*args)`` for every ``(key, args)`` in worker processes (those of
    ``pool`` when given: started earlier, and stopped here with the rest).

    ``on_result(key, value)`` receives the return value, or the exception that the task
    raised (``WorkerDied`` when its worker died twice).
    """
    try:
        started = pool.take() if pool is not None and tasks else None
        try:
            broken = _run(function, tasks, jobs=jobs, on_result=on_result, on_event=on_event, started=started)
        except BrokenProcessPool:  # a worker of the pool started earlier died before its tasks came
            broken = _run(function, tasks, jobs=jobs, on_result=on_result, on_event=on_event)
        for key, args in broken:
            # on its own: if the worker dies again, this task is the one that kills it
            again = _run(function, [(key, args)], jobs=1, on_result=on_result, on_event=on_event)
            for key2, _ in again:
                on_result(key2, WorkerDied(f"the worker process building {key2} died (killed, or out of memory)"))
    finally:
        if pool is not None:
            pool.close()  # its workers, if no tasks came, and its folder
        with contextlib.suppress(OSError):  # made by a worker that compiled a large document
            os.unlink(large_compile_lock(os.getpid()))


def _run(
    function: Callable[..., Any],
    tasks: list[Task],
    *,
    jobs: int,
    on_result: Callable[[str, Any], None],
    on_event: Callable[[str, str], None] | None,
    started: tuple[ProcessPoolExecutor, Any] | None = None,
) -> list[Task]:
    if not tasks:
        return []
    if started is not None:
        pool, events = started
    else:
        context = multiprocessing.get_context("fork")
        events = context.Queue()
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(jobs, len(tasks))),
            mp_context=context,
            initializer=_init_worker,
            initargs=(events, os.getpid()),
        )
    previous = terminate_on_sigterm()
    broken: list[Task] = []
    try:
        futures = {pool.submit(function, *args): (key, args) for key, args in tasks}
        while futures:
            done, _ = wait(futures, timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(events, on_event)
            for future in done:
                key, args = futures.pop(future)
                try:
                    value = future.result()
                except BrokenProcessPool:
                    broken.append((key, args))
                    continue
                except Exception as exc:  # a task's own failure: reported, never fatal to the others
                    value = exc
                on_result(key, value)
        _drain(events, on_event)
    except BaseException:
        kill_descendants()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        restore_sigterm(previous)
    # a broken pool's workers were stopped by the executor: do not wait on them
    pool.shutdown(wait=not broken, cancel_futures=bool(broken))
    events.cancel_join_thread()
    events.close()
    return broken


def _drain(events: Any, on_event: Callable[[str, str], None] | None) -> None:
    while True:
        try:
            key, stage = events.get_nowait()
        except queue.Empty:
            return
        except Exception:  # a message cut short by a dying worker
            return
        if on_event:
            on_event(key, stage)


def restore_sigterm(previous: SignalHandler) -> None:
    try:
        signal.signal(signal.SIGTERM, previous)
    except (ValueError, TypeError):  # not the main thread
        pass


def terminate_on_sigterm() -> SignalHandler:
    """SIGTERM stops a build like Ctrl-C does (workers and kernels killed, exit non-zero)."""

    def interrupt(signum: int, frame: FrameType | None) -> NoReturn:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (a test runner's thread): leave SIGTERM alone
        return signal.getsignal(signal.SIGTERM)
