"""Version identity: content hash of what changes the call; git commit of the file when clean."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from llmops.prompts import PromptSpec, content_hash, git_commit
from tests.builders.prompts import BASE_PROMPT


def make(**fields: Any) -> PromptSpec:
    return PromptSpec.model_validate({**BASE_PROMPT, **fields})


SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}


def test_hash_is_16_hex_and_stable_under_key_order() -> None:
    base = make(params={"temperature": 0.0, "max_tokens": 64}, output_schema=SCHEMA)
    reordered = make(
        params={"max_tokens": 64, "temperature": 0.0},
        output_schema={
            "required": ["a"],
            "properties": {"a": {"type": "string"}},
            "type": "object",
        },
    )
    assert len(content_hash(base)) == 16 and int(content_hash(base), 16) >= 0
    assert content_hash(base) == content_hash(reordered)


@pytest.mark.parametrize(
    "change",
    [
        {"params": {"temperature": 0.2, "max_tokens": 64}},
        {"params": {"temperature": 0.0, "max_tokens": 64, "seed": 1}},
        {"model": "judge"},
        {"output_schema": SCHEMA},
        {
            "messages": [
                {**BASE_PROMPT["messages"][0]},
                {"role": "user", "content": "Q: {{ question }}"},
            ]
        },
    ],
)
def test_hash_changes_with_what_changes_the_call(change: dict[str, Any]) -> None:
    assert content_hash(make(**change)) != content_hash(make())


@pytest.mark.parametrize("change", [{"description": "other"}, {"datasets": ["other-set"]}])
def test_hash_ignores_what_does_not_change_the_call(change: dict[str, Any]) -> None:
    assert content_hash(make(**change)) == content_hash(make())


def test_git_commit_none_outside_a_repo(tmp_path: Path) -> None:
    path = tmp_path / "qa.yaml"
    path.write_text("x: 1\n")
    assert git_commit(path) is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commit_of_clean_file_and_none_when_dirty_or_untracked(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "prompts").mkdir(parents=True)
    path = repo / "prompts" / "qa.yaml"
    path.write_text("x: 1\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    assert git_commit(path) is None  # untracked
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "add"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    assert git_commit(path) == head.stdout.strip()
    path.write_text("x: 2\n")
    assert git_commit(path) is None  # local edit: the commit does not describe the content
