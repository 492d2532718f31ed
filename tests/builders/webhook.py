"""Webhook fixtures: payload builders, signed posts, a local git repo, the receiver over HTTP."""

from __future__ import annotations

import itertools
import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from llmops.webhook.events import PromptMerged
from llmops.webhook.signature import github_signature

GITHUB_SECRET = "gh-s3cret-6b1f0c9e-never-shown"
GITLAB_TOKEN = "gl-t0ken-93d2a7-never-shown"
REPO = "acme/support-bot"
_shas = itertools.count(1)


def fake_sha() -> str:
    """A well-formed commit sha that no repository holds."""
    return f"{next(_shas):040x}"


def commit(author: str = "alice", added=(), modified=(), removed=(), sha: str | None = None):
    """One commit of a push payload (the shape both hosts use)."""
    return {
        "id": sha or fake_sha(),
        "author": {"name": author.title(), "username": author, "email": f"{author}@example.com"},
        "added": list(added),
        "modified": list(modified),
        "removed": list(removed),
    }


def github_push(
    commits: list[dict],
    branch: str = "main",
    default_branch: str = "main",
    before: str | None = None,
    after: str | None = None,
) -> dict:
    """A GitHub `push` payload."""
    return {
        "ref": f"refs/heads/{branch}",
        "before": before or fake_sha(),
        "after": after or (commits[-1]["id"] if commits else fake_sha()),
        "deleted": False,
        "repository": {"full_name": REPO, "default_branch": default_branch},
        "pusher": {"name": "alice"},
        "commits": commits,
    }


def github_pr(
    merge_sha: str | None,
    base_sha: str | None = None,
    merged: bool = True,
    action: str = "closed",
    base_ref: str = "main",
    user: str = "bob",
) -> dict:
    """A GitHub `pull_request` payload."""
    return {
        "action": action,
        "number": 7,
        "pull_request": {
            "number": 7,
            "merged": merged,
            "merge_commit_sha": merge_sha,
            "base": {"ref": base_ref, "sha": base_sha or fake_sha()},
            "user": {"login": user},
        },
        "repository": {"full_name": REPO, "default_branch": "main"},
    }


def gitlab_push(commits: list[dict], branch: str = "main", after: str | None = None) -> dict:
    """A GitLab `Push Hook` payload."""
    return {
        "object_kind": "push",
        "ref": f"refs/heads/{branch}",
        "before": fake_sha(),
        "after": after or (commits[-1]["id"] if commits else fake_sha()),
        "user_username": "carol",
        "project": {"path_with_namespace": "acme/gl-bot", "default_branch": "main"},
        "commits": commits,
        "total_commits_count": len(commits),
    }


def gitlab_mr(merge_sha: str | None, action: str = "merge", target: str = "main") -> dict:
    """A GitLab `Merge Request Hook` payload."""
    return {
        "object_kind": "merge_request",
        "user": {"username": "dave"},
        "project": {"path_with_namespace": "acme/gl-bot", "default_branch": "main"},
        "object_attributes": {
            "iid": 3,
            "action": action,
            "state": "merged" if action == "merge" else "opened",
            "target_branch": target,
            "merge_commit_sha": merge_sha,
        },
    }


def post_github(
    base_url: str,
    payload: dict | bytes,
    event: str = "push",
    delivery: str | None = None,
    secret: str | None = GITHUB_SECRET,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a GitHub delivery signed with `secret` (unsigned when secret and signature are None)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    h = {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery or str(uuid.uuid4()),
    }
    if signature is not None:
        h["x-hub-signature-256"] = signature
    elif secret is not None:
        h["x-hub-signature-256"] = github_signature(SecretStr(secret), body)
    return httpx.post(f"{base_url}/webhooks/github", content=body, headers=h | (headers or {}))


def post_gitlab(
    base_url: str,
    payload: dict | bytes,
    event: str = "Push Hook",
    token: str | None = GITLAB_TOKEN,
    delivery: str | None = None,
) -> httpx.Response:
    """POST a GitLab delivery with `token` in X-Gitlab-Token (none when token is None)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    h = {
        "content-type": "application/json",
        "x-gitlab-event": event,
        "x-gitlab-event-uuid": delivery or str(uuid.uuid4()),
    }
    if token is not None:
        h["x-gitlab-token"] = token
    return httpx.post(f"{base_url}/webhooks/gitlab", content=body, headers=h)


@dataclass
class GitRepo:
    """A local repository with a default branch `main` and named commits."""

    path: Path
    shas: dict[str, str] = field(default_factory=dict)

    def git(self, *args: str) -> str:
        """Run git in the repository and return its stdout."""
        env = {
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "t@example.com",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": "/usr/bin:/bin",
        }
        out = subprocess.run(
            ["git", "-C", str(self.path), *args], capture_output=True, text=True, env=env
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def write(self, files: dict[str, str | None]) -> None:
        """Write (or delete, for None) files and stage them."""
        for rel, text in files.items():
            target = self.path / rel
            if text is None:
                self.git("rm", "-q", rel)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
                self.git("add", rel)

    def commit(self, name: str, files: dict[str, str | None]) -> str:
        """Commit `files` on the current branch; remember the sha under `name`."""
        self.write(files)
        self.git("commit", "-q", "-m", name)
        self.shas[name] = self.git("rev-parse", "HEAD")
        return self.shas[name]


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    """main: base -> (feature merged with --no-ff) merge -> squash-like single commit."""
    repo = GitRepo(tmp_path / "repo")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.commit(
        "base",
        {"prompts/summarize.yaml": "v: 1\n", "prompts/triage.yaml": "v: 1\n", "app.py": "x=1\n"},
    )
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feature-1", {"prompts/summarize.yaml": "v: 2\n", "README.md": "hi\n"})
    repo.commit("feature-2", {"prompts/classify.yml": "v: 1\n", "prompts/triage.yaml": None})
    repo.git("checkout", "-q", "main")
    repo.commit("main-side", {"app.py": "x=2\n"})
    repo.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    repo.shas["merge"] = repo.git("rev-parse", "HEAD")
    repo.commit("squash", {"prompts/summarize.yaml": "v: 3\n", "docs.md": "d\n"})
    return repo


@dataclass
class Receiver:
    """A running receiver: its URL, what it emitted and its settings."""

    url: str
    emitted: list[PromptMerged]
    settings: Any


@pytest.fixture
def webhook_env(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Both secrets configured through the environment; the repo checkout is an empty folder."""
    monkeypatch.setenv("LLMOPS_WEBHOOK__GITHUB_SECRET", GITHUB_SECRET)
    monkeypatch.setenv("LLMOPS_WEBHOOK__GITLAB_TOKEN", GITLAB_TOKEN)
    not_a_repo = tmp_path / "not-a-repo"
    not_a_repo.mkdir()
    monkeypatch.setenv("LLMOPS_WEBHOOK__REPO_DIR", str(not_a_repo))
    return home


@pytest.fixture
def start_receiver() -> Iterator[Callable[..., Receiver]]:
    """Start receivers (uvicorn in a thread) with a list-appending emit; stops them after."""
    from llmops.core.settings import get_settings
    from llmops.webhook.server import run_in_thread

    stops: list[Callable[[], None]] = []

    def start(emit: Callable[[PromptMerged], None] | None = None, **kw: Any) -> Receiver:
        settings = get_settings()
        emitted: list[PromptMerged] = []
        url, stop = run_in_thread(settings, emit=emit or emitted.append, **kw)
        stops.append(stop)
        return Receiver(url, emitted, settings)

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def receiver(webhook_env: Path, start_receiver: Callable[..., Receiver]) -> Receiver:
    """A receiver with both secrets configured and no local checkout."""
    return start_receiver()
