"""The demo's prompt-merge path: a merged prompt change, a signed GitHub push to the webhook
receiver, the triggered eval (candidate vs champion), then the promotion a reviewer would make.

Works on the demo's copy of the prompts folder (never the repository's prompts/).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
import uuid
from datetime import UTC, datetime

from rich.console import Console

from llmops.core.settings import Settings, get_settings
from llmops.demo.triggers import (
    PROMPT_MERGE_DEPLOYMENT,
    run_link,
    start_worker,
    triggered_evals,
    wait_final,
    wait_until,
)
from llmops.orchestration.runs import deployment_runs

PROMPT = "docs-qa-answer"
BEFORE = "You are a support assistant for the Databricks documentation."
AFTER = "You are a documentation support assistant for Databricks."


def push_payload(paths: list[str], sha: str, pusher: str = "demo") -> dict:
    """A GitHub push to the default branch that modifies `paths` in one commit."""
    return {
        "ref": "refs/heads/main",
        "before": hashlib.sha1(f"{sha}^".encode()).hexdigest(),
        "after": sha,
        "repository": {"full_name": "acme/support-bot", "default_branch": "main"},
        "pusher": {"name": pusher},
        "commits": [
            {
                "id": sha,
                "author": {"name": pusher, "username": pusher, "email": f"{pusher}@example.com"},
                "added": [],
                "modified": paths,
                "removed": [],
            }
        ],
    }


def run_prompt_merge_demo(
    settings: Settings, console: Console, ui_url: str, timeout_s: float = 900.0
) -> list[str]:
    """Change the prompt, deliver a signed push, wait for eval-on-prompt-merge, promote on pass."""
    import httpx
    from pydantic import SecretStr

    from llmops.orchestration.events import PrefectEmitter
    from llmops.prompts import PromptRegistry
    from llmops.webhook.server import run_in_thread
    from llmops.webhook.signature import github_signature

    deadline = time.monotonic() + timeout_s
    hint = start_worker(settings, console, ui_url)
    registry = PromptRegistry(settings)
    registry.sync_all(settings.prompts_dir)  # what is merged so far is registered first
    before = registry.summary(PROMPT)

    path = settings.prompts_dir / f"{PROMPT}.yaml"
    text = path.read_text()
    if BEFORE in text:
        path.write_text(text.replace(BEFORE, AFTER))  # the merged change (wording only)
    secret = secrets.token_hex(16)
    os.environ["LLMOPS_WEBHOOK__GITHUB_SECRET"] = secret
    webhook_settings = get_settings()
    emit = PrefectEmitter(timeout_s=webhook_settings.webhook.emit_timeout_s)
    url, stop = run_in_thread(webhook_settings, emit)
    body = json.dumps(push_payload([f"prompts/{PROMPT}.yaml"], secrets.token_hex(20))).encode()
    since = datetime.now(UTC)
    try:
        resp = httpx.post(
            f"{url}/webhooks/github",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "push",
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": github_signature(SecretStr(secret), body),
            },
            timeout=60,
        )
    finally:
        stop()
    lines = [f"signed GitHub push touching prompts/{PROMPT}.yaml: HTTP {resp.status_code}"]
    with console.status("the eval-on-prompt-merge run the event triggered ..."):
        runs = wait_until(
            f"an {PROMPT_MERGE_DEPLOYMENT} run after the push",
            lambda: deployment_runs(PROMPT_MERGE_DEPLOYMENT, since) or None,
            min(60.0, max(deadline - time.monotonic(), 1.0)),
            hint,
        )
        run = wait_final(runs[0].id, max(deadline - time.monotonic(), 1.0), hint)
    lines.append(f"eval-on-prompt-merge ({run.state_name}): {run_link(ui_url, run.id)}")
    evals = triggered_evals(settings, run.id)
    for ev in evals:
        lines.append(
            f"  {ev.prompt} on {ev.dataset}: {ev.verdict} ({ev.reason}); "
            f"MLflow run {ev.mlflow_run_id}"
        )
    after = registry.summary(PROMPT)
    passed = evals and all(ev.verdict == "pass" for ev in evals)
    if passed and after.candidate is not None and after.candidate != before.champion:
        old, new = registry.promote(PROMPT)
        lines.append(
            f"promoted {PROMPT} v{new.version} to champion (was v{old.version if old else '-'}), "
            f"as a reviewer would: llmops prompts promote {PROMPT}"
        )
        lines.append(f"undo with: llmops prompts rollback {PROMPT}")
    else:
        lines.append(f"champion unchanged: v{after.champion}")
    return lines
