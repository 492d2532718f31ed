"""ragas metrics end to end on real docs-qa items, every call through the gateway to the simulator."""

from __future__ import annotations

from statistics import mean

from llmops.evals.metrics import score_metric
from tests.builders.metrics import grounded_and_ungrounded, run, spec

RAGAS = [
    spec("ragas", "faithfulness"),
    spec("ragas", "answer_relevancy", strictness=1),
    spec("ragas", "context_precision"),
    spec("ragas", "context_recall"),
    spec("ragas", "semantic_similarity"),
]


def test_ragas_metrics_score_docs_qa_items(gateway, samples) -> None:
    negative = samples[-1].item_id  # the labelled negative: no reference
    before = gateway.summary().calls
    for metric_spec in RAGAS:
        result = run(score_metric(metric_spec, samples, gateway, concurrency=4))
        assert [s.item_id for s in result.scores] == [s.item_id for s in samples]
        assert not result.failed, [s.error for s in result.failed]
        assert result.llm_calls > 0
        by_id = {s.item_id: s for s in result.scores}
        if "reference" in metric_spec.needs:
            assert by_id[negative].score is None
            assert by_id[negative].reason == "not applicable: no reference"
            assert by_id[negative].error is None
            assert len(result.scored) == len(samples) - 1
        else:
            assert len(result.scored) == len(samples)
        assert all(0.0 <= v <= 1.0 for v in result.scored)
    # all traffic went through the gateway, tagged with the metric
    records = gateway.records[before:]
    assert sum(r.kind == "embedding" for r in records) > 0
    assert {r.purpose for r in records} == {f"metric:{m.name}" for m in RAGAS}


def test_ragas_faithfulness_grounded_above_ungrounded(gateway, samples) -> None:
    grounded, ungrounded = grounded_and_ungrounded(samples)
    metric_spec = spec("ragas", "faithfulness")
    good = run(score_metric(metric_spec, grounded, gateway, concurrency=8))
    bad = run(score_metric(metric_spec, ungrounded, gateway, concurrency=8))
    assert not good.failed and not bad.failed
    assert mean(good.scored) > mean(bad.scored) + 0.5
    for g, b in zip(good.scores, bad.scores, strict=True):
        assert g.score > b.score, (g, b)


def test_ragas_item_error_is_recorded_and_others_score(gateway, samples) -> None:
    broken = samples[0].model_copy(update={"answer": ""})  # ragas refuses an empty response
    result = run(
        score_metric(
            spec("ragas", "answer_relevancy", strictness=1), [broken, *samples[1:]], gateway, 4
        )
    )
    first, rest = result.scores[0], result.scores[1:]
    assert first.score is None and "response cannot be empty" in first.error
    assert all(s.score is not None and s.error is None for s in rest)
