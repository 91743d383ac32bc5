"""A papermill engine that keeps one warm kernel per process.

Starting a kernel and importing pandas and matplotlib costs about three seconds,
more than the analysis itself. A build runs many provinces in each worker process, so
this engine starts the kernel once and reuses it: between notebooks it resets the
kernel's namespace (``reset(new_session=True)``: no variable, and no execution count,
carries over), while the imported modules stay loaded, and before each notebook it moves
the kernel to that notebook's working directory (papermill's ``cwd``), as a fresh kernel
started there would be. Registered with papermill as ``briefings-warm``.

A cold build's worker starts its kernel before its first notebook (``prestart``, in an
empty folder of its own) and imports the notebook's modules in it (``warm``), while the
build validates the dataset; the first notebook then finds the kernel as every later one
does. Kernels are stopped by killing and reaping their process (``_stop``).
"""

from __future__ import annotations

import json
import logging
import multiprocessing.util
import os
import signal
import subprocess
from typing import IO, TYPE_CHECKING, Any, ClassVar

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

if TYPE_CHECKING:
    from nbformat import NotebookNode

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)

ENGINE_NAME = "briefings-warm"
#: Between notebooks: a new namespace, then the freed memory handed back to the system (glibc
#: keeps it otherwise, and the kernel would hold its largest notebook's peak for the whole build).
#: What survives (imported modules) is frozen: the collections of later resets (IPython's own
#: and ours) walk only what a notebook made, not every object of pandas and the package.
_RESET = (
    "get_ipython().reset(new_session=True, aggressive=False)\n"
    "import ctypes as _c, gc as _g\n_g.collect()\n_g.freeze()\n"
    "try:\n    _c.CDLL(None).malloc_trim(0)\nexcept (OSError, AttributeError):\n    pass\n"
    "del _c, _g"
)
#: The build's kernels keep no input history: IPython would otherwise write every cell of
#: every notebook into the user's own history database (~/.ipython), a file the build did
#: not make, and spend a tenth of each notebook's kernel time doing it.
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]
#: What the analysis notebook imports (``analysis/briefing.ipynb``): a worker's kernel imports
#: them while the build validates the dataset (``warm``), instead of in its first notebook.
WARM_MODULES = (
    "IPython.display",
    "briefings.analysis",
    "briefings.cache",
    "briefings.compare",
    "briefings.figures",
    "briefings.project",
)
CONTROL_TIMEOUT = 30  # seconds for the engine's own requests (reset, chdir) to a kernel
#: Seconds a kernel may take to start and import the notebook's modules: matplotlib's first
#: import on a machine builds its font cache (tens of seconds with the CJK fonts).
WARM_TIMEOUT = 300
logger = logging.getLogger(__name__)


class WarmKernelEngine(NBClientEngine):  # type: ignore[misc]  # papermill has no type information
    _managers: ClassVar[dict[str, AsyncKernelManager]] = {}
    _clients: ClassVar[dict[str, object]] = {}
    _finalizer = None

    @classmethod
    def _manager(cls, kernel_name: str, cwd: str | None = None) -> AsyncKernelManager:
        km = cls._managers.get(kernel_name)
        if km is not None and km.has_kernel and not run_sync(km.is_alive)():
            # the kernel died (a crash in a previous notebook): start afresh
            cls._clients.pop(kernel_name, None)
            km = None
        if km is None:
            # a kernel started in a folder of its own keeps its connection file there too, so
            # that whatever ends its process, removing the folder leaves nothing behind
            km = (
                AsyncKernelManager(kernel_name=kernel_name, connection_file=os.path.join(cwd, f"kernel-{os.getpid()}.json"))
                if cwd
                else AsyncKernelManager(kernel_name=kernel_name)
            )
            # the kernel's own log (transport warnings) is noise on the build's terminal;
            # cell errors reach us through the notebook, not through this stream
            run_sync(km.start_kernel)(stderr=subprocess.DEVNULL, cwd=cwd or os.getcwd(), extra_arguments=KERNEL_ARGUMENTS)
            cls._managers[kernel_name] = km
            if not cls._finalizer:
                # stop the kernels when a worker process of the build pool exits
                cls._finalizer = multiprocessing.util.Finalize(cls, cls.shutdown, exitpriority=10)
        return km

    @classmethod
    def prestart(cls, kernel_name: str, cwd: str) -> None:
        """Start this process's kernel now, in the folder ``cwd``, before any notebook needs it
        (a build worker does, while the build validates the dataset); returns at once, the
        kernel starting meanwhile. ``cwd`` must hold nothing the kernel could import by
        mistake (the kernel's first notebook moves it to its own folder)."""
        cls._manager(kernel_name, cwd)

    @classmethod
    def warm(cls, kernel_name: str, modules: tuple[str, ...] = WARM_MODULES) -> bool:
        """Wait for the (pre)started kernel, import ``modules`` in it, then reset it as between
        two notebooks: the first notebook then finds the kernel as every later one does (the
        modules loaded, nothing in its namespace) and is moved to its folder like them. False,
        with the kernel let go (the first notebook starts one), when the kernel did not answer."""
        km = cls._manager(kernel_name)
        kc = km.client()
        try:
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=WARM_TIMEOUT)
            kc.allow_stdin = False  # as nbclient sets on the clients it makes
            for code in (f"import {', '.join(modules)}" if modules else "pass", _RESET):
                reply = run_sync(kc.execute_interactive)(
                    code, silent=True, store_history=False, timeout=WARM_TIMEOUT, output_hook=lambda _msg: None
                )
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"the kernel's warm-up failed: {reply['content'].get('ename')}")
        except Exception:
            kc.stop_channels()
            cls.discard(kernel_name)
            return False
        cls._clients[kernel_name] = kc
        return True

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,  # papermill's NotebookExecutionManager
        kernel_name: str,
        log_output: bool = False,
        stdout_file: IO[str] | None = None,
        stderr_file: IO[str] | None = None,
        start_timeout: int = 60,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> NotebookNode:
        client = PapermillNotebookClient(
            nb_man,
            km=cls._manager(kernel_name),
            kernel_name=kernel_name,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client.kc = cls._clients.get(kernel_name)
        # papermill runs the engine inside its cwd: a warm kernel must move there too
        if client.kc is not None and not cls._quietly(client, f"import os as _os; _os.chdir({json.dumps(os.getcwd())}); del _os"):
            # it did not: this notebook gets a kernel of its own, started here
            cls.discard(kernel_name)
            client.km, client.kc = cls._manager(kernel_name), None
        try:
            executed: NotebookNode = client.execute()
            return executed
        finally:
            cls._clients[kernel_name] = client.kc
            if client.kc is not None and not cls._quietly(client, _RESET):
                cls.discard(kernel_name)  # a dead or stuck kernel: the next notebook gets a fresh one

    @classmethod
    def _quietly(cls, client: PapermillNotebookClient, code: str) -> bool:
        """Run ``code`` in the kernel outside the notebook; False if it failed or did not
        answer in time."""
        timeout, client.timeout = client.timeout, CONTROL_TIMEOUT
        try:
            reply = client.wait_for_reply(client.kc.execute(code, silent=True, store_history=False))
            return reply is not None and reply.get("content", {}).get("status") == "ok"
        except Exception:
            return False
        finally:
            client.timeout = timeout

    @classmethod
    def discard(cls, kernel_name: str) -> None:
        """Stop this process's kernel ``kernel_name`` and forget it (the next notebook starts one)."""
        cls._clients.pop(kernel_name, None)
        km = cls._managers.pop(kernel_name, None)
        if km is not None and km.has_kernel:
            try:
                _stop(km)
            except Exception:
                pass

    @classmethod
    def shutdown(cls) -> None:
        """Stop every warm kernel of this process."""
        for km in cls._managers.values():
            if km.has_kernel:
                _stop(km)
        cls._managers.clear()
        cls._clients.clear()
        cls._finalizer = None


def _stop(km: AsyncKernelManager) -> None:
    """Kill the kernel, as ``shutdown_kernel(now=True)`` does, without its polling: it checks
    every tenth of a second whether the killed process is gone (most of a worker's exit, at
    the end of every build). The kernel's process is killed and reaped here; jupyter_client
    then finds it gone and removes its connection file."""
    provisioner = km.provisioner
    process = getattr(provisioner, "process", None)  # a local kernel's Popen
    if provisioner is not None and isinstance(process, subprocess.Popen) and process.poll() is None:
        group = getattr(provisioner, "pgid", None)
        try:
            # the kernel and what it started (its process group), as jupyter_client kills it
            os.killpg(group, signal.SIGKILL) if group else process.kill()
        except OSError:
            process.kill()
        try:
            process.wait(timeout=5)
            run_sync(provisioner.wait)()  # reaped: jupyter_client signals it no more
        except subprocess.TimeoutExpired:
            pass
    run_sync(km.shutdown_kernel)(now=True)


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
