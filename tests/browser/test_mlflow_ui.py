"""The MLflow UI as a user sees it: the eval runs with their dataset digest and prompt version."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.builders.browser import off_thread, shot
from tests.builders.eval_suite import SMALL_SUITE
from tests.builders.paths import REPO

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from llmops.core.settings import Settings


def run_eval(settings: Settings, tmp: Path) -> tuple[str, str, str, str, str]:
    """Log the golden set as the curation flow does, then run the real eval flow over it
    (simulator, small suite). Returns (digest, eval run name, prompt version, eval run id,
    dataset run id)."""
    import asyncio

    from flows.eval_run import eval_run
    from llmops.datasets.lineage import log_version
    from llmops.datasets.store import DatasetStore
    from llmops.evals.tracking import RunIdentity, run_params

    store = DatasetStore(REPO / "datasets")
    manifest = store.current("docs-qa")
    assert manifest is not None
    digest = manifest.version
    lineage = log_version(
        settings.mlflow_uri,
        settings.home / "mlartifacts",
        manifest,
        store.items("docs-qa", digest),
        store.archive_path("docs-qa", digest),
    )
    suite = tmp / "suite.yaml"
    suite.write_text(SMALL_SUITE)
    result = asyncio.run(eval_run(limit=20, suite=str(suite), baseline="none"))
    params = run_params(settings.mlflow_uri, result.run_id)
    assert params["dataset_digest"] == digest
    name = RunIdentity(**{k: params[k] for k in RunIdentity.model_fields if k in params}).run_name()
    return digest, name, params["prompt_version"], result.run_id, lineage.mlflow_run_id


def experiment_path(page_url: str) -> str:
    """`/experiments/<id>` from the URL of any page of an experiment."""
    found = re.search(r"#(/experiments/\d+)", page_url)
    assert found, f"not an experiment page: {page_url}"
    return found.group(1)


def follow(page: Page, link: Locator, base: str) -> None:
    """Open a link's target as a click would, without racing the UI's transient overlays
    (a first click in CI was intercepted by a full-page layer while the app settled)."""
    href = link.get_attribute("href")
    assert href, "the link has no target"
    page.goto(f"{base}/{href}" if href.startswith("#") else href)
    settle(page)


def settle(page: Page, quiet_ms: int = 1_000, timeout_ms: int = 15_000) -> None:
    """Wait until the page's URL has not changed for `quiet_ms` (an experiment's page redirects
    itself to its overview once its data arrives); give up quietly after `timeout_ms`."""
    waited, last, quiet = 0, page.url, 0
    while waited < timeout_ms and quiet < quiet_ms:
        page.wait_for_timeout(200)
        waited += 200
        quiet = quiet + 200 if page.url == last else 0
        last = page.url


def dismiss_guidance(page: Page) -> None:
    """Close MLflow's first-visit guidance popovers ("Got it"), which can cover a page."""
    for button in page.get_by_role("button", name="Got it").all():
        if button.is_visible():
            button.click()


def open_run_page(page: Page, url: str, expected: Locator, attempts: int = 3) -> None:
    """Open a run's page in a fresh document and wait for `expected`, up to `attempts` times.

    A fresh document (about:blank first), because opening an experiment starts a client-side
    redirect to its overview: a hash-only jump to the run could be overtaken by it (seen in CI:
    the run URL ended on /overview/usage, and a reload only reloaded the overview). A first-visit
    guidance popover or a slow first render gets another try too.
    """
    from playwright.sync_api import Error, expect

    run_path = url.split("#", 1)[1]
    for attempt in range(1, attempts + 1):
        page.goto("about:blank")
        page.goto(url)
        dismiss_guidance(page)
        try:
            expect(expected).to_be_visible(timeout=30_000)
            expect(page).to_have_url(re.compile(re.escape(run_path)), timeout=5_000)
            return
        except (AssertionError, Error):
            if attempt == attempts:
                raise


def test_eval_run_shows_dataset_digest_and_prompt_version(
    page: Page,
    mlflow_ui: tuple[str, Settings],
    prefect_server: None,
    simulator: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect

    url, settings = mlflow_ui
    monkeypatch.setenv("LLMOPS_HOME", str(settings.home))  # the flow logs to this server's store
    monkeypatch.setenv("LLMOPS_USER_HASH_KEY", "test-key")
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    monkeypatch.setenv("LLMOPS_PROMPTS_DIR", str(prompts))
    datasets = tmp_path / "datasets"
    shutil.copytree(REPO / "datasets" / "docs-qa", datasets / "docs-qa")
    monkeypatch.setenv("LLMOPS_DATASETS_DIR", str(datasets))
    digest, run_name, prompt_version, run_id, dataset_run_id = off_thread(
        run_eval, settings, tmp_path
    )

    # the experiments list, then the eval runs of llmops-evals
    page.goto(f"{url}/#/experiments")
    follow(page, page.get_by_role("link", name="llmops-evals", exact=True), url)
    follow(page, page.get_by_text("Evaluation runs", exact=True).first, url)
    expect(page.get_by_text(run_name, exact=True)).to_be_visible()
    shot(page, "mlflow-eval-runs")

    # the run's own page (the runs table links it by id): params and the dataset input
    dataset_input = page.get_by_text(f"docs-qa ({digest})", exact=True)
    open_run_page(page, f"{url}/#{experiment_path(page.url)}/runs/{run_id}", dataset_input)
    expect(page).to_have_url(re.compile(rf"/experiments/\d+/runs/{run_id}"))
    for param, value in {"dataset_digest": digest, "prompt_version": prompt_version}.items():
        row = page.get_by_role("row").filter(has=page.get_by_text(param, exact=True))
        expect(row).to_have_count(1)
        row.scroll_into_view_if_needed()
        expect(row).to_be_visible()
        expect(row.get_by_role("cell").last).to_have_text(value)
    shot(page, "mlflow-eval-run")

    # the golden set's version run (curation lineage) shows the same digest
    page.goto(f"{url}/#/experiments")
    follow(page, page.get_by_role("link", name="llmops-datasets", exact=True), url)
    expect(page).to_have_url(re.compile(r"/experiments/\d+"))
    open_run_page(page, f"{url}/#{experiment_path(page.url)}/runs/{dataset_run_id}", dataset_input)
    shot(page, "mlflow-dataset-version-run")
