"""A watch round against the real simulator without Prefect: rows in the lake, one update."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from llmops.core.errors import LlmopsError
from llmops.core.settings import get_settings
from llmops.lake.warehouse import connect
from llmops.model_watch.report import watch_report
from llmops.model_watch.watch import run_watch, watch_targets
from tests.builders.simulator import SimulatorHandle


def test_baseline_bump_update_then_quiet(fresh_simulator: SimulatorHandle, home: Path) -> None:
    settings = get_settings()
    first = run_watch(settings)
    assert {o.alias for o in first.observations} == {"candidate", "judge"}  # chat aliases only
    assert {o.status for o in first.observations} == {"baseline"} and first.updates == []
    cand = next(o for o in first.observations if o.alias == "candidate")
    assert cand.served_model == "gpt-4o-mini-sim-v1" and cand.simulated
    assert cand.system_fingerprint == fresh_simulator.fingerprint() and cand.canaries == 4
    assert cand.cost_usd and cand.cost_usd > 0

    fresh_simulator.bump()
    second = run_watch(settings)
    assert {o.status for o in second.observations} == {"updated"}
    by_alias = {u.alias: u for u in second.updates}
    assert set(by_alias) == {"candidate", "judge"}
    upd = by_alias["candidate"]
    assert upd.old.model == "gpt-4o-mini-sim-v1" and upd.new.model == "gpt-4o-mini-sim-v2"
    assert upd.old.fingerprint.startswith("fp_sim_v1_")
    assert upd.new.fingerprint.startswith("fp_sim_v2_")
    assert upd.old.canary_hash != upd.new.canary_hash  # v2 answers differently
    assert "served identity changed" in upd.reason

    third = run_watch(settings)
    assert {o.status for o in third.observations} == {"unchanged"} and third.updates == []

    con = connect(settings.lake_dir)
    rows = con.sql(
        "SELECT alias, status, served_model, simulated FROM model_versions ORDER BY observed_at"
    ).fetchall()
    assert len(rows) == 6 and all(r[3] is True for r in rows)
    assert [r[1] for r in rows if r[0] == "candidate"] == ["baseline", "updated", "unchanged"]
    assert len(list((settings.lake_dir / "model_versions").glob("*.parquet"))) == 4  # + _empty

    md = watch_report(second)
    assert "## Updates declared" in md and "gpt-4o-mini-sim-v2" in md
    assert "provider simulator" in md


def test_a_failed_probe_is_an_error_row(simulator: SimulatorHandle, home: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    settings = get_settings(
        models={
            "down": {
                "model": "openai/x",
                "api_base": f"http://127.0.0.1:{dead}/v1",
                "api_key": "k",
                "max_retries": 0,
            }
        },
        model_watch={"aliases": ["down", "candidate"]},
    )
    result = run_watch(settings)
    assert set(result.failed) == {"down"} and "Connection error" in result.failed["down"]
    statuses = {o.alias: o.status for o in result.observations}
    assert statuses == {"down": "error", "candidate": "baseline"}


def test_targets_are_checked(home: Path) -> None:
    settings = get_settings()
    assert watch_targets(settings, ["judge"]) == ["judge"]
    with pytest.raises(LlmopsError, match="unknown alias 'nope'"):
        watch_targets(settings, ["nope"])
    with pytest.raises(LlmopsError, match="'embedder' is of kind embedding; only chat"):
        watch_targets(settings, ["embedder"])
