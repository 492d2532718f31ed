"""Eval run flow: score a prompt version and model on a golden set, compare, gate, track."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from llmops.core.settings import Settings, get_settings
from llmops.evals.generate import to_samples
from llmops.evals.outcome import EvalRunResult, assemble, completed_payload, gate_failure
from llmops.evals.plan import EvalTarget, Trigger
from tasks.evals import (
    abort_tracking,
    compare_with_baseline,
    emit_completed,
    generate_batch,
    load_inputs,
    plan_eval,
    promote_prompt,
    publish_report,
    record_eval,
    score_metric,
    start_tracking,
)


def _run_name() -> str:
    p = flow_run.parameters
    return f"eval-{p.get('prompt', '?')}-on-{p.get('dataset', '?')}-{p.get('trigger', 'manual')}"


async def _all(coros: list[Any]) -> list[Any]:
    """Await every coroutine; on the first failure (e.g. the USD cap) cancel the rest, re-raise."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _evaluate(
    settings: Settings,
    gateway: Any,
    target: EvalTarget,
    trigger: str,
    role: str,
    baseline_run_id: str | None,
    baseline_note: str,
    concurrency: int,
    promote: bool = False,
) -> EvalRunResult:
    """Generate, score, compare and record one prompt version on one dataset version;
    with `promote`, a pass moves the champion alias to it before the run is recorded."""
    from llmops.evals.usage import summarize

    logger = get_run_logger()
    flow_run_id = str(flow_run.id) if flow_run.id else None
    inputs = load_inputs(settings, target)
    run_id = start_tracking(settings, target, trigger, role, flow_run_id, inputs.items)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    calls_before = len(gateway.records)
    try:
        batches = _batches(inputs.items, settings.evals.generation_batch)
        generated = await _all(
            [
                generate_batch(
                    gateway, inputs.spec, batch, target.model_alias, f"{n + 1}-of-{len(batches)}"
                )
                for n, batch in enumerate(batches)
            ]
        )
        generations = [g for batch in generated for g in batch]
        samples = to_samples(inputs.items, generations, inputs.spec)
        results = await _all(
            [score_metric(m, samples, gateway, concurrency) for m in inputs.suite.metrics]
        )
        comparison = compare_with_baseline(settings, results, inputs.suite, baseline_run_id)
    except BaseException as exc:
        abort_tracking(settings, run_id, f"{type(exc).__name__}: {exc}")
        raise
    wall = time.perf_counter() - clock
    calls = gateway.records[calls_before:]
    usage = summarize(calls)
    promoted = None
    if promote and comparison.verdict == "pass":
        promoted = promote_prompt(settings, target.prompt_name, target.prompt_version)
    elif promote:
        logger.info("not promoted: the verdict is %s", comparison.verdict)
    record = assemble(
        run_id=run_id,
        flow_run_id=flow_run_id,
        target=target,
        trigger=trigger,
        role=role,
        baseline_run_id=baseline_run_id,
        baseline_note=baseline_note,
        started=started,
        wall_seconds=wall,
        generations=generations,
        results=results,
        comparison=comparison,
        usage=usage,
        promoted=promoted,
    )
    record_eval(
        settings,
        record.run,
        record.metric_rows,
        record.result_rows,
        record.mlflow_params,
        record.mlflow_metrics,
        record.report,
    )
    logger.info("%s run %s: %s (%s)", role, run_id, comparison.verdict, comparison.reason)
    return record.result


@flow(name="eval-run", flow_run_name=_run_name)
async def eval_run(
    dataset: str = "docs-qa",
    prompt: str = "docs-qa-answer",
    model: str | None = None,
    trigger: Trigger = "manual",
    baseline: str = "auto",
    promote: bool = False,
    max_usd: float | None = None,
    concurrency: int | None = None,
    limit: int | None = None,
    suite: str | None = None,
    fail_on_regression: bool = True,
) -> EvalRunResult:
    """Evaluate `prompt[@version]` on `dataset[@version]`, compare with the baseline, gate.

    Args:
        dataset: golden dataset, `name` or `name@version`.
        prompt: `name`, `name@champion`, `name@candidate`, `name@3` or a content-hash prefix.
        model: model alias to run the prompt on (default: the prompt's own alias).
        trigger: why the run happens: schedule, model_update, prompt_merge or manual.
        baseline: `auto` (the champion's last run on this dataset), `none`, or an MLflow run id.
        promote: on a pass, move the prompt's `champion` alias to the evaluated version.
        max_usd: stop cleanly once the run has spent this much (default: settings).
        concurrency: LLM calls in flight (default: settings, 32).
        limit: evaluate only the first N items by id (smoke runs).
        suite: a metric suite YAML instead of the dataset's own suite.yaml.
        fail_on_regression: end the flow run Failed when the gate fails (after recording).
    """
    from llmops.gateway import Gateway

    settings = get_settings()
    logger = get_run_logger()
    plan = plan_eval(settings, dataset, prompt, model, trigger, baseline, limit, suite)
    conc = concurrency or settings.evals.concurrency
    cap = max_usd if max_usd is not None else settings.evals.usd_cap
    gateway = Gateway(settings, usd_cap=cap, concurrency=conc)
    baseline_run_id, note = plan.baseline_run_id, plan.baseline_note
    if plan.champion_first is not None:
        logger.info("baseline: %s", note)
        first = await _evaluate(
            settings, gateway, plan.champion_first, trigger, "baseline", None, note, conc
        )
        baseline_run_id = first.run_id
        note = f"champion v{plan.champion_first.prompt_version}, run in this flow"
    if promote and plan.is_champion:
        logger.info("not promoted: v%s is already the champion", plan.candidate.prompt_version)
    result = await _evaluate(
        settings,
        gateway,
        plan.candidate,
        trigger,
        "candidate",
        baseline_run_id,
        note,
        conc,
        promote=promote and not plan.is_champion,
    )
    key = f"eval-{plan.candidate.prompt_name}-{plan.candidate.dataset}".lower()
    publish_report(key, result.report, f"{result.verdict}: {result.reason}")
    run_id = str(flow_run.id) if flow_run.id else None
    emit_completed(completed_payload(plan.candidate, result, trigger), run_id)
    if fail_on_regression and result.verdict == "fail":
        raise gate_failure(plan.candidate, result)
    return result
