"""The direct runners (ragas's Executor / abatch_score, deepeval's async runner) score the same."""

from __future__ import annotations

import pytest

from llmops.evals.metrics import load_suite, score_metric
from llmops.evals.metrics.direct import run_deepeval_direct, run_ragas_direct
from tests.builders.metrics import DOCS_QA, run


def _ours(specs, samples, gateway):
    return {s.name: run(score_metric(s, samples, gateway, concurrency=4)) for s in specs}


def _same(direct, ours) -> None:
    assert [r.name for r in direct.results] == list(ours)
    for result in direct.results:
        mine = ours[result.name]
        for theirs, our in zip(result.scores, mine.scores, strict=True):
            assert theirs.item_id == our.item_id
            assert theirs.reason == our.reason or our.score is not None, (theirs, our)
            assert (theirs.error is None) == (our.error is None), (result.name, theirs, our)
            assert theirs.score == pytest.approx(our.score), (result.name, theirs, our)


@pytest.mark.parametrize("runner", ["executor", "abatch_score"])
def test_ragas_direct_runner_matches_ours(gateway, samples, runner: str) -> None:
    specs = [m for m in load_suite(DOCS_QA / "suite.yaml").metrics if m.library == "ragas"]
    samples = [samples[0].model_copy(update={"answer": None}), *samples[1:]]  # a failed generation
    direct = run(run_ragas_direct(specs, samples, gateway, concurrency=4, runner=runner))
    assert direct.runner == f"ragas.{runner}" and direct.llm_calls > 0
    _same(direct, _ours(specs, samples, gateway))


def test_deepeval_direct_runner_matches_ours(gateway, samples) -> None:
    specs = [m for m in load_suite(DOCS_QA / "suite.yaml").metrics if m.library == "deepeval"]
    samples = [samples[0].model_copy(update={"answer": None}), *samples[1:]]
    direct = run(run_deepeval_direct(specs, samples, gateway, concurrency=4))
    assert direct.runner == "deepeval.a_execute_test_cases" and direct.llm_calls > 0
    ours = _ours(specs, samples, gateway)
    _same(direct, ours)
    assert direct.llm_calls == sum(r.llm_calls for r in ours.values())


def test_direct_runner_refuses_other_libraries(gateway, samples) -> None:
    specs = load_suite(DOCS_QA / "suite.yaml").metrics
    with pytest.raises(ValueError, match="got metrics of other libraries"):
        run(run_ragas_direct(specs, samples, gateway, concurrency=4))
