"""The build's progress display and its end-of-build summary.

On a terminal: a live panel with the provinces running and their stage (analysis, zh html,
zh pdf ...), done and failed counts and the elapsed time. Elsewhere (CI logs, pipes):
plain lines, one per event. At the end, one summary: what was built, re-rendered, up to
date, and what failed with its reason, ids in full.
"""

from __future__ import annotations

import time
from collections import Counter

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .build import BuildReport, ProvinceOutcome, Work
from .console import escape, inert

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)


class BuildDisplay:
    """Implements ``build.BuildProgress`` on a rich console."""

    def __init__(self, console: Console):
        self.console = console
        self.interactive = console.is_terminal
        self.total = 0
        self.running: dict[str, str] = {}
        self.finished: list[ProvinceOutcome] = []
        self.started = time.monotonic()
        self.live: Live | None = None

    # BuildProgress
    def start(self, plan: dict[str, Work]) -> None:
        self.total = len(plan)
        todo = sum(1 for w in plan.values() if w is not Work.NONE)
        self.line(f"{self.total} province(s): {todo} to build, {self.total - todo} up to date")
        if self.interactive and todo:
            self.live = Live(self._panel(), console=self.console, refresh_per_second=8, transient=True)
            self.live.start()

    def stage(self, slug: str, stage: str) -> None:
        self.running[slug] = stage
        if self.live:
            self.live.update(self._panel())
        else:
            self.line(f"{slug}: {stage}")

    def done(self, outcome: ProvinceOutcome) -> None:
        self.running.pop(outcome.slug, None)
        self.finished.append(outcome)
        for warning in outcome.warnings:
            self.line(f"{outcome.slug}: {warning}")
        if outcome.work is Work.NONE:
            return
        result = outcome.work.value if outcome.ok else f"failed: {outcome.error}"
        if self.live:
            self.live.console.print(
                Text.assemble("  ", (outcome.slug, "bold"), " ", (inert(result), "green" if outcome.ok else "red"))
            )
            self.live.update(self._panel())
        else:
            self.line(f"{outcome.slug}: {result}")

    def message(self, text: str) -> None:
        self.line(text)

    # display
    def line(self, text: str) -> None:
        (self.live.console if self.live else self.console).print(inert(text), markup=False, highlight=False, emoji=False)

    def stop(self) -> None:
        if self.live:
            self.live.stop()
            self.live = None

    def _panel(self) -> Group:
        failed = sum(1 for o in self.finished if not o.ok)
        elapsed = time.monotonic() - self.started
        head = Text(
            f"building: {len(self.finished)}/{self.total} done, {failed} failed, {len(self.running)} running, {elapsed:.0f} s"
        )
        rows = [Text.assemble("  ", (slug, "bold"), f"  {stage}") for slug, stage in sorted(self.running.items())]
        return Group(head, *rows)


def summary(report: BuildReport, console: Console, index: str) -> None:
    """One table of what the build did, then counts and where the index is."""
    counts = Counter(o.work.value if o.ok else "failed" for o in report.outcomes)
    changed = [o for o in report.outcomes if o.work is not Work.NONE or not o.ok]
    if changed:
        table = Table("province", "result", "reason", title=f"Build {report.build_id}", title_justify="left")
        table.columns[0].overflow = table.columns[2].overflow = "fold"
        for o in changed:
            reason = o.error if not o.ok else "; ".join(o.warnings)
            table.add_row(escape(o.slug), o.work.value if o.ok else "[red]failed[/]", escape(reason))
        console.print(table)
    parts = [f"{counts[k]} {k}" for k in ("built", "re-rendered", "up to date", "failed") if counts[k]]
    console.print(
        inert(f"{', '.join(parts) or 'nothing to build'} · build {report.build_id} · index: {index}"),
        markup=False,
        highlight=False,
        emoji=False,
    )
