"""The shipped prompts give grounded simulator answers on docs-qa (real HTTP, litellm)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from llmops.prompts import PromptSpec, load_spec, render
from llmops.simulators.provider import SimulatorConfig
from llmops.simulators.provider.server import run_in_thread
from llmops.simulators.provider.text import parse_prompt
from tests.builders.prompts import REPO_DATASETS, REPO_PROMPTS


def docs_qa_items() -> list[dict[str, Any]]:
    path = REPO_DATASETS / "docs-qa" / "items.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def variables(spec: PromptSpec, item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in spec.variables}


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    url, stop = run_in_thread(SimulatorConfig())
    yield url
    stop()


@pytest.mark.parametrize("name", ["docs-qa-answer", "docs-qa-json"])
def test_simulator_finds_question_and_context_in_every_item(name: str) -> None:
    spec = load_spec(REPO_PROMPTS / f"{name}.yaml")
    for item in docs_qa_items():
        parsed = parse_prompt(render(spec, variables(spec, item)))
        assert parsed.question == item["question"].strip(), item["id"]
        assert parsed.context.startswith("[1]\n"), item["id"]
        assert "support assistant" not in parsed.context  # instructions are not context


def _complete(sim_url: str, spec: PromptSpec, item: dict[str, Any]) -> str:
    import litellm

    response = litellm.completion(
        model="openai/gpt-4o-mini",
        api_base=f"{sim_url}/v1",
        api_key="sim",
        messages=render(spec, variables(spec, item)),
        **spec.call_params(),
    )
    return response.choices[0].message.content


def test_answers_are_grounded_in_the_item_contexts(sim_url: str) -> None:
    spec = load_spec(REPO_PROMPTS / "docs-qa-answer.yaml")
    for item in docs_qa_items()[:3]:
        answer = _complete(sim_url, spec, item)
        assert len(answer) > 20 and answer in "\n".join(item["contexts"]), answer


def test_json_prompt_gets_schema_valid_grounded_json(sim_url: str) -> None:
    import jsonschema

    spec = load_spec(REPO_PROMPTS / "docs-qa-json.yaml")
    assert spec.output_schema is not None
    for item in docs_qa_items()[:3]:
        data = json.loads(_complete(sim_url, spec, item))
        jsonschema.validate(data, spec.output_schema)
        assert data["answer"] in "\n".join(item["contexts"])
        assert data["sources"] and all(1 <= s <= len(item["contexts"]) for s in data["sources"])
