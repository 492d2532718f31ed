"""The shipped seed set: datasets/docs-qa rebuilds from the copied ARES TSV to the same version."""

from __future__ import annotations

import hashlib
from pathlib import Path

from llmops.datasets.config import load_config
from llmops.datasets.curate import curate_files
from llmops.datasets.store import DatasetStore
from llmops.datasets.validation import validate_rows
from tests.builders.paths import REPO

SEED = REPO / "datasets" / "public" / "ares" / "ares-human-annotations.tsv"
CONFIG = REPO / "datasets" / "docs-qa" / "dataset.yaml"
SEED_SHA = "7ba390e28e8f1af583f883a761638f46ee60550182e7a240d466da3328fe985f"


def test_committed_seed_is_consistent_and_rebuilds_identically(tmp_path: Path) -> None:
    repo_store = DatasetStore(REPO / "datasets")
    committed = repo_store.current("docs-qa")
    assert committed is not None
    items_file = REPO / "datasets" / "docs-qa" / "items.jsonl"
    assert hashlib.sha256(items_file.read_bytes()).hexdigest()[:16] == committed.version
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == SEED_SHA
    assert "Apache" in (SEED.parent / "ATTRIBUTION.md").read_text()

    cfg = load_config(CONFIG)
    c = curate_files(DatasetStore(tmp_path), "docs-qa", [SEED], cfg, mode="replace")
    assert c.version == committed.version  # the repository rebuilds it from its own files
    assert (len(c.items), committed.rows) == (195, 195)
    assert committed.counts == {
        "kind:negative": 31,
        "kind:reference": 164,
        "split:dev": 137,
        "split:test": 58,
    }
    negatives = [i for i in c.items if i.kind == "negative"]
    assert all(i.reference_answer is None and i.metadata["answer"] for i in negatives)
    labels = [i.metadata["human_labels"] for i in c.items if i.kind == "reference"]
    assert all(x["answer_faithfulness"] == 1 and x["answer_relevance"] == 1 for x in labels)
    reasons = sorted(r.reasons[0].split(":")[0] for r in c.removals if r.stage == "validation")
    assert reasons == ["context_min_length", "context_min_length"]
    assert sum(r.stage == "dedup" for r in c.removals) == 3
    assert c.summary().pii_scrubbed == {"email": 1}

    rows = [i.model_dump() | {"_origin": i.id} for i in repo_store.items("docs-qa")]
    _, failed, summary = validate_rows("docs-qa", rows, cfg.validation)
    assert failed == [] and summary.success
