"""Malformed records are quarantined with file, line and reason; reruns and overlaps add nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmops.core.errors import IngestError
from llmops.ingest import ingest_file, ingest_paths
from llmops.lake.warehouse import connect
from tests.builders.paths import DATA

BASE = json.loads((DATA / "logs" / "litellm-standard-logging-payload.json").read_text())


def record(i: int, **changes: object) -> str:
    rec = {
        **BASE,
        "id": f"call-{i}",
        "startTime": 1_732_000_000 + 60 * i,
        "end_user": f"user-{i % 3}",
    }
    rec.update(changes)
    return json.dumps(rec)


def totals(settings) -> tuple[int, float, int]:
    con = connect(settings.lake_dir)
    try:
        calls, cost = con.execute("SELECT count(*), sum(cost_usd) FROM llm_calls").fetchone()
        bad = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    finally:
        con.close()
    return calls, round(cost or 0, 12), bad


@pytest.fixture
def dirty_file(tmp_path: Path) -> Path:
    no_model = json.loads(record(7))
    del no_model["model"]
    lines = [
        record(1),
        record(2),
        '{"id": "truncated", "model": "gpt-4o", "startTi',
        record(4, prompt_tokens="lots"),
        json.dumps(no_model),
        record(6, startTime="yesterday"),
        "",
        record(8, completion_tokens=-3),
        "not json at all",
        "[1, 2]",
        record(11),
    ]
    path = tmp_path / "dirty.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_malformed_records_are_quarantined_with_line_and_reason(settings, dirty_file: Path) -> None:
    result = ingest_file(dirty_file, settings)
    assert (result.records, result.accepted, result.quarantined) == (10, 3, 7)
    con = connect(settings.lake_dir)
    rows = con.sql(
        "SELECT source_line, reason, raw FROM quarantine ORDER BY source_line"
    ).fetchall()
    con.close()
    assert [(line, reason) for line, reason, _ in rows] == [
        (3, "not valid JSON"),
        (4, "field prompt_tokens: not an integer (lots)"),
        (5, "missing field model"),
        (6, "field startTime: not a timestamp (yesterday)"),
        (8, "field completion_tokens: negative count (-3)"),
        (9, "not valid JSON"),
        (10, "record is not a JSON object"),
    ]
    assert rows[0][2] == '{"id": "truncated", "model": "gpt-4o", "startTi'  # kept for repair
    assert sum(result.reasons.values()) == 7


def test_reingest_and_overlap_change_no_total(settings, dirty_file: Path, tmp_path: Path) -> None:
    ingest_file(dirty_file, settings)
    before = totals(settings)
    ingest_file(dirty_file, settings)  # same file again
    assert totals(settings) == before
    overlap = tmp_path / "redelivery.jsonl"  # another file repeating two of the same calls
    overlap.write_text(record(1) + "\n" + record(2) + "\n")
    ingest_file(overlap, settings)
    assert totals(settings) == before
    fresh = tmp_path / "more.jsonl"
    fresh.write_text(record(1) + "\n" + record(99) + "\n")
    ingest_file(fresh, settings)
    assert totals(settings)[0] == before[0] + 1


def test_csv_ragged_row_is_quarantined(settings, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "call_id,started_at,model,input_tokens,output_tokens\n"
        "a,2025-01-01T00:00:00Z,gpt-4o,1,1\n"
        "b,2025-01-01T00:00:00Z,gpt-4o,1\n"
        "c,not-a-date,gpt-4o,1,1\n"
    )
    result = ingest_file(path, settings)
    assert (result.accepted, result.quarantined) == (1, 2)
    assert result.reasons == {
        "row has 4 fields, the header has 5": 1,
        "field started_at: not a timestamp": 1,
    }


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "broken.json",
            '{"batch": [\n  {"type": "trace-create",\n',
            "line 3, column 1: invalid JSON",
        ),
        ("notes.txt", "hello", "unsupported file type '.txt'"),
        ("mystery.jsonl", '{"foo": 1}\n{"bar": 2}\n', "cannot tell the log format"),
    ],
)
def test_unreadable_file_is_a_clear_error_naming_it(
    settings, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(IngestError, match=str(path)) as err:
        ingest_file(path, settings)
    assert message in str(err.value)


def test_missing_path(settings, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        ingest_paths([tmp_path / "nope.jsonl"], settings)


def test_folder_ingest_skips_hidden_and_underscore(settings, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.jsonl").write_text(record(1) + "\n")
    (drop / "_planted.json").write_text("{}")
    (drop / ".partial.jsonl").write_text("garbage")
    results = ingest_paths([drop], settings)
    assert [Path(r.file).name for r in results] == ["a.jsonl"]


def test_user_ids_are_hashed_never_stored(settings, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(record(1, end_user="alice@example.com") + "\n")
    ingest_file(path, settings)
    lake_bytes = b"".join(
        p.read_bytes() for p in (settings.lake_dir / "llm_calls").glob("*.parquet")
    )
    assert b"alice@example.com" not in lake_bytes


def test_invalid_utf8_and_control_characters_are_quarantined_not_fatal(settings, tmp_path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(
        (record(1) + "\n").encode()
        + b'{"id": "x\xff\xfe", "broken\n'
        + b"\x1f\x1f stray unit separators\n"
        + (record(4) + "\r\n").encode()
    )
    result = ingest_file(path, settings)
    assert (result.accepted, result.quarantined) == (2, 2)
    con = connect(settings.lake_dir)
    lines = [r[0] for r in con.execute("SELECT source_line FROM quarantine ORDER BY 1").fetchall()]
    ids = [r[0] for r in con.execute("SELECT call_id FROM llm_calls ORDER BY 1").fetchall()]
    con.close()
    assert lines == [2, 3]
    assert ids == ["call-1", "call-4"]


def test_out_of_range_values_quarantine_their_record_and_the_rollup_still_runs(
    settings, tmp_path: Path
) -> None:
    """Issue 17: one poison timestamp crashed the whole file; one huge token count broke every
    later rollup; NaN / Infinity latency and cost were accepted."""
    from llmops.costs.rollup import run_rollup

    poison = [
        record(2, startTime="NaN"),
        record(3, startTime="Infinity"),
        record(4, startTime=-1e20),
        record(5, startTime=1e300),
        record(6, startTime="9999-01-01T00:00:00Z"),
        record(7, prompt_tokens=9223372036854775807),
        record(8, completion_tokens=1_000_000_000),
        record(9, response_time="NaN"),
        record(10, response_cost="Infinity"),
        record(11, response_cost=-0.5),
    ]
    path = tmp_path / "poison.jsonl"
    path.write_text("\n".join([record(1), *poison, record(12)]) + "\n")
    result = ingest_file(path, settings)
    assert (result.records, result.accepted, result.quarantined) == (12, 2, 10)
    con = connect(settings.lake_dir)
    rows = con.sql("SELECT source_line, reason FROM quarantine ORDER BY source_line").fetchall()
    con.close()
    reasons = dict(rows)
    for line in (2, 3, 4, 5, 6):
        assert reasons[line].startswith("field startTime: timestamp outside 1970-2200"), reasons
    assert reasons[7].startswith("field prompt_tokens: count of 10^9 or more")
    assert reasons[8].startswith("field completion_tokens: count of 10^9 or more")
    assert reasons[9].startswith("field response_time: not a finite non-negative number")
    assert reasons[10].startswith("field response_cost: not a finite non-negative number")
    assert reasons[11].startswith("field response_cost: not a finite non-negative number")
    rolled = run_rollup(settings)  # and again: the accepted rows never break a rollup
    assert run_rollup(settings) == rolled


def test_deeply_nested_json_is_quarantined_or_named_never_a_crash(settings, tmp_path: Path) -> None:
    """Issue 17: a RecursionError from nesting crashed the file (only ValueError was caught)."""
    deep = '{"model": ' + "[" * 100_000 + "]" * 100_000 + "}"
    lines = tmp_path / "deep.jsonl"
    lines.write_text("\n".join([deep, record(1), record(2)]) + "\n")
    result = ingest_file(lines, settings)
    assert (result.records, result.accepted, result.quarantined) == (3, 2, 1)
    document = tmp_path / "deep.json"
    document.write_text(deep)
    with pytest.raises(IngestError, match=f"{document}: JSON nested deeper"):
        ingest_file(document, settings)
