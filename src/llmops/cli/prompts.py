"""`llmops prompts`: list, show, sync, promote, roll back and inspect versioned prompts.

Prompt files live in `prompts/` (setting prompts_dir); versions live in MLflow's prompt registry
with the aliases `champion` (what production uses) and `candidate`. MLflow and Jinja are imported
inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmops.cli.errors import fail

if TYPE_CHECKING:
    from rich.console import Console

    from llmops.prompts import PromptRegistry, PromptSpec, RegisteredPrompt

prompts_app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


def _registry() -> PromptRegistry:
    from llmops.core.settings import get_settings
    from llmops.prompts import PromptRegistry

    return PromptRegistry(get_settings())


def _short(value: str | None, n: int = 12) -> str:
    return value[:n] if value else "-"


def _label(p: RegisteredPrompt | None) -> str:
    return f"v{p.version} ({p.content_hash})" if p is not None else "none"


def _file_specs(prompts_dir: Path) -> dict[str, PromptSpec]:
    """Prompt files by name; an unreadable folder or file is an error (exit 2)."""
    from llmops.prompts import load_specs

    return {s.name: s for s in load_specs(prompts_dir)} if prompts_dir.is_dir() else {}


@prompts_app.command("list")
def list_prompts() -> None:
    """Registered prompts, where champion and candidate point, and whether the file matches."""
    from rich.console import Console
    from rich.table import Table

    from llmops.core.errors import LlmopsError
    from llmops.prompts import content_hash

    registry = _registry()
    try:
        files = _file_specs(registry.settings.prompts_dir)
        summaries = {s.name: s for s in registry.list()}
    except LlmopsError as exc:
        fail(str(exc))
        return
    table = Table("prompt", "champion", "candidate", "versions", "model", "file")
    for name in sorted(set(files) | set(summaries)):
        s = summaries.get(name)
        spec = files.get(name)
        digest = content_hash(spec) if spec is not None else None
        if s is None:
            table.add_row(name, "-", "-", "0", spec.model if spec else "-", "not synced")
            continue
        if digest is None:
            state = "no file"
        elif digest == s.champion_hash:
            state = "= champion"
        elif digest == s.candidate_hash:
            state = "= candidate"
        else:
            state = f"changed {digest[:8]} (run sync)"
        table.add_row(
            name,
            f"v{s.champion} {_short(s.champion_hash, 8)}" if s.champion else "-",
            f"v{s.candidate} {_short(s.candidate_hash, 8)}" if s.candidate else "-",
            str(s.versions),
            s.model or "-",
            state,
        )
    console = Console()
    console.print(table)
    if not files and not summaries:
        console.print(f"no prompts in {registry.settings.prompts_dir} or {registry.tracking_uri}")


def _parse_vars(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs; a value that parses as JSON (a list, a number) is used as such."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            fail(f"--var {pair!r}: expected NAME=VALUE")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def _item_vars(spec: PromptSpec, item: str) -> dict[str, Any]:
    """Variables from an item (index or id) of the prompt's first dataset."""
    from llmops.core.settings import get_settings
    from llmops.datasets.store import DatasetStore, parse_ref
    from llmops.prompts import PromptError

    if not spec.datasets:
        raise PromptError(f"prompt {spec.name} declares no datasets to take --item from")
    name, version = parse_ref(spec.datasets[0])
    rows = DatasetStore(get_settings().datasets_dir).items(name, version)
    chosen = next((r for r in rows if r.id == item), None)
    if chosen is None and item.isdigit() and int(item) < len(rows):
        chosen = rows[int(item)]
    if chosen is None:
        raise PromptError(
            f"dataset {spec.datasets[0]}: no item {item!r} (id or 0..{len(rows) - 1})"
        )
    data = chosen.model_dump()
    missing = [v for v in spec.variables if v not in data]
    if missing:
        raise PromptError(f"dataset {name} items have no field(s) {', '.join(missing)}")
    return {v: data[v] for v in spec.variables}


def _print_spec(console: Console, spec: PromptSpec, values: dict[str, Any] | None) -> None:
    """Model, params, datasets, schema, then each message (rendered when values are given)."""
    from rich.panel import Panel
    from rich.text import Text

    from llmops.prompts import render

    console.print(f"  model alias  {spec.model}   params {json.dumps(spec.params)}")
    console.print(f"  variables    {', '.join(spec.variables) or '-'}")
    console.print(f"  datasets     {', '.join(spec.datasets) or '-'}")
    if spec.description:
        console.print(f"  description  {spec.description}")
    if spec.output_schema is not None:
        console.print("  output schema (response_format json_schema):")
        console.print(Text(json.dumps(spec.output_schema, indent=2)), style="dim")
    messages = (
        render(spec, values) if values is not None else [m.model_dump() for m in spec.messages]
    )
    what = "rendered" if values is not None else "template"
    for m in messages:
        console.print(Panel(Text(m["content"]), title=f"{m['role']} ({what})", title_align="left"))


@prompts_app.command()
def show(
    ref: Annotated[str, typer.Argument(help="NAME or NAME@REF (champion, candidate, 3, hash)")],
    file: Annotated[
        bool, typer.Option("--file", help="show the file in prompts_dir, not the registry")
    ] = False,
    var: Annotated[
        list[str] | None, typer.Option("--var", help="render with NAME=VALUE (JSON values ok)")
    ] = None,
    item: Annotated[
        str | None, typer.Option(help="render with this item (id or index) of its dataset")
    ] = None,
) -> None:
    """A prompt version: hash, git commit, aliases, model, params and its messages."""
    from rich.console import Console

    from llmops.core.errors import LlmopsError
    from llmops.core.settings import get_settings
    from llmops.prompts import content_hash, git_commit, load_spec, parse_ref, spec_path

    console = Console()
    try:
        name, version = parse_ref(ref)
        if file:
            if version:
                fail("--file shows the file on disk: give NAME without @REF")
            spec = load_spec(spec_path(get_settings().prompts_dir, name))
            commit = git_commit(spec.source) if spec.source else None
            console.print(
                f"[bold]{name}[/bold] file {spec.source}  hash {content_hash(spec)}  "
                f"commit {_short(commit)}"
            )
        else:
            p = _registry().resolve(name, version)
            spec = p.spec
            when = f"{p.registered_at:%Y-%m-%d %H:%M} UTC" if p.registered_at else "-"
            console.print(
                f"[bold]{p.name}[/bold] v{p.version}  hash {p.content_hash}  "
                f"commit {_short(p.git_commit)}  aliases {', '.join(p.aliases) or '-'}  "
                f"registered {when}"
            )
        values = _parse_vars(var) if var else None
        if item is not None:
            values = {**_item_vars(spec, item), **(values or {})}
        _print_spec(console, spec, values)
    except LlmopsError as exc:
        fail(str(exc))


@prompts_app.command()
def sync(
    prompts_dir: Annotated[
        Path | None, typer.Option("--dir", help="prompt folder (default: setting prompts_dir)")
    ] = None,
) -> None:
    """Register changed prompt files in MLflow (new prompt: champion; changed: candidate)."""
    from rich.console import Console
    from rich.table import Table

    from llmops.core.errors import LlmopsError

    registry = _registry()
    try:
        synced = registry.sync_all(prompts_dir)
    except LlmopsError as exc:
        fail(str(exc))
        return
    table = Table("prompt", "version", "hash", "result", "aliases", "commit")
    for p in synced:
        if not p.created:
            result = "unchanged"
        elif "champion" in p.aliases:
            result = "registered (champion)"
        else:
            result = "registered (candidate)"
        table.add_row(
            p.name,
            f"v{p.version}",
            p.content_hash,
            result,
            ", ".join(p.aliases) or "-",
            _short(p.git_commit),
        )
    console = Console()
    console.print(table)
    new = sum(p.created for p in synced)
    console.print(f"{len(synced)} prompt(s), {new} new version(s) in {registry.tracking_uri}")


@prompts_app.command()
def promote(
    ref: Annotated[str, typer.Argument(help="NAME (its candidate) or NAME@VERSION")],
) -> None:
    """Move the `champion` alias to the candidate (or the given version)."""
    from llmops.core.errors import LlmopsError
    from llmops.prompts import parse_ref

    try:
        name, version = parse_ref(ref)
        registry = _registry()
        number = registry.resolve(name, version).version if version else None
        old, new = registry.promote(name, number)
    except LlmopsError as exc:
        fail(str(exc))
        return
    if old is not None and old.version == new.version:
        typer.echo(f"{name}: {_label(new)} is already champion")
    else:
        typer.echo(f"{name}: champion {_label(old)} -> {_label(new)}")


@prompts_app.command()
def rollback(name: Annotated[str, typer.Argument(help="prompt name")]) -> None:
    """Move the `champion` alias back to the previous champion."""
    from llmops.core.errors import LlmopsError

    try:
        old, new = _registry().rollback(name)
    except LlmopsError as exc:
        fail(str(exc))
        return
    typer.echo(f"{name}: champion rolled back {_label(old)} -> {_label(new)}")


@prompts_app.command()
def history(name: Annotated[str, typer.Argument(help="prompt name")]) -> None:
    """Every version of a prompt and the champion history."""
    from rich.console import Console
    from rich.table import Table

    from llmops.core.errors import LlmopsError

    registry = _registry()
    try:
        versions = registry.history(name)
        champions = registry.champion_history(name)
    except LlmopsError as exc:
        fail(str(exc))
        return
    table = Table("version", "hash", "aliases", "commit", "registered", "model", "params")
    for p in versions:
        when = f"{p.registered_at:%Y-%m-%d %H:%M}" if p.registered_at else "-"
        table.add_row(
            f"v{p.version}",
            p.content_hash,
            ", ".join(p.aliases) or "-",
            _short(p.git_commit),
            when,
            p.spec.model,
            json.dumps(p.spec.params),
        )
    console = Console()
    console.print(table)
    console.print("champions: " + (" -> ".join(f"v{v}" for v in champions) or "-"))
