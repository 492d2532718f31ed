"""The Prefect UI as a user sees it: a pipeline's flow run, its artifacts tab, the report."""

from __future__ import annotations

import re
from collections.abc import Callable
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


def run_cost_rollup(api_url: str, drop: Path) -> tuple[str, str]:
    """Run the cost rollup flow against the UI's server; (flow run id, its report markdown)."""
    from flows.cost_rollup import cost_rollup

    def pipeline() -> tuple[str, str]:
        return _report_of(cost_rollup(paths=[str(drop)], return_state=True), "cost-rollup")

    return run_on_server(api_url, pipeline)


def run_guardrail_audit(api_url: str, drop: Path) -> tuple[str, str]:
    """Ingest `drop` (cost rollup), then audit it; (audit flow run id, its report markdown)."""
    from flows.cost_rollup import cost_rollup
    from flows.guardrail_audit import guardrail_audit

    def pipeline() -> tuple[str, str]:
        _report_of(cost_rollup(paths=[str(drop)], return_state=True), "cost-rollup")
        return _report_of(guardrail_audit(return_state=True), "guardrail-audit")

    return run_on_server(api_url, pipeline)


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


@pytest.mark.usefixtures("home")  # the flow's lake and warehouse go to a fresh LLMOPS_HOME
def test_flow_run_and_its_report_are_in_the_prefect_ui(
    page: Page, prefect_ui: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    from llmops.simulators.traffic.generate import generate_traffic

    drop = tmp_path / "drop"
    generate_traffic(drop, days=10, calls_per_day=100, seed=7)  # the smallest planted traffic
    run_id, report = off_thread(run_cost_rollup, prefect_ui, drop)
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


@pytest.mark.usefixtures("home")
def test_guardrail_findings_are_in_the_prefect_ui_masked(
    page: Page, prefect_ui: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    from llmops.simulators.traffic.generate import generate_traffic

    drop = tmp_path / "drop"
    manifest = generate_traffic(drop, days=10, calls_per_day=100, seed=7)
    run_id, report = off_thread(run_guardrail_audit, prefect_ui, drop)
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
