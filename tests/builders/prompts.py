"""Prompt fixtures: temp prompt folders and a real MLflow sqlite registry in the test's home.

Creating an MLflow sqlite database runs its migrations (several seconds); the session fixture
creates one empty database and each test gets a fresh copy of it in its own LLMOPS_HOME.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.builders.paths import REPO

BASE_PROMPT: dict[str, Any] = {
    "name": "qa",
    "description": "answer from the context",
    "model": "candidate",
    "messages": [
        {
            "role": "system",
            "content": "Answer from the numbered documents.\n\nContext:\n{{ contexts }}",
        },
        {"role": "user", "content": "Question: {{ question }}"},
    ],
    "variables": ["contexts", "question"],
    "params": {"temperature": 0.0, "max_tokens": 64},
    "datasets": ["docs-qa"],
}

WritePrompt = Callable[..., Path]


@pytest.fixture(scope="session")
def empty_mlflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow sqlite database with its tables created (once per session)."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    uri = f"sqlite:///{path}"
    assert list(MlflowClient(tracking_uri=uri, registry_uri=uri).search_prompts()) == []
    return path


@pytest.fixture
def registry(home: Path, prompts_dir: Path, empty_mlflow_db: Path):
    """A PromptRegistry over a fresh copy of the empty MLflow database in the test's home."""
    from llmops.core.settings import get_settings
    from llmops.prompts import PromptRegistry

    settings = get_settings()  # after prompts_dir set LLMOPS_PROMPTS_DIR
    assert settings.prompts_dir == prompts_dir

    target = settings.home / "mlflow.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(empty_mlflow_db) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return PromptRegistry(settings)


@pytest.fixture
def prompts_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty prompt folder, set as LLMOPS_PROMPTS_DIR."""
    path = tmp_path / "prompts"
    path.mkdir()
    monkeypatch.setenv("LLMOPS_PROMPTS_DIR", str(path))
    return path


@pytest.fixture
def write_prompt(prompts_dir: Path) -> WritePrompt:
    """Write `<name>.yaml` from BASE_PROMPT with top-level fields overridden."""

    def write(name: str = "qa", **fields: Any) -> Path:
        data = {**BASE_PROMPT, "name": name, **fields}
        path = prompts_dir / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return write


REPO_PROMPTS = REPO / "prompts"
REPO_DATASETS = REPO / "datasets"


def copy_repo_prompts(target: Path) -> None:
    """Copy the project's prompt files into a temp folder."""
    for path in REPO_PROMPTS.glob("*.yaml"):
        shutil.copy(path, target / path.name)
