"""Shared fixtures: offline settings, a fresh LLMOPS_HOME per test, the Prefect test harness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llmops.core.offline import apply_offline_defaults

apply_offline_defaults()


@pytest.fixture(autouse=True, scope="session")
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Measured price tables go to this session's own cache, never the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLMOPS_CACHE_DIR", str(tmp_path_factory.mktemp("llmops-cache")))
        yield


# Shared builders and fixtures live in tests/builders/; these modules also define fixtures.
pytest_plugins = [
    "tests.builders.collector",
    "tests.builders.simulator",
    "tests.builders.provider",
    "tests.builders.prompts",
    "tests.builders.webhook",
    "tests.builders.metrics",
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh LLMOPS_HOME for one test."""
    path = tmp_path / "home"
    monkeypatch.setenv("LLMOPS_HOME", str(path))
    monkeypatch.setenv("LLMOPS_USER_HASH_KEY", "test-key")
    return path


@pytest.fixture
def settings(home: Path):
    """Settings over the fresh home."""
    from llmops.core.settings import get_settings

    return get_settings()


@pytest.fixture
def datasets_dir(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty dataset store for one test (never the repo's datasets/)."""
    path = tmp_path / "datasets"
    path.mkdir()
    monkeypatch.setenv("LLMOPS_DATASETS_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One real (temporary) Prefect server for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
