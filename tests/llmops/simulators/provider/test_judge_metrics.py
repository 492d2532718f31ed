"""The docs-qa suite's LLM metrics on the simulator's judge: they separate good from bad answers.

Every metric is the real ragas / deepeval one from datasets/docs-qa/suite.yaml, scored with
`score_metric` through the project's gateway; answers come from prompts/docs-qa-answer.yaml.
"""

from __future__ import annotations

import asyncio
from statistics import mean
from typing import Any

import pytest

from llmops.evals.metrics import EvalSample, MetricResult, MetricSpec, load_suite, score_metric
from llmops.simulators.provider.text import NO_CONTEXT_ANSWER
from tests.builders.paths import REPO

DOCS_QA = REPO / "datasets" / "docs-qa"
OFF_TOPIC = "Quantum ledgers synchronize every penguin orchestra on Saturn."
N_ITEMS = 16


def suite_metric(name: str) -> MetricSpec:
    """A metric of the docs-qa suite, as the eval flow loads it."""
    return next(m for m in load_suite(DOCS_QA / "suite.yaml").metrics if m.name == name)


def items() -> list[Any]:
    """The first docs-qa items that have a reference answer."""
    from llmops.datasets.schema import parse_jsonl

    rows = parse_jsonl((DOCS_QA / "items.jsonl").read_bytes(), "docs-qa/items.jsonl")
    return [i for i in rows if i.reference_answer is not None][:N_ITEMS]


def score(gateway: Any, name: str, samples: list[EvalSample]) -> MetricResult:
    """One suite metric over the samples; no item may fail."""
    result = asyncio.run(score_metric(suite_metric(name), samples, gateway, concurrency=8))
    assert not result.failed, [s.error for s in result.failed]
    assert len(result.scored) == len(samples)
    return result


def generated(gateway: Any) -> list[EvalSample]:
    """The docs-qa items answered by the candidate with prompts/docs-qa-answer.yaml."""
    from llmops.evals.generate import generate, to_samples
    from llmops.prompts import load_spec

    spec = load_spec(REPO / "prompts" / "docs-qa-answer.yaml")
    chosen = items()
    generations = asyncio.run(generate(gateway, spec, chosen))
    return to_samples(chosen, generations, spec)


def answered(samples: list[EvalSample], answers: list[str]) -> list[EvalSample]:
    """The same items with other answers."""
    return [s.model_copy(update={"answer": a}) for s, a in zip(samples, answers, strict=True)]


def shifted(values: list[str]) -> list[str]:
    """Each item gets the next item's value (a fluent answer to another question)."""
    return values[1:] + values[:1]


@pytest.fixture
def gateway(fresh_simulator, home) -> Any:
    """The project's gateway; every alias is served by the (reset) session simulator."""
    from llmops.core.settings import get_settings
    from llmops.gateway import Gateway

    return Gateway(get_settings())


def test_answer_relevancy_relevant_above_irrelevant_and_evasive(gateway) -> None:
    samples = generated(gateway)
    relevant = score(gateway, "ragas_answer_relevancy", samples)
    elsewhere = answered(samples, shifted([s.answer for s in samples]))
    irrelevant = score(gateway, "ragas_answer_relevancy", elsewhere)
    evasive = score(
        gateway, "ragas_answer_relevancy", answered(samples, [NO_CONTEXT_ANSWER] * len(samples))
    )
    assert mean(relevant.scored) > 0.4
    assert mean(relevant.scored) > mean(irrelevant.scored) + 0.25
    wins = sum(r > i for r, i in zip(relevant.scored, irrelevant.scored, strict=True))
    assert wins >= len(samples) - 1, (relevant.scored, irrelevant.scored)
    assert all(0.0 <= v <= 1.0 for v in relevant.scored + irrelevant.scored)
    assert set(evasive.scored) == {0.0}  # noncommittal: ragas zeroes the score
    assert len(set(relevant.scored)) > len(samples) // 2  # not a constant


def test_geval_correctness_spread_over_0_1_and_correct_beats_wrong(gateway) -> None:
    samples = generated(gateway)
    references = [s.reference for s in samples]
    correct = score(gateway, "deepeval_correctness", answered(samples, references))
    wrong = score(gateway, "deepeval_correctness", answered(samples, shifted(references)))
    off_topic = score(
        gateway, "deepeval_correctness", answered(samples, [OFF_TOPIC] * len(samples))
    )
    model = score(gateway, "deepeval_correctness", samples)
    assert set(correct.scored) == {1.0} and set(off_topic.scored) == {0.0}
    for good, bad in zip(correct.scored, wrong.scored, strict=True):
        assert good > bad
    # the candidate's extractive answers land in between, spread over the rubric's bands
    assert 0.2 < mean(model.scored) < 0.8
    assert len(set(model.scored)) >= 4 and max(model.scored) - min(model.scored) >= 0.3
    assert all(s.reason and "expected output" in s.reason for s in model.scores)


def test_context_metrics_follow_the_contexts(gateway) -> None:
    samples = generated(gateway)
    foreign = [
        s.model_copy(update={"contexts": c})
        for s, c in zip(samples, shifted([s.contexts for s in samples]), strict=True)
    ]
    for name in ("ragas_context_precision", "ragas_context_recall"):
        good, bad = score(gateway, name, samples), score(gateway, name, foreign)
        assert mean(good.scored) > mean(bad.scored) + 0.4, (name, good.scored, bad.scored)


def test_model_version_2_scores_lower_and_version_1_repeats(gateway, fresh_simulator) -> None:
    faithfulness = ("ragas_faithfulness", "deepeval_faithfulness")
    others = ("deepeval_correctness", "ragas_answer_relevancy")

    def means() -> dict[str, float]:
        samples = generated(gateway)
        return {name: mean(score(gateway, name, samples).scored) for name in faithfulness + others}

    first = means()
    fresh_simulator.bump(2)
    second = means()
    fresh_simulator.bump(1)
    again = means()
    assert again == first  # deterministic
    for name in faithfulness:
        assert second[name] < first[name] - 0.2, (name, first, second)
    for name in others:
        assert second[name] < first[name] - 0.05, (name, first, second)
