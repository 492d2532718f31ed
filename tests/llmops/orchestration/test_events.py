"""The real event path: deliveries become `llmops.prompt.merged` events on a real Prefect server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from llmops.webhook.events import EVENT_NAME
from tests.builders.prefect_api import events
from tests.builders.webhook import (
    GITHUB_SECRET,
    GITLAB_TOKEN,
    GitRepo,
    commit,
    github_push,
    gitlab_mr,
    post_github,
    post_gitlab,
)


def _of_repo(repository: str):
    """Events of `repository`, keyed by prompt name."""

    def pick(found: list[dict]) -> dict[str, dict]:
        return {
            e["payload"]["prompt"]: e for e in found if e["payload"].get("repository") == repository
        }

    return pick


def test_github_push_events_reach_prefect(prefect_server: None, webhook_env: Path) -> None:
    from llmops.core.settings import get_settings
    from llmops.orchestration.events import PrefectEmitter
    from llmops.webhook.server import run_in_thread

    url, stop = run_in_thread(get_settings(), PrefectEmitter())  # Prefect's emit_event
    try:
        repository = f"acme/push-{uuid.uuid4().hex[:8]}"
        payload = github_push(
            [commit("erin", added=["prompts/faq.yaml"], modified=["prompts/tone.yml", "a.py"])]
        )
        payload["repository"]["full_name"] = repository
        resp = post_github(url, payload)
        assert resp.status_code == 200, resp.text
        # a request that is not signed emits nothing
        unsigned = github_push([commit(added=["prompts/unsigned.yaml"])])
        unsigned["repository"]["full_name"] = repository
        assert post_github(url, unsigned, secret=None).status_code == 401
    finally:
        stop()
    pick = _of_repo(repository)
    found = pick(events(EVENT_NAME, until=lambda evs: len(pick(evs)) >= 2))
    assert sorted(found) == ["faq", "tone"]
    faq = found["faq"]
    assert faq["event"] == EVENT_NAME
    assert faq["resource"]["prefect.resource.id"] == "llmops.prompt.faq"
    assert faq["id"] == resp.json()["events"][0]["event_id"]
    assert {k: faq["payload"][k] for k in ("path", "change", "author", "commit_sha", "branch")} == {
        "path": "prompts/faq.yaml",
        "change": "added",
        "author": "erin",
        "commit_sha": payload["after"],
        "branch": "main",
    }
    assert faq["payload"]["delivery_id"] == resp.json()["delivery_id"]
    assert found["tone"]["payload"]["change"] == "modified"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_server_emits_gitlab_merge_and_never_shows_secrets(
    prefect_server: None, home: Path, git_repo: GitRepo, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "LLMOPS_WEBHOOK__GITHUB_SECRET": GITHUB_SECRET,
        "LLMOPS_WEBHOOK__GITLAB_TOKEN": GITLAB_TOKEN,
        "LLMOPS_WEBHOOK__REPO_DIR": str(git_repo.path),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "serve.log"
    cli = [sys.executable, "-m", "llmops.cli", "webhook", "serve", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cli, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        repository = f"acme/mr-{uuid.uuid4().hex[:8]}"
        payload = gitlab_mr(git_repo.shas["merge"])
        payload["project"]["path_with_namespace"] = repository
        wrong = post_gitlab(url, payload, event="Merge Request Hook", token="guess")
        assert wrong.status_code == 401
        bad_sig = post_github(url, github_push([commit(added=["prompts/x.yaml"])]), secret="no")
        assert bad_sig.status_code == 401
        resp = post_gitlab(url, payload, event="Merge Request Hook")
        # killed right after answering (no exit handler runs): 200 means the events were sent
        proc.kill()
        assert resp.status_code == 200, resp.text
        texts = [r.text for r in (wrong, bad_sig, resp)]
    finally:
        proc.kill()
        proc.wait(timeout=30)
    pick = _of_repo(repository)
    found = pick(events(EVENT_NAME, until=lambda evs: len(pick(evs)) >= 3))
    assert {n: e["payload"]["change"] for n, e in found.items()} == {
        "summarize": "modified",
        "classify": "added",
        "triage": "removed",
    }
    assert {e["payload"]["commit_sha"] for e in found.values()} == {git_repo.shas["merge"]}
    assert {e["payload"]["provider"] for e in found.values()} == {"gitlab"}
    output = log.read_text()
    assert "listening on" in output and "/webhooks/gitlab" in output  # the server did log
    for secret in (GITHUB_SECRET, GITLAB_TOKEN):
        assert secret not in output
        assert not any(secret in t for t in texts)


def test_unreachable_prefect_is_502_and_the_delivery_is_not_remembered(webhook_env: Path) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from llmops.core.settings import get_settings
    from llmops.orchestration.events import PrefectEmitter
    from llmops.webhook.server import run_in_thread

    dead = f"http://127.0.0.1:{_free_port()}/api"
    with temporary_settings(updates={PREFECT_API_URL: dead}):
        url, stop = run_in_thread(get_settings(), PrefectEmitter())
    try:
        payload = github_push([commit(added=["prompts/down.yaml"])])
        delivery = str(uuid.uuid4())
        first = post_github(url, payload, delivery=delivery)
        assert first.status_code == 502
        assert f"{dead} does not answer its health check" in first.json()["message"]
        again = post_github(url, payload, delivery=delivery)
        assert again.status_code == 502  # not 409: the failed delivery was forgotten
    finally:
        stop()
