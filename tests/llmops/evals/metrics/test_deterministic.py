"""Our deterministic checks, table-driven, through the same score_metric as the library metrics."""

from __future__ import annotations

import pytest

from llmops.evals.metrics import EvalSample, score_metric
from llmops.evals.metrics.deterministic import key_phrases, normalize
from tests.builders.metrics import run, spec

SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer"],
}


def sample(answer: str | None, reference: str | None = "ref", schema: dict | None = None):
    return EvalSample(
        item_id="i1",
        question="q?",
        contexts=["ctx"],
        reference=reference,
        answer=answer,
        output_schema=schema,
    )


def score(metric_spec, s: EvalSample):
    result = run(score_metric(metric_spec, [s], llm=None, concurrency=4))  # no LLM is called
    assert result.llm_calls == 0
    return result.scores[0]


CASES = [
    # (spec, sample, expected score, expected text in reason or error)
    (spec("deterministic", "exact_match"), sample(" The Answer. ", "the answer"), 1.0, None),
    (
        spec("deterministic", "exact_match", normalize=False),
        sample("The answer", "the answer"),
        0.0,
        "differs",
    ),
    (
        spec("deterministic", "contains"),
        sample(
            "Run `spark.read.json(path)` then call display(df).",
            'Use `spark.read.json(path)` and "display(df)" to show it.',
        ),
        1.0,
        "2/2 phrases found",
    ),
    (
        spec("deterministic", "contains"),
        sample("Run spark.read.json(path).", "Use `spark.read.json(path)` and `display(df)`."),
        0.5,
        "missing: 'display(df)'",
    ),
    (
        spec("deterministic", "contains", phrases=["Unity Catalog", "GRANT"], mode="all"),
        sample("Use GRANT in Unity Catalog.", None),
        1.0,
        "2/2",
    ),
    (
        spec("deterministic", "contains", phrases=["Unity Catalog", "GRANT"], mode="any"),
        sample("nothing relevant", None),
        0.0,
        "0/2",
    ),
    (
        spec("deterministic", "regex", pattern=r"^\d{4}-\d{2}-\d{2}$", match="fullmatch"),
        sample("2024-05-01"),
        1.0,
        None,
    ),
    (
        spec("deterministic", "regex", pattern=r"as an ai", flags="i", negate=True),
        sample("As an AI, no."),
        0.0,
        "must not",
    ),
    (
        spec("deterministic", "json_schema"),
        sample('{"answer": "x", "confidence": 0.9}', schema=SCHEMA),
        1.0,
        None,
    ),
    (
        spec("deterministic", "json_schema"),
        sample('{"answer": 3}', schema=SCHEMA),
        0.0,
        "at answer: 3 is not of type 'string'",
    ),
    (
        spec("deterministic", "json_schema"),
        sample("Sure! {answer: x}", schema=SCHEMA),
        0.0,
        "not JSON",
    ),
    (
        spec("deterministic", "json_schema", schema=SCHEMA),
        sample('{"confidence": 1}'),
        0.0,
        "'answer' is a required",
    ),
]


@pytest.mark.parametrize(("metric_spec", "s", "expected", "text"), CASES)
def test_check(metric_spec, s: EvalSample, expected: float, text: str | None) -> None:
    item = score(metric_spec, s)
    assert item.error is None
    assert item.score == pytest.approx(expected)
    if text:
        assert text in (item.reason or ""), item.reason


def test_not_applicable_and_failed_items() -> None:
    checks = [
        (
            spec("deterministic", "exact_match"),
            sample("a", reference=None),
            "not applicable: no reference",
        ),
        (spec("deterministic", "json_schema"), sample("{}"), "not applicable: no output schema"),
    ]
    for metric_spec, s, reason in checks:
        item = score(metric_spec, s)
        assert (item.score, item.error, item.reason) == (None, None, reason)
    failed = score(spec("deterministic", "regex", pattern="x"), sample(None))
    assert failed.score is None and failed.error == "no answer: generation failed for this item"
    # a reference with nothing to look for is an error for that item, not a silent score
    empty = score(spec("deterministic", "contains"), sample("answer", reference="a an of"))
    assert empty.score is None and "no key phrases" in empty.error


def test_key_phrases_and_normalize() -> None:
    assert key_phrases('Set `spark.conf` to "true" via dbutils.secrets.list()') == [
        "spark.conf",
        "true",
        "dbutils.secrets.list()",
    ]
    assert key_phrases("Delta tables support time travel") == [
        "delta",
        "tables",
        "support",
        "time",
        "travel",
    ]
    assert normalize("  Ｈello   World! ") == "hello world"
