"""Feedback flywheel on a real Prefect server, over simulated traffic plus simulated feedback:
candidates appear, near duplicates collapse with a count, no planted PII survives, approval makes
a version that adds exactly the approved items, reviews can edit/reject/defer, reruns add nothing."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

import pytest

from tests.builders.audit import build_demo_lake
from tests.builders.paths import REPO
from tests.builders.prefect_api import artifact, events, paused_run

pytestmark = pytest.mark.usefixtures("prefect_server")
ROOT = REPO


@pytest.fixture(scope="module")
def traffic_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Ten days of simulated traffic ingested once per session (same user-hash key as the
    `home` fixture): the guardrail audit tests' lake, `build_demo_lake`; tests copy it."""
    demo = build_demo_lake(tmp_path_factory.getbasetemp())
    return demo.snapshot, demo.manifest.planted_values


@pytest.fixture
def world(traffic_lake, datasets_dir: Path, tmp_path: Path):
    """A fresh home with the traffic's lake, docs-qa in the store, and the demo feedback files."""
    from llmops.core.settings import get_settings
    from llmops.simulators.feedback import write_demo_feedback

    lake, traffic_pii = traffic_lake
    settings = get_settings()
    shutil.copytree(lake, settings.lake_dir)
    shutil.copytree(ROOT / "datasets" / "docs-qa", datasets_dir / "docs-qa")
    folder = write_demo_feedback(settings, tmp_path / "feedback")
    planted = json.loads((folder / "_planted.json").read_text())
    return settings, folder, planted, [*planted["pii"], *traffic_pii]


def _store(settings):
    from llmops.datasets.store import DatasetStore

    return DatasetStore(settings.datasets_dir)


def _ledger(settings) -> dict[str, str]:
    from llmops.lake.warehouse import connect

    con = connect(settings.lake_dir)
    try:
        return dict(con.execute("SELECT feedback_id, outcome FROM feedback_ledger").fetchall())
    finally:
        con.close()


def test_auto_approved_feedback_becomes_a_version_and_rerun_adds_nothing(world) -> None:
    from flows.feedback_flywheel import feedback_flywheel

    settings, folder, planted, pii = world
    store = _store(settings)
    parent = store.current("docs-qa")
    state = feedback_flywheel(paths=[str(folder)], auto_approve=True, return_state=True)
    result = state.result()
    assert (result.ingested, result.quarantined) == (planted["feedback"], planted["malformed"])
    assert (result.unknown_calls, result.not_negative, result.unrouted) == (3, 4, 2)
    (out,) = result.datasets
    assert (out.candidates, out.covered, out.pii_dropped, out.approved) == (5, 1, 1, 5)
    assert out.curation_status == "promoted" and len(out.added) == 5

    manifest = store.current("docs-qa")
    assert manifest.parent == parent.version and manifest.version == out.version
    assert (manifest.diff.added, manifest.diff.removed, manifest.diff.changed) == (5, 0, 0)
    items = {i.id: i for i in store.items("docs-qa")}
    added = [items[i] for i in out.added]
    csv_items = [i for i in added if "CSV import" in i.question]
    (csv_item,) = csv_items  # four wordings, one item
    assert csv_item.metadata["feedback"]["events"] == planted["csv_frequency"]
    assert csv_item.reference_answer.startswith("Up to 10,000 rows per CSV file")
    (sso,) = [i for i in added if "SAML SSO" in i.question]
    assert sso.metadata["feedback"]["events"] == planted["sso_frequency"]
    assert sso.kind == "negative" and sso.metadata["answer"]  # no correction: labelled negative
    assert not any(planted["covered_question"] in i.question for i in added)
    assert not any(planted["dropped_question"] in i.question for i in added)
    assert all(i.contexts and "origin:feedback" in i.tags for i in added)

    report = artifact("feedback-flywheel", state.state_details.flow_run_id)
    assert "| 1 | `" + csv_item.id + "` | 4 |" in report
    assert "unknown call" in report and "demo-fb-019" in report
    written = [
        Path(out.candidates_file).read_text(),
        report,
        store.read_bytes("docs-qa", manifest.version).decode(),
    ]
    for value in pii:
        assert all(value not in text for text in written), value
    assert "[EMAIL]" in written[2] and "[CARD]" in written[2]

    def promoted(found: list[dict]) -> list[dict]:
        return [e for e in found if e["payload"].get("version") == manifest.version]

    assert promoted(events("llmops.dataset.promoted", until=lambda f: bool(promoted(f))))

    versions = len(store.versions("docs-qa"))
    again = feedback_flywheel(paths=[str(folder)], auto_approve=True)
    # only feedback still waiting: for its call (3) or for a golden set of its prompt (2)
    assert (again.new_feedback, again.unknown_calls, again.unrouted) == (5, 3, 2)
    assert [d.candidates for d in again.datasets] == []
    assert store.current("docs-qa").version == manifest.version
    assert len(store.versions("docs-qa")) == versions


def _in_background() -> tuple[threading.Thread, dict]:
    from flows.feedback_flywheel import feedback_flywheel

    out: dict = {}

    def run() -> None:
        out["state"] = feedback_flywheel(
            review_poll_seconds=1, review_timeout_minutes=3, return_state=True
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _queue(run_id) -> list[str]:
    report = artifact("feedback-flywheel", run_id)
    return re.findall(r"^\| \d+ \| `(fb-[0-9a-f]+)` \|", report, re.M)


def test_review_approves_edits_rejects_and_defers(world) -> None:
    from prefect.flow_runs import resume_flow_run

    from llmops.feedback.ingest import ingest_paths

    settings, folder, planted, pii = world
    ingest_paths(settings, [folder])
    store = _store(settings)
    parent = store.current("docs-qa").version
    thread, out = _in_background()
    paused = paused_run("feedback-flywheel")
    queue = _queue(paused.id)
    assert len(queue) == 5
    edited = "SAML single sign-on comes with the Business plan; mail ops@example.com to enable it."
    decisions = [
        {"candidate_id": queue[0], "action": "approve"},
        {"candidate_id": queue[1], "action": "edit", "reference": edited},
        {"candidate_id": queue[2], "action": "reject"},
        {"candidate_id": queue[3], "action": "reject"},
    ]  # queue[4]: no decision, asked again next time
    resume_flow_run(paused.id, run_input={"reviewer": "rita", "decisions": decisions})
    curation = paused_run("curate-docs-qa")
    resume_flow_run(curation.id, run_input={"approve": True, "reviewer": "rita", "comment": "ok"})
    thread.join(timeout=120)
    assert not thread.is_alive()
    (result,) = out["state"].result().datasets
    assert (result.approved, result.edited, result.rejected, result.deferred) == (1, 1, 2, 1)
    assert result.added == sorted(queue[:2])
    manifest = store.current("docs-qa")
    assert manifest.parent == parent and manifest.approval.by == "rita"
    items = {i.id: i for i in store.items("docs-qa")}
    assert items[queue[1]].reference_answer == edited.replace("ops@example.com", "[EMAIL]")
    assert items[queue[1]].kind == "reference"
    ledger = _ledger(settings)
    assert sorted(set(ledger.values())) == [
        "approved", "covered", "edited", "not_negative", "pii", "rejected"
    ]  # fmt: skip
    report = artifact("feedback-flywheel", paused.id)
    assert "reviewed by rita: 2 approved (1 with an edited reference), 2 rejected" in report
    for value in [*pii, "ops@example.com"]:
        assert (
            value not in report
            and value not in store.read_bytes("docs-qa", manifest.version).decode()
        )

    # the deferred candidate comes back alone; nothing else is looked at again
    from flows.feedback_flywheel import feedback_flywheel

    again = feedback_flywheel(auto_approve=True)
    (rerun,) = again.datasets
    assert rerun.candidates == 1 and rerun.added == [queue[4]]


def test_rejecting_everything_writes_nothing(world) -> None:
    from prefect.flow_runs import resume_flow_run

    from llmops.feedback.ingest import ingest_paths

    settings, folder, _, _ = world
    ingest_paths(settings, [folder])
    store = _store(settings)
    before = (store.current("docs-qa").version, len(store.versions("docs-qa")))
    thread, out = _in_background()
    paused = paused_run("feedback-flywheel")
    queue = _queue(paused.id)
    decisions = [{"candidate_id": c, "action": "reject"} for c in queue]
    resume_flow_run(paused.id, run_input={"reviewer": "rita", "decisions": decisions})
    thread.join(timeout=60)
    assert not thread.is_alive()
    (result,) = out["state"].result().datasets
    assert (result.rejected, result.approved, result.curation_status) == (5, 0, None)
    assert (store.current("docs-qa").version, len(store.versions("docs-qa"))) == before
    assert not (settings.home / "feedback" / "candidates").exists()
    from flows.feedback_flywheel import feedback_flywheel

    assert [d.candidates for d in feedback_flywheel(auto_approve=True).datasets] == []


def test_event_handoff_sends_the_candidates_file(world) -> None:
    from flows.feedback_flywheel import feedback_flywheel

    settings, folder, _, _ = world
    result = feedback_flywheel(paths=[str(folder)], auto_approve=True, handoff="event")
    (out,) = result.datasets
    assert out.curation_status == "sent" and out.version is None

    def ours(found: list[dict]) -> list[dict]:
        return [e for e in found if e["payload"].get("files") == [out.candidates_file]]

    (event,) = ours(events("llmops.dataset.candidates", until=lambda f: bool(ours(f))))
    assert event["payload"]["dataset"] == "docs-qa" and event["payload"]["candidates"] == 5
    assert event["resource"]["prefect.resource.id"] == "llmops.dataset.docs-qa"
    records = [json.loads(line) for line in Path(out.candidates_file).read_text().splitlines()]
    assert len(records) == 5 and {"Question", "Answer", "Document"} <= set(records[0])

    from llmops.datasets.config import load_config
    from llmops.datasets.curate import curate_files

    store = _store(settings)
    config = load_config(store.config_path("docs-qa"))
    candidate = curate_files(store, "docs-qa", [Path(out.candidates_file)], config)
    assert sorted(i.id for i in candidate.diff.added) == sorted(r["id"] for r in records)
    assert candidate.diff.counts.removed == candidate.diff.counts.changed == 0
