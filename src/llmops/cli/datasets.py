"""`llmops datasets`: list, show, diff, import, validate, curate golden datasets.

Heavy libraries (polars, Great Expectations, MLflow, Prefect) are imported inside the commands.
"""

from __future__ import annotations

import getpass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from llmops.cli.errors import fail

datasets_app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


class Mode(StrEnum):
    merge = "merge"
    replace = "replace"


def _store():
    from llmops.core.settings import get_settings
    from llmops.datasets.store import DatasetStore

    return DatasetStore(get_settings().datasets_dir)


@datasets_app.command("list")
def list_datasets() -> None:
    """Datasets in the store with their current version."""
    from rich.console import Console
    from rich.table import Table

    store = _store()
    table = Table("name", "current", "rows", "created", "approved by", "versions")
    for name in store.names():
        m = store.current(name)
        assert m is not None
        table.add_row(
            name,
            m.version,
            str(m.rows),
            f"{m.created:%Y-%m-%d %H:%M}",
            f"{m.approval.by} ({m.approval.method})",
            str(len(store.versions(name))),
        )
    Console().print(table)
    if not store.names():
        typer.echo(f"no datasets in {store.root}")


@datasets_app.command()
def show(
    ref: Annotated[str, typer.Argument(help="NAME or NAME@VERSION (a unique prefix is enough)")],
    items: Annotated[int, typer.Option(help="items to list")] = 10,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="print the version's JSONL")] = False,
) -> None:
    """A version's manifest summary and its first items."""
    import sys

    from rich.console import Console
    from rich.table import Table

    from llmops.datasets.errors import DatasetError
    from llmops.datasets.store import parse_ref

    try:
        name, version = parse_ref(ref)
        store = _store()
        m = store.resolve(name, version)
        if jsonl:
            sys.stdout.write(store.read_bytes(name, m.version).decode())
            return
        rows = store.items(name, m.version)
    except DatasetError as exc:
        fail(str(exc))
        return
    current = store.current(name)
    console = Console()
    a, c, v = m.approval, m.curation, m.validation
    console.print(
        f"[bold]{m.name}@{m.version}[/bold]{' (current)' if current and current.version == m.version else ''}"
        f"  parent {m.parent or '-'}  created {m.created:%Y-%m-%d %H:%M} UTC"
    )
    console.print(f"  rows {m.rows}  " + "  ".join(f"{k} {n}" for k, n in m.counts.items()))
    console.print(f"  approved by {a.by} ({a.method}) at {a.at:%Y-%m-%d %H:%M}: {a.comment}")
    console.print(
        f"  source {m.source.kind}/{m.source.mode}: "
        + ", ".join(f.path for f in m.source.files)
        + f"  schema v{m.schema_version}"
    )
    console.print(
        f"  validation: suite {v.suite}, {v.evaluated} rows, {v.quarantined} quarantined; "
        f"curation: {c.duplicates_removed} duplicates removed, {c.rows_scrubbed} rows scrubbed"
    )
    if m.lineage:
        console.print(f"  MLflow run {m.lineage.mlflow_run_id} ({m.lineage.mlflow_experiment})")
    table = Table("id", "kind", "tags", "question")
    for item in rows[:items]:
        tags = ", ".join(t for t in item.tags if not t.startswith("kind:"))
        table.add_row(item.id, item.kind, tags, item.question[:90])
    console.print(table)


@datasets_app.command()
def diff(
    a: Annotated[str, typer.Argument(help="NAME@A (the older version)")],
    b: Annotated[str, typer.Argument(help="NAME@B (default: current)")] = "",
    jsonl: Annotated[bool, typer.Option("--jsonl", help="unified diff of the JSONL files")] = False,
) -> None:
    """Items added, removed and changed from A to B."""
    from llmops.datasets.diff import diff_items, unified_jsonl_diff
    from llmops.datasets.errors import DatasetError
    from llmops.datasets.store import parse_ref

    try:
        name_a, ver_a = parse_ref(a)
        name_b, ver_b = parse_ref(b) if b else (name_a, None)
        store = _store()
        ma, mb = store.resolve(name_a, ver_a), store.resolve(name_b, ver_b)
        items_a, items_b = store.items(name_a, ma.version), store.items(name_b, mb.version)
    except DatasetError as exc:
        fail(str(exc))
        return
    label_a, label_b = f"{name_a}@{ma.version}", f"{name_b}@{mb.version}"
    if jsonl:
        for line in unified_jsonl_diff(items_a, items_b, label_a, label_b):
            typer.echo(line)
        return
    d = diff_items(items_a, items_b)
    typer.echo(
        f"{label_a} -> {label_b}: {len(d.added)} added, {len(d.removed)} removed, "
        f"{len(d.changed)} changed"
    )
    for item in d.added:
        typer.echo(f"+ {item.id}  {item.question[:100]}")
    for item in d.removed:
        typer.echo(f"- {item.id}  {item.question[:100]}")
    for ch in d.changed:
        typer.echo(f"~ {ch.id}  {', '.join(ch.fields)}")
        for f in ch.fields:
            typer.echo(f"    {f}: {str(ch.before[f])[:100]!r} -> {str(ch.after[f])[:100]!r}")


@datasets_app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="CSV, TSV, JSONL, JSON or Parquet files")],
    name: Annotated[str, typer.Option("--name", help="dataset name")],
    mapping: Annotated[
        Path | None,
        typer.Option(help="dataset.yaml with the column mapping (default: the dataset's own)"),
    ] = None,
    mode: Annotated[Mode, typer.Option(help="merge into or replace the current version")] = (
        Mode.merge
    ),
    replace: Annotated[bool, typer.Option("--replace", help="same as --mode replace")] = False,
    comment: Annotated[str, typer.Option(help="approval comment for the manifest")] = "",
    approver: Annotated[str | None, typer.Option(help="who approves (default: your login)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report only, write nothing")] = False,
    mlflow: Annotated[bool, typer.Option(help="log the new version to MLflow")] = True,
) -> None:
    """Curate files into a new version now, without Prefect (the pull request is the review)."""
    from datetime import UTC, datetime

    from rich.console import Console
    from rich.markdown import Markdown

    from llmops.core.settings import get_settings
    from llmops.datasets.config import load_config
    from llmops.datasets.curate import curate_files, write_curation_log
    from llmops.datasets.errors import DatasetError
    from llmops.datasets.manifest import Approval
    from llmops.datasets.report import candidate_report
    from llmops.datasets.store import parse_ref

    settings = get_settings()
    store = _store()
    try:
        parse_ref(name)
        config_path = mapping or store.config_path(name)
        cfg = load_config(config_path)
        chosen = Mode.replace if replace else mode
        candidate = curate_files(
            store, name, files, cfg, mode=chosen.value, config_path=config_path
        )
    except DatasetError as exc:
        fail(str(exc))
        return
    report = candidate_report(candidate)
    console = Console()
    console.print(Markdown(report))
    if candidate.unchanged:
        typer.echo(f"{name}@{candidate.version} is already current; nothing written")
        return
    if dry_run or not candidate.items:
        typer.echo(
            f"candidate {name}@{candidate.version} not written ({'dry run' if dry_run else 'empty'})"
        )
        return
    approval = Approval(
        by=approver or getpass.getuser(),
        at=datetime.now(UTC).replace(microsecond=0),
        method="cli",
        comment=comment or "imported with `llmops datasets import`; reviewed in the pull request",
    )
    manifest = candidate.manifest(approval, kind="import", flow_run_id=None)
    try:
        folder = store.write_version(manifest, candidate.data)
    except DatasetError as exc:
        fail(str(exc))
        return
    if candidate.config_yaml:
        store.write_config(name, candidate.config_yaml)
    write_curation_log(settings.home, candidate, report)
    typer.echo(f"wrote {name}@{manifest.version} ({manifest.rows} items) to {folder}")
    if mlflow:
        from llmops.datasets.lineage import log_version

        lineage = log_version(
            settings.mlflow_uri,
            settings.home / "mlartifacts",
            manifest,
            candidate.items,
            store.archive_path(name, manifest.version),
            report,
        )
        store.set_lineage(name, manifest.version, lineage)
        typer.echo(f"MLflow run {lineage.mlflow_run_id} (experiment {lineage.mlflow_experiment})")


@datasets_app.command()
def validate(
    ref: Annotated[str, typer.Argument(help="NAME or NAME@VERSION")],
    mapping: Annotated[
        Path | None, typer.Option(help="dataset.yaml (default: the dataset's)")
    ] = None,
) -> None:
    """Run the dataset's Great Expectations suite on a stored version (exit 1 on failures)."""
    from rich.console import Console
    from rich.table import Table

    from llmops.datasets.config import load_config
    from llmops.datasets.errors import DatasetError
    from llmops.datasets.store import parse_ref
    from llmops.datasets.validation import validate_rows

    try:
        name, version = parse_ref(ref)
        store = _store()
        m = store.resolve(name, version)
        cfg = load_config(mapping or store.config_path(name))
        rows = [
            i.model_dump() | {"_origin": f"{name}@{m.version}:{i.id}"}
            for i in store.items(name, m.version)
        ]
        _, failed, summary = validate_rows(name, rows, cfg.validation)
    except DatasetError as exc:
        fail(str(exc))
        return
    console = Console()
    table = Table("check", "expectation", "column", "failed", title=f"{name}@{m.version}")
    for ck in summary.checks:
        table.add_row(ck.check, ck.expectation, ck.column, str(ck.failed))
    console.print(table)
    for r in failed:
        console.print(f"  {r.id}: {'; '.join(r.reasons)}")
    console.print(
        f"{summary.evaluated} items, {summary.passed} pass, {summary.quarantined} fail "
        f"(Great Expectations {summary.engine_version})"
    )
    if failed:
        raise typer.Exit(1)


@datasets_app.command()
def curate(
    files: Annotated[list[Path], typer.Argument(help="raw files to curate")],
    name: Annotated[str, typer.Option("--name", help="dataset name")],
    mapping: Annotated[Path | None, typer.Option(help="dataset.yaml with the mapping")] = None,
    mode: Annotated[Mode, typer.Option(help="merge into or replace the current version")] = (
        Mode.merge
    ),
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="approve without a reviewer (CI)")
    ] = False,
) -> None:
    """Run the golden-curation Prefect flow (pauses for review in the Prefect UI)."""
    from flows.golden_curation import golden_curation

    result = golden_curation(
        name=name,
        sources=[str(f.resolve()) for f in files],
        config=str(mapping.resolve()) if mapping else None,
        mode=mode.value,
        auto_approve=auto_approve,
    )
    for line in result.where_to_look():
        typer.echo(line)
