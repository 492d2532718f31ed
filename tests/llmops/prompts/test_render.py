"""Rendering is strict: missing, unknown or None variables raise; lists become numbered blocks."""

from __future__ import annotations

import pytest

from llmops.prompts import PromptError, PromptSpec, render


def spec(*contents: str, variables: list[str]) -> PromptSpec:
    messages = [{"role": "user", "content": c} for c in contents]
    return PromptSpec(name="t", model="candidate", messages=messages, variables=variables)


def test_renders_values_and_lists_as_numbered_blocks() -> None:
    s = spec(
        "Context:\n{{ contexts }}", "Question: {{ question }}", variables=["contexts", "question"]
    )
    out = render(s, {"contexts": ["First doc.", "Second doc."], "question": "Why?"})
    assert out == [
        {"role": "user", "content": "Context:\n[1]\nFirst doc.\n\n[2]\nSecond doc."},
        {"role": "user", "content": "Question: Why?"},
    ]


def test_mappings_render_as_json_and_filters_work() -> None:
    s = spec("{{ meta }} | {{ items | join(', ') }}", variables=["items", "meta"])
    out = render(s, {"meta": {"b": 1, "a": "x"}, "items": ["p", "q"]})
    assert out[0]["content"] == '{"a": "x", "b": 1} | p, q'


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"question": "q"},
            r"prompt t: missing variable\(s\) contexts \(declared: contexts, question\)",
        ),
        ({"question": "q", "contexts": [], "id": "x"}, r"prompt t: unknown variable\(s\) id"),
        ({"contexts": []}, r"missing variable\(s\) question"),
        ({"question": None, "contexts": []}, r"variable\(s\) question are None"),
    ],
)
def test_missing_unknown_or_none_variables_raise(values: dict, expected: str) -> None:
    s = spec("{{ contexts }} {{ question }}", variables=["contexts", "question"])
    with pytest.raises(PromptError, match=expected):
        render(s, values)


def test_undefined_attribute_and_sandbox_escape_raise() -> None:
    s = spec("{{ question.missing }}", variables=["question"])
    with pytest.raises(PromptError, match=r"messages\.0\.content: .*missing"):
        render(s, {"question": "q"})
    unsafe = spec("{{ question.__class__.__mro__ }}", variables=["question"])
    with pytest.raises(PromptError, match=r"messages\.0\.content"):
        render(unsafe, {"question": "q"})
