"""Curation logic on a dirty batch: every removal named with its reason, PII scrubbed, dedup."""

from __future__ import annotations

import random
from pathlib import Path

from llmops.datasets.config import DatasetConfig, SplitSpec
from llmops.datasets.curate import curate_files
from llmops.datasets.diff import unified_jsonl_diff
from llmops.datasets.manifest import Approval
from llmops.datasets.store import DatasetStore
from tests.builders.datasets import CLEAN, dirty_batch, qa, write_jsonl

CFG = DatasetConfig.model_validate({"import": {"source": "unit-test"}})


def _approve(store: DatasetStore, candidate) -> None:
    from datetime import UTC, datetime

    approval = Approval(by="tester", at=datetime.now(UTC), method="cli")
    store.write_version(
        candidate.manifest(approval, kind="import", flow_run_id=None), candidate.data
    )


def test_same_rows_in_another_order_give_the_same_version(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "store")
    rows = list(CLEAN)
    first = curate_files(store, "qa", [write_jsonl(tmp_path / "a" / "qa.jsonl", rows)], CFG)
    random.Random(3).shuffle(rows)
    again = curate_files(store, "qa", [write_jsonl(tmp_path / "b" / "qa.jsonl", rows)], CFG)
    assert first.version == again.version
    assert [i.id for i in first.items] == sorted(i.id for i in first.items)
    assert first.data == again.data


def test_one_changed_answer_gives_a_new_version_and_a_one_line_diff(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "store")
    v1 = curate_files(store, "qa", [write_jsonl(tmp_path / "v1.jsonl", CLEAN)], CFG)
    _approve(store, v1)
    edited = [dict(r) for r in CLEAN]
    edited[2]["reference_answer"] = "Yes: df.write.format('delta').saveAsTable('name')."
    v2 = curate_files(store, "qa", [write_jsonl(tmp_path / "v2.jsonl", edited[2:3])], CFG)
    assert v2.parent == v1.version and v2.version != v1.version
    assert v2.diff.counts.model_dump() == {"added": 0, "removed": 0, "changed": 1}
    assert v2.diff.changed[0].fields == ["reference_answer"]
    lines = unified_jsonl_diff(v1.items, v2.items, "a", "b")
    body = [ln for ln in lines if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert len(body) == 2 and body[0].startswith("-") and body[1].startswith("+")
    assert "format('delta')" in body[1]


def test_dirty_batch_yields_clean_version_and_names_every_removal(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "store")
    c = curate_files(store, "qa", [dirty_batch(tmp_path / "dirty.jsonl")], CFG)
    folded = sorted(" ".join(i.question.lower().strip("?").split()) for i in c.items)
    assert len(folded) == 3  # one of the two "create a delta table" rows, the lakehouse row, PII
    assert folded[0] == "how do i create a delta table"
    assert folded[2] == "what is the lakehouse storage layer"
    scrubbed = next(i for i in c.items if "rotate" in i.question)
    assert scrubbed.question.startswith("I am [EMAIL], call [PHONE]")
    assert "[CARD]" in (scrubbed.reference_answer or "")
    assert "[OPENAI_KEY]" in scrubbed.metadata["note"]
    text = c.data.decode()
    for secret in ("jane.doe@example.com", "4111 1111", "sk-proj-", "555 0100"):
        assert secret not in text

    why = {r.origin: (r.stage, " ".join(r.reasons)) for r in c.removals}
    assert why["dirty.jsonl:2"][0] == "dedup" and "exact duplicate" in why["dirty.jsonl:2"][1]
    (near,) = [why[o] for o in ("dirty.jsonl:1", "dirty.jsonl:3") if o in why]  # keeps one
    assert near[0] == "dedup" and "near duplicate (question similarity 1.0)" in near[1]
    assert "question_present" in why["dirty.jsonl:5"][1]
    assert "contexts_count" in why["dirty.jsonl:6"][1]
    assert "no_injection" in why["dirty.jsonl:7"][1]
    assert "no_pii" in why["dirty.jsonl:8"][1]
    assert why["dirty.jsonl:10"] == ("import", "not valid JSON (Unterminated string starting at)")
    assert len(c.removals) == 7
    assert c.validation.quarantined == 4 and not c.validation.success
    kept = next(i.id for i in c.items if "delta" in i.question.lower())
    assert kept in {cl.keep for cl in c.clusters} and len(c.clusters) == 2
    s = c.summary()
    assert (s.rows_read, s.quarantined, s.duplicates_removed, s.rows_scrubbed) == (10, 5, 2, 1)
    assert s.pii_scrubbed == {"card": 1, "email": 1, "openai_key": 1, "phone": 1}

    from llmops.datasets.report import candidate_report

    md = candidate_report(c)
    for needle in (
        "dirty.jsonl:7",
        "no_injection",
        "exact duplicate",
        "near duplicate",
        "email ×1",
    ):
        assert needle in md


def test_merge_dedups_against_current_version_and_keeps_split(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path / "store")
    split = SplitSpec(test_fraction=0.4, stratify_by="kind")
    v1 = curate_files(store, "qa", [write_jsonl(tmp_path / "v1.jsonl", CLEAN)], CFG, split=split)
    assert v1.split == {"reference": {"dev": 3, "test": 2}}
    _approve(store, v1)
    batch = [
        qa("How do I create a delta table??", "Another answer."),  # near dup of a current item
        qa("How do I vacuum a Delta table?", "VACUUM name RETAIN 168 HOURS."),
        qa("How do I time travel in Delta?", "SELECT * FROM t VERSION AS OF 3."),
    ]
    v2 = curate_files(store, "qa", [write_jsonl(tmp_path / "v2.jsonl", batch)], CFG, split=split)
    assert v2.diff.counts.added == 2 and v2.diff.counts.removed == 0
    (dup,) = [r for r in v2.removals if r.stage == "dedup"]
    assert "of current item" in dup.reasons[0]
    assert v2.clusters[0].against == "current"
    before = {i.id: i.tags for i in v1.items}
    assert all(i.tags == before[i.id] for i in v2.items if i.id in before)
    assert sum("split:test" in i.tags for i in v2.items) == round(0.4 * 7)
