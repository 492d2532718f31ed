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
# STACK-NOTES: without the networking flags chromium floods the closed network with retries.
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
