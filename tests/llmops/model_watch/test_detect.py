"""Update detection over probe sequences: identity changes, canary drift, declared once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from llmops.model_watch.detect import Observation, decide, drift_share, error_observation, update_of
from llmops.model_watch.probe import Probe

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def probe(
    model: str | None = "m-1",
    fp: str | None = "fp_1",
    outputs: str = "aaaa",
    canary_set: str = "set1",
    i: int = 0,
) -> Probe:
    """A probe whose canary hashes are the characters of `outputs`."""
    hashes = [c * 8 for c in outputs]
    return Probe(
        alias="candidate",
        observed_at=T0 + timedelta(minutes=15 * i),
        provider="openai",
        requested_model="openai/m",
        served_model=model,
        system_fingerprint=fp,
        canary_hash="".join(outputs),
        canary_hashes=hashes,
        canary_set=canary_set,
        simulated=False,
        latency_ms=10.0,
        cost_usd=0.0001,
    )


def run(probes: list[Probe], drift_probes: int = 2, threshold: float = 0.5) -> list[Observation]:
    """Feed probes one by one, each decided against the previous row."""
    rows: list[Observation] = []
    for i, p in enumerate(probes):
        rows.append(decide(rows[-1] if rows else None, p, f"run{i}", drift_probes, threshold))
    return rows


def statuses(rows: list[Observation]) -> list[str]:
    return [r.status for r in rows]


def test_first_probe_is_the_baseline_and_a_stable_model_stays_unchanged() -> None:
    rows = run([probe(i=i) for i in range(4)])
    assert statuses(rows) == ["baseline", "unchanged", "unchanged", "unchanged"]
    assert rows[0].declared_model == "m-1" and rows[0].reason is None
    assert all(update_of(a, b) is None for a, b in zip([None, *rows], rows, strict=False))


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (probe(model="m-2"), "model m-1 -> m-2"),
        (probe(fp="fp_2"), "fingerprint fp_1 -> fp_2"),
        (probe(fp=None), "fingerprint fp_1 -> (none)"),
    ],
)
def test_an_identity_change_is_declared_once(new: Probe, reason: str) -> None:
    rows = run([probe(), probe(), new, new, new])
    assert statuses(rows) == ["baseline", "unchanged", "updated", "unchanged", "unchanged"]
    assert reason in (rows[2].reason or "")
    update = update_of(rows[1], rows[2])
    assert update is not None and update.alias == "candidate"
    assert update.old.model == "m-1" and update.old.fingerprint == "fp_1"
    assert (update.new.model, update.new.fingerprint) == (new.served_model, new.system_fingerprint)
    assert update.new.canary_hash == new.canary_hash


def test_changing_back_is_another_update() -> None:
    rows = run([probe(), probe(fp="fp_2"), probe()])
    assert statuses(rows) == ["baseline", "updated", "updated"]


def test_silent_provider_caught_by_canary_drift_on_n_consecutive_probes() -> None:
    silent = {"model": None, "fp": None}
    rows = run(
        [
            probe(**silent, outputs="aaaa"),
            probe(**silent, outputs="abbb"),  # 75% changed: drift 1 of 2
            probe(**silent, outputs="abbb"),  # 2 of 2: declared
            probe(**silent, outputs="abbb"),  # the new reference
        ]
    )
    assert statuses(rows) == ["baseline", "drift", "updated", "unchanged"]
    assert rows[1].drift == 0.75 and rows[1].drift_streak == 1
    assert "2 consecutive probes" in (rows[2].reason or "")
    update = update_of(rows[1], rows[2])
    assert (
        update is not None and update.old.canary_hash == "aaaa" and update.new.canary_hash == "abbb"
    )


def test_drift_below_threshold_or_interrupted_does_not_declare() -> None:
    rows = run(
        [
            probe(outputs="aaaa"),
            probe(outputs="abaa"),  # 25% < 50%: noise
            probe(outputs="abba"),  # 50%: drift 1
            probe(outputs="aaaa"),  # back: streak reset
            probe(outputs="abba"),  # drift 1 again
        ]
    )
    assert statuses(rows) == ["baseline", "unchanged", "drift", "unchanged", "drift"]
    assert [r.drift_streak for r in rows] == [0, 0, 1, 0, 1]
    three = run([probe(outputs="aaaa")] + [probe(outputs="bbbb")] * 3, drift_probes=3)
    assert statuses(three) == ["baseline", "drift", "drift", "updated"]


def test_a_new_canary_set_rebaselines_and_errors_carry_the_state() -> None:
    rows = run([probe(), probe(canary_set="set2", outputs="zzzz")])
    assert statuses(rows) == ["baseline", "baseline"] and "re-baseline" in (rows[1].reason or "")
    drifted = run([probe(outputs="aaaa"), probe(outputs="bbbb")])
    err = error_observation(drifted[-1], "candidate", "run-x", T0, "Timeout: ...")
    assert err.status == "error" and err.drift_streak == 1 and err.declared_model == "m-1"
    after = decide(err, probe(outputs="bbbb"), "run-y")
    assert after.status == "updated"  # the streak survived the failed probe
    assert decide(error_observation(None, "c", "r", T0, "x"), probe(), "r").status == "baseline"


def test_drift_share_by_position() -> None:
    assert drift_share(["a", "b"], "a,b") == 0
    assert drift_share(["a", "c"], "a,b") == 0.5
    assert drift_share(["a"], "a,b") == 1.0  # a different canary count is a full change
    assert drift_share(["a"], None) == 1.0
