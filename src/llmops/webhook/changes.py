"""Which prompt files a delivery changed, and how (net over its commits)."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from llmops.webhook.events import ChangeKind
from llmops.webhook.payloads import Commit

PROMPT_SUFFIXES = (".yaml", ".yml")


class PromptChange(BaseModel):
    """The net change of one prompt file and who last touched it."""

    prompt: str
    path: str
    change: ChangeKind
    author: str


class PromptChanges(BaseModel):
    """Prompt files changed, plus other files under the prompts folder (reported, not emitted)."""

    prompts: list[PromptChange]
    other_files: list[str]
    transient: list[str]  # prompt files added and removed again within the delivery


def prompt_name(path: str, prefix: str) -> str | None:
    """`<prefix><name>.yaml|yml` -> name; None for any other path (nested folders included)."""
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    for suffix in PROMPT_SUFFIXES:
        if rest.endswith(suffix) and "/" not in rest and len(rest) > len(suffix):
            return rest[: -len(suffix)]
    return None


def _net(existed_before: bool, exists_after: bool) -> ChangeKind | None:
    if existed_before:
        return "modified" if exists_after else "removed"
    return "added" if exists_after else None


def from_commits(commits: Iterable[Commit], prefix: str) -> PromptChanges:
    """Net change per prompt file over commits listed oldest first."""
    first: dict[str, str] = {}
    last: dict[str, tuple[str, str]] = {}
    for commit in commits:
        for kind, paths in (
            ("added", commit.added),
            ("modified", commit.modified),
            ("removed", commit.removed),
        ):
            for path in paths:
                first.setdefault(path, kind)
                last[path] = (kind, commit.author)
    return _collect(
        (
            (path, first[path] != "added", last[path][0] != "removed", last[path][1])
            for path in last
        ),
        prefix,
    )


def from_diff(entries: Iterable[tuple[ChangeKind, str]], prefix: str, author: str) -> PromptChanges:
    """Prompt changes from a `git diff` between two commits (one change per path)."""
    return _collect(
        ((path, kind != "added", kind != "removed", author) for kind, path in entries), prefix
    )


def _collect(rows: Iterable[tuple[str, bool, bool, str]], prefix: str) -> PromptChanges:
    prompts, other, transient = [], [], []
    for path, before, after, author in rows:
        if not path.startswith(prefix):
            continue
        name = prompt_name(path, prefix)
        if name is None:
            other.append(path)
            continue
        change = _net(before, after)
        if change is None:
            transient.append(path)
            continue
        prompts.append(PromptChange(prompt=name, path=path, change=change, author=author))
    prompts.sort(key=lambda p: p.path)
    return PromptChanges(prompts=prompts, other_files=sorted(other), transient=sorted(transient))
