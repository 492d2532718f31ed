"""Packaged data and the checkout are found the same way from anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.core.paths import CheckoutNotFound, checkout, find_checkout, package_path
from tests.builders.paths import REPO


def test_package_data_is_found_inside_the_package() -> None:
    models = package_path("guardrails", "models")
    assert models.is_dir() and any(models.glob("*.card.json"))


def test_the_checkout_is_found_from_the_package_and_from_a_folder_inside_it() -> None:
    assert find_checkout() == REPO
    assert find_checkout(REPO / "src" / "llmops") == REPO


def test_a_folder_with_prefect_yaml_and_flows_is_a_checkout(tmp_path: Path) -> None:
    (tmp_path / "prefect.yaml").write_text("deployments: []\n")
    (tmp_path / "flows").mkdir()
    (tmp_path / "deep" / "er").mkdir(parents=True)
    assert find_checkout(tmp_path / "deep" / "er") == tmp_path


def test_outside_a_checkout_the_error_names_what_needed_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("llmops.core.paths.package_path", lambda *parts: tmp_path)
    with pytest.raises(CheckoutNotFound, match="the seed dataset needs the llmops checkout"):
        checkout("the seed dataset")
