"""How every command group reports a user error: one red line on stderr, exit code 2."""

from __future__ import annotations

from typing import NoReturn

import typer


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `error: message` in red on stderr and exit with `code`."""
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code)
