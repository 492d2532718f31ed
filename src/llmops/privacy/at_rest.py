"""What the lake keeps at rest: every Parquet file under a folder decoded (the files are
compressed: grepping bytes proves nothing), every string cell and key-value metadata searched."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow.parquet as pq
from pydantic import BaseModel


class AtRest(BaseModel):
    """Parquet files and string cells decoded, and the (file, value) pairs found in them; files
    under the input folders (the application's own logs, which llmops reads and never rewrites)
    are counted apart."""

    files: int
    strings: int
    hits: list[tuple[str, str]]
    input_files: int = 0
    input_hits: list[tuple[str, str]] = []


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def file_strings(path: Path) -> list[str]:
    """Every string a Parquet file holds (nested cells walked) and its metadata values."""
    table = pq.read_table(path)
    out = [s for row in table.to_pylist() for s in _strings(row)]
    meta = table.schema.metadata or {}
    out += [v.decode(errors="replace") for v in meta.values()]
    return out


def find_at_rest(root: Path, values: Iterable[str], inputs: Iterable[Path] = ()) -> AtRest:
    """Which of `values` any Parquet file under `root` still holds, decoded (files under
    `inputs` reported apart)."""
    wanted = sorted(set(values))
    skip = [p.resolve() for p in inputs]
    result = AtRest(files=0, strings=0, hits=[])
    for path in sorted(root.rglob("*.parquet")):
        cells = file_strings(path)
        text = "\n".join(cells)
        found = [(str(path.relative_to(root)), v) for v in wanted if v in text]
        if any(path.resolve().is_relative_to(p) for p in skip):
            result.input_files += 1
            result.input_hits += found
            continue
        result.files += 1
        result.strings += len(cells)
        result.hits += found
    return result
