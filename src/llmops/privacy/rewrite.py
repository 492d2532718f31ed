"""Rewrite one lake file without some rows: temp file, fsync, rename, fsync of the folder.

A crash at any point leaves the file as it was or as it is meant to be, never half written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from llmops.lake.files import atomic_path


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: pa.Table) -> None:
    """Replace `path` with `data` atomically and durably (the rename survives a power cut)."""
    with atomic_path(path) as tmp:
        pq.write_table(data, tmp, compression="zstd")
        _fsync(tmp)
    _fsync(path.parent)


def drop_rows(path: Path, select: Callable[[pa.Table], pa.ChunkedArray]) -> int:
    """Rewrite the file without the rows `select` marks (schema kept); returns rows removed.

    A file left with no rows stays as a zero-row file: batch files are how ingest knows a source
    file was already read, so deleting one would let a re-ingest bring the rows back.
    """
    data = pq.read_table(path)
    hit = select(data)
    removed = pc.sum(hit).as_py() or 0
    if removed:
        write_durably(path, data.filter(pc.invert(hit)))
    return removed
