"""File lists of merges from a local checkout, and clear reasons when it cannot tell."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.webhook.gitdiff import HistoryUnavailable, merge_diff, range_diff
from tests.builders.webhook import GitRepo, fake_sha


def test_merge_commit_is_compared_with_its_first_parent(git_repo: GitRepo) -> None:
    base, entries = merge_diff(git_repo.path, fake_sha(), git_repo.shas["merge"])
    assert base == git_repo.shas["main-side"]
    assert sorted(entries) == [
        ("added", "README.md"),
        ("added", "prompts/classify.yml"),
        ("modified", "prompts/summarize.yaml"),
        ("removed", "prompts/triage.yaml"),
    ]


def test_single_parent_commit_uses_the_given_base_or_its_parent(git_repo: GitRepo) -> None:
    squash, base = git_repo.shas["squash"], git_repo.shas["base"]
    used, entries = merge_diff(git_repo.path, base, squash)
    assert used == base and ("removed", "prompts/triage.yaml") in entries
    used, entries = merge_diff(git_repo.path, None, squash)
    assert used == git_repo.shas["merge"]
    assert sorted(entries) == [("added", "docs.md"), ("modified", "prompts/summarize.yaml")]


def test_range_diff(git_repo: GitRepo) -> None:
    entries = range_diff(git_repo.path, git_repo.shas["base"], git_repo.shas["main-side"])
    assert entries == [("modified", "app.py")]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no-merge-sha", "names no merge commit"),
        ("unknown-merge", "is not in the checkout"),
        ("unknown-base", "is not in the checkout"),
        ("not-a-sha", "is not a commit sha"),
        ("not-a-repo", "is not a git checkout"),
    ],
)
def test_unavailable_history_says_why(
    git_repo: GitRepo, tmp_path: Path, case: str, message: str
) -> None:
    squash = git_repo.shas["squash"]
    args = {
        "no-merge-sha": (git_repo.path, None, None),
        "unknown-merge": (git_repo.path, None, fake_sha()),
        "unknown-base": (git_repo.path, fake_sha(), squash),
        "not-a-sha": (git_repo.path, "--output=/tmp/x", squash),
        "not-a-repo": (tmp_path, None, squash),
    }[case]
    with pytest.raises(HistoryUnavailable, match=message):
        merge_diff(*args)
