"""The runner: provider failures stay per item, the USD cap stops the metric, setup errors say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.core.settings import get_settings
from llmops.evals.metrics import MetricSetupError, load_suite, score_metric
from llmops.gateway import BudgetExceeded, Gateway
from tests.builders.metrics import run, spec


def test_failed_provider_calls_are_item_errors_and_the_run_goes_on(
    fresh_simulator, home, samples
) -> None:
    # no retries: every injected 429/500 reaches the metric
    gateway = Gateway(get_settings(models={"judge": {"max_retries": 0}}))
    fresh_simulator.configure(error_rate=0.3, timeout_share=0.0)
    for metric_spec in (spec("ragas", "faithfulness"), spec("deepeval", "faithfulness")):
        result = run(score_metric(metric_spec, samples, gateway, concurrency=4))
        failed, scored = result.failed, result.scored
        assert failed and scored, (metric_spec.name, result.scores)
        assert len(failed) + len(scored) == len(samples)
        assert all(
            ("RateLimit" in s.error or "InternalServer" in s.error or "Instructor" in s.error)
            for s in failed
        ), [s.error for s in failed]
    summary = gateway.summary()
    assert summary.failures > 0 and summary.calls > summary.failures


def test_usd_cap_stops_the_metric(simulator, home, samples) -> None:
    gateway = Gateway(get_settings(), usd_cap=0.0)
    with pytest.raises(BudgetExceeded, match="USD cap reached"):
        run(score_metric(spec("ragas", "faithfulness"), samples, gateway, concurrency=4))
    with pytest.raises(BudgetExceeded):
        run(score_metric(spec("deepeval", "faithfulness"), samples, gateway, concurrency=4))
    assert gateway.summary().calls == 0  # refused before any request left


def test_unconstructible_metric_names_suite_file_and_metric(tmp_path: Path, samples) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(
        "dataset: docs-qa\nmetrics:\n"
        "  - name: faith\n    library: ragas\n    metric: faithfulness\n    params: {strictness: 2}\n"
        "  - name: halluc\n    library: deepeval\n    metric: hallucination\n    params: {treshold: 0.7}\n"
    )
    suite = load_suite(path)
    for metric_spec, line in zip(suite.metrics, (3, 7), strict=True):
        with pytest.raises(MetricSetupError) as info:
            run(score_metric(metric_spec, samples, llm=None, concurrency=2))
        message = str(info.value)
        assert message.startswith(f"{path}:{line} metrics["), message
        assert (
            f"metric {metric_spec.name!r} ({metric_spec.library}.{metric_spec.metric})" in message
        )
        assert "cannot construct it" in message


def test_concurrency_must_be_positive(samples) -> None:
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        run(score_metric(spec("deterministic", "regex", pattern="x"), samples, None, 0))
