"""Read GitHub and GitLab webhook payloads into provider-neutral push and merge descriptions."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from llmops.core.errors import LlmopsError
from llmops.webhook.events import Provider, Source

ZERO_SHA = "0" * 40
GITHUB_COMMIT_CAP = 2048  # GitHub lists at most this many commits in a push delivery


class PayloadError(LlmopsError):
    """A signed payload that lacks a field the receiver needs (the message names the field)."""


class Commit(BaseModel):
    """One pushed commit with the files it added, modified and removed."""

    sha: str
    author: str
    added: list[str]
    modified: list[str]
    removed: list[str]


class Push(BaseModel):
    """A push of commits to a branch (oldest commit first, as both hosts send them)."""

    provider: Provider
    repository: str
    branch: str
    default_branch: str
    before: str
    after: str
    pusher: str
    commits: list[Commit]
    complete: bool  # False when the commit list may not tell the net change (truncated, forced)


class Merge(BaseModel):
    """A merged pull/merge request; the payload lists no files."""

    provider: Provider
    source: Source
    repository: str
    branch: str
    default_branch: str
    base: str | None  # None: the first parent of the merge commit
    merge_sha: str | None
    author: str
    number: int | None


class Ignored(BaseModel):
    """An event the receiver does not act on, with the reason given back to the sender."""

    reason: str


Parsed = Push | Merge | Ignored


def _field(payload: Any, path: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Value at dotted `path`; raises naming the field when it is missing or of another type."""
    value = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise PayloadError(f"{where}: field {path} is missing")
        value = value[part]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise PayloadError(f"{where}: field {path} is not {names} (got {type(value).__name__})")
    return value


def _optional(payload: Any, path: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Like `_field`, but a missing or null value gives None."""
    value = payload
    for part in path.split("."):
        if not isinstance(value, dict) or value.get(part) is None:
            return None
        value = value[part]
    return _field(payload, path, kind, where)


def _branch(ref: str) -> str | None:
    return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None


def _pushed_branch(payload: dict, where: str, default: str) -> str | Ignored:
    """The branch a push delivery updated, or why it is ignored (not a branch, not the default)."""
    ref = _field(payload, "ref", str, where)
    branch = _branch(ref)
    if branch is None:
        return Ignored(reason=f"push to {ref} is not a branch push")
    if branch != default:
        return Ignored(reason=f"push to branch {branch!r}, not the default branch {default!r}")
    return branch


def _commits(payload: dict, where: str, author_keys: tuple[str, ...]) -> list[Commit]:
    raw = _field(payload, "commits", list, where)
    commits = []
    for i, c in enumerate(raw):
        at = f"{where} commits[{i}]"
        author = next(
            (a for key in author_keys if (a := _optional(c, f"author.{key}", str, at))), "unknown"
        )
        files = {}
        for kind in ("added", "modified", "removed"):
            paths = _optional(c, kind, list, at) or []
            bad = [p for p in paths if not isinstance(p, str)]
            if bad:
                raise PayloadError(f"{at}: field {kind} holds a non-string path {bad[0]!r}")
            files[kind] = paths
        commits.append(Commit(sha=_field(c, "id", str, at), author=author, **files))
    return commits


def parse_github(event: str, payload: dict, default_branch: str | None) -> Parsed:
    """A GitHub `push` or `pull_request` delivery (`X-GitHub-Event` = `event`)."""
    where = f"GitHub {event} payload"
    if event == "ping":
        return Ignored(reason="ping received: the signature is valid")
    if event not in ("push", "pull_request"):
        return Ignored(reason=f"GitHub event {event!r} is not handled (push and pull_request are)")
    repository = _field(payload, "repository.full_name", str, where)
    default = default_branch or _field(payload, "repository.default_branch", str, where)
    if event == "push":
        branch = _pushed_branch(payload, where, default)
        if isinstance(branch, Ignored):
            return branch
        if payload.get("deleted") is True:
            return Ignored(reason=f"push deleted branch {branch!r}")
        commits = _commits(payload, where, ("username", "name"))
        return Push(
            provider="github",
            repository=repository,
            branch=branch,
            default_branch=default,
            before=_field(payload, "before", str, where),
            after=_field(payload, "after", str, where),
            pusher=_optional(payload, "pusher.name", str, where) or "unknown",
            commits=commits,
            complete=len(commits) < GITHUB_COMMIT_CAP and payload.get("forced") is not True,
        )
    action = _field(payload, "action", str, where)
    merged = _optional(payload, "pull_request.merged", bool, where) is True
    if action != "closed" or not merged:
        state = "closed without merge" if action == "closed" else action
        return Ignored(reason=f"pull_request {state}: only merged pull requests count")
    target = _field(payload, "pull_request.base.ref", str, where)
    if target != default:
        return Ignored(reason=f"pull request merged into {target!r}, not {default!r}")
    return Merge(
        provider="github",
        source="pull_request",
        repository=repository,
        branch=target,
        default_branch=default,
        base=_optional(payload, "pull_request.base.sha", str, where),
        merge_sha=_optional(payload, "pull_request.merge_commit_sha", str, where),
        author=_optional(payload, "pull_request.user.login", str, where) or "unknown",
        number=_optional(payload, "pull_request.number", int, where),
    )


def parse_gitlab(event: str, payload: dict, default_branch: str | None) -> Parsed:
    """A GitLab `Push Hook` or `Merge Request Hook` delivery (`X-Gitlab-Event` = `event`)."""
    where = f"GitLab {event} payload"
    if event not in ("Push Hook", "Merge Request Hook"):
        return Ignored(
            reason=f"GitLab event {event!r} is not handled (Push Hook and Merge Request Hook are)"
        )
    repository = _field(payload, "project.path_with_namespace", str, where)
    default = default_branch or _field(payload, "project.default_branch", str, where)
    if event == "Push Hook":
        branch = _pushed_branch(payload, where, default)
        if isinstance(branch, Ignored):
            return branch
        after = _field(payload, "after", str, where)
        if after == ZERO_SHA:
            return Ignored(reason=f"push deleted branch {branch!r}")
        commits = _commits(payload, where, ("name",))
        total = _optional(payload, "total_commits_count", int, where)
        return Push(
            provider="gitlab",
            repository=repository,
            branch=branch,
            default_branch=default,
            before=_field(payload, "before", str, where),
            after=after,
            pusher=_optional(payload, "user_username", str, where) or "unknown",
            commits=commits,
            complete=total is None or total <= len(commits),
        )
    action = _optional(payload, "object_attributes.action", str, where)
    state = _optional(payload, "object_attributes.state", str, where)
    if action != "merge" or state != "merged":
        return Ignored(
            reason=f"merge request {action or state or 'event'}: only merged requests count"
        )
    target = _field(payload, "object_attributes.target_branch", str, where)
    if target != default:
        return Ignored(reason=f"merge request merged into {target!r}, not {default!r}")
    merge_sha = _optional(payload, "object_attributes.merge_commit_sha", str, where) or _optional(
        payload, "object_attributes.squash_commit_sha", str, where
    )
    return Merge(
        provider="gitlab",
        source="merge_request",
        repository=repository,
        branch=target,
        default_branch=default,
        base=None,
        merge_sha=merge_sha,
        author=_optional(payload, "user.username", str, where) or "unknown",
        number=_optional(payload, "object_attributes.iid", int, where),
    )
