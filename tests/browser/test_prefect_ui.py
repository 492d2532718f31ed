"""The Prefect UI as a user sees it: a pipeline's flow run, its artifacts tab, the report."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from tests.builders.browser import off_thread, shot
from tests.builders.prefect_api import artifact

if TYPE_CHECKING:
    from playwright.sync_api import Page

T = TypeVar("T")


def run_on_server(api_url: str, pipeline: Callable[[], T]) -> T:
    """Run `pipeline` (flows) against the UI's server and return what it returns.

    Prefect's events and log workers are process-wide and outlive the flow; the one events
    worker is shared whatever the API URL. They are drained (stopped) here, while this server
    still runs, so later flows in the session get fresh workers instead of ones talking to a
    server that is gone (which made the session's harness hang at teardown).
    """
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        try:
            return pipeline()
        finally:
            APILogWorker.instance().drain()
            EventsWorker.instance().drain()


def _report_of(state: Any, key: str) -> tuple[str, str]:
    """(flow run id, markdown of its artifact `key`) of a completed flow run."""
    assert state.is_completed(), state
    run_id = state.state_details.flow_run_id
    report = artifact(key, run_id)
    assert report is not None, f"the flow run published no {key} artifact"
    return str(run_id), report


@dataclass(frozen=True)
class Runs:
    """The module's two flow runs on the UI's server: (flow run id, report markdown) each."""

    manifest: Any  # llmops.simulators.traffic.generate.TrafficManifest
    rollup: tuple[str, str]
    audit: tuple[str, str]


def run_rollup_then_audit(api_url: str, drop: Path) -> tuple[tuple[str, str], tuple[str, str]]:
    """Ingest `drop` with the cost rollup flow, then audit it with the guardrail audit flow,
    against the UI's server; (flow run id, report markdown) of each."""
    from flows.cost_rollup import cost_rollup
    from flows.guardrail_audit import guardrail_audit

    def pipeline() -> tuple[tuple[str, str], tuple[str, str]]:
        rollup = _report_of(cost_rollup(paths=[str(drop)], return_state=True), "cost-rollup")
        return rollup, _report_of(guardrail_audit(return_state=True), "guardrail-audit")

    return run_on_server(api_url, pipeline)


@pytest.fixture(scope="module")
def runs(prefect_ui: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """The smallest planted traffic through both flows once, in a fresh LLMOPS_HOME: the cost
    rollup's run is the only one on the server for the first test, the audit's for the second."""
    from llmops.simulators.traffic.generate import generate_traffic

    root = tmp_path_factory.mktemp("prefect-ui-flows")
    drop = root / "drop"
    manifest = generate_traffic(drop, days=10, calls_per_day=100, seed=7)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLMOPS_HOME", str(root / "home"))
        mp.setenv("LLMOPS_USER_HASH_KEY", "test-key")
        rollup, audit = off_thread(run_rollup_then_audit, prefect_ui, drop)
        yield Runs(manifest, rollup, audit)


def open_artifact(page: Page, ui: str, run_id: str, key: str, name: str) -> None:
    """From the flow run's page, its Artifacts tab, then the artifact `key` (screenshots)."""
    from playwright.sync_api import expect

    page.goto(f"{ui}/runs/flow-run/{run_id}")
    page.get_by_role("tablist").get_by_text("Artifacts", exact=True).click()
    card = page.locator("a[href^='/artifacts/artifact/']").filter(has_text=key)
    expect(card).to_have_count(1)
    shot(page, f"prefect-flow-run-artifacts-{name}")
    card.click()
    expect(page).to_have_url(re.compile("/artifacts/artifact/"))


def test_flow_run_and_its_report_are_in_the_prefect_ui(
    page: Page, prefect_ui: str, runs: Runs
) -> None:
    from playwright.sync_api import expect

    run_id, report = runs.rollup
    headings = [h.strip() for h in re.findall(r"^#+ (.+)$", report, flags=re.MULTILINE)]
    assert any(h.startswith("Alerts") for h in headings), headings
    ui = prefect_ui.removesuffix("/api")

    # the runs page: find the run by its name, as a user would
    page.goto(f"{ui}/runs")
    page.get_by_placeholder("Search by flow run name").filter(visible=True).fill("cost-rollup-auto")
    run_link = page.get_by_role("link", name="cost-rollup-auto", exact=True)
    expect(run_link).to_have_count(1)
    expect(page.get_by_text("Completed").first).to_be_visible()
    shot(page, "prefect-flow-runs")

    # the run: its Artifacts tab lists the cost report
    run_link.click()
    expect(page).to_have_url(re.compile(f"/runs/flow-run/{run_id}"))
    page.get_by_role("tablist").get_by_text("Artifacts", exact=True).click()
    card = page.locator("a[href^='/artifacts/artifact/']").filter(has_text="cost-rollup")
    expect(card).to_have_count(1)
    shot(page, "prefect-flow-run-artifacts")

    # the artifact: the markdown report rendered, each of its headings visible
    card.click()
    expect(page).to_have_url(re.compile("/artifacts/artifact/"))
    for heading in headings:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    shot(page, "prefect-artifact-cost-rollup")


def test_guardrail_findings_are_in_the_prefect_ui_masked(
    page: Page, prefect_ui: str, runs: Runs
) -> None:
    from playwright.sync_api import expect

    manifest = runs.manifest
    run_id, report = runs.audit
    headings = [h.strip() for h in re.findall(r"^#+ (.+)$", report, flags=re.MULTILINE)]
    assert "Findings by detector and severity" in headings, headings
    assert "Top injection patterns" in headings, headings

    open_artifact(page, prefect_ui.removesuffix("/api"), run_id, "guardrail-audit", "audit")
    for heading in headings:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    for detector in ("pii", "secret", "injection"):
        expect(page.get_by_role("cell", name=detector, exact=True).first).to_be_visible()
    shown = page.locator("body").inner_text()
    leaked = [v for v in manifest.planted_values if v in shown]
    assert leaked == [], f"planted values shown in the UI: {leaked}"
    shot(page, "prefect-artifact-guardrail-audit")
