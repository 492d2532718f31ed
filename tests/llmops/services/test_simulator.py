"""ensure_simulator starts a detached `llmops simulator serve` once; stop_simulator ends it."""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import pytest

from llmops.core.errors import LlmopsError
from llmops.core.settings import get_settings
from llmops.services.simulator import ensure_simulator, simulator_health, stop_simulator


def free_port() -> int:
    """A loopback port free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ensure_starts_once_and_stop_ends_it(home: Path) -> None:
    settings = get_settings(simulator={"port": free_port(), "model_version": 3, "autostart": True})
    url = ensure_simulator(settings)
    try:
        pid = (home / "simulator.pid").read_text()
        health = simulator_health(url)
        assert health is not None and health["model_version"] == 3
        assert ensure_simulator(settings) == url  # answers: nothing new started
        assert (home / "simulator.pid").read_text() == pid
        assert (home / "logs" / "simulator.log").exists()
    finally:
        assert stop_simulator(settings)
    assert simulator_health(url) is None and not (home / "simulator.pid").exists()
    assert not stop_simulator(settings)


def test_without_autostart_nothing_is_started(home: Path) -> None:
    settings = get_settings(simulator={"port": free_port(), "autostart": False})
    with pytest.raises(
        LlmopsError, match="no simulator answers .*LLMOPS_SIMULATOR__AUTOSTART=true"
    ):
        ensure_simulator(settings)
    assert not (home / "simulator.pid").exists()


def test_a_port_taken_by_something_else_is_named(home: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = get_settings(simulator={"port": server.server_address[1]})
        with pytest.raises(LlmopsError, match="is not the llmops simulator"):
            ensure_simulator(settings)
    finally:
        server.shutdown()
