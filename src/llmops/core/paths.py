"""Where llmops finds its packaged data and, when it runs from one, its checkout.

Packaged data (guardrail models, lexicons, training lists) ships inside the wheel and is found
with importlib.resources. The checkout (prefect.yaml, flows/, datasets/, prompts/) is only there
when llmops runs from a clone: the deployments, the worker and the demo's sample data need it,
nothing else does.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from llmops.core.errors import LlmopsError


class CheckoutNotFound(LlmopsError):
    """An operation that needs the llmops checkout (prefect.yaml, datasets/) ran outside it."""


def package_path(*parts: str) -> Path:
    """A file or folder shipped inside the installed `llmops` package."""
    return Path(str(files("llmops").joinpath(*parts)))


def _is_checkout(folder: Path) -> bool:
    return (folder / "prefect.yaml").is_file() and (folder / "flows").is_dir()


def find_checkout(start: Path | None = None) -> Path | None:
    """The llmops checkout: the nearest folder with prefect.yaml and flows/ above `start` (if
    given), else above the installed package (an editable install lives in its checkout)."""
    bases = [start.resolve()] if start is not None else []
    bases.append(package_path())
    for base in bases:
        for folder in (base, *base.parents):
            if _is_checkout(folder):
                return folder
    return None


def checkout(purpose: str, start: Path | None = None) -> Path:
    """The checkout, or CheckoutNotFound naming what needed it."""
    found = find_checkout(start)
    if found is None:
        where = (
            f"{start} or its parents" if start is not None else "the installed package's folders"
        )
        raise CheckoutNotFound(
            f"{purpose} needs the llmops checkout (a folder with prefect.yaml and flows/); "
            f"none found in {where}: run it from a clone of the repository"
        )
    return found
