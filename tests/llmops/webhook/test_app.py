"""The receiver over real HTTP: signatures, replays, limits, branches, prompt detection."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from llmops.webhook.receiver import NO_FILE_LIST
from tests.builders.webhook import (
    GITHUB_SECRET,
    GITLAB_TOKEN,
    REPO,
    GitRepo,
    commit,
    fake_sha,
    github_pr,
    github_push,
    gitlab_mr,
    gitlab_push,
    post_github,
    post_gitlab,
)


def test_push_touching_prompts_emits_one_event_per_prompt(receiver) -> None:
    commits = [
        commit("alice", added=["prompts/summarize.yaml", "README.md"]),
        commit("bob", modified=["prompts/summarize.yaml", "prompts/triage.yml"]),
        commit("carol", removed=["prompts/old.yaml"], modified=["src/app.py"]),
    ]
    payload = github_push(commits)
    delivery = str(uuid.uuid4())
    resp = post_github(receiver.url, payload, delivery=delivery)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "emitted"
    assert [e["prompt"] for e in body["events"]] == ["old", "summarize", "triage"]
    by_name = {e.prompt: e for e in receiver.emitted}
    assert len(receiver.emitted) == 3
    assert {n: e.change for n, e in by_name.items()} == {
        "old": "removed",
        "summarize": "added",  # added then modified within the push: net added
        "triage": "modified",
    }
    s = by_name["summarize"]
    assert (s.path, s.author, s.commit_sha, s.base_sha) == (
        "prompts/summarize.yaml",
        "bob",
        payload["after"],
        payload["before"],
    )
    assert (s.repository, s.branch, s.delivery_id, s.provider, s.source) == (
        REPO,
        "main",
        delivery,
        "github",
        "push",
    )
    assert s.resource_id == "llmops.prompt.summarize"
    assert body["events"][1]["event_id"] == str(s.event_id)
    assert body["events"][1]["resource_id"] == "llmops.prompt.summarize"


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ({"modified": ["src/app.py", "README.md"]}, "no prompt file under prompts/ changed"),
        ({"added": ["prompts/README.md", "prompts/x/nested.yaml"]}, "2 other file(s)"),
        ({"added": ["docs/prompts/a.yaml", "prompts.yaml"]}, "no prompt file"),
    ],
)
def test_push_not_touching_prompt_files_is_202_without_event(receiver, files, why) -> None:
    resp = post_github(receiver.url, github_push([commit(**files)]))
    assert resp.status_code == 202, resp.text
    assert resp.json()["status"] == "ignored" and why in resp.json()["message"]
    assert receiver.emitted == []


def test_prompt_added_and_removed_within_one_push_is_reported_not_emitted(receiver) -> None:
    commits = [commit(added=["prompts/tmp.yaml"]), commit(removed=["prompts/tmp.yaml"])]
    resp = post_github(receiver.url, github_push(commits))
    assert resp.status_code == 202
    assert resp.json()["not_prompts"] == ["prompts/tmp.yaml"]
    assert receiver.emitted == []


def test_push_to_another_branch_tag_or_deleted_branch_is_202(receiver) -> None:
    touch = [commit(modified=["prompts/summarize.yaml"])]
    other = post_github(receiver.url, github_push(touch, branch="feature/x"))
    assert other.status_code == 202
    assert "'feature/x', not the default branch 'main'" in other.json()["message"]
    tag = github_push(touch)
    tag["ref"] = "refs/tags/v1"
    assert post_github(receiver.url, tag).status_code == 202
    deleted = github_push([], after="0" * 40) | {"deleted": True}
    assert post_github(receiver.url, deleted).status_code == 202
    other_default = github_push(touch, branch="develop", default_branch="develop")
    assert post_github(receiver.url, other_default).status_code == 200  # the repo's own default
    assert [e.branch for e in receiver.emitted] == ["develop"]


def test_configured_default_branch_overrides_the_payload(
    webhook_env: Path, start_receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPS_WEBHOOK__DEFAULT_BRANCH", "release")
    rec = start_receiver()
    touch = [commit(modified=["prompts/summarize.yaml"])]
    assert post_github(rec.url, github_push(touch, branch="main")).status_code == 202
    assert post_github(rec.url, github_push(touch, branch="release")).status_code == 200
    assert len(rec.emitted) == 1


def test_other_events_and_ping_are_202(receiver) -> None:
    ping = post_github(receiver.url, {"zen": "hi", "hook_id": 1}, event="ping")
    assert ping.status_code == 202 and "signature is valid" in ping.json()["message"]
    issues = post_github(receiver.url, {"action": "opened"}, event="issues")
    assert issues.status_code == 202 and "'issues' is not handled" in issues.json()["message"]
    pr_open = github_pr(None, action="opened", merged=False)
    assert post_github(receiver.url, pr_open, event="pull_request").status_code == 202
    unmerged = post_github(receiver.url, github_pr(None, merged=False), event="pull_request")
    assert "closed without merge" in unmerged.json()["message"]
    assert receiver.emitted == []


def test_pull_request_merged_lists_files_from_the_local_checkout(
    webhook_env: Path, start_receiver, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPS_WEBHOOK__REPO_DIR", str(git_repo.path))
    rec = start_receiver()
    merge = git_repo.shas["merge"]
    # a merge commit is compared with its first parent, whatever base.sha says
    resp = post_github(rec.url, github_pr(merge, git_repo.shas["base"]), event="pull_request")
    assert resp.status_code == 200, resp.text
    got = {(e.prompt, e.change) for e in rec.emitted}
    assert got == {("summarize", "modified"), ("classify", "added"), ("triage", "removed")}
    e = rec.emitted[0]
    assert (e.commit_sha, e.base_sha, e.author, e.source) == (
        merge,
        git_repo.shas["main-side"],
        "bob",
        "pull_request",
    )
    # a single-parent (squash) commit is compared with base.sha from the payload
    squash = git_repo.shas["squash"]
    resp = post_github(rec.url, github_pr(squash, merge), event="pull_request")
    assert resp.status_code == 200
    assert [(x.prompt, x.change, x.base_sha) for x in rec.emitted[3:]] == [
        ("summarize", "modified", merge)
    ]


def test_pull_request_merged_without_local_commits_is_202_pointing_to_push(
    webhook_env: Path, start_receiver, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPS_WEBHOOK__REPO_DIR", str(git_repo.path))
    rec = start_receiver()
    resp = post_github(rec.url, github_pr(fake_sha(), fake_sha()), event="pull_request")
    assert resp.status_code == 202
    assert NO_FILE_LIST in resp.json()["message"]
    assert "is not in the checkout" in resp.json()["message"]
    assert rec.emitted == []


def test_pull_request_then_push_of_the_same_merge_emits_once(
    webhook_env: Path, start_receiver, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPS_WEBHOOK__REPO_DIR", str(git_repo.path))
    rec = start_receiver()
    squash = git_repo.shas["squash"]
    pr = post_github(rec.url, github_pr(squash, git_repo.shas["merge"]), event="pull_request")
    assert pr.status_code == 200
    push = github_push([commit(modified=["prompts/summarize.yaml"], sha=squash)])
    again = post_github(rec.url, push)
    assert again.status_code == 202, again.text
    assert again.json()["skipped"][0]["already_emitted_by"] == pr.json()["delivery_id"]
    assert len(rec.emitted) == 1


def test_unsigned_and_wrongly_signed_requests_are_401_and_not_remembered(receiver) -> None:
    payload = github_push([commit(modified=["prompts/summarize.yaml"])])
    delivery = str(uuid.uuid4())
    unsigned = post_github(receiver.url, payload, delivery=delivery, secret=None)
    assert unsigned.status_code == 401
    assert "X-Hub-Signature-256" in unsigned.json()["message"]
    wrong = post_github(receiver.url, payload, delivery=delivery, secret="not-the-secret")
    assert wrong.status_code == 401 and "does not match" in wrong.json()["message"]
    other_body = post_github(receiver.url, payload, delivery=delivery, signature=_sig(b"{}"))
    assert other_body.status_code == 401
    garbage = post_github(receiver.url, payload, delivery=delivery, signature="sha256=zz")
    assert garbage.status_code == 401
    assert receiver.emitted == []
    # only a valid signature records the delivery: the real one still goes through
    assert post_github(receiver.url, payload, delivery=delivery).status_code == 200
    assert len(receiver.emitted) == 1


def _sig(body: bytes) -> str:
    from pydantic import SecretStr

    from llmops.webhook.signature import github_signature

    return github_signature(SecretStr(GITHUB_SECRET), body)


def test_replay_is_409_even_after_a_restart(webhook_env: Path, start_receiver) -> None:
    rec = start_receiver()
    payload = github_push([commit(modified=["prompts/summarize.yaml"])])
    delivery = str(uuid.uuid4())
    assert post_github(rec.url, payload, delivery=delivery).status_code == 200
    replay = post_github(rec.url, payload, delivery=delivery)
    assert replay.status_code == 409 and "already received" in replay.json()["message"]
    # the delivery header is not signed: a new id on the same signed body is a replay too
    renamed = post_github(rec.url, payload, delivery=str(uuid.uuid4()))
    assert renamed.status_code == 409 and "same signed body" in renamed.json()["message"]
    ignored = github_push([commit(modified=["x.py"])])
    ignored_id = str(uuid.uuid4())
    assert post_github(rec.url, ignored, delivery=ignored_id).status_code == 202
    restarted = start_receiver()  # a new process over the same LLMOPS_HOME
    assert post_github(restarted.url, payload, delivery=delivery).status_code == 409
    assert post_github(restarted.url, ignored, delivery=ignored_id).status_code == 409
    assert len(rec.emitted) == 1 and restarted.emitted == []


def test_oversized_body_is_413_by_declared_length(webhook_env, start_receiver, monkeypatch) -> None:
    monkeypatch.setenv("LLMOPS_WEBHOOK__MAX_BODY_BYTES", "4096")
    rec = start_receiver()
    big = github_push([commit(modified=["prompts/summarize.yaml"], added=["x" * 5000])])
    resp = post_github(rec.url, big)
    assert resp.status_code == 413 and "limit of 4096" in resp.json()["message"]
    assert rec.emitted == []
    # a 100 MB Content-Length is refused before the body is sent: the server never waits for it
    status = _raw_post(rec.url, b"Content-Length: 100000000\r\n", b'{"a": 1')
    assert status.startswith(b"HTTP/1.1 413")


def test_oversized_chunked_body_is_413_without_reading_to_the_end(
    webhook_env, start_receiver, monkeypatch
) -> None:
    monkeypatch.setenv("LLMOPS_WEBHOOK__MAX_BODY_BYTES", "4096")
    rec = start_receiver()
    chunk = b"x" * 3000
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(2))  # no final chunk
    status = _raw_post(rec.url, b"Transfer-Encoding: chunked\r\n", body)
    assert status.startswith(b"HTTP/1.1 413")


def _raw_post(url: str, length_header: bytes, body: bytes) -> bytes:
    """Send a GitHub delivery by hand (the body may be incomplete) and return the status line."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\n"
            b"X-GitHub-Delivery: d\r\nX-Hub-Signature-256: sha256=00\r\n"
            b"Content-Type: application/json\r\n" + length_header + b"\r\n" + body
        )
        return sock.recv(4096).split(b"\r\n")[0]  # times out (fails) if the server waits


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"ref": "refs/heads/main", ', "body is not valid JSON: Expecting property name"),
        (b"[1, 2]", "body is JSON list, not an object"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested deeper"),  # was a 500
        (json.dumps({"ref": "refs/heads/main"}).encode(), "field repository.full_name is missing"),
        (
            json.dumps(
                github_push([commit(modified=["prompts/a.yaml"])]) | {"commits": [{"id": 5}]}
            ).encode(),
            "commits[0]: field id is not str",
        ),
    ],
)
def test_malformed_payload_is_400_naming_the_problem(receiver, body: bytes, message: str) -> None:
    resp = post_github(receiver.url, body)
    assert resp.status_code == 400, resp.text
    assert message in resp.json()["message"]
    assert receiver.emitted == []


def test_missing_event_or_delivery_header_is_400(receiver) -> None:
    payload = github_push([commit(modified=["prompts/a.yaml"])])
    resp = post_github(receiver.url, payload, headers={"x-github-delivery": ""})
    assert resp.status_code == 400 and "X-GitHub-Delivery" in resp.json()["message"]


def test_form_encoded_github_delivery_is_accepted(receiver) -> None:
    payload = json.dumps(github_push([commit(modified=["prompts/summarize.yaml"])]))
    body = f"payload={quote(payload)}".encode()
    resp = post_github(
        receiver.url, body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert resp.status_code == 200, resp.text
    assert [e.prompt for e in receiver.emitted] == ["summarize"]


def test_without_a_configured_secret_every_request_is_503(home: Path, start_receiver) -> None:
    rec = start_receiver()
    payload = github_push([commit(modified=["prompts/summarize.yaml"])])
    for resp in (
        post_github(rec.url, payload),
        post_github(rec.url, payload, secret=None),
        post_gitlab(rec.url, gitlab_push([commit(modified=["prompts/a.yaml"])])),
    ):
        assert resp.status_code == 503
        assert "LLMOPS_WEBHOOK__" in resp.json()["message"]
    assert rec.emitted == []
    assert httpx.get(f"{rec.url}/health").json() == {
        "status": "ok",
        "github": False,
        "gitlab": False,
    }


def test_gitlab_push_with_the_right_token_emits(receiver) -> None:
    payload = gitlab_push([commit("carol", modified=["prompts/summarize.yaml"])])
    resp = post_gitlab(receiver.url, payload)
    assert resp.status_code == 200, resp.text
    (event,) = receiver.emitted
    assert (event.provider, event.repository, event.author, event.commit_sha) == (
        "gitlab",
        "acme/gl-bot",
        "Carol",
        payload["after"],
    )


def test_gitlab_wrong_or_missing_token_is_401(receiver) -> None:
    payload = gitlab_push([commit(modified=["prompts/summarize.yaml"])])
    assert post_gitlab(receiver.url, payload, token="wrong").status_code == 401
    assert post_gitlab(receiver.url, payload, token=None).status_code == 401
    assert post_gitlab(receiver.url, payload, token=GITHUB_SECRET).status_code == 401
    assert receiver.emitted == []


def test_gitlab_merge_request_and_branches(
    webhook_env: Path, start_receiver, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPS_WEBHOOK__REPO_DIR", str(git_repo.path))
    rec = start_receiver()
    other = gitlab_push([commit(modified=["prompts/a.yaml"])], branch="dev")
    assert post_gitlab(rec.url, other).status_code == 202
    opened = post_gitlab(rec.url, gitlab_mr(None, action="open"), event="Merge Request Hook")
    assert opened.status_code == 202
    missing = post_gitlab(rec.url, gitlab_mr(fake_sha()), event="Merge Request Hook")
    assert missing.status_code == 202 and NO_FILE_LIST in missing.json()["message"]
    merged = post_gitlab(rec.url, gitlab_mr(git_repo.shas["merge"]), event="Merge Request Hook")
    assert merged.status_code == 200, merged.text
    assert {(e.prompt, e.change, e.source, e.author) for e in rec.emitted} == {
        ("summarize", "modified", "merge_request", "dave"),
        ("classify", "added", "merge_request", "dave"),
        ("triage", "removed", "merge_request", "dave"),
    }
    replay_id = merged.json()["delivery_id"]
    replay = post_gitlab(
        rec.url, gitlab_mr(git_repo.shas["merge"]), event="Merge Request Hook", delivery=replay_id
    )
    assert replay.status_code == 409


def test_failed_emission_is_502_and_the_host_may_redeliver(webhook_env, start_receiver) -> None:
    calls: list[str] = []

    def flaky(event) -> None:
        calls.append(event.prompt)
        if event.prompt == "triage" and calls.count("triage") == 1:
            raise RuntimeError(f"prefect down (token {GITHUB_SECRET})")

    rec = start_receiver(emit=flaky)
    commits = [commit(modified=["prompts/summarize.yaml", "prompts/triage.yaml"])]
    payload, delivery = github_push(commits), str(uuid.uuid4())
    failed = post_github(rec.url, payload, delivery=delivery)
    assert failed.status_code == 502
    assert "['summarize']" in failed.json()["message"]
    assert GITHUB_SECRET not in failed.text and "[redacted]" in failed.text
    retried = post_github(rec.url, payload, delivery=delivery)  # the host's redelivery
    assert retried.status_code == 200, retried.text
    assert [e["prompt"] for e in retried.json()["events"]] == ["triage"]
    assert [s["prompt"] for s in retried.json()["skipped"]] == ["summarize"]
    assert calls == ["summarize", "triage", "triage"]


def test_extra_routes_are_served(webhook_env: Path, start_receiver) -> None:
    async def feedback(request: Request) -> JSONResponse:
        return JSONResponse({"got": await request.json()})

    rec = start_receiver(extra_routes=[Route("/feedback", feedback, methods=["POST"])])
    assert httpx.post(f"{rec.url}/feedback", json={"x": 1}).json() == {"got": {"x": 1}}


def test_secrets_never_appear_in_logs_or_responses(
    receiver, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level("DEBUG")
    payload = github_push([commit(modified=["prompts/summarize.yaml"])])
    responses = [
        post_github(receiver.url, payload, secret=None),
        post_github(receiver.url, payload, signature=f"sha256={GITHUB_SECRET}"),
        post_github(receiver.url, payload, secret=GITLAB_TOKEN),
        post_github(receiver.url, b"{not json"),
        post_github(receiver.url, payload),
        post_github(receiver.url, payload),
        post_gitlab(receiver.url, gitlab_push([]), token=GITLAB_TOKEN + "x"),
        post_gitlab(receiver.url, gitlab_push([]), token=GITHUB_SECRET),
        post_gitlab(receiver.url, gitlab_push([commit(modified=["prompts/a.yaml"])])),
        httpx.get(f"{receiver.url}/health"),
    ]
    assert [r.status_code for r in responses] == [401, 401, 401, 400, 200, 409, 401, 401, 200, 200]
    out, err = capfd.readouterr()
    seen = out + err + caplog.text + "".join(r.text + str(r.headers) for r in responses)
    assert "llmops.webhook" in {r.name for r in caplog.records}  # the receiver did log
    for secret in (GITHUB_SECRET, GITLAB_TOKEN):
        assert secret not in seen


def test_truncated_gitlab_push_takes_files_from_the_checkout_or_warns(
    webhook_env: Path, start_receiver, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = [commit(modified=["prompts/summarize.yaml"], sha=git_repo.shas["merge"])]
    payload = gitlab_push(listed) | {"total_commits_count": 35, "before": git_repo.shas["base"]}
    rec = start_receiver()  # no checkout: the listed commits only, and a warning says so
    resp = post_gitlab(rec.url, payload)
    assert resp.status_code == 200
    assert "prompts from the listed commits only" in resp.json()["warnings"][0]
    assert [e.prompt for e in rec.emitted] == ["summarize"]
    monkeypatch.setenv("LLMOPS_WEBHOOK__REPO_DIR", str(git_repo.path))
    rec = start_receiver()
    resp = post_gitlab(rec.url, payload | {"checkout_sha": "x"})  # another body, same change
    assert resp.status_code == 200, resp.text
    assert {(e.prompt, e.change) for e in rec.emitted} == {
        ("classify", "added"),
        ("triage", "removed"),
    }  # summarize at this commit was already emitted by the first delivery
    assert [s["prompt"] for s in resp.json()["skipped"]] == ["summarize"]
