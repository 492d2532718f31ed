"""Real docs-qa items, answers generated through the gateway, and the gateway on the simulator."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from llmops.evals.metrics import EvalSample, MetricSpec
from tests.builders.paths import REPO

DOCS_QA = REPO / "datasets" / "docs-qa"

# Claims about Databricks that none of the docs-qa contexts support.
UNGROUNDED = (
    "Quantum ledgers synchronize every penguin orchestra on Saturn. "
    "The velvet compiler refuses lemonade during eclipse festivals."
)


def docs_qa_items(references: int = 4, negatives: int = 1) -> list[dict[str, Any]]:
    """The first items with a reference and the first labelled negatives of docs-qa."""
    rows = [json.loads(line) for line in (DOCS_QA / "items.jsonl").read_text().splitlines()]
    with_ref = [r for r in rows if r["reference_answer"] is not None][:references]
    negative = [r for r in rows if r["reference_answer"] is None][:negatives]
    return with_ref + negative


def spec(library: str, metric: str, name: str | None = None, **params: Any) -> MetricSpec:
    """A MetricSpec built in code (as the eval flow may)."""
    return MetricSpec(
        name=name or f"{library}_{metric}", library=library, metric=metric, params=params
    )


def run(coro: Any) -> Any:
    """Run a coroutine on a fresh event loop."""
    return asyncio.run(coro)


@pytest.fixture
def gateway(simulator, home):
    """The project's gateway, its aliases (judge, embedder, candidate) served by the simulator."""
    from llmops.core.settings import get_settings
    from llmops.gateway import Gateway

    return Gateway(get_settings())


@pytest.fixture
def samples(gateway) -> list[EvalSample]:
    """5 real docs-qa items (4 with a reference, 1 labelled negative) answered by `candidate`."""

    async def answer(item: dict[str, Any]) -> str:
        messages = [
            {"role": "system", "content": "Answer using only the context."},
            {
                "role": "user",
                "content": f"Context:\n{item['contexts'][0]}\n\nQuestion: {item['question']}",
            },
        ]
        response = await gateway.acompletion("candidate", messages)
        return response.choices[0].message.content

    async def all_answers(items: list[dict[str, Any]]) -> list[str]:
        return await asyncio.gather(*(answer(i) for i in items))

    items = docs_qa_items()
    answers = run(all_answers(items))
    return [
        EvalSample(
            item_id=i["id"],
            question=i["question"],
            contexts=i["contexts"],
            reference=i["reference_answer"],
            answer=a,
        )
        for i, a in zip(items, answers, strict=True)
    ]


def grounded_and_ungrounded(samples: list[EvalSample]) -> tuple[list, list]:
    """The same items answered with their context's first sentences, and with invented claims."""
    grounded = [
        s.model_copy(update={"answer": ". ".join(s.contexts[0].split(". ")[:2]) + "."})
        for s in samples
    ]
    ungrounded = [s.model_copy(update={"answer": UNGROUNDED}) for s in samples]
    return grounded, ungrounded
