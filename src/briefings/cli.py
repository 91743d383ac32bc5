"""Command line: ``briefings validate | export | verify-sources | list | ...``."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
from rich.table import Table

from . import __version__, vocab
from .console import err, escape, out, report_error
from .errors import BriefingsError, display_path

DATA_OPTION = click.option(
    "--data", "data_dir", type=click.Path(path_type=Path), default=Path("data"), show_default=True,
    help="Folder with the dataset CSV files.",
)


def load_data(data_dir: Path):
    """Load and validate the dataset (imported here: pandas is slow to import, and a no-op
    build never needs it)."""
    from .load import load_dataset

    return load_dataset(data_dir)


def reports_errors(command):
    """Turn a BriefingsError into a clear message and its exit status, without a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except BriefingsError as exc:
            report_error(exc)
            sys.exit(exc.exit_code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefings")
def cli() -> None:
    """Provincial AI-policy briefings: validate the dataset, compare provinces, build reports."""


@cli.command()
@DATA_OPTION
@reports_errors
def validate(data_dir: Path) -> None:
    """Check every data file; list each problem with file, row and column (exit 2)."""
    ds = load_data(data_dir)
    out.print(
        f"[green]ok[/] {escape(display_path(data_dir))}: {len(ds.measures)} measures, {len(ds.regions)} regions, "
        f"{len(ds.policies)} policies, {len(ds.sources)} sources, {len(ds.units)} units"
    )


@cli.command()
@DATA_OPTION
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), required=True, help="CSV file to write.")
@reports_errors
def export(data_dir: Path, out_file: Path) -> None:
    """Write the normalized table (values in base units) to a CSV file."""
    from .fsutil import atomic_write_text
    from .normalize import export_table

    table = export_table(load_data(data_dir))
    atomic_write_text(out_file, table.to_csv(index=False, lineterminator="\n"))
    out.print(f"[green]wrote[/] {escape(display_path(out_file))} ({len(table)} measures)")


@cli.command("verify-sources")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@DATA_OPTION
@reports_errors
def verify_sources_command(folder: Path, data_dir: Path) -> None:
    """Check each evidence clause occurs in its source text in FOLDER, and each number in its clause."""
    from .sources import verify_sources

    reports = verify_sources(load_data(data_dir), folder)
    table = Table("source", "file", "rows", "result", title=escape(f"Evidence checked against {display_path(folder)}"))
    for r in reports:
        result = "[green]ok[/]" if r.ok else f"[red]{len(r.misses)} miss(es)[/]"
        table.add_row(escape(r.source_id), escape(r.file), str(r.rows), result)
    out.print(table)
    misses = [m for r in reports for m in r.misses]
    for miss in misses:
        err.print(f"  [red]miss[/] {escape(miss)}")
    if misses:
        err.print(f"[bold red]error:[/] {len(misses)} evidence check(s) failed")
        sys.exit(1)
    out.print(f"[green]ok[/] all {sum(r.rows for r in reports)} rows verified")


@cli.command("list")
@DATA_OPTION
@reports_errors
def list_command(data_dir: Path) -> None:
    """Regions with counts of measures by category."""
    ds = load_data(data_dir)
    m = ds.measures
    regions = ds.regions.set_index("code")
    table = Table("code", "region", "cities", "rows", "by category", title="Measures by region and category")
    for code, rows in sorted(m.groupby("region"), key=lambda item: (item[0] != "CN", item[0])):
        counts = rows["category"].value_counts()
        by_category = ", ".join(f"{c} {counts[c]}" for c in vocab.CATEGORIES if c in counts)
        cities = ", ".join(regions.at[c, "name_en"] for c in sorted(set(rows["locality"]) - {""}))
        name = f"{regions.at[code, 'name_en']} {regions.at[code, 'short_zh']}"
        table.add_row(escape(code), escape(name), escape(cities), str(len(rows)), escape(by_category))
    out.print(table)
    out.print(f"{len(m)} measures in {m['region'].nunique()} regions (CN = national figures)")


PROVINCE_OPTION = click.option("--province", "slug", required=True, help="Province slug from regions.csv (henan, guangdong ...).")


@cli.command()
@PROVINCE_OPTION
@DATA_OPTION
@click.option("--out", "out_root", type=click.Path(path_type=Path, file_okay=False), default=Path("reports"), show_default=True,
              help="Reports folder; results go to OUT/<slug>/.")
@reports_errors
def analyze(slug: str, data_dir: Path, out_root: Path) -> None:
    """Run the comparison notebook for one province (papermill): results.json, figures, executed notebook."""
    from .execute import run_analysis

    ds = load_data(data_dir)
    with err.status(f"running analysis notebook for {escape(slug)} ..."):
        executed = run_analysis(ds, slug, out_root / slug)
    out.print(f"[green]ok[/] {escape(display_path(executed.parent))}: results.json, figures, {executed.name}")


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@cli.command()
@click.option("--province", "provinces", multiple=True, help="Province slug (repeatable); default: every province with measures.")
@click.option("--lang", "langs", default="zh,en", show_default=True, help="Languages, comma separated.")
@click.option("--format", "formats", default="html,pdf", show_default=True, help="Formats, comma separated.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Provinces built in parallel [default: number of cores].")
@DATA_OPTION
@click.option("--out", "out_root", type=click.Path(path_type=Path, file_okay=False), default=Path("reports"), show_default=True)
@click.option("--renderer", type=click.Choice(["auto", "quarto", "builtin"]), default="auto", show_default=True,
              help="auto: quarto when on PATH, else the built-in pandoc + Typst renderer.")
@click.option("--shard", default=None, metavar="K/N", help="Build only the K-th of N deterministic parts of the provinces.")
@reports_errors
def build(provinces, langs, formats, jobs, data_dir: Path, out_root: Path, renderer: str, shard: str | None) -> None:
    """Build the bilingual HTML and PDF briefings of every province (or those given) into OUT."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .build import build as run_build
    from .build import parse_shard

    class Bar:
        """Per-province status lines above a progress bar (rich)."""

        def __init__(self, bar: Progress):
            self.bar, self.task = bar, bar.add_task("building briefings", total=None)

        def start(self, total: int) -> None:
            self.bar.update(self.task, total=total)

        def done(self, outcome) -> None:
            mark = f"[green]{outcome.work.value}[/]" if outcome.ok else "[red]failed[/]"
            self.bar.console.print(f"  {mark} {escape(outcome.slug)}")
            self.bar.advance(self.task)

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err) as bar:
        outcomes = run_build(data_dir, out_root, provinces=tuple(provinces), languages=_split(langs), formats=_split(formats),
                             jobs=jobs, renderer=renderer, progress=Bar(bar), shard=parse_shard(shard))
    table = Table("province", "result", "files written", title="Build summary")
    for o in outcomes:
        result = o.work.value if o.ok else "[red]failed[/]"
        table.add_row(escape(o.slug), result, str(len(o.render_outputs)) if o.ok else escape(o.error))
    out.print(table)
    out.print(f"index: {display_path(out_root / 'index.html')}", markup=False)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        err.print(f"[bold red]error:[/] {len(failed)} province(s) failed: {escape(', '.join(o.slug for o in failed))}")
        sys.exit(1)


def main() -> None:
    cli()
