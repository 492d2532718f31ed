"""Fixtures for the dataset tests: a temporary store (never the repo's datasets/)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def datasets_dir(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty dataset store for one test (LLMOPS_DATASETS_DIR points at it)."""
    path = tmp_path / "datasets"
    path.mkdir()
    monkeypatch.setenv("LLMOPS_DATASETS_DIR", str(path))
    return path
