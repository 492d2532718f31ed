"""`llmops deploy` and `llmops worker`: thin wrappers over the Prefect CLI for prefect.yaml."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_POOL = "llmops-local"


def prefect_executable() -> str:
    """The `prefect` next to this Python (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("prefect")
    return str(beside) if beside.exists() else "prefect"


def project_root(start: Path | None = None) -> Path:
    """The nearest checkout with prefect.yaml, from `start` (default: cwd), else the package's."""
    from llmops.core.paths import find_checkout

    here = (start or Path.cwd()).resolve()
    root = find_checkout(here)
    if root is None:
        typer.secho(f"error: no prefect.yaml in {here} or its parents", fg="red", err=True)
        raise typer.Exit(2)
    return root


def _show(cmd: list[str], root: Path) -> None:
    api = os.environ.get("PREFECT_API_URL") or "(PREFECT_API_URL unset: the Prefect profile's)"
    typer.echo(f"$ {shlex.join(cmd)}    # in {root}, API {api}")


def _run(cmd: list[str], root: Path) -> int:
    _show(cmd, root)
    try:
        # prefect.yaml's pull step uses {{ $PWD }}: it must be the checkout, not the shell's folder
        env = os.environ.copy() | {"PWD": str(root)}
        return subprocess.run(cmd, cwd=root, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 130


def deploy(
    pool: Annotated[str, typer.Option(help="process work pool to create when missing")] = (
        DEFAULT_POOL
    ),
    dry_run: Annotated[bool, typer.Option(help="print the commands, run nothing")] = False,
) -> None:
    """Register every deployment of prefect.yaml (`prefect --no-prompt deploy --all`)."""
    prefect, root = prefect_executable(), project_root()
    inspect = [prefect, "work-pool", "inspect", pool]
    create = [prefect, "work-pool", "create", pool, "--type", "process"]
    deploy_all = [prefect, "--no-prompt", "deploy", "--all"]
    if dry_run:
        _show(inspect, root)
        typer.echo(f"# if {pool!r} does not exist:")
        for cmd in (create, deploy_all):
            _show(cmd, root)
        return
    found = subprocess.run(inspect, cwd=root, env=os.environ.copy(), capture_output=True)
    if found.returncode != 0:
        typer.echo(f"work pool {pool!r} does not exist: creating it")
        if (code := _run(create, root)) != 0:
            raise typer.Exit(code)
    if (code := _run(deploy_all, root)) != 0:
        raise typer.Exit(code)


def worker(
    pool: Annotated[str, typer.Option(help="work pool to poll")] = DEFAULT_POOL,
    dry_run: Annotated[bool, typer.Option(help="print the command, run nothing")] = False,
) -> None:
    """Start a process worker that runs the deployments (`prefect worker start --pool ...`)."""
    cmd = [prefect_executable(), "worker", "start", "--pool", pool]
    root = project_root()
    if dry_run:
        _show(cmd, root)
        return
    raise typer.Exit(_run(cmd, root))
