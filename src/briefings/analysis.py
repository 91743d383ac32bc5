"""What the briefing notebook calls: its audit header, tables for display, results.json.

The notebook stays thin; everything here is unit-tested. Tables use human labels (the
metric's label, "achieved" for a baseline), never internal codes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .execute import RESULTS_FILE
from .format import holder_name, value_text
from .fsutil import atomic_text_writer
from .i18n import label
from .results import compact_claims, expand_claims
from .titles import metric_label

if TYPE_CHECKING:  # the notebook's tables need pandas; reading results (a re-render) does not
    import pandas as pd

STAGE = "analysis"  # feeds the analysis: a change re-runs every notebook (manifest.py keys on it)


def require_parameters(**parameters: Any) -> None:
    """A clear error for a parameter the notebook was run without."""
    missing = [name for name, value in parameters.items() if value in (None, "")]
    if missing:
        raise UsageError(f"notebook parameter(s) missing: {', '.join(missing)} (pass them with papermill -p NAME VALUE)")


def audit_header(*, province: str, build_id: str, data_dir: Path, cache: str) -> pd.DataFrame:
    """What this run used: the build, the input hashes and the tool versions (first cell's output)."""
    import pandas as pd

    from .cache import data_digest
    from .manifest import tool_versions

    rows = [
        ("province", province),
        ("build", build_id or "(run on its own)"),
        ("data folder", str(data_dir)),
        ("data hash", data_digest(data_dir)[:16]),
        ("dataset read from", "the build's validated cache" if cache else "the CSV files (validated here)"),
    ]
    rows += [(f"version: {tool}", v) for tool, v in sorted(tool_versions("").items()) if tool not in ("renderer",)]
    return pd.DataFrame(rows, columns=["what", "value"]).set_index("what")


def comparison_table(results: dict[str, Any], section: str, lang: str = "en") -> pd.DataFrame:
    """One row per figure of every comparison in ``section``, for display in the notebook."""
    import pandas as pd

    from .titles import comparison_title

    rows = []
    for c in results["comparisons"]:
        if c["section"] != section:
            continue
        title = comparison_title(c, results, lang)
        for e in c["entries"] + c["also"]:
            rank = (
                "—"
                if e.get("rank") is None
                else f"{e['rank']} of {c['n_regions']}" + (" (tie)" if e["tie"] else "") + (" (?)" if e.get("uncertain") else "")
            )
            rows.append(
                {
                    "comparison": title,
                    "region": holder_name(e["holder"], lang),
                    "figure": value_text(e, lang),
                    "year": e["year"] or "",
                    "status": label(e["status"], lang),
                    "rank": rank
                    if c["kind"] == "ranked"
                    else {"pair": "pair (no rank)", "alone": "compared with none"}[c["kind"]],
                    "this province": "◀" if e["holder"]["is_subject"] else "",
                    "measure": e["measure_id"],
                }
            )
    return pd.DataFrame(rows)


def findings_table(results: dict[str, Any], lang: str = "en") -> pd.DataFrame:
    """The key findings (claims) and the claims dropped as unsound, one row each."""
    import pandas as pd

    from .wording import Words

    words = Words(results, lang)
    by_id = {c["id"]: c for c in results["claims"]}
    rows = [
        {"finding": words.sentence(by_id[i]), "kind": by_id[i]["kind"], "measures": ", ".join(by_id[i]["measure_ids"])}
        for i in results["findings"]
    ]
    rows += [
        {
            "finding": "dropped: " + "; ".join(f"{r['rule']} ({r['why']})" for r in d["rules"]),
            "kind": d["claim"]["kind"],
            "measures": ", ".join(d["claim"]["measure_ids"]),
        }
        for d in results["dropped"]
    ]
    return pd.DataFrame(rows)


def not_reported_table(results: dict[str, Any], lang: str = "en") -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "section": label(n["section"], lang),
                "figure": metric_label(results, n["metric"], lang),
                "reported by": ", ".join(r["name_en" if lang == "en" else "name_zh"] for r in n["reported_by"]),
            }
            for n in results["not_reported"]
        ]
    )


#: Stable text: sorted keys, so the same inputs give the same bytes.
_JSON_STYLE: dict[str, Any] = {"ensure_ascii": False, "sort_keys": True, "indent": 1, "allow_nan": False}


def results_json(results: dict[str, Any]) -> str:
    """Stable text: sorted keys, so the same inputs give the same bytes."""
    return json.dumps(results, **_JSON_STYLE) + "\n"


def write_results(results: dict[str, Any], figures: dict[str, dict[str, str]], out_dir: Path) -> Path:
    """``results`` (and the charts' file names) as ``out_dir/results.json``, with the claims'
    measure lists stored by reference to their comparison (``results.compact_claims``).
    Written as it is encoded (the text of a grown province, held whole, took 180 MB); the
    bytes are ``results_json``'s."""
    path = Path(out_dir) / RESULTS_FILE
    with atomic_text_writer(path) as handle:
        json.dump(compact_claims({**results, "figures": figures}), handle, **_JSON_STYLE)
        handle.write("\n")
    return path


def read_results(out_dir: Path) -> dict[str, Any]:
    """A province's ``results.json``, its claims' measure lists rebuilt from their
    comparisons (``results.expand_claims``): the data the analysis made. Lists of strings
    are rebuilt from one shared copy of each string as each object is decoded, so the
    thousands of ids a grown dataset's comparisons list take little memory. Raises
    ValueError when a claim refers to a comparison the file lacks."""
    shared: dict[str, str] = {}

    def share(obj: dict[str, Any]) -> dict[str, Any]:
        for key, value in obj.items():
            if type(value) is list and value and type(value[0]) is str:
                obj[key] = [shared.setdefault(v, v) if type(v) is str else v for v in value]
        return obj

    with (Path(out_dir) / RESULTS_FILE).open(encoding="utf-8") as handle:
        results: dict[str, Any] = json.load(handle, object_hook=share)
    return expand_claims(results)
