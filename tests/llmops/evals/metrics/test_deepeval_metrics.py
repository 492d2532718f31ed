"""deepeval metrics end to end on real docs-qa items through the gateway and the simulator."""

from __future__ import annotations

from statistics import mean

from llmops.evals.metrics import load_suite, score_metric
from tests.builders.metrics import DOCS_QA, grounded_and_ungrounded, run, spec

SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "sources": {"type": "array"}},
    "required": ["answer"],
}


def test_deepeval_suite_metrics_score_docs_qa_items(gateway, samples) -> None:
    suite = load_suite(DOCS_QA / "suite.yaml")
    negative = samples[-1].item_id
    for metric_spec in [m for m in suite.metrics if m.library == "deepeval"]:
        result = run(score_metric(metric_spec, samples, gateway, concurrency=4))
        assert not result.failed, [s.error for s in result.failed]
        by_id = {s.item_id: s for s in result.scores}
        if metric_spec.metric == "json_correctness":  # docs-qa prompts declare no output schema
            assert result.scored == [] and result.llm_calls == 0
            assert {s.reason for s in result.scores} == {"not applicable: no output schema"}
            continue
        assert result.llm_calls > 0
        assert all(0.0 <= v <= 1.0 for v in result.scored)
        if metric_spec.metric == "geval":  # the rubric compares with the reference
            assert by_id[negative].reason == "not applicable: no reference"
            assert len(result.scored) == len(samples) - 1
        else:
            assert len(result.scored) == len(samples)
            assert all(s.reason for s in result.scores)  # deepeval explains each score


def test_deepeval_faithfulness_and_hallucination_grounded_above_ungrounded(
    gateway, samples
) -> None:
    grounded, ungrounded = grounded_and_ungrounded(samples)
    for metric in ("faithfulness", "hallucination"):
        metric_spec = spec("deepeval", metric)
        good = run(score_metric(metric_spec, grounded, gateway, concurrency=8))
        bad = run(score_metric(metric_spec, ungrounded, gateway, concurrency=8))
        assert not good.failed and not bad.failed, (good.failed, bad.failed)
        assert mean(good.scored) > mean(bad.scored) + 0.5, (metric, good.scored, bad.scored)


def test_deepeval_json_correctness_per_item_schema_and_errors(gateway, samples) -> None:
    base = samples[0]
    items = [
        base.model_copy(
            update={
                "item_id": "valid",
                "answer": '{"answer": "yes", "sources": []}',
                "output_schema": SCHEMA,
            }
        ),
        base.model_copy(
            update={"item_id": "wrong-type", "answer": '{"answer": 42}', "output_schema": SCHEMA}
        ),
        base.model_copy(
            update={"item_id": "not-json", "answer": "The answer is yes.", "output_schema": SCHEMA}
        ),
        base.model_copy(
            update={"item_id": "bad-schema", "answer": "{}", "output_schema": {"type": 12}}
        ),
        base.model_copy(update={"item_id": "no-schema", "answer": "{}", "output_schema": None}),
    ]
    result = run(score_metric(spec("deepeval", "json_correctness"), items, gateway, concurrency=4))
    by_id = {s.item_id: s for s in result.scores}
    assert by_id["valid"].score == 1.0
    assert by_id["wrong-type"].score == 0.0 and by_id["not-json"].score == 0.0
    assert by_id["wrong-type"].reason  # an invalid output gets the judge's explanation
    assert by_id["bad-schema"].score is None and "SchemaError" in by_id["bad-schema"].error
    assert by_id["no-schema"].reason == "not applicable: no output schema"
    assert result.llm_calls == 2  # a reason for each of the two invalid outputs
