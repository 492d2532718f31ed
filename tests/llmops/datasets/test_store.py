"""The store: canonical JSONL, content-hash ids, versions, current pointer, stale parents."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from llmops.datasets.errors import DatasetError, StaleParentError
from llmops.datasets.manifest import Approval, Manifest, SourceInfo, ValidationSummary
from llmops.datasets.schema import Item, canonical_jsonl, canonical_line, version_id
from llmops.datasets.store import DatasetStore, gzip_bytes, parse_ref

A = Item(
    id="b",
    question="Q b?",
    reference_answer="A",
    contexts=["c"],
    source="s",
    metadata={"z": 1, "a": [2]},
)
B = Item(id="a", question="Q a?", reference_answer=None, tags=["kind:negative"], source="s")


def _manifest(data: bytes, parent: str | None) -> Manifest:
    return Manifest(
        name="qa",
        version=version_id(data),
        parent=parent,
        created=datetime.now(UTC),
        rows=data.count(b"\n"),
        source=SourceInfo(),
        approval=Approval(by="t", at=datetime.now(UTC), method="cli"),
        validation=ValidationSummary(suite="qa"),
    )


def test_canonical_form_is_order_independent_and_readable() -> None:
    data = canonical_jsonl([A, B])
    assert data == canonical_jsonl([B, A])
    first, second = data.decode().splitlines()
    assert first.startswith('{"id": "a", "question": "Q a?", "reference_answer": null')
    assert second.endswith('"metadata": {"a": [2], "z": 1}}')
    assert version_id(data) == hashlib.sha256(data).hexdigest()[:16]
    assert canonical_line(A) == canonical_line(A.model_dump())
    assert B.kind == "negative" and A.kind == "reference"


def test_write_read_resolve_and_stale_parent(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path)
    v1 = canonical_jsonl([A])
    store.write_version(_manifest(v1, None), v1)
    v2 = canonical_jsonl([A, B])
    m2 = _manifest(v2, version_id(v1))
    store.write_version(m2, v2)
    assert store.names() == ["qa"]
    assert store.current("qa").version == m2.version
    assert (tmp_path / "qa" / "items.jsonl").read_bytes() == v2
    assert gzip.decompress(store.archive_path("qa", version_id(v1)).read_bytes()) == v1
    assert gzip_bytes(v1) == gzip_bytes(v1)  # deterministic archive bytes
    assert store.items("qa", version_id(v1)[:6]) == [A]
    assert [m.version for m in store.versions("qa")] == [version_id(v1), m2.version]
    with pytest.raises(StaleParentError, match="moved"):
        store.write_version(_manifest(v1, version_id(v1)), v1)  # parent is no longer current
    with pytest.raises(DatasetError, match="not found"):
        store.resolve("qa", "ffffffff")
    with pytest.raises(DatasetError, match="lowercase"):
        parse_ref("Bad Name@x")
    assert parse_ref("qa@abcd") == ("qa", "abcd")


def test_tampered_checkout_falls_back_to_archive_and_bad_archive_raises(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path)
    data = canonical_jsonl([A, B])
    m = _manifest(data, None)
    store.write_version(m, data)
    (tmp_path / "qa" / "items.jsonl").write_text("edited by hand\n")
    assert store.items("qa") == [B, A]
    store.archive_path("qa", m.version).write_bytes(gzip_bytes(b"other\n"))
    with pytest.raises(DatasetError, match="content hash"):
        store.items("qa")
