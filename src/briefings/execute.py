"""Run the briefing notebook for one province with papermill.

Outputs are staged in a temporary folder next to the destination and moved into place
only when the whole notebook succeeded, so a failed run never replaces a previous good
result. The executed notebook is kept as the audit trail (``analysis.ipynb``); on failure
it is kept in the staging folder's place for inspection and its path reported.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from typing import TYPE_CHECKING

from .errors import BriefingsError

if TYPE_CHECKING:
    from .load import Dataset

NOTEBOOK = Path(__file__).resolve().parents[2] / "analysis" / "briefing.ipynb"
EXECUTED_NOTEBOOK = "analysis.ipynb"
RESULTS_FILE = "results.json"  # written by the notebook (analysis.write_results)


class AnalysisError(BriefingsError):
    """The notebook failed for a province; names the failing cell and the executed notebook."""

    exit_code = 1

    def __init__(self, slug: str, message: str, notebook: Path | None):
        self.slug, self.notebook = slug, notebook
        where = f" (executed notebook: {notebook})" if notebook else ""
        super().__init__(f"analysis of {slug} failed: {message}{where}")


def run_analysis(ds: Dataset, slug: str, out_dir: Path, *, notebook: Path = NOTEBOOK, kernel: str = "python3",
                 engine: str | None = None) -> Path:
    """Execute the notebook for ``slug`` into ``out_dir``; returns the executed notebook's path.

    ``engine`` is a papermill engine name: None for papermill's default (a fresh kernel),
    ``briefings-warm`` (see ``engine.py``) to reuse this process's kernel.
    """
    import papermill  # imported here: a no-op build never needs it
    from papermill.exceptions import PapermillExecutionError

    from .compare import find_province

    find_province(ds, slug)  # fail fast, before starting a kernel, on an unknown province
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{slug}.analysis.", dir=out_dir.parent)).resolve()
    executed = staging / EXECUTED_NOTEBOOK
    try:
        papermill.execute_notebook(
            str(notebook), str(executed),
            parameters={"province": slug, "data_dir": str(ds.data_dir.resolve()), "output_dir": str(staging)},
            kernel_name=kernel, progress_bar=False, log_output=False, engine_name=engine,
            request_save_on_cell_execute=False,  # saved once at the end (and on failure)
            # a stable folder: a warm kernel outlives this run's staging folder
            cwd=str(out_dir.parent.resolve()),
        )
    except PapermillExecutionError as exc:
        failed = out_dir.parent / f".{slug}.failed.ipynb"
        if executed.exists():
            os.replace(executed, failed)
        shutil.rmtree(staging, ignore_errors=True)
        raise AnalysisError(slug, f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}", failed) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for item in sorted(staging.iterdir()):
        os.replace(item, out_dir / item.name)
    shutil.rmtree(staging, ignore_errors=True)
    return out_dir / EXECUTED_NOTEBOOK
