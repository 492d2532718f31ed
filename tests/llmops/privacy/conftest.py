"""A fresh copy of the erasure home per test (built once per session on the simulated lake)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.builders.erase import ErasureHome, build_erase_home, settings_for


@pytest.fixture(scope="session")
def erase_home(tmp_path_factory: pytest.TempPathFactory) -> ErasureHome:
    return build_erase_home(tmp_path_factory.getbasetemp())


@pytest.fixture
def lake_settings(erase_home: ErasureHome, tmp_path: Path):
    """Settings over a copy of the erasure home's lake."""
    settings = settings_for(tmp_path / "home")
    shutil.copytree(erase_home.home / "lake", settings.lake_dir)
    return settings
