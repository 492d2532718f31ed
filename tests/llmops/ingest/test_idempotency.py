"""Re-delivered and rotated files count each call and each bad record exactly once."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from llmops.ingest import FilesRefused, ingest_file, ingest_paths
from llmops.lake.warehouse import connect


def _generic(i: int) -> dict[str, object]:
    """An id-less generic record: it is identified by what it says."""
    return {
        "model": "gpt-4o-mini",
        "provider": "openai",
        "started_at": f"2026-11-0{1 + i % 9}T10:{i % 60:02d}:00Z",
        "input_tokens": 100 + i,
        "output_tokens": 20 + i,
        "input_text": f"question number {i}",
        "output_text": f"answer number {i}",
        "feature": "support-chat",
    }


def _count(settings, sql: str) -> int:
    con = connect(settings.lake_dir)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_redelivered_id_less_records_count_once_however_serialized(
    settings, tmp_path: Path
) -> None:
    records = [_generic(i) for i in range(40)]
    first = tmp_path / "delivery-1.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in records))
    # the retrying exporter sends the same 40 calls again: other key order, other whitespace
    rng = random.Random(7)
    again = []
    for r in records:
        keys = list(r)
        rng.shuffle(keys)
        again.append(json.dumps({k: r[k] for k in keys}, indent=None, separators=(" ,", ":  ")))
    second = tmp_path / "delivery-2.jsonl"
    second.write_text("\n".join(again) + "\r\n")
    ingest_file(first, settings)
    ingest_file(second, settings)
    assert _count(settings, "SELECT count(*) FROM llm_calls") == 40
    # and distinct calls that differ in one field stay distinct
    third = tmp_path / "delivery-3.jsonl"
    third.write_text(json.dumps({**records[0], "output_tokens": 999}) + "\n")
    ingest_file(third, settings)
    assert _count(settings, "SELECT count(*) FROM llm_calls") == 41


def test_a_rotated_file_keeps_every_quarantined_record_visible(settings, tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    good = json.dumps(_generic(1))
    path.write_text(f"{good}\nnot json (first file)\n")
    first = ingest_file(path, settings)
    # rotated: same path, new content, a bad record at the same line as before
    path.write_text(f"{json.dumps(_generic(2))}\n{{broken (second file)\n")
    second = ingest_file(path, settings)
    assert (first.quarantined, second.quarantined) == (1, 1)
    assert _count(settings, "SELECT sum(quarantined) FROM batches") == 2
    assert _count(settings, "SELECT count(*) FROM quarantine") == 2
    # re-ingesting the same bytes again adds nothing
    ingest_file(path, settings)
    assert _count(settings, "SELECT count(*) FROM quarantine") == 2


def test_folder_ingest_refuses_a_bad_file_by_name_and_ingests_the_rest(
    settings, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps(_generic(1)) + "\n")
    (folder / "b-unknown.jsonl").write_text(json.dumps({"what": "is this", "n": 1}) + "\n")
    (folder / "c.jsonl").write_text(json.dumps(_generic(2)) + "\n")
    (folder / "d-broken.json").write_text('{"batch": [')
    with pytest.raises(FilesRefused) as caught:
        ingest_paths([folder], settings)
    refused = {Path(r.file).name: r.reason for r in caught.value.refused}
    assert sorted(refused) == ["b-unknown.jsonl", "d-broken.json"]
    assert "cannot tell the log format" in refused["b-unknown.jsonl"]
    assert "line 1" in refused["d-broken.json"]
    assert [Path(b.file).name for b in caught.value.batches] == ["a.jsonl", "c.jsonl"]
    assert _count(settings, "SELECT count(*) FROM llm_calls") == 2
