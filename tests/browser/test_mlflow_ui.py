"""The MLflow UI as a user sees it: the eval runs with their dataset digest and prompt version."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.helpers import shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from llmops.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PROMPT_NAME, PROMPT_VERSION = "docs-qa-answer", "7"


def log_runs(settings: Settings) -> tuple[str, str]:
    """Log the shipped golden set as the curation flow does, and an eval run over it.

    The eval run carries what the eval flow logs: the dataset digest and prompt version as
    params, the dataset as an input, scores as metrics. Returns (digest, eval run name).
    """
    import mlflow.data
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.data.sources import LocalArtifactDatasetSource
    from mlflow.entities import DatasetInput, InputTag
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    from llmops.datasets.lineage import log_version
    from llmops.datasets.store import DatasetStore

    store = DatasetStore(REPO / "datasets")
    manifest = store.current("docs-qa")
    assert manifest is not None
    digest, items = manifest.version, store.items("docs-qa", manifest.version)
    archive = store.archive_path("docs-qa", digest)
    artifacts = settings.home / "mlartifacts"
    log_version(settings.mlflow_uri, artifacts, manifest, items, archive)

    client = MlflowClient(tracking_uri=settings.mlflow_uri)
    found = client.get_experiment_by_name("llmops-evals")
    exp_id = (
        found.experiment_id
        if found
        else client.create_experiment("llmops-evals", artifact_location=artifacts.as_uri())
    )
    name = f"{PROMPT_NAME}@v{PROMPT_VERSION} on docs-qa@{digest[:8]} (manual, candidate)"
    run_id = client.create_run(exp_id, run_name=name).info.run_id
    params = {
        "dataset": "docs-qa",
        "dataset_version": digest,
        "dataset_digest": digest,
        "prompt_name": PROMPT_NAME,
        "prompt_version": PROMPT_VERSION,
    }
    for key, value in params.items():
        client.log_param(run_id, key, value)
    frame = pd.DataFrame({"id": [i.id for i in items], "question": [i.question for i in items]})
    source = LocalArtifactDatasetSource(archive.resolve().as_uri())
    dataset = mlflow.data.from_pandas(frame, source=source, name="docs-qa", digest=digest)
    context = InputTag(key=MLFLOW_DATASET_CONTEXT, value="eval")
    client.log_inputs(run_id, [DatasetInput(dataset._to_mlflow_entity(), tags=[context])])
    client.log_metric(run_id, "answer_relevancy", 0.87)
    client.set_terminated(run_id)
    return digest, name


def test_eval_run_shows_dataset_digest_and_prompt_version(
    page: Page, mlflow_ui: tuple[str, Settings]
) -> None:
    from playwright.sync_api import expect

    url, settings = mlflow_ui
    digest, run_name = log_runs(settings)

    # the experiments list, then the eval runs of llmops-evals
    page.goto(f"{url}/#/experiments")
    page.get_by_role("link", name="llmops-evals", exact=True).click()
    page.get_by_text("Evaluation runs", exact=True).first.click()
    expect(page.get_by_text(run_name, exact=True)).to_be_visible()
    shot(page, "mlflow-eval-runs")

    # the run's own page (from the runs table): params and the dataset input with its digest
    page.get_by_text("Model training", exact=True).click()
    page.get_by_role("link", name=run_name, exact=True).click()
    expect(page).to_have_url(re.compile(r"/experiments/\d+/runs/[0-9a-f]{32}"))
    expect(page.get_by_text(f"docs-qa ({digest})", exact=True)).to_be_visible()
    for param, value in {"dataset_digest": digest, "prompt_version": PROMPT_VERSION}.items():
        row = page.get_by_role("row").filter(has=page.get_by_text(param, exact=True))
        expect(row).to_have_count(1)
        row.scroll_into_view_if_needed()
        expect(row).to_be_visible()
        expect(row.get_by_role("cell").last).to_have_text(value)
    shot(page, "mlflow-eval-run")

    # the golden set's version run (curation lineage) shows the same digest
    page.goto(f"{url}/#/experiments")
    page.get_by_role("link", name="llmops-datasets", exact=True).click()
    page.get_by_text("Model training", exact=True).click()
    page.get_by_role("link", name=f"docs-qa@{digest}", exact=True).click()
    expect(page.get_by_text(f"docs-qa ({digest})", exact=True)).to_be_visible()
    shot(page, "mlflow-dataset-version-run")
