"""Suite files: the default docs-qa suite loads; bad files fail naming file, line and field."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from llmops.core.errors import ConfigError
from llmops.evals.metrics import MetricSpec, SuiteError, load_suite
from tests.builders.metrics import DOCS_QA


def test_default_suite_has_every_required_metric() -> None:
    suite = load_suite(DOCS_QA / "suite.yaml")
    assert suite.dataset == "docs-qa"
    pairs = {(m.library, m.metric) for m in suite.metrics}
    required = {
        ("ragas", "faithfulness"),
        ("ragas", "answer_relevancy"),
        ("ragas", "context_precision"),
        ("ragas", "context_recall"),
        ("ragas", "semantic_similarity"),
        ("deepeval", "geval"),
        ("deepeval", "faithfulness"),
        ("deepeval", "json_correctness"),
        ("deterministic", "exact_match"),
        ("deterministic", "contains"),
        ("deterministic", "regex"),
        ("deterministic", "json_schema"),
    }
    assert required <= pairs
    by_name = {m.name: m for m in suite.metrics}
    geval = by_name["deepeval_correctness"]
    assert geval.params["rubric"] and geval.params["evaluation_steps"]
    # needs completed from what each metric reads
    assert by_name["ragas_context_recall"].needs == ["reference", "contexts"]
    assert by_name["deepeval_correctness"].needs == ["reference"]
    assert by_name["deepeval_json_correctness"].needs == ["output_schema"]
    assert by_name["no_refusal"].needs == []
    assert by_name["ragas_faithfulness"].source.startswith(f"{DOCS_QA / 'suite.yaml'}:")


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(body)
    return path


GOOD_HEAD = "dataset: docs-qa\nmetrics:\n  - name: ok\n    library: deterministic\n    metric: regex\n    params: {pattern: x}\n"

BAD = [
    (
        "unknown metric",
        GOOD_HEAD + "  - name: nope\n    library: ragas\n    metric: telepathy\n",
        ":7: field metrics[1] (metric 'nope'): unknown ragas metric 'telepathy'",
    ),
    (
        "unknown library",
        GOOD_HEAD + "  - name: x\n    library: mlflow\n    metric: faithfulness\n",
        ":8: field metrics[1].library (metric 'x'): Input should be 'ragas', 'deepeval'",
    ),
    (
        "duplicate name",
        GOOD_HEAD + "  - name: ok\n    library: deterministic\n    metric: exact_match\n",
        "field metrics: duplicate metric name 'ok'",
    ),
    (
        "bad regex",
        GOOD_HEAD.replace("pattern: x", "pattern: '(unclosed'"),
        ":3: field metrics[0] (metric 'ok'): params.pattern is not a valid regular expression",
    ),
    (
        "geval without evaluation_params",
        GOOD_HEAD
        + "  - name: g\n    library: deepeval\n    metric: geval\n    params: {criteria: c}\n",
        "field metrics[1] (metric 'g'): params.evaluation_params must be a list",
    ),
    (
        "unknown needs",
        GOOD_HEAD + "    needs: [golden_answer]\n",
        "needs: unknown field(s) ['golden_answer']",
    ),
    (
        "unknown key",
        GOOD_HEAD + "    weight: 2\n",
        "field metrics[0].weight (metric 'ok'): Extra inputs are not permitted",
    ),
    ("no metrics", "dataset: docs-qa\nmetrics: []\n", "field metrics: List should have at least 1"),
    ("not yaml", "dataset: [docs-qa\n", "invalid YAML"),
]


@pytest.mark.parametrize(("case", "body", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_suite_names_file_line_and_field(
    tmp_path: Path, case: str, body: str, expected: str
) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert expected in message, message
    assert isinstance(info.value, ConfigError)


def test_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="metric suite not found"):
        load_suite(tmp_path / "absent.yaml")


def test_metric_whose_package_is_missing_is_refused_at_load(tmp_path: Path) -> None:
    missing = [
        (metric, module)
        for metric, module in (
            ("rouge", "rouge_score"),
            ("string_similarity", "rapidfuzz"),
            ("bleu", "sacrebleu"),
        )
        if importlib.util.find_spec(module) is None
    ]
    if not missing:
        pytest.skip("every optional ragas package is installed")
    metric, module = missing[0]
    path = _write(
        tmp_path, f"dataset: d\nmetrics:\n  - name: m\n    library: ragas\n    metric: {metric}\n"
    )
    with pytest.raises(SuiteError, match="needs the Python package .*not installed") as info:
        load_suite(path)
    assert "metrics[0] (metric 'm')" in str(info.value)


def test_spec_built_in_code_completes_needs() -> None:
    spec = MetricSpec(
        name="kp", library="deterministic", metric="contains", params={"phrases": ["spark"]}
    )
    assert spec.needs == []  # configured phrases: the reference is not read
    spec = MetricSpec(name="kp", library="deterministic", metric="contains")
    assert spec.needs == ["reference"]
    spec = MetricSpec(
        name="g",
        library="deepeval",
        metric="geval",
        params={
            "criteria": "c",
            "evaluation_params": ["input", "actual_output", "retrieval_context"],
        },
    )
    assert spec.needs == ["contexts"]
