"""`erase`: the user's rows leave every table and view, totals drop by exactly their share, the
erasure is recorded without the raw id, a rerun is a no-op, and a crash leaves files whole."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llmops.lake.warehouse import connect, view_sql
from llmops.privacy.erase import ErasureError, erase
from llmops.privacy.target import sha256, user_hash
from tests.builders.erase import ErasureHome

ROW_TABLES = ("llm_calls", "findings", "feedback", "feedback_ledger", "quarantine")


def _strings(table: pa.Table) -> list[str]:
    out: list[str] = []
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            out += [v for v in col.to_pylist() if v is not None]
    return out


def lake_strings(lake: Path) -> list[str]:
    """Every string cell of every Parquet file in the lake."""
    return [s for p in sorted(lake.rglob("*.parquet")) for s in _strings(pq.read_table(p))]


def view_strings(lake: Path) -> dict[str, list[str]]:
    """Every string cell of every warehouse view (tables and analyst views)."""
    con = connect(lake)
    try:
        return {v: _strings(con.sql(f"SELECT * FROM {v}").to_arrow_table()) for v in view_sql(lake)}
    finally:
        con.close()


def raw_rows(lake: Path, table: str) -> int:
    """Rows in a table's files (every copy, before the views deduplicate)."""
    return sum(pq.read_metadata(p).num_rows for p in (lake / table).glob("*.parquet"))


def totals(lake: Path) -> dict[str, float]:
    """Per view: the counts and sums an erasure must lower by exactly the user's share."""
    con = connect(lake)
    q = {
        "calls": "SELECT count(*) FROM llm_calls",
        "cost": "SELECT coalesce(sum(cost_usd), 0) FROM llm_calls",
        "input_tokens": "SELECT coalesce(sum(input_tokens), 0) FROM llm_calls",
        "output_tokens": "SELECT coalesce(sum(output_tokens), 0) FROM llm_calls",
        "findings": "SELECT count(*) FROM findings",
        "feedback": "SELECT count(*) FROM feedback",
        "feedback_ledger": "SELECT count(*) FROM feedback_ledger",
        "quarantine": "SELECT count(*) FROM quarantine",
        "feedback_quarantine": "SELECT count(*) FROM feedback_quarantine",
        "daily_cost.calls": "SELECT sum(calls) FROM daily_cost",
        "daily_cost.cost": "SELECT sum(cost_usd) FROM daily_cost",
        "daily_cost.input_tokens": "SELECT sum(input_tokens) FROM daily_cost",
        "daily_cost.output_tokens": "SELECT sum(output_tokens) FROM daily_cost",
        "hourly.calls": "SELECT sum(calls) FROM cost_rollup_hourly WHERE dimension = 'total'",
        "hourly.cost": "SELECT sum(cost_usd) FROM cost_rollup_hourly WHERE dimension = 'total'",
        "cost_by_prompt_version.calls": "SELECT sum(calls) FROM cost_by_prompt_version",
        "guardrail_daily.findings": "SELECT sum(findings) FROM guardrail_daily",
        "guardrail_weekly.findings": "SELECT sum(findings) FROM guardrail_weekly",
        "feedback_calls": "SELECT count(*) FROM feedback_calls",
        "feedback_rates.feedback": "SELECT sum(feedback) FROM feedback_rates",
        "batches.accepted": "SELECT sum(accepted) FROM batches",
        "batches.quarantined": "SELECT sum(quarantined) FROM batches",
        "batches.records": "SELECT sum(records) FROM batches",
        "audits.calls": "SELECT sum(calls) FROM audits",
        "audits.findings": "SELECT sum(findings) FROM audits",
        "quality_trend": "SELECT count(*) FROM quality_trend",
        "model_versions_seen": "SELECT count(*) FROM model_versions_seen",
    }
    try:
        return {k: float(con.execute(sql).fetchone()[0] or 0) for k, sql in q.items()}
    finally:
        con.close()


def user_share(lake: Path, h: str, raw_id: str) -> dict[str, float]:
    """The same figures over the user's rows alone (computed from the views, before erasing)."""
    con = connect(lake)
    con.execute("CREATE TEMP TABLE u AS SELECT * FROM llm_calls WHERE user_hash = ?", [h])
    con.execute(
        "CREATE TEMP TABLE fb AS SELECT * FROM feedback_calls WHERE user_hash = ? "
        "OR resolved_call_id IN (SELECT call_id FROM u) OR call_id IN (SELECT call_id FROM u)",
        [h],
    )
    quoted = json.dumps(raw_id)
    one = lambda sql, *p: float(con.execute(sql, list(p)).fetchone()[0] or 0)  # noqa: E731
    try:
        calls, cost = one("SELECT count(*) FROM u"), one("SELECT coalesce(sum(cost_usd), 0) FROM u")
        tokens_in = one("SELECT coalesce(sum(input_tokens), 0) FROM u")
        tokens_out = one("SELECT coalesce(sum(output_tokens), 0) FROM u")
        findings = one("SELECT count(*) FROM findings WHERE call_id IN (SELECT call_id FROM u)")
        feedback = one("SELECT count(*) FROM fb")
        rated = one(
            "SELECT count(*) FROM fb WHERE resolved_call_id IN (SELECT call_id FROM llm_calls)"
        )
        return {
            "calls": calls,
            "cost": cost,
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "findings": findings,
            "feedback": feedback,
            "feedback_ledger": one(
                "SELECT count(*) FROM feedback_ledger WHERE feedback_id IN "
                "(SELECT feedback_id FROM fb) OR call_id IN (SELECT call_id FROM u)"
            ),
            # quarantined raw records naming the user: raw id, or its hash once ingest hashes it
            "quarantine": one(
                "SELECT count(*) FROM quarantine WHERE contains(raw, ?) OR contains(raw, ?)",
                quoted,
                h,
            ),
            "feedback_quarantine": one(
                "SELECT count(*) FROM feedback_quarantine WHERE contains(raw, ?) OR contains(raw, ?)",
                quoted,
                h,
            ),
            "daily_cost.calls": calls,
            "daily_cost.cost": cost,
            "daily_cost.input_tokens": tokens_in,
            "daily_cost.output_tokens": tokens_out,
            "hourly.calls": calls,
            "hourly.cost": cost,
            "cost_by_prompt_version.calls": calls,
            "guardrail_daily.findings": findings,
            "guardrail_weekly.findings": findings,
            "feedback_calls": feedback,
            "feedback_rates.feedback": rated,
        }
    finally:
        con.close()


def file_digests(lake: Path) -> dict[str, str]:
    return {
        str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(lake.rglob("*"))
        if p.is_file()
    }


def test_erase_user_removes_exactly_their_rows_records_it_and_a_rerun_is_a_no_op(
    lake_settings, erase_home: ErasureHome
) -> None:
    lake, raw, h = lake_settings.lake_dir, erase_home.user_id, erase_home.user_hash
    assert user_hash(raw, lake_settings.user_key) == h
    before, share = totals(lake), user_share(lake, h, raw)
    rows_before = {t: raw_rows(lake, t) for t in (*ROW_TABLES, "feedback_quarantine")}
    # the user is really there: calls, findings, feedback (given and received), a ledger row,
    # quarantined raw records naming them, a redelivered copy of a call
    assert share["calls"] >= 10 and share["findings"] >= 1 and share["feedback"] >= 4
    assert share["feedback_ledger"] >= 1 and share["quarantine"] >= 1
    assert share["feedback_quarantine"] >= 1
    assert any(h in s for s in view_strings(lake)["llm_calls"])
    assert any(raw in s for s in lake_strings(lake))

    result = erase(lake_settings, "user", raw, by="privacy-officer")

    assert result.status == "erased" and result.id_form == "raw"
    after = totals(lake)
    for key, value in share.items():
        assert before[key] - after[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
    for key in ("quality_trend", "model_versions_seen"):
        assert after[key] == before[key]
    # rows removed per table are every copy in the files; the ledgers are recounted to match
    for table, rows in rows_before.items():
        assert rows - raw_rows(lake, table) == result.tables.get(table, 0), table
    assert result.tables["llm_calls"] > share["calls"]  # the redelivered copy went too
    assert before["batches.accepted"] - after["batches.accepted"] == result.tables["llm_calls"]
    assert (
        before["batches.quarantined"] - after["batches.quarantined"] == result.tables["quarantine"]
    )
    assert before["batches.records"] - after["batches.records"] == (
        result.tables["llm_calls"] + result.tables["quarantine"]
    )
    assert before["audits.calls"] - after["audits.calls"] == result.tables["llm_calls"]
    assert before["audits.findings"] - after["audits.findings"] == result.tables["findings"]
    assert {"batches", "audits", "cost_rollup_daily", "alerts"} <= set(result.recomputed)
    # gone from every table and view, and the raw id from every file of the lake
    for view, strings in view_strings(lake).items():
        assert not any(h in s for s in strings), view
    assert not any(raw in s for s in lake_strings(lake))
    con = connect(lake)
    try:
        (record,) = con.sql("SELECT * FROM erasures").to_arrow_table().to_pylist()
    finally:
        con.close()
    assert record["target_kind"] == "user" and record["erased_by"] == "privacy-officer"
    assert record["target_sha256"] == sha256(h) == result.target_sha256
    assert json.loads(record["tables"]) == result.tables
    assert record["rows_removed"] == result.rows
    # a rerun (raw or hashed id) changes no byte and records nothing
    digests = file_digests(lake)
    for given in (raw, h):
        again = erase(lake_settings, "user", given)
        assert again.status == "already_erased" and again.rows == 0 and not again.recomputed
        assert again.previous[0].erasure_id == record["erasure_id"]
    assert file_digests(lake) == digests


def test_erase_by_hashed_id_and_one_call(lake_settings, erase_home: ErasureHome) -> None:
    lake = lake_settings.lake_dir
    other = user_hash(erase_home.other_user_id, lake_settings.user_key)
    con = connect(lake)
    try:
        (call,) = con.execute(
            "SELECT call_id FROM llm_calls WHERE user_hash = ? AND call_id <> ? "
            "ORDER BY call_id LIMIT 1",
            [other, erase_home.other_call_id],
        ).fetchone()
    finally:
        con.close()
    before = totals(lake)
    one = erase(lake_settings, "call", erase_home.other_call_id)
    assert one.status == "erased" and one.tables["llm_calls"] == 1
    assert one.tables["feedback"] == 2  # the flag and the thumb up given on it
    assert totals(lake)["calls"] == before["calls"] - 1
    assert not any(erase_home.other_call_id in s for s in lake_strings(lake))
    assert erase(lake_settings, "call", erase_home.other_call_id).status == "already_erased"

    hashed = erase(lake_settings, "user", other)
    assert hashed.status == "erased" and hashed.id_form == "hashed"
    assert not any(other in s for strings in view_strings(lake).values() for s in strings)
    assert call not in {s for strings in view_strings(lake).values() for s in strings}
    with pytest.raises(ErasureError, match="no call 'no-such-call'"):
        erase(lake_settings, "call", "no-such-call")
    with pytest.raises(ErasureError, match="no user"):
        erase(lake_settings, "user", "no-such-user")


def _rounded(row: tuple) -> tuple:
    """Floats to 12 significant digits: sums over the same rows in another order may differ in
    the last bit."""
    return tuple(float(f"{x:.12g}") if isinstance(x, float) else x for x in row)


def _views(lake: Path) -> dict[str, list[tuple]]:
    con = connect(lake)
    try:
        return {
            v: [_rounded(r) for r in con.execute(f"SELECT * FROM {v} ORDER BY ALL").fetchall()]
            for v in view_sql(lake)
            if v != "erasures"
        }
    finally:
        con.close()


def test_a_crash_leaves_every_file_old_or_new_and_a_rerun_finishes(
    lake_settings, erase_home: ErasureHome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from llmops.privacy import erase as erase_module
    from tests.builders.erase import settings_for

    lake, raw = lake_settings.lake_dir, erase_home.user_id
    clean = settings_for(tmp_path / "clean")
    shutil.copytree(lake, clean.lake_dir)
    erase(clean, "user", raw)  # what an uninterrupted erasure leaves
    old = {p.name + p.parent.name: pq.read_table(p) for p in lake.rglob("*.parquet")}
    new = {p.name + p.parent.name: pq.read_table(p) for p in clean.lake_dir.rglob("*.parquet")}

    real, calls = erase_module.drop_rows, []

    def crash_on_fourth(path, select):
        calls.append(path)
        if len(calls) == 4:
            raise OSError("power cut")
        return real(path, select)

    monkeypatch.setattr(erase_module, "drop_rows", crash_on_fourth)
    with pytest.raises(OSError, match="power cut"):
        erase(lake_settings, "user", raw)
    monkeypatch.undo()
    changed = 0
    for p in lake.rglob("*.parquet"):
        name = p.name + p.parent.name
        if p.parent.name == "erasures":
            continue
        now = pq.read_table(p)  # every file reads whole
        assert now.equals(old[name]) or now.equals(new[name]), p
        changed += not now.equals(old[name])
    assert changed == 3
    assert not [p for p in lake.rglob("*.tmp")]

    finished = erase(lake_settings, "user", raw)
    assert finished.status == "erased" and finished.rows > 0
    assert _views(lake) == _views(clean.lake_dir)
    assert erase(lake_settings, "user", raw).rows == 0
    con = connect(lake)
    try:
        assert con.execute("SELECT count(*) FROM erasures").fetchone()[0] == 2
    finally:
        con.close()


def test_an_interrupted_rollup_is_finished_by_the_rerun(
    lake_settings, erase_home: ErasureHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llmops.costs.rollup as rollup

    lake = lake_settings.lake_dir

    def crash(settings):
        raise OSError("killed")

    monkeypatch.setattr(rollup, "run_rollup", crash)
    with pytest.raises(OSError, match="killed"):
        erase(lake_settings, "call", erase_home.other_call_id)
    monkeypatch.undo()
    before = totals(lake)
    assert before["daily_cost.calls"] == before["calls"] + 1  # the rollup still counts it
    again = erase(lake_settings, "call", erase_home.other_call_id)
    assert again.status == "already_erased" and "cost_rollup_daily" in again.recomputed
    after = totals(lake)
    assert after["daily_cost.calls"] == after["calls"] == before["calls"]
    assert erase(lake_settings, "call", erase_home.other_call_id).recomputed == []


def test_a_failed_rewrite_leaves_the_old_file(tmp_path: Path, monkeypatch) -> None:
    from llmops.privacy import rewrite

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1, 2, 3]}), path)
    data = path.read_bytes()

    def half_written(table, where, **_):
        Path(where).write_bytes(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(rewrite.pq, "write_table", half_written)
    with pytest.raises(OSError, match="disk full"):
        rewrite.drop_rows(path, lambda t: pa.chunked_array([[True, False, False]]))
    assert path.read_bytes() == data and list(tmp_path.iterdir()) == [path]
