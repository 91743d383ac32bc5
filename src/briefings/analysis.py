"""What the briefing notebook calls: checks its parameters, tabulates, writes results.json.

The notebook stays thin; everything here is unit-tested.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import UsageError
from .execute import RESULTS_FILE
from .format import holder_name, value_text
from .fsutil import atomic_write_text
from .i18n import label



def require_parameters(**parameters: Any) -> None:
    """A clear error for a parameter the notebook was run without."""
    missing = [name for name, value in parameters.items() if value in (None, "")]
    if missing:
        raise UsageError(f"notebook parameter(s) missing: {', '.join(missing)} (pass them with papermill -p NAME VALUE)")


def comparison_table(results: dict[str, Any], section: str, lang: str = "en") -> pd.DataFrame:
    """One row per entry of every comparison in ``section``, for display in the notebook."""
    rows = []
    for c in results["comparisons"]:
        if c["section"] != section:
            continue
        for e in c["entries"]:
            rows.append({
                "metric": label(c["metric"], lang),
                "status": c["status_class"],
                "region": holder_name(e["holder"], lang),
                "instrument": label(e["instrument"], lang) if e["instrument"] else "",
                "value": value_text(e, lang),
                "rank": f"{e['rank']}/{c['n']}" + (" (tie)" if e["tie"] else "") + (" (?)" if e["uncertain"] else ""),
                "this province": "◀" if e["holder"]["is_subject"] else "",
                "measure": e["measure_id"],
            })
    return pd.DataFrame(rows)


def not_reported_table(results: dict[str, Any], lang: str = "en") -> pd.DataFrame:
    return pd.DataFrame([
        {"section": n["section"], "metric": label(n["metric"], lang),
         "reported by": ", ".join(r["name_en" if lang == "en" else "name_zh"] for r in n["reported_by"])}
        for n in results["not_reported"]
    ])


def results_json(results: dict[str, Any]) -> str:
    """Stable text: sorted keys, so the same inputs give the same bytes."""
    return json.dumps(results, ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False) + "\n"


def write_results(results: dict[str, Any], figures: dict[str, dict[str, str]], out_dir: Path) -> Path:
    path = Path(out_dir) / RESULTS_FILE
    atomic_write_text(path, results_json({**results, "figures": figures}))
    return path


def read_results(out_dir: Path) -> dict[str, Any]:
    return json.loads((Path(out_dir) / RESULTS_FILE).read_text(encoding="utf-8"))
