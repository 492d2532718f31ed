"""The provider simulator for tests: one real HTTP server per session, reset per test.

Use in any test that makes an LLM call (through `llmops.gateway.Gateway` or litellm):

    def test_something(simulator: SimulatorHandle) -> None:       # v1, no faults
        gw = Gateway()                                               # aliases route to it
        ...

    def test_a_bump(fresh_simulator: SimulatorHandle) -> None:     # config restored after
        fresh_simulator.configure(error_rate=0.2, timeout_share=0.0)
        fresh_simulator.bump()                                       # served model -> ...-sim-v2

`simulator` (session scope) runs `llmops.simulators.provider` with uvicorn in a daemon thread on a free
loopback port and sets LLMOPS_SIMULATOR__HOST/PORT and LLMOPS_SIMULATOR__AUTOSTART=false for the
whole session, so every `get_settings()` (the test's, a flow's, the gateway's) points at it and
nothing ever starts a simulator process. The default aliases (candidate, judge, embedder) route to
the simulator unless a test configures a real provider.

`fresh_simulator` (function scope) gives the same server and restores its startup config (v1, no
latency, no faults) and clears its fault attempt counters before and after the test. Use it in
every test that changes the simulator (bump, error_rate, latency) so later tests see v1.

The handle talks to the real admin endpoints (`/admin/config`, `/admin/reset`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from llmops.simulators.provider import SimulatorConfig
from llmops.simulators.provider.admin import (
    bump_simulator,
    configure_simulator,
    reset_simulator,
    simulator_status,
)


@dataclass(frozen=True)
class SimulatorHandle:
    """A running simulator: its URLs and runtime controls."""

    url: str  # e.g. http://127.0.0.1:40123 (no /v1)
    port: int

    @property
    def api_base(self) -> str:
        """OpenAI-style base URL (with /v1), for litellm's api_base."""
        return f"{self.url}/v1"

    def config(self) -> dict[str, Any]:
        """The current config (model_version, latency_ms, error_rate, ...)."""
        return simulator_status(self.url)["config"]

    def fingerprint(self) -> str:
        """The system_fingerprint it serves now."""
        return simulator_status(self.url)["system_fingerprint"]

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change config fields at runtime; returns the new config."""
        return configure_simulator(self.url, **changes)["config"]

    def bump(self, to: int | None = None) -> dict[str, Any]:
        """Serve the next (or the given) model version; returns the new config."""
        return bump_simulator(self.url, to)["config"]

    def reset(self) -> dict[str, Any]:
        """Startup config back, attempt counters cleared."""
        return reset_simulator(self.url)["config"]


@pytest.fixture(scope="session")
def simulator() -> Iterator[SimulatorHandle]:
    """One simulator for the session; the environment points every get_settings() at it."""
    from llmops.simulators.provider.server import run_in_thread

    url, stop = run_in_thread(SimulatorConfig())
    port = int(url.rsplit(":", 1)[1])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLMOPS_SIMULATOR__HOST", "127.0.0.1")
        mp.setenv("LLMOPS_SIMULATOR__PORT", str(port))
        mp.setenv("LLMOPS_SIMULATOR__AUTOSTART", "false")
        try:
            yield SimulatorHandle(url=url, port=port)
        finally:
            stop()


@pytest.fixture
def fresh_simulator(simulator: SimulatorHandle) -> Iterator[SimulatorHandle]:
    """The session simulator at its startup config; restored again after the test."""
    simulator.reset()
    yield simulator
    simulator.reset()
