"""OpenAI Batch output joined to its input file by custom_id, so its calls keep their prompts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from llmops.core.errors import IngestError
from llmops.ingest import readers
from llmops.ingest.formats import openai_batch

__all__ = ["join_batch_inputs"]


def join_batch_inputs(
    path: Path, chunks: Iterator[pa.Table], given: Path | None
) -> tuple[Iterator[pa.Table], str | None]:
    """Attach each Batch output record's request body (from its input file) as `_input`."""
    chunks = iter(list(chunks))  # a Batch output file is small (the API caps it at 200 MB)
    first = next(chunks, None)
    if first is None:
        return iter([]), None
    rest = list(chunks)
    wanted = _batch_keys([first, *rest])
    source = given.resolve() if given is not None else _paired_input(path, wanted)
    if source is None:
        return iter([first, *rest]), None
    inputs = openai_batch.load_inputs(source)
    joined = (openai_batch.with_inputs(c, inputs) for c in [first, *rest])
    return joined, str(source)


def _batch_keys(chunks: list[pa.Table]) -> dict[str, str]:
    """custom_id -> served model of each Batch output record ('' when it has none)."""
    keys: dict[str, str] = {}
    for chunk in chunks:
        for line in chunk["line"].to_pylist():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("custom_id"), str):
                response = rec.get("response")
                body = response.get("body") if isinstance(response, dict) else None
                body = body if isinstance(body, dict) else {}
                keys[rec["custom_id"]] = str(body.get("model") or "")
    return keys


def _fits(requested: dict[str, str], keys: dict[str, str]) -> bool:
    """Every output's request is in the input file (custom_id -> requested model), for the model
    it was served by (a snapshot of the requested name)."""
    for custom_id, served in keys.items():
        model = requested.get(custom_id)
        if model is None:
            return False
        if served and model and not served.startswith(model):
            return False
    return True


@lru_cache(maxsize=64)
def _inputs_of(path: Path, mtime_ns: int, size: int) -> dict[str, str] | None:
    """custom_id -> requested model of a Batch input file (None for any other file), read once
    per version of the file: a folder of N outputs and N inputs is paired in N reads, not N x N,
    and only the models are kept (the chosen file's bodies are read when it is joined)."""
    with path.open("rb") as fh:
        try:
            first = json.loads(fh.readline() or b"null")
        except ValueError:
            return None
    if not openai_batch.is_input_record(first):
        return None
    try:
        requests = openai_batch.load_inputs(path)
    except IngestError:
        return None  # a broken input file is no output's
    return {custom_id: str(body.get("model") or "") for custom_id, body in requests.items()}


def _paired_input(path: Path, wanted: dict[str, str]) -> Path | None:
    """The one Batch input file beside `path` holding the request of every output record (custom
    ids like `request-1` recur across batches, so the models must fit too)."""
    found = []
    for other in sorted(path.parent.iterdir()):
        if other == path or not other.is_file() or readers.inner_suffix(other) != ".jsonl":
            continue
        stat = other.stat()
        inputs = _inputs_of(other, stat.st_mtime_ns, stat.st_size)
        if inputs is not None and _fits(inputs, wanted):
            found.append(other)
    return found[0] if len(found) == 1 else None  # none or ambiguous: no prompts, still the calls
