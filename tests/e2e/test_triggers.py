"""Triggers end to end: a real Prefect server, deployments from prefect.yaml, a real process worker.

One server (the session harness), one `prefect deploy --all`, one worker and one home for the
module. The worker's flow runs inherit the module's environment: the home, a copy of the docs-qa
dataset whose suite is two metrics, only the docs-qa-answer prompt, 30 items per eval
(LLMOPS_EVALS__LIMIT), the candidate alias watched, the session simulator's port.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders.eval_suite import SMALL_SUITE
from tests.builders.paths import REPO

SECRET = "e2e-gh-secret-3f9a1c"
PROMPT = "docs-qa-answer"
EVENT = "llmops.prompt.merged"
LIMIT = 30
RUN_TIMEOUT_S = 600  # a flow run on the worker: process start, imports, 30 items
GRACE_S = 10  # after the rejected requests: several times the event-to-flow-run latency (~3 s)


@dataclass
class Stack:
    """What the module's tests share."""

    settings: Any
    simulator: Any
    prompts: Path
    webhook_url: str
    worker_log: Path


@pytest.fixture(scope="module")
def stack(
    prefect_server: None, simulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Home, data, env, deployments, a worker on the harness server and the webhook receiver."""
    from prefect.settings import PREFECT_API_URL

    from llmops.core.settings import get_settings
    from llmops.orchestration.events import PrefectEmitter
    from llmops.services.worker import ensure_worker, register_deployments, stop_worker
    from llmops.webhook.server import run_in_thread

    root = tmp_path_factory.mktemp("e2e")
    datasets = root / "datasets"
    shutil.copytree(REPO / "datasets" / "docs-qa", datasets / "docs-qa")
    (datasets / "docs-qa" / "suite.yaml").write_text(SMALL_SUITE)
    prompts = root / "prompts"
    prompts.mkdir()
    shutil.copy(REPO / "prompts" / f"{PROMPT}.yaml", prompts)
    simulator.reset()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "LLMOPS_HOME": str(root / "home"),
            "LLMOPS_USER_HASH_KEY": "e2e-key",
            "LLMOPS_DATASETS_DIR": str(datasets),
            "LLMOPS_PROMPTS_DIR": str(prompts),
            "LLMOPS_EVALS__LIMIT": str(LIMIT),
            "LLMOPS_MODEL_WATCH__ALIASES": '["candidate"]',
            "LLMOPS_WEBHOOK__GITHUB_SECRET": SECRET,
        }.items():
            mp.setenv(key, value)
        settings = get_settings()
        settings.home.mkdir(parents=True)
        api_url = PREFECT_API_URL.value()
        register_deployments(api_url)
        worker = ensure_worker(settings, api_url)
        try:
            webhook_url, stop_webhook = run_in_thread(settings, PrefectEmitter())
            try:
                yield Stack(settings, simulator, prompts, webhook_url, worker.log_path)
            finally:
                stop_webhook()
        finally:
            stop_worker(settings)
            simulator.reset()


def _mlflow_run(settings, run_id: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=settings.mlflow_uri).get_run(run_id)


def _ran_with_the_module_settings(mlflow_run) -> None:
    """The worker's flow run read the module's env: item limit, the temp dataset's suite."""
    assert mlflow_run.data.params["items"] == str(LIMIT)
    metrics = {k.split(".")[0] for k in mlflow_run.data.metrics}
    assert {"faithfulness", "reference_key_phrases"} <= metrics
    assert not any(m.startswith(("ragas_", "deepeval_")) for m in metrics)  # not the repo suite


def _latency(event: dict, run) -> str:
    occurred = datetime.fromisoformat(event["occurred"])
    created = (run.created - occurred).total_seconds()
    started = (run.start_time - occurred).total_seconds() if run.start_time else float("nan")
    ended = (run.end_time - occurred).total_seconds() if run.end_time else float("nan")
    return f"event->flow run {created:.1f} s, ->running {started:.1f} s, ->final {ended:.1f} s"


def _one_triggered_run(deployment: str, since: datetime, **params: Any):
    """Wait for the flow run a trigger creates; exactly one may match `params`."""
    from llmops.demo.triggers import deployment_runs, wait_until

    def found():
        runs = [
            r
            for r in deployment_runs(deployment, since)
            if all(r.parameters.get(k) == v for k, v in params.items())
        ]
        return runs or None

    runs = wait_until(f"a {deployment} run with {params}", found, 60)
    assert len(runs) == 1, [r.parameters for r in runs]
    return runs[0]


def test_model_update_runs_the_eval_deployment_and_its_verdict_reaches_mlflow(
    stack: Stack,
) -> None:
    from flows.eval_run import eval_run
    from llmops.demo.triggers import (
        MODEL_UPDATE_DEPLOYMENT,
        WATCH_DEPLOYMENT,
        deployment_runs,
        read_events,
        start_deployment,
        triggered_evals,
        wait_final,
        wait_until,
    )
    from llmops.model_watch.watch import run_watch

    settings = stack.settings
    baseline = asyncio.run(eval_run(dataset="docs-qa", prompt=PROMPT))
    assert baseline.verdict == "baseline" and baseline.items == LIMIT
    assert baseline.served_model.endswith("-sim-v1")
    first = run_watch(settings)  # the served identity before the update (no event)
    assert [o.status for o in first.observations] == ["baseline"]

    stack.simulator.bump()
    since = datetime.now(UTC)
    watch_id = start_deployment(WATCH_DEPLOYMENT)
    watch = wait_final(watch_id, RUN_TIMEOUT_S, f"worker log {stack.worker_log}")
    assert watch.state.is_completed(), watch.state

    updates = wait_until(
        "llmops.model.updated", lambda: read_events("llmops.model.updated", since), 30
    )
    assert len(updates) == 1, updates
    event = updates[0]
    assert event["resource"]["prefect.resource.id"] == "llmops.model.candidate"
    assert event["payload"]["flow_run_id"] == str(watch_id)
    assert event["payload"]["new"]["model"].endswith("-sim-v2")

    run = _one_triggered_run(MODEL_UPDATE_DEPLOYMENT, since, alias="candidate")
    assert run.parameters["trigger"] == "model_update"  # the deployment's own parameter
    assert run.created_by is not None and run.created_by.type == "AUTOMATION"
    run = wait_final(run.id, RUN_TIMEOUT_S, f"worker log {stack.worker_log}")
    print(f"\nmodel update: {_latency(event, run)}")

    (result,) = triggered_evals(settings, run.id)
    assert result.prompt == f"{PROMPT}@v1" and result.served_model.endswith("-sim-v2")
    assert result.verdict == "fail"  # the bumped simulator invents claims: faithfulness drops
    assert run.state.is_failed() and "significant drop in faithfulness" in run.state.message
    mlflow_run = _mlflow_run(settings, result.mlflow_run_id)
    assert mlflow_run.data.params["trigger"] == "model_update"
    _ran_with_the_module_settings(mlflow_run)
    assert mlflow_run.data.params["served_model"].endswith("-sim-v2")
    assert mlflow_run.data.params["baseline_run_id"] == baseline.run_id
    assert mlflow_run.data.tags["llmops.eval.verdict"] == "fail"

    assert len(read_events("llmops.model.updated", since)) == 1  # once, not per probe
    assert [r.id for r in deployment_runs(MODEL_UPDATE_DEPLOYMENT, since)] == [run.id]


def _push(sha: str, files: list[str], padding: int = 0) -> dict:
    """A GitHub push to the default branch modifying `files` in one commit (the demo's)."""
    from llmops.demo.prompt_merge import push_payload

    payload: dict[str, Any] = push_payload(files, sha, pusher="alice")
    if padding:
        payload["padding"] = "x" * padding
    return payload


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(url: str, body: bytes, signature: str | None, delivery: str | None = None):
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
    }
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return httpx.post(f"{url}/webhooks/github", content=body, headers=headers, timeout=60)


@dataclass
class MergedPush:
    """The signed push the receiver accepted and the flow run its event created."""

    body: bytes
    delivery: str
    answer: dict
    since: datetime
    run: Any
    event: dict


@pytest.fixture(scope="module")
def merged_push(stack: Stack) -> MergedPush:
    """Change the prompt file, send the signed push over HTTP, wait for the triggered run."""
    from llmops.demo.triggers import PROMPT_MERGE_DEPLOYMENT, read_events, wait_until

    path = stack.prompts / f"{PROMPT}.yaml"
    text = path.read_text()
    changed = text.replace("in one or two sentences", "in at most two sentences")
    assert changed != text
    path.write_text(changed)
    body = json.dumps(_push("ab" * 20, [f"prompts/{PROMPT}.yaml"])).encode()
    delivery = str(uuid.uuid4())
    since = datetime.now(UTC)
    resp = _post(stack.webhook_url, body, _sign(body), delivery)
    assert resp.status_code == 200, resp.text
    run = _one_triggered_run(PROMPT_MERGE_DEPLOYMENT, since, prompt=PROMPT)
    (sent,) = resp.json()["events"]
    (event,) = wait_until(  # stored by the server a little after the trigger acted on it
        "the llmops.prompt.merged event on the server",
        lambda: [e for e in read_events(EVENT, since) if e["id"] == sent["event_id"]],
        30,
    )
    return MergedPush(body, delivery, resp.json(), since, run, event)


def test_unsigned_wrongly_signed_replayed_or_oversized_requests_make_no_run(
    stack: Stack, merged_push: MergedPush
) -> None:
    from llmops.demo.triggers import PROMPT_MERGE_DEPLOYMENT, deployment_runs, read_events

    runs_before = {r.id for r in deployment_runs(PROMPT_MERGE_DEPLOYMENT)}
    assert merged_push.run.id in runs_before
    events_before = read_events(EVENT, merged_push.since)
    assert {e["id"] for e in events_before} == {merged_push.event["id"]}
    url, files = stack.webhook_url, [f"prompts/{PROMPT}.yaml"]

    unsigned = json.dumps(_push("c1" * 20, files)).encode()
    assert _post(url, unsigned, None).status_code == 401
    wrong = json.dumps(_push("c2" * 20, files)).encode()
    assert _post(url, wrong, _sign(wrong, "not-the-secret")).status_code == 401
    assert _post(url, wrong, _sign(unsigned)).status_code == 401  # another body's signature
    body, delivery = merged_push.body, merged_push.delivery
    assert _post(url, body, _sign(body), delivery).status_code == 409  # redelivered as is
    assert _post(url, body, _sign(body)).status_code == 409  # same body, new delivery id
    max_bytes = stack.settings.webhook.max_body_bytes
    big = json.dumps(_push("c3" * 20, files, padding=max_bytes)).encode()
    assert _post(url, big, _sign(big)).status_code == 413

    time.sleep(GRACE_S)
    after = read_events(EVENT, merged_push.since)
    assert {e["id"] for e in after} == {e["id"] for e in events_before}
    assert {r.id for r in deployment_runs(PROMPT_MERGE_DEPLOYMENT)} == runs_before


def test_signed_push_touching_a_prompt_runs_its_eval(stack: Stack, merged_push: MergedPush) -> None:
    from llmops.demo.triggers import triggered_evals, wait_final

    (sent,) = merged_push.answer["events"]
    assert sent["prompt"] == PROMPT and sent["change"] == "modified"
    event = merged_push.event
    assert event["id"] == sent["event_id"]
    run = merged_push.run
    assert run.parameters["trigger"] == "prompt_merge"
    assert run.created_by is not None and run.created_by.type == "AUTOMATION"
    run = wait_final(run.id, RUN_TIMEOUT_S, f"worker log {stack.worker_log}")
    print(f"\nprompt merge: {_latency(event, run)}")

    (result,) = triggered_evals(stack.settings, run.id)
    assert result.prompt == f"{PROMPT}@v2"  # the merged file, registered as the candidate
    assert run.state.is_completed() == (result.verdict != "fail"), run.state
    mlflow_run = _mlflow_run(stack.settings, result.mlflow_run_id)
    assert mlflow_run.data.params["trigger"] == "prompt_merge"
    _ran_with_the_module_settings(mlflow_run)
    assert mlflow_run.data.params["prompt_version"] == "2"
    assert mlflow_run.data.tags["llmops.eval.verdict"] == result.verdict
