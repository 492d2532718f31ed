"""The demo's feedback flywheel: simulated feedback through the flywheel flow, auto-approved."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from llmops.core.settings import Settings
from llmops.simulators.feedback import DATASET, write_demo_feedback


def run_flywheel_demo(
    settings: Settings, out_dir: Path | None = None, store_dir: Path | None = None
):
    """Simulated feedback through the flywheel flow (auto-approved) on a copy of the golden store.

    The store defaults to HOME/demo-datasets, seeded from settings.datasets_dir, so the demo never
    writes a new version into the repository's datasets/. Returns the flow's FlywheelResult.
    """
    out_dir = out_dir or settings.home / "feedback" / "demo"
    store_dir = store_dir or settings.home / "demo-datasets"
    source = settings.datasets_dir / DATASET
    if not (store_dir / DATASET).exists() and source.exists():
        shutil.copytree(source, store_dir / DATASET)
    folder = write_demo_feedback(settings, out_dir)
    from flows.feedback_flywheel import feedback_flywheel

    previous = os.environ.get("LLMOPS_DATASETS_DIR")
    os.environ["LLMOPS_DATASETS_DIR"] = str(store_dir)
    try:
        return feedback_flywheel(paths=[str(folder)], auto_approve=True)
    finally:
        if previous is None:
            os.environ.pop("LLMOPS_DATASETS_DIR", None)
        else:
            os.environ["LLMOPS_DATASETS_DIR"] = previous
