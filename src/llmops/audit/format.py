"""Output schemas for the audit's format detector: one registry lookup per (prompt, version).

A call's output is checked only when its (prompt_name, prompt_version) resolves to a registered
prompt version by version number (`3`, `v3`) or content-hash prefix, and that version declares
an output schema. Aliases (`champion`) and names alone are never trusted: an old call must not
be judged by a newer schema. Nothing here touches MLflow unless the batch names a prompt and the
registry database exists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow.parquet as pq
from pydantic import BaseModel

from llmops.core.settings import Settings

if TYPE_CHECKING:
    from llmops.prompts import RegisteredPrompt

_NUMBER = re.compile(r"^v?(\d+)$", re.IGNORECASE)
_HASH = re.compile(r"^[0-9a-f]{4,64}$")
_SEP = "\x1f"
KEY_COLUMNS = ("prompt_name", "prompt_version")


class FormatScope(BaseModel):
    """Which calls of one batch get a format check, and which could not be."""

    schemas: dict[str, str] = {}  # "name\x1fversion" -> schema JSON (only versions with one)
    checked: int = 0  # calls whose version resolved to one with an output schema
    unknown_version: int = 0  # calls of a registered prompt whose version did not resolve
    unknown_refs: list[str] = []  # those as name@version
    unregistered: int = 0  # calls whose prompt name is not registered

    @property
    def active(self) -> bool:
        """True when some call of the batch has a schema to check."""
        return bool(self.schemas)


def registry_available(settings: Settings) -> bool:
    """The prompt registry exists (opening a missing sqlite file would create and migrate it)."""
    uri = settings.mlflow_uri
    return not uri.startswith("sqlite:///") or Path(uri.removeprefix("sqlite:///")).is_file()


def prompt_refs(path: Path) -> pl.DataFrame:
    """Distinct (prompt_name, prompt_version) of a batch file with their call counts."""
    table = pq.read_table(path, columns=list(KEY_COLUMNS))
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return (
        frame.filter(pl.col("prompt_name").is_not_null() & (pl.col("prompt_name") != ""))
        .group_by(list(KEY_COLUMNS))
        .len("calls")
        .sort(list(KEY_COLUMNS), nulls_last=True)
    )


def exact_ref(ref: str | None) -> str | None:
    """The ref normalised when it names a version by number or hash prefix, else None."""
    if ref is None:
        return None
    ref = ref.strip().lower()
    return ref if _NUMBER.match(ref) or _HASH.match(ref) else None


def _resolves_exactly(rp: RegisteredPrompt, ref: str) -> bool:
    """The registry's answer really is that version number or content-hash prefix."""
    number = _NUMBER.match(ref)
    return (number is not None and rp.version == int(number.group(1))) or (
        _HASH.match(ref) is not None and rp.content_hash.startswith(ref)
    )


def schema_key(name: str, version: str) -> str:
    """The lookup key of a (prompt_name, prompt_version) pair."""
    return f"{name}{_SEP}{version}"


def resolve_scope(settings: Settings, refs: pl.DataFrame) -> FormatScope:
    """Resolve each distinct (name, version) once; a version that does not resolve is counted."""
    if refs.is_empty() or not registry_available(settings):
        return FormatScope()
    from llmops.prompts import PromptError, PromptRegistry
    from llmops.prompts.spec import NAME_PATTERN

    registry = PromptRegistry(settings)
    # a name MLflow cannot hold is not registered (and is not sent to MLflow)
    registered = {
        n: bool(re.match(NAME_PATTERN, n)) and registry.exists(n)
        for n in refs["prompt_name"].unique().to_list()
    }
    scope = FormatScope()
    for name, version, calls in refs.iter_rows():
        if not registered[name]:
            scope.unregistered += calls
            continue
        ref = exact_ref(version)
        resolved = None
        if ref is not None:
            try:
                resolved = registry.resolve(name, ref)
            except PromptError:
                resolved = None
            if resolved is not None and not _resolves_exactly(resolved, ref):
                resolved = None  # an alias that happens to look like a hash prefix
        if resolved is None:
            scope.unknown_version += calls
            scope.unknown_refs.append(f"{name}@{version if version is not None else '(none)'}")
        elif resolved.spec.output_schema is not None:
            scope.checked += calls
            scope.schemas[schema_key(name, version)] = json.dumps(
                resolved.spec.output_schema, sort_keys=True
            )
    return scope


def schema_column(frame: pl.DataFrame, scope: FormatScope) -> pl.Series:
    """Per row of a slice, the schema JSON of its prompt version (null: not checked)."""
    if not scope.active:
        return pl.Series("output_schema", [None] * frame.height, dtype=pl.Utf8)
    key = pl.concat_str([pl.col("prompt_name"), pl.col("prompt_version")], separator=_SEP)
    return frame.select(
        output_schema=key.replace_strict(scope.schemas, default=None, return_dtype=pl.Utf8)
    ).to_series()
