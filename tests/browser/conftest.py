"""Browser fixtures: one headless Debian chromium for these tests, the UIs' servers, screenshots.

Playwright's sync API keeps an asyncio loop running in the main thread while the browser is
open, so `asyncio.run` (Prefect's client, tests/builders/prefect_api.py) fails there: code that needs it
runs through `off_thread`, and the fixtures are package-scoped so the browser and the servers
are gone before the rest of the suite runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.builders.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    MLFLOW_UI_PREFERENCES,
    TAKEN,
    WAIT_MS,
    free_port,
    seed_local_storage_script,
)

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

    from llmops.core.settings import Settings


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the screenshots the browser tests saved."""
    if TAKEN:
        terminalreporter.write_sep("-", "browser screenshots")
        for path in TAKEN:
            terminalreporter.write_line(str(path))


@pytest.fixture(scope="package")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Debian's chromium, headless, with a fresh profile; one for all the browser tests."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(
            f"chromium not found at {CHROMIUM}: the browser tests need Debian's chromium. "
            "`make test` installs it when run as root (`make chromium`: apt-get install "
            "chromium); otherwise `sudo apt-get update && sudo apt-get install -y chromium`, "
            "or point LLMOPS_TEST_CHROMIUM at a chromium binary.",
            pytrace=False,
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.add_init_script(seed_local_storage_script(MLFLOW_UI_PREFERENCES))
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    """A new tab, closed after the test."""
    tab = browser.new_page()
    try:
        yield tab
    finally:
        tab.close()


@pytest.fixture(scope="package")
def prefect_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """API URL of a real `prefect server start` with the UI (the test harness serves no UI)."""
    from llmops.core.settings import get_settings
    from llmops.services.prefect_server import ensure_server, stop_server

    home = tmp_path_factory.mktemp("prefect-ui-home")
    port = free_port()
    settings = get_settings(home=home, prefect_port=port)
    with pytest.MonkeyPatch.context() as mp:
        for name in ("PREFECT_API_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL"):
            mp.delenv(name, raising=False)
        mp.setenv("PREFECT_HOME", str(home / "prefect"))
        # `prefect server start --port N` still tells the UI to call port 4200 unless the UI's
        # API URL is given (Prefect 3.8): without this the UI shows "Can't connect to Server API".
        mp.setenv("PREFECT_UI_API_URL", f"http://127.0.0.1:{port}/api")  # also set by ensure_server
        api_url, started = ensure_server(settings)
    assert started, f"expected a fresh Prefect server on port {port}, found one running"
    try:
        yield api_url
    finally:
        stop_server(settings)


@pytest.fixture(scope="package")
def mlflow_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """(URL, settings) of a real MLflow server (one worker) over a fresh home's SQLite store."""
    from llmops.core.settings import get_settings
    from llmops.services.mlflow_server import ensure_server, stop_server

    settings = get_settings(home=tmp_path_factory.mktemp("mlflow-ui-home"))
    url, started = ensure_server(settings, port=free_port())
    assert started
    try:
        yield url, settings
    finally:
        stop_server(settings)
