"""Version identity of a prompt: content hash of what affects the call, and its git commit."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from llmops.prompts.spec import PromptSpec

HASH_CHARS = 16


def call_content(spec: PromptSpec) -> dict[str, Any]:
    """Everything that changes the LLM call: messages, model alias, params, output schema."""
    return {
        "messages": [m.model_dump() for m in spec.messages],
        "model": spec.model,
        "params": spec.params,
        "output_schema": spec.output_schema,
    }


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: equal content gives equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(spec: PromptSpec) -> str:
    """sha256 (first 16 hex) of the canonical JSON of the call content."""
    return hashlib.sha256(canonical_json(call_content(spec)).encode()).hexdigest()[:HASH_CHARS]


def _git(args: list[str], cwd: Path) -> str | None:
    """stdout of a read-only git command, or None when git or the repository is unavailable."""
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_commit(path: Path) -> str | None:
    """Commit of the file's last change; None outside a repo, untracked, or with local edits."""
    path = path.resolve()
    status = _git(["status", "--porcelain", "--", path.name], path.parent)
    if status is None or status.strip():
        return None
    commit = _git(["log", "-1", "--format=%H", "--", path.name], path.parent)
    return commit.strip() or None if commit else None
