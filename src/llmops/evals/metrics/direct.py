"""The same metrics through ragas's and deepeval's own runners: the benchmark's comparison.

Both take the same specs, samples, LLMClient and concurrency as `score_metric`, decide
applicability the same way (so both score the same item/metric pairs) and return the same
MetricResult rows. Each is one shared run over all its metrics, so every result's `duration_s`
is that run's wall time and `llm_calls` the run's total.

- ragas: `ragas.executor.Executor` (the runner behind `ragas.evaluate`, which no longer accepts
  collections metrics) with `RunConfig(max_workers=concurrency)`, one job per (metric, item)
  calling `metric.ascore`; a failed job is NaN (ragas logs the exception). Or
  `runner="abatch_score"`: each metric's `abatch_score` (an unbounded `asyncio.gather`; the
  concurrency is then enforced on LLM calls in flight), one metric after another.
- deepeval: `deepeval.evaluate.execute.a_execute_test_cases`, the coroutine `deepeval.evaluate()`
  runs when `AsyncConfig(run_async=True)`, with `max_concurrent=concurrency` test cases in
  flight, every metric of a test case measured together, errors kept per metric
  (`ignore_errors`) and metrics whose inputs a test case lacks skipped. Called directly so it
  runs on the caller's event loop with the same LLMClient (`evaluate()` would re-enter the loop
  through nest_asyncio).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Literal

from pydantic import BaseModel

from llmops.evals.metrics.catalog import entry
from llmops.evals.metrics.models import EvalSample, ItemScore, MetricResult, MetricSpec
from llmops.evals.metrics.runner import NO_ANSWER, MetricSetupError, describe, not_applicable
from llmops.gateway.client import CountingClient, LLMClient


class DirectRun(BaseModel):
    """One direct runner's pass over its metrics."""

    runner: str
    concurrency: int
    wall_s: float
    llm_calls: int
    results: list[MetricResult]


def _plan(spec: MetricSpec, samples: list[EvalSample]) -> tuple[dict[str, ItemScore], list]:
    """Pre-decided items (not applicable, no answer) and the samples the library must score."""
    decided: dict[str, ItemScore] = {}
    todo: list[EvalSample] = []
    reads_answer = entry(spec.library, spec.metric).answer
    for sample in samples:
        reason = not_applicable(spec, sample)
        if reason is not None:
            decided[sample.item_id] = ItemScore(item_id=sample.item_id, score=None, reason=reason)
        elif reads_answer and sample.answer is None:
            decided[sample.item_id] = ItemScore(item_id=sample.item_id, score=None, error=NO_ANSWER)
        else:
            todo.append(sample)
    return decided, todo


def _result(
    spec: MetricSpec,
    samples: list[EvalSample],
    scores: dict[str, ItemScore],
    wall: float,
    calls: int,
) -> MetricResult:
    missing = ItemScore(item_id="", score=None, error="the library returned no result")
    return MetricResult(
        name=spec.name,
        library=spec.library,
        metric=spec.metric,
        scores=[
            scores.get(s.item_id, missing.model_copy(update={"item_id": s.item_id}))
            for s in samples
        ],
        duration_s=round(wall, 6),
        llm_calls=calls,
    )


def _only(specs: list[MetricSpec], library: str) -> list[MetricSpec]:
    wrong = [s.name for s in specs if s.library != library]
    if wrong:
        raise ValueError(f"the {library} direct runner got metrics of other libraries: {wrong}")
    return specs


class _Bounded:
    """At most `limit` LLM calls in flight (for abatch_score, which has no concurrency knob)."""

    def __init__(self, inner: LLMClient, limit: int) -> None:
        self.inner = inner
        self.gate = asyncio.Semaphore(limit)

    async def acompletion(self, model: str, messages: list[dict], **kwargs: Any) -> Any:
        async with self.gate:
            return await self.inner.acompletion(model, messages, **kwargs)

    async def aembedding(self, model: str, input: list[str], **kwargs: Any) -> Any:  # noqa: A002
        async with self.gate:
            return await self.inner.aembedding(model, input, **kwargs)


def _ragas_item(sample: EvalSample, output: Any) -> ItemScore:
    from llmops.evals.metrics.ragas_metrics import result_value

    if isinstance(output, BaseException):
        return ItemScore(item_id=sample.item_id, score=None, error=describe(output))
    if isinstance(output, float):  # the Executor's NaN for a failed job
        return ItemScore(
            item_id=sample.item_id,
            score=None,
            error="ragas Executor: job failed (NaN; ragas logged the exception)",
        )
    try:
        score, reason = result_value(output)
    except ValueError as exc:
        return ItemScore(item_id=sample.item_id, score=None, error=describe(exc))
    return ItemScore(item_id=sample.item_id, score=score, reason=reason)


async def run_ragas_direct(
    specs: list[MetricSpec],
    samples: list[EvalSample],
    llm: LLMClient,
    concurrency: int,
    runner: Literal["executor", "abatch_score"] = "executor",
) -> DirectRun:
    """The ragas specs through ragas's Executor (or each metric's abatch_score)."""
    from ragas.executor import Executor
    from ragas.run_config import RunConfig

    from llmops.evals.metrics.ragas_metrics import RagasMetric

    counting = CountingClient(llm, purpose="direct:ragas")
    client: LLMClient = counting if runner == "executor" else _Bounded(counting, concurrency)
    built: dict[str, RagasMetric] = {}
    for spec in _only(specs, "ragas"):
        try:
            built[spec.name] = RagasMetric(spec, client)
        except Exception as exc:
            raise MetricSetupError(
                f"{spec.label}: ragas cannot construct it: {describe(exc)}"
            ) from exc
    plans = {spec.name: _plan(spec, samples) for spec in specs}
    started = time.perf_counter()
    for spec in specs:  # SemanticSimilarity embeds synchronously: prefetch in one batch
        texts = [t for s in plans[spec.name][1] for t in built[spec.name].sync_texts(s)]
        if texts:
            await built[spec.name].embeddings.prefetch(texts)
    outputs: dict[str, list[Any]] = {}
    if runner == "executor":
        executor = Executor(
            desc="ragas direct",
            show_progress=False,
            raise_exceptions=False,
            run_config=RunConfig(max_workers=concurrency),
        )
        for spec in specs:
            for sample in plans[spec.name][1]:
                executor.submit(built[spec.name].metric.ascore, **built[spec.name].inputs(sample))
        flat = iter(await executor.aresults())
        outputs = {spec.name: [next(flat) for _ in plans[spec.name][1]] for spec in specs}
    else:
        for spec in specs:
            todo = plans[spec.name][1]
            try:
                outputs[spec.name] = await built[spec.name].metric.abatch_score(
                    [built[spec.name].inputs(s) for s in todo]
                )
            except Exception as exc:  # abatch_score's gather stops at the first failure
                outputs[spec.name] = [exc] * len(todo)
    wall = time.perf_counter() - started
    results = []
    for spec in specs:
        decided, todo = plans[spec.name]
        scores = dict(decided)
        scores.update(
            {s.item_id: _ragas_item(s, o) for s, o in zip(todo, outputs[spec.name], strict=True)}
        )
        results.append(_result(spec, samples, scores, wall, counting.calls))
    return DirectRun(
        runner=f"ragas.{runner}",
        concurrency=concurrency,
        wall_s=round(wall, 6),
        llm_calls=counting.calls,
        results=results,
    )


async def run_deepeval_direct(
    specs: list[MetricSpec], samples: list[EvalSample], llm: LLMClient, concurrency: int
) -> DirectRun:
    """The deepeval specs through deepeval's own async runner (what evaluate() runs)."""
    from deepeval.evaluate.configs import AsyncConfig, CacheConfig, DisplayConfig, ErrorConfig
    from deepeval.evaluate.execute import a_execute_test_cases

    from llmops.evals.metrics.deepeval_metrics import metric_factory, to_test_case

    counting = CountingClient(llm, purpose="direct:deepeval")
    factories = {}
    for spec in _only(specs, "deepeval"):
        try:
            factories[spec.name] = metric_factory(spec, counting)
        except Exception as exc:
            raise MetricSetupError(
                f"{spec.label}: deepeval cannot construct it: {describe(exc)}"
            ) from exc
    plans = {spec.name: _plan(spec, samples) for spec in specs}
    todo_ids = {name: {s.item_id for s in plan[1]} for name, plan in plans.items()}
    # One deepeval run per output schema (JsonCorrectnessMetric is built for one schema).
    groups: dict[str, list[EvalSample]] = {}
    for sample in samples:
        if any(sample.item_id in todo_ids[spec.name] for spec in specs):
            groups.setdefault(json.dumps(sample.output_schema, sort_keys=True), []).append(sample)
    scores: dict[str, dict[str, ItemScore]] = {
        spec.name: dict(plans[spec.name][0]) for spec in specs
    }
    started = time.perf_counter()
    for group in groups.values():
        members = [s for s in specs if any(x.item_id in todo_ids[s.name] for x in group)]
        metrics = [factories[spec.name](group[0]) for spec in members]
        by_name = {m.__name__: spec for m, spec in zip(metrics, members, strict=True)}
        if len(by_name) != len(metrics):
            raise ValueError(
                f"two deepeval metrics share a display name: {[m.__name__ for m in metrics]}"
            )
        cases = [to_test_case(s) for s in group]
        test_results = await a_execute_test_cases(
            cases,
            metrics,
            error_config=ErrorConfig(ignore_errors=True, skip_on_missing_params=True),
            display_config=DisplayConfig(
                show_indicator=False, print_results=False, inspect_after_run=False
            ),
            cache_config=CacheConfig(write_cache=False, use_cache=False),
            async_config=AsyncConfig(run_async=True, max_concurrent=concurrency),
        )
        for test_result in test_results:
            for data in test_result.metrics_data or []:
                spec = by_name[data.name]
                if test_result.name in scores[spec.name]:
                    continue  # decided before the run (not applicable / no answer)
                item = ItemScore(item_id=test_result.name, score=None)
                if data.error:
                    item.error = f"deepeval: {data.error}"
                elif data.score is None:
                    item.error = "deepeval returned no score"
                else:
                    item.score, item.reason = float(data.score), data.reason
                scores[spec.name][test_result.name] = item
    wall = time.perf_counter() - started
    return DirectRun(
        runner="deepeval.a_execute_test_cases",
        concurrency=concurrency,
        wall_s=round(wall, 6),
        llm_calls=counting.calls,
        results=[_result(s, samples, scores[s.name], wall, counting.calls) for s in specs],
    )
