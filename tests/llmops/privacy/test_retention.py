"""Text retention: with the default `redact`, no planted PII or secret value is left in any Parquet
file under the home (decoded, every string cell, nested ones too); `keep_days` waits, `keep`
keeps; the rewrite is idempotent, keeps findings and totals, and hashes quarantined user ids."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llmops.audit.report import retention_sentence
from llmops.audit.run import run_audit
from llmops.core.settings import get_settings
from llmops.lake.warehouse import connect
from llmops.privacy.at_rest import file_strings, find_at_rest
from llmops.privacy.retention import apply_retention, hash_user_ids
from llmops.privacy.target import user_hash
from tests.builders.audit import DemoLake, build_demo_lake
from tests.builders.home import Populated, session_home


def decoded_strings(root: Path) -> dict[Path, list[str]]:
    """Per Parquet file under root: every string it holds, decoded (the files are compressed)."""
    return {path: file_strings(path) for path in sorted(root.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory, prefect_server, simulator) -> Populated:
    """The session's filled home: ingest, rollup, audit, model watch and eval runs (as the demo)."""
    return session_home(tmp_path_factory.getbasetemp(), simulator)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoLake:
    return build_demo_lake(tmp_path_factory.getbasetemp())


def test_no_planted_value_is_left_in_any_parquet_file_of_the_home(populated: Populated) -> None:
    planted = populated.manifest.planted_values
    assert len(planted) >= 10
    files = decoded_strings(populated.home)
    tables = {p.parent.name for p in files}
    assert {"llm_calls", "findings", "quarantine", "audits"} <= tables, tables
    assert sum(len(s) for s in files.values()) > 10_000
    for path, strings in files.items():
        for value in planted:
            hits = [s for s in strings if value in s]
            assert not hits, (str(path.relative_to(populated.home)), value)


def test_the_redacted_lake_keeps_findings_totals_and_placeholders(demo: DemoLake) -> None:
    raw = connect(demo.raw_lake)
    now = connect(demo.snapshot)
    q = "SELECT count(*), round(sum(cost_usd), 9), sum(input_tokens) FROM llm_calls"
    f = "SELECT count(*), count(DISTINCT finding_id) FROM findings"
    try:
        assert now.execute(q).fetchone() == raw.execute(q).fetchone()
        assert now.execute(f).fetchone() == raw.execute(f).fetchone()
        (placeholders,) = now.execute(
            "SELECT count(*) FROM llm_calls WHERE input_text LIKE '%[EMAIL]%'"
        ).fetchone()
    finally:
        raw.close()
        now.close()
    assert placeholders > 0
    assert demo.result.retention is not None and demo.result.retention.rows.get("llm_calls", 0) > 0


def _copy(demo: DemoLake, tmp_path: Path, **settings):
    s = get_settings(home=tmp_path / "home", user_hash_key="test-key", **settings)
    shutil.copytree(demo.raw_lake, s.lake_dir)
    return s


def _digests(lake: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in lake.rglob("*.parquet")}


def test_redact_is_idempotent_and_a_new_audit_scans_nothing_again(
    demo: DemoLake, tmp_path: Path
) -> None:
    settings = _copy(demo, tmp_path)
    first = apply_retention(settings)
    assert first.policy == "redact" and first.rows["llm_calls"] > 0 and first.files > 0
    assert first.rows.get("quarantine", 0) > 0
    before = _digests(settings.lake_dir)
    again = apply_retention(settings)
    assert again.rows == {} and again.files == 0
    assert _digests(settings.lake_dir) == before
    audit = run_audit(settings)  # the rewrite is not a re-ingest: nothing to audit again
    assert audit.audited == [] and audit.already_audited > 0
    assert "`redact`" in retention_sentence(first) and "placeholder" in retention_sentence(first)


def test_keep_days_waits_and_keep_keeps(demo: DemoLake, tmp_path: Path) -> None:
    last = datetime(2025, 3, 10, 23, 59, tzinfo=UTC)  # the simulated traffic's last day
    waiting = _copy(demo, tmp_path / "a", text_retention={"keep_days": 30})
    early = apply_retention(waiting, now=last + timedelta(days=5))
    assert early.policy == "keep_days: 30" and early.rows.get("llm_calls", 0) == 0
    partly = apply_retention(waiting, now=datetime(2025, 3, 5, tzinfo=UTC) + timedelta(days=30))
    later = apply_retention(waiting, now=last + timedelta(days=31))
    assert partly.rows["llm_calls"] > 0 and later.rows["llm_calls"] > 0
    assert apply_retention(waiting, now=last + timedelta(days=40)).files == 0
    con = connect(waiting.lake_dir)
    try:
        planted = demo.manifest.planted_values
        texts = [t for (t,) in con.execute("SELECT input_text FROM llm_calls").fetchall() if t]
    finally:
        con.close()
    assert not [v for v in planted if any(v in t for t in texts)]

    kept = _copy(demo, tmp_path / "b", text_retention="keep")
    before = _digests(kept.lake_dir)
    result = apply_retention(kept)
    assert result.policy == "keep" and result.files == 0 and _digests(kept.lake_dir) == before
    assert "keeps raw call text" in retention_sentence(result)


def test_quarantined_records_get_user_ids_hashed_as_llm_calls_does() -> None:
    key = b"k"
    h = user_hash("alice@example.com", key)
    record = json.dumps({"user_id": "alice@example.com", "n": 1, "meta": {"userId": "bob"}})
    assert json.loads(hash_user_ids(record, key)) == {
        "user_id": h,
        "n": 1,
        "meta": {"userId": user_hash("bob", key)},
    }
    otel = json.dumps({"attributes": [{"key": "user.id", "value": {"stringValue": "carol"}}]})
    attr = json.loads(hash_user_ids(otel, key))["attributes"][0]
    assert attr == {"key": "user.id", "value": {"stringValue": user_hash("carol", key)}}
    broken = '{"user_id": "dave", "input_tokens": 12'  # truncated: hashed textually
    assert (
        hash_user_ids(broken, key) == f'{{"user_id": "{user_hash("dave", key)}", "input_tokens": 12'
    )
    assert hash_user_ids(json.dumps({"user_id": h}), key) == json.dumps({"user_id": h})  # once


def test_a_failed_rewrite_leaves_the_file_as_it_was(
    demo: DemoLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops.privacy import rewrite

    settings = _copy(demo, tmp_path)
    before = {p: p.read_bytes() for p in (settings.lake_dir / "llm_calls").glob("*.parquet")}

    def disk_full(table, where, **_):
        Path(where).write_bytes(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(rewrite.pq, "write_table", disk_full)
    with pytest.raises(OSError, match="disk full"):
        apply_retention(settings)
    monkeypatch.undo()
    assert {p: p.read_bytes() for p in before} == before
    assert not [p for p in settings.lake_dir.rglob("*") if p.name.endswith(".tmp")]
    assert apply_retention(settings).rows["llm_calls"] > 0  # the rerun finishes the job
    assert os.listdir(settings.lake_dir / "llm_calls")


def test_find_at_rest_decodes_nested_cells_and_sets_inputs_apart(tmp_path: Path) -> None:
    lake, drop = tmp_path / "lake", tmp_path / "drop"
    lake.mkdir()
    drop.mkdir()
    nested = pa.table({"a": [[{"k": "x jane@example.org y"}]], "n": [1]})
    pq.write_table(nested, lake / "t.parquet", compression="zstd")
    meta = pa.table({"n": [1]}).replace_schema_metadata({"note": "call 555 0134 or a@b.org"})
    pq.write_table(meta, lake / "m.parquet")
    assert "call 555 0134 or a@b.org" in file_strings(lake / "m.parquet")  # metadata too
    pq.write_table(pa.table({"s": ["4111 1111 1111 1111"]}), drop / "logs.parquet")
    found = find_at_rest(tmp_path, ["jane@example.org", "4111 1111 1111 1111", "absent"], [drop])
    assert found.hits == [("lake/t.parquet", "jane@example.org")] and found.files == 2
    assert found.input_hits == [("drop/logs.parquet", "4111 1111 1111 1111")]
