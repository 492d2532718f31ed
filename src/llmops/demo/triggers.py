"""The demo's model-update path on a real server and worker: bump, watch, triggered eval, links."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from llmops.core.errors import LlmopsError
from llmops.core.settings import Settings
from llmops.orchestration.runs import (
    deployment_runs,
    read_events,
    read_flow_run,
    start_deployment,
    subflow_runs,
)

if TYPE_CHECKING:
    from rich.console import Console

    from llmops.orchestration.runs import FlowRun

MODEL_UPDATED = "llmops.model.updated"
WATCH_DEPLOYMENT = "model-watch/model-watch"
MODEL_UPDATE_DEPLOYMENT = "eval-affected/eval-on-model-update"
PROMPT_MERGE_DEPLOYMENT = "eval-affected/eval-on-prompt-merge"


class DemoTimeout(LlmopsError):
    """Something the demo waits for did not happen in time."""


@dataclass(frozen=True)
class TriggeredEval:
    """One eval-run subflow of a triggered run, as recorded in the lake."""

    flow_run_id: str
    mlflow_run_id: str
    prompt: str
    dataset: str
    verdict: str
    reason: str
    served_model: str | None


def wait_until(what: str, check: Callable[[], Any], timeout_s: float, hint: str = "") -> Any:
    """Poll `check` until it returns something truthy; DemoTimeout naming `what` after the time."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoTimeout(
                f"{what}: nothing after {timeout_s:.0f} s{'; ' + hint if hint else ''}"
            )
        time.sleep(1.0)


def wait_final(flow_run_id: UUID | str, timeout_s: float, hint: str = "") -> FlowRun:
    """Wait until a flow run reaches a final state (completed, failed, crashed, cancelled)."""

    def final() -> FlowRun | None:
        run = read_flow_run(flow_run_id)
        return run if run.state is not None and run.state.is_final() else None

    return wait_until(f"flow run {flow_run_id} to finish", final, timeout_s, hint)


def triggered_evals(settings: Settings, parent: UUID | str) -> list[TriggeredEval]:
    """The eval-run subflows of an eval-affected run, with their verdicts from the lake."""
    from llmops.lake.warehouse import connect

    ids = [str(r.id) for r in subflow_runs(parent)]
    if not ids:
        return []
    con = connect(settings.lake_dir)
    try:
        rows = con.execute(
            "SELECT flow_run_id, run_id, prompt_name || '@v' || prompt_version, dataset, "
            "verdict, verdict_reason, served_model FROM eval_runs "
            f"WHERE flow_run_id IN ({', '.join('?' for _ in ids)}) ORDER BY started_at",
            ids,
        ).fetchall()
    finally:
        con.close()
    return [TriggeredEval(*row) for row in rows]


def ensure_baselines(settings: Settings, console: Console, served: dict[str, str]) -> list[str]:
    """Run the champion (in this process) of every prompt on the aliases of `served` whose last
    run was not on the model served now, so the eval after an update compares with the old
    model; the MLflow run ids it made."""
    import asyncio

    from flows.eval_run import eval_run
    from llmops.datasets.lineage import mlflow_client
    from llmops.evals.affected import affected_evals
    from llmops.evals.plan import make_plan

    made: list[str] = []
    for alias, model in served.items():
        for t in affected_evals(settings, alias=alias):
            plan = make_plan(settings, t.dataset, t.prompt_ref, None, "manual")
            if plan.baseline_run_id is not None:
                run = mlflow_client(settings.mlflow_uri).get_run(plan.baseline_run_id)
                if run.data.params.get("served_model") == model:
                    continue
            with console.status(f"baseline eval of {t.prompt_ref} on {t.dataset} ({model}) ..."):
                state = asyncio.run(
                    eval_run(
                        dataset=t.dataset,
                        prompt=t.prompt_ref,
                        trigger="manual",
                        fail_on_regression=False,
                        return_state=True,
                    )
                )
            made.append(_state_result(state).run_id)
    return made


def _state_result(state: Any) -> Any:
    """The result of a final state of an async flow (awaited when the API hands a coroutine)."""
    import asyncio
    import inspect

    value = state.result()
    return asyncio.run(value) if inspect.isawaitable(value) else value


def run_link(ui_url: str, flow_run_id: UUID | str) -> str:
    return f"{ui_url}/runs/flow-run/{flow_run_id}"


def _seconds(a: datetime | None, b: datetime | None) -> str:
    return f"{(b - a).total_seconds():.1f} s" if a and b else "?"


def start_worker(settings: Settings, console: Console, ui_url: str) -> str:
    """Register prefect.yaml's deployments and start (or reuse) the process worker; return a hint
    naming the worker's log and the runs page, for timeout messages."""
    import os

    from llmops.services.worker import ensure_worker, register_deployments

    api_url = os.environ.get("PREFECT_API_URL") or f"{ui_url.rstrip('/')}/api"
    with console.status("registering the deployments of prefect.yaml ..."):
        register_deployments(api_url)
    with console.status("process worker for pool llmops-local ..."):
        worker = ensure_worker(settings, api_url)
    return f"see the worker log {worker.log_path} and {ui_url}/runs"


def run_model_update_demo(
    settings: Settings, console: Console, ui_url: str, timeout_s: float = 1800.0
) -> list[str]:
    """Deploy, start a worker, bump the simulator's model, run model-watch on the worker and wait
    for the eval-on-model-update run(s) its event triggers; lines with links and verdicts.

    PREFECT_API_URL must name the server `ui_url` shows (the demo sets it). All waits together
    are bounded by `timeout_s`; DemoTimeout names what did not happen and where to look.
    """
    from llmops.model_watch.watch import run_watch
    from llmops.services.simulator import ensure_simulator
    from llmops.simulators.provider.admin import bump_simulator

    deadline = time.monotonic() + timeout_s

    def left() -> float:
        return max(deadline - time.monotonic(), 1.0)

    hint = start_worker(settings, console, ui_url)
    sim_url = ensure_simulator(settings)
    before = run_watch(settings)  # the served identity now, recorded without an event
    old = {o.alias: o.served_model for o in before.observations if o.served_model}
    ensure_baselines(settings, console, old)
    since = datetime.now(UTC)
    version = bump_simulator(sim_url)["config"]["model_version"]
    console.print(f"provider simulator bumped to model version {version}")

    with console.status("model-watch flow run on the worker ..."):
        watch_id = start_deployment(WATCH_DEPLOYMENT)
        watch = wait_final(watch_id, left(), hint)
    lines = [f"model-watch run ({watch.state_name}): {run_link(ui_url, watch_id)}"]
    # any watch run since the bump counts (a scheduled one may have come first)
    events = wait_until(
        f"{MODEL_UPDATED} after the bump to version {version} (model-watch run {watch_id}: "
        f"{watch.state_name})",
        lambda: read_events(MODEL_UPDATED, since),
        min(30.0, left()),
        hint,
    )
    for e in events:
        p = e["payload"]
        by = "" if p.get("flow_run_id") == str(watch_id) else f", from run {p.get('flow_run_id')}"
        lines.append(
            f"  {MODEL_UPDATED} for alias {p['alias']}: {old.get(p['alias'])} -> "
            f"{p['new']['model']} ({p['reason']}{by})"
        )
    updated = {e["payload"]["alias"]: e for e in events}

    def triggered() -> list[FlowRun] | None:
        runs = [
            r
            for r in deployment_runs(MODEL_UPDATE_DEPLOYMENT, since)
            if r.parameters.get("alias") in updated
        ]
        return runs if len(runs) >= len(updated) else None

    with console.status(f"the {len(updated)} eval-on-model-update run(s) the event triggered ..."):
        runs = wait_until(
            f"eval-on-model-update runs for {', '.join(updated)}", triggered, min(60, left()), hint
        )
        runs = [wait_final(r.id, left(), hint) for r in runs]
    for run in runs:
        event = updated[run.parameters["alias"]]
        occurred = datetime.fromisoformat(event["occurred"])
        lines.append(
            f"eval-on-model-update for alias {run.parameters['alias']} ({run.state_name}): "
            f"{run_link(ui_url, run.id)}  (event to flow run {_seconds(occurred, run.created)}, "
            f"to running {_seconds(occurred, run.start_time)})"
        )
        evals = triggered_evals(settings, run.id)
        if not evals and run.state is not None and run.state.is_completed():
            lines.append(f"  no eval: no prompt uses alias {run.parameters['alias']!r}")
        elif not evals:
            lines.append(f"  no eval recorded: {run.state.message if run.state else '?'}")
        for ev in evals:
            lines.append(
                f"  {ev.prompt} on {ev.dataset}, served by {ev.served_model}: {ev.verdict} "
                f"({ev.reason}); MLflow run {ev.mlflow_run_id}; {run_link(ui_url, ev.flow_run_id)}"
            )
    return lines
