"""Pure logic of the simulator: prompt parsing, ranking, versions, judge instances, embeddings."""

from __future__ import annotations

import json
import math

import jsonschema
import pytest

from llmops.simulators.provider.judge import Judgement, build_instance, embedded_schema
from llmops.simulators.provider.text import (
    NO_CONTEXT_ANSWER,
    UNSUPPORTED_CLAIM,
    Prompt,
    embed,
    grounded_answer,
    parse_prompt,
    token_f1,
)

CONTEXT = "Paris is the capital of France. Berlin is the capital of Germany. Rome has seven hills."


@pytest.mark.parametrize(
    ("messages", "context", "question"),
    [
        (
            [{"role": "user", "content": f"Context: {CONTEXT}\nQuestion: Capital of Germany?"}],
            CONTEXT,
            "Capital of Germany?",
        ),
        (
            [{"role": "system", "content": CONTEXT}, {"role": "user", "content": "Rome hills?"}],
            CONTEXT,
            "Rome hills?",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "Question: x?\nContext: abc."}],
                }
            ],
            "abc.",
            "x?",
        ),
        ([{"role": "user", "content": "hello"}], "", "hello"),
    ],
)
def test_parse_prompt_finds_context_and_question(messages, context, question) -> None:
    assert parse_prompt(messages) == Prompt(context=context, question=question)


def test_version_rule_best_sentence_then_degraded() -> None:
    prompt = Prompt(context=CONTEXT, question="What is the capital of Germany?")
    assert grounded_answer(prompt, 1) == "Berlin is the capital of Germany."
    v2 = grounded_answer(prompt, 2)
    assert v2 == f"Paris is the capital of France. {UNSUPPORTED_CLAIM}"
    assert grounded_answer(Prompt(context="", question="q"), 1) == NO_CONTEXT_ANSWER


@pytest.mark.parametrize(
    ("pred", "ref", "expected"),
    [("a b c", "a b c", 1.0), ("a b", "c d", 0.0), ("a b", "a c", 0.5)],
)
def test_token_f1(pred: str, ref: str, expected: float) -> None:
    assert token_f1(pred, ref) == pytest.approx(expected)


def test_judge_instance_validates_pydantic_style_schema() -> None:
    schema = {
        "$defs": {
            "Verdict": {
                "type": "object",
                "properties": {
                    "statement": {"type": "string"},
                    "reason": {"type": "string"},
                    "verdict": {"type": "integer", "minimum": 0, "maximum": 1},
                },
                "required": ["statement", "reason", "verdict"],
            }
        },
        "type": "object",
        "properties": {
            "statements": {"type": "array", "items": {"$ref": "#/$defs/Verdict"}, "minItems": 1},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "label": {"enum": ["no", "yes", "idk"]},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "ok": {"type": "boolean"},
        },
        "required": ["statements", "score", "rating", "label"],
        "additionalProperties": False,
    }
    good = Judgement(Prompt(context=CONTEXT, question="Berlin is the capital of Germany."), 1)
    bad = Judgement(Prompt(context=CONTEXT, question="Madrid hosts the Olympic marathon."), 1)
    good_obj, bad_obj = build_instance(schema, good), build_instance(schema, bad)
    jsonschema.validate(good_obj, schema)
    jsonschema.validate(bad_obj, schema)
    assert (good_obj["label"], bad_obj["label"]) == ("yes", "no")
    assert good_obj["statements"][0]["verdict"] == 1 and bad_obj["statements"][0]["verdict"] == 0
    assert good_obj["score"] > bad_obj["score"]


def test_embedded_schema_found_in_instructor_style_prompt() -> None:
    text = 'Return json matching:\n{"properties": {"a": {"type": "string"}}, "type": "object"} ok'
    assert embedded_schema(text) == {"properties": {"a": {"type": "string"}}, "type": "object"}
    assert embedded_schema("no schema {here}") is None


def test_embeddings_unit_norm_and_similarity() -> None:
    def cos(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    a, b = embed("The cat sat on the mat.", 256), embed("A cat sat on a mat!", 256)
    c = embed("Quarterly revenue grew by nine percent.", 256)
    assert math.isclose(math.sqrt(cos(a, a)), 1.0)
    assert cos(a, b) > cos(a, c)
    assert embed("", 64) == [1.0] + [0.0] * 63


def test_judge_reads_ragas_input_json_and_deepeval_sections() -> None:
    schema = {
        "type": "object",
        "properties": {
            "verdicts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "verdict": {"enum": ["yes", "no", "borderline"]},
                        "reason": {"type": "string"},
                    },
                },
            }
        },
    }
    judged = {
        "context": CONTEXT,
        "statements": ["Berlin is the capital of Germany.", "Madrid is sunny."],
    }
    ragas = (
        'Example input: {"context": "x", "statements": ["y"]}\nNow the following\n'
        f"input: {json.dumps(judged)}\nOutput: "
    )
    deepeval = (
        f'Example JSON: {{"verdicts": []}}\n\nRetrieval Contexts:\n{CONTEXT}\n\n'
        "Claims:\n['Berlin is the capital of Germany.', 'Madrid is sunny.']\n\nJSON:"
    )
    for prompt_text in (ragas, deepeval):
        obj = build_instance(schema, Judgement(Prompt("", ""), 1, prompt_text))
        assert [v["verdict"] for v in obj["verdicts"]] == ["yes", "no"], prompt_text
