"""Request bodies to Python values with limits: Content-Encoding (gzip, deflate), JSON nesting
depth, NDJSON; every failure is a `Refused` 4xx naming what is wrong."""

from __future__ import annotations

import json
import zlib
from typing import Any

from llmops.collector.errors import Refused

ENCODINGS = ("identity", "gzip", "x-gzip", "deflate")


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body decoded per Content-Encoding, refusing (413) past `limit` decoded bytes."""
    enc = (encoding or "identity").strip().lower()
    if enc in ("", "identity"):
        return body
    if enc not in ENCODINGS:
        raise Refused(415, f"Content-Encoding {enc!r} is not supported (gzip, deflate)", "encoding")
    wbits = 31 if enc in ("gzip", "x-gzip") else 15
    decoder = zlib.decompressobj(wbits)
    try:
        out = decoder.decompress(body, limit + 1)
        if len(out) > limit or decoder.unconsumed_tail:
            raise Refused(413, f"body is over {limit} bytes once decoded ({enc})", "too_large")
        out += decoder.flush()
    except zlib.error as exc:
        if enc == "deflate":  # raw deflate without the zlib header, as some clients send it
            try:
                return decompress_raw(body, limit)
            except zlib.error:
                pass
        raise Refused(400, f"body is not valid {enc} data: {exc}", "malformed") from exc
    if not decoder.eof:
        raise Refused(400, f"body is truncated {enc} data", "malformed")
    if len(out) > limit:
        raise Refused(413, f"body is over {limit} bytes once decoded ({enc})", "too_large")
    return out


def decompress_raw(body: bytes, limit: int) -> bytes:
    """Raw deflate (no zlib header)."""
    decoder = zlib.decompressobj(-15)
    out = decoder.decompress(body, limit + 1)
    if len(out) > limit or decoder.unconsumed_tail:
        raise Refused(413, f"body is over {limit} bytes once decoded (deflate)", "too_large")
    return out + decoder.flush()


def too_deep(value: Any, max_depth: int) -> bool:
    """True when arrays/objects nest deeper than `max_depth` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def load_json(body: bytes, max_depth: int, what: str = "body") -> Any:
    """One JSON document; 400 when it is not UTF-8 JSON or nests deeper than `max_depth`."""
    try:
        value = json.loads(body)
    except RecursionError as exc:
        raise Refused(400, f"{what} nests deeper than {max_depth} levels", "too_deep") from exc
    except UnicodeDecodeError as exc:
        raise Refused(
            400, f"{what} is not UTF-8 ({exc.reason} at byte {exc.start})", "malformed"
        ) from exc
    except json.JSONDecodeError as exc:
        raise Refused(
            400,
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "malformed",
        ) from exc
    if too_deep(value, max_depth):
        raise Refused(400, f"{what} nests deeper than {max_depth} levels", "too_deep")
    return value


def load_json_or_ndjson(body: bytes, max_depth: int) -> list[Any]:
    """A JSON array, one JSON value, or newline-delimited JSON values: the items as a list."""
    text = body.strip()
    if not text:
        raise Refused(400, "body is empty", "malformed")
    if text[:1] == b"[":
        value = load_json(text, max_depth)
        return value if isinstance(value, list) else [value]
    try:
        return [load_json(text, max_depth)]
    except Refused as whole:
        if whole.reason != "malformed" or b"\n" not in text:
            raise
    items = []
    for n, line in enumerate(text.split(b"\n"), start=1):
        if line.strip():
            items.append(load_json(line, max_depth, what=f"line {n}"))
    return items
