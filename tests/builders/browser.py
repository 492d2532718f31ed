"""Browser test helpers: where chromium and the screenshots are, waits, ports, threads."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tests.builders.paths import REPO

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("LLMOPS_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(
    os.environ.get("LLMOPS_TEST_SCREENSHOTS", REPO / "test-artifacts" / "screenshots")
)
WAIT_MS = 60_000  # JavaScript apps on a busy 2-core machine: wait for text, generously
# docs/stack-notes.md: without the networking flags chromium floods the closed network with retries.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TAKEN: list[Path] = []  # screenshots saved in this session
T = TypeVar("T")


def off_thread(fn: Callable[..., T], *args: object) -> T:
    """Run `fn(*args)` in a fresh thread (no running event loop there) and return its result."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shot(page: Page, name: str) -> Path:
    """Save a full-page PNG of what the browser shows now and print its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    TAKEN.append(path)
    print(f"screenshot: {path}")
    return path


# MLflow's UI keeps its first-visit guidance and promos in localStorage (useLocalStorage:
# `<key>_v<version>`, read in mlflow/server/js/build/static/js). A fresh profile shows them, and
# the "Detect Issues in Your Traces" popover is modal: it covered a run page in CI. Seeding the
# "already shown" answers before any page script runs keeps them from opening at all.
MLFLOW_UI_PREFERENCES = {
    "mlflow.detectIssues.guidanceShown_v1": True,
    "mlflow.flagForReview.guidanceShown_v1": True,
    "_mlflow_model_registry_promo_modal_dismissed_v1": True,
    "mlflow.overview.mysqlBannerDismissed_v0": True,
    "mlflow.assistant.fab.autoOpenedOnFirstLoad_v1": True,
    "mlflow.assistant.panelOpen_v1": False,
}


def seed_local_storage_script(values: dict[str, object]) -> str:
    """An init script that sets each localStorage key the page has not set yet."""
    import json

    return (
        "(() => { try { const seed = "
        + json.dumps({k: json.dumps(v) for k, v in values.items()})
        + "; for (const [k, v] of Object.entries(seed)) {"
        " if (window.localStorage.getItem(k) === null) window.localStorage.setItem(k, v); }"
        " } catch (e) {} })();"
    )
