"""Files changed between two commits of a local checkout (for merge events that list no files)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from llmops.core.errors import LlmopsError
from llmops.webhook.events import ChangeKind

_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_KINDS: dict[str, ChangeKind] = {"A": "added", "M": "modified", "T": "modified", "D": "removed"}


class HistoryUnavailable(LlmopsError):
    """The local checkout cannot tell which files a merge changed (the message says why)."""


def _git(repo_dir: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(repo_dir), *args],
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HistoryUnavailable(f"git {args[0]} in {repo_dir} failed: {exc}") from exc


def _has_commit(repo_dir: Path, sha: str, timeout: float) -> bool:
    return _git(repo_dir, "cat-file", "-e", f"{sha}^{{commit}}", timeout=timeout).returncode == 0


def _require_checkout(repo_dir: Path, timeout: float) -> None:
    if _git(repo_dir, "rev-parse", "--git-dir", timeout=timeout).returncode != 0:
        raise HistoryUnavailable(f"{repo_dir} is not a git checkout")


def merge_diff(
    repo_dir: Path, base: str | None, merge_sha: str | None, timeout: float = 20.0
) -> tuple[str, list[tuple[ChangeKind, str]]]:
    """(base used, [(change, path)]) of `git diff base..merge_sha` in `repo_dir`.

    A merge commit (two parents) is compared with its first parent: exactly what the merge
    brought in. Otherwise `base` is used, or the commit's parent when no base is known.
    Raises HistoryUnavailable when the checkout lacks the commits.
    """
    if not merge_sha:
        raise HistoryUnavailable("the payload names no merge commit")
    for label, sha in (("merge commit", merge_sha), ("base commit", base)):
        if sha is not None and not _SHA.match(sha):
            raise HistoryUnavailable(f"{label} {sha!r} is not a commit sha")
    _require_checkout(repo_dir, timeout)
    if not _has_commit(repo_dir, merge_sha, timeout):
        raise HistoryUnavailable(f"merge commit {merge_sha} is not in the checkout {repo_dir}")
    parents = _git(repo_dir, "rev-list", "--parents", "-n", "1", merge_sha, timeout=timeout)
    shas = parents.stdout.decode().split()[1:]
    if len(shas) >= 2:
        base = shas[0]
    elif base is None:
        if not shas:
            raise HistoryUnavailable(f"merge commit {merge_sha} has no parent to compare with")
        base = shas[0]
    return base, range_diff(repo_dir, base, merge_sha, timeout)


def range_diff(
    repo_dir: Path, base: str, head: str, timeout: float = 20.0
) -> list[tuple[ChangeKind, str]]:
    """[(change, path)] of `git diff base..head`; HistoryUnavailable if a commit is missing."""
    _require_checkout(repo_dir, timeout)
    for sha in (base, head):
        if not _SHA.match(sha):
            raise HistoryUnavailable(f"{sha!r} is not a commit sha")
        if not _has_commit(repo_dir, sha, timeout):
            raise HistoryUnavailable(f"commit {sha} is not in the checkout {repo_dir}")
    out = _git(repo_dir, "diff", "--name-status", "--no-renames", "-z", base, head, timeout=timeout)
    if out.returncode != 0:
        raise HistoryUnavailable(
            f"git diff {base}..{head} failed: {out.stderr.decode(errors='replace').strip()}"
        )
    fields = out.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    entries: list[tuple[ChangeKind, str]] = []
    for status, path in zip(fields[0::2], fields[1::2], strict=False):
        kind = _KINDS.get(status[:1])
        if kind is None:
            raise HistoryUnavailable(f"git diff reported an unknown status {status!r} for {path}")
        entries.append((kind, path))
    return entries
