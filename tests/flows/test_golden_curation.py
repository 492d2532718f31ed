"""Golden curation on a real Prefect server: pause for review, reject writes nothing, approve
writes the version, logs the MLflow dataset and emits `llmops.dataset.promoted`."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.builders.datasets import dirty_batch
from tests.builders.paths import REPO
from tests.builders.prefect_api import artifact, events, paused_run

pytestmark = pytest.mark.usefixtures("prefect_server")
ROOT = REPO


@pytest.fixture
def cfg(datasets_dir: Path):
    """Settings over the fresh home and store."""
    from llmops.core.settings import get_settings

    return get_settings()


def _curate_in_background(source: Path) -> tuple[threading.Thread, dict]:
    from flows.golden_curation import golden_curation

    out: dict = {}

    def run() -> None:
        out["state"] = golden_curation(
            name="qa",
            sources=[str(source)],
            review_poll_seconds=1,
            review_timeout_minutes=2,
            return_state=True,
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _review(source: Path, decision: dict):
    from prefect.flow_runs import resume_flow_run

    thread, out = _curate_in_background(source)
    paused = paused_run("curate-qa", timeout=60)
    resume_flow_run(paused.id, run_input=decision)
    thread.join(timeout=90)
    assert not thread.is_alive(), "flow did not finish after resume"
    state = out["state"]
    assert state.is_completed(), state
    return paused.id, state.result()


def test_reject_writes_nothing_then_approve_writes_version_and_mlflow(
    cfg, datasets_dir: Path, tmp_path: Path
) -> None:
    source = dirty_batch(tmp_path / "batch.jsonl")

    run_id, rejected = _review(source, {"approve": False, "reviewer": "rita", "comment": "no"})
    assert rejected.status == "rejected" and rejected.reviewer == "rita"
    assert list(datasets_dir.iterdir()) == []
    assert not (cfg.home / "curation").exists() and not (cfg.home / "mlflow.db").exists()
    report = artifact("golden-curation-qa", run_id)
    assert "rejected by rita: no" in report and "no_injection" in report

    run_id, promoted = _review(source, {"approve": True, "reviewer": "ana", "comment": "ok"})
    assert promoted.status == "promoted" and promoted.rows == 3
    from llmops.datasets.store import DatasetStore

    store = DatasetStore(datasets_dir)
    manifest = store.current("qa")
    assert manifest.version == promoted.version and manifest.rows == 3
    assert (manifest.approval.by, manifest.approval.method) == ("ana", "prefect-ui")
    assert manifest.source.flow_run_id == str(run_id)
    assert (manifest.curation.quarantined, manifest.curation.duplicates_removed) == (5, 2)
    assert (cfg.home / "curation" / "qa" / manifest.version / "removed.jsonl").exists()
    report = artifact("golden-curation-qa", run_id)
    for needle in ("approved by ana: ok", "## Diff against the parent: 3 added", "near duplicate"):
        assert needle in report

    from mlflow import MlflowClient

    run = MlflowClient(tracking_uri=cfg.mlflow_uri).get_run(promoted.mlflow_run_id)
    (dataset_input,) = run.inputs.dataset_inputs
    ds = dataset_input.dataset
    assert (ds.name, ds.digest) == ("qa", manifest.version)
    assert f"{manifest.version}.jsonl.gz" in ds.source
    assert manifest.lineage and manifest.lineage.mlflow_run_id == promoted.mlflow_run_id

    def for_qa(found: list[dict]) -> list[dict]:
        return [e for e in found if e["resource"]["prefect.resource.id"] == "llmops.dataset.qa"]

    (event,) = for_qa(events("llmops.dataset.promoted", until=lambda f: bool(for_qa(f))))
    assert event["payload"]["version"] == manifest.version
    assert event["resource"]["prefect.resource.id"] == "llmops.dataset.qa"


def test_auto_approved_seed_then_unchanged_rerun(cfg, datasets_dir: Path) -> None:
    from llmops.demo.seed import curate_seed

    first = curate_seed(cfg)
    assert first.status == "promoted" and first.rows == 195 and first.reviewer == "auto-approve"
    committed = yaml.safe_load((ROOT / "datasets" / "docs-qa" / "manifest.yaml").read_text())
    assert first.version == committed["version"]
    again = curate_seed(cfg)
    assert again.status == "unchanged" and again.mlflow_run_id == first.mlflow_run_id
    assert any("MLflow" in line for line in again.where_to_look("http://ui"))


def test_deployment_triggers_on_candidates_event() -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    (dep,) = [d for d in spec["deployments"] if d["name"] == "golden-curation"]
    (trigger,) = dep["triggers"]
    assert trigger["expect"] == ["llmops.dataset.candidates"]
    assert set(trigger["parameters"]) == {"name", "sources"}


def test_candidates_event_starts_a_curation_run() -> None:
    """`prefect deploy` registers the trigger; the flywheel's event creates a run with params."""
    import os
    import subprocess
    import sys

    from prefect.events import emit_event
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    prefect = str(Path(sys.executable).with_name("prefect"))
    for cmd in (
        ["work-pool", "create", "llmops-local", "--type", "process", "--overwrite"],
        ["--no-prompt", "deploy", "--name", "golden-curation"],
    ):
        done = subprocess.run([prefect, *cmd], env=env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    time.sleep(2)  # let the server load the new automation
    emit_event(
        event="llmops.dataset.candidates",
        resource={"prefect.resource.id": "llmops.dataset.qa-flywheel"},
        payload={"dataset": "qa-flywheel", "files": ["/tmp/candidates-1.jsonl"]},
    )

    async def created() -> dict | None:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["datasets"]))
            )
            found = [r for r in runs if r.parameters.get("name") == "qa-flywheel"]
            for r in found:  # no worker runs it here; leave nothing scheduled behind
                await client.delete_flow_run(r.id)
            return found[0].parameters if found else None

    for _ in range(40):
        params = asyncio.run(created())
        if params:
            break
        time.sleep(1)
    assert params == {
        "name": "qa-flywheel",
        "sources": ["/tmp/candidates-1.jsonl"],
        "mode": "merge",
        "auto_approve": False,
    }
