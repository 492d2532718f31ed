"""Score one metric over a set of samples: bounded concurrency, per-item errors, not-applicable."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

from llmops.core.errors import LlmopsError
from llmops.evals.metrics.catalog import entry
from llmops.evals.metrics.models import EvalSample, ItemScore, MetricResult, MetricSpec
from llmops.gateway.client import CountingClient, LLMClient, run_stopper

Check = Callable[[EvalSample], Awaitable[tuple[float, str | None]]]

NO_ANSWER = "no answer: generation failed for this item"


class MetricSetupError(LlmopsError):
    """A metric that its library cannot construct (names the suite file and the metric)."""


def build_check(spec: MetricSpec, llm: LLMClient) -> Check:
    """The per-item scoring function of a spec, or MetricSetupError."""
    try:
        if spec.library == "ragas":
            from llmops.evals.metrics.ragas_metrics import build_ragas_check

            return build_ragas_check(spec, llm)
        if spec.library == "deepeval":
            from llmops.evals.metrics.deepeval_metrics import build_deepeval_check

            return build_deepeval_check(spec, llm)
        from llmops.evals.metrics.deterministic import build_check as deterministic

        return deterministic(spec)
    except Exception as exc:
        raise MetricSetupError(
            f"{spec.label}: {spec.library} cannot construct it: {type(exc).__name__}: {exc}"
        ) from exc


def not_applicable(spec: MetricSpec, sample: EvalSample) -> str | None:
    """Why the metric does not apply to this item (a needed field is absent), else None."""
    if "reference" in spec.needs and sample.reference is None:
        return "not applicable: no reference"
    if "contexts" in spec.needs and not sample.contexts:
        return "not applicable: no contexts"
    if "output_schema" in spec.needs and sample.output_schema is None:
        return "not applicable: no output schema"
    return None


def describe(exc: BaseException) -> str:
    """`Type: message`, one line, bounded."""
    text = " ".join(str(exc).split()) or repr(exc)
    return f"{type(exc).__name__}: {text[:500]}"


async def score_metric(
    spec: MetricSpec, samples: list[EvalSample], llm: LLMClient, concurrency: int
) -> MetricResult:
    """Score every sample with one metric; failures are per item, errors that stop runs raise."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    counting = CountingClient(llm, purpose=f"metric:{spec.name}")
    check = build_check(spec, counting)
    reads_answer = entry(spec.library, spec.metric).answer
    gate = asyncio.Semaphore(concurrency)

    async def one(sample: EvalSample) -> ItemScore:
        reason = not_applicable(spec, sample)
        if reason is not None:
            return ItemScore(item_id=sample.item_id, score=None, reason=reason)
        if reads_answer and sample.answer is None:
            return ItemScore(item_id=sample.item_id, score=None, error=NO_ANSWER)
        async with gate:
            try:
                score, why = await check(sample)
            except Exception as exc:
                stop = run_stopper(exc)
                if stop is not None:
                    raise stop from None  # unwrapped: the flow sees the gateway's own error
                return ItemScore(item_id=sample.item_id, score=None, error=describe(exc))
        if not math.isfinite(score):
            return ItemScore(item_id=sample.item_id, score=None, error=f"non-finite score {score}")
        return ItemScore(item_id=sample.item_id, score=score, reason=why)

    started = time.perf_counter()
    tasks = [asyncio.ensure_future(one(s)) for s in samples]
    try:
        scores = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:  # an error that stops the run: no more calls for this metric
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return MetricResult(
        name=spec.name,
        library=spec.library,
        metric=spec.metric,
        scores=list(scores),
        duration_s=round(time.perf_counter() - started, 6),
        llm_calls=counting.calls,
    )
