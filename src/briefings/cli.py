"""Command line: ``briefings validate | export | verify-sources | list | ...``."""

from __future__ import annotations

import atexit
import functools
import gc
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from . import __version__, vocab
from .console import err, escape, inert, out, report_error
from .errors import BriefingsError, UsageError, display_path
from .project import Project

if TYPE_CHECKING:
    from .extract import AppendResult
    from .load import Dataset

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

P = ParamSpec("P")
R = TypeVar("R")

DATA_OPTION = click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder with the dataset CSV files [default: the project's data/].",
)


def current_project() -> Project:
    """The project the command line resolved (``--project``, the working directory ...)."""
    ctx = click.get_current_context()
    project = ctx.find_root().obj
    if not isinstance(project, Project):
        project = Project.find()
        ctx.find_root().obj = project
    return project


def data_folder(data_dir: Path | None) -> Path:
    return data_dir if data_dir is not None else current_project().data


def out_folder(out_root: Path | None) -> Path:
    return out_root if out_root is not None else current_project().reports


def review_record(review_file: Path | None) -> Path:
    return review_file if review_file is not None else current_project().review_file


def load_data(data_dir: Path | None) -> Dataset:
    """Load and validate the dataset (imported here: pandas is slow to import, and a no-op
    build never needs it)."""
    from .load import load_dataset

    return load_dataset(data_folder(data_dir))


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a BriefingsError into a clear message and its exit status, without a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            if command.__name__ != "cli":
                from .environment import check_environment

                check_environment()  # before any work: SOURCE_DATE_EPOCH, TMPDIR, output encoding
            return command(*args, **kwargs)
        except BriefingsError as exc:
            report_error(exc)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err.print("[bold red]interrupted:[/] stopped; previous briefings are untouched")
            sys.exit(130)
        except OSError as exc:
            # the file system refused (read-only, full, no permission): say where, no traceback
            from .staging import describe_os_error

            where = Path(exc.filename) if exc.filename else Path(".")
            err.print(f"[bold red]error:[/] {escape(describe_os_error(exc, where))}")
            sys.exit(2)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefings")
@click.option(
    "--project",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The project folder (its _quarto.yml, templates/, analysis/, data/, review/, reports/) "
    "[default: the working directory when it is one, else the installed defaults].",
)
@click.pass_context
@reports_errors
def cli(ctx: click.Context, project: Path | None) -> None:
    """Provincial AI-policy briefings: validate the dataset, compare provinces, build reports."""
    ctx.obj = Project.find(project).activate()


@cli.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path), default=Path("."))
@reports_errors
def init(folder: Path) -> None:
    """Write a small working project into FOLDER (new or empty; default: here): settings,
    templates, notebook and a sample dataset with its source text. Then: briefings build."""
    from .project import init_project

    written = init_project(folder)
    out.print(
        f"[green]ok[/] {escape(display_path(folder))}: a briefings project ({len(written)} files). "
        f"Next: cd {escape(display_path(folder))} && briefings validate && briefings build"
    )


@cli.command()
@DATA_OPTION
@reports_errors
def validate(data_dir: Path | None) -> None:
    """Check every data file; list each problem with file, row and column (exit 2)."""
    ds = load_data(data_dir)
    out.print(
        f"[green]ok[/] {escape(display_path(ds.data_dir))}: {len(ds.measures)} measures, {len(ds.regions)} regions, "
        f"{len(ds.policies)} policies, {len(ds.sources)} sources, {len(ds.units)} units"
    )


@cli.command()
@DATA_OPTION
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), required=True, help="CSV file to write.")
@reports_errors
def export(data_dir: Path | None, out_file: Path) -> None:
    """Write the normalized table (values in base units) to a CSV file."""
    from .fsutil import atomic_write_text
    from .normalize import export_table
    from .staging import describe_os_error

    ds = load_data(data_dir)
    target = out_file.resolve()
    if any(target == path.resolve() for path in ds.files()) or target.parent == ds.data_dir.resolve():
        raise UsageError(
            f"--out {display_path(out_file)} is in the data folder the export reads: choose a file elsewhere "
            "(the export never replaces its own input)"
        )
    table = export_table(ds)
    try:
        atomic_write_text(out_file, table.to_csv(index=False, lineterminator="\n"))
    except OSError as exc:
        raise UsageError(f"cannot write the export: {describe_os_error(exc, Path(exc.filename or out_file))}") from None
    out.print(f"[green]wrote[/] {escape(display_path(out_file))} ({len(table)} measures)")


def default_seeds() -> Path:
    """The folder of source texts: $BRIEFINGS_SEEDS, else ../shared/seeds beside the project."""
    return Path(os.environ.get("BRIEFINGS_SEEDS") or "../shared/seeds")


@cli.command("verify-sources")
@click.argument("folders", metavar="[FOLDER]...", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--seeds",
    "seeds",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of source texts [default: $BRIEFINGS_SEEDS, else ../shared/seeds].",
)
@click.option("--require-all", is_flag=True, help="Fail when a source's text is absent (default: report it, check the rest).")
@DATA_OPTION
@reports_errors
def verify_sources_command(folders: tuple[Path, ...], seeds: Path | None, require_all: bool, data_dir: Path | None) -> None:
    """Check each evidence clause occurs in its source text (looked up in the FOLDERs, in
    order), and each number in its clause; a text whose sha256 differs from the recorded one
    is reported as another copy."""
    from rich.table import Table

    from .sources import verify_sources

    chosen = list(folders) or [seeds or default_seeds()]
    for folder in chosen:
        if not folder.is_dir():
            raise UsageError(
                f"source texts folder {display_path(folder)} not found: give it as FOLDER or --seeds, or set BRIEFINGS_SEEDS"
            )
    reports = verify_sources(load_data(data_dir), chosen)
    folder = chosen[0] if len(chosen) == 1 else Path(", ".join(display_path(f) for f in chosen))
    table = Table("source", "file", "rows", "result", title=escape(f"Evidence checked against {display_path(folder)}"))
    for r in reports:
        result = (
            "[yellow]text absent: not checked[/]"
            if not r.found
            else ("[green]ok[/]" if r.ok else f"[red]{len(r.misses)} miss(es)[/]")
        )
        table.add_row(escape(r.source_id), escape(r.file), str(r.rows), result)
    out.print(table)
    misses = [m for r in reports if r.found for m in r.misses]
    absent = [r for r in reports if not r.found]
    for miss in misses:
        err.print(f"  [red]miss[/] {escape(miss)}")
    for r in absent:
        err.print(
            f"  [yellow]not checked[/] {escape(r.source_id)}: its text {escape(r.file)} is not in {escape(display_path(folder))}"
        )
    for r in reports:
        if r.found and r.other_copy:
            err.print(
                f"  [yellow]other copy[/] {escape(r.source_id)}: {escape(r.file)} differs from the text whose sha256 "
                "sources.csv records (checked anyway; a later reader may hold another version)"
            )
    if misses:
        err.print(f"[bold red]error:[/] {len(misses)} evidence check(s) failed")
        sys.exit(1)
    if absent and require_all:
        err.print(f"[bold red]error:[/] {len(absent)} source text(s) absent")
        sys.exit(1)
    checked = sum(r.rows for r in reports if r.found)
    out.print(
        f"[green]ok[/] all {checked} rows of {len(reports) - len(absent)} source(s) verified"
        + (f"; {len(absent)} source(s) not checked (text absent)" if absent else "")
    )


@cli.command()
@click.argument("text_file", metavar="TEXT", type=click.Path(path_type=Path))
@click.option(
    "--source-id", "source_id", required=True, help="The source's id (a source_id of sources.csv, or the one it will have)."
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Candidates CSV to write (with --append: the reviewed file to read) [default: standard output].",
)
@click.option(
    "--append",
    is_flag=True,
    help="Add the candidates of --out whose confirmed column is yes to measures.csv (fresh ids, validated first).",
)
@click.option(
    "--date",
    "doc_date",
    default=None,
    metavar="DATE",
    help="The document's date (2025, 2025-07, 2025-07-29) [default: the source's date in sources.csv, "
    "else the first date printed in the text].",
)
@click.option("--force", is_flag=True, help="Overwrite an --out file in which candidates are already confirmed.")
@DATA_OPTION
@reports_errors
def extract(
    text_file: Path, source_id: str, out_file: Path | None, append: bool, doc_date: str | None, force: bool, data_dir: Path
) -> None:
    """Propose candidate rows of measures.csv from a source TEXT (never written into data/),
    or with --append add the confirmed ones."""
    from . import extract as ex
    from .dates import parse as parse_date

    data_dir = data_folder(data_dir)
    if out_file is not None and out_file.resolve() == text_file.resolve():
        raise UsageError(f"--out {display_path(out_file)} is the source text being read: give the candidates another file")
    if not source_id.strip():
        raise UsageError("--source-id needs the source's id (it was given empty)")
    if doc_date is not None:
        try:
            parse_date(doc_date)
        except ValueError:
            raise UsageError(f"--date {doc_date!r} is not a date (2025, 2025-H2, 2025-07, 2025-07-29)") from None
    raw = ex.read_text_file(text_file)
    if append:
        if out_file is None:
            raise UsageError("--append reads the reviewed candidates: give them with --out FILE")
        result = ex.append_confirmed(out_file, raw, source_id, data_dir)
        _report_append(result, out_file, data_dir)
        return
    if out_file is not None:
        _check_candidates_target(out_file, data_dir, force)
    dataset = load_data(data_dir)
    if source_id not in set(dataset.sources["source_id"]):
        err.print(
            f"[yellow]note:[/] source {escape(source_id)} is not in sources.csv yet: add it before --append"
            + ("" if doc_date else "; the document date is read from the text")
        )
    _, candidates = ex.extract(raw, ex.lexicon_from_dataset(dataset), source_id, doc_date)
    text = ex.candidates_csv(candidates)
    duplicates = sum(bool(c.row["duplicate_of"]) for c in candidates)
    if out_file is None:
        click.echo(text, nl=False)
    else:
        from .fsutil import atomic_write_text

        atomic_write_text(out_file, text)
    where = escape(display_path(out_file)) if out_file else "standard output"
    err.print(
        f"[green]ok[/] {len(candidates)} candidate(s) from {escape(display_path(text_file))} to {where}"
        + (f"; {duplicates} repeat existing rows (duplicate_of)" if duplicates else "")
        + "; review them, set confirmed to yes, then run again with --append"
    )


def _check_candidates_target(out_file: Path, data_dir: Path, force: bool) -> None:
    """Candidates never go into the data folder, and never over an analyst's confirmations."""
    target = out_file.resolve()
    if target.is_relative_to(data_dir.resolve()):
        raise UsageError(
            f"--out {display_path(out_file)} is inside the data folder {display_path(data_dir)}: "
            "candidates are written elsewhere and added with --append"
        )
    if out_file.is_dir():
        raise UsageError(f"--out {display_path(out_file)} is a folder: give a CSV file name")
    if out_file.is_file() and not force:
        import csv
        import io

        try:
            rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"), newline="")))
        except (UnicodeDecodeError, csv.Error):
            rows = []
        if any((r.get("confirmed") or "").strip() for r in rows):
            raise UsageError(
                f"{display_path(out_file)} already has confirmed candidates: run with --append to add them, "
                "write to another --out, or --force to overwrite"
            )


def _report_append(result: AppendResult, out_file: Path, data_dir: Path) -> None:
    measures = escape(display_path(data_dir / "measures.csv"))
    for row, same in result.duplicates:
        err.print(f"  [yellow]skipped[/] {escape(display_path(out_file))}, row {row}: repeats {escape(same)} (duplicate)")
    if result.left_out:
        err.print(f"  [yellow]note:[/] {measures} has no column {escape(', '.join(result.left_out))} yet: left out")
    if not result.appended:
        out.print(
            f"nothing appended to {measures}: no confirmed candidate"
            + (" that is new" if result.duplicates else " (set confirmed to yes)"),
            soft_wrap=True,
        )
        return
    ids = ", ".join(f"{new} (row {row})" for row, new in result.appended)
    out.print(
        f"[green]appended[/] {len(result.appended)} row(s) to {measures}: {escape(ids)}; "
        "validation passed; run briefings verify-sources next",
        soft_wrap=True,
    )


@cli.command("data-date")
@DATA_OPTION
@click.option("--epoch", is_flag=True, help="As seconds since 1970 (for SOURCE_DATE_EPOCH).")
@reports_errors
def data_date(data_dir: Path | None, epoch: bool) -> None:
    """The latest source date of the data ("data as of"), or its first second as an epoch."""
    from .dates import timestamp
    from .manifest import data_as_of

    data_dir = data_folder(data_dir)
    date = data_as_of(data_dir)
    if not date:
        raise UsageError(f"no source date in {display_path(data_dir / 'sources.csv')}: run briefings validate")
    click.echo(int(timestamp(date).timestamp()) if epoch else date)


@cli.command("list")
@DATA_OPTION
@reports_errors
def list_command(data_dir: Path | None) -> None:
    """Regions: what their briefings rest on (sources, figures and their dates) and measures by category."""
    from rich.table import Table

    from .dates import span

    ds = load_data(data_dir)
    m = ds.measures
    regions = ds.regions.set_index("code")
    dates = dict(zip(ds.sources["source_id"], ds.sources["date"]))
    metrics_kind = dict(zip(ds.metrics["metric"], ds.metrics["kind"]))
    table = Table(
        "code",
        "region",
        "cities",
        "sources",
        "figures",
        "named",
        "source dates",
        "by category",
        title="What each region's briefing rests on",
    )
    for code, rows in sorted(m.groupby("region"), key=lambda item: (item[0] != "CN", item[0])):
        counts = rows["category"].value_counts()
        by_category = ", ".join(f"{c} {counts[c]}" for c in vocab.CATEGORIES if c in counts)
        cities = ", ".join(regions.at[c, "name_en"] for c in sorted(set(rows["locality"]) - {""}))
        name = f"{regions.at[code, 'name_en']} {regions.at[code, 'short_zh']}"
        figures = int(sum(metrics_kind.get(x) != "qualitative" for x in rows["metric"]))
        first, last = span(sorted({dates[s] for s in set(rows["source_id"])}))
        when = first if first == last else f"{first} – {last}"
        table.add_row(
            escape(code),
            escape(name),
            escape(cities),
            str(rows["source_id"].nunique()),
            str(figures),
            str(len(rows) - figures),
            escape(when),
            escape(by_category),
        )
    out.print(table)
    out.print(f"{len(m)} measures from {len(ds.sources)} sources in {m['region'].nunique()} regions (CN = national figures)")


PROVINCE_OPTION = click.option("--province", "slug", required=True, help="Province slug from regions.csv (henan, guangdong ...).")
OUT_OPTION = click.option(
    "--out",
    "out_root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Reports folder; each province goes to OUT/<slug>/ [default: the project's reports/].",
)
FORCE_OPTION = click.option(
    "--force",
    is_flag=True,
    help="Write into a non-empty --out folder the tool did not make (it never deletes what it did not write).",
)
REVIEW_OPTION = click.option(
    "--review",
    "review_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The editors' review record [default: the project's review/reviewed.json].",
)


WAIT_OPTION = click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="When another build is writing to --out: wait for it, or stop at once.",
)
TIMEOUT_OPTION = click.option(
    "--timeout",
    "timeout",
    type=click.IntRange(min=1),
    default=600,
    show_default=True,
    help="Seconds a cell of a province's notebook may run; a notebook that hangs fails its "
    "province instead of hanging the build.",
)


@cli.command()
@PROVINCE_OPTION
@DATA_OPTION
@OUT_OPTION
@FORCE_OPTION
@WAIT_OPTION
@TIMEOUT_OPTION
@reports_errors
def analyze(slug: str, data_dir: Path | None, out_root: Path, force: bool, wait: bool, timeout: int) -> None:
    """Run the comparison notebook for one province (papermill): results.json, figures, executed notebook."""
    from .build import analyze as run_analyze

    if not slug:
        raise UsageError("--province needs a province slug (it was given empty)")
    with err.status(f"running the analysis notebook for {escape(slug)} ..."):
        executed = run_analyze(
            current_project(),
            data_folder(data_dir),
            out_folder(out_root),
            slug,
            force=force,
            wait=wait,
            timeout=timeout,
            notify=lambda t: err.print(inert(t), markup=False),
        )
    out.print(f"[green]ok[/] {escape(display_path(executed.parent))}: results.json, figures, {executed.name}")


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@cli.command()
@click.option("--province", "provinces", multiple=True, help="Province slug (repeatable); default: every province with measures.")
@click.option("--lang", "langs", default="zh,en", show_default=True, help="Languages, comma separated.")
@click.option("--format", "formats", default="html,pdf", show_default=True, help="Formats, comma separated.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Provinces built in parallel [default: number of cores].")
@DATA_OPTION
@OUT_OPTION
@click.option(
    "--renderer",
    type=click.Choice(["auto", "quarto", "builtin"]),
    default="auto",
    show_default=True,
    help="auto: quarto when on PATH, else the built-in pandoc + Typst renderer.",
)
@click.option("--shard", default=None, metavar="K/N", help="Build only the K-th of N deterministic parts of the provinces.")
@FORCE_OPTION
@WAIT_OPTION
@REVIEW_OPTION
@TIMEOUT_OPTION
@reports_errors
def build(
    provinces: tuple[str, ...],
    langs: str,
    formats: str,
    jobs: int | None,
    data_dir: Path | None,
    out_root: Path | None,
    renderer: str,
    shard: str | None,
    force: bool,
    wait: bool,
    review_file: Path | None,
    timeout: int,
) -> None:
    """Build the bilingual HTML and PDF briefings of every province (or those given) into OUT."""
    from .build import parse_shard, run_build
    from .progress import BuildDisplay, summary

    out_root, review_file = out_folder(out_root), review_record(review_file)
    display = BuildDisplay(err)
    try:
        report = run_build(
            current_project(),
            data_folder(data_dir),
            out_root,
            provinces=tuple(provinces),
            languages=_split(langs),
            formats=_split(formats),
            jobs=jobs,
            renderer=renderer,
            progress=display,
            shard=parse_shard(shard),
            force=force,
            wait=wait,
            review=review_file,
            timeout=timeout,
        )  # the build ignores a record that does not exist
    finally:
        display.stop()
    summary(report, out, display_path(out_root / "index.html"))
    built = [o for o in report.outcomes if o.ok and o.slug != "overview" and (out_root / o.slug).is_dir()]
    # counted by the workers from the results they rendered; an up-to-date province's, read here
    unread = tuple(o.slug for o in built if o.summary is None)
    dropped = sum(o.summary["dropped"] for o in built if o.summary is not None) + (
        len(dropped_claims(out_root, unread)) if unread else 0
    )
    if dropped:
        out.print(
            f"{dropped} claim variant(s) broke a claim rule and are not printed "
            "(a sound, weaker one may print instead): briefings check lists them"
        )
    if report.failed:
        err.print(
            f"[bold red]error:[/] {len(report.failed)} province(s) failed: {escape(', '.join(o.slug for o in report.failed))}"
        )
        sys.exit(1)


@cli.group()
def review() -> None:
    """The editors' review record: accept a build as reviewed, see what changed since."""


@review.command("accept")
@OUT_OPTION
@REVIEW_OPTION
@click.option("--province", "provinces", multiple=True, help="Sign off only this province (repeatable) [default: all].")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="Date of the review [default: today].")
@reports_errors
def review_accept(out_root: Path | None, review_file: Path | None, provinces: tuple[str, ...], on: str | None) -> None:
    """Sign the briefings in OUT off, claim by claim (commit the record with the project)."""
    from .review import accept

    out_root, review_file = out_folder(out_root), review_record(review_file)
    baseline = accept(out_root, review_file, on=on, provinces=provinces)
    which = ", ".join(provinces) if provinces else f"{len(baseline.provinces)} briefing(s)"
    claims = sum(len(baseline.provinces[s]["claims"]) for s in (provinces or baseline.provinces))
    out.print(f"[green]ok[/] {escape(which)} signed off ({claims} claims) in {escape(display_path(review_file))}")


CLAIM_ARGUMENT = click.argument("claim_id", metavar="CLAIM")


@review.command("hold")
@CLAIM_ARGUMENT
@OUT_OPTION
@REVIEW_OPTION
@click.option("--note", default="", help="Why (kept in the record).")
@reports_errors
def review_hold(claim_id: str, out_root: Path | None, review_file: Path | None, note: str) -> None:
    """Hold a claim back: the next build does not print it until it is released."""
    from .review import set_editorial

    slug = set_editorial(out_folder(out_root), review_record(review_file), claim_id, "hold", note=note)
    out.print(f"[green]ok[/] {escape(claim_id)} ({escape(slug)}) held back; rebuild to apply")


@review.command("release")
@CLAIM_ARGUMENT
@OUT_OPTION
@REVIEW_OPTION
@reports_errors
def review_release(claim_id: str, out_root: Path | None, review_file: Path | None) -> None:
    """Release a held-back or rephrased claim: the generated sentence is printed again."""
    from .review import set_editorial

    slug = set_editorial(out_folder(out_root), review_record(review_file), claim_id, None)
    out.print(f"[green]ok[/] {escape(claim_id)} ({escape(slug)}) released; rebuild to apply")


@review.command("rephrase")
@CLAIM_ARGUMENT
@OUT_OPTION
@REVIEW_OPTION
@click.option("--zh", default="", help="The editor's Chinese sentence.")
@click.option("--en", default="", help="The editor's English sentence.")
@click.option("--note", default="", help="Why (kept in the record).")
@reports_errors
def review_rephrase(claim_id: str, out_root: Path | None, review_file: Path | None, zh: str, en: str, note: str) -> None:
    """Print an editor's wording of a claim instead of the generated sentence, while the
    claim's basis stays the one it was written for (a changed basis is flagged)."""
    from .review import set_editorial

    slug = set_editorial(out_folder(out_root), review_record(review_file), claim_id, "rephrase", zh=zh, en=en, note=note)
    out.print(f"[green]ok[/] {escape(claim_id)} ({escape(slug)}) rephrased; rebuild to apply")


@review.command("status")
@OUT_OPTION
@REVIEW_OPTION
@reports_errors
def review_status(out_root: Path | None, review_file: Path | None) -> None:
    """Which provinces changed since the review."""
    from .review import diff, read_baseline

    out_root, review_file = out_folder(out_root), review_record(review_file)
    baseline = read_baseline(review_file)
    if baseline is None:
        raise UsageError(f"no review record at {display_path(review_file)}: run briefings review accept first")
    report = diff(out_root, baseline)
    if not report["changed"] and not report["removed"] and not report["failed"]:
        out.print(f"unchanged since the review of {escape(baseline.date)}")
        return
    out.print(
        f"changed since the review of {escape(baseline.date)}: {escape(', '.join(report['changed']) or '—')}"
        + (f"; no longer built: {escape(', '.join(report['removed']))}" if report["removed"] else "")
        + (f"; build failed, earlier briefing shown: {escape(', '.join(report['failed']))}" if report["failed"] else "")
    )


@cli.command("diff")
@OUT_OPTION
@REVIEW_OPTION
@click.option("--json", "as_json", is_flag=True, help="The change report as JSON.")
@reports_errors
def diff_command(out_root: Path | None, review_file: Path | None, as_json: bool) -> None:
    """What changed since the review, per province (exit 0 unchanged, 1 changed: a CI gate)."""
    import json

    from .review import diff, diff_text, read_baseline

    out_root, review_file = out_folder(out_root), review_record(review_file)
    baseline = read_baseline(review_file)
    if baseline is None:
        raise UsageError(f"no review record at {display_path(review_file)}: run briefings review accept first")
    report = diff(out_root, baseline)
    if as_json:
        text = json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True)  # JSON escapes C0 controls itself
        click.echo(re.sub("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]", lambda m: f"\\u{ord(m.group(0)):04x}", text))
    else:
        click.echo(inert(diff_text(report)))
    sys.exit(1 if report["changed"] or report["removed"] or report["failed"] else 0)


@cli.command()
@click.option("--province", "provinces", multiple=True, help="Province slug (repeatable) [default: every province built].")
@click.option("--rule", "rules", multiple=True, help="Only claims dropped by this rule (repeatable), e.g. certain_order.")
@OUT_OPTION
@reports_errors
def check(provinces: tuple[str, ...], rules: tuple[str, ...], out_root: Path | None) -> None:
    """The claims the last build did not print, and the rule each broke (a weaker variant,
    such as an order instead of a ratio, may print in its place)."""
    from rich.table import Table

    from .claims import RULES

    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        raise UsageError(f"unknown rule(s) {', '.join(unknown)}: the rules are {', '.join(RULES)}")
    out_root = out_folder(out_root)
    rows = dropped_claims(out_root, provinces)
    table = Table("province", "claim", "measures", "rule", "why", title=escape(f"Claims not printed in {display_path(out_root)}"))
    shown = 0
    for slug, d in rows:
        for r in d["rules"]:
            if rules and r["rule"] not in rules:
                continue
            claim = d["claim"]
            table.add_row(
                escape(slug),
                escape(f"{claim.get('kind', '')} ({claim.get('variant', '')})"),
                escape(", ".join(claim.get("measure_ids", [])[:4]) + (" ..." if len(claim.get("measure_ids", [])) > 4 else "")),
                escape(r["rule"]),
                escape(r["why"]),
            )
            shown += 1
    if shown:
        out.print(table)
    out.print(f"{shown} rule break(s) in {len({s for s, _ in rows})} briefing(s); none of these claims is printed")


def dropped_claims(out_root: Path, provinces: tuple[str, ...] = ()) -> list[tuple[str, dict[str, Any]]]:
    """(province, dropped claim) for every briefing in OUT (results.json, as the build wrote it)."""
    import json

    from .execute import RESULTS_FILE
    from .results import expand_claims

    found = []
    folders = [out_root / s for s in provinces] if provinces else sorted(p.parent for p in out_root.glob(f"*/{RESULTS_FILE}"))
    for folder in folders:
        if folder.name.startswith(".") or folder.name == "overview":
            continue
        path = folder / RESULTS_FILE
        if not path.is_file():
            raise UsageError(f"no briefing for {folder.name} in {display_path(out_root)}: build it first")
        try:
            results = json.loads(path.read_text(encoding="utf-8"))
            # the dropped claims' measures, as the analysis listed them (stored by reference)
            dropped = expand_claims({"comparisons": results.get("comparisons", []), "dropped": results.get("dropped", [])})
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise UsageError(f"{display_path(path)} cannot be read ({exc}): build again") from None
        found += [(folder.name, d) for d in dropped["dropped"] if isinstance(d, dict)]
    return found


@cli.command()
@click.option("--province", "provinces", multiple=True, help="Province slug (repeatable) [default: every province built].")
@OUT_OPTION
@REVIEW_OPTION
@reports_errors
def proof(provinces: tuple[str, ...], out_root: Path | None, review_file: Path | None) -> None:
    """Proof sheets: every claim each briefing prints beside its source clauses, in both
    languages (OUT/proof/<slug>.html|.pdf, and OUT/proof/proofs.pdf with them all)."""
    from .proof import build_proofs

    out_root, review_file = out_folder(out_root), review_record(review_file)
    result = build_proofs(current_project(), out_root, provinces, review=review_file if review_file.is_file() else None)
    out.print(
        f"[green]wrote[/] {escape(display_path(result.folder))}: {len(result.provinces)} proof sheet(s), "
        f"{result.claims} claims, and proofs.pdf"
    )


@cli.command()
@OUT_OPTION
@REVIEW_OPTION
@click.option("--lang", "langs", default="", help="Languages, comma separated [default: every language built].")
@click.option("--changed-first", is_flag=True, help="Put the provinces changed since the review first.")
@reports_errors
def pack(out_root: Path | None, review_file: Path | None, langs: str, changed_first: bool) -> None:
    """One PDF per language with every briefing: OUT/pack.<lang>.pdf (cover, contents, bookmarks)."""
    from .pack import build_pack, pack_languages

    out_root, review_file = out_folder(out_root), review_record(review_file)
    languages = _split(langs) or tuple(pack_languages(out_root))
    if not languages:
        raise UsageError(f"{display_path(out_root)} holds no briefing: build first")
    for lang in languages:
        result = build_pack(
            current_project(), out_root, lang, changed_first=changed_first, review=review_file if review_file.is_file() else None
        )
        out.print(
            f"[green]wrote[/] {escape(display_path(result.pdf))}: {result.provinces} briefing(s)"
            + (f", {result.changed} changed since the review" if result.changed else "")
        )


@cli.command()
@click.argument("out_root", metavar="OUT", type=click.Path(path_type=Path, file_okay=False))
@click.argument(
    "shards", metavar="SHARD...", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False, exists=True)
)
@FORCE_OPTION
@reports_errors
def merge(out_root: Path, shards: tuple[Path, ...], force: bool) -> None:
    """Merge the outputs of `briefings build --shard K/N` runs (every K of N) into OUT."""
    from .merge import merge as run_merge

    result = run_merge(current_project(), out_root, list(shards), force=force)
    out.print(
        f"[green]ok[/] merged {result.provinces} province(s) from {len(shards)} shard(s) into "
        f"{escape(display_path(out_root))} (build {escape(result.build_id)})"
    )


def main() -> None:
    # The interpreter's last collection, as it exits, walks every object a command made (the
    # validated dataset, pandas, the renderers): a fifth of a second after the work is done,
    # the longest step of a no-op build. By then the command has closed its files and its
    # workers are gone, so its objects are frozen out of that walk (gc.freeze).
    atexit.register(gc.freeze)
    cli()
