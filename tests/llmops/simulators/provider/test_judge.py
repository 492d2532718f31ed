"""Judge-mode logic: evasive answers, generated questions, correctness, score ranges, embeddings."""

from __future__ import annotations

import json

import pytest

from llmops.simulators.provider.judge import (
    Judgement,
    build_instance,
    json_validity_reason,
    score_range,
)
from llmops.simulators.provider.text import (
    NO_CONTEXT_ANSWER,
    UNSUPPORTED_CLAIM,
    Prompt,
    correctness,
    embed,
    is_evasive,
    question_for,
)

REFERENCE = "Use spark.read.json to load a JSON file. Multi-line mode is not enabled by default."


def cos(a: list[float], b: list[float]) -> float:
    """Dot product of two unit vectors."""
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(
    ("answer", "evasive"),
    [
        ("I don't know.", True),
        (NO_CONTEXT_ANSWER, True),
        ("I'm not sure, it could be either.", True),
        ("I cannot answer that from the documents.", True),
        ("The documents do not contain the answer.", True),
        ("It depends on your cluster.", True),
        ("Use spark.read.json to load a JSON file.", False),
        ("A Delta table does not contain duplicate rows after MERGE.", False),
        ("Clusters cannot start without a policy. I don't know the rest.", False),
    ],
)
def test_is_evasive(answer: str, evasive: bool) -> None:
    assert is_evasive(answer) is evasive


def test_question_for_uses_key_terms_and_skips_link_targets() -> None:
    question = question_for("Read [JSON files](https://x.io/a/b.html) with spark.read.json.")
    assert question == "What is the read json files spark?"
    assert question_for("") == "What is it?"


def test_embeddings_related_question_closer_and_cosine_non_negative() -> None:
    asked = embed("How do I read a JSON file in Databricks?", 256)
    related = embed(question_for("Use spark.read.json to read JSON files in Databricks."), 256)
    unrelated = embed(question_for("Cluster policies limit the instance types users pick."), 256)
    assert cos(asked, related) > 0.5 > 0.2 > cos(asked, unrelated) >= 0.0
    assert embed("Is it?", 16) != embed("", 16)  # stopword-only texts still embed their words


@pytest.mark.parametrize(
    ("answer", "low", "high"),
    [
        (REFERENCE, 1.0, 1.0),  # complete and correct
        ("Load a JSON file with spark.read.json.", 0.6, 0.9),  # main point, a detail missing
        (f"Use spark.read.json to load a JSON file. {UNSUPPORTED_CLAIM}", 0.4, 0.6),
        ("Multi-line mode is enabled by default.", 0.0, 0.2),  # contradicts
        ("Cluster policies limit instance types.", 0.0, 0.1),  # off topic
        ("", 0.0, 0.0),
    ],
)
def test_correctness_value(answer: str, low: float, high: float) -> None:
    value = correctness(answer, REFERENCE, "How do I load a JSON file?").value
    assert low <= value <= high, value


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ('- `"score"`: an integer between 0 and 10, based on the rubric', (0, 10, True)),
        (
            "a `score` key that is STRICTLY EITHER 1 (follows the criteria 100%), OR 0 (not)",
            (0, 1, True),
        ),
        ("Give a score on a scale of 1 to 5.", (1, 5, False)),
        ("Return the verdicts as JSON.", None),
    ],
)
def test_score_range(prompt: str, expected: tuple | None) -> None:
    assert score_range(prompt) == expected


GEVAL_SCHEMA = {
    "type": "object",
    "properties": {"reason": {"type": "string"}, "score": {"type": "number"}},
    "required": ["reason", "score"],
}


def geval_prompt(actual: str, strict: bool = False) -> str:
    """The shape of deepeval 4.3's GEval results prompt (input, actual, expected output)."""
    ask = (
        "a `score` key that is STRICTLY EITHER 1 (follows the criteria), OR 0 (does not)"
        if strict
        else '- `"score"`: an integer between 0 and 10, based on the rubric provided.'
    )
    return (
        f"You are an evaluator. Return JSON.\n{ask}\n\nEvaluation Steps:\n1. Compare.\n\n"
        "Rubric:\n0-2: Wrong.\n9-10: Correct.\n\nTest Case:\nInput:\nHow do I load JSON? \n\n"
        f"Actual Output:\n{actual} \n\nExpected Output:\n{REFERENCE} \n\n\n\n"
        "Parameters:\nInput, Actual Output, and Expected Output\n\n---\nJSON:"
    )


def test_geval_score_on_the_prompt_scale_with_a_reason() -> None:
    def judge(actual: str, strict: bool = False) -> dict:
        return build_instance(
            GEVAL_SCHEMA, Judgement(Prompt("", ""), 1, geval_prompt(actual, strict))
        )

    full, partial, wrong = judge(REFERENCE), judge("Load a JSON file."), judge("Clusters scale.")
    assert (full["score"], wrong["score"]) == (10, 0)
    assert 3 <= partial["score"] <= 8 and isinstance(partial["score"], int)
    assert "key terms of the expected output" in partial["reason"]
    assert "misses" in partial["reason"]
    assert (judge(REFERENCE, True)["score"], judge("Clusters scale.", True)["score"]) == (1, 0)


def test_answer_relevancy_instance_from_the_response_only() -> None:
    schema = {
        "type": "object",
        "properties": {"question": {"type": "string"}, "noncommittal": {"type": "integer"}},
    }

    def judge(response: str) -> dict:
        text = (
            'Example\nInput: {"response": "Paris."}\nOutput: {"question": "x", "noncommittal": 0}\n'
            f"Now perform the same with the following input\ninput: {json.dumps({'response': response})}"
            "\nOutput: "
        )
        return build_instance(schema, Judgement(Prompt("", "question"), 1, text))

    grounded = judge("Use spark.read.json to load a JSON file.")
    assert grounded == {"question": "What is the use spark read json load file?", "noncommittal": 0}
    assert judge(NO_CONTEXT_ANSWER)["noncommittal"] == 1


def test_json_validity_reason_names_the_violation() -> None:
    schema = json.dumps({"type": "object", "properties": {"answer": {"type": "string"}}})

    def reason(generated: str) -> str | None:
        text = f"Generated Json:\n{generated}\n\nExpected Json Schema:\n{schema}\n\nIs Valid Json?\nFalse"
        return json_validity_reason(text)

    assert reason('{"answer": 42}') == (
        "The generated Json is not valid because at answer: 42 is not of type 'string'."
    )
    assert "does not parse" in reason("The answer is yes.")
    assert "is valid" in reason('{"answer": "yes"}')
    assert json_validity_reason("no such sections") is None


def test_restating_a_reference_with_mixed_polarity_is_no_contradiction() -> None:
    reference = "Serverless supports Python notebooks. Serverless does not support Scala notebooks."
    assert correctness(reference, reference).value == 1.0
    assert correctness("Serverless supports Scala notebooks.", reference).contradicted == 1
    assert correctness("Serverless supports Python notebooks.", reference).contradicted == 0
