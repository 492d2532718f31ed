"""Eval every prompt a change touches: a model alias that was updated, or a merged prompt."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import State

from flows.eval_run import eval_run
from llmops.core.settings import get_settings
from llmops.evals.affected import AffectedEval, affected_evals
from llmops.evals.plan import EvalError, Trigger


def _run_name() -> str:
    p = flow_run.parameters
    what = f"alias-{p['alias']}" if p.get("alias") else f"prompt-{p.get('prompt')}"
    return f"eval-affected-{what}-{p.get('trigger', 'manual')}"


@flow(name="eval-affected", flow_run_name=_run_name)
async def eval_affected(
    alias: str | None = None,
    prompt: str | None = None,
    trigger: Trigger = "manual",
    promote: bool = False,
    limit: int | None = None,
) -> list[AffectedEval]:
    """Run eval-run for each (prompt, dataset) using model alias `alias`, or for prompt `prompt`.

    A merged prompt is evaluated as its `candidate` version (the merge registered it) against the
    champion; a model update evaluates each champion against its last run on the old model.
    """
    logger = get_run_logger()
    settings = get_settings()
    targets = affected_evals(settings, alias=alias, prompt=prompt)
    if not targets:
        logger.info("no prompt uses %s", f"alias {alias!r}" if alias else repr(prompt))
    states: list[tuple[AffectedEval, State]] = []
    for t in targets:
        logger.info("evaluating %s on %s (%s)", t.prompt_ref, t.dataset, t.why)
        state = await eval_run(
            dataset=t.dataset,
            prompt=t.prompt_ref,
            trigger=trigger,
            promote=promote,
            limit=limit,
            return_state=True,
        )
        states.append((t, state))
    failed = [
        f"{t.prompt_ref} on {t.dataset}: {s.message}" for t, s in states if not s.is_completed()
    ]
    results = []
    for t, s in states:
        if s.is_completed():
            r = await s.result()
            results.append(t.model_copy(update={"verdict": r.verdict, "run_id": r.run_id}))
        else:
            results.append(t.model_copy(update={"verdict": "fail", "run_id": None}))
    if failed:
        raise EvalError("; ".join(failed))
    return results
