"""Generation: render the prompt for every item and ask the model through the gateway."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from llmops.datasets.schema import Item

if TYPE_CHECKING:
    from llmops.evals.metrics import EvalSample
    from llmops.gateway import Gateway
    from llmops.prompts import PromptSpec


class Generation(BaseModel):
    """The model's answer to one item (or why there is none)."""

    item_id: str
    answer: str | None
    error: str | None = None
    latency_ms: float | None = None
    served_model: str | None = None
    system_fingerprint: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


def item_variables(item: Item, wanted: list[str]) -> dict[str, Any]:
    """The template variables an item provides (question, contexts, reference_answer, ...)."""
    available: dict[str, Any] = {
        "question": item.question,
        "contexts": item.contexts,
        "context": "\n\n".join(item.contexts),
        "reference_answer": item.reference_answer,
        "id": item.id,
        **item.metadata,
    }
    return {name: available.get(name) for name in wanted}


async def generate(
    gateway: Gateway, spec: PromptSpec, items: list[Item], model: str | None = None
) -> list[Generation]:
    """Answer every item (concurrency is the gateway's); a failed item records its error."""
    from llmops.core.errors import LlmopsError
    from llmops.prompts import render

    alias = model or spec.model
    extra = spec.call_params()

    async def one(item: Item) -> Generation:
        try:
            messages = render(spec, item_variables(item, list(spec.variables)))
        except LlmopsError as exc:
            return Generation(item_id=item.id, answer=None, error=f"render: {exc}")
        start = time.perf_counter()
        try:
            resp = await gateway.acompletion(
                model=alias, messages=messages, metadata={"purpose": "generation"}, **extra
            )
        except Exception as exc:
            if type(exc).__name__ == "BudgetExceeded":
                raise
            return Generation(item_id=item.id, answer=None, error=f"{type(exc).__name__}: {exc}")
        usage = getattr(resp, "usage", None)
        content = resp.choices[0].message.content
        return Generation(
            item_id=item.id,
            answer=content,
            error=None if content else "empty answer",
            latency_ms=(time.perf_counter() - start) * 1000,
            served_model=getattr(resp, "model", None),
            system_fingerprint=getattr(resp, "system_fingerprint", None),
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
        )

    return list(await asyncio.gather(*(one(i) for i in items)))


def served_identity(generations: list[Generation]) -> tuple[str | None, str | None]:
    """The most frequent (served model, fingerprint) among the answers."""
    seen = Counter(
        (g.served_model, g.system_fingerprint) for g in generations if g.served_model is not None
    )
    return seen.most_common(1)[0][0] if seen else (None, None)


def to_samples(
    items: list[Item], generations: list[Generation], spec: PromptSpec
) -> list[EvalSample]:
    """Pair each item with its answer (raw model output: JSON metrics parse it)."""
    from llmops.evals.metrics import EvalSample

    answers = {g.item_id: g.answer for g in generations}
    return [
        EvalSample(
            item_id=i.id,
            question=i.question,
            contexts=i.contexts,
            reference=i.reference_answer,
            answer=answers.get(i.id),
            output_schema=spec.output_schema,
        )
        for i in items
    ]
