"""The paired-bootstrap comparison and the gate."""

from __future__ import annotations

import numpy as np
import pytest

from llmops.core.settings.evals import GateConfig
from llmops.evals.compare import compare_metric, gate, paired_bootstrap

CFG = GateConfig(max_drop=0.05, min_pairs=20, resamples=2000)


def _scores(values: np.ndarray) -> dict[str, float]:
    return {f"q{i:03d}": float(v) for i, v in enumerate(values)}


def test_identical_runs_pass_with_an_exact_zero_interval() -> None:
    base = _scores(np.linspace(0, 1, 50))
    result = compare_metric("faithfulness", base, base, 0, CFG)
    assert result.verdict == "pass"
    assert (result.ci_low, result.ci_high, result.delta) == (0.0, 0.0, 0.0)
    assert result.p_value == 1.0


def test_a_clear_drop_fails_with_an_interval_below_zero() -> None:
    rng = np.random.default_rng(1)
    base_v = rng.uniform(0.6, 1.0, 100)
    cand_v = base_v - 0.3 + rng.normal(0, 0.05, 100)
    result = compare_metric("faithfulness", _scores(cand_v), _scores(base_v), 0, CFG)
    assert result.verdict == "fail"
    assert result.ci_high < 0 and result.p_value < 0.01
    assert result.delta == pytest.approx(-0.3, abs=0.03)


def test_noise_around_zero_never_fails() -> None:
    rng = np.random.default_rng(2)
    base_v = rng.uniform(0, 1, 60)
    cand_v = np.clip(base_v + rng.normal(0, 0.1, 60), 0, 1)
    result = compare_metric("m", _scores(cand_v), _scores(base_v), 0, CFG)
    assert result.verdict == "pass"
    assert result.ci_low < 0 < result.ci_high or abs(result.delta) <= CFG.max_drop


def test_a_small_significant_drop_within_the_limit_passes() -> None:
    base_v = np.full(80, 0.9)
    cand_v = base_v - 0.02
    result = compare_metric("m", _scores(cand_v), _scores(base_v), 0, CFG)
    assert result.verdict == "pass" and result.ci_high < 0


def test_lower_is_better_metrics_are_sign_adjusted() -> None:
    base_v = np.full(40, 0.1) + np.linspace(0, 0.05, 40)
    worse = base_v + 0.4  # e.g. hallucination rate went up
    result = compare_metric("hallucination", _scores(worse), _scores(base_v), 0, CFG, False)
    assert result.verdict == "fail" and result.ci_high < 0
    better = compare_metric("hallucination", _scores(base_v - 0.1), _scores(base_v), 0, CFG, False)
    assert better.verdict == "pass" and better.ci_low > 0


@pytest.mark.parametrize(
    ("pairs", "failed", "reason"),
    [(10, 0, "only 10 scored pairs"), (50, 20, "20 of 70 items failed")],
)
def test_too_few_pairs_or_too_many_failures_are_inconclusive(
    pairs: int, failed: int, reason: str
) -> None:
    base = _scores(np.full(pairs, 0.9))
    cand = _scores(np.full(pairs, 0.1))
    result = compare_metric("m", cand, base, failed, CFG)
    assert result.verdict == "inconclusive"
    assert reason in result.reason


def test_items_not_applicable_or_missing_in_the_baseline_are_not_paired() -> None:
    base = {"a": 1.0, "b": None, "c": 0.5}
    cand = {"a": 1.0, "b": 0.2, "c": None, "d": 0.3}
    result = compare_metric("m", cand, base, 0, GateConfig(min_pairs=2))
    assert result.pairs == 1 and result.verdict == "inconclusive"


def test_bootstrap_interval_covers_the_true_mean() -> None:
    rng = np.random.default_rng(3)
    diffs = rng.normal(0.2, 0.5, 400)
    low, high, p = paired_bootstrap(diffs, 4000, 0.95, 0)
    assert low < 0.2 < high and p < 0.001


def test_gate_rolls_metric_verdicts_up() -> None:
    rng = np.random.default_rng(4)
    base_v = rng.uniform(0.5, 1, 40)
    ok = compare_metric("a", _scores(base_v), _scores(base_v), 0, CFG)
    bad = compare_metric("b", _scores(base_v - 0.4), _scores(base_v), 0, CFG)
    unsure = compare_metric("c", _scores(base_v[:5]), _scores(base_v[:5]), 0, CFG)
    assert gate([ok], "r1").verdict == "pass"
    assert gate([ok, unsure], "r1").verdict == "inconclusive"
    assert gate([ok, bad, unsure], "r1").verdict == "fail"
    assert gate([ok], None).verdict == "baseline"


def test_a_metric_that_applies_to_no_item_is_not_gated() -> None:
    from llmops.evals.metrics import ItemScore, MetricResult, MetricSpec, Suite
    from llmops.evals.results import compare_results

    def result(name: str, scores: list[float | None]) -> MetricResult:
        rows = [ItemScore(item_id=f"q{i}", score=v) for i, v in enumerate(scores)]
        return MetricResult(
            name=name,
            library="deterministic",
            metric="exact_match",
            scores=rows,
            duration_s=0.0,
            llm_calls=0,
        )

    suite = Suite(
        dataset="d",
        metrics=[
            MetricSpec(name=n, library="deterministic", metric="exact_match")
            for n in ("applies", "json_only")
        ],
    )
    base = {"applies": {f"q{i}": 1.0 for i in range(30)}, "json_only": {}}
    out = compare_results(
        [result("applies", [1.0] * 30), result("json_only", [None] * 30)],
        suite,
        base,
        "r0",
        GateConfig(),
    )
    assert [m.metric for m in out.metrics] == ["applies"] and out.verdict == "pass"
